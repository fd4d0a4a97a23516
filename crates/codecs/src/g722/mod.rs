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
use tables::{IH_BY_SIGN, IL_BY_SIGN, Q6_SEARCH, QM6, QMF};

/// Slots of the QMF history buffer: the 24-sample window slides through it
/// and is moved back to the front when it reaches the end.
const QMF_BUF: usize = 24 + 2 * 64;

/// `QMF_SUM[j]` and `QMF_DIFF[j]` weight window sample `x[j]` (oldest
/// first) so that the two dot products give `sum_odd_taps + sum_even_taps`
/// and `sum_odd_taps - sum_even_taps`, where the even taps are
/// `x[2i] * QMF[i]` and the odd ones `x[2i + 1] * QMF[11 - i]`.
const QMF_SUM: [i16; 24] = qmf_weights(1);
const QMF_DIFF: [i16; 24] = qmf_weights(-1);

const fn qmf_weights(odd_sign: i32) -> [i16; 24] {
    let mut w = [0i16; 24];
    let mut i = 0;
    while i < 12 {
        w[2 * i] = (QMF[i] * odd_sign) as i16;
        w[2 * i + 1] = QMF[11 - i] as i16;
        i += 1;
    }
    w
}

/// The QMF delay line: the last 24 samples, oldest first, at
/// `buf[pos..pos + 24]`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Qmf {
    buf: [i16; QMF_BUF],
    pos: usize,
}

impl Default for Qmf {
    fn default() -> Self {
        Qmf::new()
    }
}

#[inline(always)]
fn dot24(x: &[i16; 24], w: &[i16; 24]) -> i32 {
    // Fixed-size, so the compiler unrolls it into 16-bit multiply-add
    // vector instructions.
    let mut acc = [0i32; 8];
    for j in 0..24 {
        acc[j % 8] += x[j] as i32 * w[j] as i32;
    }
    acc.iter().sum()
}

impl Qmf {
    const fn new() -> Self {
        Qmf {
            buf: [0; QMF_BUF],
            pos: 0,
        }
    }

    /// Replaces the window (for seeding).
    fn set_window(&mut self, w: &[i16]) {
        self.pos = 0;
        self.buf[..24].copy_from_slice(&w[..24]);
    }

    /// Pushes one pair and returns `(odd + even, odd - even)` tap sums over
    /// the new window.
    #[inline(always)]
    fn push(&mut self, first: i16, second: i16) -> (i32, i32) {
        if self.pos + 26 > QMF_BUF {
            self.buf.copy_within(self.pos + 2..self.pos + 24, 0);
            self.pos = 0;
        } else {
            self.pos += 2;
        }
        self.buf[self.pos + 22] = first;
        self.buf[self.pos + 23] = second;
        let w: &[i16; 24] = self.buf[self.pos..self.pos + 24]
            .try_into()
            .expect("window of 24");
        (dot24(w, &QMF_SUM), dot24(w, &QMF_DIFF))
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
            qmf: Qmf::new(),
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
        // Work on a local copy: its fields can live in registers.
        let mut st = self.clone();
        for (o, pair) in out[..n].iter_mut().zip(pcm.chunks_exact(2)) {
            *o = st.encode_pair(pair[0] as i32, pair[1] as i32);
        }
        *self = st;
        n
    }

    #[inline(always)]
    fn encode_pair(&mut self, x0: i32, x1: i32) -> u8 {
        // Transmit QMF: DC gain 4096, two filters summed, and the
        // algorithm works on 15-bit input, hence >> 14.
        let (sum, diff) = self.qmf.push(x0 as i16, x1 as i16);
        let xlow = sum >> 14;
        let xhigh = diff >> 14;

        // Low band: SUBTRA, QUANTL.
        let el = sat16(xlow - self.low.s);
        let wd = if el >= 0 { el } else { -(el + 1) };
        let det = self.low.det;
        // First interval i in 1..30 whose upper decision level exceeds wd;
        // 30 when none does. The levels grow with i: a branch-free binary
        // search over Q6[1..=29] (padded to 32 with unreachable levels).
        let mut i = 0usize;
        for step in [16usize, 8, 4, 2, 1] {
            let probe = i + step;
            let above = wd as i64 >= (Q6_SEARCH[probe & 31] * det as i64) >> 12;
            i += step * above as usize;
        }
        let interval = (i + 1) & 31;
        // The sign of the difference is random: index, don't branch.
        let negative = (el >> 31) as usize & 32;
        let ilow = IL_BY_SIGN[negative | interval];
        self.low.update_low(ilow as usize);

        // High band: SUBTRA, QUANTH.
        let eh = sat16(xhigh - self.high.s);
        let wd = if eh >= 0 { eh } else { -(eh + 1) };
        let mih = 1 + (wd >= (564 * self.high.det) >> 12) as usize;
        let negative = (eh >> 31) as usize & 4;
        let ihigh = IH_BY_SIGN[negative | mih];
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
            qmf: Qmf::new(),
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
        // Work on a local copy: its fields can live in registers.
        let mut st = self.clone();
        for (pair, &c) in out.chunks_exact_mut(2).zip(&codes[..n]) {
            let (a, b) = st.decode_octet(c);
            pair[0] = a;
            pair[1] = b;
        }
        *self = st;
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
            enc.qmf.set_window(&recent[recent.len() - 24..]);
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

        // Receive QMF: the odd taps make the first output sample, the
        // even taps the second. rlow and rhigh are 15-bit, so their sum and
        // difference fit 16 bits.
        let (sum, diff) = self.qmf.push((rlow + rhigh) as i16, (rlow - rhigh) as i16);
        let odd = (sum + diff) >> 1;
        let even = (sum - diff) >> 1;
        (sat16(odd >> 11) as i16, sat16(even >> 11) as i16)
    }
}
