//! The crypto primitives SRTP needs, behind small internal traits so a
//! backend can be swapped after measuring. Today: RustCrypto `aes` for AES
//! counter mode (the counter loop is ours, so the key schedule is borrowed
//! rather than cloned per packet), `hmac` + `sha1` for HMAC-SHA1, and `ring` for
//! AES-GCM (see DESIGN.md, "Crypto").

use aes::cipher::consts::U16;
use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncrypt, BlockSizeUser, KeyInit};
use hmac::{Hmac, Mac as _};

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
pub(crate) fn aes_encrypt_blocks(key: &[u8], blocks: &mut [[u8; 16]]) {
    fn run<C: KeyInit + BlockEncrypt + BlockSizeUser<BlockSize = U16>>(
        key: &[u8],
        blocks: &mut [[u8; 16]],
    ) {
        // Lengths are checked by the caller.
        let Ok(c) = C::new_from_slice(key) else {
            return;
        };
        for b in blocks {
            c.encrypt_block(GenericArray::from_mut_slice(&mut b[..]));
        }
    }
    match key.len() {
        16 => run::<aes::Aes128Enc>(key, blocks),
        32 => run::<aes::Aes256Enc>(key, blocks),
        _ => {}
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
        for (d, k) in chunk.chunks_mut(16).zip(ks.iter()) {
            for (x, y) in d.iter_mut().zip(k.iter()) {
                *x ^= y;
            }
        }
    }
}

/// HMAC-SHA1 on RustCrypto; the keyed state is cloned per packet.
#[derive(Clone)]
pub(crate) struct RustCryptoHmac(Hmac<sha1::Sha1>);

impl RustCryptoHmac {
    pub(crate) fn new(key: &[u8]) -> Self {
        // HMAC accepts keys of any length.
        RustCryptoHmac(
            <Hmac<sha1::Sha1> as hmac::Mac>::new_from_slice(key)
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length")),
        )
    }
}

impl Sha1Mac for RustCryptoHmac {
    #[inline]
    fn tag(&self, a: &[u8], b: &[u8]) -> [u8; 20] {
        let mut m = self.0.clone();
        m.update(a);
        m.update(b);
        m.finalize().into_bytes().into()
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
