//! `play`: plays a WAV to the caller and records the caller to a WAV.

use std::path::PathBuf;

use crate::media::wav::Wav;
use crate::media::{CallSummary, MediaInfo, PipelineAction, VoicePipeline};

/// Plays `prompt` once, records the caller until hang-up; hangs up when
/// the prompt is over and `hangup_after` is set.
#[derive(Debug)]
pub struct Play {
    prompt: Wav,
    pos: usize,
    record: Option<PathBuf>,
    recorded: Vec<i16>,
    frame: Vec<i16>,
    hangup_after: bool,
    hung_up: bool,
}

impl Play {
    /// A player of `prompt` (its rate must be 8, 16, 24 or 48 kHz),
    /// recording to `record`.
    pub fn new(prompt: Wav, record: Option<PathBuf>, hangup_after: bool) -> Self {
        Play {
            prompt,
            pos: 0,
            record,
            recorded: Vec::new(),
            frame: Vec::new(),
            hangup_after,
            hung_up: false,
        }
    }

    /// What was recorded so far.
    pub fn recorded(&self) -> &[i16] {
        &self.recorded
    }
}

impl VoicePipeline for Play {
    fn sample_rate(&self) -> u32 {
        self.prompt.rate
    }

    fn on_start(&mut self, info: &MediaInfo) {
        self.frame = vec![0; info.frame_samples];
    }

    fn on_audio(&mut self, frame: &[i16]) {
        self.recorded.extend_from_slice(frame);
    }

    fn next_audio(&mut self) -> &[i16] {
        let n = self.frame.len();
        let end = (self.pos + n).min(self.prompt.samples.len());
        let k = end - self.pos;
        self.frame[..k].copy_from_slice(&self.prompt.samples[self.pos..end]);
        self.frame[k..].fill(0);
        self.pos = end;
        &self.frame
    }

    fn poll_action(&mut self) -> Option<PipelineAction> {
        if self.hangup_after && !self.hung_up && self.pos >= self.prompt.samples.len() {
            self.hung_up = true;
            return Some(PipelineAction::Hangup);
        }
        None
    }

    fn on_end(&mut self, _summary: &CallSummary) {
        if let Some(path) = &self.record {
            let wav = Wav {
                rate: self.prompt.rate,
                samples: std::mem::take(&mut self.recorded),
            };
            if let Err(e) = wav.write(path) {
                tracing::warn!(path = %path.display(), error = %e, "recording not written");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn plays_records_and_hangs_up() {
        let dir = std::env::temp_dir().join(format!("heron-play-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("rec.wav");
        let mut p = Play::new(
            Wav {
                rate: 8000,
                samples: (0..300).map(|i| i as i16).collect(),
            },
            Some(out.clone()),
            true,
        );
        p.on_start(&MediaInfo {
            sample_rate: 8000,
            frame_samples: 160,
            ptime: Duration::from_millis(20),
            codec: "PCMA".into(),
            srtp: None,
        });
        assert_eq!(p.next_audio()[159], 159);
        assert_eq!(p.poll_action(), None);
        let second = p.next_audio().to_vec();
        assert_eq!(second[139], 299);
        assert_eq!(second[140], 0);
        assert_eq!(p.poll_action(), Some(PipelineAction::Hangup));
        assert_eq!(p.poll_action(), None);
        p.on_audio(&[5; 160]);
        assert_eq!(p.recorded().len(), 160);
        p.on_end(&CallSummary::default());
        let rec = Wav::read(&out).unwrap();
        assert_eq!(rec.samples, vec![5; 160]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
