//! The server side: issuing challenges with stateless nonces and verifying
//! credentials (RFC 7616 §3.3, §3.4, §5.4–§5.5).
//!
//! A nonce is `base64url(timestamp ‖ random ‖ HMAC-SHA-256(key, realm ‖
//! timestamp ‖ random)[..16])`: the server needs no state to know that it
//! issued a nonce and when. State is kept only for the nonce counts seen per
//! nonce (replay protection), and only while the nonce lives.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand_core::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::algorithm::{Algorithm, HashAlgorithm, Qop};
use crate::challenge::DigestChallenge;
use crate::client::Request;
use crate::compute::{response_from_ha1, userhash, DigestInput};
use crate::credentials::{parse_credentials, DigestCredentials};
use crate::error::{ParseError, VerifyError};
use crate::secret::Secret;

const NONCE_DOMAIN: &[u8] = b"heron-sip-auth nonce v1\0";
const NONCE_RAW_LEN: usize = 8 + 8 + 16;
/// How far in the future a nonce timestamp may lie (clock steps between
/// issuing and verifying on the same server), in seconds.
const MAX_FUTURE_SKEW: u64 = 60;
/// How many nonce counts below the highest seen are still accepted once.
const NC_WINDOW: u32 = 64;

/// Where the server finds users' secrets.
pub trait CredentialStore {
    /// The secret of `username` in `realm`, if the user exists.
    fn secret(&self, username: &str, realm: &str) -> Option<Secret>;

    /// The username whose H(username:realm) with `hash` is `userhash` (lowercase
    /// hex), for clients that send `userhash=true`. The default finds none.
    fn resolve_userhash(&self, userhash: &str, realm: &str, hash: HashAlgorithm) -> Option<String> {
        let _ = (userhash, realm, hash);
        None
    }
}

/// A fixed table of users and secrets, for tests and small services.
#[derive(Debug, Clone, Default)]
pub struct StaticCredentials {
    users: HashMap<String, Secret>,
}

impl StaticCredentials {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add or replace a user.
    pub fn insert(&mut self, username: impl Into<String>, secret: impl Into<Secret>) {
        self.users.insert(username.into(), secret.into());
    }

    /// With a user added.
    pub fn with(mut self, username: impl Into<String>, secret: impl Into<Secret>) -> Self {
        self.insert(username, secret);
        self
    }
}

impl CredentialStore for StaticCredentials {
    fn secret(&self, username: &str, _realm: &str) -> Option<Secret> {
        self.users.get(username).cloned()
    }

    fn resolve_userhash(&self, hash_hex: &str, realm: &str, hash: HashAlgorithm) -> Option<String> {
        self.users
            .keys()
            .find(|u| {
                bool::from(
                    userhash(hash, u, realm)
                        .as_bytes()
                        .ct_eq(hash_hex.as_bytes()),
                )
            })
            .cloned()
    }
}

/// What the server offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The realm.
    pub realm: String,
    /// Algorithms offered, most preferred first; one challenge each
    /// (RFC 8760 §2.3).
    pub algorithms: Vec<Algorithm>,
    /// qop options offered; empty for RFC 2069-style challenges (no replay
    /// protection beyond the nonce lifetime then).
    pub qop: Vec<Qop>,
    /// Seconds a nonce is accepted after it was issued.
    pub nonce_lifetime: u64,
    /// Ask clients to send `userhash=true`.
    pub userhash: bool,
    /// An opaque value clients must echo.
    pub opaque: Option<String>,
    /// Upper bound on nonces whose counts are tracked; past it the oldest
    /// half of the nonces are declared stale early.
    pub max_tracked_nonces: usize,
}

impl ServerConfig {
    /// SHA-256 then MD5, qop `auth`, nonces live 5 minutes.
    pub fn new(realm: impl Into<String>) -> Self {
        ServerConfig {
            realm: realm.into(),
            algorithms: vec![Algorithm::SHA_256, Algorithm::MD5],
            qop: vec![Qop::Auth],
            nonce_lifetime: 300,
            userhash: false,
            opaque: None,
            max_tracked_nonces: 65_536,
        }
    }
}

/// A verified request: who it was and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The username (resolved from the userhash if one was sent).
    pub username: String,
    /// The algorithm used.
    pub algorithm: Algorithm,
    /// The qop used.
    pub qop: Option<Qop>,
}

#[derive(Debug, Clone, Copy)]
struct NcWindow {
    issued: u64,
    max: u32,
    bits: u64,
}

impl NcWindow {
    fn accept(&mut self, nc: u32) -> bool {
        if nc == 0 {
            return false;
        }
        if nc > self.max {
            let shift = nc - self.max;
            self.bits = if shift >= 64 { 0 } else { self.bits << shift };
            self.bits |= 1;
            self.max = nc;
            return true;
        }
        let d = self.max - nc;
        if d >= NC_WINDOW {
            return false;
        }
        let bit = 1u64 << d;
        if self.bits & bit != 0 {
            return false;
        }
        self.bits |= bit;
        true
    }
}

/// Issues Digest challenges and verifies the answers.
///
/// Time is an input: `now` is in seconds on any clock that does not go
/// backwards across the server's life (Unix time is typical).
pub struct DigestServer {
    config: ServerConfig,
    key: Zeroizing<Vec<u8>>,
    seen: HashMap<String, NcWindow>,
    /// Nonces issued at or before this time are stale (raised when the
    /// tracking table overflows).
    floor: Option<u64>,
}

impl core::fmt::Debug for DigestServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DigestServer")
            .field("config", &self.config)
            .field("key", &"<redacted>")
            .field("tracked_nonces", &self.seen.len())
            .finish()
    }
}

impl DigestServer {
    /// A server with this configuration and nonce key (at least 16 random
    /// bytes, kept secret; servers sharing a key accept each other's nonces).
    pub fn new(config: ServerConfig, key: &[u8]) -> Self {
        DigestServer {
            config,
            key: Zeroizing::new(key.to_vec()),
            seen: HashMap::new(),
            floor: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Number of nonces whose counts are being tracked.
    pub fn tracked_nonces(&self) -> usize {
        self.seen.len()
    }

    /// A fresh nonce issued at `now`.
    pub fn nonce<R: RngCore + ?Sized>(&self, now: u64, rng: &mut R) -> String {
        let mut raw = [0u8; NONCE_RAW_LEN];
        raw[..8].copy_from_slice(&now.to_be_bytes());
        rng.fill_bytes(&mut raw[8..16]);
        let tag = self.tag(&raw[..16]);
        raw[16..].copy_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The challenges for a 401/407: one per configured algorithm, sharing one
    /// nonce, most preferred first. `stale` marks them as answers to a stale
    /// nonce.
    pub fn challenges<R: RngCore + ?Sized>(
        &self,
        now: u64,
        stale: bool,
        rng: &mut R,
    ) -> Vec<DigestChallenge> {
        let nonce = self.nonce(now, rng);
        self.config
            .algorithms
            .iter()
            .map(|a| DigestChallenge {
                realm: self.config.realm.clone(),
                nonce: nonce.clone(),
                opaque: self.config.opaque.clone(),
                domain: None,
                stale,
                algorithm: *a,
                algorithm_explicit: true,
                qop: (!self.config.qop.is_empty()).then(|| self.config.qop.clone()),
                charset_utf8: false,
                userhash: self.config.userhash,
            })
            .collect()
    }

    /// [`Self::challenges`] as header values, one per header line.
    pub fn challenge_values<R: RngCore + ?Sized>(
        &self,
        now: u64,
        stale: bool,
        rng: &mut R,
    ) -> Vec<String> {
        self.challenges(now, stale, rng)
            .iter()
            .map(DigestChallenge::to_header_value)
            .collect()
    }

    /// Verify one Authorization / Proxy-Authorization header value for
    /// `request` at time `now`.
    ///
    /// On [`VerifyError::Stale`] answer with [`Self::challenges`] and
    /// `stale = true`; on other errors with a plain challenge (or 403).
    pub fn verify<S: CredentialStore + ?Sized>(
        &mut self,
        request: &Request<'_>,
        value: &str,
        now: u64,
        store: &S,
    ) -> Result<Verified, VerifyError> {
        let creds = parse_credentials(value)?;
        self.verify_credentials(request, &creds, now, store)
    }

    /// Verify parsed credentials, see [`Self::verify`].
    pub fn verify_credentials<S: CredentialStore + ?Sized>(
        &mut self,
        request: &Request<'_>,
        creds: &DigestCredentials,
        now: u64,
        store: &S,
    ) -> Result<Verified, VerifyError> {
        let cfg = &self.config;
        if creds.realm != cfg.realm {
            return Err(VerifyError::WrongRealm(creds.realm.clone()));
        }
        if !cfg.algorithms.contains(&creds.algorithm) {
            return Err(VerifyError::AlgorithmNotOffered(
                creds.algorithm.name().to_owned(),
            ));
        }
        match creds.qop {
            Some(q) if !cfg.qop.contains(&q) => {
                return Err(VerifyError::QopNotOffered(q.name().to_owned()))
            }
            None if !cfg.qop.is_empty() => {
                return Err(VerifyError::QopNotOffered("(none)".to_owned()))
            }
            _ => {}
        }
        if let Some(o) = &cfg.opaque {
            if creds.opaque.as_deref() != Some(o.as_str()) {
                return Err(VerifyError::OpaqueMismatch);
            }
        }
        if creds.uri != request.uri {
            return Err(VerifyError::UriMismatch {
                uri: creds.uri.clone(),
            });
        }
        let issued = self.open_nonce(&creds.nonce)?;
        if issued > now.saturating_add(MAX_FUTURE_SKEW) {
            return Err(VerifyError::InvalidNonce);
        }
        if creds.algorithm.session && creds.cnonce.is_none() {
            return Err(ParseError::MissingParameter {
                what: "credentials",
                name: "cnonce",
            }
            .into());
        }
        let hash = creds.algorithm.hash;
        let username = if creds.userhash {
            let h = creds.username.to_ascii_lowercase();
            store
                .resolve_userhash(&h, &cfg.realm, hash)
                .ok_or(VerifyError::UnknownUser)?
        } else {
            creds.username.clone()
        };
        let secret = store
            .secret(&username, &cfg.realm)
            .ok_or(VerifyError::UnknownUser)?;
        let input = DigestInput {
            algorithm: creds.algorithm,
            username: &username,
            realm: &cfg.realm,
            nonce: &creds.nonce,
            cnonce: creds.cnonce.as_deref(),
            nc: creds.nc,
            qop: creds.qop,
            method: request.method,
            uri: request.uri,
            body: request.body,
        };
        let ha1 = crate::compute::ha1(&input, &secret).ok_or(VerifyError::UnknownUser)?;
        let expected = response_from_ha1(&input, &ha1);
        let got = creds.response.to_ascii_lowercase();
        if !bool::from(expected.as_bytes().ct_eq(got.as_bytes())) {
            return Err(VerifyError::BadResponse);
        }
        let expired = now >= issued.saturating_add(cfg.nonce_lifetime)
            || self.floor.is_some_and(|f| issued <= f);
        if expired {
            self.seen.remove(&creds.nonce);
            return Err(VerifyError::Stale);
        }
        if let Some(nc) = creds.nc {
            self.check_nc(&creds.nonce, issued, nc, now)?;
        }
        Ok(Verified {
            username,
            algorithm: creds.algorithm,
            qop: creds.qop,
        })
    }

    /// Drop the counts of nonces that have expired at `now`.
    pub fn prune(&mut self, now: u64) {
        let life = self.config.nonce_lifetime;
        self.seen.retain(|_, w| now < w.issued.saturating_add(life));
    }

    fn check_nc(&mut self, nonce: &str, issued: u64, nc: u32, now: u64) -> Result<(), VerifyError> {
        if let Some(w) = self.seen.get_mut(nonce) {
            return if w.accept(nc) {
                Ok(())
            } else {
                Err(VerifyError::Replay(nc))
            };
        }
        if self.seen.len() >= self.config.max_tracked_nonces {
            self.prune(now);
        }
        if self.seen.len() >= self.config.max_tracked_nonces.max(1) {
            // Evict the older half at once (amortised cost stays low under a
            // flood of fresh nonces) and declare everything issued up to the
            // cut stale, so evicted counts can never be replayed.
            let mut times: Vec<u64> = self.seen.values().map(|w| w.issued).collect();
            let mid = (times.len() - 1) / 2;
            let (_, cut, _) = times.select_nth_unstable(mid);
            let cut = *cut;
            self.seen.retain(|_, w| w.issued > cut);
            self.floor = Some(self.floor.map_or(cut, |f| f.max(cut)));
            if issued <= cut {
                return Err(VerifyError::Stale);
            }
        }
        let mut w = NcWindow {
            issued,
            max: 0,
            bits: 0,
        };
        if !w.accept(nc) {
            return Err(VerifyError::Replay(nc));
        }
        self.seen.insert(nonce.to_owned(), w);
        Ok(())
    }

    fn tag(&self, data: &[u8]) -> [u8; 16] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(NONCE_DOMAIN);
        mac.update(self.config.realm.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    /// Check a nonce's MAC and return its timestamp.
    fn open_nonce(&self, nonce: &str) -> Result<u64, VerifyError> {
        if nonce.len() != 43 {
            return Err(VerifyError::InvalidNonce);
        }
        let mut raw = [0u8; NONCE_RAW_LEN];
        let n = URL_SAFE_NO_PAD
            .decode_slice(nonce.as_bytes(), &mut raw)
            .map_err(|_| VerifyError::InvalidNonce)?;
        if n != NONCE_RAW_LEN {
            return Err(VerifyError::InvalidNonce);
        }
        let tag = self.tag(&raw[..16]);
        if !bool::from(tag.ct_eq(&raw[16..])) {
            return Err(VerifyError::InvalidNonce);
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&raw[..8]);
        Ok(u64::from_be_bytes(ts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nc_window() {
        let mut w = NcWindow {
            issued: 0,
            max: 0,
            bits: 0,
        };
        assert!(!w.accept(0));
        assert!(w.accept(1));
        assert!(!w.accept(1));
        assert!(w.accept(3));
        assert!(w.accept(2), "late but unseen is fine");
        assert!(!w.accept(2));
        assert!(w.accept(100));
        assert!(!w.accept(36), "too old for the window");
        assert!(w.accept(37));
        assert!(!w.accept(37));
        assert!(w.accept(u32::MAX));
        assert!(!w.accept(u32::MAX));
    }

    #[test]
    fn nonce_is_authenticated_and_dated() {
        let s = DigestServer::new(ServerConfig::new("r"), b"0123456789abcdef");
        let mut rng = rand_core::OsRng;
        let n = s.nonce(1_700_000_000, &mut rng);
        assert_eq!(n.len(), 43);
        assert_eq!(s.open_nonce(&n), Ok(1_700_000_000));
        // Another key or another realm does not accept it.
        let other = DigestServer::new(ServerConfig::new("r"), b"another key 1234");
        assert_eq!(other.open_nonce(&n), Err(VerifyError::InvalidNonce));
        let other = DigestServer::new(ServerConfig::new("r2"), b"0123456789abcdef");
        assert_eq!(other.open_nonce(&n), Err(VerifyError::InvalidNonce));
        // Flipping any character breaks it.
        let mut bytes = n.clone().into_bytes();
        bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            s.open_nonce(&String::from_utf8(bytes).unwrap()),
            Err(VerifyError::InvalidNonce)
        );
        assert_eq!(s.open_nonce("short"), Err(VerifyError::InvalidNonce));
        assert_eq!(
            s.open_nonce(&"!".repeat(43)),
            Err(VerifyError::InvalidNonce)
        );
        assert!(!format!("{s:?}").contains("0123456789abcdef"));
    }
}
