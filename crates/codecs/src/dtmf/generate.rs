//! DTMF tone generation.

use super::{amplitude_for_dbm0, frequencies};
use crate::CodecError;
use std::collections::VecDeque;
use std::f32::consts::TAU;

/// Level and timing of generated digits.
#[derive(Clone, Debug, PartialEq)]
pub struct DtmfToneConfig {
    /// Level of the low-group tone, dBm0.
    pub low_dbm0: f32,
    /// Level of the high-group tone, dBm0 (usually 1–2 dB above the low
    /// one, to offset line loss at the higher frequency).
    pub high_dbm0: f32,
    /// Tone duration in ms.
    pub on_ms: u32,
    /// Pause after each tone in ms.
    pub off_ms: u32,
}

impl Default for DtmfToneConfig {
    fn default() -> Self {
        DtmfToneConfig {
            low_dbm0: -10.0,
            high_dbm0: -8.0,
            on_ms: 100,
            off_ms: 100,
        }
    }
}

#[derive(Clone, Debug)]
struct Playing {
    w_low: f32,
    w_high: f32,
    /// Sample index within the digit (tone then pause).
    pos: usize,
}

/// Generates queued digits as PCM at a fixed rate: each the configured
/// tone, then the pause; silence when the queue is empty.
#[derive(Clone, Debug)]
pub struct DtmfGenerator {
    rate: u32,
    config: DtmfToneConfig,
    a_low: f32,
    a_high: f32,
    on: usize,
    off: usize,
    queue: VecDeque<char>,
    playing: Option<Playing>,
}

impl DtmfGenerator {
    /// A generator at `rate` Hz (8000..=48000).
    pub fn new(rate: u32, config: DtmfToneConfig) -> Result<Self, CodecError> {
        if !(8000..=48000).contains(&rate) {
            return Err(CodecError::UnsupportedRate {
                codec: "DTMF",
                rate,
            });
        }
        Ok(DtmfGenerator {
            rate,
            a_low: amplitude_for_dbm0(config.low_dbm0),
            a_high: amplitude_for_dbm0(config.high_dbm0),
            on: (rate * config.on_ms / 1000) as usize,
            off: (rate * config.off_ms / 1000) as usize,
            config,
            queue: VecDeque::new(),
            playing: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &DtmfToneConfig {
        &self.config
    }

    /// Queues a digit (`0-9 * # A-D`).
    pub fn push(&mut self, digit: char) -> Result<(), CodecError> {
        if frequencies(digit).is_none() {
            return Err(CodecError::DtmfDigit(digit));
        }
        self.queue.push_back(digit);
        Ok(())
    }

    /// True when no digit is playing or queued.
    pub fn is_idle(&self) -> bool {
        self.playing.is_none() && self.queue.is_empty()
    }

    /// Writes the next `out.len()` samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        for s in out.iter_mut() {
            if self.playing.is_none() {
                if let Some((lo, hi)) = self.queue.pop_front().and_then(frequencies) {
                    self.playing = Some(Playing {
                        w_low: TAU * lo / self.rate as f32,
                        w_high: TAU * hi / self.rate as f32,
                        pos: 0,
                    });
                }
            }
            *s = match &mut self.playing {
                None => 0,
                Some(p) => {
                    let v = if p.pos < self.on {
                        // Phase from the sample index, kept small to stay
                        // accurate in f32.
                        let t = p.pos as f32;
                        self.a_low * (p.w_low * t).sin() + self.a_high * (p.w_high * t).sin()
                    } else {
                        0.0
                    };
                    p.pos += 1;
                    if p.pos >= self.on + self.off {
                        self.playing = None;
                    }
                    v.round().clamp(-32768.0, 32767.0) as i16
                }
            };
        }
    }
}
