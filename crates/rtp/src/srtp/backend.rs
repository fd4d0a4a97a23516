//! The crypto primitives SRTP needs, behind small internal traits so a
//! backend can be swapped after measuring. Today: RustCrypto `aes` for AES
//! counter mode (the counter loop is ours, so the key schedule is borrowed
//! rather than cloned per packet), `sha1`'s compression function for HMAC-SHA1, and `ring` for
//! AES-GCM (see DESIGN.md, "Crypto").

use aes::cipher::consts::U16;
use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncrypt, BlockSizeUser, KeyInit};

/// AES in counter mode with a precomputed key schedule.
pub(crate) trait CtrCipher: Send + Sync {
    /// XORs `data` with the keystream starting at counter block `iv`.
    fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]);
}

/// HMAC-SHA1 with precomputed inner and outer states.
pub(crate) trait Sha1Mac: Send + Sync {
    /// The full 20-octet tag over `a || b`.
    fn tag(&self, a: &[u8], b: &[u8]) -> [u8; 20];
}

/// An AEAD with a 12-octet nonce and a 16-octet tag.
pub(crate) trait Aead: Send + Sync {
    /// Encrypts `data` in place and returns the tag.
    fn seal(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; 16];
    /// Verifies `tag` and decrypts `data` in place; false on failure.
    fn open(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8], tag: &[u8; 16]) -> bool;
}

/// The AES block function alone, for the key derivation.
pub(crate) struct AesBlock(RustCryptoCtr);

impl AesBlock {
    pub(crate) fn new(key: &[u8]) -> Option<Self> {
        RustCryptoCtr::new(key).map(AesBlock)
    }

    pub(crate) fn encrypt_blocks(&self, blocks: &mut [[u8; 16]]) {
        fn run<C: BlockEncrypt>(c: &C, blocks: &mut [[u8; 16]]) {
            for b in blocks {
                c.encrypt_block(GenericArray::from_mut_slice(&mut b[..]));
            }
        }
        match &self.0 {
            RustCryptoCtr::Aes128(c) => run(c, blocks),
            RustCryptoCtr::Aes256(c) => run(c, blocks),
        }
    }
}

/// AES-CM on RustCrypto.
// The variants differ in size but are built once per master key and never
// moved on the packet path.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(crate) enum RustCryptoCtr {
    Aes128(aes::Aes128Enc),
    Aes256(aes::Aes256Enc),
}

impl RustCryptoCtr {
    pub(crate) fn new(key: &[u8]) -> Option<Self> {
        match key.len() {
            16 => aes::Aes128Enc::new_from_slice(key).ok().map(Self::Aes128),
            32 => aes::Aes256Enc::new_from_slice(key).ok().map(Self::Aes256),
            _ => None,
        }
    }
}

impl CtrCipher for RustCryptoCtr {
    #[inline]
    fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]) {
        match self {
            Self::Aes128(c) => ctr_xor(c, iv, data),
            Self::Aes256(c) => ctr_xor(c, iv, data),
        }
    }
}

/// Counter mode over a borrowed key schedule: counter blocks are encrypted
/// eight at a time (the AES-NI pipeline width) into a stack buffer and
/// XORed into `data`. SRTP counters never carry out of the low 16 bits (at
/// most 2^16 blocks per packet); the full 128-bit increment matches.
#[inline]
fn ctr_xor<C: BlockEncrypt + BlockSizeUser<BlockSize = U16>>(
    c: &C,
    iv: &[u8; 16],
    data: &mut [u8],
) {
    const PAR: usize = 8;
    let base = u128::from_be_bytes(*iv);
    let mut ks = [GenericArray::<u8, U16>::default(); PAR];
    let mut counter = base;
    for chunk in data.chunks_mut(16 * PAR) {
        let n = chunk.len().div_ceil(16);
        for b in ks.iter_mut().take(n) {
            b.copy_from_slice(&counter.to_be_bytes());
            counter = counter.wrapping_add(1);
        }
        c.encrypt_blocks(&mut ks[..n]);
        let mut blocks = chunk.chunks_exact_mut(16);
        for (d, k) in (&mut blocks).zip(ks.iter()) {
            // One 128-bit XOR per block.
            let mut x = [0u8; 16];
            x.copy_from_slice(d);
            let mut y = [0u8; 16];
            y.copy_from_slice(k);
            d.copy_from_slice(&(u128::from_ne_bytes(x) ^ u128::from_ne_bytes(y)).to_ne_bytes());
        }
        let rest = blocks.into_remainder();
        if let Some(k) = ks.get(n - 1).filter(|_| !rest.is_empty()) {
            for (x, y) in rest.iter_mut().zip(k.iter()) {
                *x ^= y;
            }
        }
    }
}

/// HMAC-SHA1 (RFC 2104) on RustCrypto's SHA-1 compression function (SHA-NI
/// when the CPU has it), with the inner and outer chaining states computed
/// once per key: a tag costs the data's blocks plus one outer block, with no
/// hasher state copied or buffered per packet.
#[derive(Clone)]
pub(crate) struct RustCryptoHmac {
    inner: [u32; 5],
    outer: [u32; 5],
}

const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];

#[inline]
fn sha1_blocks(state: &mut [u32; 5], data: &[u8]) {
    for block in data.chunks_exact(64) {
        sha1::compress(state, std::slice::from_ref(GenericArray::from_slice(block)));
    }
}

impl RustCryptoHmac {
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            use sha1::Digest;
            k[..20].copy_from_slice(&sha1::Sha1::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let mut pad = [0u8; 64];
        let mut inner = SHA1_IV;
        for (p, b) in pad.iter_mut().zip(k) {
            *p = b ^ 0x36;
        }
        sha1_blocks(&mut inner, &pad);
        let mut outer = SHA1_IV;
        for (p, b) in pad.iter_mut().zip(k) {
            *p = b ^ 0x5c;
        }
        sha1_blocks(&mut outer, &pad);
        zeroize::Zeroize::zeroize(&mut k);
        zeroize::Zeroize::zeroize(&mut pad);
        RustCryptoHmac { inner, outer }
    }
}

impl Sha1Mac for RustCryptoHmac {
    #[inline]
    fn tag(&self, a: &[u8], b: &[u8]) -> [u8; 20] {
        debug_assert!(b.len() <= 64);
        let b = &b[..b.len().min(64)];
        let mut st = self.inner;
        let full = a.len() / 64 * 64;
        sha1_blocks(&mut st, &a[..full]);
        // Tail of `a`, then `b`, then padding and the bit length, in at most
        // three blocks.
        let mut tail = [0u8; 192];
        let ta = a.len() - full;
        tail[..ta].copy_from_slice(&a[full..]);
        tail[ta..ta + b.len()].copy_from_slice(b);
        let t = ta + b.len();
        tail[t] = 0x80;
        let blocks = (t + 1 + 8).div_ceil(64);
        let bits = ((64 + a.len() + b.len()) as u64) * 8;
        tail[blocks * 64 - 8..blocks * 64].copy_from_slice(&bits.to_be_bytes());
        sha1_blocks(&mut st, &tail[..blocks * 64]);
        let mut block = [0u8; 64];
        for (i, w) in st.iter().enumerate() {
            block[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
        }
        block[20] = 0x80;
        block[56..].copy_from_slice(&((64u64 + 20) * 8).to_be_bytes());
        let mut st = self.outer;
        sha1_blocks(&mut st, &block);
        let mut out = [0u8; 20];
        for (i, w) in st.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

/// AES-GCM on ring.
pub(crate) struct RingGcm(ring::aead::LessSafeKey);

impl RingGcm {
    pub(crate) fn new(key: &[u8]) -> Option<Self> {
        let alg = match key.len() {
            16 => &ring::aead::AES_128_GCM,
            32 => &ring::aead::AES_256_GCM,
            _ => return None,
        };
        let k = ring::aead::UnboundKey::new(alg, key).ok()?;
        Some(RingGcm(ring::aead::LessSafeKey::new(k)))
    }
}

impl Aead for RingGcm {
    #[inline]
    fn seal(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; 16] {
        let n = ring::aead::Nonce::assume_unique_for_key(*nonce);
        // Sealing fails only for inputs over 2^36 octets.
        match self
            .0
            .seal_in_place_separate_tag(n, ring::aead::Aad::from(aad), data)
        {
            Ok(tag) => {
                let mut t = [0u8; 16];
                t.copy_from_slice(tag.as_ref());
                t
            }
            Err(_) => [0u8; 16],
        }
    }

    #[inline]
    fn open(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8], tag: &[u8; 16]) -> bool {
        let n = ring::aead::Nonce::assume_unique_for_key(*nonce);
        let t = ring::aead::Tag::from(*tag);
        self.0
            .open_in_place_separate_tag(n, ring::aead::Aad::from(aad), t, data, 0..)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::Mac;

    #[test]
    fn hmac_matches_the_reference_for_every_length() {
        // RFC 2202 test case 2.
        let h = RustCryptoHmac::new(b"Jefe");
        let t = h.tag(b"what do ya want ", b"for nothing?");
        assert_eq!(hex::encode(t), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
        for key_len in [20usize, 64, 80] {
            let key: Vec<u8> = (0..key_len as u8).collect();
            let h = RustCryptoHmac::new(&key);
            for len in 0..200usize {
                let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                for split in [0, len / 2, len] {
                    let mut r = <hmac::Hmac<sha1::Sha1> as Mac>::new_from_slice(&key).unwrap();
                    r.update(&data);
                    let want: [u8; 20] = r.finalize().into_bytes().into();
                    let (x, y) = data.split_at(split);
                    if y.len() <= 64 {
                        assert_eq!(h.tag(x, y), want, "key {key_len} len {len} split {split}");
                    }
                }
            }
        }
    }
}
