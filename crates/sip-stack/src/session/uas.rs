//! Incoming calls: the INVITE, provisional responses (reliable ones per
//! RFC 3262), the 2xx and its retransmission until the ACK, CANCEL,
//! rejection, and INVITE with Replaces (RFC 3891).

use super::timer::{uas_negotiate, Negotiated};
use super::{lists, sdp_body, Call, CallState, CallTimer, Reliable};
use crate::dialog::Dialog;
use crate::endpoint::Endpoint;
use crate::types::{ServerKey, Source, Target};
use crate::ua::{CallKey, EndReason, IncomingCall, PrackMode, TimerRef, Ua, UaError, UaEvent};
use bytes::Bytes;
use heron_sip::headers::{RAck, Replaces};
use heron_sip::{HeaderName, Message};
use std::time::Instant;

impl Ua {
    pub(crate) fn on_invite(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        key: ServerKey,
        request: Message,
        source: Source,
    ) {
        // RFC 3891: the dialog to replace must exist.
        let mut replaces = None;
        if let Some(r) = request.get::<Replaces>() {
            let found = r.ok().and_then(|r| {
                let p = r.to_params();
                self.dialogs
                    .iter()
                    .find(|((cid, local), id)| {
                        *cid == p.call_id
                            && self.calls.get(id).is_some_and(|c| {
                                c.dialog.as_ref().is_some_and(|d| {
                                    (*local == p.to_tag && d.id.remote_tag == p.from_tag)
                                        || (*local == p.from_tag && d.id.remote_tag == p.to_tag)
                                })
                            })
                    })
                    .map(|(_, id)| *id)
            });
            match found {
                Some(id) => replaces = Some(id),
                None => {
                    self.reply(ep, now, key, &request, 481);
                    return;
                }
            }
        }
        let mut timer = None;
        if let Some(st) = self.cfg.session_timer {
            match uas_negotiate(&request, st.expires, st.min_se) {
                Negotiated::TooSmall(min) => {
                    let tag = ep.new_tag();
                    let mut r = Message::response_to(&request, 422, Some(&tag));
                    r.append_header(HeaderName::MinSe, &min.to_string());
                    let _ = ep.send_response(now, key, r);
                    return;
                }
                Negotiated::Timer(t) => timer = Some(t),
                Negotiated::None => {}
            }
        }
        let tag = ep.new_tag();
        let Ok(dialog) = Dialog::uas(&request, &tag) else {
            self.reply(ep, now, key, &request, 400);
            return;
        };
        let mut info = IncomingCall::from_invite(&request);
        let mut call = Call::new(false, request);
        call.offer_in_invite = info.offer.is_some();
        call.remote_sdp = info.offer.clone();
        call.invite_server = Some(key);
        call.peer = Some(Target::new(source.transport, source.remote));
        call.session_timer = timer;
        call.peer_update = lists(&call.invite, HeaderName::Allow, "UPDATE");
        call.reliable = self.cfg.prack != PrackMode::Off
            && (lists(&call.invite, HeaderName::Supported, "100rel")
                || lists(&call.invite, HeaderName::Require, "100rel"));
        call.replaces = replaces;
        let id = self.alloc();
        info.replaces = replaces.map(CallKey);
        call.dialog_key = Some((dialog.id.call_id.clone(), tag.clone()));
        self.dialogs.insert((dialog.id.call_id.clone(), tag), id);
        call.dialog = Some(dialog);
        self.invite_servers.insert(key, id);
        self.calls.insert(id, Box::new(call));
        self.events.push_back(UaEvent::IncomingCall {
            call: CallKey(id),
            info: Box::new(info),
        });
    }

    fn uas_response(&self, ep: &Endpoint, c: &Call, code: u16) -> Message {
        let tag = c.dialog.as_ref().map(|d| d.id.local_tag.as_str());
        let mut r = Message::response_to(&c.invite, code, tag);
        if code < 300 {
            let transport = c
                .peer
                .as_ref()
                .map(|p| p.transport)
                .unwrap_or(self.cfg.transport);
            r.append_header(HeaderName::Contact, &self.contact(ep, transport));
            for h in c.invite.headers() {
                if h.name == HeaderName::RecordRoute {
                    r.append_header(h.name, h.value);
                }
            }
            r.append_header(HeaderName::Allow, &ep.config().allow_header());
            r.append_header(HeaderName::Supported, &ep.config().supported_header());
        }
        if let Some(ua) = &self.cfg.user_agent {
            r.append_header(HeaderName::Server, ua);
        }
        r
    }

    /// Whether provisional responses to this incoming call go reliably
    /// (RFC 3262: the caller supports 100rel and [`PrackMode`] is not
    /// off), so that [`Ua::ring`] may carry our offer when the INVITE had
    /// none.
    pub fn reliable_provisionals(&self, call: CallKey) -> bool {
        self.calls.get(&call.0).is_some_and(|c| c.reliable)
    }

    /// Sends 180 Ringing, or 183 Session Progress when `sdp` is given;
    /// reliably (RFC 3262) when the caller supports it.
    ///
    /// With an offer in the INVITE, `sdp` is the answer (early media).
    /// Without one (delayed offer), `sdp` is our offer: it needs reliable
    /// provisionals ([`Ua::reliable_provisionals`]; an error otherwise),
    /// the peer's answer arrives in the PRACK as [`UaEvent::MediaUpdate`],
    /// [`Ua::answer`]'s 200 waits for that PRACK and carries no SDP
    /// (RFC 3262 §5, RFC 6337 §3.1.2), and later provisionals carry none.
    pub fn ring(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        mut sdp: Option<Bytes>,
    ) -> Result<(), UaError> {
        let c = self.calls.get(&call.0).ok_or(UaError::Unknown)?;
        if c.state != CallState::Incoming {
            return Err(UaError::State("not an unanswered incoming call"));
        }
        let mut offer = sdp.is_some() && !c.offer_in_invite;
        if offer && c.offer_in_1xx {
            // Our offer already went; one offer/answer per INVITE.
            sdp = None;
            offer = false;
        }
        if offer && !c.reliable {
            return Err(UaError::State(
                "an offer in a provisional response needs 100rel, which the caller does not support",
            ));
        }
        let code = if sdp.is_some() { 183 } else { 180 };
        let mut r = self.uas_response(ep, c, code);
        if let Some(b) = sdp {
            r.set_body(Some("application/sdp"), b.clone());
            let c = self.calls.get_mut(&call.0).ok_or(UaError::Unknown)?;
            c.local_sdp = Some(b);
            c.offer_in_1xx |= offer;
        }
        self.send_provisional(ep, now, call.0, r, offer)
    }

    fn send_provisional(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        mut r: Message,
        offer: bool,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&id).ok_or(UaError::Unknown)?;
        let key = c.invite_server.ok_or(UaError::State("no INVITE"))?;
        if !c.reliable {
            ep.send_response(now, key, r)?;
            return Ok(());
        }
        if c.unacked.is_some() {
            c.queued_1xx.push((r, offer));
            return Ok(());
        }
        let rseq = c.next_rseq;
        c.next_rseq += 1;
        r.append_header(HeaderName::Require, "100rel");
        r.append_header(HeaderName::RSeq, &rseq.to_string());
        let t1 = ep.config().timers.t1;
        c.unacked = Some(Reliable {
            response: r.clone(),
            rseq,
            interval: t1,
            offer,
        });
        ep.send_response(now, key, r)?;
        self.arm(id, CallTimer::Retransmit1xx, now + t1);
        self.arm(id, CallTimer::PrackTimeout, now + t1 * 64);
        Ok(())
    }

    /// Answers an incoming call with 200 and our SDP (the answer, or the
    /// offer when the INVITE had none; the answer then comes in the ACK).
    /// When our offer went in a reliable provisional ([`Ua::ring`]), the
    /// 200 waits for its PRACK and carries no SDP: `sdp` is ignored.
    pub fn answer(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        sdp: Option<Bytes>,
    ) -> Result<(), UaError> {
        let c = self.calls.get(&call.0).ok_or(UaError::Unknown)?;
        if c.state != CallState::Incoming {
            return Err(UaError::State("not an unanswered incoming call"));
        }
        let mut r = self.uas_response(ep, c, 200);
        if let Some(t) = c.session_timer {
            r.append_header(HeaderName::SessionExpires, &t.header_as_uas());
            if lists(&c.invite, HeaderName::Supported, "timer") {
                r.append_header(HeaderName::Require, "timer");
            }
        }
        let c = self.calls.get_mut(&call.0).ok_or(UaError::Unknown)?;
        if let Some(b) = sdp.filter(|_| !c.offer_in_1xx) {
            r.set_body(Some("application/sdp"), b.clone());
            c.local_sdp = Some(b);
        }
        c.state = CallState::Answered;
        if c.unacked.is_some() {
            // RFC 3262 §3: the 2xx waits for the PRACK.
            c.deferred_2xx = Some(r);
            return Ok(());
        }
        self.send_2xx(ep, now, call.0, r);
        Ok(())
    }

    fn send_2xx(&mut self, ep: &mut Endpoint, now: Instant, id: u64, r: Message) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(key) = c.invite_server else { return };
        if let Some(d) = c.dialog.as_mut() {
            d.state = crate::dialog::DialogState::Confirmed;
        }
        c.final_2xx = Some((key, r.clone()));
        let t1 = ep.config().timers.t1;
        c.retransmit_interval = t1;
        let reliable = c.peer.as_ref().is_some_and(|p| p.transport.is_reliable());
        if ep.send_response(now, key, r).is_err() {
            self.end_call(id, EndReason::Transport("2xx could not be sent".into()));
            return;
        }
        if !reliable {
            self.arm(id, CallTimer::Retransmit2xx, now + t1);
        }
        self.arm(id, CallTimer::AckTimeout, now + t1 * 64);
        if let Some(old) = self.calls.get(&id).and_then(|c| c.replaces) {
            self.send_bye(ep, now, old, Some("SIP;cause=200;text=\"Replaced\""));
            self.end_call_keep(old, EndReason::Replaced);
        }
    }

    /// Rejects an incoming call with `code` (486 busy, 603 decline, ...).
    pub fn reject(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        code: u16,
    ) -> Result<(), UaError> {
        if !(300..700).contains(&code) {
            return Err(UaError::Invalid(format!("{code} is not a failure code")));
        }
        let c = self.calls.get(&call.0).ok_or(UaError::Unknown)?;
        if c.state != CallState::Incoming {
            return Err(UaError::State("not an unanswered incoming call"));
        }
        let r = self.uas_response(ep, c, code);
        if let Some(key) = c.invite_server {
            let _ = ep.send_response(now, key, r);
        }
        self.end_call(call.0, EndReason::LocalCancel);
        Ok(())
    }

    pub(crate) fn on_ack(&mut self, ep: &mut Endpoint, now: Instant, ack: Message) {
        let Some(id) = crate::dialog::DialogId::of_incoming(&ack)
            .and_then(|d| self.dialogs.get(&(d.call_id, d.local_tag)).copied())
        else {
            return;
        };
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let sdp = sdp_body(&ack);
        if c.state == CallState::Answered {
            c.state = CallState::Confirmed;
            c.final_2xx = None;
            if !c.offer_in_invite && sdp.is_some() {
                c.remote_sdp = sdp.clone();
            }
            self.disarm(id, CallTimer::Retransmit2xx);
            self.disarm(id, CallTimer::AckTimeout);
            self.events.push_back(UaEvent::Confirmed {
                call: CallKey(id),
                sdp,
            });
            self.start_session_timer(now, id);
        } else if c.final_2xx.is_some() {
            // The ACK of a re-INVITE's 2xx.
            c.final_2xx = None;
            if let Some(b) = &sdp {
                c.remote_sdp = Some(b.clone());
            }
            self.disarm(id, CallTimer::Retransmit2xx);
            self.disarm(id, CallTimer::AckTimeout);
            if let Some(b) = sdp {
                self.events.push_back(UaEvent::MediaUpdate {
                    call: CallKey(id),
                    sdp: b,
                });
            }
        }
        let _ = ep;
    }

    pub(crate) fn on_cancelled(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        invite: ServerKey,
        cancel: &Message,
    ) {
        let Some(id) = self.invite_servers.get(&invite).copied() else {
            return;
        };
        let Some(c) = self.calls.get(&id) else { return };
        if c.state != CallState::Incoming {
            return;
        }
        let r = self.uas_response(ep, c, 487);
        let _ = ep.send_response(now, invite, r);
        let reason = crate::ua::reason_of(cancel);
        self.end_call(id, EndReason::RemoteCancel { reason });
    }

    /// PRACK for our reliable provisional (RFC 3262 §3).
    pub(crate) fn on_prack(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        key: ServerKey,
        req: &Message,
    ) {
        let rack = req.get::<RAck>().and_then(Result::ok).map(|r| r.rseq);
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let matches = c.unacked.as_ref().is_some_and(|u| Some(u.rseq) == rack);
        if !matches {
            self.reply(ep, now, key, req, 481);
            return;
        }
        let u = c.unacked.take();
        let sdp = sdp_body(req);
        if u.is_some_and(|u| u.offer) {
            if let Some(b) = &sdp {
                c.remote_sdp = Some(b.clone());
            }
        }
        let mut ok = Message::response_to(req, 200, None);
        if let Some(ua) = &self.cfg.user_agent {
            ok.append_header(HeaderName::Server, ua);
        }
        let _ = ep.send_response(now, key, ok);
        self.disarm(id, CallTimer::Retransmit1xx);
        self.disarm(id, CallTimer::PrackTimeout);
        if let Some(b) = sdp {
            self.events.push_back(UaEvent::MediaUpdate {
                call: CallKey(id),
                sdp: b,
            });
        }
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if !c.queued_1xx.is_empty() {
            let (r, offer) = c.queued_1xx.remove(0);
            let _ = self.send_provisional(ep, now, id, r, offer);
        } else if let Some(r) = c.deferred_2xx.take() {
            self.send_2xx(ep, now, id, r);
        }
    }

    /// The UAS-side timers: 2xx and reliable 1xx retransmission, their
    /// give-up points.
    pub(crate) fn uas_timer(&mut self, ep: &mut Endpoint, now: Instant, id: u64, kind: CallTimer) {
        let t2 = ep.config().timers.t2;
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        match kind {
            CallTimer::Retransmit2xx => {
                let Some((key, r)) = c.final_2xx.clone() else {
                    return;
                };
                c.retransmit_interval = (c.retransmit_interval * 2).min(t2);
                let next = now + c.retransmit_interval;
                let _ = ep.send_response(now, key, r);
                self.arm(id, CallTimer::Retransmit2xx, next);
            }
            CallTimer::AckTimeout if c.final_2xx.take().is_some() => {
                self.disarm(id, CallTimer::Retransmit2xx);
                self.send_bye(ep, now, id, None);
                self.end_call_keep(id, EndReason::NoAck);
            }
            CallTimer::Retransmit1xx => {
                let (Some(u), Some(key)) = (c.unacked.as_mut(), c.invite_server) else {
                    return;
                };
                u.interval = (u.interval * 2).min(t2);
                let next = now + u.interval;
                let r = u.response.clone();
                if c.state == CallState::Incoming || c.state == CallState::Answered {
                    let _ = ep.send_response(now, key, r);
                    self.arm(id, CallTimer::Retransmit1xx, next);
                }
            }
            CallTimer::PrackTimeout if c.unacked.is_some() => {
                c.unacked = None;
                if let Some(key) = c.invite_server {
                    let tag = c.dialog.as_ref().map(|d| d.id.local_tag.as_str());
                    let r = Message::response_to(&c.invite, 504, tag);
                    let _ = ep.send_response(now, key, r);
                }
                self.end_call(id, EndReason::Timeout);
            }
            _ => {}
        }
    }

    pub(crate) fn arm(&mut self, id: u64, kind: CallTimer, at: Instant) {
        let token = self.schedule(at, TimerRef::Call(id, kind));
        if let Some(c) = self.calls.get_mut(&id) {
            if let Some(old) = c.timers.insert(kind, token) {
                self.unschedule(old);
            }
        } else {
            self.unschedule(token);
        }
    }

    pub(crate) fn disarm(&mut self, id: u64, kind: CallTimer) {
        if let Some(t) = self.calls.get_mut(&id).and_then(|c| c.timers.remove(&kind)) {
            self.unschedule(t);
        }
    }
}
