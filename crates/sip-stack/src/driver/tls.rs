//! TLS settings for the driver (rustls with the ring provider): trust
//! anchors (system roots or a configured CA), our certificate for mTLS or
//! as a server, the lowest protocol version, and whether the listener asks
//! clients for a certificate (mTLS server side) and which CA vouches for it.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// The lowest TLS version accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3 (the default).
    #[default]
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// Whether a TLS listener asks connecting clients for a certificate
/// (mutual TLS, server side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// Ask for none (plain server-authenticated TLS; the default).
    #[default]
    None,
    /// Ask for one; a client without a certificate is still accepted, a
    /// client whose certificate does not verify against the client CA is
    /// refused.
    Request,
    /// Require one that verifies against the client CA; the handshake
    /// fails without it.
    Require,
}

/// A certificate chain and its private key.
pub struct Identity {
    /// The chain, leaf first.
    pub certs: Vec<CertificateDer<'static>>,
    /// The private key.
    pub key: PrivateKeyDer<'static>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("certs", &self.certs.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity {
            certs: self.certs.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl Identity {
    /// Reads a PEM certificate chain and a PEM private key.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Identity, TlsError> {
        let certs = CertificateDer::pem_file_iter(cert)
            .map_err(|e| TlsError::Pem(cert.display().to_string(), e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::Pem(cert.display().to_string(), e.to_string()))?;
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| TlsError::Pem(key.display().to_string(), e.to_string()))?;
        Ok(Identity { certs, key })
    }
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("cannot read PEM file {0}: {1}")]
    Pem(String, String),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    /// No trust anchors were found.
    #[error("no trusted root certificates")]
    NoRoots,
    /// Client certificates are asked for but no CA is configured to check
    /// them (`client_ca` or `ca`).
    #[error("client_auth needs a CA to verify client certificates (client_ca or ca)")]
    NoClientCa,
    /// rustls refused the client-certificate verifier.
    #[error("client certificate verifier: {0}")]
    ClientVerifier(String),
    /// A cipher suite in [`TlsConfig::cipher_suites`] is unknown, or
    /// none of them works with the allowed protocol versions.
    #[error("cipher suites: {0}")]
    CipherSuites(String),
}

/// TLS knobs (the onboarding sheet's TLS row).
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// Trust these CAs instead of the system roots.
    pub ca: Option<Vec<CertificateDer<'static>>>,
    /// Our certificate: presented to servers that ask (mTLS) and used by
    /// the TLS listener.
    pub identity: Option<Identity>,
    /// The lowest version accepted.
    pub min_version: TlsVersion,
    /// Whether the TLS listener asks clients for a certificate.
    pub client_auth: ClientAuth,
    /// The CAs client certificates must chain to; `None` uses `ca`. The
    /// system roots are never used for this: anybody can get a
    /// certificate from a public CA.
    pub client_ca: Option<Vec<CertificateDer<'static>>>,
    /// The cipher suites to offer and accept, by IANA name as rustls
    /// spells them (`TLS13_AES_256_GCM_SHA384`,
    /// `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`, ...), in order of
    /// preference; empty keeps rustls' defaults.
    pub cipher_suites: Vec<String>,
}

impl TlsConfig {
    /// Reads CA certificates from a PEM file.
    pub fn ca_from_pem_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
        CertificateDer::pem_file_iter(path)
            .map_err(|e| TlsError::Pem(path.display().to_string(), e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::Pem(path.display().to_string(), e.to_string()))
    }

    fn versions(&self) -> &'static [&'static rustls::SupportedProtocolVersion] {
        static BOTH: [&rustls::SupportedProtocolVersion; 2] =
            [&rustls::version::TLS13, &rustls::version::TLS12];
        static ONLY13: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
        match self.min_version {
            TlsVersion::Tls12 => &BOTH,
            TlsVersion::Tls13 => &ONLY13,
        }
    }

    /// The names of the suites this TLS stack has, as
    /// [`TlsConfig::cipher_suites`] takes them.
    pub fn supported_cipher_suites() -> Vec<String> {
        rustls::crypto::ring::default_provider()
            .cipher_suites
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect()
    }

    /// The ring provider, its suites narrowed to `cipher_suites`.
    fn provider(&self) -> Result<Arc<rustls::crypto::CryptoProvider>, TlsError> {
        let mut p = rustls::crypto::ring::default_provider();
        if self.cipher_suites.is_empty() {
            return Ok(Arc::new(p));
        }
        let all = std::mem::take(&mut p.cipher_suites);
        for name in &self.cipher_suites {
            let s = all
                .iter()
                .find(|s| format!("{:?}", s.suite()).eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    TlsError::CipherSuites(format!(
                        "{name:?} is not supported; use one of {}",
                        Self::supported_cipher_suites().join(", ")
                    ))
                })?;
            p.cipher_suites.push(*s);
        }
        let usable = p.cipher_suites.iter().any(|s| match s {
            rustls::SupportedCipherSuite::Tls13(_) => true,
            rustls::SupportedCipherSuite::Tls12(_) => self.min_version == TlsVersion::Tls12,
        });
        if !usable {
            return Err(TlsError::CipherSuites(
                "only TLS 1.2 suites are listed but the minimum version is TLS 1.3".into(),
            ));
        }
        Ok(Arc::new(p))
    }

    /// The rustls client configuration: host names are verified against
    /// the configured CA or the system roots.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TlsError> {
        let mut roots = RootCertStore::empty();
        match &self.ca {
            Some(cas) => {
                for c in cas {
                    roots.add(c.clone())?;
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                for c in found.certs {
                    let _ = roots.add(c);
                }
            }
        }
        if roots.is_empty() {
            return Err(TlsError::NoRoots);
        }
        let builder = ClientConfig::builder_with_provider(self.provider()?)
            .with_protocol_versions(self.versions())?
            .with_root_certificates(roots);
        let cfg = match &self.identity {
            Some(id) => builder.with_client_auth_cert(id.certs.clone(), id.key.clone_key())?,
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(cfg))
    }

    /// The rustls server configuration, when an identity is set.
    pub fn server_config(&self) -> Result<Option<Arc<ServerConfig>>, TlsError> {
        let Some(id) = &self.identity else {
            return Ok(None);
        };
        let builder = ServerConfig::builder_with_provider(self.provider()?)
            .with_protocol_versions(self.versions())?;
        let builder = match self.client_auth {
            ClientAuth::None => builder.with_no_client_auth(),
            ClientAuth::Request | ClientAuth::Require => {
                let cas = self
                    .client_ca
                    .as_ref()
                    .or(self.ca.as_ref())
                    .filter(|c| !c.is_empty())
                    .ok_or(TlsError::NoClientCa)?;
                let mut roots = RootCertStore::empty();
                for c in cas {
                    roots.add(c.clone())?;
                }
                let mut v =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), self.provider()?);
                if self.client_auth == ClientAuth::Request {
                    v = v.allow_unauthenticated();
                }
                let verifier = v
                    .build()
                    .map_err(|e| TlsError::ClientVerifier(e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let cfg = builder.with_single_cert(id.certs.clone(), id.key.clone_key())?;
        Ok(Some(Arc::new(cfg)))
    }
}
