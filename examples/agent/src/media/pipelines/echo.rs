//! `echo`: talks back what it hears, after a short delay.

use std::collections::VecDeque;
use std::time::Duration;

use crate::media::{MediaInfo, VoicePipeline};

/// Plays the caller's audio back after `delay`.
#[derive(Debug)]
pub struct Echo {
    rate: u32,
    delay: Duration,
    line: VecDeque<i16>,
    frame: Vec<i16>,
}

impl Echo {
    /// An echo at `rate` Hz with `delay`.
    pub fn new(rate: u32, delay: Duration) -> Self {
        Echo {
            rate,
            delay,
            line: VecDeque::new(),
            frame: Vec::new(),
        }
    }
}

impl VoicePipeline for Echo {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn on_start(&mut self, info: &MediaInfo) {
        let delay = (u128::from(self.rate) * self.delay.as_nanos() / 1_000_000_000) as usize;
        self.line.clear();
        self.line.extend(std::iter::repeat_n(0, delay));
        self.frame = vec![0; info.frame_samples];
    }

    fn on_audio(&mut self, frame: &[i16]) {
        self.line.extend(frame.iter().copied());
    }

    fn next_audio(&mut self) -> &[i16] {
        for s in self.frame.iter_mut() {
            *s = self.line.pop_front().unwrap_or(0);
        }
        &self.frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_by_the_configured_time() {
        let mut e = Echo::new(8000, Duration::from_millis(40));
        e.on_start(&MediaInfo {
            sample_rate: 8000,
            frame_samples: 160,
            ptime: Duration::from_millis(20),
            codec: "PCMU".into(),
            srtp: None,
        });
        e.on_audio(&[7; 160]);
        assert!(e.next_audio().iter().all(|&s| s == 0));
        e.on_audio(&[8; 160]);
        assert!(e.next_audio().iter().all(|&s| s == 0));
        e.on_audio(&[9; 160]);
        assert!(e.next_audio().iter().all(|&s| s == 7));
        assert!(e.next_audio().iter().all(|&s| s == 8));
    }
}
