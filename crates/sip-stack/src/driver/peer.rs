//! What the application sees of a TLS peer's certificate: the chain, the
//! SHA-256 fingerprint, the subject and the subjectAltName entries, read
//! with `x509-cert` once per connection.

use crate::types::PeerCertificate;
use bytes::Bytes;
use rustls::pki_types::CertificateDer;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

/// The [`PeerCertificate`] for a verified chain (leaf first). `None` for
/// an empty chain. A leaf that rustls accepted but `x509-cert` cannot
/// read still yields the chain and fingerprint, with empty names.
pub(crate) fn from_chain(chain: &[CertificateDer<'_>]) -> Option<PeerCertificate> {
    let leaf = chain.first()?;
    let digest = ring::digest::digest(&ring::digest::SHA256, leaf.as_ref());
    let mut sha256 = [0u8; 32];
    sha256.copy_from_slice(digest.as_ref());
    let mut out = PeerCertificate {
        chain: chain.iter().map(|c| Bytes::copy_from_slice(c)).collect(),
        sha256,
        subject: String::new(),
        dns_names: Vec::new(),
        uris: Vec::new(),
    };
    let Ok(cert) = Certificate::from_der(leaf.as_ref()) else {
        return Some(out);
    };
    out.subject = cert.tbs_certificate.subject.to_string();
    if let Ok(Some((_, san))) = cert.tbs_certificate.get::<SubjectAltName>() {
        for name in san.0 {
            match name {
                GeneralName::DnsName(d) => out.dns_names.push(d.to_string()),
                GeneralName::UniformResourceIdentifier(u) => out.uris.push(u.to_string()),
                _ => {}
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_fingerprint_come_from_the_leaf() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["pbx.example.com".to_owned()]).unwrap();
        params
            .subject_alt_names
            .push(rcgen::SanType::URI("sip:example.com".try_into().unwrap()));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "PBX One");
        let cert = params.self_signed(&key).unwrap();
        let p = from_chain(&[cert.der().clone()]).unwrap();
        assert_eq!(p.dns_names, ["pbx.example.com"]);
        assert_eq!(p.uris, ["sip:example.com"]);
        assert!(p.subject.contains("CN=PBX One"), "{}", p.subject);
        let want = ring::digest::digest(&ring::digest::SHA256, cert.der());
        assert_eq!(&p.sha256[..], want.as_ref());
        assert!(p.names_sip_domain("example.com"));
        assert!(from_chain(&[]).is_none());
        let junk = from_chain(&[CertificateDer::from(vec![1u8, 2, 3])]).unwrap();
        assert!(junk.subject.is_empty() && junk.dns_names.is_empty());
    }
}
