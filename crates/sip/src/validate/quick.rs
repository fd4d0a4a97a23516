//! Quick recognisers for the header values [`Message::validate`] reads on
//! every message, in the forms peers usually write them. Each accepts a
//! subset of what the typed parser accepts (never more: anything unusual,
//! such as white space, quoted parameters, escapes in parameters, IPv6
//! references or a `?`, is declined and left to the parser), so a value
//! they accept is valid and a value they decline is parsed in full.
//! They never panic and do not allocate.
//!
//! [`Message::validate`]: crate::Message::validate

use crate::text::{class_run, class_table, parse_decimal, TOKEN};

/// Unreserved and user-unreserved characters of a user part, without
/// the ones that could end it (`;`, `?`, `/`, `:`) and without `%`
/// (escapes are checked on their own).
static USER: [bool; 256] = class_table(b"-_.!~*'()&=+$,", true);
/// URI parameter names and values: unreserved characters only.
static URI_PARAM: [bool; 256] = class_table(b"-_.!~*'()", true);
/// Header parameter values: token, and what an address in `received`
/// or `maddr` adds.
static VALUE: [bool; 256] = class_table(b"-.!%*_+`'~:[]", true);

/// A user part from `i`: user characters and `%HH` escapes. Returns
/// where it stops.
fn user(b: &[u8], mut i: usize) -> usize {
    loop {
        i = class_run(&USER, b, i);
        match (b.get(i), b.get(i + 1), b.get(i + 2)) {
            (Some(b'%'), Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                i += 3
            }
            _ => return i,
        }
    }
}

/// A host from `start`: a dotted-quad IPv4 address (octets 0 to 255
/// without leading zeros) or a domain name whose labels are not empty and
/// do not start with `-`, with a letter or `-` somewhere and no trailing
/// dot. Returns where it ends; the byte there is not a host character
/// (nor `_`, which the parser would take as one). One pass.
fn host(b: &[u8], start: usize) -> Option<usize> {
    const DIGIT: u8 = 1;
    const DOT: u8 = 2;
    const LETTER: u8 = 3;
    const DASH: u8 = 4;
    const UNDERSCORE: u8 = 5;
    let mut i = start;
    let mut prev = DOT;
    // A letter or '-' seen: a domain name rather than an IPv4 address.
    let mut name = false;
    let (mut dots, mut digits, mut octet, mut quad) = (0u32, 0u32, 0u32, true);
    while let Some(&c) = b.get(i) {
        let class = HOST_CLASS[c as usize];
        match class {
            DIGIT => {
                // No leading zero; stays above 255 once it gets there.
                quad &= !(digits == 1 && octet == 0);
                octet = if octet > 255 {
                    256
                } else {
                    octet * 10 + u32::from(c - b'0')
                };
                digits += 1;
            }
            DOT => {
                if prev == DOT {
                    return None;
                }
                quad &= octet <= 255;
                dots += 1;
                digits = 0;
                octet = 0;
            }
            LETTER => name = true,
            DASH if prev != DOT => name = true,
            DASH | UNDERSCORE => return None,
            _ => break,
        }
        prev = class;
        i += 1;
    }
    if i == start || prev == DOT {
        return None;
    }
    (name || (quad && octet <= 255 && dots == 3)).then_some(i)
}

/// Host characters: 1 digits, 2 `.`, 3 letters, 4 `-`, 5 `_`, 0 others.
static HOST_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = match c {
            b'0'..=b'9' => 1,
            b'.' => 2,
            b'a'..=b'z' | b'A'..=b'Z' => 3,
            b'-' => 4,
            b'_' => 5,
            _ => 0,
        };
        i += 1;
    }
    t
};

/// `:port` at `i` if there is one; returns where it ends.
fn port(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b':') {
        return Some(i);
    }
    let end = class_run(&DIGIT, b, i + 1);
    if end - (i + 1) > 5 {
        return None;
    }
    parse_decimal(b.get(i + 1..end)?, 65535).map(|_| end)
}

static DIGIT: [bool; 256] = class_table(b"0123456789", false);

/// A `sip:`/`sips:` URI (lower-case scheme) with an optional user part,
/// a host, an optional port and unreserved-only parameters, and nothing
/// else: no password, headers, escapes outside the user part or white
/// space.
pub(crate) fn sip_uri(b: &[u8]) -> bool {
    let i = if b.starts_with(b"sip:") {
        4
    } else if b.starts_with(b"sips:") {
        5
    } else {
        return false;
    };
    let u = user(b, i);
    let h = match b.get(u) {
        Some(b'@') if u > i => u + 1,
        // No user part: then there is no '@' anywhere (the scan below
        // refuses one), as the parser's first-'@' reading needs.
        _ => i,
    };
    let Some(mut at) = host(b, h).and_then(|e| port(b, e)) else {
        return false;
    };
    while b.get(at) == Some(&b';') {
        let name = class_run(&URI_PARAM, b, at + 1);
        if name == at + 1 {
            return false;
        }
        at = name;
        if b.get(at) == Some(&b'=') {
            let value = class_run(&URI_PARAM, b, at + 1);
            if value == at + 1 {
                return false;
            }
            at = value;
        }
    }
    at == b.len()
}

/// `;name[=value]...` header parameters from `i` to the end, no white
/// space, token names and [`VALUE`] values; `check` sees each one.
fn header_params(
    b: &[u8],
    mut i: usize,
    mut check: impl FnMut(&[u8], Option<&[u8]>) -> bool,
) -> bool {
    while i < b.len() {
        if b[i] != b';' {
            return false;
        }
        let name_end = class_run(&TOKEN, b, i + 1);
        if name_end == i + 1 {
            return false;
        }
        let name = &b[i + 1..name_end];
        i = name_end;
        let mut value = None;
        if b.get(i) == Some(&b'=') {
            let end = class_run(&VALUE, b, i + 1);
            if end == i + 1 {
                return false;
            }
            value = Some(&b[i + 1..end]);
            i = end;
        }
        if !check(name, value) {
            return false;
        }
    }
    true
}

/// A From/To-style value: `<URI>`, `"display" <URI>` or
/// `display tokens <URI>`, then header parameters; the URI as
/// [`sip_uri`] takes it.
pub(crate) fn name_addr(v: &str) -> bool {
    let b = v.as_bytes();
    let open = match b.first() {
        Some(b'<') => 0,
        Some(b'"') => {
            // A quoted display name without escapes, then SP/HTAB.
            let Some(q) = memchr::memchr2(b'"', b'\\', &b[1..]) else {
                return false;
            };
            if b[1 + q] != b'"' {
                return false;
            }
            let mut i = q + 2;
            while matches!(b.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            i
        }
        Some(c) if TOKEN[*c as usize] => {
            let mut i = 0;
            while i < b.len() && (TOKEN[b[i] as usize] || b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            i
        }
        _ => return false,
    };
    if b.get(open) != Some(&b'<') {
        return false;
    }
    let Some(close) = memchr::memchr(b'>', &b[open..]).map(|c| open + c) else {
        return false;
    };
    sip_uri(&b[open + 1..close]) && header_params(b, close + 1, |_, _| true)
}

/// One Via value: `SIP/2.0/transport host[:port]` and header
/// parameters, with `branch`, `received`, `maddr` and `ttl` holding a
/// value and `rport`/`ttl` values in range, as the parser checks.
pub(crate) fn via(v: &str) -> bool {
    let b = v.as_bytes();
    let Some(rest) = b.strip_prefix(b"SIP/2.0/") else {
        return false;
    };
    let t = class_run(&TOKEN, rest, 0);
    if t == 0 || rest.get(t) != Some(&b' ') {
        return false;
    }
    let Some(i) = host(rest, t + 1).and_then(|e| port(rest, e)) else {
        return false;
    };
    header_params(rest, i, |name, value| {
        // Dispatch on length first, as most parameters are branch and rport.
        let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
        match name.len() {
            5 if is(b"rport") => value.is_none_or(|v| parse_decimal(v, 65535).is_some()),
            3 if is(b"ttl") => value.is_some_and(|v| parse_decimal(v, 255).is_some()),
            6 if is(b"branch") => value.is_some(),
            8 if is(b"received") => value.is_some(),
            5 if is(b"maddr") => value.is_some(),
            _ => true,
        }
    })
}

/// CSeq: `number SP method`, the number at most 2^32-1, the method a
/// token and, for a request, its own method.
pub(crate) fn cseq(v: &str, method: Option<&str>) -> bool {
    let b = v.as_bytes();
    let mut n = 0;
    let mut seq: u64 = 0;
    while let Some(c) = b.get(n).filter(|c| c.is_ascii_digit()) {
        seq = seq * 10 + u64::from(c - b'0');
        n += 1;
        if n > 10 {
            return false;
        }
    }
    if n == 0 || seq > u64::from(u32::MAX) || b.get(n) != Some(&b' ') {
        return false;
    }
    let m = &b[n + 1..];
    !m.is_empty()
        && method.is_none_or(|want| want.as_bytes() == m)
        && class_run(&TOKEN, m, 0) == m.len()
}

/// Call-ID: `word ["@" word]` with word characters limited to
/// alphanumerics and `-.!%*_+~`.
pub(crate) fn call_id(v: &str) -> bool {
    let b = v.as_bytes();
    let first = class_run(&CALL_ID, b, 0);
    if first == 0 {
        return false;
    }
    if first == b.len() {
        return true;
    }
    b[first] == b'@' && first + 1 < b.len() && class_run(&CALL_ID, b, first + 1) == b.len()
}

static CALL_ID: [bool; 256] = class_table(b"-.!%*_+~", true);

/// Max-Forwards: one to three digits, at most 255.
pub(crate) fn max_forwards(v: &str) -> bool {
    v.len() <= 3 && parse_decimal(v.as_bytes(), 255).is_some()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{
        call_id, cseq, max_forwards, name_addr as quick_name_addr, sip_uri, via as quick_via,
    };
    use crate::headers::{CSeq, CallId, MaxForwards, NameAddr, TypedHeader, Via};
    use crate::uri::Uri;
    use proptest::prelude::*;

    #[test]
    fn usual_forms_are_recognised() {
        for v in [
            "<sip:bench@example.com>;tag=b1",
            "<sip:svc@example.com>",
            "\"Support Line\" <sip:+4930555010@example.com>;tag=8f3a2c1b",
            "Bob <sips:bob@192.0.2.4:5061;transport=tls>;tag=a-b.c",
            "<sip:%61lice@pbx-1.example.org;user=phone;lr>",
            "<sip:10.0.0.2>",
        ] {
            assert!(quick_name_addr(v), "{v}");
            assert!(NameAddr::parse(v).is_ok(), "{v}");
        }
        for v in [
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds;rport",
            "SIP/2.0/TLS pbx.example.com;branch=z9hG4bKx;rport=5061;received=[2001:db8::1]",
            "SIP/2.0/UDP h.example:5070;branch=z9hG4bKa;maddr=239.1.2.3;ttl=16",
        ] {
            assert!(quick_via(v), "{v}");
            assert!(Via::parse(v).is_ok(), "{v}");
        }
        assert!(cseq("4294967295 OPTIONS", Some("OPTIONS")));
        assert!(cseq("1 INVITE", None));
        for v in ["bench-call-id", "a84b4c76e66710@pc33.atlanta.com", "x"] {
            assert!(call_id(v), "{v}");
            assert!(CallId::parse(v).is_ok(), "{v}");
        }
        for v in ["0", "70", "255"] {
            assert!(max_forwards(v), "{v}");
            assert!(MaxForwards::parse(v).is_ok(), "{v}");
        }
    }

    #[test]
    fn unusual_forms_are_left_to_the_parser() {
        for v in [
            " <sip:a@b>",
            "<sip:a@b> ;tag=1",
            "<sip:a:pw@b>",
            "<sip:a@b?subject=x>",
            "<sip:a@[2001:db8::1]>",
            "<sip:a@b.>",
            "<sip:a@b_c>",
            "<sip:a@-b>",
            "<sip:a@b@c>",
            "<sip:b;x=a@c>",
            "<sip:a@b:65536>",
            "<sip:a@b:050600>",
            "<sip:a@256.1.1.1>",
            "<sip:a@1.2.3>",
            "<sip:a@010.0.0.1>",
            "<sip:a@1.2.3.4.5>",
            "<sip:a@1.2.3.1000>",
            "<sip:a@a.-b>",
            "<SIP:a@b>",
            "<tel:+4930555>",
            "<sip:a@b>;x=\"q\"",
            "\"a\\\"b\" <sip:a@b>",
            "sip:a@b;tag=1",
            "<sip:a@b>;tag=",
            "<sip:a%2@b>",
        ] {
            assert!(!quick_name_addr(v), "{v}");
        }
        for v in [
            "SIP/2.0/UDP  h;branch=z9hG4bKx",
            "SIP / 2.0 / UDP h",
            "SIP/2.0/UDP h;rport=65536",
            "SIP/2.0/UDP h;ttl=256",
            "SIP/2.0/UDP h;ttl",
            "SIP/2.0/UDP h;branch",
            "SIP/2.0/UDP h;received",
            "SIP/2.0/UDP h, SIP/2.0/UDP p",
            "SIP/2.0/UDP [::1]",
            "SIP/2.0/UDP h;x=\"a\"",
        ] {
            assert!(!quick_via(v), "{v}");
        }
        for (v, m) in [
            ("1 INVITE", Some("OPTIONS")),
            ("4294967296 INVITE", None),
            (" 1 INVITE", None),
            ("1  INVITE", None),
            ("1 INVITE ", None),
            ("1", None),
            ("x INVITE", None),
        ] {
            assert!(!cseq(v, m), "{v}");
        }
    }

    /// Picks one of `usual` four times in five, else one of `odd`.
    fn pick(
        usual: &'static [&'static str],
        odd: &'static [&'static str],
    ) -> impl Strategy<Value = &'static str> {
        prop_oneof![4 => prop::sample::select(usual), 1 => prop::sample::select(odd)]
    }

    /// `s` with one character from an awkward set inserted, replacing
    /// the byte there, or left alone.
    fn mutate(s: String) -> impl Strategy<Value = String> {
        let len = s.len();
        (
            0..=len,
            prop::sample::select(
                &[
                    "", "", "", "", "", "", "", "", "", "", "", "", " ", "\t", ";", ":", "@", "<",
                    ">", "\"", "\\", ",", "?", "%", "=", "_", "-", ".", "[", "]", "0", "9", "a",
                    "Z", "é", "/",
                ][..],
            ),
            any::<bool>(),
        )
            .prop_map(move |(at, c, replace)| {
                let mut out = s.clone();
                if out.is_char_boundary(at) {
                    let end = if replace {
                        out[at..].chars().next().map_or(at, |ch| at + ch.len_utf8())
                    } else {
                        at
                    };
                    out.replace_range(at..end, c);
                }
                out
            })
    }

    fn uri() -> impl Strategy<Value = String> {
        (
            pick(&["sip:", "sips:"], &["SIP:", "tel:"]),
            pick(
                &["", "alice@", "%61b@", "+49-30@", "a.b_c~@"],
                &["a;b@", "a:pw@", "@", "a?b@", "%4@"],
            ),
            pick(
                &["example.com", "10.0.0.1", "x-1.y", "0.0.0.0", "A"],
                &[
                    "256.0.0.1",
                    "1.2.3",
                    "a..b",
                    "-a.com",
                    "b.",
                    "b_c",
                    "[2001:db8::1]",
                    "1.2.3.4a",
                ],
            ),
            pick(&["", ":5060", ":65535", ":0"], &[":65536", ":", ":050600"]),
            prop::collection::vec(
                pick(
                    &[";lr", ";transport=tcp", ";user=phone"],
                    &[";x=", ";=y", ";a=b@c", ";a:b", ";%41", ";x=[1]"],
                ),
                0..3,
            ),
            pick(&[""], &["?subject=x", "?"]),
        )
            .prop_map(|(s, u, h, p, params, q)| format!("{s}{u}{h}{p}{}{q}", params.concat()))
    }

    fn header_params() -> impl Strategy<Value = String> {
        prop::collection::vec(
            pick(
                &[";tag=abc", ";TAG=9", ";a=b:c", ";x=[::1]", ";t=%"],
                &[";tag=", ";tag", " ;tag=1", ";x=\"q\"", ";;", ";a=b=c"],
            ),
            0..3,
        )
        .prop_map(|p| p.concat())
    }

    pub(crate) fn name_addr_text() -> impl Strategy<Value = String> {
        (
            pick(
                &["", "\"Al ice\" ", "Bob ", "\"<>\" "],
                &["\"a\\\"b\" ", "\"x\"", "B_b\t", "\"x"],
            ),
            uri(),
            header_params(),
            prop::bool::weighted(0.9),
        )
            .prop_map(|(d, u, p, bracket)| {
                if bracket {
                    format!("{d}<{u}>{p}")
                } else {
                    format!("{u}{p}")
                }
            })
            .prop_flat_map(mutate)
    }

    pub(crate) fn via_text() -> impl Strategy<Value = String> {
        (
            pick(
                &["SIP/2.0/UDP ", "SIP/2.0/TLS "],
                &["SIP / 2.0 / TCP ", "SIP/2.0/ ", "SIP/2.0/UDP"],
            ),
            pick(
                &["10.0.0.1", "pbx.example.com", "h"],
                &["1.2.3", "a..b", "b_c", "[::1]"],
            ),
            pick(&["", ":5060"], &[":99999", ":"]),
            prop::collection::vec(
                pick(
                    &[
                        ";branch=z9hG4bKx",
                        ";rport",
                        ";rport=5060",
                        ";ttl=1",
                        ";x",
                        ";received=10.0.0.9",
                        ";maddr=239.1.1.1",
                    ],
                    &[
                        ";branch",
                        ";rport=65536",
                        ";ttl=256",
                        ";ttl",
                        ";received",
                        ";maddr",
                        ";RPORT=x",
                        ";x=\"y\"",
                        ";b=a=c",
                    ],
                ),
                0..4,
            ),
            pick(&[""], &[", SIP/2.0/UDP p"]),
        )
            .prop_map(|(a, h, p, params, more)| format!("{a}{h}{p}{}{more}", params.concat()))
            .prop_flat_map(mutate)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn quick_name_addr_accepts_only_what_the_parser_accepts(v in name_addr_text()) {
            if quick_name_addr(&v) {
                prop_assert!(NameAddr::parse(&v).is_ok(), "{}", v);
            }
            if let Some(u) = v.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
                if sip_uri(u.as_bytes()) {
                    prop_assert!(Uri::parse(u).is_ok(), "{}", u);
                }
            }
        }

        #[test]
        fn quick_via_accepts_only_what_the_parser_accepts(v in via_text()) {
            if quick_via(&v) {
                prop_assert!(Via::parse(&v).is_ok(), "{}", v);
            }
        }

        #[test]
        fn quick_call_id_and_max_forwards_accept_only_what_the_parser_accepts(
            v in "[a-c0-9@.\"<>: \t%~-]{0,8}",
        ) {
            if call_id(&v) {
                prop_assert!(CallId::parse(&v).is_ok(), "{}", v);
            }
            if max_forwards(&v) {
                prop_assert!(MaxForwards::parse(&v).is_ok(), "{}", v);
            }
        }

        #[test]
        fn quick_cseq_agrees_with_the_parser(v in "[0-9]{0,11}[ \t]{0,2}[A-Za-z\"]{0,7}[ ]?") {
            if cseq(&v, None) {
                let c = CSeq::parse(&v);
                prop_assert!(c.is_ok(), "{}", v);
                if cseq(&v, Some("INVITE")) {
                    prop_assert_eq!(c.map(|c| c.method).ok(), Some("INVITE"));
                }
            }
        }
    }

    #[test]
    fn quick_scans_never_panic_on_odd_bytes() {
        for v in [
            "",
            "<",
            "\"",
            "\"\\",
            "<sip:",
            "<sip:a@",
            "SIP/2.0/",
            "SIP/2.0/U ",
            "1 ",
            "é <sip:é>",
        ] {
            let _ = quick_name_addr(v);
            let _ = quick_via(v);
            let _ = cseq(v, Some("INVITE"));
            let _ = call_id(v);
            let _ = max_forwards(v);
            let _ = sip_uri(v.as_bytes());
        }
    }
}
