//! The OpenSSL backend (feature `dtls-openssl`): DTLS 1.2 through the
//! `openssl` crate over an in-memory datagram pipe. It talks to peers with
//! RSA certificates and honours the configured profile order.
//!
//! OpenSSL's own retransmission timer reads the wall clock and cannot be
//! driven through the safe `openssl` API, so this backend keeps a timer on
//! the caller's clock (initial RTO, doubling up to 60 s, bounded). When it
//! fires, OpenSSL is given the chance to retransmit (it does when its own
//! wall-clock timer has expired too, with fresh record numbers, as in a
//! live call); if it writes nothing, the last flight's datagrams are sent
//! again as they were (which repairs a lost flight). After a server's
//! handshake, a peer that repeats its final flight gets ours again.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use openssl::pkey::PKey;
use openssl::ssl::{
    ErrorCode, Ssl, SslContext, SslMethod, SslOptions, SslStream, SslVerifyMode, SslVersion,
};
use openssl::x509::X509;

use super::{Backend, Output, Params};
use crate::dtls::{DtlsError, DtlsRole, KeyingMaterial};
use crate::srtp::SrtpProfile;

const MAX_RTO: Duration = Duration::from_secs(60);

/// Datagrams in and out of OpenSSL: one `read` or `write` is one datagram.
#[derive(Default)]
struct Pipe {
    incoming: VecDeque<Vec<u8>>,
    outgoing: Vec<Vec<u8>>,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(d) = self.incoming.pop_front() else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let n = d.len().min(buf.len());
        buf[..n].copy_from_slice(&d[..n]);
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outgoing.push(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub(crate) struct OpenSslBackend {
    stream: SslStream<Pipe>,
    connected: bool,
    closed: bool,
    flight: Vec<Vec<u8>>,
    /// What we wrote when the handshake completed (a server's final flight).
    final_flight: Vec<Vec<u8>>,
    final_resends: usize,
    initial_rto: Duration,
    rto: Duration,
    resend_at: Option<Instant>,
    retransmissions: usize,
    max_retransmissions: usize,
    out: VecDeque<Output>,
}

fn ssl_err(e: openssl::error::ErrorStack) -> DtlsError {
    DtlsError::Config(e.to_string())
}

/// OpenSSL's name for a DTLS-SRTP profile (RFC 5764 §4.1.2, RFC 7714 §14.2).
fn openssl_name(p: SrtpProfile) -> Option<&'static str> {
    match p {
        SrtpProfile::Aes128CmHmacSha1_80 => Some("SRTP_AES128_CM_SHA1_80"),
        SrtpProfile::Aes128CmHmacSha1_32 => Some("SRTP_AES128_CM_SHA1_32"),
        SrtpProfile::AeadAes128Gcm => Some("SRTP_AEAD_AES_128_GCM"),
        SrtpProfile::AeadAes256Gcm => Some("SRTP_AEAD_AES_256_GCM"),
        SrtpProfile::Aes256CmHmacSha1_80 | SrtpProfile::Aes256CmHmacSha1_32 => None,
    }
}

impl OpenSslBackend {
    pub(crate) fn start(p: &Params<'_>, now: Instant) -> Result<Self, DtlsError> {
        let names: Vec<&str> = p.profiles.iter().filter_map(|&x| openssl_name(x)).collect();
        if names.is_empty() {
            return Err(DtlsError::Config("no DTLS-SRTP profile configured".into()));
        }
        let mut b = SslContext::builder(SslMethod::dtls()).map_err(ssl_err)?;
        b.set_min_proto_version(Some(SslVersion::DTLS1_2))
            .map_err(ssl_err)?;
        b.set_max_proto_version(Some(SslVersion::DTLS1_2))
            .map_err(ssl_err)?;
        b.set_tlsext_use_srtp(&names.join(":")).map_err(ssl_err)?;
        let cert = X509::from_der(p.identity.certificate_der()).map_err(ssl_err)?;
        let key = PKey::private_key_from_der(p.identity.private_key_der()).map_err(ssl_err)?;
        b.set_certificate(&cert).map_err(ssl_err)?;
        b.set_private_key(&key).map_err(ssl_err)?;
        b.check_private_key().map_err(ssl_err)?;
        // Self-signed peers: the certificate is pinned by its SDP fingerprint,
        // checked by the caller before any key is used.
        b.set_verify_callback(
            SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT,
            |_, _| true,
        );
        b.set_options(SslOptions::NO_QUERY_MTU);
        let ctx = b.build();
        let mut ssl = Ssl::new(&ctx).map_err(ssl_err)?;
        ssl.set_mtu(u32::try_from(p.mtu).unwrap_or(1200))
            .map_err(ssl_err)?;
        match p.role {
            DtlsRole::Client => ssl.set_connect_state(),
            DtlsRole::Server => ssl.set_accept_state(),
        }
        let stream = SslStream::new(ssl, Pipe::default()).map_err(ssl_err)?;
        let mut s = OpenSslBackend {
            stream,
            connected: false,
            closed: false,
            flight: Vec::new(),
            final_flight: Vec::new(),
            final_resends: 0,
            initial_rto: p.initial_rto,
            rto: p.initial_rto,
            resend_at: None,
            retransmissions: 0,
            max_retransmissions: p.max_retransmissions,
            out: VecDeque::new(),
        };
        if p.role == DtlsRole::Client {
            s.step(now, false)?;
        }
        Ok(s)
    }

    fn step(&mut self, now: Instant, handshake_record: bool) -> Result<(), DtlsError> {
        let was_connected = self.connected;
        let r = if self.connected {
            self.read_records()
        } else {
            self.handshake()
        };
        let written = self.take_written();
        if self.connected {
            self.resend_at = None;
            if !was_connected {
                self.final_flight = written;
            } else if written.is_empty()
                && handshake_record
                && !self.final_flight.is_empty()
                && self.final_resends < self.max_retransmissions
            {
                // The peer repeats its last flight: ours was lost.
                self.final_resends += 1;
                for d in &self.final_flight {
                    self.out.push_back(Output::Datagram(d.clone()));
                }
            }
        } else if !written.is_empty() {
            self.flight = written;
            self.rto = self.initial_rto;
            self.retransmissions = 0;
            self.resend_at = Some(now + self.rto);
        }
        r
    }

    /// Moves what OpenSSL wrote to the outputs and returns a copy.
    fn take_written(&mut self) -> Vec<Vec<u8>> {
        let written = std::mem::take(&mut self.stream.get_mut().outgoing);
        for d in &written {
            self.out.push_back(Output::Datagram(d.clone()));
        }
        written
    }

    fn handshake(&mut self) -> Result<(), DtlsError> {
        match self.stream.do_handshake() {
            Ok(()) => {
                self.connected = true;
                let ssl = self.stream.ssl();
                if let Some(c) = ssl.peer_certificate() {
                    let der = c.to_der().map_err(ssl_err)?;
                    self.out.push_back(Output::PeerCertificate(der));
                }
                let profile = ssl.selected_srtp_profile().and_then(|p| {
                    SrtpProfile::ALL
                        .into_iter()
                        .find(|&x| openssl_name(x) == Some(p.name()))
                });
                if let Some(profile) = profile {
                    let len = 2 * (profile.key_len() + profile.salt_len());
                    let mut m = zeroize::Zeroizing::new(vec![0u8; len]);
                    ssl.export_keying_material(&mut m, "EXTRACTOR-dtls_srtp", None)
                        .map_err(ssl_err)?;
                    self.out
                        .push_back(Output::Keys(profile, KeyingMaterial::new(&m)));
                }
                self.out.push_back(Output::Connected);
                // Records that arrived with the last flight.
                self.read_records()
            }
            Err(e) if matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE) => Ok(()),
            Err(e) => Err(DtlsError::Handshake(e.to_string())),
        }
    }

    /// After the handshake: application data is not used, alerts and the
    /// peer's retransmitted final flight are processed by OpenSSL.
    fn read_records(&mut self) -> Result<(), DtlsError> {
        let mut scratch = [0u8; 1500];
        loop {
            match self.stream.ssl_read(&mut scratch) {
                Ok(_) => continue,
                Err(e) if e.code() == ErrorCode::WANT_READ => return Ok(()),
                Err(e) if e.code() == ErrorCode::ZERO_RETURN => {
                    if !self.closed {
                        self.closed = true;
                        self.out.push_back(Output::Closed);
                    }
                    return Ok(());
                }
                Err(e) => return Err(DtlsError::Handshake(e.to_string())),
            }
        }
    }
}

impl Backend for OpenSslBackend {
    fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) -> Result<(), DtlsError> {
        if self.closed {
            return Ok(());
        }
        self.stream.get_mut().incoming.push_back(datagram.to_vec());
        // Content type 22: a handshake record leads the datagram.
        self.step(now, datagram.first() == Some(&22))
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), DtlsError> {
        let Some(at) = self.resend_at else {
            return Ok(());
        };
        if now < at {
            return Ok(());
        }
        if self.retransmissions >= self.max_retransmissions {
            self.resend_at = None;
            return Err(DtlsError::Handshake(format!(
                "no answer after {} retransmissions",
                self.retransmissions
            )));
        }
        self.retransmissions += 1;
        // OpenSSL retransmits by itself when its wall-clock timer expired.
        let r = self.handshake();
        let written = self.take_written();
        if self.connected {
            self.resend_at = None;
            self.final_flight = written;
            return r;
        }
        if written.is_empty() {
            for d in &self.flight {
                self.out.push_back(Output::Datagram(d.clone()));
            }
        } else {
            self.flight = written;
        }
        r?;
        self.rto = (self.rto * 2).min(MAX_RTO);
        self.resend_at = Some(now + self.rto);
        Ok(())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.resend_at
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }
}
