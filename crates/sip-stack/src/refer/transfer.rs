//! The user agent's transfers: REFER out (blind and attended) with the
//! NOTIFY progress it brings back, and REFER in (accept: place the new
//! call and NOTIFY its progress; reject).

use super::{refer_to, sipfrag, sipfrag_status};
use crate::endpoint::Endpoint;
use crate::session::{lists, ReferIn};
use crate::types::ServerKey;
use crate::ua::{CallKey, OutgoingCall, Pending, Purpose, Ua, UaError, UaEvent};
use bytes::Bytes;
use heron_sip::headers::{ReferTo, ReferredBy, SubscriptionState};
use heron_sip::{HeaderName, Message, Method};
use std::time::Instant;

impl Ua {
    /// Transfers the call to `target` (REFER, RFC 3515). With `replaces`,
    /// an attended transfer: the target's call `replaces` is named in an
    /// embedded Replaces (RFC 3891). Progress arrives as
    /// [`UaEvent::TransferProgress`].
    pub fn transfer(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        target: &str,
        replaces: Option<CallKey>,
    ) -> Result<(), UaError> {
        let rep = match replaces {
            Some(k) => {
                let other = self.calls.get(&k.0).ok_or(UaError::Unknown)?;
                let d = other
                    .dialog
                    .as_ref()
                    .ok_or(UaError::State("the replaced call has no dialog"))?;
                Some((
                    d.id.call_id.clone(),
                    d.id.remote_tag.clone(),
                    d.id.local_tag.clone(),
                ))
            }
            None => None,
        };
        // An anonymous caller stays anonymous to the party it transfers.
        let aor = if self.cfg.identity.is_anonymous() {
            "sip:anonymous@anonymous.invalid".to_owned()
        } else {
            self.cfg.identity.aor.clone()
        };
        let norefersub = self.cfg.norefersub;
        let c = self.calls.get_mut(&call.0).ok_or(UaError::Unknown)?;
        let d = c
            .dialog
            .as_mut()
            .ok_or(UaError::State("the call has no dialog"))?;
        let mut m = d.request(Method::Refer);
        let value = refer_to(
            target,
            rep.as_ref()
                .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())),
        );
        m.append_header(HeaderName::ReferTo, &value);
        m.append_header(HeaderName::ReferredBy, &format!("<{aor}>"));
        if norefersub {
            m.append_other("Refer-Sub", "false");
            m.append_header(HeaderName::Supported, "norefersub");
        }
        c.refer_out = true;
        self.send_in_dialog(ep, now, call.0, m, Purpose::Refer)
            .map(|_| ())
    }

    /// Accepts a REFER ([`UaEvent::TransferRequested`]): answers 202,
    /// places the call to the Refer-To target with offer `sdp` (with the
    /// embedded Replaces and Referred-By), and reports its progress to the
    /// referrer in NOTIFYs. Returns the new call.
    pub fn accept_transfer(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        sdp: Option<Bytes>,
    ) -> Result<CallKey, UaError> {
        let c = self.calls.get_mut(&call.0).ok_or(UaError::Unknown)?;
        let r = c.refer_in.as_mut().ok_or(UaError::State("no REFER"))?;
        let key = r
            .key
            .take()
            .ok_or(UaError::State("REFER already answered"))?;
        let refer_to_value = r
            .request
            .header_values(HeaderName::ReferTo)
            .next()
            .unwrap_or("")
            .to_owned();
        let referred_by = r
            .request
            .header_values(HeaderName::ReferredBy)
            .next()
            .map(str::to_owned);
        let mut ok = Message::response_to(&r.request, 202, None);
        if !r.subscription {
            ok.append_other("Refer-Sub", "false");
        }
        ep.send_response(now, key, ok)?;
        self.send_refer_notify(ep, now, call.0, 100);
        let parsed = heron_sip::TypedHeader::parse(&refer_to_value)
            .map_err(|e: heron_sip::ValueError| UaError::Invalid(e.to_string()));
        let rt: ReferTo = parsed?;
        let uri = rt.uri.to_string();
        let uri = uri.split('?').next().unwrap_or("").to_owned();
        let mut out = OutgoingCall::new(uri, sdp);
        if let Some(Ok(p)) = rt.replaces() {
            let mut v = format!("{};to-tag={};from-tag={}", p.call_id, p.to_tag, p.from_tag);
            if p.early_only {
                v.push_str(";early-only");
            }
            out.headers.push(("Replaces".into(), v));
        }
        if let Some(rb) = referred_by {
            out.headers.push(("Referred-By".into(), rb));
        }
        let new = self.call_with(ep, now, out)?;
        if let Some(n) = self.calls.get_mut(&new.0) {
            n.referred_by_call = Some(call.0);
        }
        Ok(new)
    }

    /// Rejects a REFER with `code` (603 Decline, 403, ...).
    pub fn reject_transfer(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        call: CallKey,
        code: u16,
    ) -> Result<(), UaError> {
        let c = self.calls.get_mut(&call.0).ok_or(UaError::Unknown)?;
        let r = c.refer_in.take().ok_or(UaError::State("no REFER"))?;
        let key = r.key.ok_or(UaError::State("REFER already answered"))?;
        let resp = Message::response_to(&r.request, code, None);
        ep.send_response(now, key, resp)?;
        Ok(())
    }

    /// A REFER in the dialog of call `id`.
    pub(crate) fn on_refer(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        key: ServerKey,
        req: Message,
    ) {
        let Some(Ok(rt)) = req.get::<ReferTo>() else {
            self.reply(ep, now, key, &req, 400);
            return;
        };
        let busy = self.calls.get(&id).is_some_and(|c| c.refer_in.is_some());
        if busy {
            self.reply(ep, now, key, &req, 491);
            return;
        }
        let target = rt.uri.to_string();
        let target = target.split('?').next().unwrap_or("").to_owned();
        let replaces = rt.replaces().and_then(Result::ok);
        let referred_by = req
            .get::<ReferredBy>()
            .and_then(Result::ok)
            .map(|r| r.uri.to_string());
        let subscription = !req
            .header_str("Refer-Sub")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        c.refer_in = Some(ReferIn {
            key: Some(key),
            request: req,
            subscription,
        });
        self.events.push_back(UaEvent::TransferRequested {
            call: CallKey(id),
            target,
            replaces,
            referred_by,
        });
    }

    /// A NOTIFY in the dialog of call `id` (our REFER's subscription).
    pub(crate) fn on_notify(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        key: ServerKey,
        req: Message,
    ) {
        let is_refer = req
            .header_values(HeaderName::Event)
            .next()
            .is_some_and(|e| e.trim().to_ascii_lowercase().starts_with("refer"));
        if !is_refer {
            self.reply(ep, now, key, &req, 489);
            return;
        }
        self.reply(ep, now, key, &req, 200);
        let Some(status) = sipfrag_status(req.body()) else {
            return;
        };
        let terminated = req
            .get::<SubscriptionState>()
            .and_then(Result::ok)
            .is_some_and(|s| s.state.eq_ignore_ascii_case("terminated"));
        let done = terminated || status >= 200;
        self.events.push_back(UaEvent::TransferProgress {
            call: CallKey(id),
            status,
            done,
        });
        if done {
            if let Some(c) = self.calls.get_mut(&id) {
                c.refer_out = false;
            }
            if (200..300).contains(&status) && self.cfg.end_call_after_transfer {
                let _ = self.hangup(ep, now, CallKey(id));
            }
        }
    }

    /// The response to our REFER.
    pub(crate) fn on_refer_response(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        resp: &Message,
    ) {
        let code = resp.status().unwrap_or(500);
        if (200..300).contains(&code) {
            let no_sub = resp
                .header_str("Refer-Sub")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
            self.events.push_back(UaEvent::TransferProgress {
                call: CallKey(id),
                status: code,
                done: no_sub,
            });
            if no_sub && self.cfg.end_call_after_transfer {
                let _ = self.hangup(ep, now, CallKey(id));
            }
        } else {
            if let Some(c) = self.calls.get_mut(&id) {
                c.refer_out = false;
            }
            self.events.push_back(UaEvent::TransferProgress {
                call: CallKey(id),
                status: code,
                done: true,
            });
        }
    }

    /// Tells the referrer in call `orig` how the call it asked for goes.
    pub(crate) fn send_refer_notify(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        orig: u64,
        status: u16,
    ) {
        let Some(c) = self.calls.get_mut(&orig) else {
            return;
        };
        let Some(r) = c.refer_in.as_ref() else { return };
        if !r.subscription {
            return;
        }
        let done = status >= 200;
        if done {
            c.refer_in = None;
        }
        let Some(d) = c.dialog.as_mut() else { return };
        let mut m = d.request(Method::Notify);
        m.append_header(HeaderName::Event, "refer");
        m.append_header(
            HeaderName::SubscriptionState,
            if done {
                "terminated;reason=noresource"
            } else {
                "active;expires=60"
            },
        );
        m.set_body(
            Some("message/sipfrag;version=2.0"),
            Bytes::from(sipfrag(status)),
        );
        let _ = self.send_in_dialog(ep, now, orig, m, Purpose::Plain);
    }

    /// Sends `m` (built from the call's dialog) and remembers why.
    pub(crate) fn send_in_dialog(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: u64,
        mut m: Message,
        purpose: Purpose,
    ) -> Result<crate::types::ClientKey, UaError> {
        let c = self.calls.get(&id).ok_or(UaError::Unknown)?;
        let d = c.dialog.as_ref().ok_or(UaError::State("no dialog"))?;
        let hop = d.next_hop();
        let target = self
            .target_for(&hop, c.peer.as_ref())
            .ok_or_else(|| UaError::NoRoute(hop.clone()))?;
        if matches!(
            m.method(),
            Some(Method::Invite | Method::Update | Method::Refer | Method::Notify)
        ) && !m.has(HeaderName::Contact)
        {
            m.append_header(HeaderName::Contact, &self.contact(ep, target.transport));
        }
        if let Some(ua) = &self.cfg.user_agent {
            m.append_header(HeaderName::UserAgent, ua);
        }
        let k = ep.send_request(now, m.clone(), target)?;
        self.pending.insert(
            k,
            Pending::InDialog {
                call: id,
                request: Box::new(m),
                purpose,
            },
        );
        Ok(k)
    }

    /// Whether the peer listed `method` in Allow (unknown: assume yes).
    pub(crate) fn peer_allows(&self, id: u64, method: &str) -> bool {
        self.calls.get(&id).is_none_or(|c| {
            !c.invite.has(HeaderName::Allow) || lists(&c.invite, HeaderName::Allow, method)
        })
    }
}
