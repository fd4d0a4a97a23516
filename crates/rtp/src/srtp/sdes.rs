//! SDES key parameters (RFC 4568 §6.1): the `inline:` key-param of an
//! `a=crypto` attribute, with the optional lifetime (`|2^20`) and MKI
//! (`|1:4`) that some PBXs send.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;

use super::{MasterKey, SrtpProfile, MAX_MKI_LEN};

/// An SDES key-param could not be parsed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdesError {
    /// The key method is not `inline:`.
    #[error("key method must be \"inline:\" (found at offset 0)")]
    NotInline,
    /// The key||salt is not valid base64.
    #[error("key||salt at offset 7 is not valid base64")]
    Base64,
    /// The decoded key||salt does not have the profile's length.
    #[error("key||salt is {got} octets, {profile} needs {want}")]
    KeyLength {
        /// The profile.
        profile: SrtpProfile,
        /// Octets decoded.
        got: usize,
        /// Octets needed.
        want: usize,
    },
    /// The lifetime field is malformed.
    #[error("malformed lifetime {0:?}")]
    Lifetime(String),
    /// The MKI field is malformed or out of range.
    #[error("malformed MKI {0:?}")]
    Mki(String),
    /// More than two `|`-separated fields follow the key.
    #[error("unexpected field {0:?} after lifetime and MKI")]
    ExtraField(String),
}

fn lifetime(s: &str) -> Result<u64, SdesError> {
    let bad = || SdesError::Lifetime(s.to_owned());
    if let Some(exp) = s.strip_prefix("2^") {
        let e: u32 = exp.parse().map_err(|_| bad())?;
        if e > 63 {
            return Err(bad());
        }
        Ok(1u64 << e)
    } else {
        s.parse().map_err(|_| bad())
    }
}

fn mki(s: &str) -> Result<Vec<u8>, SdesError> {
    let bad = || SdesError::Mki(s.to_owned());
    let (value, len) = s.split_once(':').ok_or_else(bad)?;
    let value: u128 = value.parse().map_err(|_| bad())?;
    let len: usize = len.parse().map_err(|_| bad())?;
    if len == 0 || len > MAX_MKI_LEN || (len < 16 && value >> (8 * len) != 0) {
        return Err(bad());
    }
    Ok(value.to_be_bytes()[16 - len..].to_vec())
}

impl MasterKey {
    /// Parses one SDES key-param such as
    /// `inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4`.
    pub fn from_sdes(profile: SrtpProfile, key_param: &str) -> Result<Self, SdesError> {
        let info = key_param
            .strip_prefix("inline:")
            .ok_or(SdesError::NotInline)?;
        let mut fields = info.split('|');
        let b64 = fields.next().unwrap_or("");
        let raw = zeroize::Zeroizing::new(
            STANDARD
                .decode(b64)
                .or_else(|_| STANDARD_NO_PAD.decode(b64))
                .map_err(|_| SdesError::Base64)?,
        );
        let want = profile.key_len() + profile.salt_len();
        if raw.len() != want {
            return Err(SdesError::KeyLength {
                profile,
                got: raw.len(),
                want,
            });
        }
        let mut key =
            MasterKey::from_key_salt(profile, &raw).map_err(|_| SdesError::KeyLength {
                profile,
                got: raw.len(),
                want,
            })?;
        let mut seen_mki = false;
        let mut seen_lifetime = false;
        for f in fields {
            if f.contains(':') && !seen_mki {
                key = key
                    .with_mki(&mki(f)?)
                    .map_err(|_| SdesError::Mki(f.to_owned()))?;
                seen_mki = true;
            } else if !f.contains(':') && !seen_lifetime && !seen_mki {
                key = key.with_lifetime(lifetime(f)?);
                seen_lifetime = true;
            } else {
                return Err(SdesError::ExtraField(f.to_owned()));
            }
        }
        Ok(key)
    }

    /// Formats the key as an SDES key-param (`inline:<base64>` with the
    /// lifetime as a power of two when it is one, and the MKI).
    pub fn to_sdes(&self) -> String {
        let mut raw = zeroize::Zeroizing::new(Vec::with_capacity(46));
        raw.extend_from_slice(self.key());
        raw.extend_from_slice(self.salt());
        let mut s = format!("inline:{}", STANDARD.encode(&raw[..]));
        if let Some(l) = self.lifetime() {
            if l.is_power_of_two() {
                s.push_str(&format!("|2^{}", l.trailing_zeros()));
            } else {
                s.push_str(&format!("|{l}"));
            }
        }
        let m = self.mki();
        if !m.is_empty() {
            let v = m.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
            s.push_str(&format!("|{v}:{}", m.len()));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4568_example_with_lifetime_and_mki() {
        // RFC 4568 §10.1's key with our lifetime and MKI.
        let p = SrtpProfile::Aes128CmHmacSha1_80;
        let k = MasterKey::from_sdes(
            p,
            "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4",
        )
        .unwrap();
        assert_eq!(k.mki(), &[0, 0, 0, 1]);
        assert_eq!(k.lifetime(), Some(1 << 20));
        assert_eq!(
            k.to_sdes(),
            "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4"
        );
        let only_mki =
            MasterKey::from_sdes(p, "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1:4").unwrap();
        assert_eq!(only_mki.lifetime(), None);
        assert_eq!(only_mki.mki(), &[0, 0, 0, 1]);
        let plain =
            MasterKey::from_sdes(p, "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz").unwrap();
        assert!(plain.mki().is_empty());
    }

    #[test]
    fn malformed_key_params_are_rejected() {
        let p = SrtpProfile::Aes128CmHmacSha1_80;
        let k = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
        assert_eq!(
            MasterKey::from_sdes(p, k).unwrap_err(),
            SdesError::NotInline
        );
        assert_eq!(
            MasterKey::from_sdes(p, "inline:!!!").unwrap_err(),
            SdesError::Base64
        );
        assert!(matches!(
            MasterKey::from_sdes(SrtpProfile::AeadAes256Gcm, &format!("inline:{k}")),
            Err(SdesError::KeyLength {
                got: 30,
                want: 44,
                ..
            })
        ));
        assert!(matches!(
            MasterKey::from_sdes(p, &format!("inline:{k}|2^x")),
            Err(SdesError::Lifetime(_))
        ));
        assert!(matches!(
            MasterKey::from_sdes(p, &format!("inline:{k}|300:1")),
            Err(SdesError::Mki(_))
        ));
        assert!(matches!(
            MasterKey::from_sdes(p, &format!("inline:{k}|1:4|2^20")),
            Err(SdesError::ExtraField(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,80}") {
            let _ = MasterKey::from_sdes(SrtpProfile::Aes128CmHmacSha1_80, &s);
            let _ = MasterKey::from_sdes(SrtpProfile::Aes128CmHmacSha1_80, &format!("inline:{s}"));
        }
    }
}
