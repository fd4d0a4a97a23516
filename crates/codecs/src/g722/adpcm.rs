//! The ADPCM part of G.722 shared by encoder and decoder: the adaptive
//! predictor (block 4) and the scale-factor adaptation (blocks 3L/3H), on the
//! 16-bit fixed-point arithmetic of the Recommendation.

use super::tables::{ILB, QM2, QM4, RH2, RL42, WH, WL};

/// Saturates to the 16-bit range, as the Recommendation's `LIMIT` does.
#[inline(always)]
pub(super) fn sat16(x: i32) -> i32 {
    x.clamp(-32768, 32767)
}

/// State of one sub-band's ADPCM: predictor and scale factor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Band {
    /// Predicted signal (`SL` / `SH`).
    pub s: i32,
    /// Pole-section output (`SPL`).
    sp: i32,
    /// Zero-section output (`SZL`).
    sz: i32,
    /// Reconstructed signal, now and the two previous (`RLT`).
    r: [i32; 3],
    /// Pole coefficients `A1`, `A2` (index 0 unused).
    a: [i32; 3],
    /// Partial reconstructed signal, now and two previous (`PLT`).
    p: [i32; 3],
    /// Quantised differences, now and six previous (`DLT`).
    d: [i32; 7],
    /// Zero coefficients `B1..B6` (index 0 unused).
    b: [i32; 7],
    /// Log scale factor (`NBL` / `NBH`).
    pub nb: i32,
    /// Scale factor (`DETL` / `DETH`).
    pub det: i32,
}

impl Band {
    /// Initial state (§6.1: `DETL = 32`, `DETH = 8`, all else 0).
    pub(super) const fn new(det: i32) -> Self {
        Band {
            s: 0,
            sp: 0,
            sz: 0,
            r: [0; 3],
            a: [0; 3],
            p: [0; 3],
            d: [0; 7],
            b: [0; 7],
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
        let nb = ((self.nb * 127) >> 7) + WL[RL42[ril]];
        self.nb = nb.clamp(0, 18432);
        self.det = scale(self.nb, 8);
        self.predict(dlow);
    }

    /// High band, after the 2-bit code `ihigh`: INVQAH, LOGSCH, SCALEH and
    /// block 4. Returns the quantised difference `DH`.
    #[inline(always)]
    pub(super) fn update_high(&mut self, ihigh: usize) -> i32 {
        let dhigh = (self.det * QM2[ihigh]) >> 15;
        let nb = ((self.nb * 127) >> 7) + WH[RH2[ihigh]];
        self.nb = nb.clamp(0, 22528);
        self.det = scale(self.nb, 10);
        self.predict(dhigh);
        dhigh
    }

    /// Block 4: reconstruct, adapt the pole and zero coefficients, and
    /// compute the next prediction, for the quantised difference `dx`.
    #[inline(always)]
    fn predict(&mut self, dx: i32) {
        // RECONS and PARREC.
        let r0 = sat16(self.s + dx);
        let p0 = sat16(self.sz + dx);

        // Signs: negative is -1, zero and positive are 0.
        let sg0 = p0 >> 15;
        let sg1 = self.p[1] >> 15;
        let sg2 = self.p[2] >> 15;

        // UPPOL2.
        let wd1 = sat16(self.a[1] << 2);
        let wd2 = if sg0 == sg1 { -wd1 } else { wd1 }.min(32767);
        let mut ap2 = if sg0 == sg2 { 128 } else { -128 };
        ap2 += wd2 >> 7;
        ap2 += (self.a[2] * 32512) >> 15;
        let ap2 = ap2.clamp(-12288, 12288);

        // UPPOL1.
        let wd1 = if sg0 == sg1 { 192 } else { -192 };
        let wd2 = (self.a[1] * 32640) >> 15;
        let lim = sat16(15360 - ap2);
        let ap1 = sat16(wd1 + wd2).clamp(-lim, lim);

        // UPZERO, then DELAYA for the differences.
        let step = if dx == 0 { 0 } else { 128 };
        let sgd = dx >> 15;
        for (b, &d) in self.b.iter_mut().zip(&self.d).skip(1) {
            let wd2 = if (d >> 15) == sgd { step } else { -step };
            *b = sat16(wd2 + ((*b * 32640) >> 15));
        }
        self.d = [
            dx, dx, self.d[1], self.d[2], self.d[3], self.d[4], self.d[5],
        ];

        // DELAYA for the pole section.
        self.r = [r0, r0, self.r[1]];
        self.p = [p0, p0, self.p[1]];
        self.a = [0, ap1, ap2];

        // FILTEP.
        let w1 = (self.a[1] * sat16(self.r[1] + self.r[1])) >> 15;
        let w2 = (self.a[2] * sat16(self.r[2] + self.r[2])) >> 15;
        self.sp = sat16(w1 + w2);

        // FILTEZ.
        let sz: i32 = self.b[1..]
            .iter()
            .zip(&self.d[1..])
            .map(|(&b, &d)| (b * sat16(d + d)) >> 15)
            .sum();
        self.sz = sat16(sz);

        // PREDIC.
        self.s = sat16(self.sp + self.sz);
    }
}

/// SCALEL / SCALEH: the scale factor from the log scale factor `nb`;
/// `offset` is 8 for the low band and 10 for the high band.
#[inline(always)]
fn scale(nb: i32, offset: i32) -> i32 {
    let wd1 = ((nb >> 6) & 31) as usize;
    let wd2 = offset - (nb >> 11);
    let wd3 = if wd2 < 0 {
        ILB[wd1] << -wd2
    } else {
        ILB[wd1] >> wd2
    };
    wd3 << 2
}
