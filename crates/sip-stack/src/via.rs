//! Via handling: building ours (RFC 3261 §18.1.1, RFC 3581 `rport`),
//! stamping `received`/`rport` on requests we receive (§18.2.1), and
//! where a response goes (§18.2.2).

use crate::types::{Source, TransportKind};
use heron_sip::headers::Via;
use heron_sip::{HeaderName, Host, Message, TypedHeader};
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

/// Our Via value: `SIP/2.0/UDP sent-by;branch=...;rport`.
pub(crate) fn build(transport: TransportKind, sent_by: &str, branch: &str) -> String {
    let mut s = String::with_capacity(24 + sent_by.len() + branch.len() + 6);
    s.push_str("SIP/2.0/");
    s.push_str(transport.via_token());
    s.push(' ');
    s.push_str(sent_by);
    s.push_str(";branch=");
    s.push_str(branch);
    s.push_str(";rport");
    s
}

/// Splits the first element off a comma-separated header value, honouring
/// quoted strings and IPv6 brackets. Returns (first, rest after the comma).
pub(crate) fn split_first(value: &str) -> (&str, Option<&str>) {
    let b = value.as_bytes();
    let (mut quoted, mut bracket, mut i) = (false, false, 0);
    while i < b.len() {
        match b[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'[' if !quoted => bracket = true,
            b']' if !quoted => bracket = false,
            b',' if !quoted && !bracket => {
                return (value[..i].trim(), Some(value[i + 1..].trim()));
            }
            _ => {}
        }
        i += 1;
    }
    (value.trim(), None)
}

fn host_is(host: &Host<'_>, ip: IpAddr) -> bool {
    match (host, ip) {
        (Host::V4(a), IpAddr::V4(b)) => *a == b,
        (Host::V6(a), IpAddr::V6(b)) => *a == b,
        _ => false,
    }
}

fn ip_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// Where responses to a received request go (RFC 3261 §18.2.2, RFC 3581).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResponseRoute {
    pub(crate) source: Source,
    /// The address to send to over UDP, or to open a new connection to
    /// when the request's connection has closed.
    pub(crate) addr: SocketAddr,
}

/// Adds `received` and fills `rport` in the top Via of a received request
/// and works out where its responses go. `None` when the top Via is
/// missing or malformed.
pub(crate) fn stamp(msg: &mut Message, source: Source, force_rport: bool) -> Option<ResponseRoute> {
    let first_line = msg.header_values(HeaderName::Via).next()?.to_owned();
    let (first, rest) = split_first(&first_line);
    let via = Via::parse(first).ok()?;
    let wants_rport = via.rport().is_some();
    let needs_received = wants_rport || !host_is(&via.host, source.remote.ip());
    let sent_by_port = via.port.unwrap_or_else(|| {
        TransportKind::from_token(via.transport)
            .unwrap_or(TransportKind::Udp)
            .default_port()
    });
    let addr = if wants_rport || force_rport {
        source.remote
    } else {
        SocketAddr::new(source.remote.ip(), sent_by_port)
    };
    let addr = if source.transport.is_stream() {
        SocketAddr::new(source.remote.ip(), sent_by_port)
    } else {
        addr
    };
    if needs_received || wants_rport {
        let mut new = String::with_capacity(first.len() + 40);
        let _ = write!(
            new,
            "{}/{}/{} {}",
            via.protocol, via.version, via.transport, via.host
        );
        if let Some(p) = via.port {
            let _ = write!(new, ":{p}");
        }
        for (name, value) in via.params.iter() {
            if name.eq_ignore_ascii_case("received") || name.eq_ignore_ascii_case("rport") {
                continue;
            }
            new.push(';');
            new.push_str(name);
            if let Some(v) = value {
                new.push('=');
                new.push_str(v);
            }
        }
        if needs_received {
            let _ = write!(new, ";received={}", ip_text(source.remote.ip()));
        }
        if wants_rport {
            let _ = write!(new, ";rport={}", source.remote.port());
        }
        msg.remove_first(HeaderName::Via);
        if let Some(rest) = rest {
            msg.prepend_header(HeaderName::Via, rest);
        }
        msg.prepend_header(HeaderName::Via, &new);
    }
    Some(ResponseRoute { source, addr })
}

/// The sent-by of a Via as `host:port` text (port written only when given).
pub(crate) fn sent_by(via: &Via<'_>) -> String {
    match via.port {
        Some(p) => format!("{}:{p}", via.host),
        None => via.host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn req(via: &str) -> Message {
        let text = format!(
            "OPTIONS sip:a@b SIP/2.0\r\nVia: {via}\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n\
             Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        Message::parse(Bytes::from(text)).unwrap()
    }

    fn src(remote: &str) -> Source {
        Source {
            transport: TransportKind::Udp,
            local: "127.0.0.1:5060".parse().unwrap(),
            remote: remote.parse().unwrap(),
            connection: None,
        }
    }

    #[test]
    fn rport_is_filled_and_received_added() {
        let mut m = req("SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKx;rport, SIP/2.0/UDP p:1");
        let r = stamp(&mut m, src("192.0.2.7:40000"), false).unwrap();
        assert_eq!(r.addr, "192.0.2.7:40000".parse().unwrap());
        let vias: Vec<_> = m.all::<Via>().map(|v| v.unwrap().to_string()).collect();
        assert_eq!(vias.len(), 2);
        assert_eq!(
            vias[0],
            "SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKx;received=192.0.2.7;rport=40000"
        );
        assert_eq!(vias[1], "SIP/2.0/UDP p:1");
    }

    #[test]
    fn without_rport_the_sent_by_port_is_used() {
        let mut m = req("SIP/2.0/UDP host.example:5070;branch=z9hG4bKx");
        let r = stamp(&mut m, src("192.0.2.7:40000"), false).unwrap();
        assert_eq!(r.addr, "192.0.2.7:5070".parse().unwrap());
        let v: Via = m.top_via().unwrap();
        assert_eq!(v.received(), Some("192.0.2.7"));
        let r = stamp(
            &mut req("SIP/2.0/UDP h;branch=z9hG4bKx"),
            src("[::1]:9"),
            true,
        )
        .unwrap();
        assert_eq!(r.addr, "[::1]:9".parse().unwrap());
    }

    #[test]
    fn matching_host_gets_no_received() {
        let mut m = req("SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKx");
        stamp(&mut m, src("192.0.2.7:5060"), false).unwrap();
        assert_eq!(m.top_via().unwrap().received(), None);
    }

    #[test]
    fn split_honours_quotes_and_brackets() {
        assert_eq!(split_first("a;x=\"1,2\", b"), ("a;x=\"1,2\"", Some("b")));
        assert_eq!(
            split_first("SIP/2.0/UDP [::1]:5060"),
            ("SIP/2.0/UDP [::1]:5060", None)
        );
    }
}
