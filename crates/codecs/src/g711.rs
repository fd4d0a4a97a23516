//! ITU-T G.711 A-law and µ-law companding.
//!
//! Encoding and decoding are single table lookups per sample. The tables are
//! computed at compile time from the G.711 segment rules:
//!
//! - A-law depends only on the top 12 bits of a sample (`x >> 4`), so its
//!   encoder table has 4096 entries;
//! - µ-law of a negative sample depends on all 16 bits (spandsp biases the
//!   magnitude `-x`, not `!x`), so its table has 65536 entries;
//! - each decoder table has 256 entries.
//!
//! The octets are the ones that go on the wire (RTP payload types 8 and 0):
//! A-law with the even bits inverted, µ-law complemented.

/// A-law octet for one linear sample (G.711 §A), computed from the segment
/// rules; used to build [`ALAW_ENCODE`].
const fn alaw_from_linear(x: i32) -> u8 {
    let (mag, mask) = if x >= 0 { (x, 0xD5) } else { (!x, 0x55) };
    // Segment 0 covers 0..=255, segment n covers 2^(n+7)..2^(n+8)-1.
    let mut seg = 0;
    while seg < 7 && mag >= (256 << seg) {
        seg += 1;
    }
    let shift = if seg == 0 { 4 } else { seg + 3 };
    let mant = (mag >> shift) & 0x0F;
    (((seg << 4) | mant) ^ mask) as u8
}

/// µ-law octet for one linear sample (G.711 §B).
const fn ulaw_from_linear(x: i32) -> u8 {
    const BIAS: i32 = 0x84;
    let (biased, mask) = if x < 0 {
        (BIAS - x, 0x7F)
    } else {
        (BIAS + x, 0xFF)
    };
    let mut seg = 0;
    while seg < 8 && biased >= (256 << seg) {
        seg += 1;
    }
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mant = (biased >> (seg + 3)) & 0x0F;
    (((seg << 4) | mant) ^ mask) as u8
}

const fn alaw_to_linear(code: u8) -> i16 {
    let a = (code ^ 0x55) as i32;
    let mant = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    let mag = if seg == 0 {
        mant + 8
    } else {
        (mant + 0x108) << (seg - 1)
    };
    if a & 0x80 != 0 {
        mag as i16
    } else {
        -mag as i16
    }
}

const fn ulaw_to_linear(code: u8) -> i16 {
    let u = (!code) as i32;
    let mag = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);
    if u & 0x80 != 0 {
        (0x84 - mag) as i16
    } else {
        (mag - 0x84) as i16
    }
}

/// A-law encoder table, indexed by `(x >> 4) & 0xFFF`.
static ALAW_ENCODE: [u8; 4096] = {
    let mut t = [0u8; 4096];
    let mut i = 0;
    while i < 4096 {
        // Sign-extend the 12-bit index back to a sample with that top part.
        let top = if i >= 2048 { i as i32 - 4096 } else { i as i32 };
        t[i] = alaw_from_linear(top << 4);
        i += 1;
    }
    t
};

/// µ-law encoder table indexed by the sample's 16 bits. (A negative
/// sample's code depends on all of its bits, so no shorter index works
/// without extra arithmetic per sample.)
static ULAW_ENCODE: [u8; 65536] = {
    let mut t = [0u8; 65536];
    let mut i = 0;
    while i < 65536 {
        t[i] = ulaw_from_linear(i as u16 as i16 as i32);
        i += 1;
    }
    t
};

static ALAW_DECODE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_to_linear(i as u8);
        i += 1;
    }
    t
};

static ULAW_DECODE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_to_linear(i as u8);
        i += 1;
    }
    t
};

/// Encodes one sample to A-law.
#[inline]
pub fn linear_to_alaw(x: i16) -> u8 {
    ALAW_ENCODE[((x >> 4) as usize) & 0xFFF]
}

/// Encodes one sample to µ-law.
#[inline]
pub fn linear_to_ulaw(x: i16) -> u8 {
    ULAW_ENCODE[x as u16 as usize]
}

/// Decodes one A-law octet.
#[inline]
pub fn alaw_to_linear_sample(code: u8) -> i16 {
    ALAW_DECODE[code as usize]
}

/// Decodes one µ-law octet.
#[inline]
pub fn ulaw_to_linear_sample(code: u8) -> i16 {
    ULAW_DECODE[code as usize]
}

/// Encodes `pcm` to A-law into `out`; encodes `min(pcm.len(), out.len())`
/// samples and returns that count.
pub fn encode_alaw(pcm: &[i16], out: &mut [u8]) -> usize {
    let n = pcm.len().min(out.len());
    for (o, &x) in out[..n].iter_mut().zip(&pcm[..n]) {
        *o = linear_to_alaw(x);
    }
    n
}

/// Encodes `pcm` to µ-law into `out`; returns the number of samples encoded
/// (`min(pcm.len(), out.len())`).
pub fn encode_ulaw(pcm: &[i16], out: &mut [u8]) -> usize {
    let n = pcm.len().min(out.len());
    for (o, &x) in out[..n].iter_mut().zip(&pcm[..n]) {
        *o = linear_to_ulaw(x);
    }
    n
}

/// Decodes A-law octets into `out`; returns the number of samples written
/// (`min(codes.len(), out.len())`).
pub fn decode_alaw(codes: &[u8], out: &mut [i16]) -> usize {
    let n = codes.len().min(out.len());
    for (o, &c) in out[..n].iter_mut().zip(&codes[..n]) {
        *o = ALAW_DECODE[c as usize];
    }
    n
}

/// Decodes µ-law octets into `out`; returns the number of samples written
/// (`min(codes.len(), out.len())`).
pub fn decode_ulaw(codes: &[u8], out: &mut [i16]) -> usize {
    let n = codes.len().min(out.len());
    for (o, &c) in out[..n].iter_mut().zip(&codes[..n]) {
        *o = ULAW_DECODE[c as usize];
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spot_values_from_the_reference_readme() {
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(-1), 0x7F);
        assert_eq!(alaw_to_linear_sample(0xD5), 8);
        assert_eq!(ulaw_to_linear_sample(0x80), 32124);
        assert_eq!(ulaw_to_linear_sample(0x00), -32124);
    }

    #[test]
    fn tables_agree_with_the_segment_rules_for_every_sample() {
        for x in i16::MIN..=i16::MAX {
            assert_eq!(linear_to_alaw(x), alaw_from_linear(x as i32), "A-law {x}");
            assert_eq!(linear_to_ulaw(x), ulaw_from_linear(x as i32), "u-law {x}");
        }
    }

    #[test]
    fn decode_then_encode_is_identity_on_codes() {
        for c in 0..=255u8 {
            assert_eq!(linear_to_alaw(alaw_to_linear_sample(c)), c);
            // u-law has two codes for zero (0x7F and 0xFF); both decode to 0.
            let back = linear_to_ulaw(ulaw_to_linear_sample(c));
            if c == 0x7F {
                assert_eq!(back, 0xFF);
            } else {
                assert_eq!(back, c);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn quantisation_error_is_bounded_by_the_segment_step(x in proptest::num::i16::ANY) {
            let a = alaw_to_linear_sample(linear_to_alaw(x)) as i32;
            let u = ulaw_to_linear_sample(linear_to_ulaw(x)) as i32;
            let x = x as i32;
            // Half of the largest step (1024 for A-law, 1024 for u-law segment 7).
            proptest::prop_assert!((a - x).abs() <= 512 + 8, "A-law {x} -> {a}");
            proptest::prop_assert!((u - x).abs() <= 1024 + 132, "u-law {x} -> {u}");
        }
    }
}
