//! DTLS-SRTP keying (RFC 5763, RFC 5764): the DTLS 1.2 handshake on the
//! media port, the `use_srtp` profile negotiation, the certificate check
//! against the SDP `a=fingerprint`, and the export of the SRTP master keys
//! ("EXTRACTOR-dtls_srtp") into a [`MediaSession`](crate::session::MediaSession).
//!
//! # How a call uses it
//!
//! 1. Once per agent process (or per call), make a certificate with
//!    [`DtlsIdentity::generate`] and put `a=fingerprint:` +
//!    [`DtlsIdentity::fingerprint`] in every SDP, with `a=setup:actpass` in
//!    offers and the [`Setup::answer`] to the offer's `a=setup` in answers.
//! 2. Create the media session with
//!    [`MediaSecurity::Pending`](crate::session::MediaSecurity::Pending) and
//!    a [`DtlsSrtp`] beside it with [`DtlsSrtp::new`].
//! 3. When the negotiation is done (our answer sent, or the peer's answer
//!    received) call [`DtlsSrtp::set_remote`] with our [`DtlsRole`] and the
//!    peer's fingerprints ([`RemoteDtls`]; heron-sdp's `DtlsParams` maps
//!    field by field). The client (`active` side) sends its ClientHello.
//!    DTLS datagrams that arrive before that are kept and replayed.
//! 4. Feed every datagram of the media port through
//!    [`DtlsSrtp::handle_datagram`] instead of
//!    [`MediaSession::handle_datagram`](crate::session::MediaSession::handle_datagram):
//!    DTLS goes to the handshake (RFC 7983 first-octet rule), RTP/RTCP to
//!    the session once keyed; before that, media is held (at most
//!    [`DtlsConfig::max_held_media`] datagrams) and replayed when the keys
//!    are in, never decrypted with old keys. Send what
//!    [`DtlsSrtp::poll_transmit`] yields, run [`DtlsSrtp::handle_timeout`]
//!    at [`DtlsSrtp::poll_timeout`] (retransmissions and the handshake
//!    deadline run on the caller's clock), and read [`DtlsSrtp::poll_event`]:
//!    [`DtlsEvent::Connected`] when the keys are installed,
//!    [`DtlsEvent::Failed`] when the call's media must be given up
//!    (fingerprint mismatch, timeout, handshake error; no keys installed).
//! 5. On a re-INVITE call [`DtlsSrtp::set_remote`] again: a new fingerprint
//!    or a changed role restarts the handshake (the session's keys are
//!    removed until the new ones arrive); an unchanged one keeps the
//!    association.
//!
//! # Without rtcp-mux
//!
//! RTP and RTCP on separate ports have a DTLS-SRTP session each (RFC 5764
//! §4.1), with the same certificates, fingerprints and roles: set
//! [`SessionConfig::separate_rtcp_keys`](crate::session::SessionConfig::separate_rtcp_keys),
//! make a second association with [`DtlsSrtp::new_rtcp`] and the peer's
//! RTCP address, give it the same [`RemoteDtls`], and feed it the RTCP
//! socket's datagrams (and send what it yields from the RTCP socket:
//! [`Transmit::rtcp`](crate::session::Transmit::rtcp) is set). The RTP
//! port's keys then protect RTP only and the RTCP port's keys SRTCP; RTCP
//! waits for its own handshake, RTP does not. A failure on the RTCP port
//! is reported like any other ([`DtlsEvent::Failed`]); RTP keeps flowing
//! and the caller decides whether the call goes on without RTCP.
//!
//! A peer may still run a single handshake and send RTCP to the RTCP port
//! keyed from it (not what RFC 5764 describes): leave
//! `separate_rtcp_keys` off and feed both ports to one association.
//!
//! # Backends
//!
//! [`DtlsBackend::Dimpl`] (default) is the sans-IO `dimpl` crate with the
//! RustCrypto provider: ECDSA certificates only, and its `use_srtp` offer and
//! choice are fixed (AEAD_AES_256_GCM, AEAD_AES_128_GCM,
//! AES128_CM_HMAC_SHA1_80, in that order): a profile outside
//! [`DtlsConfig::profiles`] fails the handshake. `DtlsBackend::OpenSsl`
//! (cargo feature `dtls-openssl`, needs libssl) talks to peers with RSA
//! certificates (many SIP media servers), offers and picks the
//! [`DtlsConfig::profiles`] in their order, and adds
//! AES128_CM_HMAC_SHA1_32.
//!
//! # Checking a peer by hand
//!
//! `cargo run -p heron-rtp [--features dtls-openssl] --example dtls-probe --
//! --connect HOST:PORT | --listen HOST:PORT [--profiles LIST]
//! [--backend dimpl|openssl] [--fingerprint sha-256 XX:YY:...]` runs one
//! handshake over UDP and prints the profile, the peer's fingerprint and the
//! exported keying material, or the error (exit status 1).
//!
//! # Example
//!
//! ```
//! use std::time::Instant;
//! use heron_rtp::dtls::{DtlsConfig, DtlsEvent, DtlsIdentity, DtlsRole, DtlsSrtp, RemoteDtls};
//! use heron_rtp::session::{MediaSecurity, MediaSession, SessionConfig};
//!
//! let (a_addr, b_addr) = ("127.0.0.1:4000".parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
//! let (a_id, b_id) = (DtlsIdentity::generate().unwrap(), DtlsIdentity::generate().unwrap());
//! let now = Instant::now();
//! let session = |local, remote, seed| {
//!     let mut cfg = SessionConfig::new(local, remote);
//!     cfg.security = MediaSecurity::Pending;
//!     MediaSession::new(cfg, now, 0, Box::new(rand::rngs::mock::StepRng::new(seed, 1))).unwrap()
//! };
//! let (mut a_media, mut b_media) = (session(a_addr, b_addr, 1), session(b_addr, a_addr, 9));
//! let mut a = DtlsSrtp::new(DtlsConfig::default(), a_id.clone(), b_addr);
//! let mut b = DtlsSrtp::new(DtlsConfig::default(), b_id.clone(), a_addr);
//! // From the SDP: the answerer (a) is active, so the DTLS client.
//! a.set_remote(now, RemoteDtls::new(DtlsRole::Client, vec![b_id.fingerprint().clone()]), &mut a_media).unwrap();
//! b.set_remote(now, RemoteDtls::new(DtlsRole::Server, vec![a_id.fingerprint().clone()]), &mut b_media).unwrap();
//! let mut buf = [0u8; 1500];
//! while !(a.is_connected() && b.is_connected()) {
//!     while let Some(t) = a.poll_transmit(&mut buf) {
//!         b.handle_datagram(now, a_addr, &mut buf[..t.len], &mut b_media);
//!     }
//!     while let Some(t) = b.poll_transmit(&mut buf) {
//!         a.handle_datagram(now, b_addr, &mut buf[..t.len], &mut a_media);
//!     }
//! }
//! assert!(matches!(a.poll_event(), Some(DtlsEvent::Connected { .. })));
//! // Both sessions now have their SRTP keys: media flows.
//! a_media.send_frame(&[0xff; 160], 160).unwrap();
//! let t = a_media.poll_transmit(&mut buf).unwrap();
//! b.handle_datagram(now, a_addr, &mut buf[..t.len], &mut b_media);
//! assert_eq!(b_media.stats().packets_received, 1);
//! ```

mod backend;
mod endpoint;
mod fingerprint;
mod identity;
mod setup;
#[cfg(test)]
mod tests;
#[cfg(all(test, feature = "dtls-openssl"))]
mod tests_openssl;
#[cfg(test)]
mod tests_rtcp;

pub use endpoint::{DtlsComponent, DtlsSrtp, DtlsState, DtlsStats, RemoteUpdate, SrtpSink};
pub use fingerprint::{Fingerprint, FingerprintError, HashAlgorithm};
pub use identity::DtlsIdentity;
pub use setup::{DtlsRole, Setup};

use std::fmt;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::session::SrtpKeys;
use crate::srtp::{MasterKey, SrtpConfig, SrtpError, SrtpProfile};

/// Which DTLS implementation runs the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[non_exhaustive]
pub enum DtlsBackend {
    /// `dimpl`, sans-IO, RustCrypto; ECDSA only.
    #[default]
    Dimpl,
    /// OpenSSL (feature `dtls-openssl`); RSA peers, every profile, ordered.
    #[cfg(feature = "dtls-openssl")]
    OpenSsl,
}

impl DtlsBackend {
    /// `dimpl` or `openssl` (the latter only with the feature compiled in).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "dimpl" => Some(Self::Dimpl),
            #[cfg(feature = "dtls-openssl")]
            "openssl" => Some(Self::OpenSsl),
            _ => None,
        }
    }
}

/// DTLS-SRTP settings; the defaults suit a SIP call.
#[derive(Debug, Clone)]
pub struct DtlsConfig {
    /// The implementation.
    pub backend: DtlsBackend,
    /// The SRTP profiles accepted, most preferred first (RFC 5764 §4.1.2
    /// ids exist for AEAD_AES_256_GCM, AEAD_AES_128_GCM,
    /// AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32).
    pub profiles: Vec<SrtpProfile>,
    /// The handshake fails when it has not finished this long after
    /// [`DtlsSrtp::set_remote`].
    pub handshake_timeout: Duration,
    /// First retransmission timeout; it doubles per retransmission
    /// (RFC 6347 §4.2.4.1).
    pub initial_rto: Duration,
    /// Retransmissions of one flight before the handshake fails.
    pub max_retransmissions: usize,
    /// Largest DTLS datagram.
    pub mtu: usize,
    /// RTP/RTCP datagrams held while the keys are pending; older ones are
    /// dropped first.
    pub max_held_media: usize,
    /// Options of the SRTP contexts made from the exported keys.
    pub srtp: SrtpConfig,
}

impl Default for DtlsConfig {
    fn default() -> Self {
        DtlsConfig {
            backend: DtlsBackend::default(),
            profiles: vec![
                SrtpProfile::AeadAes256Gcm,
                SrtpProfile::AeadAes128Gcm,
                SrtpProfile::Aes128CmHmacSha1_80,
                SrtpProfile::Aes128CmHmacSha1_32,
            ],
            handshake_timeout: Duration::from_secs(20),
            initial_rto: Duration::from_secs(1),
            max_retransmissions: 5,
            mtu: 1200,
            max_held_media: 32,
            srtp: SrtpConfig::default(),
        }
    }
}

/// What the negotiated SDP says about the peer's DTLS: our role (from
/// `a=setup`) and the peer's `a=fingerprint`s (its certificate must match
/// one of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteDtls {
    /// Our role.
    pub role: DtlsRole,
    /// The peer's certificate fingerprints.
    pub fingerprints: Vec<Fingerprint>,
    /// Accept any certificate without a fingerprint. For debugging tools
    /// only (`dtls-probe` without `--fingerprint`): without the check,
    /// anyone on the path can read and forge the call's media.
    pub accept_any_certificate: bool,
}

impl RemoteDtls {
    /// Our role and the peer's fingerprints.
    pub fn new(role: DtlsRole, fingerprints: Vec<Fingerprint>) -> Self {
        RemoteDtls {
            role,
            fingerprints,
            accept_any_certificate: false,
        }
    }

    /// Our role, accepting whatever certificate the peer presents (see
    /// [`accept_any_certificate`](Self::accept_any_certificate)).
    pub fn unverified(role: DtlsRole) -> Self {
        RemoteDtls {
            role,
            fingerprints: Vec::new(),
            accept_any_certificate: true,
        }
    }
}

/// The RFC 5764 §4.1.2 / RFC 7714 §14.2 name of a DTLS-SRTP profile
/// (`SRTP_AES128_CM_HMAC_SHA1_80`, ..., `SRTP_AEAD_AES_256_GCM`); `None` for
/// profiles DTLS-SRTP has no identifier for.
pub fn profile_name(p: SrtpProfile) -> Option<&'static str> {
    match p {
        SrtpProfile::Aes128CmHmacSha1_80 => Some("SRTP_AES128_CM_HMAC_SHA1_80"),
        SrtpProfile::Aes128CmHmacSha1_32 => Some("SRTP_AES128_CM_HMAC_SHA1_32"),
        SrtpProfile::AeadAes128Gcm => Some("SRTP_AEAD_AES_128_GCM"),
        SrtpProfile::AeadAes256Gcm => Some("SRTP_AEAD_AES_256_GCM"),
        SrtpProfile::Aes256CmHmacSha1_80 | SrtpProfile::Aes256CmHmacSha1_32 => None,
    }
}

/// The profile for a DTLS-SRTP name: the RFC name, OpenSSL's
/// (`SRTP_AES128_CM_SHA1_80`) or the SDES suite name (`AEAD_AES_128_GCM`),
/// case-insensitive.
pub fn profile_from_name(name: &str) -> Option<SrtpProfile> {
    let n = name.to_ascii_uppercase();
    SrtpProfile::ALL.into_iter().find(|&p| {
        profile_name(p).is_some_and(|r| r == n || r.replace("_HMAC", "") == n)
            || (p.dtls_id().is_some() && p.name() == n)
    })
}

/// Something the DTLS-SRTP association reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DtlsEvent {
    /// The handshake finished, the peer's certificate matched, and the SRTP
    /// keys are installed in the session.
    Connected {
        /// The negotiated profile.
        profile: SrtpProfile,
        /// The SHA-256 fingerprint of the peer's certificate.
        peer_fingerprint: Fingerprint,
    },
    /// The handshake failed; no keys were installed: the call's media
    /// cannot flow.
    Failed(DtlsError),
    /// The peer ended the association (close_notify). The keys stay.
    Closed,
}

/// DTLS-SRTP failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DtlsError {
    /// The peer's certificate matches none of its SDP fingerprints.
    #[error("peer certificate ({actual}) matches none of the SDP fingerprints [{}]", .expected.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(", "))]
    FingerprintMismatch {
        /// SHA-256 fingerprint of the certificate the peer presented.
        actual: Fingerprint,
        /// The fingerprints from the SDP.
        expected: Vec<Fingerprint>,
    },
    /// The SDP carried no usable `a=fingerprint`.
    #[error("the peer's SDP has no usable a=fingerprint (sha-1, sha-256, sha-384, sha-512)")]
    NoFingerprint,
    /// The handshake finished without the peer's certificate.
    #[error("the peer sent no certificate")]
    NoPeerCertificate,
    /// The peer negotiated no use_srtp profile.
    #[error("no DTLS-SRTP profile was negotiated (use_srtp)")]
    NoSrtpProfile,
    /// The negotiated profile is not in [`DtlsConfig::profiles`].
    #[error("negotiated SRTP profile {0} is not allowed by the configuration")]
    ProfileNotAllowed(SrtpProfile),
    /// The handshake did not finish in time.
    #[error("DTLS handshake did not finish within {0:?}")]
    Timeout(Duration),
    /// The DTLS implementation reported an error (alert, bad message,
    /// retransmissions exhausted).
    #[error("DTLS handshake failed: {0}")]
    Handshake(String),
    /// The certificate could not be made or loaded.
    #[error("DTLS certificate: {0}")]
    Certificate(String),
    /// The DTLS implementation refused the configuration.
    #[error("DTLS configuration: {0}")]
    Config(String),
    /// The exported keys did not fit the profile.
    #[error(transparent)]
    Srtp(#[from] SrtpError),
}

/// The exported "EXTRACTOR-dtls_srtp" keying material (RFC 5764 §4.2):
/// client key, server key, client salt, server salt. Zeroised on drop;
/// `Debug` shows the length only.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyingMaterial(Zeroizing<Vec<u8>>);

impl fmt::Debug for KeyingMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyingMaterial(<{} octets redacted>)", self.0.len())
    }
}

impl KeyingMaterial {
    pub(crate) fn new(bytes: &[u8]) -> Self {
        KeyingMaterial(Zeroizing::new(bytes.to_vec()))
    }

    /// The raw octets (a secret: for debugging tools only).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Splits the material into the SRTP keys of `role`'s two directions.
    pub fn srtp_keys(
        &self,
        profile: SrtpProfile,
        role: DtlsRole,
        config: SrtpConfig,
    ) -> Result<SrtpKeys, SrtpError> {
        let (k, s) = (profile.key_len(), profile.salt_len());
        if self.0.len() != 2 * (k + s) {
            return Err(SrtpError::InvalidKey {
                reason: "DTLS-SRTP keying material length does not match the profile",
            });
        }
        let m = &self.0;
        let client = MasterKey::new(&m[..k], &m[2 * k..2 * k + s])?;
        let server = MasterKey::new(&m[k..2 * k], &m[2 * k + s..])?;
        let (local, remote) = match role {
            DtlsRole::Client => (client, server),
            DtlsRole::Server => (server, client),
        };
        Ok(SrtpKeys {
            profile,
            local: vec![local],
            remote: vec![remote],
            config,
        })
    }
}
