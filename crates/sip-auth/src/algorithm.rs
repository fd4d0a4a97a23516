//! Digest algorithms (RFC 7616 §3.4.1 and its IANA registry, RFC 8760 §2.1)
//! and the hash functions behind them.

use core::fmt;
use core::str::FromStr;

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

/// The hash function of a digest algorithm.
///
/// Ordered from weakest to strongest, so `max()` picks the strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlgorithm {
    /// MD5 (RFC 1321): the RFC 2617 default, still what most PBXs use.
    Md5,
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SHA-512/256 (FIPS 180-4 §5.3.6.2): SHA-512 with its own initial hash
    /// values, truncated to 256 bits. Not the same as truncating SHA-512.
    Sha512_256,
}

impl HashAlgorithm {
    /// Length of the lowercase hex digest in characters.
    pub fn hex_len(self) -> usize {
        match self {
            HashAlgorithm::Md5 => 32,
            HashAlgorithm::Sha256 | HashAlgorithm::Sha512_256 => 64,
        }
    }

    /// Hash the concatenation of `parts` and return lowercase hex.
    pub fn hex(self, parts: &[&[u8]]) -> String {
        let mut h = Hasher::new(self);
        for p in parts {
            h.update(p);
        }
        h.finish_hex()
    }

    /// Hash `parts` joined with `:` and return lowercase hex, the shape of every
    /// digest computation (`H(a:b:c)`).
    pub fn hex_joined(self, parts: &[&[u8]]) -> String {
        let mut h = Hasher::new(self);
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                h.update(b":");
            }
            h.update(p);
        }
        h.finish_hex()
    }
}

/// An incremental hasher over one of the supported hash functions.
pub(crate) enum Hasher {
    Md5(Md5),
    Sha256(Sha256),
    Sha512_256(Sha512_256),
}

impl Hasher {
    pub(crate) fn new(alg: HashAlgorithm) -> Self {
        match alg {
            HashAlgorithm::Md5 => Hasher::Md5(Md5::new()),
            HashAlgorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            HashAlgorithm::Sha512_256 => Hasher::Sha512_256(Sha512_256::new()),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512_256(h) => h.update(data),
        }
    }

    pub(crate) fn finish_hex(self) -> String {
        match self {
            Hasher::Md5(h) => to_hex(&h.finalize()),
            Hasher::Sha256(h) => to_hex(&h.finalize()),
            Hasher::Sha512_256(h) => to_hex(&h.finalize()),
        }
    }
}

/// Lowercase hex of `bytes` (RFC 8760 §2.2).
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    s
}

/// A digest algorithm: a hash function, optionally in its `-sess` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Algorithm {
    /// The hash function.
    pub hash: HashAlgorithm,
    /// The `-sess` variant: H(A1) is re-keyed with the nonce and cnonce.
    pub session: bool,
}

impl Algorithm {
    /// `MD5`, the default when a challenge names no algorithm.
    pub const MD5: Algorithm = Algorithm::new(HashAlgorithm::Md5, false);
    /// `MD5-sess`.
    pub const MD5_SESS: Algorithm = Algorithm::new(HashAlgorithm::Md5, true);
    /// `SHA-256`.
    pub const SHA_256: Algorithm = Algorithm::new(HashAlgorithm::Sha256, false);
    /// `SHA-256-sess`.
    pub const SHA_256_SESS: Algorithm = Algorithm::new(HashAlgorithm::Sha256, true);
    /// `SHA-512-256`.
    pub const SHA_512_256: Algorithm = Algorithm::new(HashAlgorithm::Sha512_256, false);
    /// `SHA-512-256-sess`.
    pub const SHA_512_256_SESS: Algorithm = Algorithm::new(HashAlgorithm::Sha512_256, true);

    /// Every supported algorithm, strongest first.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::SHA_512_256,
        Algorithm::SHA_512_256_SESS,
        Algorithm::SHA_256,
        Algorithm::SHA_256_SESS,
        Algorithm::MD5,
        Algorithm::MD5_SESS,
    ];

    /// An algorithm from its parts.
    pub const fn new(hash: HashAlgorithm, session: bool) -> Self {
        Algorithm { hash, session }
    }

    /// The registered name, as written in the `algorithm` parameter.
    pub fn name(self) -> &'static str {
        match (self.hash, self.session) {
            (HashAlgorithm::Md5, false) => "MD5",
            (HashAlgorithm::Md5, true) => "MD5-sess",
            (HashAlgorithm::Sha256, false) => "SHA-256",
            (HashAlgorithm::Sha256, true) => "SHA-256-sess",
            (HashAlgorithm::Sha512_256, false) => "SHA-512-256",
            (HashAlgorithm::Sha512_256, true) => "SHA-512-256-sess",
        }
    }
}

impl Default for Algorithm {
    fn default() -> Self {
        Algorithm::MD5
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An `algorithm` value this crate does not implement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported digest algorithm `{0}`")]
pub struct UnsupportedAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnsupportedAlgorithm;

    /// Names compare case-insensitively (Asterisk writes `md5`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnsupportedAlgorithm(s.to_owned()))
    }
}

/// Quality of protection (RFC 7616 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`: authentication of method and URI.
    Auth,
    /// `auth-int`: also covers the message body.
    AuthInt,
}

impl Qop {
    /// The token as written in headers.
    pub fn name(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Qop> {
        if s.eq_ignore_ascii_case("auth") {
            Some(Qop::Auth)
        } else if s.eq_ignore_ascii_case("auth-int") {
            Some(Qop::AuthInt)
        } else {
            None
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Sha512;

    #[test]
    fn names_round_trip_case_insensitively() {
        for a in Algorithm::ALL {
            assert_eq!(a.name().parse::<Algorithm>(), Ok(a));
            assert_eq!(a.name().to_ascii_lowercase().parse::<Algorithm>(), Ok(a));
        }
        assert!("SHA-1".parse::<Algorithm>().is_err());
        assert!("".parse::<Algorithm>().is_err());
    }

    #[test]
    fn known_answers() {
        // FIPS 180-4 / RFC 1321 test strings.
        assert_eq!(
            HashAlgorithm::Md5.hex(&[b"abc"]),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            HashAlgorithm::Sha256.hex(&[b"abc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // NIST example value for SHA-512/256("abc").
        assert_eq!(
            HashAlgorithm::Sha512_256.hex(&[b"abc"]),
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
        );
    }

    #[test]
    fn sha512_256_is_not_truncated_sha512() {
        let own = HashAlgorithm::Sha512_256.hex(&[b"abc"]);
        let truncated = to_hex(&Sha512::digest(b"abc")[..32]);
        assert_eq!(own.len(), 64);
        assert_eq!(truncated.len(), 64);
        assert_ne!(own, truncated, "SHA-512/256 must use its own IV");
        // And the truncated SHA-512 of "abc" is the well-known SHA-512 prefix.
        assert!(truncated.starts_with("ddaf35a193617aba"));
    }

    #[test]
    fn joined_inserts_colons() {
        assert_eq!(
            HashAlgorithm::Md5.hex_joined(&[b"a", b"b", b"c"]),
            HashAlgorithm::Md5.hex(&[b"a:b:c"])
        );
    }

    #[test]
    fn strength_order() {
        assert!(HashAlgorithm::Sha512_256 > HashAlgorithm::Sha256);
        assert!(HashAlgorithm::Sha256 > HashAlgorithm::Md5);
    }
}
