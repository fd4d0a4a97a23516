//! The tokio driver: moves datagrams between UDP sockets and the sans-IO
//! sessions. One [`Driver`] serves many sessions from one task, in one of
//! two port models:
//!
//! - **A port per session** ([`Driver::new`], the default): each session
//!   binds an even port from a range (and the next odd one for RTCP without
//!   rtcp-mux), as PBXs expect from a SIP phone. Reading drains every ready
//!   socket with non-blocking receives into one reused buffer; writing
//!   drains each session's queue with non-blocking sends.
//! - **One shared port** ([`Driver::with_shared_port`]): one socket carries
//!   every session's media (rtcp-mux required), read with `recvmmsg` and
//!   written with `sendmmsg`, up to 32 datagrams per system call; datagrams
//!   are routed by source address, then SSRC (below). For services
//!   carrying many calls behind one media address.
//!
//! Nothing is allocated per packet in either.
//!
//! Shared-port routing: a datagram goes to the session whose peer address
//! (where it sends to, following latching) is the datagram's source; from
//! an address no session sends to, to the session that knows its SSRC
//! (learned from packets it accepted, or announced with
//! [`Driver::expect_ssrc`]); otherwise it is dropped and counted in
//! [`DriverStats::unknown_source`]. Routing never moves a session's peer
//! address: the session latches on its own rules (RFC 4961: only after an
//! authenticated SRTP packet, or the configured run of plain RTP packets),
//! and the driver then routes the new address to it.

use std::future::poll_fn;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::task::Poll;
use std::time::Instant;

use rand_core::RngCore;
use tokio::net::UdpSocket;

use crate::session::{Handled, MediaSession, SessionConfig, SessionError};

mod mmsg;
mod shared;

use shared::{Keys, SharedPort};

/// A range of UDP ports to bind media sockets in (even ports are used for
/// RTP, RFC 3550 §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    /// First port.
    pub first: u16,
    /// Last port (inclusive).
    pub last: u16,
}

impl Default for PortRange {
    fn default() -> Self {
        PortRange {
            first: 16384,
            last: 32767,
        }
    }
}

/// Identifies a session inside a [`Driver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(u64);

/// A driver failure.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// No free port in the range.
    #[error("no free even UDP port in {first}..={last} on {ip}")]
    NoFreePort {
        /// Address bound.
        ip: IpAddr,
        /// Range first port.
        first: u16,
        /// Range last port.
        last: u16,
    },
    /// Socket error.
    #[error("socket: {0}")]
    Io(#[from] io::Error),
    /// The session refused its configuration.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A shared media port carries RTP and RTCP on one port: the session
    /// must use rtcp-mux (no `remote_rtcp_addr`).
    #[error("a shared media port needs rtcp-mux; the session has a separate RTCP address {0}")]
    RtcpMuxRequired(SocketAddr),
}

/// A session's own sockets (port-per-session model).
struct Ports {
    socket: UdpSocket,
    /// The same socket as a plain non-blocking std socket for sending: a
    /// UDP send never waits, and tokio's `try_send_to` would report
    /// `WouldBlock` until the reactor has seen the socket writable once.
    send: std::net::UdpSocket,
    /// The RTCP socket (RTP port + 1) when RTCP is not multiplexed.
    rtcp: Option<(UdpSocket, std::net::UdpSocket)>,
}

struct Entry {
    id: SessionId,
    /// `None` on a shared port.
    ports: Option<Ports>,
    /// What a shared port routes to this session by.
    keys: Keys,
    session: MediaSession,
}

/// Binds a non-blocking UDP socket, registered with tokio for receiving,
/// plus a std handle on the same socket for sending.
fn open_udp(addr: SocketAddr) -> io::Result<(UdpSocket, std::net::UdpSocket)> {
    let std_sock = std::net::UdpSocket::bind(addr)?;
    std_sock.set_nonblocking(true)?;
    let sock = socket2::Socket::from(std_sock);
    // Larger buffers absorb bursts when many sessions share a task.
    let _ = sock.set_recv_buffer_size(1 << 20);
    let _ = sock.set_send_buffer_size(1 << 20);
    let std_sock: std::net::UdpSocket = sock.into();
    let send = std_sock.try_clone()?;
    Ok((UdpSocket::from_std(std_sock)?, send))
}

/// Counters of a [`Driver`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DriverStats {
    /// Datagrams received.
    pub received: u64,
    /// Datagrams sent.
    pub sent: u64,
    /// Datagrams dropped because a socket would block or failed.
    pub send_dropped: u64,
    /// Datagrams that were neither RTP nor RTCP.
    pub other: u64,
    /// Shared port: datagrams no session claimed (unknown source address
    /// and SSRC), dropped.
    pub unknown_source: u64,
    /// Shared port: datagrams longer than a batch buffer (2,048 octets),
    /// dropped.
    pub oversized: u64,
    /// Receive calls that returned data: one per datagram with a port
    /// per session, one per batch on a shared port (the calls that find a
    /// socket empty are not counted: tokio answers most of them from its
    /// readiness state without a system call).
    pub receive_calls: u64,
    /// Send system calls made (one per datagram with a port per session,
    /// one per batch on a shared port, plus one per refused datagram).
    pub send_calls: u64,
}

/// Serves many [`MediaSession`]s from one task; see the module documentation.
pub struct Driver {
    entries: Vec<Entry>,
    next_id: u64,
    next_port: u16,
    buf: Box<[u8]>,
    stats: DriverStats,
    shared: Option<Box<SharedPort>>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("sessions", &self.entries.len())
            .field("shared_port", &self.shared.as_ref().map(|s| s.local_addr()))
            .field("stats", &self.stats)
            .finish()
    }
}

impl Default for Driver {
    fn default() -> Self {
        Self::new()
    }
}

impl Driver {
    /// An empty driver binding a port per session.
    pub fn new() -> Self {
        Driver {
            entries: Vec::new(),
            next_id: 0,
            next_port: 0,
            buf: vec![0u8; 65536].into_boxed_slice(),
            stats: DriverStats::default(),
            shared: None,
        }
    }

    /// An empty driver whose sessions all share one UDP socket bound to
    /// `addr` (port 0: any free port), with batched I/O; see the module
    /// documentation. Datagrams are handled up to 2,048 octets (a
    /// session's `max_packet` plus SRTP overhead must stay below that:
    /// longer received ones are dropped and counted in
    /// [`DriverStats::oversized`], longer outgoing ones are not sent).
    pub fn with_shared_port(addr: SocketAddr) -> Result<Self, DriverError> {
        let mut d = Self::new();
        d.shared = Some(Box::new(SharedPort::bind(addr)?));
        Ok(d)
    }

    /// The shared port's address, when the driver has one.
    pub fn shared_addr(&self) -> Option<SocketAddr> {
        self.shared.as_ref().map(|s| s.local_addr())
    }

    /// Starts a session. With a port per session, binds an even port from
    /// `range` on `cfg.local_addr`'s IP (its port is replaced by the bound
    /// one). On a shared port, `range` is not used: `cfg.local_addr`
    /// becomes the shared port's address, datagrams from
    /// `cfg.remote_addr` are routed to the session, and the session must
    /// use rtcp-mux.
    pub fn add_session(
        &mut self,
        mut cfg: SessionConfig,
        range: PortRange,
        now: Instant,
        ntp_now: u64,
        rng: Box<dyn RngCore + Send>,
    ) -> Result<SessionId, DriverError> {
        let id = SessionId(self.next_id);
        if let Some(shared) = self.shared.as_mut() {
            if let Some(rtcp) = cfg.remote_rtcp_addr {
                return Err(DriverError::RtcpMuxRequired(rtcp));
            }
            cfg.local_addr = shared.local_addr();
            let session = MediaSession::new(cfg, now, ntp_now, rng)?;
            let mut keys = Keys::default();
            shared.register(self.entries.len(), &mut keys, session.remote_addr());
            self.entries.push(Entry {
                id,
                ports: None,
                keys,
                session,
            });
        } else {
            let ip = cfg.local_addr.ip();
            let pair = cfg.remote_rtcp_addr.is_some();
            let (socket, send, rtcp) = self.bind_in(ip, range, pair)?;
            cfg.local_addr = socket.local_addr()?;
            let session = MediaSession::new(cfg, now, ntp_now, rng)?;
            self.entries.push(Entry {
                id,
                ports: Some(Ports { socket, send, rtcp }),
                keys: Keys::default(),
                session,
            });
        }
        self.next_id += 1;
        Ok(id)
    }

    /// Shared port: routes datagrams carrying `ssrc` that come from an
    /// address no session sends to (a peer behind a NAT, or one whose SDP
    /// address is not where its media comes from) to session `id`, for
    /// example from the SDP's `a=ssrc`. The session still latches to that
    /// address only after an authenticated packet. SSRCs of accepted
    /// packets are learned without this. Returns false for an unknown
    /// session or a driver without a shared port.
    pub fn expect_ssrc(&mut self, id: SessionId, ssrc: u32) -> bool {
        let Some(shared) = self.shared.as_mut() else {
            return false;
        };
        let Some(i) = self.entries.iter().position(|e| e.id == id) else {
            return false;
        };
        shared.expect_ssrc(i, &mut self.entries[i].keys, ssrc);
        true
    }

    #[allow(clippy::type_complexity)]
    fn bind_in(
        &mut self,
        ip: IpAddr,
        range: PortRange,
        pair: bool,
    ) -> Result<
        (
            UdpSocket,
            std::net::UdpSocket,
            Option<(UdpSocket, std::net::UdpSocket)>,
        ),
        DriverError,
    > {
        let first = range.first.div_ceil(2) * 2;
        if first > range.last {
            return Err(DriverError::NoFreePort {
                ip,
                first: range.first,
                last: range.last,
            });
        }
        let count = u32::from((range.last - first) / 2) + 1;
        let start = if (first..=range.last).contains(&self.next_port) {
            u32::from((self.next_port - first) / 2)
        } else {
            0
        };
        for k in 0..count {
            let port = first + (((start + k) % count) * 2) as u16;
            let rtp = match open_udp(SocketAddr::new(ip, port)) {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
                Err(e) => return Err(e.into()),
            };
            let rtcp = if pair {
                if port == u16::MAX {
                    continue;
                }
                match open_udp(SocketAddr::new(ip, port + 1)) {
                    Ok(s) => Some(s),
                    Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
                    Err(e) => return Err(e.into()),
                }
            } else {
                None
            };
            self.next_port = port.saturating_add(2);
            return Ok((rtp.0, rtp.1, rtcp));
        }
        Err(DriverError::NoFreePort {
            ip,
            first: range.first,
            last: range.last,
        })
    }

    /// Removes a session (after closing it and flushing its BYE).
    pub fn remove_session(&mut self, id: SessionId) -> Option<MediaSession> {
        let i = self.entries.iter().position(|e| e.id == id)?;
        let last = self.entries.len() - 1;
        if let Some(shared) = self.shared.as_mut() {
            shared.unregister(i, &self.entries[i].keys);
            if i != last {
                shared.moved(last, i, &self.entries[last].keys);
            }
        }
        Some(self.entries.swap_remove(i).session)
    }

    /// The session `id`.
    pub fn session(&mut self, id: SessionId) -> Option<&mut MediaSession> {
        self.entries
            .iter_mut()
            .find(|e| e.id == id)
            .map(|e| &mut e.session)
    }

    /// Every session with its id.
    pub fn sessions(&mut self) -> impl Iterator<Item = (SessionId, &mut MediaSession)> {
        self.entries.iter_mut().map(|e| (e.id, &mut e.session))
    }

    /// The local address of session `id`'s RTCP socket, when RTCP is not multiplexed.
    pub fn local_rtcp_addr(&self, id: SessionId) -> Option<SocketAddr> {
        let e = self.entries.iter().find(|e| e.id == id)?;
        let ports = e.ports.as_ref()?;
        ports.rtcp.as_ref().and_then(|(r, _)| r.local_addr().ok())
    }

    /// The local address of session `id`'s socket.
    pub fn local_addr(&self, id: SessionId) -> Option<SocketAddr> {
        let e = self.entries.iter().find(|e| e.id == id)?;
        match &e.ports {
            Some(p) => p.socket.local_addr().ok(),
            None => self.shared_addr(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> DriverStats {
        self.stats
    }

    /// Waits until at least one socket is readable.
    pub async fn readable(&self) {
        poll_fn(|cx| {
            if let Some(shared) = &self.shared {
                return shared.socket().poll_recv_ready(cx).map(|_| ());
            }
            let mut ready = false;
            for p in self.entries.iter().filter_map(|e| e.ports.as_ref()) {
                if p.socket.poll_recv_ready(cx).is_ready() {
                    ready = true;
                }
                if let Some((r, _)) = &p.rtcp {
                    if r.poll_recv_ready(cx).is_ready() {
                        ready = true;
                    }
                }
            }
            if ready {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    /// Receives everything the sockets hold now and feeds it to the
    /// sessions. Returns the number of datagrams.
    pub fn drain(&mut self, now: Instant) -> usize {
        if let Some(shared) = self.shared.as_mut() {
            return shared.drain(&mut self.entries, now, &mut self.stats);
        }
        let mut n = 0;
        for e in &mut self.entries {
            let Some(p) = &e.ports else {
                continue;
            };
            let socks = std::iter::once(&p.socket).chain(p.rtcp.as_ref().map(|(r, _)| r));
            for sock in socks {
                loop {
                    match sock.try_recv_from(&mut self.buf) {
                        Ok((len, src)) => {
                            n += 1;
                            self.stats.receive_calls += 1;
                            if let Handled::Other(_) =
                                e.session.handle_datagram(now, src, &mut self.buf[..len])
                            {
                                self.stats.other += 1;
                            }
                        }
                        Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                        // ICMP errors (port unreachable) surface here; skip them.
                        Err(_) => continue,
                    }
                }
            }
        }
        self.stats.received += n as u64;
        n
    }

    /// Sends every queued datagram of every session.
    pub fn flush(&mut self) {
        if let Some(shared) = self.shared.as_mut() {
            shared.flush(&mut self.entries, &mut self.stats);
            return;
        }
        for e in &mut self.entries {
            Self::flush_entry(e, &mut self.stats);
        }
    }

    fn flush_entry(e: &mut Entry, stats: &mut DriverStats) {
        let Some(p) = &e.ports else {
            return;
        };
        // Straight from the session's buffer: no copy per packet.
        while let Some((t, datagram)) = e.session.poll_datagram() {
            stats.send_calls += 1;
            let sock = match (&p.rtcp, t.rtcp) {
                (Some((_, rtcp)), true) => rtcp,
                _ => &p.send,
            };
            match sock.send_to(datagram, t.destination) {
                Ok(_) => stats.sent += 1,
                Err(_) => stats.send_dropped += 1,
            }
        }
    }

    /// Runs the sessions' timers that are due.
    pub fn handle_timeouts(&mut self, now: Instant) {
        for e in &mut self.entries {
            if e.session.poll_timeout().is_some_and(|t| t <= now) {
                e.session.handle_timeout(now);
            }
        }
    }

    /// The earliest session deadline.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.entries
            .iter()
            .filter_map(|e| e.session.poll_timeout())
            .min()
    }

    /// Waits for datagrams or the next deadline, then processes both and
    /// sends what the sessions queued. The clock is read here, in the
    /// driver, never in the sessions.
    pub async fn run_once(&mut self) {
        let deadline = self.next_timeout();
        tokio::select! {
            _ = self.readable() => {}
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            } => {}
        }
        let now = Instant::now();
        self.drain(now);
        self.handle_timeouts(now);
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jitter::Playout;
    use crate::session::{MediaSecurity, SrtpKeys};
    use crate::srtp::{MasterKey, SrtpConfig, SrtpProfile};
    use rand::SeedableRng;

    fn keys(a: u8, b: u8) -> SrtpKeys {
        let p = SrtpProfile::Aes128CmHmacSha1_80;
        let k = |s: u8| MasterKey::from_key_salt(p, &[s; 30]).unwrap();
        SrtpKeys {
            profile: p,
            local: vec![k(a)],
            remote: vec![k(b)],
            config: SrtpConfig::default(),
        }
    }

    /// Receives until `n` datagrams arrived. The timeout only turns a lost
    /// loopback datagram into a failure instead of a hang; nothing is timed.
    async fn recv_until(d: &mut Driver, n: u64) {
        let wait = async {
            while d.stats().received < n {
                d.readable().await;
                d.drain(Instant::now());
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), wait)
            .await
            .expect("datagram lost on loopback");
    }

    #[tokio::test]
    async fn two_sessions_talk_over_loopback() {
        let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let range = PortRange {
            first: 41000,
            last: 41999,
        };
        let now = Instant::now();
        let mut d = Driver::new();
        let mut ca = SessionConfig::new(lo, lo);
        ca.security = MediaSecurity::Srtp(keys(1, 2));
        let a = d
            .add_session(
                ca,
                range,
                now,
                0,
                Box::new(rand::rngs::StdRng::seed_from_u64(1)),
            )
            .unwrap();
        let a_addr = d.local_addr(a).unwrap();
        assert_eq!(a_addr.port() % 2, 0);
        let mut cb = SessionConfig::new(lo, a_addr);
        cb.security = MediaSecurity::Srtp(keys(2, 1));
        let b = d
            .add_session(
                cb,
                range,
                now,
                0,
                Box::new(rand::rngs::StdRng::seed_from_u64(2)),
            )
            .unwrap();
        let b_addr = d.local_addr(b).unwrap();
        assert_ne!(a_addr, b_addr);
        // A was configured with a wrong peer address: latching fixes it.
        d.session(b).unwrap().send_frame(&[7; 160], 160).unwrap();
        d.flush();
        recv_until(&mut d, 1).await;
        assert_eq!(d.session(a).unwrap().remote_addr(), b_addr);
        assert!(
            matches!(d.session(a).unwrap().pull_frame(), Playout::Frame(f) if f.payload == [7; 160])
        );
        d.session(a).unwrap().send_frame(&[8; 160], 160).unwrap();
        d.flush();
        recv_until(&mut d, 2).await;
        assert!(
            matches!(d.session(b).unwrap().pull_frame(), Playout::Frame(f) if f.payload == [8; 160])
        );
        assert_eq!(d.stats().send_dropped, 0);
        assert!(d.remove_session(a).is_some());
    }

    #[tokio::test]
    async fn without_rtcp_mux_the_rtcp_port_is_rtp_plus_one() {
        let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let peer_rtp: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let mut cfg = SessionConfig::new(lo, peer_rtp);
        cfg.remote_rtcp_addr = Some("127.0.0.1:11".parse().unwrap());
        let mut d = Driver::new();
        let id = d
            .add_session(
                cfg,
                PortRange {
                    first: 43001,
                    last: 43999,
                },
                Instant::now(),
                0,
                Box::new(rand::rngs::StdRng::seed_from_u64(3)),
            )
            .unwrap();
        let rtp = d.local_addr(id).unwrap();
        assert_eq!(rtp.port() % 2, 0);
        assert!(rtp.port() >= 43002);
        assert_eq!(d.local_rtcp_addr(id).unwrap().port(), rtp.port() + 1);
        // An RTCP packet to the RTCP port reaches the session.
        let s = std::net::UdpSocket::bind(lo).unwrap();
        let mut rr = [0u8; 64];
        let n = crate::rtcp::RtcpWriter::new(&mut rr)
            .receiver_report(5, &[])
            .unwrap()
            .len();
        s.send_to(&rr[..n], d.local_rtcp_addr(id).unwrap()).unwrap();
        recv_until(&mut d, 1).await;
        assert_eq!(d.session(id).unwrap().stats().packets_dropped, 0);
    }
}
