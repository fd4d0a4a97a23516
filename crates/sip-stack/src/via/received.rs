//! Requests we receive: their top Via read once (a quick scan, the full
//! parser only for unusual forms), `received`/`rport` stamped on it
//! (RFC 3261 §18.2.1, RFC 3581) and where the responses go (§18.2.2 with
//! `maddr`).

use super::{push_decimal, push_ip, split_first};
use crate::hash::digest;
use crate::types::{Source, TransportKind};
use heron_sip::headers::Via;
use heron_sip::{HeaderName, Host, Message, TypedHeader};
use std::net::{IpAddr, SocketAddr};

/// Where responses to a received request go (RFC 3261 §18.2.2, RFC 3581).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResponseRoute {
    pub(crate) source: Source,
    /// The address to send to over UDP, or to open a new connection to
    /// when the request's connection has closed.
    pub(crate) addr: SocketAddr,
    /// The IPv4 multicast TTL when `addr` is a multicast `maddr`.
    pub(crate) ttl: Option<u8>,
}

impl ResponseRoute {
    /// Straight back to where the message came from.
    pub(crate) fn to_source(source: Source) -> ResponseRoute {
        ResponseRoute {
            source,
            addr: source.remote,
            ttl: None,
        }
    }
}

/// What [`stamp`] read from the top Via, so nobody parses it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TopVia {
    /// Where the responses go.
    pub(crate) route: ResponseRoute,
    /// Where the branch is in the first Via field's value (after
    /// stamping), if there is one.
    branch: Option<(usize, usize)>,
    /// A digest of the sent-by (host case-folded, port as written).
    pub(crate) sent_by: u64,
}

impl TopVia {
    /// The branch (`""` when absent), read from the stamped message.
    pub(crate) fn branch<'m>(&self, msg: &'m Message) -> &'m str {
        let Some((s, e)) = self.branch else {
            return "";
        };
        msg.header_values(HeaderName::Via)
            .next()
            .and_then(|v| v.get(s..e))
            .unwrap_or("")
    }
}

fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

/// The host of a sent-by, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SentByHost<'a> {
    Domain(&'a str),
    Ip(IpAddr),
}

/// The pieces of one Via value that stamping needs.
#[derive(Debug, Clone, Copy)]
struct Parts<'a> {
    /// The transport token of the sent-protocol.
    transport: &'a str,
    host: SentByHost<'a>,
    port: Option<u16>,
    /// The sent-protocol and sent-by as written.
    head: &'a str,
    /// Everything after the sent-by (the `;`-separated parameters).
    params: &'a str,
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

fn is_token(c: u8) -> bool {
    TOKEN[c as usize]
}

/// `token` characters (RFC 3261 §25.1) as a table.
static TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).is_ascii_alphanumeric();
        i += 1;
    }
    let extra = b"-.!%*_+`'~";
    let mut j = 0;
    while j < extra.len() {
        t[extra[j] as usize] = true;
        j += 1;
    }
    t
};

/// Scans a (validated) Via value: `SIP / 2.0 / UDP host:port;params`.
/// `None` for anything unusual, which then goes through the full parser.
fn scan(v: &str) -> Option<Parts<'_>> {
    let b = v.as_bytes();
    // sent-protocol: name SLASH version SLASH transport, SWS around '/'.
    let mut i = skip_ws(b, 0);
    let mut transport = "";
    for part in 0..3 {
        let s = i;
        while i < b.len() && is_token(b[i]) {
            i += 1;
        }
        if i == s {
            return None;
        }
        if part == 2 {
            transport = &v[s..i];
            break;
        }
        i = skip_ws(b, i);
        if b.get(i) != Some(&b'/') {
            return None;
        }
        i = skip_ws(b, i + 1);
    }
    let after_proto = i;
    i = skip_ws(b, i);
    if i == after_proto {
        return None;
    }
    // sent-by: host [":" port]
    let host = if b.get(i) == Some(&b'[') {
        let close = i + v[i..].find(']')?;
        let ip: std::net::Ipv6Addr = v[i + 1..close].parse().ok()?;
        i = close + 1;
        SentByHost::Ip(IpAddr::V6(ip))
    } else {
        let s = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'-') {
            i += 1;
        }
        let text = &v[s..i];
        if text.is_empty() {
            return None;
        }
        if text.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
            SentByHost::Ip(IpAddr::V4(parse_v4(text)?))
        } else {
            SentByHost::Domain(text)
        }
    };
    let mut port = None;
    let mut j = skip_ws(b, i);
    if b.get(j) == Some(&b':') {
        j = skip_ws(b, j + 1);
        let s = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        port = Some(parse_port(v.get(s..j)?)?);
        i = j;
    }
    let rest = &v[i..];
    let r = rest.trim_start();
    if !(r.is_empty() || r.starts_with(';')) {
        return None;
    }
    Some(Parts {
        transport,
        host,
        port,
        head: &v[..i],
        params: rest,
    })
}

/// The same pieces from the full parser, for values [`scan`] declines.
fn parse_parts(v: &str) -> Option<Parts<'_>> {
    let via = Via::parse(v).ok()?;
    let params = via.params.as_str();
    let head = if params.is_empty() {
        v.trim_end()
    } else {
        v[..offset_in(v, params)].trim_end()
    };
    let host = match via.host {
        Host::Domain(d) => SentByHost::Domain(d),
        Host::V4(a) => SentByHost::Ip(IpAddr::V4(a)),
        Host::V6(a) => SentByHost::Ip(IpAddr::V6(a)),
    };
    Some(Parts {
        transport: via.transport,
        host,
        port: via.port,
        head,
        params: &v[head.len()..],
    })
}

/// The `;`-separated parameters of a Via (quoted strings respected), as
/// (name, value) with the whitespace around them trimmed.
fn params(text: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    let b = text.as_bytes();
    let quoted = memchr::memchr(b'"', b).is_some();
    let mut at = 0;
    std::iter::from_fn(move || loop {
        if at >= b.len() {
            return None;
        }
        let start = at;
        // The segment's end (the next `;` outside quotes) and its first `=`.
        let mut eq = None;
        if quoted {
            let mut in_q = false;
            while at < b.len() {
                match b[at] {
                    b'\\' if in_q => at += 1,
                    b'"' => in_q = !in_q,
                    b'=' if !in_q && eq.is_none() => eq = Some(at),
                    b';' if !in_q => break,
                    _ => {}
                }
                at += 1;
            }
            at = at.min(b.len());
        } else {
            // One pass to the next ';', noting the first '=' (parameters
            // are short: cheaper than two searches).
            while at < b.len() && b[at] != b';' {
                if b[at] == b'=' && eq.is_none() {
                    eq = Some(at);
                }
                at += 1;
            }
        }
        let end = at;
        at += 1;
        let (name, value) = match eq {
            Some(e) => (trim_lws(&text[start..e]), Some(trim_lws(&text[e + 1..end]))),
            None => (trim_lws(&text[start..end]), None),
        };
        if name.is_empty() && value.is_none() {
            continue;
        }
        return Some((name, value));
    })
}

/// `s` without linear white space (SP, HTAB, CR, LF) at either end, as
/// the parser trims parameter names and values.
fn trim_lws(s: &str) -> &str {
    let b = s.as_bytes();
    let lws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = b.iter().position(|c| !lws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !lws(c)).map_or(start, |e| e + 1);
    // Both ends are next to ASCII bytes, so on character boundaries.
    s.get(start..end).unwrap_or("")
}

/// A dotted-quad IPv4 address, or `None` (then the host is a name).
fn parse_v4(s: &str) -> Option<std::net::Ipv4Addr> {
    let mut o = [0u8; 4];
    let (mut n, mut v, mut digits) = (0, 0u16, 0);
    for &c in s.as_bytes() {
        if c == b'.' {
            if digits == 0 || n == 3 {
                return None;
            }
            o[n] = u8::try_from(v).ok()?;
            (n, v, digits) = (n + 1, 0, 0);
        } else if c.is_ascii_digit() && digits < 3 {
            v = v * 10 + u16::from(c - b'0');
            digits += 1;
        } else {
            return None;
        }
    }
    if digits == 0 || n != 3 {
        return None;
    }
    o[3] = u8::try_from(v).ok()?;
    Some(std::net::Ipv4Addr::from(o))
}

/// A port: 1 to 5 digits, at most 65535.
fn parse_port(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 5 {
        return None;
    }
    let mut v: u32 = 0;
    for c in s.bytes() {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    u16::try_from(v).ok()
}

/// The digest [`TopVia::sent_by`] holds: two sent-by values match
/// (§17.2.3) when their digests are equal (host case-folded, port as
/// written).
fn parts_digest(p: &Parts<'_>) -> u64 {
    let port = p.port.map_or(0, |p| 0x1_0000 | u64::from(p));
    match p.host {
        SentByHost::Domain(d) => digest(d.as_bytes(), true, port),
        SentByHost::Ip(IpAddr::V4(a)) => digest(&a.octets(), false, port | (4 << 20)),
        SentByHost::Ip(IpAddr::V6(a)) => digest(&a.octets(), false, port | (6 << 20)),
    }
}

/// Adds `received` and fills `rport` in the top Via of a received request
/// and works out where its responses go, reading that Via once (a quick
/// scan; the full parser only for unusual forms). `None` when the top Via
/// is missing or malformed.
pub(crate) fn stamp(
    msg: &mut Message,
    source: Source,
    force_rport: bool,
    new: &mut String,
) -> Option<TopVia> {
    let value = msg.header_values(HeaderName::Via).next()?;
    let (first, rest) = split_first(value);
    let parts = scan(first).or_else(|| parse_parts(first))?;
    // One pass over the parameters: find branch, rport, maddr and ttl, and
    // write the stamped value (the sent-protocol and sent-by as written,
    // the parameters without received/rport) into `new` in case it is
    // needed.
    new.clear();
    new.push_str(parts.head);
    let (mut wants_rport, mut branch, mut seen_branch, mut at) = (false, None, false, None);
    let (mut maddr, mut ttl) = (None, None);
    for (name, v) in params(parts.params) {
        // Dispatch on length first: most parameters are branch and rport.
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        let mut is_branch = false;
        match name.len() {
            5 if is("rport") => {
                wants_rport = true;
                continue;
            }
            8 if is("received") => continue,
            5 if is("maddr") => maddr = v,
            3 if is("ttl") => ttl = v,
            6 => is_branch = !seen_branch && is("branch"),
            _ => {}
        }
        if is_branch {
            seen_branch = true;
            branch = v;
        }
        new.push(';');
        new.push_str(name);
        if let Some(v) = v {
            new.push('=');
            if is_branch {
                at = Some((new.len(), new.len() + v.len()));
            }
            new.push_str(v);
        }
    }
    let host_matches = matches!(parts.host, SentByHost::Ip(ip) if ip == source.remote.ip());
    let needs_received = wants_rport || !host_matches;
    let sent_by_port = parts.port.unwrap_or_else(|| {
        TransportKind::from_token(parts.transport)
            .unwrap_or(TransportKind::Udp)
            .default_port()
    });
    // §18.2.2: a reliable transport answers on the request's connection
    // (`addr` is only where to reconnect); otherwise a `maddr` wins, then
    // the source (RFC 3581 `rport`, or forced), then `received` with the
    // sent-by port. A `maddr` naming a host rather than an address is not
    // resolved here (that would be RFC 3263 §5, which needs DNS): such a
    // response goes to the source as if there were no `maddr`.
    let maddr_ip = maddr
        .filter(|_| !source.transport.is_stream())
        .and_then(|m| m.trim_matches(['[', ']']).parse::<IpAddr>().ok());
    let (addr, ttl) = match maddr_ip {
        Some(ip) => {
            // A multicast maddr is sent with the `ttl` parameter's TTL,
            // 1 when absent (§18.2.2).
            let ttl = ip
                .is_multicast()
                .then(|| ttl.and_then(|t| t.parse::<u8>().ok()).unwrap_or(1));
            (SocketAddr::new(ip, sent_by_port), ttl)
        }
        None if source.transport.is_stream() || !(wants_rport || force_rport) => {
            (SocketAddr::new(source.remote.ip(), sent_by_port), None)
        }
        None => (source.remote, None),
    };
    let top = |branch| TopVia {
        route: ResponseRoute { source, addr, ttl },
        branch,
        sent_by: parts_digest(&parts),
    };
    if !(needs_received || wants_rport) {
        let at = branch.map(|b| (offset_in(value, b), offset_in(value, b) + b.len()));
        return Some(top(at));
    }
    if needs_received {
        new.push_str(";received=");
        push_ip(new, source.remote.ip());
    }
    if wants_rport {
        new.push_str(";rport=");
        push_decimal(new, source.remote.port());
    }
    if let Some(rest) = rest {
        new.push_str(", ");
        new.push_str(rest);
    }
    let out = top(at);
    msg.replace_first(HeaderName::Via, new);
    Some(out)
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
        let r = stamp(&mut m, src("192.0.2.7:40000"), false, &mut String::new()).unwrap();
        assert_eq!(r.route.addr, "192.0.2.7:40000".parse().unwrap());
        assert_eq!(r.branch(&m), "z9hG4bKx");
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
        let r = stamp(&mut m, src("192.0.2.7:40000"), false, &mut String::new()).unwrap();
        assert_eq!(r.route.addr, "192.0.2.7:5070".parse().unwrap());
        let v: Via = m.top_via().unwrap();
        assert_eq!(v.received(), Some("192.0.2.7"));
        let r = stamp(
            &mut req("SIP/2.0/UDP h;branch=z9hG4bKx"),
            src("[::1]:9"),
            true,
            &mut String::new(),
        )
        .unwrap();
        assert_eq!(r.route.addr, "[::1]:9".parse().unwrap());
    }

    #[test]
    fn matching_host_gets_no_received() {
        let mut m = req("SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKx, SIP/2.0/UDP p:1");
        let r = stamp(&mut m, src("192.0.2.7:5060"), false, &mut String::new()).unwrap();
        assert_eq!(m.top_via().unwrap().received(), None);
        assert_eq!(r.branch(&m), "z9hG4bKx");
    }

    #[test]
    fn stamping_keeps_text_and_odd_params() {
        let mut m =
            req("SIP/2.0/UDP  [2001:db8::1] ;received=1.1.1.1;Branch=z9hG4bKq;x=\"a,b\";rport=9");
        let r = stamp(
            &mut m,
            src("203.0.113.250:65535"),
            false,
            &mut String::new(),
        )
        .unwrap();
        let vias: Vec<_> = m.header_values(HeaderName::Via).collect();
        assert_eq!(
            vias,
            ["SIP/2.0/UDP  [2001:db8::1];Branch=z9hG4bKq;x=\"a,b\";received=203.0.113.250;rport=65535"]
        );
        assert_eq!(r.branch(&m), "z9hG4bKq");
        let v6 = src("[2001:db8::2]:5060");
        let mut m = req("SIP/2.0/TCP Host.Example;branch=z9hG4bKz");
        let r = stamp(&mut m, v6, false, &mut String::new()).unwrap();
        assert_eq!(r.route.addr, "[2001:db8::2]:5060".parse().unwrap());
        assert!(m
            .header_values(HeaderName::Via)
            .next()
            .unwrap()
            .ends_with(";branch=z9hG4bKz;received=[2001:db8::2]"));
        let other = stamp(
            &mut req("SIP/2.0/TCP host.example;branch=z9hG4bKz"),
            v6,
            false,
            &mut String::new(),
        )
        .unwrap();
        assert_eq!(r.sent_by, other.sent_by);
        let with_port = stamp(
            &mut req("SIP/2.0/TCP host.example:5060;branch=z9hG4bKz"),
            v6,
            false,
            &mut String::new(),
        )
        .unwrap();
        assert_ne!(r.sent_by, with_port.sent_by);
        // The quick scan and the full parser agree, odd spacing included.
        for v in [
            "SIP/2.0/UDP h.example:5060;branch=z9hG4bKa;rport",
            "SIP / 2.0 / TCP H.Example : 5070 ; branch = z9hG4bKb",
            "SIP/2.0/UDP [2001:db8::1]:5062;x=\"a;b\";branch=z9hG4bKc",
            "SIP/2.0/UDP 192.0.2.1;received=192.0.2.9",
        ] {
            let quick = scan(v).unwrap();
            let full = parse_parts(v).unwrap();
            assert_eq!(
                (
                    quick.transport,
                    quick.host,
                    quick.port,
                    parts_digest(&quick)
                ),
                (full.transport, full.host, full.port, parts_digest(&full)),
                "{v}"
            );
            let a: Vec<_> = params(quick.params).collect();
            let b: Vec<_> = params(full.params).collect();
            assert_eq!(a, b, "{v}");
        }
        let p: Vec<_> = params(";branch=z9hG4bKc;x=\"a;b\" ; rport").collect();
        assert_eq!(
            p,
            [
                ("branch", Some("z9hG4bKc")),
                ("x", Some("\"a;b\"")),
                ("rport", None)
            ]
        );
        assert!(scan("SIP/2.0/UDP").is_none());
        assert_eq!(
            parse_v4("192.0.2.255"),
            Some("192.0.2.255".parse().unwrap())
        );
        for bad in [
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "1..2.3",
            "1.2.3.4444",
            "",
        ] {
            assert_eq!(parse_v4(bad), None, "{bad}");
        }
        assert_eq!(parse_port("65535"), Some(65535));
        assert_eq!(parse_port("65536"), None);
        assert_eq!(parse_port(""), None);
        assert!(scan("garbage").is_none());
    }

    #[test]
    fn parameters_are_trimmed_of_lws_only() {
        assert_eq!(trim_lws(" \t a b\r\n "), "a b");
        assert_eq!(trim_lws("   "), "");
        assert_eq!(trim_lws(""), "");
        assert_eq!(trim_lws("\u{a0}x\u{a0}"), "\u{a0}x\u{a0}");
        let p: Vec<_> = params("; branch = z9hG4bKq\u{a0} ;rport").collect();
        assert_eq!(p, [("branch", Some("z9hG4bKq\u{a0}")), ("rport", None)]);
    }

    #[test]
    fn maddr_routes_unreliable_responses() {
        // Unicast maddr: there, at the sent-by port, even with rport.
        let mut m = req("SIP/2.0/UDP h.example:5070;branch=z9hG4bKx;maddr=192.0.2.50;rport");
        let r = stamp(&mut m, src("198.51.100.1:40000"), false, &mut String::new()).unwrap();
        assert_eq!(r.route.addr, "192.0.2.50:5070".parse().unwrap());
        assert_eq!(r.route.ttl, None);
        // Multicast maddr: its TTL, 1 by default; default port 5060.
        let mut m = req("SIP/2.0/UDP h.example;branch=z9hG4bKx;maddr=239.1.2.3;ttl=16");
        let r = stamp(&mut m, src("198.51.100.1:40000"), false, &mut String::new()).unwrap();
        assert_eq!(r.route.addr, "239.1.2.3:5060".parse().unwrap());
        assert_eq!(r.route.ttl, Some(16));
        let mut m = req("SIP/2.0/UDP h.example;branch=z9hG4bKx;maddr=239.1.2.3");
        let r = stamp(&mut m, src("198.51.100.1:40000"), true, &mut String::new()).unwrap();
        assert_eq!(r.route.ttl, Some(1));
        let mut m = req("SIP/2.0/UDP h;branch=z9hG4bKx;maddr=[ff02::1]");
        let r = stamp(&mut m, src("[2001:db8::9]:7000"), false, &mut String::new()).unwrap();
        assert_eq!(r.route.addr, "[ff02::1]:5060".parse().unwrap());
        // A host name maddr is not resolved here: back to the source.
        let mut m = req("SIP/2.0/UDP h;branch=z9hG4bKx;maddr=relay.example;rport");
        let r = stamp(&mut m, src("198.51.100.1:40000"), false, &mut String::new()).unwrap();
        assert_eq!(r.route.addr, "198.51.100.1:40000".parse().unwrap());
        // Reliable transports ignore maddr: the connection is reused.
        let mut s = src("198.51.100.1:40000");
        s.transport = TransportKind::Tcp;
        let mut m = req("SIP/2.0/TCP h:5070;branch=z9hG4bKx;maddr=192.0.2.50");
        let r = stamp(&mut m, s, false, &mut String::new()).unwrap();
        assert_eq!(r.route.addr, "198.51.100.1:5070".parse().unwrap());
        assert_eq!(r.route.ttl, None);
    }
}
