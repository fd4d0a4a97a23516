//! Our DTLS certificate and private key.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::fingerprint::{Fingerprint, HashAlgorithm};
use super::DtlsError;

struct Inner {
    certificate: Vec<u8>,
    private_key: Zeroizing<Vec<u8>>,
    fingerprint: Fingerprint,
}

/// A certificate with its private key, used for every DTLS handshake it is
/// given to. Cheap to clone (shared): generate one per agent process and
/// clone it into each call, or one per call for unlinkable calls.
///
/// `Debug` shows the fingerprint only; the private key is zeroised when the
/// last clone is dropped.
#[derive(Clone)]
pub struct DtlsIdentity(Arc<Inner>);

impl fmt::Debug for DtlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DtlsIdentity")
            .field("fingerprint", &self.0.fingerprint.to_string())
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl DtlsIdentity {
    /// Generates a self-signed ECDSA P-256 / SHA-256 certificate (subject
    /// `CN=heron`) with a fresh key from the operating system's RNG.
    pub fn generate() -> Result<Self, DtlsError> {
        let cert_err = |e: rcgen::Error| DtlsError::Certificate(e.to_string());
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(cert_err)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(cert_err)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "heron");
        let cert = params.self_signed(&key).map_err(cert_err)?;
        Ok(Self::from_der(cert.der().to_vec(), key.serialize_der()))
    }

    /// An identity from a DER certificate and its PKCS#8 DER private key
    /// (ECDSA P-256 or P-384 for the dimpl backend; the OpenSSL backend also
    /// takes RSA). The pair is checked when a handshake starts.
    pub fn from_der(certificate: Vec<u8>, pkcs8_private_key: Vec<u8>) -> Self {
        let fingerprint = Fingerprint::of_certificate(HashAlgorithm::Sha256, &certificate);
        DtlsIdentity(Arc::new(Inner {
            certificate,
            private_key: Zeroizing::new(pkcs8_private_key),
            fingerprint,
        }))
    }

    /// The certificate in DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.0.certificate
    }

    pub(crate) fn private_key_der(&self) -> &[u8] {
        &self.0.private_key
    }

    /// The SHA-256 fingerprint to put in our SDP: `a=fingerprint:{}`.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.0.fingerprint
    }
}
