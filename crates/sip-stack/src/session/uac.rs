//! Outgoing calls: the INVITE, its provisional and final responses,
//! forking (keep the first 2xx, ACK and BYE the others), CANCEL, digest
//! authentication and the 422 retry.

use super::timer::{min_se_of, uac_negotiated};
use super::{lists, sdp_body, Call, CallState, EarlyOffer, HeldPrack};
use crate::dialog::Dialog;
use crate::endpoint::Endpoint;
use crate::types::{ClientKey, Target};
use crate::ua::{
    CallKey, EndReason, FailureKind, Pending, PrackMode, Purpose, Ua, UaError, UaEvent,
};
use bytes::Bytes;
use heron_sip::headers::RSeq;
use heron_sip::{HeaderName, Message, Method};
use std::time::Instant;

/// An outgoing call's parameters beyond the target URI.
#[derive(Debug, Clone, Default)]
pub struct OutgoingCall {
    /// The Request-URI (and To).
    pub to: String,
    /// Our offer; `None` sends the INVITE without one (the offer comes in
    /// the 2xx, the answer goes in the ACK).
    pub sdp: Option<Bytes>,
    /// Extra headers (`Replaces`, `Referred-By`, `Alert-Info`, ...).
    pub headers: Vec<(String, String)>,
    /// Where to send the INVITE; from the URI or the proxy when `None`.
    pub target: Option<Target>,
}

impl OutgoingCall {
    /// A call to `to` with offer `sdp`.
    pub fn new(to: impl Into<String>, sdp: Option<Bytes>) -> OutgoingCall {
        OutgoingCall {
            to: to.into(),
            sdp,
            ..OutgoingCall::default()
        }
    }
}

impl Ua {
    /// Places a call to `to` with the SDP offer `sdp`.
    pub fn call(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        to: &str,
        sdp: Option<Bytes>,
    ) -> Result<CallKey, UaError> {
        self.call_with(ep, now, OutgoingCall::new(to, sdp))
    }

    /// Places a call with all parameters.
    pub fn call_with(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        req: OutgoingCall,
    ) -> Result<CallKey, UaError> {
        let uri = match req.to.find('?') {
            Some(i) => &req.to[..i],
            None => &req.to,
        };
        heron_sip::Uri::parse(uri).map_err(|e| UaError::Invalid(e.to_string()))?;
        let target = match req.target.clone() {
            Some(t) => t,
            None => self
                .target_for(uri, None)
                .ok_or_else(|| UaError::NoRoute(uri.to_owned()))?,
        };
        let tag = ep.new_tag();
        let call_id = ep.new_call_id();
        let mut m = Message::request(Method::Invite, uri);
        let id = &self.cfg.identity;
        m.append_header(HeaderName::From, &format!("{};tag={tag}", id.from_value()));
        m.append_header(HeaderName::To, &format!("<{uri}>"));
        m.append_header(HeaderName::CallId, &call_id);
        m.append_header(HeaderName::CSeq, "1 INVITE");
        m.append_header(HeaderName::Contact, &self.contact(ep, target.transport));
        if let Some(p) = &id.preferred {
            m.append_header(HeaderName::PPreferredIdentity, p);
        }
        if let Some(p) = &id.asserted {
            m.append_header(HeaderName::PAssertedIdentity, p);
        }
        if !id.privacy.is_empty() {
            m.append_header(HeaderName::Privacy, &id.privacy.join(";"));
        }
        m.append_header(HeaderName::Allow, &ep.config().allow_header());
        m.append_header(HeaderName::Supported, &ep.config().supported_header());
        if self.cfg.prack == PrackMode::Required {
            m.append_header(HeaderName::Require, "100rel");
        }
        let mut call = Call::new(true, Message::response(100));
        if let Some(st) = self.cfg.session_timer {
            m.append_header(HeaderName::SessionExpires, &st.expires.to_string());
            m.append_header(HeaderName::MinSe, &st.min_se.to_string());
            call.se_request = Some(st.expires);
            call.min_se = st.min_se;
        }
        if let Some(ua) = &self.cfg.user_agent {
            m.append_header(HeaderName::UserAgent, ua);
        }
        for (n, v) in &req.headers {
            m.append_other(n, v);
        }
        if let Some(sdp) = &req.sdp {
            m.set_body(Some("application/sdp"), sdp.clone());
        }
        call.offer_in_invite = req.sdp.is_some();
        call.local_sdp = req.sdp;
        call.peer = Some(target.clone());
        call.digest = self
            .cfg
            .credentials
            .clone()
            .map(|c| heron_sip_auth::DigestClient::new([c]));
        call.invite = m.clone();
        let key = ep.send_request(now, m, target)?;
        let id = self.alloc();
        call.invite_client = Some(key);
        self.pending.insert(key, Pending::Invite(id));
        call.dialog_key = Some((call_id.clone(), tag.clone()));
        self.dialogs.insert((call_id, tag), id);
        self.calls.insert(id, Box::new(call));
        Ok(CallKey(id))
    }

    /// Sends the ACK with our answer to the offer a 2xx carried (when our
    /// INVITE had none; see [`UaEvent::Answered`]).
    pub fn ack_answer(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        sdp: Bytes,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call.0).ok_or(UaError::Unknown)?;
        let seq = c
            .ack_pending
            .take()
            .ok_or(UaError::State("no ACK pending"))?;
        c.local_sdp = Some(sdp.clone());
        self.send_ack(ep, now, call.0, seq, Some(sdp));
        Ok(())
    }

    /// Builds, sends and remembers the ACK for the 2xx of the dialog.
    pub(crate) fn send_ack(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        seq: u32,
        sdp: Option<Bytes>,
    ) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(d) = c.dialog.as_ref() else { return };
        let mut ack = d.ack(seq);
        for h in c.invite.headers() {
            if matches!(
                h.name,
                HeaderName::Authorization | HeaderName::ProxyAuthorization
            ) {
                ack.append_header(h.name, h.value);
            }
        }
        if let Some(b) = sdp {
            ack.set_body(Some("application/sdp"), b);
        }
        let tag = d.id.remote_tag.clone();
        let hop = d.next_hop();
        c.acks.insert(tag, ack.clone());
        let peer = c.peer.clone();
        if let Some(t) = self.target_for(&hop, peer.as_ref()) {
            let _ = ep.send_stateless(now, ack, t);
        }
    }

    pub(crate) fn on_invite_response(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        key: ClientKey,
        id: u64,
        resp: Message,
    ) {
        let code = resp.status().unwrap_or(500);
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let tag = resp
            .to_header()
            .ok()
            .and_then(|t| t.tag())
            .map(str::to_owned);
        if code == 100 {
            return;
        }
        if code < 200 {
            let Some(tag) = tag else {
                self.events.push_back(UaEvent::Progress {
                    call: CallKey(id),
                    code,
                    sdp: sdp_body(&resp),
                });
                return;
            };
            let same = c.dialog.as_ref().map(|d| d.id.remote_tag == tag);
            match same {
                None => c.dialog = Dialog::uac(&c.invite, &resp).ok(),
                Some(true) => {
                    if let Some(d) = c.dialog.as_mut() {
                        d.refresh_target(&resp);
                    }
                }
                Some(false) => {
                    if !c.forks.contains_key(&tag) {
                        if let Ok(d) = Dialog::uac(&c.invite, &resp) {
                            c.forks.insert(tag.clone(), d);
                        }
                    }
                }
            }
            let mut sdp = sdp_body(&resp);
            if sdp.is_some() && c.offer_in_invite {
                c.remote_sdp = sdp.clone();
            }
            if c.early_offers.contains_key(&tag) {
                // RFC 6337 §3.1.2: SDP after the early offer is ignored.
                sdp = None;
            }
            let reliable = lists(&resp, HeaderName::Require, "100rel");
            let rseq = resp.get::<RSeq>().and_then(Result::ok).map(|r| r.0);
            let mut fresh = true;
            if let (true, Some(rseq)) = (reliable, rseq) {
                let last = c.rseqs.get(&tag).copied();
                if last.is_some_and(|l| rseq <= l) {
                    fresh = false;
                } else {
                    c.rseqs.insert(tag.clone(), rseq);
                    let invite_seq = c.invite.cseq().map(|s| s.seq).unwrap_or(1);
                    let held = HeldPrack {
                        tag: tag.clone(),
                        rseq,
                        invite_seq,
                        offer: false,
                    };
                    match sdp.clone() {
                        // RFC 3262 §5: an offer in a reliable provisional;
                        // its answer goes in the PRACK.
                        Some(offer) if !c.offer_in_invite => {
                            c.early_offers.insert(
                                tag.clone(),
                                EarlyOffer {
                                    remote: offer.clone(),
                                    local: None,
                                },
                            );
                            c.held_pracks.push_back(HeldPrack {
                                offer: true,
                                ..held
                            });
                            self.events.push_back(UaEvent::EarlyOffer {
                                call: CallKey(id),
                                code,
                                sdp: offer,
                            });
                            return;
                        }
                        // PRACKs go in RSeq order: wait behind a held one.
                        _ if c.held_pracks.iter().any(|h| h.tag == tag) => {
                            c.held_pracks.push_back(held);
                        }
                        _ => self.send_prack(ep, now, id, &tag, rseq, invite_seq, None),
                    }
                }
            }
            if fresh {
                self.events.push_back(UaEvent::Progress {
                    call: CallKey(id),
                    code,
                    sdp,
                });
            }
            return;
        }
        if code < 300 {
            self.on_invite_2xx(ep, now, id, tag.unwrap_or_default(), resp);
            return;
        }
        // A final failure.
        if matches!(code, 401 | 407) && self.retry_invite_with_auth(ep, now, id, &resp) {
            return;
        }
        if code == 422 {
            let c = self.calls.get_mut(&id);
            if let (Some(c), Some(min)) = (c, min_se_of(&resp)) {
                if c.se_request.is_none_or(|s| min > s) {
                    c.se_request = Some(min);
                    c.min_se = c.min_se.max(min);
                    let mut m = c.invite.clone();
                    m.set_header(HeaderName::SessionExpires, &min.to_string());
                    m.set_header(HeaderName::MinSe, &min.to_string());
                    if self.resend_invite(ep, now, id, m) {
                        return;
                    }
                }
            }
        }
        let _ = key;
        let reason = match self.calls.get(&id) {
            Some(c) if c.state == CallState::Cancelling && code == 487 => EndReason::LocalCancel,
            _ => EndReason::Rejected {
                kind: FailureKind::of(code),
                code,
                phrase: resp.reason().unwrap_or("").to_owned(),
                reason: crate::ua::reason_of(&resp),
            },
        };
        self.end_call(id, reason);
    }

    fn on_invite_2xx(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        tag: String,
        resp: Message,
    ) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let invite_seq = resp.cseq().map(|s| s.seq).unwrap_or(1);
        let confirmed = matches!(c.state, CallState::Confirmed | CallState::Ending)
            || c.acks.values().next().is_some()
            || c.ack_pending.is_some();
        if confirmed {
            let ours = c.dialog.as_ref().is_some_and(|d| d.id.remote_tag == tag);
            if ours {
                // A retransmitted 2xx: repeat the ACK.
                if let Some(ack) = c.acks.get(&tag).cloned() {
                    let hop = c.dialog.as_ref().map(|d| d.next_hop()).unwrap_or_default();
                    let peer = c.peer.clone();
                    if let Some(t) = self.target_for(&hop, peer.as_ref()) {
                        let _ = ep.send_stateless(now, ack, t);
                    }
                }
            } else {
                self.ack_and_bye_fork(ep, now, id, &resp, invite_seq);
            }
            return;
        }
        let mut d = match c.dialog.take() {
            Some(d) if d.id.remote_tag == tag => d,
            other => {
                if let Some(o) = other {
                    c.forks.insert(o.id.remote_tag.clone(), o);
                }
                match c.forks.remove(&tag) {
                    Some(d) => d,
                    None => match Dialog::uac(&c.invite, &resp) {
                        Ok(d) => d,
                        Err(_) => return,
                    },
                }
            }
        };
        d.confirm_uac(&resp);
        c.dialog = Some(d);
        c.forks.clear();
        // An offer/answer that happened in this early dialog (RFC 3262 §5)
        // is the session's; PRACKs still held are moot after the 2xx.
        let early = c.early_offers.remove(&tag);
        c.early_offers.clear();
        c.held_pracks.clear();
        c.peer_update = lists(&resp, HeaderName::Allow, "UPDATE");
        let cancelling = c.state == CallState::Cancelling;
        c.state = CallState::Confirmed;
        if self.cfg.session_timer.is_some() {
            c.session_timer = uac_negotiated(&resp);
        }
        let mut sdp = sdp_body(&resp);
        // The ACK can go at once unless it must carry our answer.
        let mut ack_now = c.offer_in_invite;
        match early {
            Some(EarlyOffer {
                remote,
                local: Some(local),
            }) => {
                // Negotiated in the early dialog; SDP in the 2xx is ignored.
                c.remote_sdp = Some(remote);
                c.local_sdp = Some(local);
                sdp = None;
                ack_now = true;
            }
            Some(EarlyOffer {
                remote,
                local: None,
            }) => {
                // The 2xx came before the application answered the early
                // offer: the answer goes in the ACK instead.
                sdp = Some(remote);
            }
            None => {}
        }
        let offer_in_invite = ack_now;
        if ack_now {
            if c.offer_in_invite && sdp.is_some() {
                c.remote_sdp = sdp.clone();
            }
            self.send_ack(ep, now, id, invite_seq, None);
        } else {
            c.remote_sdp = sdp.clone();
            c.ack_pending = Some(invite_seq);
        }
        if cancelling {
            // CANCEL lost the race against the 2xx: ACK (done) and BYE.
            if !offer_in_invite {
                let empty = self.calls.get_mut(&id).and_then(|c| c.ack_pending.take());
                if let Some(seq) = empty {
                    self.send_ack(ep, now, id, seq, None);
                }
            }
            self.send_bye(ep, now, id, None);
            self.end_call_keep(id, EndReason::LocalCancel);
            return;
        }
        self.events.push_back(UaEvent::Answered {
            call: CallKey(id),
            sdp,
        });
        if let Some(orig) = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.referred_by_call.take())
        {
            self.notify_queue.push((orig, 200));
        }
        self.start_session_timer(now, id);
    }

    /// A 2xx from a second fork: ACK it and end that dialog at once.
    fn ack_and_bye_fork(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        resp: &Message,
        invite_seq: u32,
    ) {
        let Some(c) = self.calls.get(&id) else { return };
        let Ok(mut d) = Dialog::uac(&c.invite, resp) else {
            return;
        };
        d.confirm_uac(resp);
        let hop = d.next_hop();
        let Some(target) = self.target_for(&hop, c.peer.as_ref()) else {
            return;
        };
        let ack = d.ack(invite_seq);
        let _ = ep.send_stateless(now, ack, target.clone());
        let mut bye = d.request(Method::Bye);
        bye.append_header(
            HeaderName::Reason,
            "SIP;cause=200;text=\"Call completed elsewhere\"",
        );
        if let Ok(k) = ep.send_request(now, bye.clone(), target) {
            self.pending.insert(
                k,
                Pending::InDialog {
                    call: id,
                    request: Box::new(bye),
                    purpose: Purpose::ForkBye,
                },
            );
        }
    }

    fn retry_invite_with_auth(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        resp: &Message,
    ) -> bool {
        let Some(c) = self.calls.get_mut(&id) else {
            return false;
        };
        if c.state == CallState::Cancelling || c.auth_rounds >= 2 {
            return false;
        }
        let Some(digest) = c.digest.as_mut() else {
            return false;
        };
        c.auth_rounds += 1;
        let (challenges, _) = heron_sip_auth::sip::challenges(resp);
        let uri = c.invite.request_uri_str().unwrap_or("").to_owned();
        let req = heron_sip_auth::Request::new("INVITE", &uri)
            .with_body(c.invite.body())
            .retrying(&c.answers);
        let Ok(answers) = digest.respond(&challenges, &req, &mut *self.rng) else {
            return false;
        };
        let mut m = c.invite.clone();
        heron_sip_auth::sip::set_answers(&mut m, &answers);
        c.answers = answers;
        self.resend_invite(ep, now, id, m)
    }

    /// Sends `m` as the call's INVITE with the next CSeq.
    fn resend_invite(&mut self, ep: &mut Endpoint, now: Instant, id: u64, mut m: Message) -> bool {
        let Some(c) = self.calls.get_mut(&id) else {
            return false;
        };
        let seq = m.cseq().map(|s| s.seq).unwrap_or(1) + 1;
        m.set_header(HeaderName::CSeq, &format!("{seq} INVITE"));
        let Some(target) = c.peer.clone() else {
            return false;
        };
        c.invite = m.clone();
        match ep.send_request(now, m, target) {
            Ok(k) => {
                c.invite_client = Some(k);
                self.pending.insert(k, Pending::Invite(id));
                true
            }
            Err(_) => false,
        }
    }

    /// Answers the offer of a [`UaEvent::EarlyOffer`]: the answer goes in
    /// the PRACK for the reliable provisional that carried it (RFC 3262
    /// §5), and the offer with this answer describe the early media. With
    /// several early offers waiting (forks), the oldest is answered. If
    /// the 2xx came first, the answer goes in the ACK instead (as
    /// [`Ua::ack_answer`]).
    pub fn prack_answer(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        sdp: Bytes,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call.0).ok_or(UaError::Unknown)?;
        if c.ack_pending.is_some() {
            return self.ack_answer(ep, now, call, sdp);
        }
        let i = c
            .held_pracks
            .iter()
            .position(|h| h.offer)
            .ok_or(UaError::State("no early offer waiting for an answer"))?;
        let tag = c.held_pracks[i].tag.clone();
        if let Some(e) = c.early_offers.get_mut(&tag) {
            e.local = Some(sdp.clone());
            if c.dialog.as_ref().is_some_and(|d| d.id.remote_tag == tag) {
                c.remote_sdp = Some(e.remote.clone());
                c.local_sdp = Some(sdp.clone());
            }
        }
        // Send this dialog's held PRACKs in RSeq order: the offer's first
        // (with the answer), then those of provisionals that followed it.
        let mut send = Vec::new();
        c.held_pracks.retain(|h| {
            if h.tag == tag {
                send.push(h.clone());
            }
            h.tag != tag
        });
        for h in send {
            let body = h.offer.then(|| sdp.clone());
            self.send_prack(ep, now, call.0, &h.tag, h.rseq, h.invite_seq, body);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn send_prack(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        tag: &str,
        rseq: u32,
        invite_seq: u32,
        sdp: Option<Bytes>,
    ) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let d = match c.dialog.as_mut() {
            Some(d) if d.id.remote_tag == tag => d,
            _ => match c.forks.get_mut(tag) {
                Some(d) => d,
                None => return,
            },
        };
        let mut prack = d.request(Method::Prack);
        prack.append_header(HeaderName::RAck, &format!("{rseq} {invite_seq} INVITE"));
        if let Some(b) = sdp {
            prack.set_body(Some("application/sdp"), b);
        }
        let hop = d.next_hop();
        let peer = c.peer.clone();
        let Some(target) = self.target_for(&hop, peer.as_ref()) else {
            return;
        };
        if let Ok(k) = ep.send_request(now, prack.clone(), target) {
            self.pending.insert(
                k,
                Pending::InDialog {
                    call: id,
                    request: Box::new(prack),
                    purpose: Purpose::Plain,
                },
            );
        }
    }
}
