//! DTMF in INFO requests (RFC 6086 without packages, as PBXs send it):
//! `application/dtmf-relay` (`Signal=5` / `Duration=160`) and
//! `application/dtmf` (the digit alone).
//!
//! ```
//! use heron_sip_stack::session::info::{dtmf_relay_body, parse_dtmf};
//! let body = dtmf_relay_body('5', 160);
//! assert_eq!(body, "Signal=5\r\nDuration=160\r\n");
//! assert_eq!(parse_dtmf("application/dtmf-relay", body.as_bytes()), Some(('5', Some(160))));
//! assert_eq!(parse_dtmf("application/dtmf", b"#"), Some(('#', None)));
//! assert_eq!(parse_dtmf("application/dtmf-relay", b"Signal=16\r\n"), Some(('F', None)));
//! ```

/// Whether `c` is a DTMF event we send or accept.
pub fn is_dtmf(c: char) -> bool {
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D' | 'F')
}

fn digit_of(token: &str) -> Option<char> {
    let t = token.trim();
    // Numeric event codes (RFC 4733 numbering) as some PBXs send them.
    let c = match t {
        "10" => '*',
        "11" => '#',
        "12" => 'A',
        "13" => 'B',
        "14" => 'C',
        "15" => 'D',
        "16" => 'F',
        _ => {
            let mut chars = t.chars();
            let c = chars.next()?.to_ascii_uppercase();
            if chars.next().is_some() {
                return None;
            }
            c
        }
    };
    is_dtmf(c).then_some(c)
}

/// Reads the digit and duration (ms) of an INFO body of `content_type`.
pub fn parse_dtmf(content_type: &str, body: &[u8]) -> Option<(char, Option<u32>)> {
    let text = std::str::from_utf8(body).ok()?;
    let ct = content_type.split(';').next()?.trim();
    if ct.eq_ignore_ascii_case("application/dtmf") {
        return digit_of(text).map(|d| (d, None));
    }
    if !ct.eq_ignore_ascii_case("application/dtmf-relay") {
        return None;
    }
    let mut digit = None;
    let mut duration = None;
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("signal") {
            digit = digit_of(v);
        } else if k.trim().eq_ignore_ascii_case("duration") {
            duration = v.trim().parse().ok();
        }
    }
    digit.map(|d| (d, duration))
}

/// An `application/dtmf-relay` body.
pub fn dtmf_relay_body(digit: char, duration_ms: u32) -> String {
    format!("Signal={digit}\r\nDuration={duration_ms}\r\n")
}
