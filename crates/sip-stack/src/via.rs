//! Via handling: building ours (RFC 3261 §18.1.1, RFC 3581 `rport`),
//! stamping `received`/`rport` on requests we receive (§18.2.1), and
//! where a response goes (§18.2.2).

use crate::hash::digest;
use crate::types::{Source, TransportKind};
use bytes::{Bytes, BytesMut};
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

const HEX: &[u8; 16] = b"0123456789abcdef";

/// RFC 3261's magic cookie that starts a globally unique branch.
pub(crate) const MAGIC_COOKIE: &str = "z9hG4bK";

/// Length of the random part of a client branch, in hex digits.
const CLIENT_RANDOM: usize = 16;

/// The Via of a client transaction: its branch is the magic cookie, 16
/// random hex digits and the transaction's id in hex, so a response finds
/// its transaction without a branch table.
pub(crate) fn build_client(
    transport: TransportKind,
    sent_by: &str,
    random: u64,
    id: u64,
) -> (String, (u16, u16)) {
    // "SIP/2.0/UDP " sent-by ";branch=" cookie, 16 + up to 16 digits, ";rport"
    let mut s = String::with_capacity(12 + sent_by.len() + 8 + 7 + 32 + 6);
    s.push_str("SIP/2.0/");
    s.push_str(transport.via_token());
    s.push(' ');
    s.push_str(sent_by);
    s.push_str(";branch=");
    let start = s.len();
    s.push_str(MAGIC_COOKIE);
    let mut r = random;
    for _ in 0..CLIENT_RANDOM {
        s.push(HEX[(r & 15) as usize] as char);
        r >>= 4;
    }
    let digits = (64 - id.leading_zeros()).div_ceil(4).max(1);
    for i in (0..digits).rev() {
        s.push(HEX[((id >> (i * 4)) & 15) as usize] as char);
    }
    let at = (clamp16(start), clamp16(s.len()));
    s.push_str(";rport");
    (s, at)
}

fn clamp16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// `message` (a written request or response) with `Via: via` inserted as
/// its first header, right after the start line.
pub(crate) fn with_top_via(message: &[u8], via: &str) -> Bytes {
    let at = message
        .iter()
        .position(|b| *b == b'\n')
        .map_or(message.len(), |i| i + 1);
    let mut out = BytesMut::with_capacity(message.len() + via.len() + 7);
    out.extend_from_slice(&message[..at]);
    out.extend_from_slice(b"Via: ");
    out.extend_from_slice(via.as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&message[at..]);
    out.freeze()
}

/// §18.1.1: a request sent to a multicast address carries that address
/// in its Via's `maddr`, and for IPv4 `ttl=1` (the TTL it is sent with).
/// Returns the TTL to send with, `None` for a unicast destination.
pub(crate) fn add_multicast(via: &mut String, dest: IpAddr) -> Option<u8> {
    if !dest.is_multicast() {
        return None;
    }
    via.push_str(";maddr=");
    match dest {
        IpAddr::V4(_) => {
            push_ip(via, dest);
            via.push_str(";ttl=1");
            Some(1)
        }
        IpAddr::V6(v6) => {
            let _ = write!(via, "[{v6}]");
            None
        }
    }
}

/// The transaction id a branch made by [`build_client`] carries.
pub(crate) fn client_id(branch: &str) -> Option<u64> {
    let hex = branch
        .strip_prefix(MAGIC_COOKIE)?
        .get(CLIENT_RANDOM..)
        .filter(|h| !h.is_empty() && h.len() <= 16)?;
    u64::from_str_radix(hex, 16).ok()
}

/// Splits the first element off a comma-separated header value, honouring
/// quoted strings and IPv6 brackets. Returns (first, rest after the comma).
pub(crate) fn split_first(value: &str) -> (&str, Option<&str>) {
    // Most values hold one element: no comma at all, nothing to track.
    if !value.contains(',') {
        return (value.trim(), None);
    }
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

/// The `branch` parameter of one Via value (already validated), read
/// from the text without parsing the whole value: parameters are split at
/// `;` outside quoted strings and the first named `branch` wins.
pub(crate) fn branch_param(via: &str) -> Option<&str> {
    fn pick(param: &str) -> Option<&str> {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("branch")
            .then(|| value.trim())
    }
    if !via.contains('"') {
        return via.split(';').skip(1).find_map(pick);
    }
    let b = via.as_bytes();
    let (mut quoted, mut i, mut start) = (false, 0, None);
    while i <= b.len() {
        match b.get(i) {
            Some(b'\\') if quoted => i += 1,
            Some(b'"') => quoted = !quoted,
            Some(b';') | None if !quoted => {
                if let Some(found) = start.and_then(|s| pick(&via[s..i])) {
                    return Some(found);
                }
                start = Some(i + 1);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn host_is(host: &Host<'_>, ip: IpAddr) -> bool {
    match (host, ip) {
        (Host::V4(a), IpAddr::V4(b)) => *a == b,
        (Host::V6(a), IpAddr::V6(b)) => *a == b,
        _ => false,
    }
}

fn push_decimal(out: &mut String, n: u16) {
    let mut buf = [0u8; 5];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for b in &buf[i..] {
        out.push(*b as char);
    }
}

fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, o) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_decimal(out, u16::from(o));
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(out, "[{v6}]");
        }
    }
}

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

/// The digest [`TopVia::sent_by`] holds: two sent-by values match
/// (§17.2.3) when their digests are equal.
pub(crate) fn sent_by_digest(via: &Via<'_>) -> u64 {
    let port = via.port.map_or(0, |p| 0x1_0000 | u64::from(p));
    match via.host {
        Host::Domain(d) => digest(d.as_bytes(), true, port),
        Host::V4(a) => digest(&a.octets(), false, port | (4 << 20)),
        Host::V6(a) => digest(&a.octets(), false, port | (6 << 20)),
    }
}

fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

/// Adds `received` and fills `rport` in the top Via of a received request
/// and works out where its responses go, parsing that Via once. `None`
/// when the top Via is missing or malformed.
pub(crate) fn stamp(msg: &mut Message, source: Source, force_rport: bool) -> Option<TopVia> {
    let value = msg.header_values(HeaderName::Via).next()?;
    let (first, rest) = split_first(value);
    let via = Via::parse(first).ok()?;
    // One pass over the parameters: find branch and rport, and write the
    // stamped value (the sent-protocol and sent-by as written, the
    // parameters without received/rport) in case it is needed.
    let params = via.params.as_str();
    let head = if params.is_empty() {
        first
    } else {
        first[..offset_in(first, params)].trim_end()
    };
    let mut new = String::with_capacity(value.len() + 40);
    new.push_str(head);
    let (mut wants_rport, mut branch, mut seen_branch, mut at) = (false, None, false, None);
    let (mut maddr, mut ttl) = (None, None);
    for (name, v) in via.params.iter() {
        if name.eq_ignore_ascii_case("maddr") {
            maddr = v;
        } else if name.eq_ignore_ascii_case("ttl") {
            ttl = v;
        }
        if name.eq_ignore_ascii_case("rport") {
            wants_rport = true;
            continue;
        }
        if name.eq_ignore_ascii_case("received") {
            continue;
        }
        let is_branch = !seen_branch && name.eq_ignore_ascii_case("branch");
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
    let needs_received = wants_rport || !host_is(&via.host, source.remote.ip());
    let sent_by_port = via.port.unwrap_or_else(|| {
        TransportKind::from_token(via.transport)
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
        sent_by: sent_by_digest(&via),
    };
    if !(needs_received || wants_rport) {
        let at = branch.map(|b| (offset_in(value, b), offset_in(value, b) + b.len()));
        return Some(top(at));
    }
    if needs_received {
        new.push_str(";received=");
        push_ip(&mut new, source.remote.ip());
    }
    if wants_rport {
        new.push_str(";rport=");
        push_decimal(&mut new, source.remote.port());
    }
    if let Some(rest) = rest {
        new.push_str(", ");
        new.push_str(rest);
    }
    let out = top(at);
    msg.remove_first(HeaderName::Via);
    msg.prepend_header(HeaderName::Via, &new);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let r = stamp(&mut m, src("192.0.2.7:40000"), false).unwrap();
        assert_eq!(r.route.addr, "192.0.2.7:5070".parse().unwrap());
        let v: Via = m.top_via().unwrap();
        assert_eq!(v.received(), Some("192.0.2.7"));
        let r = stamp(
            &mut req("SIP/2.0/UDP h;branch=z9hG4bKx"),
            src("[::1]:9"),
            true,
        )
        .unwrap();
        assert_eq!(r.route.addr, "[::1]:9".parse().unwrap());
    }

    #[test]
    fn matching_host_gets_no_received() {
        let mut m = req("SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKx, SIP/2.0/UDP p:1");
        let r = stamp(&mut m, src("192.0.2.7:5060"), false).unwrap();
        assert_eq!(m.top_via().unwrap().received(), None);
        assert_eq!(r.branch(&m), "z9hG4bKx");
    }

    #[test]
    fn stamping_keeps_text_and_odd_params() {
        let mut m =
            req("SIP/2.0/UDP  [2001:db8::1] ;received=1.1.1.1;Branch=z9hG4bKq;x=\"a,b\";rport=9");
        let r = stamp(&mut m, src("203.0.113.250:65535"), false).unwrap();
        let vias: Vec<_> = m.header_values(HeaderName::Via).collect();
        assert_eq!(
            vias,
            ["SIP/2.0/UDP  [2001:db8::1];Branch=z9hG4bKq;x=\"a,b\";received=203.0.113.250;rport=65535"]
        );
        assert_eq!(r.branch(&m), "z9hG4bKq");
        let v6 = src("[2001:db8::2]:5060");
        let mut m = req("SIP/2.0/TCP Host.Example;branch=z9hG4bKz");
        let r = stamp(&mut m, v6, false).unwrap();
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
        )
        .unwrap();
        assert_eq!(r.sent_by, other.sent_by);
        let with_port = stamp(
            &mut req("SIP/2.0/TCP host.example:5060;branch=z9hG4bKz"),
            v6,
            false,
        )
        .unwrap();
        assert_ne!(r.sent_by, with_port.sent_by);
    }

    #[test]
    fn top_via_goes_after_the_start_line() {
        let mut m = Message::request(heron_sip::Method::Options, "sip:a@b");
        m.append_header(HeaderName::CallId, "c");
        let plain = m.to_bytes();
        let wire = with_top_via(&plain, "SIP/2.0/UDP h:1;branch=z9hG4bKx");
        m.prepend_header(HeaderName::Via, "SIP/2.0/UDP h:1;branch=z9hG4bKx");
        assert_eq!(wire, m.to_bytes());
    }

    #[test]
    fn branch_is_read_from_the_text() {
        assert_eq!(
            branch_param("SIP/2.0/UDP h:1;branch=z9hG4bKa;rport"),
            Some("z9hG4bKa")
        );
        assert_eq!(
            branch_param("SIP/2.0/UDP h ; BRANCH = z9hG4bKb"),
            Some("z9hG4bKb")
        );
        assert_eq!(
            branch_param("SIP/2.0/UDP h;x=\"a;branch=no\";branch=yes"),
            Some("yes")
        );
        assert_eq!(branch_param("SIP/2.0/UDP h;rport;lr"), None);
        assert_eq!(branch_param("SIP/2.0/UDP h;branch"), None);
        for v in [
            "SIP/2.0/TCP [::1]:5060;received=::1;branch=z9hG4bK-x",
            "SIP/2.0/UDP h;branch=z9hG4bK1;branch=z9hG4bK2",
        ] {
            assert_eq!(branch_param(v), Via::parse(v).unwrap().branch());
        }
    }

    #[test]
    fn client_branches_carry_the_id() {
        for id in [1u64, 15, 16, 0xdead_beef, u64::MAX >> 1] {
            let (v, (s, e)) = build_client(TransportKind::Udp, "h:1", 0x0123_4567_89ab_cdef, id);
            let b = Via::parse(&v).unwrap().branch().unwrap().to_owned();
            assert_eq!(&v[s as usize..e as usize], b);
            assert!(b.starts_with(MAGIC_COOKIE));
            assert_eq!(client_id(&b), Some(id), "{b}");
        }
        assert_eq!(client_id("z9hG4bK0123456789abcdef"), None);
        assert_eq!(client_id("z9hG4bKnothex-at-all-here-xyz"), None);
        assert_eq!(client_id("other"), None);
    }

    #[test]
    fn maddr_routes_unreliable_responses() {
        // Unicast maddr: there, at the sent-by port, even with rport.
        let mut m = req("SIP/2.0/UDP h.example:5070;branch=z9hG4bKx;maddr=192.0.2.50;rport");
        let r = stamp(&mut m, src("198.51.100.1:40000"), false).unwrap();
        assert_eq!(r.route.addr, "192.0.2.50:5070".parse().unwrap());
        assert_eq!(r.route.ttl, None);
        // Multicast maddr: its TTL, 1 by default; default port 5060.
        let mut m = req("SIP/2.0/UDP h.example;branch=z9hG4bKx;maddr=239.1.2.3;ttl=16");
        let r = stamp(&mut m, src("198.51.100.1:40000"), false).unwrap();
        assert_eq!(r.route.addr, "239.1.2.3:5060".parse().unwrap());
        assert_eq!(r.route.ttl, Some(16));
        let mut m = req("SIP/2.0/UDP h.example;branch=z9hG4bKx;maddr=239.1.2.3");
        let r = stamp(&mut m, src("198.51.100.1:40000"), true).unwrap();
        assert_eq!(r.route.ttl, Some(1));
        let mut m = req("SIP/2.0/UDP h;branch=z9hG4bKx;maddr=[ff02::1]");
        let r = stamp(&mut m, src("[2001:db8::9]:7000"), false).unwrap();
        assert_eq!(r.route.addr, "[ff02::1]:5060".parse().unwrap());
        // A host name maddr is not resolved here: back to the source.
        let mut m = req("SIP/2.0/UDP h;branch=z9hG4bKx;maddr=relay.example;rport");
        let r = stamp(&mut m, src("198.51.100.1:40000"), false).unwrap();
        assert_eq!(r.route.addr, "198.51.100.1:40000".parse().unwrap());
        // Reliable transports ignore maddr: the connection is reused.
        let mut s = src("198.51.100.1:40000");
        s.transport = TransportKind::Tcp;
        let mut m = req("SIP/2.0/TCP h:5070;branch=z9hG4bKx;maddr=192.0.2.50");
        let r = stamp(&mut m, s, false).unwrap();
        assert_eq!(r.route.addr, "198.51.100.1:5070".parse().unwrap());
        assert_eq!(r.route.ttl, None);
    }

    #[test]
    fn multicast_destinations_are_named_in_our_via() {
        let mut v = String::from("SIP/2.0/UDP h:1;branch=z9hG4bKx");
        assert_eq!(add_multicast(&mut v, "192.0.2.1".parse().unwrap()), None);
        assert_eq!(v, "SIP/2.0/UDP h:1;branch=z9hG4bKx");
        assert_eq!(
            add_multicast(&mut v, "224.0.1.75".parse().unwrap()),
            Some(1)
        );
        let via = Via::parse(&v).unwrap();
        assert_eq!(via.maddr(), Some("224.0.1.75"));
        assert_eq!(via.ttl(), Some(1));
        let mut v = String::from("SIP/2.0/UDP h:1");
        assert_eq!(add_multicast(&mut v, "ff02::1".parse().unwrap()), None);
        assert_eq!(Via::parse(&v).unwrap().maddr(), Some("[ff02::1]"));
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
