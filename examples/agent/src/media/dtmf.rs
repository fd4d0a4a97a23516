//! DTMF from three sources (RFC 4733 events, SIP INFO, in-band tones)
//! delivered as one stream of key presses, with duplicates removed when a
//! peer signals the same press two ways.
//!
//! The SIP INFO body parsing here (`application/dtmf-relay`,
//! `application/dtmf`) belongs in heron-sip-stack's INFO support.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How a key press arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfSource {
    /// RFC 4733 telephone-event in RTP.
    Rfc4733,
    /// SIP INFO (RFC 6086).
    Info,
    /// Tones in the audio.
    Inband,
}

/// One key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPress {
    /// `0-9 * # A-D`.
    pub digit: char,
    /// How long the key was held.
    pub duration: Duration,
    /// Where it came from.
    pub source: DtmfSource,
}

/// Two reports of the same digit from different sources within this time
/// are one press.
pub const DUPLICATE_WINDOW: Duration = Duration::from_millis(400);

/// Merges the three sources into one stream.
#[derive(Debug, Default)]
pub struct DtmfMerger {
    recent: VecDeque<(char, Instant, DtmfSource)>,
    out: VecDeque<DtmfPress>,
}

impl DtmfMerger {
    /// An empty merger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reports a press seen at `now`; dropped when another source reported
    /// the same digit within [`DUPLICATE_WINDOW`].
    pub fn push(&mut self, now: Instant, press: DtmfPress) -> bool {
        let digit = press.digit.to_ascii_uppercase();
        while let Some(&(_, t, _)) = self.recent.front() {
            if now.saturating_duration_since(t) > DUPLICATE_WINDOW * 2 {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        let dup = self.recent.iter().any(|&(d, t, s)| {
            d == digit && s != press.source && now.saturating_duration_since(t) <= DUPLICATE_WINDOW
        });
        self.recent.push_back((digit, now, press.source));
        if dup {
            return false;
        }
        self.out.push_back(DtmfPress { digit, ..press });
        true
    }

    /// The next merged press.
    pub fn pop(&mut self) -> Option<DtmfPress> {
        self.out.pop_front()
    }
}

/// Why an INFO body is not a key press.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InfoDtmfError {
    /// Content type other than `application/dtmf-relay` or `application/dtmf`.
    #[error("content type {0:?} does not carry DTMF")]
    ContentType(String),
    /// No `Signal=` line or no digit.
    #[error("no DTMF signal in the body")]
    NoSignal,
    /// Not a DTMF digit.
    #[error("{0:?} is not a DTMF digit")]
    BadDigit(String),
}

fn dtmf_digit(s: &str) -> Result<char, InfoDtmfError> {
    let t = s.trim();
    let mut chars = t.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if "0123456789*#ABCDabcd".contains(c) => Ok(c.to_ascii_uppercase()),
        _ => match t {
            // Some phones send the RFC 4733 event number.
            "10" => Ok('*'),
            "11" => Ok('#'),
            "12" => Ok('A'),
            "13" => Ok('B'),
            "14" => Ok('C'),
            "15" => Ok('D'),
            _ => Err(InfoDtmfError::BadDigit(t.to_owned())),
        },
    }
}

/// Parses a SIP INFO DTMF body: `application/dtmf-relay`
/// (`Signal=5\r\nDuration=160`, duration in ms) or `application/dtmf`
/// (a single digit).
pub fn parse_info_dtmf(content_type: &str, body: &str) -> Result<(char, Duration), InfoDtmfError> {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "application/dtmf-relay" => {
            let mut digit = None;
            let mut ms = 250u64;
            for line in body.lines() {
                if let Some((k, v)) = line.split_once('=') {
                    match k.trim().to_ascii_lowercase().as_str() {
                        "signal" => digit = Some(dtmf_digit(v)?),
                        "duration" => ms = v.trim().parse().unwrap_or(ms).min(10_000),
                        _ => {}
                    }
                }
            }
            Ok((
                digit.ok_or(InfoDtmfError::NoSignal)?,
                Duration::from_millis(ms),
            ))
        }
        "application/dtmf" => {
            if body.trim().is_empty() {
                return Err(InfoDtmfError::NoSignal);
            }
            Ok((dtmf_digit(body)?, Duration::from_millis(250)))
        }
        other => Err(InfoDtmfError::ContentType(other.to_owned())),
    }
}

/// The `application/dtmf-relay` body for a key press.
pub fn info_dtmf_body(digit: char, duration: Duration) -> String {
    format!("Signal={}\r\nDuration={}\r\n", digit, duration.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(d: char, s: DtmfSource) -> DtmfPress {
        DtmfPress {
            digit: d,
            duration: Duration::from_millis(100),
            source: s,
        }
    }

    #[test]
    fn same_press_two_ways_is_one() {
        let t0 = Instant::now();
        let mut m = DtmfMerger::new();
        assert!(m.push(t0, press('5', DtmfSource::Rfc4733)));
        assert!(!m.push(
            t0 + Duration::from_millis(100),
            press('5', DtmfSource::Inband)
        ));
        assert!(!m.push(
            t0 + Duration::from_millis(300),
            press('5', DtmfSource::Info)
        ));
        assert_eq!(m.pop().unwrap().source, DtmfSource::Rfc4733);
        assert_eq!(m.pop(), None);
    }

    #[test]
    fn repeated_presses_from_one_source_all_count() {
        let t0 = Instant::now();
        let mut m = DtmfMerger::new();
        assert!(m.push(t0, press('1', DtmfSource::Rfc4733)));
        assert!(m.push(
            t0 + Duration::from_millis(150),
            press('1', DtmfSource::Rfc4733)
        ));
        // A different digit from another source is not a duplicate.
        assert!(m.push(
            t0 + Duration::from_millis(160),
            press('2', DtmfSource::Inband)
        ));
        // The same digit from another source much later is a new press.
        assert!(m.push(t0 + Duration::from_secs(2), press('1', DtmfSource::Info)));
        let digits: String = std::iter::from_fn(|| m.pop()).map(|p| p.digit).collect();
        assert_eq!(digits, "1121");
    }

    #[test]
    fn lower_case_digits_are_normalised() {
        let mut m = DtmfMerger::new();
        m.push(Instant::now(), press('a', DtmfSource::Info));
        assert_eq!(m.pop().unwrap().digit, 'A');
    }

    #[test]
    fn info_bodies() {
        assert_eq!(
            parse_info_dtmf("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n").unwrap(),
            ('5', Duration::from_millis(160))
        );
        assert_eq!(
            parse_info_dtmf("Application/DTMF-Relay; charset=x", "signal= #\nduration=x").unwrap(),
            ('#', Duration::from_millis(250))
        );
        assert_eq!(
            parse_info_dtmf("application/dtmf-relay", "Signal=11\r\n")
                .unwrap()
                .0,
            '#'
        );
        assert_eq!(parse_info_dtmf("application/dtmf", "7").unwrap().0, '7');
        assert_eq!(
            parse_info_dtmf("application/dtmf-relay", "Duration=100"),
            Err(InfoDtmfError::NoSignal)
        );
        assert_eq!(
            parse_info_dtmf("application/dtmf-relay", "Signal=X"),
            Err(InfoDtmfError::BadDigit("X".into()))
        );
        assert!(matches!(
            parse_info_dtmf("text/plain", "5"),
            Err(InfoDtmfError::ContentType(_))
        ));
        assert_eq!(
            parse_info_dtmf("application/dtmf", " "),
            Err(InfoDtmfError::NoSignal)
        );
        let body = info_dtmf_body('9', Duration::from_millis(120));
        assert_eq!(
            parse_info_dtmf("application/dtmf-relay", &body).unwrap(),
            ('9', Duration::from_millis(120))
        );
    }
}
