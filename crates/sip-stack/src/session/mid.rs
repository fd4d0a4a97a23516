//! Requests from the peer inside a call's dialog: BYE, re-INVITE and
//! UPDATE (offers, hold/resume, session refreshes; glare answered 491),
//! PRACK, INFO (DTMF), REFER, NOTIFY and OPTIONS; and our answers to the
//! peer's offers.

use super::info::parse_dtmf;
use super::timer::{uas_negotiate, Negotiated};
use super::{origin_line, sdp_body, CallState, CallTimer};
use crate::endpoint::Endpoint;
use crate::types::{ServerKey, Source};
use crate::ua::{CallKey, EndReason, OfferVia, Ua, UaError, UaEvent};
use bytes::Bytes;
use heron_sip::{HeaderName, Message, Method};
use rand_core::RngCore;
use std::time::Instant;

impl Ua {
    pub(crate) fn on_in_dialog(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        key: ServerKey,
        req: Message,
        _source: Source,
    ) {
        let method = req.method().cloned().unwrap_or(Method::Options);
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let in_order = c.dialog.as_mut().is_some_and(|d| d.accept_remote_seq(&req));
        if !in_order {
            self.reply(ep, now, key, &req, 500);
            return;
        }
        match method {
            Method::Bye => {
                self.reply(ep, now, key, &req, 200);
                if let Some(k) = self.calls.get(&id).and_then(|c| {
                    (c.state == CallState::Incoming)
                        .then_some(c.invite_server)
                        .flatten()
                }) {
                    if let Some(c) = self.calls.get(&id) {
                        let tag = c.dialog.as_ref().map(|d| d.id.local_tag.as_str());
                        let r = Message::response_to(&c.invite, 487, tag);
                        let _ = ep.send_response(now, k, r);
                    }
                }
                let reason = crate::ua::reason_of(&req);
                self.end_call(id, EndReason::RemoteHangup { reason });
            }
            Method::Invite | Method::Update => self.on_offer(ep, now, id, key, req),
            Method::Prack => self.on_prack(ep, now, id, key, &req),
            Method::Info => {
                let ct = req
                    .header_values(HeaderName::ContentType)
                    .next()
                    .unwrap_or("")
                    .to_owned();
                self.reply(ep, now, key, &req, 200);
                if let Some((digit, duration_ms)) = parse_dtmf(&ct, req.body()) {
                    self.events.push_back(UaEvent::Dtmf {
                        call: CallKey(id),
                        digit,
                        duration_ms,
                    });
                }
            }
            Method::Refer => self.on_refer(ep, now, id, key, req),
            Method::Notify => self.on_notify(ep, now, id, key, req),
            Method::Options => self.reply(ep, now, key, &req, 200),
            Method::Message => self.reply(ep, now, key, &req, 200),
            _ => self.reply(ep, now, key, &req, 405),
        }
    }

    /// A 200 to an in-dialog request with our Contact and capabilities and
    /// the session timer, if one runs.
    fn dialog_ok(&self, ep: &Endpoint, id: u64, req: &Message) -> Message {
        let mut r = Message::response_to(req, 200, None);
        let transport = self
            .calls
            .get(&id)
            .and_then(|c| c.peer.as_ref().map(|p| p.transport))
            .unwrap_or(self.cfg.transport);
        r.append_header(HeaderName::Contact, &self.contact(ep, transport));
        self.capabilities(ep, &mut r);
        if let Some(t) = self.calls.get(&id).and_then(|c| c.session_timer) {
            r.append_header(HeaderName::SessionExpires, &t.header_as_uas());
            // Only a UAC that supports timers may be required to (§9).
            if super::lists(req, HeaderName::Supported, "timer") {
                r.append_header(HeaderName::Require, "timer");
            }
        }
        if let Some(ua) = &self.cfg.user_agent {
            r.append_header(HeaderName::Server, ua);
        }
        r
    }

    /// re-INVITE or UPDATE from the peer.
    fn on_offer(&mut self, ep: &mut Endpoint, now: Instant, id: u64, key: ServerKey, req: Message) {
        let is_invite = req.method() == Some(&Method::Invite);
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let sdp = sdp_body(&req);
        // §14.2 / RFC 3311 §5.2: glare.
        if (sdp.is_some() || is_invite) && c.offer_out.is_some() {
            self.reply(ep, now, key, &req, 491);
            return;
        }
        if c.offer_in.is_some() || (is_invite && c.final_2xx.is_some()) {
            let tag = ep.new_tag();
            let mut r = Message::response_to(&req, 500, Some(&tag));
            let secs = self.rng.next_u32() % 10;
            r.append_header(HeaderName::RetryAfter, &secs.to_string());
            let _ = ep.send_response(now, key, r);
            return;
        }
        if let Some(st) = self.cfg.session_timer {
            match uas_negotiate(&req, st.expires, st.min_se) {
                Negotiated::TooSmall(min) => {
                    let mut r = Message::response_to(&req, 422, None);
                    r.append_header(HeaderName::MinSe, &min.to_string());
                    let _ = ep.send_response(now, key, r);
                    return;
                }
                Negotiated::Timer(t) => {
                    if let Some(c) = self.calls.get_mut(&id) {
                        c.session_timer = Some(t);
                    }
                }
                Negotiated::None => {
                    if let Some(c) = self.calls.get_mut(&id) {
                        c.session_timer = None;
                    }
                }
            }
        }
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(d) = c.dialog.as_mut() {
            d.refresh_target(&req);
        }
        let unchanged = match (&sdp, &c.remote_sdp) {
            (Some(new), Some(old)) => {
                origin_line(new).is_some() && origin_line(new) == origin_line(old)
            }
            (None, _) => true,
            _ => false,
        };
        if unchanged {
            // A session refresh (same SDP version, RFC 3264 §8) or a
            // request without offer: answer with what we have.
            let ours = if is_invite { c.local_sdp.clone() } else { None };
            c.offer_in = Some((key, req));
            let _ = self.respond_offer_inner(ep, now, id, ours, false);
            return;
        }
        c.offer_in = Some((key, req));
        self.events.push_back(UaEvent::OfferReceived {
            call: CallKey(id),
            sdp,
            via: if is_invite {
                OfferVia::ReInvite
            } else {
                OfferVia::Update
            },
        });
    }

    /// Answers the peer's offer ([`UaEvent::OfferReceived`]) with our SDP:
    /// the answer, or our offer when the re-INVITE had none (its answer
    /// then comes in the ACK as [`UaEvent::MediaUpdate`]).
    pub fn respond_offer(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        sdp: Bytes,
    ) -> Result<(), UaError> {
        self.respond_offer_inner(ep, now, call.0, Some(sdp), true)
    }

    fn respond_offer_inner(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        sdp: Option<Bytes>,
        new_offer: bool,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&id).ok_or(UaError::Unknown)?;
        let (key, req) = c
            .offer_in
            .take()
            .ok_or(UaError::State("no offer pending"))?;
        if new_offer {
            if let Some(b) = sdp_body(&req) {
                c.remote_sdp = Some(b);
            }
        }
        let mut r = self.dialog_ok(ep, id, &req);
        if let Some(b) = sdp.clone() {
            r.set_body(Some("application/sdp"), b);
        }
        let c = self.calls.get_mut(&id).ok_or(UaError::Unknown)?;
        if new_offer {
            if let Some(b) = sdp {
                c.local_sdp = Some(b);
            }
        }
        let is_invite = req.method() == Some(&Method::Invite);
        if is_invite {
            c.final_2xx = Some((key, r.clone()));
            c.retransmit_interval = ep.config().timers.t1;
            let reliable = c.peer.as_ref().is_some_and(|p| p.transport.is_reliable());
            ep.send_response(now, key, r)?;
            let t1 = ep.config().timers.t1;
            if !reliable {
                self.arm(id, CallTimer::Retransmit2xx, now + t1);
            }
            self.arm(id, CallTimer::AckTimeout, now + t1 * 64);
        } else {
            ep.send_response(now, key, r)?;
        }
        self.start_session_timer(now, id);
        Ok(())
    }

    /// Rejects the peer's offer with `code` (488 Not Acceptable Here).
    pub fn reject_offer(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        code: u16,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call.0).ok_or(UaError::Unknown)?;
        let (key, req) = c
            .offer_in
            .take()
            .ok_or(UaError::State("no offer pending"))?;
        let r = Message::response_to(&req, code, None);
        ep.send_response(now, key, r)?;
        Ok(())
    }
}
