//! The DTLS implementations behind one internal trait.

mod dimpl;
#[cfg(feature = "dtls-openssl")]
mod openssl;

use std::time::{Duration, Instant};

use super::{DtlsBackend, DtlsError, DtlsIdentity, DtlsRole, KeyingMaterial};
use crate::srtp::SrtpProfile;

/// What a backend reports after a step, in order.
pub(crate) enum Output {
    /// A datagram for the peer.
    Datagram(Vec<u8>),
    /// The peer's leaf certificate (DER), before the keys.
    PeerCertificate(Vec<u8>),
    /// The negotiated profile and the exported "EXTRACTOR-dtls_srtp"
    /// material (client key, server key, client salt, server salt).
    Keys(SrtpProfile, KeyingMaterial),
    /// The handshake finished.
    Connected,
    /// The peer closed the association (close_notify).
    Closed,
}

/// Handshake parameters a backend needs.
pub(crate) struct Params<'a> {
    pub role: DtlsRole,
    pub identity: &'a DtlsIdentity,
    pub profiles: &'a [SrtpProfile],
    pub mtu: usize,
    pub initial_rto: Duration,
    pub max_retransmissions: usize,
    pub handshake_timeout: Duration,
}

/// One DTLS association, sans-IO: datagrams and time in, outputs out.
pub(crate) trait Backend: Send {
    /// A received DTLS datagram.
    fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) -> Result<(), DtlsError>;
    /// Runs the retransmission timer.
    fn handle_timeout(&mut self, now: Instant) -> Result<(), DtlsError>;
    /// When [`handle_timeout`](Self::handle_timeout) is due.
    fn poll_timeout(&self) -> Option<Instant>;
    /// The next output.
    fn poll_output(&mut self) -> Option<Output>;
}

/// Starts an association; a client queues its ClientHello.
pub(crate) fn start(
    kind: DtlsBackend,
    params: &Params<'_>,
    now: Instant,
) -> Result<Box<dyn Backend>, DtlsError> {
    match kind {
        DtlsBackend::Dimpl => Ok(Box::new(dimpl::DimplBackend::start(params, now)?)),
        #[cfg(feature = "dtls-openssl")]
        DtlsBackend::OpenSsl => Ok(Box::new(openssl::OpenSslBackend::start(params, now)?)),
    }
}
