//! Packet-loss concealment on PCM by pitch-period repetition, for the codecs
//! that have none of their own (G.711, G.722).
//!
//! While frames arrive, the last 40 ms of output are kept. When one is lost,
//! the pitch period of that history is estimated by normalised
//! autocorrelation (2.5–15 ms), and the last period is repeated: unchanged
//! for the first 10 ms of loss, then fading by 20 % per 10 ms to silence
//! after 60 ms. The first good frame after a loss is cross-faded over 4 ms
//! from the continued concealment into the decoded signal, so there is no
//! click at either end.

/// History kept, in ms.
const HISTORY_MS: usize = 40;
/// Pitch search range, in tenths of ms.
const PITCH_MIN_TENTHS: usize = 25;
const PITCH_MAX_TENTHS: usize = 150;

/// Concealment state for one stream of PCM at a fixed rate.
#[derive(Clone, Debug)]
pub struct Plc {
    rate: usize,
    /// The last `HISTORY_MS` of output, oldest first.
    history: Vec<i16>,
    /// Pitch period in samples, valid while concealing.
    pitch: usize,
    /// Read position in the repeated period (`history[len - pitch + pos]`).
    pos: usize,
    /// Samples concealed in the current loss, 0 when not in a loss.
    lost: usize,
}

impl Plc {
    /// A concealer for PCM at `rate` Hz.
    pub fn new(rate: u32) -> Self {
        let rate = rate as usize;
        Plc {
            rate,
            history: vec![0; rate * HISTORY_MS / 1000],
            pitch: 0,
            pos: 0,
            lost: 0,
        }
    }

    /// Forgets all history (for a new stream).
    pub fn reset(&mut self) {
        self.history.iter_mut().for_each(|s| *s = 0);
        self.pitch = 0;
        self.pos = 0;
        self.lost = 0;
    }

    /// True while in a loss (since the last [`Plc::conceal`] and before the
    /// next [`Plc::good_frame`]).
    pub fn in_loss(&self) -> bool {
        self.lost > 0
    }

    /// The last 40 ms of played-out audio before the current loss (or
    /// before now), oldest first.
    pub fn history(&self) -> &[i16] {
        &self.history
    }

    /// Records a correctly decoded frame. After a loss it cross-fades the
    /// frame's start from the concealment, in place.
    pub fn good_frame(&mut self, pcm: &mut [i16]) {
        if self.lost > 0 {
            let fade = (self.rate * 4 / 1000).min(pcm.len());
            for (i, s) in pcm[..fade].iter_mut().enumerate() {
                let c = self.next_concealed() as f32;
                let w = (i as f32 + 0.5) / fade as f32;
                *s = (c * (1.0 - w) + *s as f32 * w).round() as i16;
            }
            self.lost = 0;
        }
        self.push_history(pcm);
    }

    /// Fills `out` with the concealment of a lost frame.
    pub fn conceal(&mut self, out: &mut [i16]) {
        if self.lost == 0 {
            self.pitch = self.estimate_pitch();
            self.pos = 0;
        }
        for s in out.iter_mut() {
            *s = self.next_concealed();
        }
        // The concealed audio does not become history: repetition always
        // reads the last real period.
    }

    /// Fills `out` with the concealment that would follow what
    /// [`Plc::conceal`] last produced, without advancing. Outside a loss
    /// there is nothing to continue: silence.
    pub fn peek(&self, out: &mut [i16]) {
        if self.lost == 0 || self.pitch == 0 {
            out.fill(0);
            return;
        }
        let (mut pos, mut lost) = (self.pos, self.lost);
        for s in out.iter_mut() {
            *s = self.sample_at(pos, lost);
            pos = (pos + 1) % self.pitch;
            lost += 1;
        }
    }

    /// The next concealment sample, with the fade-out applied.
    fn next_concealed(&mut self) -> i16 {
        let x = self.sample_at(self.pos, self.lost);
        self.pos = (self.pos + 1) % self.pitch;
        self.lost += 1;
        x
    }

    /// The concealment sample at read position `pos` of the repeated
    /// period, `lost` samples into the loss.
    fn sample_at(&self, pos: usize, lost: usize) -> i16 {
        let len = self.history.len();
        let x = self.history[len - self.pitch + pos] as f32;
        let ms10 = self.rate / 100;
        let gain = if lost < ms10 {
            1.0
        } else {
            (1.0 - 0.2 * (lost - ms10) as f32 / ms10 as f32).max(0.0)
        };
        (x * gain).round() as i16
    }

    fn push_history(&mut self, pcm: &[i16]) {
        let len = self.history.len();
        if pcm.len() >= len {
            self.history.copy_from_slice(&pcm[pcm.len() - len..]);
        } else {
            self.history.copy_within(pcm.len().., 0);
            self.history[len - pcm.len()..].copy_from_slice(pcm);
        }
    }

    /// The lag in the pitch range that maximises the normalised
    /// correlation between the last 10 ms and the history before it.
    fn estimate_pitch(&self) -> usize {
        let h = &self.history;
        let min = (self.rate * PITCH_MIN_TENTHS / 10_000).max(1);
        let max = self.rate * PITCH_MAX_TENTHS / 10_000;
        let win = self.rate / 100;
        let target = &h[h.len() - win..];
        let energy_t: f64 = target.iter().map(|&x| (x as f64) * (x as f64)).sum();
        if energy_t == 0.0 {
            return max;
        }
        let mut best = (max, f64::MIN);
        for lag in min..=max {
            let past = &h[h.len() - win - lag..h.len() - lag];
            let (mut xy, mut yy) = (0f64, 0f64);
            for (&a, &b) in target.iter().zip(past) {
                xy += a as f64 * b as f64;
                yy += b as f64 * b as f64;
            }
            if yy > 0.0 {
                let score = xy / (yy * energy_t).sqrt();
                if score > best.1 {
                    best = (lag, score);
                }
            }
        }
        best.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: usize, f: f64, start: usize, n: usize) -> Vec<i16> {
        (start..start + n)
            .map(|i| {
                (8000.0 * (2.0 * std::f64::consts::PI * f * i as f64 / rate as f64).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn a_lost_frame_of_a_periodic_signal_is_continued() {
        let rate = 8000;
        let mut plc = Plc::new(rate as u32);
        // 200 Hz: period of 40 samples, inside the pitch range.
        for k in 0..10 {
            let mut f = sine(rate, 200.0, k * 160, 160);
            plc.good_frame(&mut f);
        }
        let mut out = vec![0i16; 80];
        plc.conceal(&mut out);
        let want = sine(rate, 200.0, 1600, 80);
        let err = out
            .iter()
            .zip(&want)
            .map(|(&a, &b)| (a as i32 - b as i32).abs())
            .max()
            .unwrap();
        assert!(err < 100, "max error {err}");
        assert!(plc.in_loss());
    }

    #[test]
    fn a_long_loss_fades_to_silence_and_recovery_has_no_jump() {
        let rate = 16000;
        let mut plc = Plc::new(rate as u32);
        for k in 0..5 {
            let mut f = sine(rate, 300.0, k * 320, 320);
            plc.good_frame(&mut f);
        }
        let mut out = vec![0i16; 320];
        for _ in 0..3 {
            plc.conceal(&mut out);
        }
        // 60 ms lost: the last frame has faded to nearly nothing.
        assert!(
            out[300..].iter().all(|&s| s.abs() < 250),
            "{:?}",
            &out[300..]
        );
        plc.conceal(&mut out);
        assert!(out.iter().all(|&s| s == 0));
        // Recovery: the first good frame ramps in from silence.
        let mut f = sine(rate, 300.0, 8 * 320, 320);
        let orig = f.clone();
        plc.good_frame(&mut f);
        assert!(f[0].abs() < orig[0].abs().max(1) / 10 + 1);
        assert_eq!(f[64..], orig[64..]);
        assert!(!plc.in_loss());
    }

    #[test]
    fn peek_continues_the_concealment_without_advancing() {
        let mut plc = Plc::new(8000);
        let mut ahead = [1i16; 8];
        plc.peek(&mut ahead);
        assert_eq!(ahead, [0; 8], "nothing to continue outside a loss");
        for k in 0..10 {
            let mut f = sine(8000, 200.0, k * 160, 160);
            plc.good_frame(&mut f);
        }
        let mut out = [0i16; 80];
        plc.conceal(&mut out);
        let mut peeked = [0i16; 40];
        plc.peek(&mut peeked);
        let mut next = [0i16; 40];
        plc.conceal(&mut next);
        assert_eq!(peeked, next);
    }

    #[test]
    fn concealing_without_history_gives_silence() {
        let mut plc = Plc::new(8000);
        let mut out = vec![1i16; 160];
        plc.conceal(&mut out);
        assert!(out.iter().all(|&s| s == 0));
    }
}
