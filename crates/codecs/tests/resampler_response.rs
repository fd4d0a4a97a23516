//! Measured frequency response of the resampler: pass-band ripple and
//! stop-band attenuation (aliases and images), for every rate pair.

use heron_codecs::Resampler;
use std::f64::consts::PI;

const RATES: [u32; 4] = [8000, 16000, 24000, 48000];
const AMP: f64 = 16000.0;

/// Converts a 1.5 s tone of `f` Hz; returns the last second of output.
fn convert_tone(from: u32, to: u32, f: u32) -> Vec<i16> {
    let mut r = Resampler::new(from, to).unwrap();
    let n = from as usize * 3 / 2;
    let x: Vec<i16> = (0..n)
        .map(|i| (AMP * (2.0 * PI * f as f64 * i as f64 / from as f64).sin()).round() as i16)
        .collect();
    let mut y = vec![0i16; r.max_output_len(n)];
    // 20 ms frames, as the pipeline feeds it.
    let mut at = 0;
    for c in x.chunks(from as usize / 50) {
        at += r.process(c, &mut y[at..]).unwrap();
    }
    y.truncate(at);
    y[at - to as usize..].to_vec()
}

/// Amplitude of the `f` Hz component of one second of `y` at rate `rate`,
/// and the power of everything else, both relative to the input tone (dB).
fn analyse(y: &[i16], rate: u32, f: u32) -> (f64, f64) {
    let (mut c, mut s) = (0f64, 0f64);
    for (i, &v) in y.iter().enumerate() {
        let ph = 2.0 * PI * f as f64 * i as f64 / rate as f64;
        c += v as f64 * ph.cos();
        s += v as f64 * ph.sin();
    }
    let n = y.len() as f64;
    let (a, b) = (2.0 * c / n, 2.0 * s / n);
    let amp = (a * a + b * b).sqrt();
    let mut resid = 0f64;
    for (i, &v) in y.iter().enumerate() {
        let ph = 2.0 * PI * f as f64 * i as f64 / rate as f64;
        let e = v as f64 - (a * ph.cos() + b * ph.sin());
        resid += e * e;
    }
    let resid_rms = (resid / n).sqrt();
    let tone_rms = AMP / 2f64.sqrt();
    (
        20.0 * (amp / AMP).log10(),
        20.0 * (resid_rms.max(1e-9) / tone_rms).log10(),
    )
}

#[test]
fn pass_band_ripple_is_under_a_tenth_of_a_db() {
    for &from in &RATES {
        for &to in &RATES {
            if from == to {
                continue;
            }
            let low = from.min(to);
            let edge = low * 43 / 100;
            let mut gains = Vec::new();
            let mut f = 100;
            while f <= edge {
                let y = convert_tone(from, to, f);
                let (gain, resid) = analyse(&y, to, f);
                // Whatever is not the tone (images, aliases, rounding).
                assert!(
                    resid < -60.0,
                    "{from}->{to} at {f} Hz: residue {resid:.1} dB"
                );
                gains.push(gain);
                f += low / 40;
            }
            let max = gains.iter().cloned().fold(f64::MIN, f64::max);
            let min = gains.iter().cloned().fold(f64::MAX, f64::min);
            eprintln!("{from}->{to}: pass band 100..{edge} Hz, gain {min:+.4}..{max:+.4} dB");
            assert!(max - min < 0.1, "{from}->{to}: ripple {:.3} dB", max - min);
            assert!(max.abs() < 0.1 && min.abs() < 0.1, "{from}->{to}: gain off");
        }
    }
}

#[test]
fn stop_band_attenuation_is_at_least_60_db() {
    // Downsampling: tones above the output's Nyquist rate must vanish.
    for &from in &RATES {
        for &to in &RATES {
            if to >= from {
                continue;
            }
            let mut worst = f64::MIN;
            let mut f = to / 2;
            while f < from / 2 {
                let y = convert_tone(from, to, f);
                // The tone is out of band: all output is alias.
                let rms =
                    (y.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / y.len() as f64).sqrt();
                let level = 20.0 * (rms.max(1e-9) / (AMP / 2f64.sqrt())).log10();
                assert!(level < -60.0, "{from}->{to}: {f} Hz leaks at {level:.1} dB");
                worst = worst.max(level);
                f += from / 97;
            }
            eprintln!(
                "{from}->{to}: stop band from {} Hz, worst alias {worst:.1} dB",
                to / 2
            );
        }
    }
}
