//! Received messages: parsing, stateless rejection, matching to
//! transactions (§17.1.3, §17.2.3 with the RFC 2543 fallback), CANCEL.

use super::{slot_add, stun, Endpoint};
use crate::core::Route;
use crate::stateless::{self, Rejection};
use crate::transaction::{client, server, Kind, Rfc2543, ServerPart, State, Transaction};
use crate::types::{Event, ServerKey, Source, TransportKind};
use crate::via::{self, ResponseRoute};
use bytes::Bytes;
use heron_sip::{HeaderName, Message, Method, ParseError, ParseErrorKind};
use std::net::SocketAddr;
use std::time::Instant;

/// The RFC 2543 matching key (§17.2.3): Request-URI, From tag, Call-ID,
/// CSeq number and top Via; the method and To tag are checked apart.
fn key_2543(msg: &Message) -> Option<String> {
    let from_tag = msg.from_header().ok()?.tag().unwrap_or("").to_owned();
    let cseq = msg.cseq().ok()?.seq;
    let via = msg.header_values(heron_sip::HeaderName::Via).next()?;
    let (top, _) = via::split_first(via);
    Some(format!(
        "{}\n{}\n{}\n{}\n{}",
        msg.request_uri_str().unwrap_or(""),
        from_tag,
        msg.call_id().ok()?,
        cseq,
        top
    ))
}

/// The method of a validated message's CSeq, read as the CSeq parser
/// reads it (after the number and the white space that ends it) without
/// parsing the number again.
fn cseq_method(msg: &Message) -> Option<&str> {
    let value = msg.header_values(HeaderName::CSeq).next()?;
    let b = value.as_bytes();
    let lws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = b.iter().position(|c| !lws(c))?;
    let sp = start + b[start..].iter().position(u8::is_ascii_whitespace)?;
    let from = sp + b[sp..].iter().position(|c| !lws(c))?;
    let to = b.iter().rposition(|c| !lws(c))? + 1;
    value.get(from..to)
}

impl Endpoint {
    /// A datagram arrived on `local` from `remote`.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        transport: TransportKind,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: Bytes,
    ) {
        if stun::is_stun(&bytes) {
            self.handle_stun(local, remote, &bytes);
            return;
        }
        let source = Source {
            transport,
            local,
            remote,
            connection: None,
        };
        match Message::parse(bytes.clone()) {
            Ok(msg) => self.handle_message(now, msg, source),
            Err(e) if e.kind == ParseErrorKind::Empty => {}
            Err(e) => self.reject_unparsed(&bytes, &e, source),
        }
    }

    /// A request we cannot parse: a best-effort 400 to the source.
    fn reject_unparsed(&mut self, bytes: &[u8], e: &ParseError, source: Source) {
        let tag = self.core.new_tag();
        if let Some(resp) = stateless::raw_bad_request(bytes, e, &tag) {
            let mut route = Route {
                transport: source.transport,
                local: source.local,
                remote: source.remote,
                connection: source.connection,
                server_name: None,
                ttl: None,
            };
            let _ = self.core.send(&mut route, resp);
        }
    }

    pub(crate) fn handle_message(&mut self, now: Instant, msg: Message, source: Source) {
        self.observe_received(&msg, source);
        if msg.is_request() {
            self.handle_request(now, msg, source);
        } else {
            self.handle_response(now, msg, source);
        }
    }

    fn send_stateless_response(&mut self, resp: &Message, route: ResponseRoute) {
        let mut r = Route {
            transport: route.source.transport,
            local: route.source.local,
            remote: route.addr,
            connection: route.source.connection,
            server_name: None,
            ttl: route.ttl,
        };
        let _ = self.core.send(&mut r, resp.to_bytes());
    }

    fn handle_request(&mut self, now: Instant, mut msg: Message, source: Source) {
        let is_ack = msg.method() == Some(&Method::Ack);
        if let Err(e) = msg.validate() {
            if !is_ack {
                let rej = stateless::malformed(&e);
                let route = via::stamp(&mut msg, source, true, &mut self.core.scratch_text)
                    .map_or(ResponseRoute::to_source(source), |t| t.route);
                let tag = self.core.new_tag();
                let resp = rej.response(&msg, &tag, self.core.cfg.server_name.as_deref());
                self.send_stateless_response(&resp, route);
            }
            return;
        }
        // The top Via is parsed once, here; what matching needs is kept.
        let force = self.core.cfg.force_rport;
        let Some(top) = via::stamp(&mut msg, source, force, &mut self.core.scratch_text) else {
            return;
        };
        let branch = top.branch(&msg);
        let rfc3261 =
            branch.len() > via::MAGIC_COOKIE.len() && branch.starts_with(via::MAGIC_COOKIE);
        let branch = if rfc3261 { branch } else { "" };
        let method = msg.method().cloned().unwrap_or(Method::Ack);
        let k2543 = if rfc3261 { None } else { key_2543(&msg) };
        let ack_to_tag = if is_ack && !rfc3261 {
            msg.to_header()
                .ok()
                .and_then(|t| t.tag().map(str::to_owned))
        } else {
            None
        };
        let bkey = rfc3261.then(|| self.branch_key(branch));
        let want = if is_ack { &Method::Invite } else { &method };
        let found = self.find_server(
            bkey,
            k2543.as_deref(),
            top.sent_by,
            want,
            ack_to_tag.as_deref(),
            is_ack,
        );
        if let Some(id) = found {
            if let Some(tx) = self.txs.get_mut(&id) {
                server::on_request(tx, &mut self.core, now, msg, source);
            }
            self.reap(id);
            return;
        }
        if is_ack {
            self.core.events.push_back(Event::Ack {
                request: msg,
                source,
            });
            return;
        }
        let kind = if method == Method::Invite {
            Kind::ServerInvite
        } else {
            Kind::ServerNonInvite
        };
        let id = self.core.alloc_id();
        let tx_route = Route {
            transport: source.transport,
            local: source.local,
            remote: top.route.addr,
            connection: source.connection,
            server_name: None,
            ttl: top.route.ttl,
        };
        let mut part = ServerPart {
            sent_by: top.sent_by,
            ..ServerPart::default()
        };
        if kind == Kind::ServerInvite {
            part.request = Some(Box::new(msg.clone()));
        }
        if let Some(b) = bkey {
            slot_add(&mut self.server_by_branch, b, id);
            part.branch = Some(b);
        } else if let Some(k) = &k2543 {
            let k: Box<str> = k.as_str().into();
            slot_add(&mut self.server_2543, k.clone(), id);
            part.rfc2543 = Some(Box::new(Rfc2543 {
                key: k,
                to_tag: None,
            }));
        }
        let invite = if method == Method::Cancel {
            self.find_server(
                bkey,
                k2543.as_deref(),
                top.sent_by,
                &Method::Invite,
                None,
                false,
            )
        } else {
            None
        };
        let tx = Transaction::server(id, kind, tx_route, method, part);
        let is_cancel = tx.method == Method::Cancel;
        self.txs.insert(id, Box::new(tx));
        if is_cancel {
            self.answer_cancel(now, id, invite, msg);
            return;
        }
        match stateless::check_request(&msg, &self.core.cfg) {
            Err(rej) => self.reject(now, id, &msg, &rej),
            Ok(()) => {
                if let Some(tx) = self.txs.get_mut(&id) {
                    server::start(tx, &mut self.core, now);
                }
                self.core.events.push_back(Event::Request {
                    key: ServerKey(id),
                    request: msg,
                    source,
                });
            }
        }
    }

    /// Answers a request with `rej` through its own server transaction, so
    /// retransmissions are answered again and the ACK is absorbed.
    fn reject(&mut self, now: Instant, id: u64, req: &Message, rej: &Rejection) {
        let tag = self.core.new_tag();
        let resp = rej.response(req, &tag, self.core.cfg.server_name.as_deref());
        if let Some(tx) = self.txs.get_mut(&id) {
            let _ = server::respond(tx, &mut self.core, now, &resp);
        }
        self.reap(id);
    }

    /// CANCEL (§9.2): 200 and [`Event::Cancelled`] when it matches an INVITE
    /// still proceeding, 200 alone when that INVITE is answered already,
    /// 481 when it matches nothing.
    fn answer_cancel(&mut self, now: Instant, id: u64, invite: Option<u64>, cancel: Message) {
        let code = if invite.is_some() { 200 } else { 481 };
        let tag = self.core.new_tag();
        let resp = Message::response_to(&cancel, code, Some(&tag));
        if let Some(tx) = self.txs.get_mut(&id) {
            let _ = server::respond(tx, &mut self.core, now, &resp);
        }
        self.reap(id);
        if let Some(inv) = invite {
            if self
                .txs
                .get(&inv)
                .is_some_and(|t| t.state == State::Proceeding)
            {
                self.core.events.push_back(Event::Cancelled {
                    invite: ServerKey(inv),
                    cancel,
                });
            }
        }
    }

    /// The server transaction a request matches (§17.2.3): by the key of
    /// its branch (`None` for an RFC 2543 request, matched by `k2543`).
    fn find_server(
        &self,
        branch: Option<u64>,
        k2543: Option<&str>,
        sent_by: u64,
        method: &Method,
        ack_to_tag: Option<&str>,
        is_ack: bool,
    ) -> Option<u64> {
        let slots = match branch {
            None => self.server_2543.get(k2543?)?,
            Some(b) => self.server_by_branch.get(&b)?,
        };
        let rfc2543 = branch.is_none();
        slots.iter().copied().filter(|id| *id != 0).find(|id| {
            self.txs.get(id).is_some_and(|tx| {
                let Some(s) = tx.server_part() else {
                    return false;
                };
                let to_tag = s.rfc2543.as_ref().and_then(|r| r.to_tag.as_deref());
                tx.method == *method
                    && (!rfc2543 || !is_ack || to_tag.is_none() || to_tag == ack_to_tag)
                    && (rfc2543 || s.sent_by == sent_by)
            })
        })
    }

    fn handle_response(&mut self, now: Instant, msg: Message, source: Source) {
        if msg.validate().is_err() {
            return;
        }
        let Some(id) = self.match_client(&msg) else {
            return;
        };
        if !self.core.flows.is_empty() {
            if let Some(tx) = self.txs.get(&id) {
                if tx.method == Method::Register && tx.route.transport == TransportKind::Udp {
                    let remote = tx.route.remote;
                    self.note_register_response(now, remote, &msg);
                }
            }
        }
        let next = match self.txs.get_mut(&id) {
            Some(tx) => client::on_response(tx, &mut self.core, now, msg, source),
            None => return,
        };
        self.after_client(now, id, next);
        if !self.core.probe_outcomes.is_empty() {
            self.drain_probes();
        }
    }

    /// §17.1.3: the client transaction a response belongs to, found from
    /// the id in its branch (ours) and checked against the whole branch
    /// and the CSeq method. A response with more than one Via is not for
    /// us (§8.1.3.3).
    fn match_client(&self, msg: &Message) -> Option<u64> {
        let mut values = msg.header_values(HeaderName::Via);
        let (first, more) = (values.next()?, values.next());
        let (top, rest) = via::split_first(first);
        if more.is_some() || rest.is_some() {
            return None;
        }
        // `validate` checked the Via; only the branch is read here.
        let branch = via::branch_param(top)?;
        let mut id = via::client_id(branch)?;
        let method = cseq_method(msg)?;
        if method == "CANCEL" {
            id = *self.cancels.get(&id)?;
        }
        let tx = self.txs.get(&id)?;
        let c = tx.client_part()?;
        (tx.method.as_str() == method && c.branch.as_bytes() == branch.as_bytes()).then_some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::cseq_method;
    use heron_sip::Message;

    #[test]
    fn cseq_method_is_read_as_the_parser_reads_it() {
        for cseq in ["1 OPTIONS", "  42\t INVITE  ", "7\r\n CANCEL", "0 X-Y"] {
            let text = format!(
                "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n\
                 To: <sip:c@d>\r\nCall-ID: c\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
            );
            let m = Message::parse(bytes::Bytes::from(text)).unwrap();
            assert_eq!(cseq_method(&m), Some(m.cseq().unwrap().method), "{cseq:?}");
        }
    }
}
