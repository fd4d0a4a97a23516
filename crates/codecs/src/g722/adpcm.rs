//! The ADPCM part of G.722 shared by encoder and decoder: the adaptive
//! predictor (block 4) and the scale-factor adaptation (blocks 3L/3H), on the
//! 16-bit fixed-point arithmetic of the Recommendation.

use super::tables::{DETH, DETL, QM2, QM4, WH_BY_CODE, WL_BY_RIL};

/// Saturates to the 16-bit range, as the Recommendation's `LIMIT` does.
#[inline(always)]
pub(super) fn sat16(x: i32) -> i32 {
    limit(x, -32768, 32767)
}

/// `x` limited to `lo..=hi` (`lo <= hi`; all within 2^30 so the
/// differences cannot overflow), with arithmetic instead of comparisons:
/// the compiler turns `clamp` and `min`/`max` into branches here, and
/// whether a log scale factor sits at its floor is not predictable.
#[inline(always)]
pub(super) fn limit(x: i32, lo: i32, hi: i32) -> i32 {
    let below = x - lo;
    let x = lo + (below & !(below >> 31));
    let above = x - hi;
    hi + (above & (above >> 31))
}

/// Lanes 6 and 7 of the zero predictor are padding (to two vectors of
/// four) and stay zero: their step is masked out.
const LANES: [i32; 8] = [-1, -1, -1, -1, -1, -1, 0, 0];

/// State of one sub-band's ADPCM: predictor and scale factor.
///
/// The delay lines keep values in the form the filters use them, computed
/// once per sample instead of once per tap: the reconstructed signal and the
/// quantised differences doubled and saturated (`FILTEP` and `FILTEZ` only
/// ever read `LIMIT(2x)`; its sign is the sign of `x`), and of the partial
/// reconstructed signal only the signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Band {
    /// Predicted signal (`SL` / `SH`).
    pub s: i32,
    /// Zero-section output (`SZL`).
    sz: i32,
    /// `LIMIT(2 RLT)` one and two samples back.
    rr: [i32; 2],
    /// Pole coefficients `A1`, `A2`.
    a1: i32,
    a2: i32,
    /// Signs (0 or -1) of the partial reconstructed signal one and two
    /// samples back.
    sgp: [i32; 2],
    /// `LIMIT(2 DLT)` one to six samples back, then two padding lanes.
    dd: [i32; 8],
    /// Zero coefficients `B1..B6`, then two padding lanes.
    b: [i32; 8],
    /// Log scale factor (`NBL` / `NBH`).
    pub nb: i32,
    /// Scale factor (`DETL` / `DETH`).
    pub det: i32,
}

impl Band {
    /// Initial state (`DETL = 32`, `DETH = 8`, all else 0).
    pub(super) const fn new(det: i32) -> Self {
        Band {
            s: 0,
            sz: 0,
            rr: [0; 2],
            a1: 0,
            a2: 0,
            sgp: [0; 2],
            dd: [0; 8],
            b: [0; 8],
            nb: 0,
            det,
        }
    }

    /// Low band, after the 6-bit code `ilow` was chosen or received: updates
    /// the scale factor (INVQAL, LOGSCL, SCALEL) and the predictor (block 4).
    #[inline(always)]
    pub(super) fn update_low(&mut self, ilow: usize) {
        let ril = ilow >> 2;
        let dlow = (self.det * QM4[ril]) >> 15;
        // nb * 127 >> 7, without the multiply (nb >= 0).
        let nb = self.nb - ((self.nb + 127) >> 7) + WL_BY_RIL[ril];
        self.nb = limit(nb, 0, 18432);
        self.det = DETL[(self.nb >> 6) as usize];
        self.predict(dlow);
    }

    /// High band, after the 2-bit code `ihigh`: INVQAH, LOGSCH, SCALEH and
    /// block 4. Returns the quantised difference `DH`.
    #[inline(always)]
    pub(super) fn update_high(&mut self, ihigh: usize) -> i32 {
        let dhigh = (self.det * QM2[ihigh]) >> 15;
        let nb = self.nb - ((self.nb + 127) >> 7) + WH_BY_CODE[ihigh];
        self.nb = limit(nb, 0, 22528);
        self.det = DETH[(self.nb >> 6) as usize];
        self.predict(dhigh);
        dhigh
    }

    /// Block 4: reconstruct, adapt the pole and zero coefficients, and
    /// compute the next prediction, for the quantised difference `dx`.
    #[inline(always)]
    fn predict(&mut self, dx: i32) {
        // RECONS and PARREC. The partial reconstruction is only ever used
        // for its sign, which LIMIT does not change, and the reconstruction
        // only doubled and limited again: LIMIT(2 LIMIT(x)) = LIMIT(2x).
        let r0 = self.s + dx;
        let p0 = self.sz + dx;

        // Signs: negative is -1, zero and positive are 0.
        let sg0 = p0 >> 31;
        let [sg1, sg2] = self.sgp;

        // UPPOL2. The Recommendation's LIMIT(4 A1), negated when the signs
        // agree, limited to 32767 and shifted right by 7, is the same as
        // (+-A1 >> 5) limited to -256..=255.
        let na1 = if sg0 == sg1 { -self.a1 } else { self.a1 };
        let wd2 = limit(na1 >> 5, -256, 255);
        let mut ap2 = if sg0 == sg2 { 128 } else { -128 };
        ap2 += wd2;
        // a2 * 32512 >> 15 is a2 - ceil(a2 / 128).
        ap2 += self.a2 - ((self.a2 + 127) >> 7);
        let ap2 = limit(ap2, -12288, 12288);

        // UPPOL1. |A2| <= 12288 and |A1| <= 27648 keep these sums in 16
        // bits, so the Recommendation's LIMITs are no-ops here.
        let wd1 = if sg0 == sg1 { 192 } else { -192 };
        // a1 * 32640 >> 15 is a1 - ceil(a1 / 256).
        let wd2 = self.a1 - ((self.a1 + 255) >> 8);
        let lim = 15360 - ap2;
        let ap1 = limit(wd1 + wd2, -lim, lim);

        // UPZERO. From |B| <= 32767, |B * 32640 >> 15| <= 32640, and
        // adding +-128 stays in 16 bits: no LIMIT needed.
        let step = if dx == 0 { 0 } else { 128 };
        let sgd = dx >> 15;
        // Indexed loops over the 8 lanes: measured faster than the iterator
        // form, which the compiler vectorises less well here.
        #[allow(clippy::needless_range_loop)]
        for i in 0..8 {
            let b = self.b[i];
            // 0 when the signs agree, -1 when they differ.
            let differ = (self.dd[i] >> 15) ^ sgd;
            let wd2 = ((step & LANES[i]) ^ differ) - differ;
            self.b[i] = wd2 + b - ((b + 255) >> 8);
        }

        // DELAYA.
        self.dd.copy_within(0..5, 1);
        self.dd[0] = sat16(dx + dx);
        self.rr = [sat16(r0 << 1), self.rr[0]];
        self.sgp = [sg0, sg1];
        self.a1 = ap1;
        self.a2 = ap2;

        // FILTEP.
        let sp = sat16(((self.a1 * self.rr[0]) >> 15) + ((self.a2 * self.rr[1]) >> 15));

        // FILTEZ.
        let mut sz = 0;
        #[allow(clippy::needless_range_loop)]
        for i in 0..8 {
            sz += (self.b[i] * self.dd[i]) >> 15;
        }
        self.sz = sat16(sz);

        // PREDIC.
        self.s = sat16(sp + self.sz);
    }
}
