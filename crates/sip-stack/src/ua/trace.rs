//! A SIP trace hook: an observer that sees every message the endpoint
//! sends and receives, with its transport and both addresses — requests
//! and responses of every layer, retransmissions included. Install it
//! with [`Endpoint::set_observer`](crate::Endpoint::set_observer) (or
//! [`UaStack::set_observer`](crate::ua::driver::UaStack::set_observer)).
//! What the observer does with the text (log it, redact it, draw a
//! ladder) is up to it; the stack hands it the bytes as they are on the
//! wire, secrets included, so an observer that logs must redact.
//!
//! ```
//! use heron_sip_stack::ua::trace::{TraceDirection, TracedMessage};
//! use heron_sip_stack::{Endpoint, EndpointConfig, Target, TransportKind};
//! use heron_sip::{HeaderName, Message, Method};
//! use rand::{rngs::StdRng, SeedableRng};
//! use std::sync::{Arc, Mutex};
//! use std::time::Instant;
//!
//! let mut ep = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(1));
//! ep.add_listener(TransportKind::Udp, "127.0.0.1:5060".parse().unwrap(), None);
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = seen.clone();
//! ep.set_observer(Some(Box::new(move |m: &TracedMessage<'_>| {
//!     log.lock().unwrap().push((m.direction, m.remote, m.first_line().to_owned()));
//! })));
//! let mut options = Message::request(Method::Options, "sip:bob@127.0.0.1:5070");
//! options.append_header(HeaderName::From, "<sip:alice@example.com>;tag=a1");
//! options.append_header(HeaderName::To, "<sip:bob@example.com>");
//! options.append_header(HeaderName::CallId, "c1");
//! options.append_header(HeaderName::CSeq, "1 OPTIONS");
//! let bob = "127.0.0.1:5070".parse().unwrap();
//! ep.send_request(Instant::now(), options, Target::new(TransportKind::Udp, bob)).unwrap();
//! while ep.poll_transmit().is_some() {}
//! let seen = seen.lock().unwrap();
//! assert_eq!(seen[0], (TraceDirection::Sent, bob, "OPTIONS sip:bob@127.0.0.1:5070 SIP/2.0".into()));
//! ```

use crate::types::TransportKind;
use std::fmt;
use std::net::SocketAddr;

/// Whether a traced message left or arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceDirection {
    /// We sent it (handed to the driver for the wire).
    Sent,
    /// It arrived and parsed as a SIP message.
    Received,
}

impl fmt::Display for TraceDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TraceDirection::Sent => "sent",
            TraceDirection::Received => "received",
        })
    }
}

/// One message as the observer sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TracedMessage<'a> {
    /// Sent or received.
    pub direction: TraceDirection,
    /// UDP, TCP or TLS.
    pub transport: TransportKind,
    /// Our address (the listener's for sent messages: over TCP and TLS the
    /// connection's own local port may differ).
    pub local: SocketAddr,
    /// The peer's address.
    pub remote: SocketAddr,
    /// The message as on the wire (secrets included: redact before
    /// logging).
    pub bytes: &'a [u8],
}

impl<'a> TracedMessage<'a> {
    /// The start line (`INVITE sip:... SIP/2.0`, `SIP/2.0 200 OK`), or ""
    /// when the bytes are not text.
    pub fn first_line(&self) -> &'a str {
        let end = self
            .bytes
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .unwrap_or(self.bytes.len());
        std::str::from_utf8(&self.bytes[..end]).unwrap_or("")
    }

    /// Whether the bytes are a keep-alive rather than a SIP message: CRLF
    /// (RFC 5626 §4.4.1) or STUN (§4.4.2; a STUN message's first byte is
    /// 0 or 1, RFC 5389 §6). The endpoint does not report these.
    pub fn is_keepalive(&self) -> bool {
        self.bytes.iter().all(|b| matches!(b, b'\r' | b'\n'))
            || self.bytes.first().is_some_and(|&b| b < 2)
    }
}

/// Message bytes are left out: they may hold credentials and keys.
impl fmt::Debug for TracedMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracedMessage")
            .field("direction", &self.direction)
            .field("transport", &self.transport)
            .field("local", &self.local)
            .field("remote", &self.remote)
            .field("first_line", &self.first_line())
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Sees every SIP message sent and received. It runs inside the
/// endpoint's calls, so it must be quick (format and hand off).
/// Closures `FnMut(&TracedMessage)` are observers.
pub trait SipObserver: Send {
    /// One message.
    fn on_message(&mut self, message: &TracedMessage<'_>);
}

impl<F: FnMut(&TracedMessage<'_>) + Send> SipObserver for F {
    fn on_message(&mut self, message: &TracedMessage<'_>) {
        self(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(bytes: &[u8]) -> TracedMessage<'_> {
        TracedMessage {
            direction: TraceDirection::Received,
            transport: TransportKind::Tls,
            local: "127.0.0.1:5061".parse().unwrap(),
            remote: "192.0.2.1:5061".parse().unwrap(),
            bytes,
        }
    }

    #[test]
    fn first_line_and_keepalive() {
        let m = msg(b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n");
        assert_eq!(m.first_line(), "SIP/2.0 200 OK");
        assert!(!m.is_keepalive());
        assert!(msg(b"\r\n\r\n").is_keepalive());
        // A STUN Binding request (RFC 5389): type 0x0001, magic cookie.
        let stun = [
            0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        ];
        assert!(msg(&stun).is_keepalive());
        assert_eq!(msg(b"\xff\xfe\r\n").first_line(), "");
        assert_eq!(msg(b"").first_line(), "");
    }

    #[test]
    fn debug_shows_no_body() {
        let m = msg(b"INVITE sip:a@b SIP/2.0\r\nAuthorization: Digest response=\"secret\"\r\n\r\n");
        let d = format!("{m:?}");
        assert!(d.contains("INVITE sip:a@b SIP/2.0"), "{d}");
        assert!(!d.contains("secret"), "{d}");
    }
}

/// The observer on a whole call between two in-memory user agents, and
/// what an anonymous caller puts on the wire.
#[cfg(test)]
mod call_tests {
    use super::*;
    use crate::ua::{Identity, Ua, UaConfig, UaEvent, ANONYMOUS_FROM};
    use crate::{Endpoint, EndpointConfig};
    use rand::{rngs::StdRng, SeedableRng};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    type Seen = Arc<
        Mutex<
            Vec<(
                TraceDirection,
                TransportKind,
                SocketAddr,
                SocketAddr,
                String,
            )>,
        >,
    >;

    struct Side {
        ep: Endpoint,
        ua: Ua,
        seen: Seen,
    }

    fn side(port: u16, seed: u64, identity: Option<Identity>) -> Side {
        let mut ep = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(seed));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        ep.add_listener(TransportKind::Udp, addr, None);
        let seen: Seen = Arc::default();
        let log = seen.clone();
        ep.set_observer(Some(Box::new(move |m: &TracedMessage<'_>| {
            log.lock().unwrap().push((
                m.direction,
                m.transport,
                m.local,
                m.remote,
                String::from_utf8_lossy(m.bytes).into_owned(),
            ));
        })));
        let mut cfg = UaConfig::new(format!("sip:u{port}@127.0.0.1"));
        if let Some(id) = identity {
            cfg.identity = id;
        }
        Side {
            ep,
            ua: Ua::new(cfg, StdRng::seed_from_u64(seed)),
            seen,
        }
    }

    /// Moves datagrams both ways (dropping the first `drop` of side 0)
    /// and feeds events until nothing moves.
    fn pump(s: &mut [Side; 2], now: Instant, mut drop: usize) {
        loop {
            let mut moved = false;
            for i in 0..2 {
                while let Some(t) = s[i].ep.poll_transmit() {
                    moved = true;
                    if i == 0 && drop > 0 {
                        drop -= 1;
                        continue;
                    }
                    s[1 - i].ep.handle_datagram(
                        now,
                        TransportKind::Udp,
                        t.remote,
                        t.local,
                        t.payload,
                    );
                }
                while let Some(e) = s[i].ep.poll_event() {
                    let Side { ep, ua, .. } = &mut s[i];
                    ua.handle_event(ep, now, e);
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
    }

    fn header<'a>(text: &'a str, name: &str) -> Option<&'a str> {
        text.lines()
            .find(|l| {
                l.len() > name.len()
                    && l[..name.len()].eq_ignore_ascii_case(name)
                    && l.as_bytes()[name.len()] == b':'
            })
            .map(|l| l[name.len() + 1..].trim())
    }

    #[test]
    fn every_message_of_a_call_is_seen_once_per_send_and_receive() {
        let mut s = [side(5060, 1, None), side(5070, 2, None)];
        let (a, b): (SocketAddr, SocketAddr) = (
            "127.0.0.1:5060".parse().unwrap(),
            "127.0.0.1:5070".parse().unwrap(),
        );
        let t0 = Instant::now();
        let Side { ep, ua, .. } = &mut s[0];
        let call = ua
            .call(ep, t0, "sip:u5070@127.0.0.1:5070", Some("v=0\r\n".into()))
            .unwrap();
        // The first INVITE is lost; Timer A retransmits it after T1.
        pump(&mut s, t0, 1);
        let t1 = t0 + Duration::from_millis(500);
        let Side { ep, ua, .. } = &mut s[0];
        ep.handle_timeout(t1);
        ua.handle_timeout(ep, t1);
        pump(&mut s, t1, 0);
        let Some(UaEvent::IncomingCall { call: inc, info }) = s[1].ua.poll_event() else {
            panic!("no incoming call")
        };
        assert_eq!(info.source.remote, a);
        assert_eq!(info.source.local, b);
        assert_eq!(info.source.transport, TransportKind::Udp);
        let Side { ep, ua, .. } = &mut s[1];
        ua.answer(ep, t1, inc, Some("v=0\r\n".into())).unwrap();
        pump(&mut s, t1, 0);
        let Side { ep, ua, .. } = &mut s[0];
        ua.hangup(ep, t1, call).unwrap();
        pump(&mut s, t1, 0);

        let lines = |i: usize, dir: TraceDirection| -> Vec<String> {
            s[i].seen
                .lock()
                .unwrap()
                .iter()
                .filter(|m| m.0 == dir)
                .map(|m| m.4.lines().next().unwrap_or("").to_owned())
                .collect()
        };
        let a_sent = lines(0, TraceDirection::Sent);
        let a_recv = lines(0, TraceDirection::Received);
        assert_eq!(
            a_sent,
            [
                "INVITE sip:u5070@127.0.0.1:5070 SIP/2.0",
                "INVITE sip:u5070@127.0.0.1:5070 SIP/2.0",
                "ACK sip:u5070@127.0.0.1:5070 SIP/2.0",
                "BYE sip:u5070@127.0.0.1:5070 SIP/2.0",
            ]
        );
        assert_eq!(a_recv, ["SIP/2.0 200 OK", "SIP/2.0 200 OK"]);
        // The callee saw only the retransmission arrive.
        let b_recv = lines(1, TraceDirection::Received);
        assert_eq!(b_recv.len(), 3, "{b_recv:?}");
        assert!(b_recv[0].starts_with("INVITE") && b_recv[1].starts_with("ACK"));
        assert_eq!(
            lines(1, TraceDirection::Sent),
            ["SIP/2.0 200 OK", "SIP/2.0 200 OK"]
        );
        for m in s[0].seen.lock().unwrap().iter() {
            assert_eq!((m.1, m.2, m.3), (TransportKind::Udp, a, b), "{}", m.4);
        }
    }

    #[test]
    fn an_anonymous_caller_withholds_its_identity_from_from() {
        let mut id = Identity::anonymous("sip:1001@pbx.example.com");
        id.display_name = Some("Heron Agent".into());
        let mut s = [side(5060, 3, Some(id)), side(5070, 4, None)];
        let now = Instant::now();
        let Side { ep, ua, .. } = &mut s[0];
        ua.call(ep, now, "sip:u5070@127.0.0.1:5070", Some("v=0\r\n".into()))
            .unwrap();
        pump(&mut s, now, 0);
        let Some(UaEvent::IncomingCall { info, .. }) = s[1].ua.poll_event() else {
            panic!("no incoming call")
        };
        assert_eq!(info.from.uri, "sip:anonymous@anonymous.invalid");
        assert_eq!(info.from.display_name.as_deref(), Some("Anonymous"));
        assert_eq!(info.privacy, ["id"]);
        let seen = s[1].seen.lock().unwrap();
        let invite = &seen.iter().find(|m| m.4.starts_with("INVITE")).unwrap().4;
        let from = header(invite, "From").unwrap();
        assert!(
            from.starts_with(ANONYMOUS_FROM) && from.contains(";tag="),
            "{from}"
        );
        assert!(!from.contains("1001") && !from.contains("Heron"), "{from}");
        assert_eq!(
            header(invite, "P-Preferred-Identity"),
            Some("<sip:1001@pbx.example.com>")
        );
        assert_eq!(header(invite, "Privacy"), Some("id"));
        assert!(header(invite, "P-Asserted-Identity").is_none());
        // The Call-ID names no host either (RFC 3323 §4.1).
        assert!(!header(invite, "Call-ID").unwrap().contains('@'));
    }

    #[test]
    fn an_anonymous_referrer_stays_anonymous() {
        let id = Identity::anonymous("sip:1001@pbx.example.com");
        let mut s = [side(5060, 5, Some(id)), side(5070, 6, None)];
        let now = Instant::now();
        let Side { ep, ua, .. } = &mut s[0];
        let call = ua
            .call(ep, now, "sip:u5070@127.0.0.1:5070", Some("v=0\r\n".into()))
            .unwrap();
        pump(&mut s, now, 0);
        let Some(UaEvent::IncomingCall { call: inc, .. }) = s[1].ua.poll_event() else {
            panic!("no incoming call")
        };
        let Side { ep, ua, .. } = &mut s[1];
        ua.answer(ep, now, inc, Some("v=0\r\n".into())).unwrap();
        pump(&mut s, now, 0);
        let Side { ep, ua, .. } = &mut s[0];
        ua.transfer(ep, now, call, "sip:desk@127.0.0.1:5080", None)
            .unwrap();
        pump(&mut s, now, 0);
        let referred_by = std::iter::from_fn(|| s[1].ua.poll_event())
            .find_map(|e| match e {
                UaEvent::TransferRequested { referred_by, .. } => Some(referred_by),
                _ => None,
            })
            .expect("the REFER arrived");
        let rb = referred_by.unwrap_or_default();
        assert!(rb.contains("sip:anonymous@anonymous.invalid"), "{rb}");
        assert!(!rb.contains("1001"), "{rb}");
    }

    #[test]
    fn identity_forms() {
        let plain = Identity::new("sip:1001@pbx");
        assert!(!plain.is_anonymous());
        assert_eq!(plain.from_value(), "<sip:1001@pbx>");
        let mut named = plain.clone();
        named.display_name = Some("A \"B\"".into());
        assert_eq!(named.from_value(), "\"A B\" <sip:1001@pbx>");
        // `user` privacy set by hand still anonymises From.
        let mut user = plain;
        user.privacy = vec!["user".into()];
        assert!(user.is_anonymous());
        assert_eq!(user.from_value(), ANONYMOUS_FROM);
        let anon = Identity::anonymous("tel:+4930123");
        assert_eq!(anon.preferred.as_deref(), Some("<tel:+4930123>"));
        assert_eq!(anon.privacy, ["id"]);
    }
}
