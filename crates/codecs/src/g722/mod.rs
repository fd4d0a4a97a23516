//! ITU-T G.722 sub-band ADPCM at 64 kbit/s.
//!
//! Bit-exact with the ITU reference algorithm as spandsp 0.0.6 implements it
//! (checked against `../shared/testdata/codecs/pcm16k_2s.*`). Input and
//! output are 16 kHz 16-bit PCM; each octet carries two input samples, the
//! 2 high-band bits on top (`ihigh << 6 | ilow`), as in RTP (RFC 3551).
//!
//! The RTP clock rate of G.722 is 8000 although it samples at 16 kHz (RFC
//! 3551 §4.5.2): the RTP timestamp advances by one per octet, which is half
//! the number of PCM samples.

mod adpcm;
mod tables;

use adpcm::{sat16, Band};
use tables::{IHN, IHP, ILN, ILP, Q6, QM6, QMF};

/// The two QMF delay lines: even-indexed and odd-indexed samples of the
/// 24-sample window, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Qmf {
    even: [i32; 12],
    odd: [i32; 12],
}

impl Qmf {
    /// Pushes one pair and returns the two filter sums
    /// `(sum_even_taps, sum_odd_taps)` over the new window.
    #[inline(always)]
    fn push(&mut self, first: i32, second: i32) -> (i32, i32) {
        self.even.copy_within(1.., 0);
        self.odd.copy_within(1.., 0);
        self.even[11] = first;
        self.odd[11] = second;
        let mut s_even = 0;
        let mut s_odd = 0;
        for i in 0..12 {
            s_even += self.even[i] * QMF[i];
            s_odd += self.odd[i] * QMF[11 - i];
        }
        (s_even, s_odd)
    }
}

/// A G.722 encoder at 64 kbit/s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct G722Encoder {
    qmf: Qmf,
    low: Band,
    high: Band,
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    /// A fresh encoder (the reset state of the Recommendation).
    pub const fn new() -> Self {
        G722Encoder {
            qmf: Qmf {
                even: [0; 12],
                odd: [0; 12],
            },
            low: Band::new(32),
            high: Band::new(8),
        }
    }

    /// Returns to the reset state.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Encodes 16 kHz PCM: one octet per two samples. Encodes
    /// `min(pcm.len() / 2, out.len())` octets and returns that count; an odd
    /// trailing sample is ignored.
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> usize {
        let n = (pcm.len() / 2).min(out.len());
        for (o, pair) in out[..n].iter_mut().zip(pcm.chunks_exact(2)) {
            *o = self.encode_pair(pair[0] as i32, pair[1] as i32);
        }
        n
    }

    #[inline(always)]
    fn encode_pair(&mut self, x0: i32, x1: i32) -> u8 {
        // Transmit QMF: DC gain 4096, two filters summed, and the
        // algorithm works on 15-bit input, hence >> 14.
        let (s_odd_phase, s_even_phase) = self.qmf.push(x0, x1);
        let xlow = (s_even_phase + s_odd_phase) >> 14;
        let xhigh = (s_even_phase - s_odd_phase) >> 14;

        // Low band: SUBTRA, QUANTL.
        let el = sat16(xlow - self.low.s);
        let wd = if el >= 0 { el } else { -(el + 1) };
        let det = self.low.det;
        // First interval i in 1..30 whose upper decision level exceeds wd;
        // 30 when none does. The levels grow with i: binary search.
        let (mut lo, mut hi) = (1usize, 30usize);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if wd < (Q6[mid] * det) >> 12 {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let ilow = if el < 0 { ILN[lo] } else { ILP[lo] };
        self.low.update_low(ilow as usize);

        // High band: SUBTRA, QUANTH.
        let eh = sat16(xhigh - self.high.s);
        let wd = if eh >= 0 { eh } else { -(eh + 1) };
        let mih = if wd >= (564 * self.high.det) >> 12 {
            2
        } else {
            1
        };
        let ihigh = if eh < 0 { IHN[mih] } else { IHP[mih] };
        self.high.update_high(ihigh as usize);

        (ihigh << 6) | ilow
    }
}

/// A G.722 decoder at 64 kbit/s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct G722Decoder {
    qmf: Qmf,
    low: Band,
    high: Band,
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    /// A fresh decoder (the reset state of the Recommendation).
    pub const fn new() -> Self {
        G722Decoder {
            qmf: Qmf {
                even: [0; 12],
                odd: [0; 12],
            },
            low: Band::new(32),
            high: Band::new(8),
        }
    }

    /// Returns to the reset state.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Decodes octets into 16 kHz PCM, two samples per octet. Decodes
    /// `min(codes.len(), out.len() / 2)` octets and returns the number of
    /// samples written.
    pub fn decode(&mut self, codes: &[u8], out: &mut [i16]) -> usize {
        let n = codes.len().min(out.len() / 2);
        for (pair, &c) in out.chunks_exact_mut(2).zip(&codes[..n]) {
            let (a, b) = self.decode_octet(c);
            pair[0] = a;
            pair[1] = b;
        }
        2 * n
    }

    /// Carries the ADPCM state through a lost stretch whose concealment is
    /// `concealed` (16 kHz PCM, as played out), so that decoding resumes from
    /// a predictor and scale factors that follow the concealed audio rather
    /// than the audio before the loss. `recent` is the output just before
    /// the loss (its last 24 samples seed the re-encoder's filter).
    ///
    /// It re-encodes `concealed` with an encoder that shares this decoder's
    /// ADPCM state and decodes the codes, discarding the output.
    pub fn advance_concealed(&mut self, recent: &[i16], concealed: &[i16]) {
        let mut enc = G722Encoder {
            qmf: Qmf::default(),
            low: self.low.clone(),
            high: self.high.clone(),
        };
        if recent.len() >= 24 {
            let r = &recent[recent.len() - 24..];
            for i in 0..12 {
                enc.qmf.even[i] = r[2 * i] as i32;
                enc.qmf.odd[i] = r[2 * i + 1] as i32;
            }
        }
        for pair in concealed.chunks_exact(2) {
            let code = enc.encode_pair(pair[0] as i32, pair[1] as i32);
            self.decode_octet(code);
        }
    }

    #[inline(always)]
    fn decode_octet(&mut self, code: u8) -> (i16, i16) {
        let ilow = (code & 0x3F) as usize;
        let ihigh = (code >> 6) as usize;

        // Low band: INVQBL with the 6-bit table, RECONS, LIMIT.
        let rlow = (self.low.s + ((self.low.det * QM6[ilow]) >> 15)).clamp(-16384, 16383);
        self.low.update_low(ilow);

        // High band: INVQAH, RECONS, LIMIT.
        let s_high = self.high.s;
        let dhigh = self.high.update_high(ihigh);
        let rhigh = (dhigh + s_high).clamp(-16384, 16383);

        // Receive QMF.
        let (s_even, s_odd) = self.qmf.push(rlow + rhigh, rlow - rhigh);
        let first = sat16(s_odd >> 11) as i16;
        let second = sat16(s_even >> 11) as i16;
        (first, second)
    }
}
