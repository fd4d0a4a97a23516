//! What the application does to a call (hang up, re-offer, DTMF), the
//! responses to our requests inside the dialog, session refresh and
//! expiry, glare retry, and ending calls.

use super::info::{dtmf_relay_body, is_dtmf};
use super::timer::uac_negotiated;
use super::{sdp_body, CallState, CallTimer};
use crate::endpoint::Endpoint;
use crate::types::ClientKey;
use crate::ua::{CallKey, EndReason, Pending, Purpose, Ua, UaError, UaEvent};
use bytes::Bytes;
use heron_sip::{HeaderName, Message, Method};
use rand_core::RngCore;
use std::time::{Duration, Instant};

impl Ua {
    /// Ends the call: CANCEL before an answer to our INVITE, 603 to an
    /// unanswered incoming call, BYE otherwise.
    pub fn hangup(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call.0).ok_or(UaError::Unknown)?;
        match c.state {
            CallState::Calling => {
                c.state = CallState::Cancelling;
                if let Some(k) = c.invite_client {
                    let _ = ep.cancel(now, k);
                }
                Ok(())
            }
            CallState::Cancelling | CallState::Ending => Ok(()),
            CallState::Incoming => self.reject(ep, now, call, 603),
            CallState::Answered | CallState::Confirmed => {
                if let Some(seq) = c.ack_pending.take() {
                    self.send_ack(ep, now, call.0, seq, None);
                }
                self.send_bye(ep, now, call.0, None);
                self.end_call_keep(call.0, EndReason::LocalHangup);
                Ok(())
            }
        }
    }

    /// Sends a new offer in a re-INVITE (hold, resume, codec change); the
    /// answer arrives as [`UaEvent::MediaUpdate`].
    pub fn reinvite(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        sdp: Bytes,
    ) -> Result<(), UaError> {
        self.offer(ep, now, call.0, Method::Invite, sdp)
    }

    /// Sends a new offer in an UPDATE (RFC 3311), also in early dialogs.
    pub fn update(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        sdp: Bytes,
    ) -> Result<(), UaError> {
        self.offer(ep, now, call.0, Method::Update, sdp)
    }

    fn offer(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        method: Method,
        sdp: Bytes,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&id).ok_or(UaError::Unknown)?;
        // An offer in a reliable provisional still waiting for its answer
        // (in the PRACK) counts as in progress too (RFC 3262 §5).
        let early_offer_open = c.held_pracks.iter().any(|h| h.offer)
            || c.unacked.as_ref().is_some_and(|u| u.offer)
            || c.queued_1xx.iter().any(|(_, offer)| *offer);
        if c.offer_out.is_some() || c.offer_in.is_some() || early_offer_open {
            return Err(UaError::State("an offer is already in progress"));
        }
        if method == Method::Invite && c.state != CallState::Confirmed {
            return Err(UaError::State("re-INVITE needs a confirmed call"));
        }
        let st = c.session_timer;
        let d = c.dialog.as_mut().ok_or(UaError::State("no dialog"))?;
        let mut m = d.request(method);
        m.append_header(HeaderName::Allow, &ep.config().allow_header());
        m.append_header(HeaderName::Supported, &ep.config().supported_header());
        if let Some(t) = st {
            m.append_header(HeaderName::SessionExpires, &t.header_as_uac());
        }
        m.set_body(Some("application/sdp"), sdp.clone());
        c.local_sdp = Some(sdp);
        let key = self.send_in_dialog(ep, now, id, m, Purpose::Offer)?;
        if let Some(c) = self.calls.get_mut(&id) {
            c.offer_out = Some(key);
        }
        Ok(())
    }

    /// Sends a DTMF digit in an INFO (`application/dtmf-relay`).
    pub fn send_dtmf(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        digit: char,
        duration_ms: u32,
    ) -> Result<(), UaError> {
        if !is_dtmf(digit) {
            return Err(UaError::Invalid(format!("{digit:?} is not a DTMF digit")));
        }
        let c = self.calls.get_mut(&call.0).ok_or(UaError::Unknown)?;
        let d = c.dialog.as_mut().ok_or(UaError::State("no dialog"))?;
        let mut m = d.request(Method::Info);
        m.set_body(
            Some("application/dtmf-relay"),
            Bytes::from(dtmf_relay_body(digit, duration_ms)),
        );
        self.send_in_dialog(ep, now, call.0, m, Purpose::Plain)
            .map(|_| ())
    }

    pub(crate) fn send_bye(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        reason: Option<&str>,
    ) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(d) = c.dialog.as_mut() else { return };
        let mut bye = d.request(Method::Bye);
        if let Some(r) = reason {
            bye.append_header(HeaderName::Reason, r);
        }
        c.state = CallState::Ending;
        let _ = self.send_in_dialog(ep, now, id, bye, Purpose::Plain);
    }

    /// Reports the end and forgets the call.
    pub(crate) fn end_call(&mut self, id: u64, reason: EndReason) {
        self.report_end(id, reason);
        self.finish(id);
    }

    /// Reports the end; the call stays until its BYE is answered.
    pub(crate) fn end_call_keep(&mut self, id: u64, reason: EndReason) {
        self.report_end(id, reason);
        let bye_pending = self.pending.values().any(|p| {
            matches!(p, Pending::InDialog { call, request, .. }
                if *call == id && request.method() == Some(&Method::Bye))
        });
        if !bye_pending {
            self.finish(id);
            return;
        }
        let timers: Vec<u64> = self
            .calls
            .get_mut(&id)
            .map(|c| c.timers.drain().map(|(_, t)| t).collect())
            .unwrap_or_default();
        for t in timers {
            self.unschedule(t);
        }
    }

    fn report_end(&mut self, id: u64, reason: EndReason) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.end.is_some() {
            return;
        }
        c.end = Some(reason.clone());
        if let Some(orig) = c.referred_by_call.take() {
            let status = match &reason {
                EndReason::Rejected { code, .. } => *code,
                EndReason::Timeout => 408,
                EndReason::LocalCancel => 487,
                _ => 503,
            };
            self.notify_queue.push((orig, status));
        }
        self.events.push_back(UaEvent::Terminated {
            call: CallKey(id),
            reason,
        });
    }

    fn finish(&mut self, id: u64) {
        let Some(c) = self.calls.remove(&id) else {
            return;
        };
        for (_, t) in c.timers {
            self.unschedule(t);
        }
        if let Some(k) = &c.dialog_key {
            self.dialogs.remove(k);
        }
        if let Some(k) = c.invite_server {
            self.invite_servers.remove(&k);
        }
        if self.calls.is_empty() {
            // Idle: give back what a burst of calls grew the tables to.
            if self.calls.capacity() > 1024 {
                self.calls.shrink_to_fit();
            }
            if self.dialogs.capacity() > 1024 {
                self.dialogs.shrink_to_fit();
            }
            if self.invite_servers.capacity() > 1024 {
                self.invite_servers.shrink_to_fit();
            }
        }
    }

    /// Sends the NOTIFYs queued for referrers.
    pub(crate) fn flush_notifies(&mut self, ep: &mut Endpoint, now: Instant) {
        for (orig, status) in std::mem::take(&mut self.notify_queue) {
            self.send_refer_notify(ep, now, orig, status);
        }
    }

    /// Arms the refresh or the expiry of the session timer.
    pub(crate) fn start_session_timer(&mut self, now: Instant, id: u64) {
        let Some(t) = self.calls.get(&id).and_then(|c| c.session_timer) else {
            self.disarm(id, CallTimer::SessionRefresh);
            self.disarm(id, CallTimer::SessionExpiry);
            return;
        };
        if t.we_refresh {
            self.disarm(id, CallTimer::SessionExpiry);
            self.arm(id, CallTimer::SessionRefresh, now + t.refresh_after());
        } else {
            self.disarm(id, CallTimer::SessionRefresh);
            self.arm(id, CallTimer::SessionExpiry, now + t.expire_after());
        }
    }

    pub(crate) fn call_timer(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        kind: CallTimer,
        token: u64,
    ) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.timers.get(&kind) != Some(&token) {
            return;
        }
        c.timers.remove(&kind);
        match kind {
            CallTimer::SessionRefresh => self.send_refresh(ep, now, id),
            CallTimer::SessionExpiry => {
                self.send_bye(ep, now, id, Some("SIP;cause=408;text=\"Session expired\""));
                self.end_call_keep(id, EndReason::SessionExpired);
            }
            CallTimer::Glare => {
                if let Some((method, sdp)) = c.glare_retry.take() {
                    let _ = self.offer(ep, now, id, method, sdp);
                }
            }
            _ => self.uas_timer(ep, now, id, kind),
        }
        self.flush_notifies(ep, now);
    }

    fn send_refresh(&mut self, ep: &mut Endpoint, now: Instant, id: u64) {
        let use_update = self.peer_allows(id, "UPDATE")
            && self
                .calls
                .get(&id)
                .is_some_and(|c| c.peer_update || !c.outgoing);
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.state != CallState::Confirmed || c.offer_out.is_some() || c.offer_in.is_some() {
            // Busy with another offer: try again shortly.
            self.arm(id, CallTimer::SessionRefresh, now + Duration::from_secs(2));
            return;
        }
        let Some(t) = c.session_timer else { return };
        let Some(d) = c.dialog.as_mut() else { return };
        let method = if use_update {
            Method::Update
        } else {
            Method::Invite
        };
        let mut m = d.request(method.clone());
        m.append_header(HeaderName::SessionExpires, &t.header_as_uac());
        m.append_header(HeaderName::Supported, "timer");
        if method == Method::Invite {
            if let Some(b) = c.local_sdp.clone() {
                m.set_body(Some("application/sdp"), b);
            }
        }
        if self
            .send_in_dialog(ep, now, id, m, Purpose::Refresh)
            .is_err()
        {
            self.end_call(id, EndReason::Transport("refresh could not be sent".into()));
        }
    }

    /// Routes a response to whoever sent the request.
    pub(crate) fn on_response(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        key: ClientKey,
        resp: Message,
    ) {
        match self.pending.get(&key) {
            Some(Pending::Register(id)) => {
                let id = *id;
                self.reg_response(ep, now, key, id, &resp);
            }
            Some(Pending::Invite(id)) => {
                let id = *id;
                self.on_invite_response(ep, now, key, id, resp);
            }
            Some(Pending::InDialog { .. }) => {
                let code = resp.status().unwrap_or(500);
                if code < 200 {
                    return;
                }
                let is_invite_2xx =
                    (200..300).contains(&code) && resp.cseq().is_ok_and(|c| c.method == "INVITE");
                // A re-INVITE's 2xx keeps coming until ACKed: keep the entry.
                let p = if is_invite_2xx {
                    match self.pending.get(&key) {
                        Some(Pending::InDialog {
                            call,
                            request,
                            purpose,
                        }) => Some((*call, request.clone(), *purpose)),
                        _ => None,
                    }
                } else {
                    match self.pending.remove(&key) {
                        Some(Pending::InDialog {
                            call,
                            request,
                            purpose,
                        }) => Some((call, request, purpose)),
                        _ => None,
                    }
                };
                if let Some((call, request, purpose)) = p {
                    self.on_in_dialog_response(ep, now, key, call, *request, purpose, resp);
                }
            }
            None => {}
        }
        self.flush_notifies(ep, now);
    }

    /// Timeout or transport failure of a client transaction, as a 408/503.
    pub(crate) fn on_client_failure(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        key: ClientKey,
        code: u16,
        text: &str,
    ) {
        match self.pending.remove(&key) {
            Some(Pending::Register(id)) => self.reg_failure(ep, now, key, id, code, text),
            Some(Pending::Invite(id)) => {
                let reason = if code == 408 {
                    EndReason::Timeout
                } else {
                    EndReason::Transport(text.to_owned())
                };
                self.end_call(id, reason);
            }
            Some(Pending::InDialog {
                call,
                request,
                purpose,
            }) => {
                let mut resp = Message::response_to(&request, code, None);
                resp.set_reason(text);
                self.on_in_dialog_response(ep, now, key, call, *request, purpose, resp);
            }
            None => {}
        }
        self.flush_notifies(ep, now);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_in_dialog_response(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        key: ClientKey,
        id: u64,
        request: Message,
        purpose: Purpose,
        resp: Message,
    ) {
        let code = resp.status().unwrap_or(500);
        let method = request.method().cloned().unwrap_or(Method::Options);
        if purpose == Purpose::ForkBye {
            return;
        }
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if method == Method::Bye {
            if c.end.is_some() {
                self.finish(id);
            }
            return;
        }
        if c.offer_out == Some(key) && code >= 200 {
            c.offer_out = None;
        }
        let ending = c.state == CallState::Ending;
        if matches!(code, 401 | 407) && self.retry_with_auth(ep, now, id, &request, purpose, &resp)
        {
            return;
        }
        if matches!(code, 408 | 481) && !ending {
            if code == 408 {
                self.send_bye(ep, now, id, None);
            }
            self.end_call_keep(id, EndReason::DialogLost(code));
            return;
        }
        if purpose == Purpose::Refer {
            self.on_refer_response(ep, now, id, &resp);
            return;
        }
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if (200..300).contains(&code) {
            if method == Method::Invite {
                let seq = resp.cseq().map(|s| s.seq).unwrap_or(0);
                if let Some(d) = c.dialog.as_mut() {
                    d.refresh_target(&resp);
                    let ack = d.ack(seq);
                    let hop = d.next_hop();
                    let peer = c.peer.clone();
                    if let Some(t) = self.target_for(&hop, peer.as_ref()) {
                        let _ = ep.send_stateless(now, ack, t);
                    }
                }
            } else if method == Method::Update {
                if let Some(d) = c.dialog.as_mut() {
                    d.refresh_target(&resp);
                }
            }
            let Some(c) = self.calls.get_mut(&id) else {
                return;
            };
            if matches!(purpose, Purpose::Offer | Purpose::Refresh) {
                if self.cfg.session_timer.is_some() {
                    if let Some(t) = uac_negotiated(&resp) {
                        c.session_timer = Some(t);
                    }
                }
                let sdp = sdp_body(&resp);
                let fresh = sdp
                    .as_ref()
                    .is_some_and(|s| Some(s) != c.remote_sdp.as_ref());
                if let Some(s) = sdp.clone() {
                    c.remote_sdp = Some(s);
                }
                // The 2xx retransmissions of a re-INVITE repeat the ACK only.
                let first = self
                    .pending
                    .get(&key)
                    .is_none_or(|_| !self.acked_reinvites.contains(&key));
                if method == Method::Invite {
                    self.acked_reinvites.insert(key);
                }
                if first {
                    self.start_session_timer(now, id);
                    if let (Some(s), Purpose::Offer) = (sdp, purpose) {
                        let _ = fresh;
                        self.events.push_back(UaEvent::MediaUpdate {
                            call: CallKey(id),
                            sdp: s,
                        });
                    }
                }
            }
            return;
        }
        if code == 491 && purpose == Purpose::Offer {
            // §14.1: the owner of the Call-ID waits 2.1–4 s, the other 0–2 s.
            let (lo, span) = if c.outgoing { (2100, 1900) } else { (0, 2000) };
            let wait = Duration::from_millis(lo + u64::from(self.rng.next_u32()) % span);
            if let Some(b) = sdp_body(&request) {
                c.glare_retry = Some((method, b));
                self.arm(id, CallTimer::Glare, now + wait);
            }
        }
    }

    fn retry_with_auth(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        request: &Message,
        purpose: Purpose,
        resp: &Message,
    ) -> bool {
        let Some(c) = self.calls.get_mut(&id) else {
            return false;
        };
        let Some(digest) = c.digest.as_mut() else {
            return false;
        };
        if request.has(HeaderName::Authorization) || request.has(HeaderName::ProxyAuthorization) {
            return false;
        }
        let (challenges, _) = heron_sip_auth::sip::challenges(resp);
        let Some(r) = heron_sip_auth::sip::request(request) else {
            return false;
        };
        let Ok(answers) = digest.respond(&challenges, &r, &mut *self.rng) else {
            return false;
        };
        let Some(d) = c.dialog.as_mut() else {
            return false;
        };
        let mut m = request.clone();
        let method = m.method().cloned().unwrap_or(Method::Options);
        m.set_header(HeaderName::CSeq, &format!("{} {method}", d.next_seq()));
        m.remove_header(HeaderName::UserAgent);
        heron_sip_auth::sip::set_answers(&mut m, &answers);
        self.send_in_dialog(ep, now, id, m, purpose).is_ok()
    }
}
