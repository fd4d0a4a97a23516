//! SRTP key derivation (RFC 3711 §4.3, AES-CM PRF; RFC 6188 for AES-256;
//! RFC 7714 §11 for the 96-bit GCM salt), key derivation rate 0.

use super::backend::AesBlock;

/// Key derivation labels (RFC 3711 §4.3.1/§4.3.2).
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
pub(crate) enum Label {
    RtpEncryption = 0,
    RtpAuth = 1,
    RtpSalt = 2,
    RtcpEncryption = 3,
    RtcpAuth = 4,
    RtcpSalt = 5,
}

/// The AES-CM PRF keyed with one master key; the key schedule is expanded
/// once for all six labels.
pub(crate) struct Kdf {
    aes: AesBlock,
    x: [u8; 16],
}

impl Kdf {
    /// A 12-octet (GCM) master salt is placed in the upper 96 bits of the
    /// 112-bit salt field, followed by two zero octets, as libsrtp does.
    pub(crate) fn new(master_key: &[u8], master_salt: &[u8]) -> Option<Self> {
        let mut x = [0u8; 16];
        let n = master_salt.len().min(14);
        x[..n].copy_from_slice(&master_salt[..n]);
        Some(Kdf {
            aes: AesBlock::new(master_key)?,
            x,
        })
    }

    /// Derives `out.len()` (at most 96) octets for `label`.
    pub(crate) fn derive(&self, label: Label, out: &mut [u8]) {
        let mut x = self.x;
        // key_id = label || index DIV kdr (48 bits, zero), right-aligned in 112 bits.
        x[7] ^= label as u8;
        let nblocks = out.len().div_ceil(16).min(6);
        let mut blocks = [[0u8; 16]; 6];
        for (i, b) in blocks.iter_mut().enumerate().take(nblocks) {
            *b = x;
            b[14..16].copy_from_slice(&(i as u16).to_be_bytes());
        }
        self.aes.encrypt_blocks(&mut blocks[..nblocks]);
        for (i, chunk) in out.chunks_mut(16).take(nblocks).enumerate() {
            chunk.copy_from_slice(&blocks[i][..chunk.len()]);
        }
        zeroize::Zeroize::zeroize(&mut blocks);
        zeroize::Zeroize::zeroize(&mut x);
    }
}

impl Drop for Kdf {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.x);
    }
}
