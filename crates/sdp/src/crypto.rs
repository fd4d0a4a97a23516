//! Media security attributes: `a=crypto` (SDES, RFC 4568) and
//! `a=fingerprint` (RFC 8122). Key material is redacted in `Debug`.

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use crate::secret::Secret;

/// Standard alphabet; writes padding, accepts key strings with or without it.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// An SRTP crypto suite as named in `a=crypto` (RFC 4568 §6.2, RFC 6188, RFC 7714 §12).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SrtpSuite {
    /// `AES_CM_128_HMAC_SHA1_80`
    AesCm128HmacSha1_80,
    /// `AES_CM_128_HMAC_SHA1_32`
    AesCm128HmacSha1_32,
    /// `AES_192_CM_HMAC_SHA1_80`
    Aes192CmHmacSha1_80,
    /// `AES_192_CM_HMAC_SHA1_32`
    Aes192CmHmacSha1_32,
    /// `AES_256_CM_HMAC_SHA1_80`
    Aes256CmHmacSha1_80,
    /// `AES_256_CM_HMAC_SHA1_32`
    Aes256CmHmacSha1_32,
    /// `AEAD_AES_128_GCM`
    AeadAes128Gcm,
    /// `AEAD_AES_256_GCM`
    AeadAes256Gcm,
    /// Any other suite name (e.g. `F8_128_HMAC_SHA1_80`), kept as written.
    Other(String),
}

impl SrtpSuite {
    const KNOWN: [SrtpSuite; 8] = [
        SrtpSuite::AesCm128HmacSha1_80,
        SrtpSuite::AesCm128HmacSha1_32,
        SrtpSuite::Aes192CmHmacSha1_80,
        SrtpSuite::Aes192CmHmacSha1_32,
        SrtpSuite::Aes256CmHmacSha1_80,
        SrtpSuite::Aes256CmHmacSha1_32,
        SrtpSuite::AeadAes128Gcm,
        SrtpSuite::AeadAes256Gcm,
    ];

    /// The suite for a name (case-insensitive, as RFC 4568 §4 allows).
    pub fn from_name(name: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| Self::Other(name.to_owned()))
    }

    /// The suite name as written in `a=crypto`.
    pub fn name(&self) -> &str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Self::Aes192CmHmacSha1_80 => "AES_192_CM_HMAC_SHA1_80",
            Self::Aes192CmHmacSha1_32 => "AES_192_CM_HMAC_SHA1_32",
            Self::Aes256CmHmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
            Self::Aes256CmHmacSha1_32 => "AES_256_CM_HMAC_SHA1_32",
            Self::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Self::AeadAes256Gcm => "AEAD_AES_256_GCM",
            Self::Other(s) => s,
        }
    }

    /// Master key length in bytes, for known suites.
    pub fn master_key_len(&self) -> Option<usize> {
        match self {
            Self::AesCm128HmacSha1_80 | Self::AesCm128HmacSha1_32 | Self::AeadAes128Gcm => Some(16),
            Self::Aes192CmHmacSha1_80 | Self::Aes192CmHmacSha1_32 => Some(24),
            Self::Aes256CmHmacSha1_80 | Self::Aes256CmHmacSha1_32 | Self::AeadAes256Gcm => Some(32),
            Self::Other(_) => None,
        }
    }

    /// Master salt length in bytes, for known suites (14 for AES-CM, 12 for GCM).
    pub fn master_salt_len(&self) -> Option<usize> {
        match self {
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => Some(12),
            Self::Other(_) => None,
            _ => Some(14),
        }
    }

    /// Length of the inline `key||salt` in bytes, for known suites.
    pub fn key_salt_len(&self) -> Option<usize> {
        Some(self.master_key_len()? + self.master_salt_len()?)
    }
}

impl fmt::Display for SrtpSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Master key lifetime of an inline key (RFC 4568 §6.1): `2^31` or a number of packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifetime {
    /// `2^n` packets.
    PowerOfTwo(u8),
    /// A packet count written in decimal.
    Packets(u64),
}

impl Lifetime {
    fn parse(s: &str) -> Option<Self> {
        if let Some(exp) = s.strip_prefix("2^") {
            let n: u8 = exp.parse().ok()?;
            (n <= 64).then_some(Self::PowerOfTwo(n))
        } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok().map(Self::Packets)
        } else {
            None
        }
    }
}

impl fmt::Display for Lifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PowerOfTwo(n) => write!(f, "2^{n}"),
            Self::Packets(n) => write!(f, "{n}"),
        }
    }
}

/// Master key identifier of an inline key: `<value>:<length in bytes>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mki {
    /// The MKI value.
    pub value: u64,
    /// Length of the MKI field in SRTP packets, bytes (1..=128).
    pub length: u8,
}

impl Mki {
    fn parse(s: &str) -> Option<Self> {
        let (v, l) = s.split_once(':')?;
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(v) || !all_digits(l) {
            return None;
        }
        let length: u8 = l.parse().ok()?;
        if !(1..=128).contains(&length) {
            return None;
        }
        Some(Self {
            value: v.parse().ok()?,
            length,
        })
    }
}

/// One `inline:<key||salt>[|<lifetime>][|<mki>:<length>]` key parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyParam {
    /// Master key followed by master salt, decoded from base64; redacted in `Debug`.
    pub key_salt: Secret<Vec<u8>>,
    /// Optional lifetime.
    pub lifetime: Option<Lifetime>,
    /// Optional MKI.
    pub mki: Option<Mki>,
}

impl KeyParam {
    /// An inline key without lifetime or MKI.
    pub fn inline(key_salt: Vec<u8>) -> Self {
        Self {
            key_salt: Secret::new(key_salt),
            lifetime: None,
            mki: None,
        }
    }

    fn parse(s: &str) -> Option<Self> {
        let (method, rest) = s.split_once(':')?;
        if !method.eq_ignore_ascii_case("inline") {
            return None;
        }
        let mut parts = rest.split('|');
        let key = parts.next()?;
        if key.is_empty() {
            return None;
        }
        let key_salt = B64.decode(key).ok()?;
        let mut lifetime = None;
        let mut mki = None;
        for p in parts {
            if p.contains(':') {
                if mki.is_some() {
                    return None;
                }
                mki = Some(Mki::parse(p)?);
            } else {
                if lifetime.is_some() || mki.is_some() {
                    return None;
                }
                lifetime = Some(Lifetime::parse(p)?);
            }
        }
        Some(Self {
            key_salt: Secret::new(key_salt),
            lifetime,
            mki,
        })
    }
}

impl fmt::Display for KeyParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "inline:{}", B64.encode(self.key_salt.expose()))?;
        if let Some(l) = self.lifetime {
            write!(f, "|{l}")?;
        }
        if let Some(m) = self.mki {
            write!(f, "|{}:{}", m.value, m.length)?;
        }
        Ok(())
    }
}

/// `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]` (RFC 4568 §9.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crypto {
    /// Tag, unique per media section; the answer echoes the chosen one.
    pub tag: u32,
    /// Crypto suite.
    pub suite: SrtpSuite,
    /// One or more inline keys (several only with MKIs).
    pub keys: Vec<KeyParam>,
    /// Session parameters (`KDR=`, `UNENCRYPTED_SRTP`, `FEC_ORDER=`, `WSH=`, ...), as written.
    pub session_params: Vec<String>,
}

impl Crypto {
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let mut it = value.split_ascii_whitespace();
        let tag_text = it.next()?;
        if tag_text.len() > 9 || !tag_text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let tag = tag_text.parse().ok()?;
        let suite_name = it.next()?;
        let suite = SrtpSuite::from_name(suite_name);
        let keys = it
            .next()?
            .split(';')
            .map(KeyParam::parse)
            .collect::<Option<Vec<_>>>()?;
        let session_params = it.map(str::to_owned).collect();
        Some(Self {
            tag,
            suite,
            keys,
            session_params,
        })
    }
}

impl fmt::Display for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.tag, self.suite)?;
        for (i, k) in self.keys.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{k}")?;
        }
        for p in &self.session_params {
            write!(f, " {p}")?;
        }
        Ok(())
    }
}

/// Hash function of `a=fingerprint` (RFC 8122 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HashFunction {
    /// `sha-1`
    Sha1,
    /// `sha-224`
    Sha224,
    /// `sha-256`
    Sha256,
    /// `sha-384`
    Sha384,
    /// `sha-512`
    Sha512,
    /// `md5`
    Md5,
    /// `md2`
    Md2,
    /// Any other name, lower-cased.
    Other(String),
}

impl HashFunction {
    /// The function for a name (case-insensitive).
    pub fn from_name(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "sha-1" => Self::Sha1,
            "sha-224" => Self::Sha224,
            "sha-256" => Self::Sha256,
            "sha-384" => Self::Sha384,
            "sha-512" => Self::Sha512,
            "md5" => Self::Md5,
            "md2" => Self::Md2,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The name as written.
    pub fn name(&self) -> &str {
        match self {
            Self::Sha1 => "sha-1",
            Self::Sha224 => "sha-224",
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
            Self::Md5 => "md5",
            Self::Md2 => "md2",
            Self::Other(s) => s,
        }
    }
}

/// `a=fingerprint:<hash-func> <XX:XX:...>` (RFC 8122 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// Hash function.
    pub hash: HashFunction,
    /// The certificate digest.
    pub value: Vec<u8>,
}

impl Fingerprint {
    /// Parses `<hash-func> <hex bytes separated by colons>`.
    pub fn parse(value: &str) -> Option<Self> {
        let mut it = value.split_ascii_whitespace();
        let hash_name = it.next()?;
        let hash = HashFunction::from_name(hash_name);
        let hex = it.next()?;
        if it.next().is_some() {
            return None;
        }
        let value = hex
            .split(':')
            .map(|byte| {
                if byte.len() == 2 && byte.bytes().all(|b| b.is_ascii_hexdigit()) {
                    u8::from_str_radix(byte, 16).ok()
                } else {
                    None
                }
            })
            .collect::<Option<Vec<u8>>>()?;
        Some(Self { hash, value })
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.hash.name())?;
        for (i, b) in self.value.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4568 §4: the example key.
    const RFC_KEY: &str = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

    #[test]
    fn rfc4568_section4_example() {
        let c = Crypto::parse(&format!(
            "1 AES_CM_128_HMAC_SHA1_80 inline:{RFC_KEY}|2^20|1:32"
        ))
        .unwrap();
        assert_eq!(c.tag, 1);
        assert_eq!(c.suite, SrtpSuite::AesCm128HmacSha1_80);
        assert_eq!(c.keys.len(), 1);
        assert_eq!(c.keys[0].key_salt.expose().len(), 30);
        assert_eq!(c.keys[0].lifetime, Some(Lifetime::PowerOfTwo(20)));
        assert_eq!(
            c.keys[0].mki,
            Some(Mki {
                value: 1,
                length: 32
            })
        );
        assert_eq!(
            c.to_string(),
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{RFC_KEY}|2^20|1:32")
        );
    }

    #[test]
    fn rfc4568_f8_two_keys_and_session_param() {
        let text = "2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP";
        let c = Crypto::parse(text).unwrap();
        assert_eq!(c.suite, SrtpSuite::Other("F8_128_HMAC_SHA1_80".into()));
        assert_eq!(c.keys.len(), 2);
        assert_eq!(c.keys[1].mki.map(|m| m.value), Some(2));
        assert_eq!(c.session_params, vec!["FEC_ORDER=FEC_SRTP".to_owned()]);
        assert_eq!(c.to_string(), text);
    }

    #[test]
    fn key_debug_is_redacted() {
        let c = Crypto::parse(&format!("1 AES_CM_128_HMAC_SHA1_80 inline:{RFC_KEY}")).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(RFC_KEY), "{dbg}");
        assert!(dbg.contains("redacted"));
    }

    #[test]
    fn unpadded_base64_is_accepted_and_written_padded() {
        // 44 bytes for AEAD_AES_256_GCM: 59 base64 characters without padding.
        let key = vec![7u8; 44];
        let padded = B64.encode(&key);
        assert!(padded.ends_with('='));
        let c = Crypto::parse(&format!(
            "3 AEAD_AES_256_GCM inline:{}",
            padded.trim_end_matches('=')
        ))
        .unwrap();
        assert_eq!(c.keys[0].key_salt.expose(), &key);
        assert!(c.to_string().ends_with(&padded));
    }

    #[test]
    fn malformed_crypto_is_rejected() {
        for v in [
            "",
            "1",
            "1 AES_CM_128_HMAC_SHA1_80",
            "x AES_CM_128_HMAC_SHA1_80 inline:YWJj",
            "1 AES_CM_128_HMAC_SHA1_80 uri:YWJj",
            "1 AES_CM_128_HMAC_SHA1_80 inline:!!!",
            "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|2^99",
            "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|1:0",
            "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|1:4|2^20",
            "1234567890 AES_CM_128_HMAC_SHA1_80 inline:YWJj",
        ] {
            assert!(Crypto::parse(v).is_none(), "{v}");
        }
    }

    #[test]
    fn suite_lengths() {
        assert_eq!(SrtpSuite::AeadAes256Gcm.key_salt_len(), Some(44));
        assert_eq!(SrtpSuite::AeadAes128Gcm.key_salt_len(), Some(28));
        assert_eq!(SrtpSuite::AesCm128HmacSha1_32.key_salt_len(), Some(30));
        assert_eq!(
            SrtpSuite::from_name("aes_cm_128_hmac_sha1_80"),
            SrtpSuite::AesCm128HmacSha1_80
        );
    }

    #[test]
    fn fingerprint_roundtrip() {
        let text = "sha-1 72:B4:4A:A8:B7:62:FC:5A:81:3F:5C:1B:E9:23:7D:F1:1D:D8:28:A2";
        let fp = Fingerprint::parse(text).unwrap();
        assert_eq!(fp.hash, HashFunction::Sha1);
        assert_eq!(fp.value.len(), 20);
        assert_eq!(fp.to_string(), text);
        let lower = Fingerprint::parse("SHA-256 ab:cd").unwrap();
        assert_eq!(lower.to_string(), "sha-256 AB:CD");
        assert!(Fingerprint::parse("sha-256 abc").is_none());
        assert!(Fingerprint::parse("sha-256").is_none());
        assert!(Fingerprint::parse("sha-256 +1:00").is_none());
    }
}
