//! SRTP and SRTCP (RFC 3711) with the AES-CM/HMAC-SHA1 profiles (RFC 3711,
//! RFC 6188 for AES-256) and AEAD AES-GCM (RFC 7714).
//!
//! An [`SrtpContext`] holds the session keys derived from one or more master
//! keys (selected by MKI), per-SSRC rollover counters and replay windows, and
//! protects or unprotects packets in place in the caller's buffer without
//! allocating. A call normally has two contexts: one keyed with the local
//! master key for sending and one with the peer's for receiving.

mod backend;
mod context;
mod kdf;
mod replay;
mod sdes;
#[cfg(test)]
mod tests;

pub use context::{SrtpContext, SrtpStats};
pub use sdes::SdesError;

use thiserror::Error;
use zeroize::Zeroize;

use crate::error::PacketError;

/// An SRTP protection profile / SDES crypto suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum SrtpProfile {
    /// AES_CM_128_HMAC_SHA1_80 (RFC 4568; DTLS-SRTP 0x0001).
    Aes128CmHmacSha1_80,
    /// AES_CM_128_HMAC_SHA1_32 (RFC 4568; DTLS-SRTP 0x0002).
    Aes128CmHmacSha1_32,
    /// AEAD_AES_128_GCM (RFC 7714; DTLS-SRTP 0x0007).
    AeadAes128Gcm,
    /// AEAD_AES_256_GCM (RFC 7714; DTLS-SRTP 0x0008).
    AeadAes256Gcm,
    /// AES_256_CM_HMAC_SHA1_80 (RFC 6188).
    Aes256CmHmacSha1_80,
    /// AES_256_CM_HMAC_SHA1_32 (RFC 6188).
    Aes256CmHmacSha1_32,
}

impl SrtpProfile {
    /// Every profile, strongest first as offered by DTLS peers.
    pub const ALL: [SrtpProfile; 6] = [
        SrtpProfile::AeadAes256Gcm,
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::Aes256CmHmacSha1_80,
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::Aes256CmHmacSha1_32,
        SrtpProfile::Aes128CmHmacSha1_32,
    ];

    /// The SDES crypto-suite name (RFC 4568 §6.2, RFC 6188, RFC 7714 §14.1).
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128CmHmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::Aes128CmHmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Self::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Self::AeadAes256Gcm => "AEAD_AES_256_GCM",
            Self::Aes256CmHmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
            Self::Aes256CmHmacSha1_32 => "AES_256_CM_HMAC_SHA1_32",
        }
    }

    /// Looks a profile up by its SDES name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The DTLS-SRTP protection profile identifier (RFC 5764 §4.1.2, RFC 7714 §14.2).
    pub fn dtls_id(self) -> Option<u16> {
        match self {
            Self::Aes128CmHmacSha1_80 => Some(0x0001),
            Self::Aes128CmHmacSha1_32 => Some(0x0002),
            Self::AeadAes128Gcm => Some(0x0007),
            Self::AeadAes256Gcm => Some(0x0008),
            Self::Aes256CmHmacSha1_80 | Self::Aes256CmHmacSha1_32 => None,
        }
    }

    /// The profile with DTLS-SRTP identifier `id`.
    pub fn from_dtls_id(id: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.dtls_id() == Some(id))
    }

    /// True for the AES-GCM profiles.
    pub fn is_aead(self) -> bool {
        matches!(self, Self::AeadAes128Gcm | Self::AeadAes256Gcm)
    }

    /// Master (and session) key length in octets.
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128CmHmacSha1_80 | Self::Aes128CmHmacSha1_32 | Self::AeadAes128Gcm => 16,
            _ => 32,
        }
    }

    /// Master (and session) salt length in octets: 14, or 12 for GCM.
    pub fn salt_len(self) -> usize {
        if self.is_aead() {
            12
        } else {
            14
        }
    }

    /// Length of the SRTP authentication (or AEAD) tag.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Self::Aes128CmHmacSha1_32 | Self::Aes256CmHmacSha1_32 => 4,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
            _ => 10,
        }
    }

    /// Length of the SRTCP authentication (or AEAD) tag (80 bits for every
    /// HMAC profile, RFC 4568 §6.2).
    pub fn rtcp_tag_len(self) -> usize {
        if self.is_aead() {
            16
        } else {
            10
        }
    }
}

impl std::fmt::Display for SrtpProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Longest MKI accepted, in octets.
pub const MAX_MKI_LEN: usize = 16;

/// One SRTP master key and salt, with its optional MKI and lifetime.
/// Zeroised on drop; `Debug` never shows the secret.
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; 32],
    key_len: u8,
    salt: [u8; 14],
    salt_len: u8,
    mki: [u8; MAX_MKI_LEN],
    mki_len: u8,
    lifetime: Option<u64>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("key", &"<redacted>")
            .field("key_len", &self.key_len)
            .field("salt_len", &self.salt_len)
            .field("mki", &self.mki())
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.key.zeroize();
        self.salt.zeroize();
    }
}

impl MasterKey {
    /// A master key and salt (16 or 32 octets; 14 or 12 octets).
    pub fn new(key: &[u8], salt: &[u8]) -> Result<Self, SrtpError> {
        if key.len() != 16 && key.len() != 32 {
            return Err(SrtpError::InvalidKey {
                reason: "master key must be 16 or 32 octets",
            });
        }
        if salt.len() != 14 && salt.len() != 12 {
            return Err(SrtpError::InvalidKey {
                reason: "master salt must be 14 or 12 octets",
            });
        }
        let mut k = MasterKey {
            key: [0; 32],
            key_len: key.len() as u8,
            salt: [0; 14],
            salt_len: salt.len() as u8,
            mki: [0; MAX_MKI_LEN],
            mki_len: 0,
            lifetime: None,
        };
        k.key[..key.len()].copy_from_slice(key);
        k.salt[..salt.len()].copy_from_slice(salt);
        Ok(k)
    }

    /// Splits the concatenated key||salt of SDES `inline:` or DTLS-SRTP
    /// keying material for `profile`.
    pub fn from_key_salt(profile: SrtpProfile, key_and_salt: &[u8]) -> Result<Self, SrtpError> {
        if key_and_salt.len() != profile.key_len() + profile.salt_len() {
            return Err(SrtpError::InvalidKey {
                reason: "key||salt length does not match the profile",
            });
        }
        let (k, s) = key_and_salt.split_at(profile.key_len());
        Self::new(k, s)
    }

    /// Sets the MKI value carried in every packet (1..=16 octets), as in the
    /// SDES `|1:4` suffix (value 1 in 4 octets).
    pub fn with_mki(mut self, mki: &[u8]) -> Result<Self, SrtpError> {
        if mki.is_empty() || mki.len() > MAX_MKI_LEN {
            return Err(SrtpError::InvalidKey {
                reason: "MKI must be 1..=16 octets",
            });
        }
        self.mki[..mki.len()].copy_from_slice(mki);
        self.mki_len = mki.len() as u8;
        Ok(self)
    }

    /// Limits the key to `packets` SRTP packets (and as many SRTCP packets),
    /// as in the SDES lifetime `|2^20`.
    pub fn with_lifetime(mut self, packets: u64) -> Self {
        self.lifetime = Some(packets);
        self
    }

    /// The MKI value (empty without MKI).
    pub fn mki(&self) -> &[u8] {
        &self.mki[..usize::from(self.mki_len)]
    }

    pub(crate) fn key(&self) -> &[u8] {
        &self.key[..usize::from(self.key_len)]
    }

    pub(crate) fn salt(&self) -> &[u8] {
        &self.salt[..usize::from(self.salt_len)]
    }

    pub(crate) fn lifetime(&self) -> Option<u64> {
        self.lifetime
    }
}

/// Options of an SRTP context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrtpConfig {
    /// Replay window size in packets (rounded up to a multiple of 64).
    pub replay_window: usize,
    /// Encrypt RTP payloads (false: SDES `UNENCRYPTED_SRTP`).
    pub encrypt_rtp: bool,
    /// Encrypt RTCP (false: SDES `UNENCRYPTED_SRTCP`, E flag 0).
    pub encrypt_rtcp: bool,
    /// SSRCs tracked per direction; the oldest is forgotten past this.
    pub max_streams: usize,
}

impl Default for SrtpConfig {
    fn default() -> Self {
        SrtpConfig {
            replay_window: 128,
            encrypt_rtp: true,
            encrypt_rtcp: true,
            max_streams: 16,
        }
    }
}

/// An SRTP or SRTCP packet was rejected.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SrtpError {
    /// The RTP/RTCP header itself is malformed.
    #[error("malformed packet: {0}")]
    Packet(#[from] PacketError),
    /// The packet is shorter than header plus SRTP trailer.
    #[error("packet of {len} octets is too short for SRTP (needs at least {needed})")]
    TooShort {
        /// Octets received.
        len: usize,
        /// Minimum octets.
        needed: usize,
    },
    /// The output buffer has no room for the SRTP trailer.
    #[error("buffer too small: need {needed} octets, have {capacity}")]
    BufferTooSmall {
        /// Octets needed.
        needed: usize,
        /// Octets available.
        capacity: usize,
    },
    /// The authentication tag did not verify.
    #[error("authentication failed for SSRC {ssrc:08x}, index {index}")]
    AuthenticationFailed {
        /// SSRC of the packet.
        ssrc: u32,
        /// The packet index tried.
        index: u64,
    },
    /// The packet index was already received.
    #[error("replayed packet for SSRC {ssrc:08x}, index {index}")]
    Replayed {
        /// SSRC of the packet.
        ssrc: u32,
        /// The packet index.
        index: u64,
    },
    /// The packet index is behind the replay window.
    #[error("packet for SSRC {ssrc:08x}, index {index} is older than the replay window")]
    TooOld {
        /// SSRC of the packet.
        ssrc: u32,
        /// The packet index.
        index: u64,
    },
    /// No master key has the packet's MKI.
    #[error("unknown MKI")]
    UnknownMki,
    /// Every master key has reached its packet lifetime: re-key.
    #[error("master key lifetime exhausted")]
    KeyExhausted,
    /// Key material does not fit the profile.
    #[error("invalid key material: {reason}")]
    InvalidKey {
        /// What is wrong.
        reason: &'static str,
    },
}
