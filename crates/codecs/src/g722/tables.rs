//! Constant tables of ITU-T G.722 (sub-band ADPCM at 64 kbit/s).

/// Decision levels of the 6-bit low-band quantiser (QUANTL), in units of the
/// scale factor (Q12 relative to `det`).
pub(super) const Q6: [i32; 30] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
];

/// [`Q6`] for the branch-free search: index k holds the level of interval
/// k (1..=29), index 0 is never probed, and 30, 31 are out of reach. 64-bit, so the
/// padding times any scale factor cannot overflow.
pub(super) const Q6_SEARCH: [i64; 32] = {
    let mut t = [1 << 40; 32];
    let mut k = 0;
    while k < 30 {
        t[k] = Q6[k] as i64;
        k += 1;
    }
    t
};

/// Low-band code for a negative difference, by quantiser interval.
const ILN: [u8; 31] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4,
];

/// Low-band code for a positive difference, by quantiser interval.
const ILP: [u8; 31] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32,
];

/// Log scale-factor multipliers of the low band (LOGSCL), by `RIL` magnitude.
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];

/// Map of the 4-bit truncated low-band code to its magnitude index.
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];

/// Antilog table of the scale factor (SCALEL / SCALEH).
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

/// Output levels of the 4-bit inverse quantiser (INVQAL), used for the
/// predictor update.
pub(super) const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];

/// Output levels of the 6-bit inverse quantiser (INVQBL at 64 kbit/s), used
/// for the decoder output.
pub(super) const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];

/// High-band code for a negative / positive difference, by interval (1 or 2).
const IHN: [u8; 3] = [0, 1, 0];
/// See [`IHN`].
const IHP: [u8; 3] = [0, 3, 2];

/// Log scale-factor multipliers of the high band (LOGSCH).
const WH: [i32; 3] = [0, -214, 798];

/// Map of the 2-bit high-band code to its magnitude index.
const RH2: [usize; 4] = [2, 1, 2, 1];

/// Output levels of the 2-bit high-band inverse quantiser (INVQAH).
pub(super) const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];

/// The 24-tap QMF, as 12 coefficients (the filter is symmetric).
pub(super) const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

/// SCALEL / SCALEH: the scale factor from the log scale factor `nb`, which
/// depends only on `nb >> 6`; `offset` is 8 for the low band and 10 for the
/// high band.
const fn scale(nb: i32, offset: i32) -> i32 {
    let wd1 = ((nb >> 6) & 31) as usize;
    let wd2 = offset - (nb >> 11);
    let wd3 = if wd2 < 0 {
        ILB[wd1] << -wd2
    } else {
        ILB[wd1] >> wd2
    };
    wd3 << 2
}

/// `DETL` by `NBL >> 6` (NBL is at most 18432).
pub(super) const DETL: [i32; 289] = {
    let mut t = [0; 289];
    let mut i = 0;
    while i < 289 {
        t[i] = scale((i as i32) << 6, 8);
        i += 1;
    }
    t
};

/// `DETH` by `NBH >> 6` (NBH is at most 22528).
pub(super) const DETH: [i32; 353] = {
    let mut t = [0; 353];
    let mut i = 0;
    while i < 353 {
        t[i] = scale((i as i32) << 6, 10);
        i += 1;
    }
    t
};

/// `WL[RL42[ril]]`: the low-band log scale-factor step by 4-bit code.
pub(super) const WL_BY_RIL: [i32; 16] = {
    let mut t = [0; 16];
    let mut i = 0;
    while i < 16 {
        t[i] = WL[RL42[i]];
        i += 1;
    }
    t
};

/// `WH[RH2[ih]]`: the high-band log scale-factor step by 2-bit code.
pub(super) const WH_BY_CODE: [i32; 4] = [WH[RH2[0]], WH[RH2[1]], WH[RH2[2]], WH[RH2[3]]];

/// Low-band code by `32 * (difference < 0) + interval`.
pub(super) const IL_BY_SIGN: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut i = 0;
    while i < 31 {
        t[i] = ILP[i];
        t[32 + i] = ILN[i];
        i += 1;
    }
    t
};

/// High-band code by `4 * (difference < 0) + interval`.
pub(super) const IH_BY_SIGN: [u8; 8] = [IHP[0], IHP[1], IHP[2], 0, IHN[0], IHN[1], IHN[2], 0];
