//! Via handling: building ours (RFC 3261 §18.1.1, RFC 3581 `rport`,
//! `maddr` for multicast) and reading the branch of responses; stamping
//! `received`/`rport` on requests we receive (§18.2.1) and where a
//! response goes (§18.2.2) are in [`received`].

use crate::types::TransportKind;
use std::fmt::Write as _;
use std::net::IpAddr;

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

/// The Via of a client transaction, written into `s` (cleared first): its
/// branch is the magic cookie, 16 random hex digits and the transaction's
/// id in hex, so a response finds its transaction without a branch table.
/// Returns where the branch is in `s`.
pub(crate) fn build_client(
    s: &mut String,
    transport: TransportKind,
    sent_by: &str,
    random: u64,
    id: u64,
) -> (u16, u16) {
    // "SIP/2.0/UDP " sent-by ";branch=" cookie, 16 + up to 16 digits, ";rport"
    s.clear();
    s.reserve(12 + sent_by.len() + 8 + 7 + 32 + 6);
    s.push_str("SIP/2.0/");
    s.push_str(transport.via_token());
    s.push(' ');
    s.push_str(sent_by);
    s.push_str(";branch=");
    let start = s.len();
    s.push_str(MAGIC_COOKIE);
    let mut digits = [0u8; 32];
    let mut r = random;
    for d in &mut digits[..CLIENT_RANDOM] {
        *d = HEX[(r & 15) as usize];
        r >>= 4;
    }
    let n = (64 - id.leading_zeros()).div_ceil(4).max(1) as usize;
    for (i, d) in digits[CLIENT_RANDOM..CLIENT_RANDOM + n]
        .iter_mut()
        .enumerate()
    {
        *d = HEX[((id >> ((n - 1 - i) * 4)) & 15) as usize];
    }
    // Hex digits are ASCII.
    s.push_str(std::str::from_utf8(&digits[..CLIENT_RANDOM + n]).unwrap_or(""));
    let at = (clamp16(start), clamp16(s.len()));
    s.push_str(";rport");
    at
}

fn clamp16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
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
    if memchr::memchr(b',', value.as_bytes()).is_none() {
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
    // Fast path: the first parameter is `branch=` exactly, as we write it
    // (and a response's Via is ours, copied back).
    let quoted = memchr::memchr(b'"', via.as_bytes()).is_some();
    if let Some(semi) = memchr::memchr(b';', via.as_bytes()).filter(|_| !quoted) {
        if let Some(v) = via[semi + 1..].strip_prefix("branch=") {
            let end = memchr::memchr3(b';', b' ', b'\t', v.as_bytes()).unwrap_or(v.len());
            if end > 0 {
                return Some(&v[..end]);
            }
        }
    }
    if !quoted {
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

pub(crate) fn push_decimal(out: &mut String, n: u16) {
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

pub(crate) fn push_ip(out: &mut String, ip: IpAddr) {
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

mod received;

pub(crate) use received::{stamp, ResponseRoute};

#[cfg(test)]
mod tests {
    use super::*;
    use heron_sip::headers::Via;
    use heron_sip::TypedHeader;

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
        assert_eq!(
            branch_param("SIP/2.0/UDP h;branch=z9hG4bKa ;rport"),
            Some("z9hG4bKa")
        );
        assert_eq!(branch_param("SIP/2.0/UDP h;branch=;x"), Some(""));
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
            let mut v = String::from("left over");
            let (s, e) = build_client(&mut v, TransportKind::Udp, "h:1", 0x0123_4567_89ab_cdef, id);
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
