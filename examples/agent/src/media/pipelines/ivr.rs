//! `ivr`: plays a tone prompt, reads DTMF, transfers on `1`.
//!
//! `1` transfers to the configured target, `0` hangs up, `*` repeats the
//! prompt; other digits get a short confirmation beep.

use std::collections::VecDeque;

use crate::media::analysis::ToneGenerator;
use crate::media::{CallEvent, DtmfPress, MediaInfo, PipelineAction, VoicePipeline};

/// The menu.
#[derive(Debug)]
pub struct Ivr {
    rate: u32,
    transfer_to: Option<String>,
    script: VecDeque<(f64, usize)>,
    tone: Option<(ToneGenerator, usize)>,
    frame: Vec<i16>,
    actions: VecDeque<PipelineAction>,
    digits: String,
}

impl Ivr {
    /// A menu at `rate` Hz that transfers to `transfer_to` on `1`.
    pub fn new(rate: u32, transfer_to: Option<String>) -> Self {
        Ivr {
            rate,
            transfer_to,
            script: VecDeque::new(),
            tone: None,
            frame: Vec::new(),
            actions: VecDeque::new(),
            digits: String::new(),
        }
    }

    /// Digits received so far.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    fn ms(&self, ms: u32) -> usize {
        (self.rate * ms / 1000) as usize
    }

    /// The prompt: three rising beeps with pauses.
    fn prompt(&mut self) {
        for f in [440.0, 554.0, 659.0] {
            let (on, off) = (self.ms(200), self.ms(100));
            self.script.push_back((f, on));
            self.script.push_back((0.0, off));
        }
    }

    fn beep(&mut self, f: f64) {
        let n = self.ms(120);
        self.script.push_back((f, n));
    }
}

impl VoicePipeline for Ivr {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn on_start(&mut self, info: &MediaInfo) {
        self.frame = vec![0; info.frame_samples];
        if self.script.is_empty() && self.digits.is_empty() {
            self.prompt();
        }
    }

    fn on_audio(&mut self, _frame: &[i16]) {}

    fn next_audio(&mut self) -> &[i16] {
        let mut filled = 0;
        while filled < self.frame.len() {
            if self.tone.as_ref().is_none_or(|(_, left)| *left == 0) {
                match self.script.pop_front() {
                    Some((f, n)) => {
                        self.tone = Some((
                            ToneGenerator::new(f, self.rate, if f > 0.0 { 6000 } else { 0 }),
                            n,
                        ))
                    }
                    None => {
                        self.frame[filled..].fill(0);
                        self.tone = None;
                        break;
                    }
                }
            }
            if let Some((g, left)) = self.tone.as_mut() {
                let k = (*left).min(self.frame.len() - filled);
                g.fill(&mut self.frame[filled..filled + k]);
                *left -= k;
                filled += k;
            }
        }
        &self.frame
    }

    fn on_dtmf(&mut self, press: DtmfPress) {
        self.digits.push(press.digit);
        match press.digit {
            '1' => match self.transfer_to.clone() {
                Some(t) => self.actions.push_back(PipelineAction::Transfer(t)),
                None => self.beep(330.0),
            },
            '0' => self.actions.push_back(PipelineAction::Hangup),
            '*' => self.prompt(),
            _ => self.beep(880.0),
        }
    }

    fn on_event(&mut self, event: &CallEvent) {
        if let CallEvent::Refused(_) | CallEvent::TransferResult(false) = event {
            self.beep(220.0);
        }
    }

    fn poll_action(&mut self) -> Option<PipelineAction> {
        self.actions.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::analysis::dominant_frequency;
    use crate::media::DtmfSource;
    use std::time::Duration;

    fn start(ivr: &mut Ivr) {
        ivr.on_start(&MediaInfo {
            sample_rate: 8000,
            frame_samples: 160,
            ptime: Duration::from_millis(20),
            codec: "PCMU".into(),
            srtp: None,
        });
    }

    fn press(d: char) -> DtmfPress {
        DtmfPress {
            digit: d,
            duration: Duration::from_millis(100),
            source: DtmfSource::Rfc4733,
        }
    }

    #[test]
    fn prompt_then_transfer_on_one() {
        let mut ivr = Ivr::new(8000, Some("sip:desk@pbx".into()));
        start(&mut ivr);
        let mut audio = Vec::new();
        for _ in 0..10 {
            audio.extend_from_slice(ivr.next_audio());
        }
        let f = dominant_frequency(&audio[..1600], 8000).unwrap();
        assert!((f - 440.0).abs() < 3.0, "{f}");
        ivr.on_dtmf(press('5'));
        assert_eq!(ivr.poll_action(), None);
        ivr.on_dtmf(press('1'));
        assert_eq!(
            ivr.poll_action(),
            Some(PipelineAction::Transfer("sip:desk@pbx".into()))
        );
        ivr.on_dtmf(press('0'));
        assert_eq!(ivr.poll_action(), Some(PipelineAction::Hangup));
        assert_eq!(ivr.digits(), "510");
    }

    #[test]
    fn without_a_target_one_only_beeps() {
        let mut ivr = Ivr::new(16000, None);
        start(&mut ivr);
        ivr.on_dtmf(press('1'));
        assert_eq!(ivr.poll_action(), None);
    }
}
