//! A small multiply-rotate hasher (the "Fx" scheme) for the endpoint's maps
//! keyed by values it made itself: transaction and connection ids. It is
//! much cheaper than the standard SipHash, and not resistant to chosen
//! keys, so maps keyed by what a peer sends (its branches, its addresses)
//! keep the standard, randomly keyed hasher.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// The hasher: one rotate, xor and multiply per word.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in chunks.by_ref() {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A map with [`FxHasher`], for keys the endpoint chose.
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A 64-bit digest of `bytes` (ASCII case folded when `fold`) and a
/// number; used to compare such values (a Via sent-by) without keeping
/// them.
pub(crate) fn digest(bytes: &[u8], fold: bool, n: u64) -> u64 {
    let mut h = FxHasher::default();
    for chunk in bytes.chunks(8) {
        let mut w = [0u8; 8];
        for (d, s) in w.iter_mut().zip(chunk) {
            *d = if fold { s.to_ascii_lowercase() } else { *s };
        }
        h.add(u64::from_le_bytes(w));
    }
    h.add(bytes.len() as u64);
    h.add(n);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_works_and_case_folding_matches() {
        let mut m: FxMap<u64, u32> = FxMap::default();
        for i in 0..1000 {
            m.insert(i, i as u32);
        }
        assert_eq!(m.get(&777), Some(&777));
        let d = |s: &str, n| digest(s.as_bytes(), true, n);
        assert_eq!(d("Host.Example", 5060), d("host.example", 5060));
        assert_ne!(d("host.example", 5060), d("host.example", 5061));
        assert_ne!(d("a", 0), d("a\0", 0));
        assert_ne!(digest(b"A", false, 0), digest(b"a", false, 0));
        let mut a = FxHasher::default();
        a.write(b"abc");
        let mut b = FxHasher::default();
        b.write(b"abd");
        assert_ne!(a.finish(), b.finish());
    }
}
