//! The dimpl backend: sans-IO DTLS 1.2 with the RustCrypto provider.
//! ECDSA certificates only (dimpl has no RSA); its use_srtp offer and
//! choice are fixed: AEAD_AES_256_GCM, AEAD_AES_128_GCM,
//! AES128_CM_HMAC_SHA1_80, in that order.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use dimpl::{Config, Dtls, DtlsCertificate, Output as DOut};

use super::{Backend, Output, Params};
use crate::dtls::{DtlsError, DtlsRole, KeyingMaterial};
use crate::srtp::SrtpProfile;

pub(crate) struct DimplBackend {
    dtls: Dtls,
    buf: Vec<u8>,
    timeout: Option<Instant>,
    out: VecDeque<Output>,
}

fn profile(p: dimpl::SrtpProfile) -> Option<SrtpProfile> {
    match p {
        dimpl::SrtpProfile::AES128_CM_SHA1_80 => Some(SrtpProfile::Aes128CmHmacSha1_80),
        dimpl::SrtpProfile::AEAD_AES_128_GCM => Some(SrtpProfile::AeadAes128Gcm),
        dimpl::SrtpProfile::AEAD_AES_256_GCM => Some(SrtpProfile::AeadAes256Gcm),
        _ => None,
    }
}

fn profile_supported(p: SrtpProfile) -> bool {
    matches!(
        p,
        SrtpProfile::Aes128CmHmacSha1_80 | SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm
    )
}

fn err(e: dimpl::Error) -> DtlsError {
    DtlsError::Handshake(e.to_string())
}

impl DimplBackend {
    pub(crate) fn start(p: &Params<'_>, now: Instant) -> Result<Self, DtlsError> {
        if !p.profiles.iter().any(|&x| profile_supported(x)) {
            return Err(DtlsError::Config(
                "dimpl negotiates only AEAD_AES_256_GCM, AEAD_AES_128_GCM and \
                 AES_CM_128_HMAC_SHA1_80: none is configured"
                    .into(),
            ));
        }
        let config = Config::builder()
            .mtu(p.mtu)
            .flight_start_rto(p.initial_rto)
            .flight_retries(p.max_retransmissions)
            .handshake_timeout(p.handshake_timeout)
            .with_crypto_provider(dimpl::crypto::rust_crypto::default_provider())
            .build()
            .map_err(|e| DtlsError::Config(e.to_string()))?;
        let cert = DtlsCertificate {
            certificate: p.identity.certificate_der().to_vec(),
            private_key: p.identity.private_key_der().to_vec(),
        };
        let mut dtls = Dtls::new_12(Arc::new(config), cert, now);
        dtls.set_active(p.role == DtlsRole::Client);
        let mut b = DimplBackend {
            dtls,
            buf: vec![0; p.mtu.max(1500)],
            timeout: None,
            out: VecDeque::new(),
        };
        b.dtls.handle_timeout(now).map_err(err)?;
        b.drain();
        Ok(b)
    }

    fn drain(&mut self) {
        // poll_output ends every cycle with a Timeout; the bound only guards
        // against a misbehaving engine.
        for _ in 0..10_000 {
            match self.dtls.poll_output(&mut self.buf) {
                DOut::Packet(p) => self.out.push_back(Output::Datagram(p.to_vec())),
                DOut::BufferTooSmall { needed } => self.buf.resize(needed, 0),
                DOut::Timeout(t) => {
                    self.timeout = Some(t);
                    return;
                }
                DOut::Connected => self.out.push_back(Output::Connected),
                DOut::PeerCert(der) => self.out.push_back(Output::PeerCertificate(der.to_vec())),
                DOut::KeyingMaterial(km, p) => {
                    // A profile this crate does not know yields no keys:
                    // the handshake then fails with NoSrtpProfile.
                    if let Some(p) = profile(p) {
                        self.out
                            .push_back(Output::Keys(p, KeyingMaterial::new(&km)));
                    }
                }
                DOut::CloseNotify => self.out.push_back(Output::Closed),
                _ => {}
            }
        }
    }
}

impl Backend for DimplBackend {
    fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) -> Result<(), DtlsError> {
        self.dtls.handle_timeout(now).map_err(err)?;
        let r = self.dtls.handle_packet(datagram).map_err(err);
        self.drain();
        r
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), DtlsError> {
        if self.timeout.is_some_and(|t| now >= t) {
            let r = self.dtls.handle_timeout(now).map_err(err);
            self.drain();
            r?;
        }
        Ok(())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timeout
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }
}
