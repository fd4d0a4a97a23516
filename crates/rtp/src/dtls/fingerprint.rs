//! Certificate fingerprints as carried in SDP `a=fingerprint` (RFC 8122 §5).

use std::fmt;

use ring::digest;

/// Hash function of a certificate fingerprint. RFC 8122 lists more names;
/// these are the ones accepted for DTLS-SRTP here (MD5, MD2 and SHA-224 are
/// not: map them to "unsupported" when converting from SDP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// `sha-1`
    Sha1,
    /// `sha-256`
    Sha256,
    /// `sha-384`
    Sha384,
    /// `sha-512`
    Sha512,
}

impl HashAlgorithm {
    /// The SDP name (`sha-256`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "sha-1",
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
        }
    }

    /// The algorithm named `name` (case-insensitive), if supported.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Sha1, Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// Digest length in octets.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    fn ring(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fingerprint could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FingerprintError {
    /// The text is not `<hash-func> <hex>`.
    #[error("fingerprint must be `<hash-func> XX:XX:...`, got {0} fields")]
    Fields(usize),
    /// Unsupported or unknown hash function name.
    #[error("unsupported fingerprint hash function `{0}`")]
    UnsupportedHash(String),
    /// A byte of the hex part is not two hex digits.
    #[error("fingerprint byte {index} is not two hex digits")]
    BadHex {
        /// Zero-based position of the byte.
        index: usize,
    },
    /// The digest has the wrong length for its hash function.
    #[error("{algorithm} fingerprint must have {expected} octets, has {actual}")]
    Length {
        /// The hash function.
        algorithm: HashAlgorithm,
        /// Octets expected.
        expected: usize,
        /// Octets given.
        actual: usize,
    },
}

/// A certificate fingerprint: hash function and digest of the DER
/// certificate. `Display` and [`parse`](Self::parse) use the SDP form
/// `sha-256 AB:CD:...` (upper-case hex).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The hash function.
    pub algorithm: HashAlgorithm,
    /// The digest.
    pub value: Vec<u8>,
}

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of_certificate(algorithm: HashAlgorithm, der: &[u8]) -> Self {
        Fingerprint {
            algorithm,
            value: digest::digest(algorithm.ring(), der).as_ref().to_vec(),
        }
    }

    /// Parses the SDP attribute value `sha-256 AB:CD:...`.
    pub fn parse(text: &str) -> Result<Self, FingerprintError> {
        let fields: Vec<&str> = text.split_ascii_whitespace().collect();
        let [name, hex] = fields[..] else {
            return Err(FingerprintError::Fields(fields.len()));
        };
        let algorithm = HashAlgorithm::from_name(name)
            .ok_or_else(|| FingerprintError::UnsupportedHash(name.to_ascii_lowercase()))?;
        let value = hex
            .split(':')
            .enumerate()
            .map(|(index, b)| {
                if b.len() == 2 {
                    u8::from_str_radix(b, 16).map_err(|_| FingerprintError::BadHex { index })
                } else {
                    Err(FingerprintError::BadHex { index })
                }
            })
            .collect::<Result<Vec<u8>, _>>()?;
        Self::new(algorithm, value)
    }

    /// A fingerprint from its parts, checking the digest length.
    pub fn new(algorithm: HashAlgorithm, value: Vec<u8>) -> Result<Self, FingerprintError> {
        if value.len() != algorithm.digest_len() {
            return Err(FingerprintError::Length {
                algorithm,
                expected: algorithm.digest_len(),
                actual: value.len(),
            });
        }
        Ok(Fingerprint { algorithm, value })
    }

    /// True when `der` hashes to this fingerprint.
    pub fn matches(&self, der: &[u8]) -> bool {
        digest::digest(self.algorithm.ring(), der).as_ref() == self.value.as_slice()
    }

    /// The digest as colon-separated upper-case hex (`AB:CD:...`).
    pub fn hex(&self) -> String {
        let mut s = String::with_capacity(self.value.len() * 3);
        for (i, b) in self.value.iter().enumerate() {
            if i > 0 {
                s.push(':');
            }
            s.push_str(&format!("{b:02X}"));
        }
        s
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.algorithm, self.hex())
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = FingerprintError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let f = Fingerprint::of_certificate(HashAlgorithm::Sha256, b"cert");
        let text = f.to_string();
        assert!(text.starts_with("sha-256 "));
        assert_eq!(Fingerprint::parse(&text).unwrap(), f);
        assert_eq!(
            Fingerprint::parse(&text.to_lowercase().replace("sha-256", "SHA-256")).unwrap(),
            f
        );
        assert!(f.matches(b"cert"));
        assert!(!f.matches(b"other"));
        assert_eq!(
            Fingerprint::parse("sha-256"),
            Err(FingerprintError::Fields(1))
        );
        assert_eq!(
            Fingerprint::parse("md5 AB:CD"),
            Err(FingerprintError::UnsupportedHash("md5".into()))
        );
        assert_eq!(
            Fingerprint::parse("sha-1 AB:CD"),
            Err(FingerprintError::Length {
                algorithm: HashAlgorithm::Sha1,
                expected: 20,
                actual: 2
            })
        );
        assert_eq!(
            Fingerprint::parse("sha-1 AB:XZ"),
            Err(FingerprintError::BadHex { index: 1 })
        );
        assert_eq!(
            Fingerprint::parse("sha-1 AB:C"),
            Err(FingerprintError::BadHex { index: 1 })
        );
        for a in [
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            let f = Fingerprint::of_certificate(a, b"x");
            assert_eq!(f.value.len(), a.digest_len());
            assert_eq!(Fingerprint::parse(&f.to_string()).unwrap(), f);
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,120}") {
            let _ = Fingerprint::parse(&s);
        }
    }
}
