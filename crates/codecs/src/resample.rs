//! Fixed-ratio sample-rate conversion between 8, 16, 24 and 48 kHz.
//!
//! A polyphase FIR (Kaiser-windowed sinc, designed for 70 dB of stop-band
//! attenuation). The pass band reaches 0.43 of the lower rate (3.44 kHz
//! between 8 and 16 kHz), the stop band starts at half the lower rate, so
//! nothing aliases into the output nor images out of the input. State is
//! kept across calls, so a stream can be fed in frames of any size; nothing
//! is allocated after [`Resampler::new`].
//!
//! ```
//! use heron_codecs::Resampler;
//!
//! let mut up = Resampler::new(8000, 48000).unwrap();
//! let frame = [0i16; 160]; // 20 ms at 8 kHz
//! let mut out = [0i16; 960];
//! assert_eq!(up.process(&frame, &mut out).unwrap(), 960);
//! ```

use crate::CodecError;

/// Stop-band attenuation the filters are designed for, in dB.
const ATTENUATION_DB: f64 = 70.0;
/// Pass-band edge as a fraction of the lower rate.
const PASS_EDGE: f64 = 0.43;
/// Stop-band edge as a fraction of the lower rate.
const STOP_EDGE: f64 = 0.5;
/// Input samples converted per inner block.
const BLOCK: usize = 480;

/// A stateful converter from one fixed rate to another.
#[derive(Clone, Debug)]
pub struct Resampler {
    from: u32,
    to: u32,
    /// Interpolation factor L.
    up: usize,
    /// Decimation factor M.
    down: usize,
    /// Taps per phase T.
    taps: usize,
    /// `up` phases of `taps` coefficients each, reversed so that a phase is
    /// a dot product with the input window in time order.
    coeffs: Vec<f32>,
    /// The last `taps - 1` input samples, then room for one block.
    buf: Vec<f32>,
    /// Upsampled-domain position of the next output, relative to the first
    /// sample of the next call.
    next: usize,
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Zeroth-order modified Bessel function of the first kind (series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..50 {
        term *= q / (k as f64 * k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// The prototype low-pass at `rate` with cutoff `cutoff` Hz and a
/// transition band of `width` Hz, DC gain `gain`.
fn design(rate: f64, cutoff: f64, width: f64, gain: f64) -> Vec<f64> {
    let beta = 0.1102 * (ATTENUATION_DB - 8.7);
    let n = ((ATTENUATION_DB - 7.95) / (14.36 * width / rate)).ceil() as usize + 1;
    let n = n | 1; // odd length: a whole-sample centre
    let mid = (n - 1) as f64 / 2.0;
    let wc = 2.0 * cutoff / rate;
    let i0b = bessel_i0(beta);
    let mut h: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 - mid;
            let sinc = if t == 0.0 {
                wc
            } else {
                (std::f64::consts::PI * wc * t).sin() / (std::f64::consts::PI * t)
            };
            let r = t / mid;
            let w = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0b;
            sinc * w
        })
        .collect();
    let sum: f64 = h.iter().sum();
    h.iter_mut().for_each(|c| *c *= gain / sum);
    h
}

impl Resampler {
    /// A converter from `from` Hz to `to` Hz; both in {8000, 16000, 24000,
    /// 48000}. Equal rates copy.
    pub fn new(from: u32, to: u32) -> Result<Self, CodecError> {
        for rate in [from, to] {
            if ![8000, 16000, 24000, 48000].contains(&rate) {
                return Err(CodecError::UnsupportedRate {
                    codec: "resampler",
                    rate,
                });
            }
        }
        let g = gcd(from as usize, to as usize);
        let up = to as usize / g;
        let down = from as usize / g;
        let (coeffs, taps) = if up == down {
            (vec![1.0], 1)
        } else {
            let low = from.min(to) as f64;
            let rate = from as f64 * up as f64;
            let cutoff = low * (PASS_EDGE + STOP_EDGE) / 2.0;
            let width = low * (STOP_EDGE - PASS_EDGE);
            let h = design(rate, cutoff, width, up as f64);
            let taps = h.len().div_ceil(up);
            let mut c = vec![0f32; up * taps];
            for p in 0..up {
                for i in 0..taps {
                    let k = p + i * up;
                    c[p * taps + (taps - 1 - i)] = h.get(k).copied().unwrap_or(0.0) as f32;
                }
            }
            (c, taps)
        };
        Ok(Resampler {
            from,
            to,
            up,
            down,
            taps,
            coeffs,
            buf: vec![0.0; taps - 1 + BLOCK],
            next: 0,
        })
    }

    /// Input rate in Hz.
    pub fn input_rate(&self) -> u32 {
        self.from
    }

    /// Output rate in Hz.
    pub fn output_rate(&self) -> u32 {
        self.to
    }

    /// The most output samples [`Resampler::process`] writes for `input_len`
    /// input samples. For whole frames of 10 ms it is exact.
    pub fn max_output_len(&self, input_len: usize) -> usize {
        (input_len * self.up).div_ceil(self.down)
    }

    /// Delay of the filter, in output samples.
    pub fn delay(&self) -> usize {
        let n = (self.taps * self.up) as f64;
        ((n - 1.0) / 2.0 / self.down as f64).round() as usize
    }

    /// Forgets the stream (zero history).
    pub fn reset(&mut self) {
        self.buf.iter_mut().for_each(|s| *s = 0.0);
        self.next = 0;
    }

    /// Converts `input`, writing to the start of `output`; returns the number
    /// of samples written. `output` must hold
    /// [`Resampler::max_output_len`]`(input.len())` samples.
    pub fn process(&mut self, input: &[i16], output: &mut [i16]) -> Result<usize, CodecError> {
        let needed = self.max_output_len(input.len());
        if output.len() < needed {
            return Err(CodecError::OutputTooSmall {
                codec: "resampler",
                needed,
                got: output.len(),
            });
        }
        let mut written = 0;
        for chunk in input.chunks(BLOCK) {
            written += self.process_block(chunk, &mut output[written..]);
        }
        Ok(written)
    }

    fn process_block(&mut self, input: &[i16], output: &mut [i16]) -> usize {
        let t = self.taps;
        let hist = t - 1;
        for (b, &x) in self.buf[hist..].iter_mut().zip(input) {
            *b = x as f32;
        }
        let end = input.len() * self.up;
        let mut k = self.next;
        let mut written = 0;
        while k < end {
            let n = k / self.up;
            let p = k % self.up;
            let coeffs = &self.coeffs[p * t..(p + 1) * t];
            let window = &self.buf[n..n + t];
            output[written] = to_i16(dot(coeffs, window));
            written += 1;
            k += self.down;
        }
        self.next = k - end;
        self.buf.copy_within(input.len()..input.len() + hist, 0);
        written
    }
}

#[inline(always)]
fn to_i16(x: f32) -> i16 {
    // Round half away from zero; `as` saturates to the i16 range. (Cheaper
    // than `f32::round`, which is a library call on baseline x86-64.)
    (x + 0.5f32.copysign(x)) as i16
}

/// Dot product with eight independent accumulators, so the compiler can
/// keep them in vector registers.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_other_rates_and_small_buffers() {
        assert!(Resampler::new(44100, 48000).is_err());
        let mut r = Resampler::new(16000, 8000).unwrap();
        let mut out = [0i16; 10];
        assert!(matches!(
            r.process(&[0; 40], &mut out),
            Err(CodecError::OutputTooSmall { needed: 20, .. })
        ));
    }

    #[test]
    fn equal_rates_copy() {
        let mut r = Resampler::new(16000, 16000).unwrap();
        let x: Vec<i16> = (0..500).map(|i| (i * 37 % 2000) as i16).collect();
        let mut y = vec![0i16; 500];
        assert_eq!(r.process(&x, &mut y).unwrap(), 500);
        assert_eq!(x, y);
    }

    #[test]
    fn frame_size_does_not_change_the_output() {
        let x: Vec<i16> = (0..4800)
            .map(|i| ((i * 7919) % 20000 - 10000) as i16)
            .collect();
        for (from, to) in [(8000, 48000), (48000, 8000), (16000, 24000), (24000, 16000)] {
            let mut a = Resampler::new(from, to).unwrap();
            let mut whole = vec![0i16; a.max_output_len(x.len())];
            let n = a.process(&x, &mut whole).unwrap();
            let mut b = Resampler::new(from, to).unwrap();
            let mut parts = Vec::new();
            let mut buf = vec![0i16; 2000];
            for c in x.chunks(from as usize / 100) {
                let m = b.process(c, &mut buf).unwrap();
                parts.extend_from_slice(&buf[..m]);
            }
            assert_eq!(parts.len(), n, "{from}->{to}");
            assert_eq!(parts, whole[..n], "{from}->{to}");
            assert_eq!(n, x.len() * to as usize / from as usize);
        }
    }
}
