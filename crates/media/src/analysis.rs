//! Audio analysis for tests, the demo and the interop checks: the level
//! and the dominant frequency of a block of PCM, and a tone generator.

use std::f64::consts::TAU;

/// Goertzel power of `freq` in `pcm` at `rate`, normalised by length.
pub fn tone_power(pcm: &[i16], rate: u32, freq: f64) -> f64 {
    if pcm.is_empty() {
        return 0.0;
    }
    let w = TAU * freq / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in pcm {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let p = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    p / (pcm.len() as f64 * pcm.len() as f64)
}

/// Root-mean-square level.
pub fn rms(pcm: &[i16]) -> f64 {
    if pcm.is_empty() {
        return 0.0;
    }
    (pcm.iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        / pcm.len() as f64)
        .sqrt()
}

/// The strongest frequency between 50 Hz and the Nyquist limit: a 10 Hz
/// scan, then a 1 Hz refinement around the best bin.
pub fn dominant_frequency(pcm: &[i16], rate: u32) -> Option<f64> {
    if pcm.len() < 64 || rms(pcm) < 10.0 {
        return None;
    }
    let nyquist = f64::from(rate) / 2.0 - 50.0;
    let mut best = (0.0, 0.0);
    let mut f = 50.0;
    while f < nyquist {
        let p = tone_power(pcm, rate, f);
        if p > best.1 {
            best = (f, p);
        }
        f += 10.0;
    }
    let mut fine = best;
    let mut f = best.0 - 10.0;
    while f <= best.0 + 10.0 {
        let p = tone_power(pcm, rate, f);
        if p > fine.1 {
            fine = (f, p);
        }
        f += 1.0;
    }
    Some(fine.0)
}

/// A sine generator that keeps its phase across frames.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    freq: f64,
    rate: u32,
    amplitude: f64,
    phase: f64,
}

impl ToneGenerator {
    /// A tone of `freq` Hz at `rate`, peak `amplitude` (0..32767).
    pub fn new(freq: f64, rate: u32, amplitude: i16) -> Self {
        ToneGenerator {
            freq,
            rate,
            amplitude: f64::from(amplitude),
            phase: 0.0,
        }
    }

    /// Fills `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        let step = TAU * self.freq / f64::from(self.rate);
        for s in out {
            *s = (self.amplitude * self.phase.sin()).round() as i16;
            self.phase = (self.phase + step) % TAU;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_tone() {
        for (f, rate) in [
            (440.0, 8000),
            (1000.0, 16000),
            (3000.0, 48000),
            (697.0, 8000),
        ] {
            let mut g = ToneGenerator::new(f, rate, 8000);
            let mut pcm = vec![0i16; rate as usize / 10];
            g.fill(&mut pcm);
            let found = dominant_frequency(&pcm, rate).unwrap();
            assert!((found - f).abs() <= 2.0, "{f} Hz at {rate}: found {found}");
            assert!((rms(&pcm) - 8000.0 / 2f64.sqrt()).abs() < 50.0);
        }
    }

    #[test]
    fn silence_has_no_frequency() {
        assert_eq!(dominant_frequency(&[0i16; 800], 8000), None);
        assert_eq!(dominant_frequency(&[1000i16; 10], 8000), None);
        assert_eq!(tone_power(&[], 8000, 440.0), 0.0);
    }
}
