//! [`DtlsSrtp`]: one call's DTLS-SRTP association beside its media session.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use super::backend::{self, Backend, Output, Params};
use super::{
    DtlsConfig, DtlsError, DtlsEvent, DtlsIdentity, Fingerprint, HashAlgorithm, KeyingMaterial,
    RemoteDtls,
};
use crate::demux::{classify, PacketKind};
use crate::session::{Handled, MediaSession, SessionError, SrtpKeys, Transmit};
use crate::srtp::SrtpProfile;

/// Where the exported keys and the held media go: a
/// [`MediaSession`] normally; `()` when only the keys are wanted (a probe).
pub trait SrtpSink {
    /// Installs the keys of both directions.
    fn install_keys(&mut self, keys: &SrtpKeys) -> Result<(), SessionError>;
    /// Removes the keys (a restarted handshake): media stops until new ones.
    fn clear_keys(&mut self);
    /// Installs the keys of an RTCP-port association (DTLS-SRTP without
    /// rtcp-mux, RFC 5764 §4.1): they protect RTCP only.
    fn install_rtcp_keys(&mut self, keys: &SrtpKeys) -> Result<(), SessionError>;
    /// Removes the RTCP-port association's keys: RTCP stops until new ones.
    fn clear_rtcp_keys(&mut self);
    /// An RTP/RTCP datagram received once keys are installed.
    fn media(&mut self, now: Instant, src: SocketAddr, datagram: &mut [u8]) -> Handled;
}

impl SrtpSink for MediaSession {
    fn install_keys(&mut self, keys: &SrtpKeys) -> Result<(), SessionError> {
        self.set_srtp_keys(keys)
    }
    fn clear_keys(&mut self) {
        self.clear_srtp_keys();
    }
    fn install_rtcp_keys(&mut self, keys: &SrtpKeys) -> Result<(), SessionError> {
        self.set_srtcp_keys(keys)
    }
    fn clear_rtcp_keys(&mut self) {
        self.clear_srtcp_keys();
    }
    fn media(&mut self, now: Instant, src: SocketAddr, datagram: &mut [u8]) -> Handled {
        self.handle_datagram(now, src, datagram)
    }
}

impl SrtpSink for () {
    fn install_keys(&mut self, _: &SrtpKeys) -> Result<(), SessionError> {
        Ok(())
    }
    fn clear_keys(&mut self) {}
    fn install_rtcp_keys(&mut self, _: &SrtpKeys) -> Result<(), SessionError> {
        Ok(())
    }
    fn clear_rtcp_keys(&mut self) {}
    fn media(&mut self, _: Instant, _: SocketAddr, datagram: &mut [u8]) -> Handled {
        Handled::Other(classify(datagram))
    }
}

/// The port an association runs on. With rtcp-mux there is one, on the
/// RTP port; without, RTP and RTCP each have their own handshake and keys
/// (RFC 5764 §4.1: one DTLS-SRTP session per pair of ports), with the same
/// certificates, fingerprints and roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsComponent {
    /// The RTP port: its keys protect RTP, and RTCP too unless the session
    /// has [`separate_rtcp_keys`](crate::session::SessionConfig::separate_rtcp_keys).
    Rtp,
    /// The RTCP port: its keys protect RTCP only; its datagrams leave from
    /// the RTCP socket ([`Transmit::rtcp`]).
    Rtcp,
}

/// Where the association stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtlsState {
    /// Waiting for [`DtlsSrtp::set_remote`] (the SDP answer).
    AwaitingRemote,
    /// The handshake is running.
    Handshaking,
    /// Keys installed.
    Connected,
    /// Failed; see [`DtlsSrtp::error`].
    Failed,
}

/// What [`DtlsSrtp::set_remote`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteUpdate {
    /// The first handshake started.
    Started,
    /// Same role and fingerprints: the association is kept.
    Unchanged,
    /// New fingerprint or role: a new handshake started.
    Restarted,
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DtlsStats {
    /// Handshakes started.
    pub handshakes: u64,
    /// DTLS datagrams received.
    pub dtls_received: u64,
    /// DTLS datagrams sent (queued).
    pub dtls_sent: u64,
    /// RTP/RTCP datagrams held while the keys were pending.
    pub media_held: u64,
    /// RTP/RTCP datagrams dropped (hold full, or the handshake failed).
    pub media_dropped: u64,
}

/// One call's DTLS-SRTP association; see the [module documentation](super).
pub struct DtlsSrtp {
    cfg: DtlsConfig,
    component: DtlsComponent,
    identity: DtlsIdentity,
    peer: SocketAddr,
    remote: Option<RemoteDtls>,
    backend: Option<Box<dyn Backend>>,
    state: DtlsState,
    deadline: Option<Instant>,
    peer_fingerprint: Option<Fingerprint>,
    keys: Option<(SrtpProfile, KeyingMaterial)>,
    backend_connected: bool,
    error: Option<DtlsError>,
    held_dtls: VecDeque<(SocketAddr, Vec<u8>)>,
    held_media: VecDeque<(SocketAddr, Vec<u8>)>,
    outgoing: VecDeque<(SocketAddr, Vec<u8>)>,
    events: VecDeque<DtlsEvent>,
    stats: DtlsStats,
}

impl std::fmt::Debug for DtlsSrtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DtlsSrtp")
            .field("component", &self.component)
            .field("state", &self.state)
            .field("peer", &self.peer)
            .field("role", &self.remote.as_ref().map(|r| r.role))
            .field("profile", &self.keys.as_ref().map(|k| k.0))
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl DtlsSrtp {
    /// An association with the peer's media address `peer` (DTLS datagrams
    /// go there; it follows the source of the peer's DTLS datagrams). It
    /// waits for [`set_remote`](Self::set_remote).
    pub fn new(config: DtlsConfig, identity: DtlsIdentity, peer: SocketAddr) -> Self {
        Self::with_component(config, identity, peer, DtlsComponent::Rtp)
    }

    /// The RTCP port's association of a call without rtcp-mux (RFC 5764
    /// §4.1): `peer_rtcp` is the peer's RTCP address. Give it the same
    /// identity and [`RemoteDtls`] as the RTP port's; its keys go to
    /// [`SrtpSink::install_rtcp_keys`], and the session needs
    /// [`separate_rtcp_keys`](crate::session::SessionConfig::separate_rtcp_keys).
    pub fn new_rtcp(config: DtlsConfig, identity: DtlsIdentity, peer_rtcp: SocketAddr) -> Self {
        Self::with_component(config, identity, peer_rtcp, DtlsComponent::Rtcp)
    }

    /// An association on `component`'s port.
    pub fn with_component(
        config: DtlsConfig,
        identity: DtlsIdentity,
        peer: SocketAddr,
        component: DtlsComponent,
    ) -> Self {
        DtlsSrtp {
            cfg: config,
            component,
            identity,
            peer,
            remote: None,
            backend: None,
            state: DtlsState::AwaitingRemote,
            deadline: None,
            peer_fingerprint: None,
            keys: None,
            backend_connected: false,
            error: None,
            held_dtls: VecDeque::new(),
            held_media: VecDeque::new(),
            outgoing: VecDeque::new(),
            events: VecDeque::new(),
            stats: DtlsStats::default(),
        }
    }

    /// Sets our role and the peer's fingerprints from the negotiated SDP.
    /// The first call starts the handshake; later calls (re-INVITE) restart
    /// it when the role or the fingerprints changed, removing the session's
    /// keys until the new handshake installs new ones.
    pub fn set_remote(
        &mut self,
        now: Instant,
        remote: RemoteDtls,
        sink: &mut dyn SrtpSink,
    ) -> Result<RemoteUpdate, DtlsError> {
        let update = match &self.remote {
            None => RemoteUpdate::Started,
            Some(r) if *r == remote => return Ok(RemoteUpdate::Unchanged),
            Some(_) => RemoteUpdate::Restarted,
        };
        self.remote = Some(remote);
        self.restart(now, sink)?;
        Ok(update)
    }

    /// Starts a new handshake with the current remote parameters (also
    /// after a failure). Does nothing before [`set_remote`](Self::set_remote).
    pub fn restart(&mut self, now: Instant, sink: &mut dyn SrtpSink) -> Result<(), DtlsError> {
        let Some(remote) = self.remote.clone() else {
            return Ok(());
        };
        if self.state != DtlsState::AwaitingRemote {
            match self.component {
                DtlsComponent::Rtp => sink.clear_keys(),
                DtlsComponent::Rtcp => sink.clear_rtcp_keys(),
            }
        }
        self.backend = None;
        self.peer_fingerprint = None;
        self.keys = None;
        self.backend_connected = false;
        self.error = None;
        self.held_media.clear();
        self.outgoing.clear();
        self.stats.handshakes += 1;
        self.state = DtlsState::Handshaking;
        self.deadline = Some(now + self.cfg.handshake_timeout);
        if remote.fingerprints.is_empty() && !remote.accept_any_certificate {
            self.fail(DtlsError::NoFingerprint);
            return Err(DtlsError::NoFingerprint);
        }
        let params = Params {
            role: remote.role,
            identity: &self.identity,
            profiles: &self.cfg.profiles,
            mtu: self.cfg.mtu,
            initial_rto: self.cfg.initial_rto,
            max_retransmissions: self.cfg.max_retransmissions,
            handshake_timeout: self.cfg.handshake_timeout,
        };
        match backend::start(self.cfg.backend, &params, now) {
            Ok(b) => self.backend = Some(b),
            Err(e) => {
                self.fail(e.clone());
                return Err(e);
            }
        }
        self.process(now, sink);
        while let Some((src, d)) = self.held_dtls.pop_front() {
            self.feed(now, src, &d, sink);
        }
        Ok(())
    }

    /// Handles one datagram received on the media port (RTP port, or RTCP
    /// port without rtcp-mux): DTLS goes to the handshake; RTP/RTCP to
    /// `sink` once keyed, held before; anything else (STUN, ...) is
    /// returned as [`Handled::Other`] for the caller.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        src: SocketAddr,
        datagram: &mut [u8],
        sink: &mut dyn SrtpSink,
    ) -> Handled {
        match classify(datagram) {
            PacketKind::Rtp | PacketKind::Rtcp => {
                match self.state {
                    DtlsState::Connected => return sink.media(now, src, datagram),
                    DtlsState::Failed => self.stats.media_dropped += 1,
                    DtlsState::AwaitingRemote | DtlsState::Handshaking => {
                        if self.cfg.max_held_media == 0 {
                            self.stats.media_dropped += 1;
                        } else {
                            if self.held_media.len() >= self.cfg.max_held_media {
                                self.held_media.pop_front();
                                self.stats.media_dropped += 1;
                            }
                            self.held_media.push_back((src, datagram.to_vec()));
                            self.stats.media_held += 1;
                        }
                    }
                }
                Handled::Media
            }
            PacketKind::Dtls => {
                self.stats.dtls_received += 1;
                self.feed(now, src, datagram, sink);
                Handled::Media
            }
            other => Handled::Other(other),
        }
    }

    fn feed(&mut self, now: Instant, src: SocketAddr, datagram: &[u8], sink: &mut dyn SrtpSink) {
        match self.state {
            DtlsState::AwaitingRemote => {
                // An offerer with actpass may get the ClientHello before the
                // answer: keep a few.
                if self.held_dtls.len() < 16 {
                    self.held_dtls.push_back((src, datagram.to_vec()));
                }
            }
            DtlsState::Failed => {}
            DtlsState::Handshaking | DtlsState::Connected => {
                let Some(b) = self.backend.as_mut() else {
                    return;
                };
                let r = b.handle_datagram(now, datagram);
                if r.is_ok() {
                    self.peer = src;
                }
                self.process(now, sink);
                if let Err(e) = r {
                    self.fail(e);
                }
            }
        }
    }

    /// Runs the retransmission timer and the handshake deadline.
    pub fn handle_timeout(&mut self, now: Instant, sink: &mut dyn SrtpSink) {
        if self.state == DtlsState::Handshaking && self.deadline.is_some_and(|d| now >= d) {
            self.fail(DtlsError::Timeout(self.cfg.handshake_timeout));
            return;
        }
        let Some(b) = self.backend.as_mut() else {
            return;
        };
        if b.poll_timeout().is_some_and(|t| now >= t) {
            let r = b.handle_timeout(now);
            self.process(now, sink);
            if let Err(e) = r {
                self.fail(e);
            }
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let b = self.backend.as_ref().and_then(|b| b.poll_timeout());
        match self.state {
            DtlsState::Handshaking => match (b, self.deadline) {
                (Some(b), Some(d)) => Some(b.min(d)),
                (b, d) => b.or(d),
            },
            DtlsState::Connected => b,
            DtlsState::AwaitingRemote | DtlsState::Failed => None,
        }
    }

    /// Copies the next DTLS datagram to send into `out` (datagrams longer
    /// than `out` are dropped). It leaves from this association's port
    /// ([`Transmit::rtcp`] is set for [`DtlsComponent::Rtcp`]).
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> Option<Transmit> {
        loop {
            let (dest, d) = self.outgoing.pop_front()?;
            if d.len() <= out.len() {
                out[..d.len()].copy_from_slice(&d);
                return Some(Transmit {
                    destination: dest,
                    len: d.len(),
                    rtcp: self.component == DtlsComponent::Rtcp,
                });
            }
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<DtlsEvent> {
        self.events.pop_front()
    }

    /// Where the DTLS datagrams go: the peer's address from the SDP until
    /// its DTLS datagrams arrive from elsewhere.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The port this association runs on.
    pub fn component(&self) -> DtlsComponent {
        self.component
    }

    /// Where the association stands.
    pub fn state(&self) -> DtlsState {
        self.state
    }

    /// True once the keys are installed.
    pub fn is_connected(&self) -> bool {
        self.state == DtlsState::Connected
    }

    /// Why the association failed.
    pub fn error(&self) -> Option<&DtlsError> {
        self.error.as_ref()
    }

    /// The negotiated profile, once connected.
    pub fn profile(&self) -> Option<SrtpProfile> {
        self.keys
            .as_ref()
            .filter(|_| self.is_connected())
            .map(|k| k.0)
    }

    /// The SHA-256 fingerprint of the peer's verified certificate.
    pub fn peer_fingerprint(&self) -> Option<&Fingerprint> {
        self.peer_fingerprint.as_ref()
    }

    /// The exported keying material, once connected (a secret: for
    /// debugging tools and interop checks).
    pub fn keying_material(&self) -> Option<&KeyingMaterial> {
        self.keys
            .as_ref()
            .filter(|_| self.is_connected())
            .map(|k| &k.1)
    }

    /// Our certificate's SHA-256 fingerprint, for the SDP.
    pub fn local_fingerprint(&self) -> &Fingerprint {
        self.identity.fingerprint()
    }

    /// Counters.
    pub fn stats(&self) -> DtlsStats {
        self.stats
    }

    fn fail(&mut self, e: DtlsError) {
        if self.state == DtlsState::Failed {
            return;
        }
        self.state = DtlsState::Failed;
        self.backend = None;
        self.keys = None;
        self.deadline = None;
        self.stats.media_dropped += self.held_media.len() as u64;
        self.held_media.clear();
        self.error = Some(e.clone());
        self.events.push_back(DtlsEvent::Failed(e));
    }

    /// Drains the backend's outputs: datagrams out, certificate check,
    /// keys in.
    fn process(&mut self, now: Instant, sink: &mut dyn SrtpSink) {
        while let Some(o) = self.backend.as_mut().and_then(|b| b.poll_output()) {
            match o {
                Output::Datagram(d) => {
                    self.stats.dtls_sent += 1;
                    self.outgoing.push_back((self.peer, d));
                }
                Output::PeerCertificate(der) => {
                    if let Err(e) = self.verify(&der) {
                        self.fail(e);
                        return;
                    }
                }
                Output::Keys(profile, material) => {
                    if !self.cfg.profiles.contains(&profile) {
                        self.fail(DtlsError::ProfileNotAllowed(profile));
                        return;
                    }
                    self.keys = Some((profile, material));
                }
                Output::Connected => self.backend_connected = true,
                Output::Closed => self.events.push_back(DtlsEvent::Closed),
            }
        }
        if self.backend_connected && self.state == DtlsState::Handshaking {
            self.finish(now, sink);
        }
    }

    fn verify(&mut self, der: &[u8]) -> Result<(), DtlsError> {
        let remote = self.remote.as_ref().ok_or(DtlsError::NoFingerprint)?;
        let expected = &remote.fingerprints;
        if remote.accept_any_certificate || expected.iter().any(|f| f.matches(der)) {
            self.peer_fingerprint = Some(Fingerprint::of_certificate(HashAlgorithm::Sha256, der));
            Ok(())
        } else {
            Err(DtlsError::FingerprintMismatch {
                actual: Fingerprint::of_certificate(HashAlgorithm::Sha256, der),
                expected: expected.clone(),
            })
        }
    }

    fn finish(&mut self, now: Instant, sink: &mut dyn SrtpSink) {
        let Some(peer_fingerprint) = self.peer_fingerprint.clone() else {
            self.fail(DtlsError::NoPeerCertificate);
            return;
        };
        let Some((profile, material)) = self.keys.as_ref() else {
            self.fail(DtlsError::NoSrtpProfile);
            return;
        };
        let role = self.remote.as_ref().map(|r| r.role);
        let keys = match role.map(|r| material.srtp_keys(*profile, r, self.cfg.srtp)) {
            Some(Ok(k)) => k,
            Some(Err(e)) => {
                self.fail(e.into());
                return;
            }
            None => return,
        };
        let installed = match self.component {
            DtlsComponent::Rtp => sink.install_keys(&keys),
            DtlsComponent::Rtcp => sink.install_rtcp_keys(&keys),
        };
        if let Err(e) = installed {
            let e = match e {
                SessionError::Srtp(e) => DtlsError::Srtp(e),
                other => DtlsError::Config(other.to_string()),
            };
            self.fail(e);
            return;
        }
        let profile = *profile;
        self.state = DtlsState::Connected;
        self.deadline = None;
        self.events.push_back(DtlsEvent::Connected {
            profile,
            peer_fingerprint,
        });
        while let Some((src, mut d)) = self.held_media.pop_front() {
            sink.media(now, src, &mut d);
        }
    }
}
