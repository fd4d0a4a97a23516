//! DTMF in SIP INFO requests (RFC 6086 without an Info-Package, as PBXs
//! send it): `application/dtmf-relay` (`Signal=5` / `Duration=160`, the
//! Cisco/Asterisk form) and `application/dtmf` (the digit alone). The
//! [`Ua`](crate::ua::Ua) reads every INFO with these and reports
//! [`UaEvent::Dtmf`](crate::ua::UaEvent::Dtmf); services that see INFO
//! bodies elsewhere use [`parse_info_dtmf`].
//!
//! ```
//! use heron_sip_stack::ua::dtmf::{dtmf_relay_body, parse_info_dtmf, InfoDtmf, InfoDtmfError};
//! let body = dtmf_relay_body('5', 160);
//! assert_eq!(body, "Signal=5\r\nDuration=160\r\n");
//! let d = parse_info_dtmf("application/dtmf-relay", body.as_bytes()).unwrap();
//! assert_eq!(d, InfoDtmf { digit: '5', duration_ms: Some(160) });
//! assert_eq!(parse_info_dtmf("application/dtmf", b"#").unwrap().digit, '#');
//! // RFC 4733 event numbers, as some PBXs write them: 16 is flash.
//! assert_eq!(parse_info_dtmf("application/dtmf-relay", b"Signal=16\r\n").unwrap().digit, 'F');
//! assert_eq!(
//!     parse_info_dtmf("application/dtmf-relay", b"Signal=X\r\n"),
//!     Err(InfoDtmfError::BadSignal { line: 1, value: "X".into() })
//! );
//! ```

/// A key press read from an INFO body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfoDtmf {
    /// `0-9`, `*`, `#`, `A-D`, or `F` for flash.
    pub digit: char,
    /// `Duration=` in milliseconds, when the body gives one.
    pub duration_ms: Option<u32>,
}

/// Why an INFO body is not a key press.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InfoDtmfError {
    /// The Content-Type is neither `application/dtmf-relay` nor
    /// `application/dtmf`.
    #[error("content type {0:?} carries no DTMF (application/dtmf-relay or application/dtmf)")]
    ContentType(String),
    /// The body is not UTF-8 text; `at` is the first bad byte's offset.
    #[error("the body is not text (invalid UTF-8 at byte {at})")]
    NotText {
        /// Byte offset.
        at: usize,
    },
    /// `application/dtmf-relay` without a `Signal=` line, or an empty
    /// `application/dtmf` body.
    #[error("no DTMF signal in the body")]
    NoSignal,
    /// The signal is not a DTMF event; `line` is 1-based.
    #[error("line {line}: {value:?} is not a DTMF signal (0-9, *, #, A-D, 16/F or 10-15)")]
    BadSignal {
        /// The body line.
        line: usize,
        /// The value as written.
        value: String,
    },
    /// `Duration=` is not a number of milliseconds; `line` is 1-based.
    #[error("line {line}: {value:?} is not a duration in milliseconds")]
    BadDuration {
        /// The body line.
        line: usize,
        /// The value as written.
        value: String,
    },
}

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

/// Reads the key press of an INFO body of `content_type` (parameters
/// after `;` are ignored). Unknown lines of `application/dtmf-relay` are
/// skipped, as vendors add their own.
pub fn parse_info_dtmf(content_type: &str, body: &[u8]) -> Result<InfoDtmf, InfoDtmfError> {
    let ct = content_type.split(';').next().unwrap_or("").trim();
    let relay = ct.eq_ignore_ascii_case("application/dtmf-relay");
    if !relay && !ct.eq_ignore_ascii_case("application/dtmf") {
        return Err(InfoDtmfError::ContentType(ct.to_owned()));
    }
    let text = std::str::from_utf8(body).map_err(|e| InfoDtmfError::NotText {
        at: e.valid_up_to(),
    })?;
    if !relay {
        if text.trim().is_empty() {
            return Err(InfoDtmfError::NoSignal);
        }
        let digit = digit_of(text).ok_or_else(|| InfoDtmfError::BadSignal {
            line: 1,
            value: text.trim().to_owned(),
        })?;
        return Ok(InfoDtmf {
            digit,
            duration_ms: None,
        });
    }
    let mut digit = None;
    let mut duration_ms = None;
    for (i, line) in text.lines().enumerate() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.eq_ignore_ascii_case("signal") {
            digit = Some(digit_of(v).ok_or_else(|| InfoDtmfError::BadSignal {
                line: i + 1,
                value: v.trim().to_owned(),
            })?);
        } else if k.eq_ignore_ascii_case("duration") {
            duration_ms = Some(v.trim().parse().map_err(|_| InfoDtmfError::BadDuration {
                line: i + 1,
                value: v.trim().to_owned(),
            })?);
        }
    }
    Ok(InfoDtmf {
        digit: digit.ok_or(InfoDtmfError::NoSignal)?,
        duration_ms,
    })
}

/// The digit and duration of an INFO body, or `None` when it is no key
/// press (see [`parse_info_dtmf`] for why).
pub fn parse_dtmf(content_type: &str, body: &[u8]) -> Option<(char, Option<u32>)> {
    parse_info_dtmf(content_type, body)
        .ok()
        .map(|d| (d.digit, d.duration_ms))
}

/// An `application/dtmf-relay` body.
pub fn dtmf_relay_body(digit: char, duration_ms: u32) -> String {
    format!("Signal={digit}\r\nDuration={duration_ms}\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn relay(body: &str) -> Result<InfoDtmf, InfoDtmfError> {
        parse_info_dtmf("application/dtmf-relay", body.as_bytes())
    }

    #[test]
    fn vendor_forms() {
        // Asterisk / Cisco.
        assert_eq!(
            relay("Signal=5\r\nDuration=160\r\n"),
            Ok(InfoDtmf {
                digit: '5',
                duration_ms: Some(160)
            })
        );
        // Spaces, lower case, LF only, a vendor line, no duration.
        assert_eq!(
            relay("signal= b\nX-Volume=10\n"),
            Ok(InfoDtmf {
                digit: 'B',
                duration_ms: None
            })
        );
        assert_eq!(relay("Signal=11\r\nDuration=100").unwrap().digit, '#');
        assert_eq!(relay("Signal=*").unwrap().digit, '*');
        assert_eq!(
            parse_info_dtmf("Application/DTMF-Relay; charset=utf-8", b"Signal=0")
                .unwrap()
                .digit,
            '0'
        );
        assert_eq!(
            parse_info_dtmf("application/dtmf", b"7\r\n").unwrap(),
            InfoDtmf {
                digit: '7',
                duration_ms: None
            }
        );
    }

    #[test]
    fn errors_say_what_and_where() {
        assert_eq!(
            parse_info_dtmf("text/plain", b"Signal=5"),
            Err(InfoDtmfError::ContentType("text/plain".into()))
        );
        assert_eq!(relay("Duration=100"), Err(InfoDtmfError::NoSignal));
        assert_eq!(
            parse_info_dtmf("application/dtmf", b"  "),
            Err(InfoDtmfError::NoSignal)
        );
        assert_eq!(
            relay("Duration=100\r\nSignal=17"),
            Err(InfoDtmfError::BadSignal {
                line: 2,
                value: "17".into()
            })
        );
        assert_eq!(
            relay("Signal=1\r\nDuration=long"),
            Err(InfoDtmfError::BadDuration {
                line: 2,
                value: "long".into()
            })
        );
        assert_eq!(
            parse_info_dtmf("application/dtmf", b"55"),
            Err(InfoDtmfError::BadSignal {
                line: 1,
                value: "55".into()
            })
        );
        assert_eq!(
            parse_info_dtmf("application/dtmf-relay", b"Signal=\xff"),
            Err(InfoDtmfError::NotText { at: 7 })
        );
        let e = relay("Signal=Z").unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("\"Z\""), "{e}");
        assert_eq!(parse_dtmf("application/dtmf-relay", b"Signal=Z"), None);
    }

    proptest! {
        #[test]
        fn written_bodies_read_back(
            digit in proptest::sample::select(vec!['0','1','2','3','4','5','6','7','8','9','*','#','A','B','C','D','F']),
            ms in 0u32..100_000,
        ) {
            let body = dtmf_relay_body(digit, ms);
            prop_assert_eq!(
                relay(&body),
                Ok(InfoDtmf { digit, duration_ms: Some(ms) })
            );
        }

        #[test]
        fn any_body_is_a_press_or_an_error(ct in "[a-zA-Z/; =-]{0,40}", body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_info_dtmf(&ct, &body);
            let _ = parse_info_dtmf("application/dtmf-relay", &body);
            let _ = parse_info_dtmf("application/dtmf", &body);
        }
    }
}
