//! Lexical building blocks of RFC 3261 §25: character classes, linear white
//! space, quoted strings and comma-separated lists that respect quotes and
//! angle brackets. Everything works on `&str` slices and never allocates.

/// A byte-class table: alphanumerics (when `alnum`) plus `extra`.
pub(crate) const fn class_table(extra: &[u8], alnum: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = alnum && c.is_ascii_alphanumeric();
        i += 1;
    }
    let mut j = 0;
    while j < extra.len() {
        t[extra[j] as usize] = true;
        j += 1;
    }
    t
}

pub(crate) static TOKEN: [bool; 256] = class_table(b"-.!%*_+`'~", true);
/// `word` characters (RFC 3261 §25.1): token characters and the
/// separators a Call-ID may hold.
pub(crate) static WORD: [bool; 256] = class_table(b"-.!%*_+`'~()<>:\\\"/[]?{}", true);
static LWS: [bool; 256] = class_table(b" \t\r\n", false);

/// The end of the run of `class` bytes starting at `from`: the first index
/// at or after `from` whose byte is not in the class, or `b.len()`. Eight
/// table lookups are combined before one branch, as the runs in SIP text
/// (user parts, host names, parameter values, tokens) are often longer
/// than a word.
#[inline]
pub(crate) fn class_run(class: &[bool; 256], b: &[u8], from: usize) -> usize {
    let mut i = from;
    while i + 8 <= b.len() {
        let w = &b[i..i + 8];
        let all = class[w[0] as usize]
            & class[w[1] as usize]
            & class[w[2] as usize]
            & class[w[3] as usize]
            & class[w[4] as usize]
            & class[w[5] as usize]
            & class[w[6] as usize]
            & class[w[7] as usize];
        if !all {
            break;
        }
        i += 8;
    }
    while i < b.len() && class[b[i] as usize] {
        i += 1;
    }
    i
}

/// `token` characters (RFC 3261 §25.1).
#[inline]
pub(crate) fn is_token_char(b: u8) -> bool {
    TOKEN[b as usize]
}

/// The first position of byte `b` in `s`.
#[inline]
pub(crate) fn find_byte(s: &str, b: u8) -> Option<usize> {
    find_in(s.as_bytes(), b)
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Marks (high bit) the bytes of `w` that are zero. Bits above the first
/// marked byte may be wrong, so only the lowest mark is meaningful.
#[inline(always)]
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(LOW_BITS) & !w & HIGH_BITS
}

/// Eight bytes of `b` from `i` as a little-endian word.
#[inline(always)]
fn word_at(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

/// Short haystacks dominate SIP header values; a word-at-a-time scan beats
/// the call and dispatch cost of the vector search below this length.
const SHORT: usize = 64;

/// The first position of `needle` in `b`.
#[inline]
pub(crate) fn find_in(b: &[u8], needle: u8) -> Option<usize> {
    if b.len() >= SHORT {
        return memchr::memchr(needle, b);
    }
    let rep = LOW_BITS.wrapping_mul(u64::from(needle));
    let mut i = 0;
    while i + 8 <= b.len() {
        let z = zero_bytes(word_at(b, i) ^ rep);
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == needle).map(|p| i + p)
}

/// The first position of any of three bytes in `b`.
#[inline]
pub(crate) fn find_any3(b: &[u8], n1: u8, n2: u8, n3: u8) -> Option<usize> {
    if b.len() >= SHORT {
        return memchr::memchr3(n1, n2, n3, b);
    }
    let (r1, r2, r3) = (
        LOW_BITS.wrapping_mul(u64::from(n1)),
        LOW_BITS.wrapping_mul(u64::from(n2)),
        LOW_BITS.wrapping_mul(u64::from(n3)),
    );
    let mut i = 0;
    while i + 8 <= b.len() {
        let w = word_at(b, i);
        let z = zero_bytes(w ^ r1) | zero_bytes(w ^ r2) | zero_bytes(w ^ r3);
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| c == n1 || c == n2 || c == n3)
        .map(|p| i + p)
}

/// The first `"` or `\\` in `b`. Word by word without handing over to the
/// vector search: quoted strings are short, but the text after them (the
/// rest of a header) can be long, and the vector search's set-up cost
/// would be paid for a near hit.
#[inline]
fn find_quote_or_escape(b: &[u8]) -> Option<usize> {
    let (rq, rb) = (
        LOW_BITS.wrapping_mul(u64::from(b'"')),
        LOW_BITS.wrapping_mul(u64::from(b'\\')),
    );
    let mut i = 0;
    while i + 8 <= b.len() {
        let w = word_at(b, i);
        let z = zero_bytes(w ^ rq) | zero_bytes(w ^ rb);
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|p| i + p)
}

/// Whether `s` is a non-empty token.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// The first position at or after `i` in `b` that is not linear white
/// space.
#[inline]
pub(crate) fn skip_lws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_lws(b[i]) {
        i += 1;
    }
    i
}

/// Linear white space, including the CRLF of a folded line.
#[inline]
pub(crate) fn is_lws(b: u8) -> bool {
    LWS[b as usize]
}

/// Trims linear white space on both ends.
#[inline]
pub(crate) fn trim_lws(s: &str) -> &str {
    let b = s.as_bytes();
    let mut start = 0;
    let mut end = b.len();
    while start < end && is_lws(b[start]) {
        start += 1;
    }
    while end > start && is_lws(b[end - 1]) {
        end -= 1;
    }
    // LWS bytes are ASCII, so both ends are character boundaries.
    s.get(start..end).unwrap_or("")
}

/// Trims linear white space at the start.
#[inline]
pub(crate) fn trim_lws_start(s: &str) -> &str {
    let b = s.as_bytes();
    let mut start = 0;
    while start < b.len() && is_lws(b[start]) {
        start += 1;
    }
    s.get(start..).unwrap_or("")
}

/// Returns the byte length of the quoted string at the start of `s`
/// (including both quotes), or `None` when it is not terminated.
pub(crate) fn quoted_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while let Some(r) = find_quote_or_escape(&b[i..]) {
        i += r;
        if b[i] == b'"' {
            return Some(i + 1);
        }
        i += 2;
        if i > b.len() {
            return None;
        }
    }
    None
}

/// Removes the quotes and quoted-pair escapes of a quoted string's content.
pub(crate) fn unquote(inner: &str) -> std::borrow::Cow<'_, str> {
    if !inner.contains('\\') {
        return std::borrow::Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Writes `s` as a quoted string, escaping `"` and `\`.
pub(crate) fn write_quoted(out: &mut dyn std::fmt::Write, s: &str) -> std::fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.write_char('\\')?;
        }
        out.write_char(c)?;
    }
    out.write_char('"')
}

/// Finds the first `sep` byte that is outside quoted strings and angle
/// brackets. Returns `Err(())` for an unterminated quote.
pub(crate) fn find_unquoted(s: &str, sep: u8) -> Result<Option<usize>, ()> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(r) = find_any3(&b[i..], sep, b'"', b'<') {
        i += r;
        match b[i] {
            b'"' => i += quoted_len(&s[i..]).ok_or(())?,
            b'<' if sep != b'<' => match find_in(&b[i..], b'>') {
                Some(r) => i += r + 1,
                // An unclosed bracket hides the rest of the value.
                None => return Ok(None),
            },
            _ => return Ok(Some(i)),
        }
    }
    Ok(None)
}

/// Checks a comma-separated list of tokens (Allow, Supported, Require...)
/// in one pass; returns the number of tokens, or the offset of the first
/// bad byte. An empty value has no tokens.
pub(crate) fn check_token_list(s: &str) -> Result<usize, usize> {
    let b = s.as_bytes();
    let skip_lws = |i: usize| skip_lws(b, i);
    let mut i = skip_lws(0);
    if i == b.len() {
        return Ok(0);
    }
    let mut n = 0;
    loop {
        let start = i;
        i = class_run(&TOKEN, b, i);
        if i == start {
            return Err(i);
        }
        n += 1;
        i = skip_lws(i);
        if i == b.len() {
            return Ok(n);
        }
        if b[i] != b',' {
            return Err(i);
        }
        i = skip_lws(i + 1);
    }
}

/// Iterator over the comma-separated elements of a header value, honouring
/// quoted strings and `<...>`. Each element is trimmed of LWS. An unterminated
/// quote yields one final `Err(())`.
pub(crate) struct CommaList<'a> {
    rest: Option<&'a str>,
}

impl<'a> CommaList<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        CommaList { rest: Some(s) }
    }
}

impl<'a> Iterator for CommaList<'a> {
    type Item = Result<&'a str, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.rest?;
        match find_unquoted(s, b',') {
            Ok(Some(i)) => {
                self.rest = Some(&s[i + 1..]);
                Some(Ok(trim_lws(&s[..i])))
            }
            Ok(None) => {
                self.rest = None;
                Some(Ok(trim_lws(s)))
            }
            Err(()) => {
                self.rest = None;
                Some(Err(()))
            }
        }
    }
}

/// The run of decimal digits at the start of `b`, read in one pass: its
/// length, and its value when the run is not empty and the value is at most
/// `max` (as [`parse_decimal`] would read the run). `max` must be below
/// `u64::MAX`.
#[inline]
pub(crate) fn decimal_run(b: &[u8], max: u64) -> (Option<u64>, usize) {
    let mut v: u64 = 0;
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        // Saturating, so a value past `max` stays past it.
        v = v.saturating_mul(10).saturating_add(u64::from(b[i] - b'0'));
        i += 1;
    }
    ((i > 0 && v <= max).then_some(v), i)
}

/// Parses a decimal number of at most `max` value; rejects signs, empty
/// strings and overflow. Leading zeros are allowed (RFC 4475 §3.1.1.1).
pub(crate) fn parse_decimal(s: impl AsRef<[u8]>, max: u64) -> Option<u64> {
    let s = s.as_ref();
    if s.is_empty() || s.len() > 40 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        if v > max {
            return None;
        }
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_list_respects_quotes_and_brackets() {
        let v: Vec<_> = CommaList::new(r#""a, b" <sip:x@y;p=1,2>, <sip:z>"#)
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(v, vec![r#""a, b" <sip:x@y;p=1,2>"#, "<sip:z>"]);
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let v: Vec<_> = CommaList::new(r#""abc, d"#).collect();
        assert_eq!(v, vec![Err(())]);
    }

    #[test]
    fn decimal_bounds() {
        assert_eq!(parse_decimal("0068", 255), Some(68));
        assert_eq!(parse_decimal("256", 255), None);
        assert_eq!(parse_decimal("-1", 255), None);
        assert_eq!(parse_decimal("", 255), None);
        assert_eq!(parse_decimal("99999999999999999999999", u64::MAX), None);
    }

    #[test]
    fn unquote_removes_escapes() {
        assert_eq!(unquote(r#"J Rosenberg \"\\\""#), r#"J Rosenberg "\""#);
    }

    proptest::proptest! {
        #[test]
        fn decimal_run_reads_as_parse_decimal(s in "[0-9]{0,25}[a-c: ]{0,2}[0-9]{0,3}", max in proptest::prop_oneof![
            proptest::strategy::Just(255u64),
            proptest::strategy::Just(65535u64),
            proptest::strategy::Just(u64::from(u32::MAX)),
        ]) {
            let b = s.as_bytes();
            let end = b.iter().position(|c| !c.is_ascii_digit()).unwrap_or(b.len());
            proptest::prop_assert_eq!(decimal_run(b, max), (parse_decimal(&b[..end], max), end));
        }
    }
}
