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

use adpcm::{limit, sat16, Band};
use tables::{IH_BY_SIGN, IL_BY_SIGN, Q6_SEARCH, QM6, QMF};

/// Pairs (octets) processed per inner block: the QMF runs over a block at
/// a time, in stack buffers.
const BLOCK: usize = 128;

/// The QMF's memory: of the 24-sample window, the 11 pairs before the
/// current one, as its even-indexed and odd-indexed samples, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Qmf {
    even: [i16; 11],
    odd: [i16; 11],
}

impl Qmf {
    const fn new() -> Self {
        Qmf {
            even: [0; 11],
            odd: [0; 11],
        }
    }

    /// Seeds the history with the last 22 samples of `w`.
    fn set_history(&mut self, w: &[i16]) {
        let w = &w[w.len() - 22..];
        for i in 0..11 {
            self.even[i] = w[2 * i];
            self.odd[i] = w[2 * i + 1];
        }
    }

    /// Runs the filter over a block. `even` and `odd` hold the history at
    /// `0..11` and the block's `m` new pairs at `11..11 + m`; for each pair
    /// `k` it sets `a[k]` to the even-tap sum `sum(even[k + i] * QMF[i])`
    /// and `b[k]` to the odd-tap sum `sum(odd[k + i] * QMF[11 - i])`, then
    /// keeps the last 11 pairs as the new history.
    ///
    /// The taps are the outer loop, so the inner loop runs along the block
    /// and vectorises.
    #[inline(always)]
    fn run(
        &mut self,
        even: &mut [i16; BLOCK + 11],
        odd: &mut [i16; BLOCK + 11],
        m: usize,
        a: &mut [i32; BLOCK],
        b: &mut [i32; BLOCK],
    ) {
        let m = m.min(BLOCK);
        even[..11].copy_from_slice(&self.even);
        odd[..11].copy_from_slice(&self.odd);
        a[..m].fill(0);
        b[..m].fill(0);
        for i in 0..12 {
            let (ce, co) = (QMF[i], QMF[11 - i]);
            for (acc, &x) in a[..m].iter_mut().zip(&even[i..i + m]) {
                *acc += x as i32 * ce;
            }
            for (acc, &x) in b[..m].iter_mut().zip(&odd[i..i + m]) {
                *acc += x as i32 * co;
            }
        }
        self.even.copy_from_slice(&even[m..m + 11]);
        self.odd.copy_from_slice(&odd[m..m + 11]);
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
        let mut even = [0i16; BLOCK + 11];
        let mut odd = [0i16; BLOCK + 11];
        let mut a = [0i32; BLOCK];
        let mut b = [0i32; BLOCK];
        // Work on local copies of the bands: their fields can live in
        // registers.
        let (mut low, mut high) = (self.low.clone(), self.high.clone());
        for (pcm, out) in pcm[..2 * n].chunks(2 * BLOCK).zip(out.chunks_mut(BLOCK)) {
            let m = pcm.len() / 2;
            for (k, pair) in pcm.chunks_exact(2).enumerate() {
                even[11 + k] = pair[0];
                odd[11 + k] = pair[1];
            }
            // Transmit QMF for the whole block: it does not depend on the
            // ADPCM state.
            self.qmf.run(&mut even, &mut odd, m, &mut a, &mut b);
            // DC gain 4096, two filters summed, and the algorithm works on
            // 15-bit input, hence >> 14. Both bands in one loop: their two
            // independent dependency chains then overlap in the processor.
            for ((o, &a), &b) in out[..m].iter_mut().zip(&a[..m]).zip(&b[..m]) {
                let ilow = encode_low(&mut low, (a + b) >> 14);
                let ihigh = encode_high(&mut high, (b - a) >> 14);
                *o = ihigh << 6 | ilow;
            }
        }
        self.low = low;
        self.high = high;
        n
    }
}

/// Low band of one octet: SUBTRA, QUANTL, then the band's adaptation.
/// Returns the 6-bit code.
#[inline(always)]
fn encode_low(low: &mut Band, xlow: i32) -> u8 {
    let el = sat16(xlow - low.s);
    let wd = if el >= 0 { el } else { -(el + 1) };
    let det = low.det;
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
    low.update_low(ilow as usize);
    ilow
}

/// High band of one octet: SUBTRA, QUANTH, then the adaptation. Returns
/// the 2-bit code.
#[inline(always)]
fn encode_high(high: &mut Band, xhigh: i32) -> u8 {
    let eh = sat16(xhigh - high.s);
    let wd = if eh >= 0 { eh } else { -(eh + 1) };
    let mih = 1 + (wd >= (564 * high.det) >> 12) as usize;
    let negative = (eh >> 31) as usize & 4;
    let ihigh = IH_BY_SIGN[negative | mih];
    high.update_high(ihigh as usize);
    ihigh
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
        let mut sum = [0i16; BLOCK + 11];
        let mut diff = [0i16; BLOCK + 11];
        let mut a = [0i32; BLOCK];
        let mut b = [0i32; BLOCK];
        let (mut low, mut high) = (self.low.clone(), self.high.clone());
        for (codes, out) in codes[..n].chunks(BLOCK).zip(out.chunks_mut(2 * BLOCK)) {
            let m = codes.len();
            // Both bands in one loop: their two independent dependency
            // chains then overlap in the processor.
            for (k, &code) in codes.iter().enumerate() {
                let rlow = decode_low(&mut low, (code & 0x3F) as usize);
                let rhigh = decode_high(&mut high, (code >> 6) as usize);
                // rlow and rhigh are 15-bit: their sum and difference fit.
                sum[11 + k] = (rlow + rhigh) as i16;
                diff[11 + k] = (rlow - rhigh) as i16;
            }
            // Receive QMF over the block: the window's even slots hold the
            // sums, the odd slots the differences; the odd taps make the
            // first output sample of each pair, the even taps the second.
            self.qmf.run(&mut sum, &mut diff, m, &mut a, &mut b);
            for ((pair, &a), &b) in out.chunks_exact_mut(2).zip(&a[..m]).zip(&b[..m]) {
                pair[0] = sat16(b >> 11) as i16;
                pair[1] = sat16(a >> 11) as i16;
            }
        }
        self.low = low;
        self.high = high;
        2 * n
    }

    /// Carries the ADPCM state through a lost stretch whose concealment is
    /// `concealed` (16 kHz PCM), so that decoding resumes from a predictor
    /// and scale factors that follow the concealed audio rather than the
    /// audio before the loss. `recent` must hold at least 22 samples: the
    /// re-encoder's filter history (see [`crate::G722Codec`] for how it
    /// lines up the QMF delay).
    ///
    /// It re-encodes `concealed` with an encoder that shares this decoder's
    /// ADPCM state and decodes the codes, discarding the output.
    pub fn advance_concealed(&mut self, recent: &[i16], concealed: &[i16]) {
        let mut enc = G722Encoder {
            qmf: Qmf::new(),
            low: self.low.clone(),
            high: self.high.clone(),
        };
        if recent.len() >= 22 {
            enc.qmf.set_history(recent);
        }
        let mut codes = [0u8; BLOCK];
        let mut sink = [0i16; 2 * BLOCK];
        for chunk in concealed.chunks(2 * BLOCK) {
            let m = enc.encode(chunk, &mut codes);
            self.decode(&codes[..m], &mut sink);
        }
    }
}

/// Low band of one octet: INVQBL with the 6-bit table, RECONS, LIMIT; then
/// the band's adaptation. Returns the reconstructed sample.
#[inline(always)]
fn decode_low(low: &mut Band, ilow: usize) -> i32 {
    let rlow = limit(low.s + ((low.det * QM6[ilow & 63]) >> 15), -16384, 16383);
    low.update_low(ilow & 63);
    rlow
}

/// High band of one octet: INVQAH, RECONS, LIMIT; then the adaptation.
#[inline(always)]
fn decode_high(high: &mut Band, ihigh: usize) -> i32 {
    let s_high = high.s;
    let dhigh = high.update_high(ihigh & 3);
    limit(dhigh + s_high, -16384, 16383)
}
