//! URIs: `sip`, `sips` (RFC 3261 §19.1, IPv6 references per RFC 5118), `tel`
//! (RFC 3966) and any other scheme as an opaque absolute URI. Parsing borrows
//! from the input; comparison follows RFC 3261 §19.1.4.

use crate::error::ValueError;
use crate::params::{ParamKind, Params};
use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A URI as found in a Request-URI or a name-addr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uri<'a> {
    /// `sip:` or `sips:`.
    Sip(SipUri<'a>),
    /// `tel:` (RFC 3966).
    Tel(TelUri<'a>),
    /// Any other scheme, kept as written.
    Other(AbsoluteUri<'a>),
}

/// A `sip:` or `sips:` URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipUri<'a> {
    /// `true` for `sips:`.
    pub secure: bool,
    /// The user part, still %-escaped as written.
    pub user: Option<&'a str>,
    /// The password part, still escaped (deprecated, but parsed).
    pub password: Option<&'a str>,
    /// The host.
    pub host: Host<'a>,
    /// The port, if written.
    pub port: Option<u16>,
    /// URI parameters (`;transport=tcp;lr`).
    pub params: Params<'a>,
    /// The headers component after `?`, without the `?`.
    pub headers: Option<&'a str>,
}

/// The host of a SIP URI or Via.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// A domain name, as written.
    Domain(&'a str),
    /// An IPv4 address.
    V4(Ipv4Addr),
    /// An IPv6 reference (written in brackets).
    V6(Ipv6Addr),
}

/// A `tel:` URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelUri<'a> {
    /// The number as written, visual separators included (`+49-30-555`).
    pub number: &'a str,
    /// Parameters (`;phone-context=...;ext=...`).
    pub params: Params<'a>,
}

/// A URI of a scheme this crate does not interpret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbsoluteUri<'a> {
    /// The scheme, as written.
    pub scheme: &'a str,
    /// Everything after the colon.
    pub rest: &'a str,
}

static USER: [bool; 256] = crate::text::class_table(b"-_.!~*'()&=+$,;?/", true);
static PASSWORD: [bool; 256] = crate::text::class_table(b"-_.!~*'()&=+$,", true);
static URI_HEADER: [bool; 256] = crate::text::class_table(b"-_.!~*'()[]/?:+$=&", true);

/// The run of `class` characters and `%HH` escapes at `from`: where it
/// stops, or `None` at an escape that is not one.
#[inline]
fn escaped_run(class: &[bool; 256], b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        i = crate::text::class_run(class, b, i);
        if i < b.len() && b[i] == b'%' {
            let h = b.get(i + 1..i + 3)?;
            if !h.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            i += 3;
        } else {
            return Some(i);
        }
    }
}

/// The common userinfo shapes read in the same pass that checks them:
/// `user@` and `user:password@`. A user character is never `@`, so a run
/// that stops at one stopped at the first `@`. `None` when the text takes
/// the general path (no userinfo, or something to report).
#[allow(clippy::type_complexity)]
#[inline]
fn userinfo_fast(s: &str) -> Option<(Option<&str>, Option<&str>, &str, usize)> {
    let b = s.as_bytes();
    let end = escaped_run(&USER, b, 0)?;
    if end == 0 {
        return None;
    }
    let no_userinfo = Some((None, None, s, 0));
    match b.get(end) {
        // The whole rest is user characters: there is no `@`.
        None => no_userinfo,
        Some(b'@') => Some((Some(&s[..end]), None, &s[end + 1..], end + 1)),
        Some(b':') => {
            let p_end = escaped_run(&PASSWORD, b, end + 1)?;
            if b.get(p_end) == Some(&b'@') {
                return Some((
                    Some(&s[..end]),
                    Some(&s[end + 1..p_end]),
                    &s[p_end + 1..],
                    p_end + 1,
                ));
            }
            // `host:port`: without an `@` further on, there is no userinfo.
            crate::text::find_in(&b[p_end..], b'@')
                .is_none()
                .then_some((None, None, s, 0))
        }
        _ => None,
    }
}

/// Checks that `s` consists of `ok` characters and valid `%HH` escapes.
fn check_escaped(s: &str, ok: &[bool; 256], what: &'static str) -> Result<(), ValueError> {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        i = crate::text::class_run(ok, b, i);
        if i == b.len() {
            return Ok(());
        }
        if b[i] == b'%' {
            let h = b
                .get(i + 1..i + 3)
                .ok_or(ValueError::new("truncated %-escape", i))?;
            if !h.iter().all(u8::is_ascii_hexdigit) {
                return Err(ValueError::new("invalid %-escape", i));
            }
            i += 3;
        } else {
            return Err(ValueError::new(what, i));
        }
    }
}

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// The bytes of `s` with `%HH` escapes decoded (no recursion: `%2541`
/// decodes to `%41`, RFC 4475 §3.1.1.3).
pub fn decoded_bytes(s: &str) -> impl Iterator<Item = u8> + '_ {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let c = *b.get(i)?;
        if c == b'%' && i + 2 < b.len() {
            let (h, l) = (b[i + 1], b[i + 2]);
            if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() {
                i += 3;
                return Some(hex_val(h) << 4 | hex_val(l));
            }
        }
        i += 1;
        Some(c)
    })
}

/// Decodes `%HH` escapes. Returns the input when there is nothing to decode;
/// bytes that do not form UTF-8 are replaced with U+FFFD.
pub fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes: Vec<u8> = decoded_bytes(s).collect();
    match String::from_utf8(bytes) {
        Ok(v) => Cow::Owned(v),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn parse_scheme(s: &str) -> Result<(&str, &str), ValueError> {
    let colon = crate::text::find_byte(s, b':').ok_or(ValueError::new("URI has no scheme", 0))?;
    let scheme = &s[..colon];
    let b = scheme.as_bytes();
    if b.is_empty()
        || !b[0].is_ascii_alphabetic()
        || !b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        return Err(ValueError::new("invalid URI scheme", 0));
    }
    Ok((scheme, &s[colon + 1..]))
}

impl<'a> Uri<'a> {
    /// Parses a URI. Angle brackets are not part of a URI.
    pub fn parse(s: &'a str) -> Result<Uri<'a>, ValueError> {
        // `sip:` in any case, from one word; the colon compares exactly.
        if let Some(head) = s.as_bytes().first_chunk::<4>() {
            if u32::from_le_bytes(*head) | 0x0020_2020 == u32::from_le_bytes(*b"sip:") {
                return SipUri::parse_after_scheme(&s[4..], false)
                    .map(Uri::Sip)
                    .map_err(|e| e.shift(4));
            }
        }
        let (scheme, rest) = parse_scheme(s)?;
        let off = scheme.len() + 1;
        if scheme.eq_ignore_ascii_case("sip") {
            SipUri::parse_after_scheme(rest, false)
                .map(Uri::Sip)
                .map_err(|e| e.shift(off))
        } else if scheme.eq_ignore_ascii_case("sips") {
            SipUri::parse_after_scheme(rest, true)
                .map(Uri::Sip)
                .map_err(|e| e.shift(off))
        } else if scheme.eq_ignore_ascii_case("tel") {
            TelUri::parse_after_scheme(rest)
                .map(Uri::Tel)
                .map_err(|e| e.shift(off))
        } else {
            if rest.is_empty() {
                return Err(ValueError::new("empty URI after scheme", off));
            }
            if let Some(i) = rest.bytes().position(|b| {
                b.is_ascii_whitespace()
                    || b.is_ascii_control()
                    || b == b'<'
                    || b == b'>'
                    || b == b'"'
            }) {
                return Err(ValueError::new("invalid character in URI", off + i));
            }
            Ok(Uri::Other(AbsoluteUri { scheme, rest }))
        }
    }

    /// The SIP URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri<'a>> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// The scheme in lower case (`sip`, `sips`, `tel`) or as written.
    pub fn scheme(&self) -> &'a str {
        match self {
            Uri::Sip(u) if u.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Tel(_) => "tel",
            Uri::Other(o) => o.scheme,
        }
    }

    /// URI equivalence per RFC 3261 §19.1.4 (sip/sips) and RFC 3966 §4 (tel);
    /// other schemes compare case-insensitively in the scheme and exactly
    /// otherwise.
    pub fn equivalent(&self, other: &Uri<'_>) -> bool {
        match (self, other) {
            (Uri::Sip(a), Uri::Sip(b)) => a.equivalent(b),
            (Uri::Tel(a), Uri::Tel(b)) => a.equivalent(b),
            (Uri::Other(a), Uri::Other(b)) => {
                a.scheme.eq_ignore_ascii_case(b.scheme) && a.rest == b.rest
            }
            _ => false,
        }
    }
}

impl<'a> SipUri<'a> {
    /// Parses a `sip:`/`sips:` URI.
    pub fn parse(s: &'a str) -> Result<SipUri<'a>, ValueError> {
        match Uri::parse(s)? {
            Uri::Sip(u) => Ok(u),
            _ => Err(ValueError::new("not a sip or sips URI", 0)),
        }
    }

    fn parse_after_scheme(s: &'a str, secure: bool) -> Result<SipUri<'a>, ValueError> {
        let (user, password, hostpart, hoff) = match userinfo_fast(s) {
            Some(found) => found,
            None => Self::userinfo_slow(s)?,
        };
        Self::parse_after_userinfo(secure, user, password, hostpart, hoff)
    }

    /// Splits off the userinfo by its first `@`, as the grammar reads it.
    #[allow(clippy::type_complexity)]
    fn userinfo_slow(
        s: &'a str,
    ) -> Result<(Option<&'a str>, Option<&'a str>, &'a str, usize), ValueError> {
        Ok(match crate::text::find_byte(s, b'@') {
            Some(at) => {
                let userinfo = &s[..at];
                let (user, password) = match crate::text::find_byte(userinfo, b':') {
                    Some(c) => (&userinfo[..c], Some(&userinfo[c + 1..])),
                    None => (userinfo, None),
                };
                if user.is_empty() {
                    return Err(ValueError::new("empty user part", 0));
                }
                check_escaped(user, &USER, "invalid character in user part")?;
                if let Some(p) = password {
                    check_escaped(p, &PASSWORD, "invalid character in password")
                        .map_err(|e| e.shift(user.len() + 1))?;
                }
                (Some(user), password, &s[at + 1..], at + 1)
            }
            None => (None, None, s, 0),
        })
    }

    fn parse_after_userinfo(
        secure: bool,
        user: Option<&'a str>,
        password: Option<&'a str>,
        hostpart: &'a str,
        hoff: usize,
    ) -> Result<SipUri<'a>, ValueError> {
        let (host, after_host) = parse_host(hostpart).map_err(|e| e.shift(hoff))?;
        let mut rest = &hostpart[after_host..];
        let mut pos = hoff + after_host;
        let mut port = None;
        if let Some(r) = rest.strip_prefix(':') {
            let (p, end) = crate::text::decimal_run(r.as_bytes(), 65535);
            let p = p.ok_or(ValueError::new("invalid port", pos + 1))?;
            port = Some(p as u16);
            rest = &r[end..];
            pos += 1 + end;
        }
        // `?` cannot occur in parameters, so where they stop at one the
        // headers begin.
        let (params, used) = Params::lex(rest, ParamKind::Uri, Some(b'?'), |_, _, _| Ok(()))
            .map_err(|e| e.shift(pos))?;
        let params_raw = params.as_str();
        let headers = (used < rest.len()).then(|| &rest[used + 1..]);
        if let Some(h) = headers {
            check_escaped(h, &URI_HEADER, "invalid character in URI headers")
                .map_err(|e| e.shift(pos + params_raw.len() + 1))?;
        }
        Ok(SipUri {
            secure,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }

    /// The user part with `%HH` escapes decoded.
    pub fn user_unescaped(&self) -> Option<Cow<'a, str>> {
        self.user.map(unescape)
    }

    /// The `transport` parameter, if any.
    pub fn transport(&self) -> Option<&'a str> {
        self.params.get("transport").flatten()
    }

    /// Whether the URI has `user=phone` (the user part is a telephone number).
    pub fn is_phone(&self) -> bool {
        matches!(self.params.get("user"), Some(Some(v)) if v.eq_ignore_ascii_case("phone"))
    }

    /// Whether the URI carries the `lr` parameter (loose routing).
    pub fn is_loose_route(&self) -> bool {
        self.params.contains("lr")
    }

    /// URI equivalence per RFC 3261 §19.1.4.
    pub fn equivalent(&self, o: &SipUri<'_>) -> bool {
        if self.secure != o.secure
            || !escaped_eq(self.user, o.user)
            || !escaped_eq(self.password, o.password)
            || !self.host.equivalent(&o.host)
            || self.port != o.port
        {
            return false;
        }
        // Parameters that must match when present in either URI.
        for name in ["user", "ttl", "method", "maddr", "transport"] {
            match (self.params.get(name), o.params.get(name)) {
                (None, None) => {}
                (Some(a), Some(b)) => {
                    if !opt_eq_ignore_case(a, b) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
        // Any other parameter present in both must match; a name given
        // twice counts with its first value, on both sides alike.
        for (n, _) in self.params.iter() {
            if let (Some(v), Some(ov)) = (self.params.get(n), o.params.get(n)) {
                if !opt_eq_ignore_case(v, ov) {
                    return false;
                }
            }
        }
        headers_equivalent(self.headers, o.headers)
    }
}

fn opt_eq_ignore_case(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => decoded_bytes(a)
            .map(|c| c.to_ascii_lowercase())
            .eq(decoded_bytes(b).map(|c| c.to_ascii_lowercase())),
        _ => false,
    }
}

fn escaped_eq(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => decoded_bytes(a).eq(decoded_bytes(b)),
        _ => false,
    }
}

fn headers_equivalent(a: Option<&str>, b: Option<&str>) -> bool {
    let split = |s: Option<&str>| -> Vec<(String, Vec<u8>)> {
        s.map(|s| {
            s.split('&')
                .filter(|h| !h.is_empty())
                .map(|h| {
                    let (n, v) = h.split_once('=').unwrap_or((h, ""));
                    (unescape(n).to_ascii_lowercase(), decoded_bytes(v).collect())
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let (mut x, mut y) = (split(a), split(b));
    x.sort();
    y.sort();
    x == y
}

/// Parses a host at the start of `s`; returns it and the bytes consumed.
pub(crate) fn parse_host(s: &str) -> Result<(Host<'_>, usize), ValueError> {
    if let Some((addr, end)) = dotted_quad(s.as_bytes()) {
        return Ok((Host::V4(addr), end));
    }
    parse_host_general(s)
}

/// Reads any host: an IPv6 reference, a dotted quad or a name.
fn parse_host_general(s: &str) -> Result<(Host<'_>, usize), ValueError> {
    if let Some(r) = s.strip_prefix('[') {
        let end = r
            .find(']')
            .ok_or(ValueError::new("unterminated IPv6 reference", 0))?;
        let addr: Ipv6Addr = r[..end]
            .parse()
            .map_err(|_| ValueError::new("invalid IPv6 address", 1))?;
        return Ok((Host::V6(addr), end + 2));
    }
    let b = s.as_bytes();
    // Digits and dots, keeping the octets on the way;
    // the first other host character turns it into a name, checked with
    // the class table.
    let mut end = 0;
    let mut octets = [0u8; 4];
    let mut idx = 0;
    let mut val: u32 = 0;
    let mut digits = 0;
    let mut ipv4_ok = true;
    while end < b.len() {
        let c = b[end];
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            // Capped so a long run of digits cannot overflow.
            val = (val * 10 + u32::from(d)).min(1000);
            digits += 1;
            ipv4_ok &= val <= 255 && digits <= 3;
        } else if c == b'.' {
            ipv4_ok &= digits > 0 && idx < 3;
            if idx < 3 {
                octets[idx] = val as u8;
            }
            idx += 1;
            val = 0;
            digits = 0;
        } else {
            break;
        }
        end += 1;
    }
    let name_end = crate::text::class_run(&HOST_NAME, b, end);
    let name = name_end > end;
    end = name_end;
    let h = &s[..end];
    if h.is_empty() {
        return Err(ValueError::new("missing host", 0));
    }
    if !name {
        if !ipv4_ok || idx != 3 || digits == 0 {
            return Err(ValueError::new("invalid IPv4 address", 0));
        }
        octets[3] = val as u8;
        return Ok((Host::V4(Ipv4Addr::from(octets)), end));
    }
    if b[0] == b'-' || b[0] == b'.' || has_empty_label(h.as_bytes()) {
        return Err(ValueError::new("invalid host name", 0));
    }
    Ok((Host::Domain(h), end))
}

/// A dotted quad of one to three digits per octet, each at most 255, that
/// is not followed by another host-name character: the usual IPv4 host,
/// read without a per-byte state machine. `None` sends anything else to
/// the general reading.
#[inline]
fn dotted_quad(b: &[u8]) -> Option<(Ipv4Addr, usize)> {
    let digit = |i: usize| b.get(i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d < 10);
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (k, octet) in octets.iter_mut().enumerate() {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let mut v = u32::from(digit(i)?);
        i += 1;
        if let Some(d) = digit(i) {
            v = v * 10 + u32::from(d);
            i += 1;
            if let Some(d) = digit(i) {
                v = v * 10 + u32::from(d);
                i += 1;
            }
        }
        *octet = u8::try_from(v).ok()?;
    }
    if b.get(i).is_some_and(|c| HOST_NAME[*c as usize]) {
        return None;
    }
    Some((Ipv4Addr::from(octets), i))
}

/// Whether a host name has two dots in a row. Checked apart from the
/// character scan, hopping from dot to dot, as names have few of them.
fn has_empty_label(h: &[u8]) -> bool {
    let mut i = 0;
    while let Some(d) = crate::text::find_in(&h[i..], b'.') {
        i += d + 1;
        if h.get(i) == Some(&b'.') {
            return true;
        }
    }
    false
}

/// Host name characters: letters, digits, `.`, `-`, `_`.
static HOST_NAME: [bool; 256] = crate::text::class_table(b".-_", true);

impl Host<'_> {
    /// Host comparison: domain names case-insensitively, addresses by value.
    pub fn equivalent(&self, o: &Host<'_>) -> bool {
        match (self, o) {
            (Host::Domain(a), Host::Domain(b)) => a
                .trim_end_matches('.')
                .eq_ignore_ascii_case(b.trim_end_matches('.')),
            (Host::V4(a), Host::V4(b)) => a == b,
            (Host::V6(a), Host::V6(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a) => write!(f, "[{a}]"),
        }
    }
}

fn is_phonedigit_hex(b: u8) -> bool {
    b.is_ascii_hexdigit() || matches!(b, b'*' | b'#' | b'-' | b'.' | b'(' | b')')
}

impl<'a> TelUri<'a> {
    fn parse_after_scheme(s: &'a str) -> Result<TelUri<'a>, ValueError> {
        let end = crate::text::find_byte(s, b';').unwrap_or(s.len());
        let number = &s[..end];
        let params = Params::parse(&s[end..], ParamKind::Uri).map_err(|e| e.shift(end))?;
        if let Some(global) = number.strip_prefix('+') {
            if !global.bytes().any(|b| b.is_ascii_digit()) {
                return Err(ValueError::new("global number without digits", 0));
            }
            if let Some(i) = global
                .bytes()
                .position(|b| !(b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'(' | b')')))
            {
                return Err(ValueError::new("invalid character in global number", i + 1));
            }
        } else {
            if number.is_empty() {
                return Err(ValueError::new("empty telephone number", 0));
            }
            if let Some(i) = number.bytes().position(|b| !is_phonedigit_hex(b)) {
                return Err(ValueError::new("invalid character in local number", i));
            }
            if !params.contains("phone-context") {
                return Err(ValueError::new("local number without phone-context", 0));
            }
        }
        Ok(TelUri { number, params })
    }

    /// Whether the number is global (`+` followed by E.164 digits).
    pub fn is_global(&self) -> bool {
        self.number.starts_with('+')
    }

    /// The number without visual separators (`+49305551234`).
    pub fn digits(&self) -> String {
        self.number
            .chars()
            .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
            .collect()
    }

    /// Equivalence per RFC 3966 §4: numbers without visual separators,
    /// parameters as sets with case-insensitive names and values.
    pub fn equivalent(&self, o: &TelUri<'_>) -> bool {
        if !self.digits().eq_ignore_ascii_case(&o.digits()) {
            return false;
        }
        // Same parameter names on both sides, each with the same (first)
        // value.
        let same = |x: &Params<'_>, y: &Params<'_>| {
            x.iter().all(|(n, _)| match (x.get(n), y.get(n)) {
                (Some(a), Some(b)) => opt_eq_ignore_case(a, b),
                _ => false,
            })
        };
        same(&self.params, &o.params) && same(&o.params, &self.params)
    }
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => u.fmt(f),
            Uri::Tel(t) => t.fmt(f),
            Uri::Other(o) => write!(f, "{}:{}", o.scheme, o.rest),
        }
    }
}

impl fmt::Display for SipUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(u) = self.user {
            f.write_str(u)?;
            if let Some(p) = self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        f.write_str(self.params.as_str())?;
        if let Some(h) = self.headers {
            write!(f, "?{h}")?;
        }
        Ok(())
    }
}

impl fmt::Display for TelUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tel:{}{}", self.number, self.params.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The one-pass userinfo reading agrees with splitting at the first
        /// `@` wherever it gives an answer.
        #[test]
        fn fast_userinfo_agrees_with_first_at(s in "[a-c0-9:@;=%?.]{0,16}") {
            if let Some(fast) = userinfo_fast(&s) {
                proptest::prop_assert_eq!(Ok(fast), SipUri::userinfo_slow(&s));
            }
        }

        /// The dotted-quad shortcut reads what the general host reading
        /// reads wherever it answers.
        #[test]
        fn dotted_quad_agrees_with_host_reading(s in "[0-9.]{0,18}[a:;]?") {
            if let Some((addr, end)) = dotted_quad(s.as_bytes()) {
                let general = parse_host_general(&s);
                proptest::prop_assert_eq!(general, Ok((Host::V4(addr), end)), "{:?}", s);
            }
        }

        /// Parameters read up to a `?` split a URI's tail as cutting at the
        /// first `?` and reading the part before it does.
        #[test]
        fn params_stop_at_the_first_question_mark(rest in "[a-c;=?%&]{0,16}") {
            let cut = rest.find('?');
            let before = &rest[..cut.unwrap_or(rest.len())];
            let old = Params::parse(before, ParamKind::Uri).ok();
            let new = Params::lex(&rest, ParamKind::Uri, Some(b'?'), |_, _, _| Ok(())).ok();
            proptest::prop_assert_eq!(old.is_some(), new.is_some(), "{:?}", rest);
            if let (Some(o), Some((n, used))) = (old, new) {
                proptest::prop_assert_eq!(o.as_str(), n.as_str());
                proptest::prop_assert_eq!(cut.unwrap_or(rest.len()), used);
            }
        }
    }

    #[test]
    fn sip_uri_parts() {
        let u =
            SipUri::parse("sip:alice:secret@Example.COM:5061;transport=tcp;lr?subject=x").unwrap();
        assert_eq!(u.user, Some("alice"));
        assert_eq!(u.password, Some("secret"));
        assert_eq!(u.host, Host::Domain("Example.COM"));
        assert_eq!(u.port, Some(5061));
        assert_eq!(u.transport(), Some("tcp"));
        assert!(u.is_loose_route());
        assert_eq!(u.headers, Some("subject=x"));
    }

    #[test]
    fn ipv6_references() {
        let u = SipUri::parse("sip:[2001:db8::10]:5070").unwrap();
        assert_eq!(u.host, Host::V6("2001:db8::10".parse().unwrap()));
        assert_eq!(u.port, Some(5070));
        let a = SipUri::parse("sip:[2001:db8::9:1]").unwrap();
        let b = SipUri::parse("sip:[2001:db8::9:01]").unwrap();
        assert!(a.equivalent(&b));
        assert!(SipUri::parse("sip:[2001:db8::10").is_err());
        assert!(SipUri::parse("sip:[2001:db8::1::2]").is_err());
    }

    #[test]
    fn rfc3261_equivalence_examples() {
        let eq = |a: &str, b: &str| Uri::parse(a).unwrap().equivalent(&Uri::parse(b).unwrap());
        assert!(eq(
            "sip:%61lice@atlanta.com;transport=TCP",
            "sip:alice@AtLanTa.CoM;Transport=tcp"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;newparam=5"
        ));
        assert!(eq(
            "sip:carol@chicago.com;security=on",
            "sip:carol@chicago.com;newparam=5"
        ));
        assert!(eq(
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"
        ));
        assert!(eq(
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x"
        ));
        assert!(!eq(
            "SIP:ALICE@AtLanTa.CoM;Transport=udp",
            "sip:alice@AtLanTa.CoM;Transport=UDP"
        ));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com;transport=udp"
        ));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com:6000;transport=tcp"
        ));
        assert!(!eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com?Subject=next%20meeting"
        ));
        assert!(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
        assert!(!eq(
            "sip:carol@chicago.com;security=on",
            "sip:carol@chicago.com;security=off"
        ));
    }

    #[test]
    fn tel_uris() {
        let t = match Uri::parse("tel:+49-30-555-1234;ext=12").unwrap() {
            Uri::Tel(t) => t,
            other => panic!("not tel: {other:?}"),
        };
        assert!(t.is_global());
        assert_eq!(t.digits(), "+49305551234");
        let local = Uri::parse("tel:7042;phone-context=example.com").unwrap();
        assert!(matches!(local, Uri::Tel(ref t) if !t.is_global()));
        assert!(Uri::parse("tel:7042").is_err());
        assert!(Uri::parse("tel:+49(30)5551234")
            .unwrap()
            .equivalent(&Uri::parse("tel:+49-30-555-1234").unwrap()));
    }

    #[test]
    fn equivalence_is_reflexive_with_repeated_params() {
        for u in [
            "tel:+49-30-555;ext=1tel:+49-30-555;ext=1",
            "sip:a@b;x=1;x=2",
            "sip:a@b;transport=tcp;transport=udp",
        ] {
            let p = Uri::parse(u).unwrap();
            assert!(p.equivalent(&p), "{u}");
        }
    }

    #[test]
    fn escapes_decode_once() {
        assert_eq!(unescape("value%25%34%31"), "value%41");
        assert_eq!(unescape("null-%00-null"), "null-\0-null");
        assert!(SipUri::parse("sip:a%zz@x").is_err());
        assert!(SipUri::parse("sip:a%4@x").is_err());
    }

    #[test]
    fn other_schemes_are_opaque() {
        let u = Uri::parse("nobodyKnowsThisScheme:totallyopaquecontent").unwrap();
        assert_eq!(u.scheme(), "nobodyKnowsThisScheme");
        assert!(Uri::parse("nocolon").is_err());
        assert!(Uri::parse("1abc:x").is_err());
    }
}
