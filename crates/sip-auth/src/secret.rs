//! Secrets: passwords and pre-computed H(A1), zeroized on drop and redacted in
//! `Debug`. Neither type implements `Display`.

use core::fmt;

use zeroize::Zeroizing;

use crate::algorithm::HashAlgorithm;

/// A password. Zeroized on drop; `Debug` prints `Password(<redacted>)`.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wrap a password.
    pub fn new(password: impl Into<String>) -> Self {
        Password(Zeroizing::new(password.into()))
    }

    /// The password itself. Only for computing digests; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Password::new(s)
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Password::new(s)
    }
}

/// What a user's secret is stored as.
#[derive(Clone)]
pub enum Secret {
    /// The plain password: works with every algorithm.
    Password(Password),
    /// A pre-computed `H(username:realm:password)` as lowercase hex, as some
    /// provisioning systems and servers store it. Only usable with the hash
    /// function it was computed with, and only for its realm.
    Ha1 {
        /// The hash function the value was computed with.
        hash: HashAlgorithm,
        /// Lowercase hex of H(A1).
        hex: Zeroizing<String>,
    },
}

impl Secret {
    /// A secret from a password.
    pub fn password(password: impl Into<String>) -> Self {
        Secret::Password(Password::new(password))
    }

    /// A secret from a pre-computed H(A1) in hex (any case).
    pub fn ha1(hash: HashAlgorithm, hex: impl Into<String>) -> Self {
        let mut hex = hex.into();
        hex.make_ascii_lowercase();
        Secret::Ha1 {
            hash,
            hex: Zeroizing::new(hex),
        }
    }

    /// Whether this secret can answer with `hash`.
    pub fn supports(&self, hash: HashAlgorithm) -> bool {
        match self {
            Secret::Password(_) => true,
            Secret::Ha1 { hash: h, .. } => *h == hash,
        }
    }

    /// H(A1) = H(username:realm:password) in hex, or the stored value.
    /// Returns `None` when the stored H(A1) is for another hash function.
    pub(crate) fn ha1_hex(
        &self,
        hash: HashAlgorithm,
        username: &str,
        realm: &str,
    ) -> Option<Zeroizing<String>> {
        match self {
            Secret::Password(p) => Some(Zeroizing::new(hash.hex_joined(&[
                username.as_bytes(),
                realm.as_bytes(),
                p.expose().as_bytes(),
            ]))),
            Secret::Ha1 { hash: h, hex } if *h == hash => Some(hex.clone()),
            Secret::Ha1 { .. } => None,
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Secret::Password(<redacted>)"),
            Secret::Ha1 { hash, .. } => write!(f, "Secret::Ha1({hash:?}, <redacted>)"),
        }
    }
}

impl From<Password> for Secret {
    fn from(p: Password) -> Self {
        Secret::Password(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let p = Password::new("hunter2-secret");
        assert!(!format!("{p:?}").contains("hunter2"));
        let s = Secret::password("hunter2-secret");
        assert!(!format!("{s:?}").contains("hunter2"));
        let h = Secret::ha1(HashAlgorithm::Md5, "939e7578ed9e3c518a452acee763bce9");
        let d = format!("{h:?}");
        assert!(!d.contains("939e"), "{d}");
        assert!(d.contains("Md5"));
    }

    #[test]
    fn ha1_from_password_matches_stored() {
        let s = Secret::password("Circle Of Life");
        let got = s
            .ha1_hex(HashAlgorithm::Md5, "Mufasa", "testrealm@host.com")
            .unwrap();
        assert_eq!(got.as_str(), "939e7578ed9e3c518a452acee763bce9");
        let stored = Secret::ha1(HashAlgorithm::Md5, "939E7578ED9E3C518A452ACEE763BCE9");
        assert_eq!(
            stored
                .ha1_hex(HashAlgorithm::Md5, "x", "y")
                .unwrap()
                .as_str(),
            "939e7578ed9e3c518a452acee763bce9"
        );
        assert!(stored.ha1_hex(HashAlgorithm::Sha256, "x", "y").is_none());
        assert!(!stored.supports(HashAlgorithm::Sha256));
    }
}
