//! DTMF from three sources (RFC 4733 events, SIP INFO, in-band tones)
//! delivered as one stream of key presses, with duplicates removed when a
//! peer signals the same press two ways. SIP INFO bodies are read and
//! written by heron-sip-stack (`ua::dtmf`).

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
}
