//! DTMF detection by the Goertzel algorithm.
//!
//! The signal is analysed in 20 ms windows every 10 ms; each window's power
//! at the eight Q.23 frequencies is tested against the Q.24 criteria:
//!
//! - level: both tones at least -30 dBm0;
//! - twist: the high tone at most 8 dB below the low one (normal twist) and
//!   at most 6 dB above it (reverse twist);
//! - relative peak: in each group, the strongest tone at least 8 dB above
//!   the other three;
//! - purity (talk-off): the two tones carry at least 50 % of the window's
//!   power, and the high tone's second harmonic is weak (speech and music
//!   are rich in harmonics, DTMF has none);
//! - frequency: the 20 ms window makes a tone 1.5 % off still pass, and one
//!   much further off fail the purity test.
//!
//! A digit begins after three consecutive windows agree (so at least 40 ms
//! are always detected and under 20 ms never) and ends after two windows
//! without it.

use super::{amplitude_for_dbm0, COL_HZ, KEYS, ROW_HZ};
use crate::CodecError;
use std::f32::consts::TAU;

/// Minimum level of each tone, dBm0.
const MIN_DBM0: f32 = -30.0;
/// Normal twist (high tone weaker), dB.
const NORMAL_TWIST_DB: f32 = 8.0;
/// Reverse twist (high tone stronger), dB.
const REVERSE_TWIST_DB: f32 = 6.0;
/// Relative peak within a group, dB.
const RELATIVE_PEAK_DB: f32 = 8.0;
/// Share of the window power the two tones must carry.
const MIN_PURITY: f32 = 0.5;
/// Largest second harmonic relative to its fundamental, dB.
const MAX_HARMONIC_DB: f32 = -15.0;
/// Consecutive windows that begin a digit.
const HITS_TO_BEGIN: u32 = 3;
/// Consecutive windows without the digit that end it.
const MISSES_TO_END: u32 = 2;

fn db(x: f32) -> f32 {
    10f32.powf(x / 10.0)
}

/// A digit beginning or ending, at a sample index of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtmfEvent {
    /// A digit was recognised; `at` is the start of the first window that
    /// held it.
    Begin {
        /// `0-9 * # A-D`.
        digit: char,
        /// Sample index in the stream.
        at: u64,
    },
    /// The digit ended; `at` is the end of the last window that held it.
    End {
        /// `0-9 * # A-D`.
        digit: char,
        /// Sample index in the stream.
        at: u64,
    },
}

/// A streaming in-band DTMF detector at a fixed rate.
#[derive(Clone, Debug)]
pub struct DtmfDetector {
    /// Window length N (20 ms) and hop (10 ms), in samples.
    window: usize,
    hop: usize,
    /// Goertzel coefficients `2 cos(w)`: 4 rows, 4 columns, then the
    /// second harmonics of the same 8.
    coeff: [f32; 16],
    /// The last `window` samples, as a ring.
    ring: Vec<f32>,
    ring_pos: usize,
    /// Samples since the last analysis.
    since: usize,
    /// Samples seen in total.
    total: u64,
    min_power: f32,
    /// Candidate digit of the last windows and how many agreed.
    candidate: Option<char>,
    hits: u32,
    first_hit_at: u64,
    /// Digit being reported, and windows since it was last seen.
    current: Option<char>,
    misses: u32,
    last_seen_end: u64,
}

impl DtmfDetector {
    /// A detector for PCM at `rate` Hz (8000..=48000).
    pub fn new(rate: u32) -> Result<Self, CodecError> {
        if !(8000..=48000).contains(&rate) {
            return Err(CodecError::UnsupportedRate {
                codec: "DTMF",
                rate,
            });
        }
        let window = rate as usize / 50;
        let mut coeff = [0f32; 16];
        for (i, f) in ROW_HZ.iter().chain(COL_HZ.iter()).enumerate() {
            coeff[i] = 2.0 * (TAU * f / rate as f32).cos();
            coeff[8 + i] = 2.0 * (TAU * 2.0 * f / rate as f32).cos();
        }
        let a = amplitude_for_dbm0(MIN_DBM0);
        Ok(DtmfDetector {
            window,
            hop: rate as usize / 100,
            coeff,
            ring: vec![0.0; window],
            ring_pos: 0,
            since: 0,
            total: 0,
            min_power: a * a / 2.0,
            candidate: None,
            hits: 0,
            first_hit_at: 0,
            current: None,
            misses: 0,
            last_seen_end: 0,
        })
    }

    /// Forgets the stream.
    pub fn reset(&mut self) {
        let rate = self.window as u32 * 50;
        if let Ok(fresh) = DtmfDetector::new(rate) {
            *self = fresh;
        }
    }

    /// Feeds samples; calls `on_event` for each digit that begins or ends.
    pub fn process(&mut self, pcm: &[i16], mut on_event: impl FnMut(DtmfEvent)) {
        for &x in pcm {
            self.ring[self.ring_pos] = x as f32;
            self.ring_pos += 1;
            if self.ring_pos == self.window {
                self.ring_pos = 0;
            }
            self.total += 1;
            self.since += 1;
            if self.since == self.hop && self.total >= self.window as u64 {
                self.since = 0;
                let digit = self.analyse();
                self.step(digit, &mut on_event);
            } else if self.since == self.hop {
                self.since = 0;
            }
        }
    }

    /// Tracks the per-window results into begin/end events.
    fn step(&mut self, digit: Option<char>, on_event: &mut impl FnMut(DtmfEvent)) {
        let window_start = self.total - self.window as u64;
        if digit.is_some() && digit == self.candidate {
            self.hits += 1;
        } else {
            self.candidate = digit;
            self.hits = 1;
            self.first_hit_at = window_start;
        }
        if let Some(cur) = self.current {
            if digit == Some(cur) {
                self.misses = 0;
                self.last_seen_end = self.total;
                return;
            }
            self.misses += 1;
            if self.misses < MISSES_TO_END {
                return;
            }
            on_event(DtmfEvent::End {
                digit: cur,
                at: self.last_seen_end,
            });
            self.current = None;
        }
        if let Some(d) = digit {
            if self.hits >= HITS_TO_BEGIN {
                self.current = Some(d);
                self.misses = 0;
                self.last_seen_end = self.total;
                on_event(DtmfEvent::Begin {
                    digit: d,
                    at: self.first_hit_at,
                });
            }
        }
    }

    /// Goertzel over the current window; the digit it holds, if any.
    fn analyse(&self) -> Option<char> {
        let mut s1 = [0f32; 16];
        let mut s2 = [0f32; 16];
        let mut energy = 0f32;
        let (tail, head) = self.ring.split_at(self.ring_pos);
        for &x in head.iter().chain(tail) {
            energy += x * x;
            for k in 0..16 {
                let s0 = x + self.coeff[k] * s1[k] - s2[k];
                s2[k] = s1[k];
                s1[k] = s0;
            }
        }
        let n = self.window as f32;
        // Mean power of the component: a tone of amplitude A gives A^2 / 2.
        let mut p = [0f32; 16];
        for k in 0..16 {
            let mag2 = s1[k] * s1[k] + s2[k] * s2[k] - self.coeff[k] * s1[k] * s2[k];
            p[k] = 2.0 * mag2 / (n * n);
        }
        let energy = energy / n;

        let best = |group: &[f32]| -> (usize, f32) {
            group
                .iter()
                .enumerate()
                .fold((0, f32::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b })
        };
        let (r, pr) = best(&p[0..4]);
        let (c, pc) = best(&p[4..8]);
        if pr < self.min_power || pc < self.min_power {
            return None;
        }
        if pc < pr * db(-NORMAL_TWIST_DB) || pc > pr * db(REVERSE_TWIST_DB) {
            return None;
        }
        let rel = db(-RELATIVE_PEAK_DB);
        let others_low = (0..4).all(|i| i == r || p[i] < pr * rel);
        let others_high = (0..4).all(|i| i == c || p[4 + i] < pc * rel);
        if !others_low || !others_high {
            return None;
        }
        if pr + pc < MIN_PURITY * energy {
            return None;
        }
        // Only the high group's harmonics (2.4–3.3 kHz) are clear of the
        // DTMF tones; the low group's (1.4–1.9 kHz) sit among the high tones.
        if p[12 + c] > pc * db(MAX_HARMONIC_DB) {
            return None;
        }
        Some(KEYS[r][c])
    }
}
