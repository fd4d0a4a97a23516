//! DTLS-SRTP without rtcp-mux (RFC 5764 §4.1): a second handshake on the
//! RTCP port keys SRTCP, in virtual time, for each role and backend, with
//! loss on the RTCP port only.
#![allow(clippy::field_reassign_with_default)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use super::tests::{addr, ids, remote};
use super::*;
use crate::session::{MediaSecurity, MediaSession, SessionConfig, SessionEvent};

/// One side of a call without rtcp-mux: two associations, one session.
struct Side {
    rtp: DtlsSrtp,
    rtcp: DtlsSrtp,
    media: MediaSession,
    rtp_addr: SocketAddr,
    rtcp_addr: SocketAddr,
    identity: DtlsIdentity,
}

fn side(local: u16, remote_port: u16, cfg: &DtlsConfig, id: &DtlsIdentity, now: Instant) -> Side {
    let ip = "127.0.0.1";
    let (l, r) = (
        addr(&format!("{ip}:{local}")),
        addr(&format!("{ip}:{remote_port}")),
    );
    let (l_rtcp, r_rtcp) = (
        addr(&format!("{ip}:{}", local + 1)),
        addr(&format!("{ip}:{}", remote_port + 1)),
    );
    let mut sc = SessionConfig::new(l, r);
    sc.remote_rtcp_addr = Some(r_rtcp);
    sc.security = MediaSecurity::Pending;
    sc.separate_rtcp_keys = true;
    let media = MediaSession::new(
        sc,
        now,
        0,
        Box::new(rand::rngs::StdRng::seed_from_u64(u64::from(local))),
    )
    .unwrap();
    Side {
        rtp: DtlsSrtp::new(cfg.clone(), id.clone(), r),
        rtcp: DtlsSrtp::new_rtcp(cfg.clone(), id.clone(), r_rtcp),
        media,
        rtp_addr: l,
        rtcp_addr: l_rtcp,
        identity: id.clone(),
    }
}

/// Both sides' four associations over a network that can lose and reorder
/// RTCP-port datagrams only.
struct Net {
    rng: rand::rngs::StdRng,
    now: Instant,
    /// Loss on the RTCP port (both directions).
    rtcp_loss: f64,
    /// RTCP-port datagrams are lost before this time.
    rtcp_down_until: Option<Instant>,
    jitter: Duration,
    /// (deliver at, to b?, on the RTCP port?, datagram)
    flight: Vec<(Instant, bool, bool, Vec<u8>)>,
    rtcp_sent: usize,
    rtcp_lost: usize,
}

impl Net {
    fn new(now: Instant, seed: u64) -> Self {
        Net {
            rng: rand::rngs::StdRng::seed_from_u64(seed),
            now,
            rtcp_loss: 0.0,
            rtcp_down_until: None,
            jitter: Duration::ZERO,
            flight: Vec::new(),
            rtcp_sent: 0,
            rtcp_lost: 0,
        }
    }

    fn send(&mut self, to_b: bool, rtcp_port: bool, d: Vec<u8>) {
        let mut at = self.now + Duration::from_millis(10);
        if rtcp_port {
            self.rtcp_sent += 1;
            if self.rtcp_down_until.is_some_and(|t| self.now < t)
                || self.rng.gen_bool(self.rtcp_loss)
            {
                self.rtcp_lost += 1;
                return;
            }
            at += self.jitter.mul_f64(self.rng.gen::<f64>());
        }
        self.flight.push((at, to_b, rtcp_port, d));
    }

    /// Takes every datagram `s` wants to send (DTLS of both ports and media).
    fn collect(&mut self, s: &mut Side, to_b: bool) {
        let mut buf = [0u8; 2048];
        while let Some(t) = s.rtp.poll_transmit(&mut buf) {
            assert!(!t.rtcp, "the RTP port's DTLS leaves from the RTP port");
            self.send(to_b, false, buf[..t.len].to_vec());
        }
        while let Some(t) = s.rtcp.poll_transmit(&mut buf) {
            assert!(t.rtcp, "the RTCP port's DTLS leaves from the RTCP port");
            self.send(to_b, true, buf[..t.len].to_vec());
        }
        while let Some(t) = s.media.poll_transmit(&mut buf) {
            self.send(to_b, t.rtcp, buf[..t.len].to_vec());
        }
    }

    fn deliver(
        to: &mut Side,
        from: (SocketAddr, SocketAddr),
        rtcp_port: bool,
        d: &mut [u8],
        now: Instant,
    ) {
        if rtcp_port {
            to.rtcp.handle_datagram(now, from.1, d, &mut to.media);
        } else {
            to.rtp.handle_datagram(now, from.0, d, &mut to.media);
        }
    }

    /// Runs the handshakes until all four associations are settled and
    /// the network is quiet, or `limit` of virtual time has passed. The
    /// sessions' own timers (RTCP) do not run here.
    fn run(&mut self, a: &mut Side, b: &mut Side, limit: Duration) {
        let end = self.now + limit;
        loop {
            self.collect(a, true);
            self.collect(b, false);
            let settled =
                |d: &DtlsSrtp| matches!(d.state(), DtlsState::Connected | DtlsState::Failed);
            if [&a.rtp, &a.rtcp, &b.rtp, &b.rtcp]
                .iter()
                .all(|d| settled(d))
                && self.flight.is_empty()
            {
                return;
            }
            let timers = [&a.rtp, &a.rtcp, &b.rtp, &b.rtcp].map(|d| d.poll_timeout());
            let next = self
                .flight
                .iter()
                .map(|f| f.0)
                .chain(timers.into_iter().flatten())
                .min();
            let Some(next) = next else { return };
            if next > end {
                return;
            }
            self.now = self.now.max(next);
            let now = self.now;
            let (due, rest): (Vec<_>, Vec<_>) = self.flight.drain(..).partition(|f| f.0 <= now);
            self.flight = rest;
            for (_, to_b, rtcp_port, mut d) in due {
                if to_b {
                    Self::deliver(b, (a.rtp_addr, a.rtcp_addr), rtcp_port, &mut d, now);
                } else {
                    Self::deliver(a, (b.rtp_addr, b.rtcp_addr), rtcp_port, &mut d, now);
                }
            }
            for s in [&mut *a, &mut *b] {
                s.rtp.handle_timeout(now, &mut s.media);
                s.rtcp.handle_timeout(now, &mut s.media);
            }
        }
    }
}

/// Both sides set up from the "SDP": `a` is the DTLS client on both ports.
fn start(a: &mut Side, b: &mut Side, now: Instant) {
    let (ra, rb) = (
        remote(DtlsRole::Client, &b.identity),
        remote(DtlsRole::Server, &a.identity),
    );
    a.rtp.set_remote(now, ra.clone(), &mut a.media).unwrap();
    a.rtcp.set_remote(now, ra, &mut a.media).unwrap();
    b.rtp.set_remote(now, rb.clone(), &mut b.media).unwrap();
    b.rtcp.set_remote(now, rb, &mut b.media).unwrap();
}

fn pair(ca: &DtlsConfig, cb: &DtlsConfig, now: Instant) -> (Side, Side) {
    let [ia, ib, _] = ids();
    (
        side(46000, 47000, ca, ia, now),
        side(47000, 46000, cb, ib, now),
    )
}

/// One RTP frame from `from` to `to` over the RTP port; true when accepted.
fn rtp_flows(from: &mut Side, to: &mut Side, now: Instant) -> bool {
    let before = to.media.stats().packets_received;
    from.media.send_frame(&[0x55; 160], 160).unwrap();
    let mut buf = [0u8; 1500];
    let t = from.media.poll_transmit(&mut buf).unwrap();
    assert!(!t.rtcp);
    to.rtp
        .handle_datagram(now, from.rtp_addr, &mut buf[..t.len], &mut to.media);
    to.media.stats().packets_received == before + 1
}

/// Runs `from`'s RTCP timer at `at` and delivers its reports to `to`'s
/// RTCP port; returns (reports sent, reports `to` unprotected).
fn rtcp_flows(from: &mut Side, to: &mut Side, at: Instant) -> (usize, u64) {
    let before = to.media.stats().srtp_rx.rtcp_unprotected;
    from.media.handle_timeout(at);
    let mut buf = [0u8; 1500];
    let mut sent = 0;
    while let Some(t) = from.media.poll_transmit(&mut buf) {
        assert!(t.rtcp, "only RTCP is due");
        assert_eq!(t.destination, to.rtcp_addr);
        sent += 1;
        to.rtcp
            .handle_datagram(at, from.rtcp_addr, &mut buf[..t.len], &mut to.media);
    }
    (sent, to.media.stats().srtp_rx.rtcp_unprotected - before)
}

fn assert_all_connected(a: &Side, b: &Side) {
    for (n, d) in [
        ("a rtp", &a.rtp),
        ("a rtcp", &a.rtcp),
        ("b rtp", &b.rtp),
        ("b rtcp", &b.rtcp),
    ] {
        assert!(d.is_connected(), "{n}: {:?} {:?}", d.state(), d.error());
    }
    // Two handshakes, two sets of keys; each port's pair agrees.
    assert_eq!(a.rtp.keying_material(), b.rtp.keying_material());
    assert_eq!(a.rtcp.keying_material(), b.rtcp.keying_material());
    assert_ne!(a.rtp.keying_material(), a.rtcp.keying_material());
    assert_eq!(a.rtcp.peer_fingerprint(), Some(b.identity.fingerprint()));
    assert_eq!(b.rtcp.peer_fingerprint(), Some(a.identity.fingerprint()));
}

/// The full check for one pair of configurations, `a` the DTLS client.
fn both_ports_key_their_own_streams(ca: DtlsConfig, cb: DtlsConfig) {
    let now = Instant::now();
    let (mut a, mut b) = pair(&ca, &cb, now);
    start(&mut a, &mut b, now);
    let mut net = Net::new(now, 5);
    net.run(&mut a, &mut b, Duration::from_secs(30));
    assert_all_connected(&a, &b);
    assert!(rtp_flows(&mut a, &mut b, net.now));
    assert!(rtp_flows(&mut b, &mut a, net.now));
    let later = net.now + Duration::from_secs(10);
    assert_eq!(rtcp_flows(&mut a, &mut b, later), (1, 1));
    assert_eq!(rtcp_flows(&mut b, &mut a, later), (1, 1));
    // b's report block on a's stream came back to a: RTT measured.
    let t = later + Duration::from_secs(10);
    assert_eq!(rtcp_flows(&mut a, &mut b, t), (1, 1));
    assert_eq!(rtcp_flows(&mut b, &mut a, t), (1, 1));
    assert!(a.media.stats().rtt.is_some());
    assert_eq!(
        (a.media.stats().rtcp_sent, a.media.stats().rtcp_received),
        (2, 2)
    );
    assert_eq!(a.media.stats().packets_dropped, 0);
    assert_eq!(b.media.stats().packets_dropped, 0);
}

#[test]
fn rtcp_port_has_its_own_handshake_in_both_roles() {
    both_ports_key_their_own_streams(DtlsConfig::default(), DtlsConfig::default());
    // b as the client: swap who calls `start` first by swapping the sides.
    let now = Instant::now();
    let (mut b, mut a) = pair(&DtlsConfig::default(), &DtlsConfig::default(), now);
    start(&mut a, &mut b, now);
    let mut net = Net::new(now, 9);
    net.run(&mut a, &mut b, Duration::from_secs(30));
    assert_all_connected(&a, &b);
    let later = net.now + Duration::from_secs(10);
    assert_eq!(rtcp_flows(&mut a, &mut b, later), (1, 1));
    assert_eq!(rtcp_flows(&mut b, &mut a, later), (1, 1));
}

#[test]
fn srtcp_is_not_keyed_by_the_rtp_port() {
    let now = Instant::now();
    let (mut a, mut b) = pair(&DtlsConfig::default(), &DtlsConfig::default(), now);
    start(&mut a, &mut b, now);
    let mut net = Net::new(now, 6);
    net.run(&mut a, &mut b, Duration::from_secs(30));
    assert_all_connected(&a, &b);
    // A report protected with the RTP port's keys (what a peer that
    // skipped the RTCP handshake would send) fails authentication.
    let mut rogue = b.media.config().clone();
    rogue.separate_rtcp_keys = false;
    rogue.security = MediaSecurity::Srtp(
        b.rtp
            .keying_material()
            .unwrap()
            .srtp_keys(
                b.rtp.profile().unwrap(),
                DtlsRole::Server,
                Default::default(),
            )
            .unwrap(),
    );
    let mut rogue = MediaSession::new(
        rogue,
        now,
        0,
        Box::new(rand::rngs::StdRng::seed_from_u64(3)),
    )
    .unwrap();
    let at = net.now + Duration::from_secs(10);
    rogue.handle_timeout(at);
    let mut buf = [0u8; 1500];
    let t = rogue.poll_transmit(&mut buf).unwrap();
    assert!(t.rtcp);
    let before = a.media.stats();
    a.rtcp
        .handle_datagram(at, b.rtcp_addr, &mut buf[..t.len], &mut a.media);
    let after = a.media.stats();
    assert_eq!(after.packets_dropped, before.packets_dropped + 1);
    assert_eq!(
        after.srtp_rx.auth_failures,
        before.srtp_rx.auth_failures + 1
    );
    assert_eq!(
        after.srtp_rx.rtcp_unprotected,
        before.srtp_rx.rtcp_unprotected
    );
}

#[test]
fn srtcp_waits_for_its_own_handshake_and_rtp_does_not() {
    let now = Instant::now();
    let (mut a, mut b) = pair(&DtlsConfig::default(), &DtlsConfig::default(), now);
    start(&mut a, &mut b, now);
    let mut net = Net::new(now, 7);
    // The RTCP port is cut for the first 2.5 s: the client's first
    // ClientHello and its first retransmission are lost.
    net.rtcp_down_until = Some(now + Duration::from_millis(2500));
    net.run(&mut a, &mut b, Duration::from_millis(1500));
    assert!(a.rtp.is_connected() && b.rtp.is_connected());
    assert_eq!(a.rtcp.state(), DtlsState::Handshaking);
    assert_eq!(b.rtcp.state(), DtlsState::Handshaking);
    assert_eq!(a.rtp.stats().handshakes, 1);
    // RTP flows both ways already.
    assert!(rtp_flows(&mut a, &mut b, net.now));
    assert!(rtp_flows(&mut b, &mut a, net.now));
    // RTCP does not: nothing is sent while the RTCP keys are pending...
    assert!(a.media.rtcp_keys_pending());
    a.media.send_frame(&[0; 160], 160).unwrap();
    let at = net.now + Duration::from_millis(10);
    a.media.handle_timeout(at);
    let mut buf = [0u8; 1500];
    while let Some(t) = a.media.poll_transmit(&mut buf) {
        assert!(!t.rtcp, "no RTCP before the RTCP port is keyed");
    }
    // ...and a report that arrives early is held, not decrypted.
    let mut early = b.media.config().clone();
    early.security = MediaSecurity::None;
    early.separate_rtcp_keys = false;
    let mut plain = MediaSession::new(
        early,
        now,
        0,
        Box::new(rand::rngs::StdRng::seed_from_u64(4)),
    )
    .unwrap();
    plain.handle_timeout(at + Duration::from_secs(10));
    let t = plain.poll_transmit(&mut buf).unwrap();
    a.rtcp
        .handle_datagram(at, b.rtcp_addr, &mut buf[..t.len], &mut a.media);
    assert_eq!(a.rtcp.stats().media_held, 1);
    // The RTCP port comes back: the retransmitted flight gets through.
    net.run(&mut a, &mut b, Duration::from_secs(30));
    assert_all_connected(&a, &b);
    assert!(a.rtcp.stats().dtls_sent > 4, "{:?}", a.rtcp.stats());
    // The held plain report was replayed into SRTCP and refused.
    assert_eq!(a.media.stats().srtp_rx.rtcp_unprotected, 0);
    let later = net.now + Duration::from_secs(10);
    assert_eq!(rtcp_flows(&mut a, &mut b, later), (1, 1));
    assert_eq!(rtcp_flows(&mut b, &mut a, later), (1, 1));
}

#[test]
fn rtcp_port_handshake_survives_loss_and_reordering() {
    // What the RTP port sends on a clean network, for comparison.
    let now = Instant::now();
    let (mut a, mut b) = pair(&DtlsConfig::default(), &DtlsConfig::default(), now);
    start(&mut a, &mut b, now);
    Net::new(now, 99).run(&mut a, &mut b, Duration::from_secs(60));
    let clean = (a.rtp.stats().dtls_sent, b.rtp.stats().dtls_sent);
    let mut lost = 0;
    for seed in 0..4 {
        let now = Instant::now();
        let (mut a, mut b) = pair(&DtlsConfig::default(), &DtlsConfig::default(), now);
        start(&mut a, &mut b, now);
        let mut net = Net::new(now, 100 + seed);
        net.rtcp_loss = 0.3;
        net.jitter = Duration::from_millis(300);
        net.run(&mut a, &mut b, Duration::from_secs(60));
        assert_all_connected(&a, &b);
        // The RTP port's handshake is untouched by the RTCP port's loss:
        // no retransmission, the same datagrams as on a clean network.
        assert_eq!((a.rtp.stats().dtls_sent, b.rtp.stats().dtls_sent), clean);
        lost += net.rtcp_lost;
        let later = net.now + Duration::from_secs(10);
        assert_eq!(rtcp_flows(&mut a, &mut b, later), (1, 1), "seed {seed}");
        assert_eq!(rtcp_flows(&mut b, &mut a, later), (1, 1), "seed {seed}");
    }
    assert!(lost >= 4, "the network lost {lost} RTCP-port datagrams");
}

#[test]
fn rtcp_port_failure_leaves_rtp_running() {
    let now = Instant::now();
    let mut cfg = DtlsConfig::default();
    cfg.handshake_timeout = Duration::from_secs(8);
    let (mut a, mut b) = pair(&cfg, &cfg, now);
    start(&mut a, &mut b, now);
    let mut net = Net::new(now, 8);
    net.rtcp_loss = 1.0;
    net.run(&mut a, &mut b, Duration::from_secs(60));
    assert!(a.rtp.is_connected() && b.rtp.is_connected());
    for d in [&a.rtcp, &b.rtcp] {
        assert_eq!(d.state(), DtlsState::Failed);
        assert!(matches!(
            d.error(),
            Some(DtlsError::Timeout(_)) | Some(DtlsError::Handshake(_))
        ));
    }
    assert!(matches!(a.rtcp.poll_event(), Some(DtlsEvent::Failed(_))));
    assert!(rtp_flows(&mut a, &mut b, net.now));
    assert!(rtp_flows(&mut b, &mut a, net.now));
    assert!(a.media.rtcp_keys_pending());
    let later = net.now + Duration::from_secs(10);
    assert_eq!(rtcp_flows(&mut a, &mut b, later), (0, 0));
    assert_eq!(a.media.stats().rtcp_sent, 0);
}

#[test]
fn reinvite_restarts_each_port_and_clears_only_its_keys() {
    let now = Instant::now();
    let (mut a, mut b) = pair(&DtlsConfig::default(), &DtlsConfig::default(), now);
    start(&mut a, &mut b, now);
    let mut net = Net::new(now, 10);
    net.run(&mut a, &mut b, Duration::from_secs(30));
    assert_all_connected(&a, &b);
    let old = a.rtcp.keying_material().cloned();
    // Only the RTCP port restarts (say the peer re-keyed RTCP alone).
    let t = net.now;
    let [_, _, ic] = ids();
    b.identity = ic.clone();
    let mut b2 = DtlsSrtp::new_rtcp(DtlsConfig::default(), ic.clone(), a.rtcp_addr);
    b2.set_remote(t, remote(DtlsRole::Server, &a.identity), &mut b.media)
        .unwrap();
    b.rtcp = b2;
    assert_eq!(
        a.rtcp
            .set_remote(t, remote(DtlsRole::Client, ic), &mut a.media)
            .unwrap(),
        RemoteUpdate::Restarted
    );
    assert!(a.media.rtcp_keys_pending());
    // RTP keeps its keys meanwhile.
    assert!(rtp_flows(&mut a, &mut b, t));
    net.run(&mut a, &mut b, Duration::from_secs(30));
    assert!(a.rtcp.is_connected() && b.rtcp.is_connected());
    assert_ne!(a.rtcp.keying_material().cloned(), old);
    let later = net.now + Duration::from_secs(10);
    assert_eq!(rtcp_flows(&mut a, &mut b, later), (1, 1));
    assert_eq!(rtcp_flows(&mut b, &mut a, later), (1, 1));
}

#[test]
fn session_event_stream_reports_the_peer_on_srtcp() {
    let now = Instant::now();
    let (mut a, mut b) = pair(&DtlsConfig::default(), &DtlsConfig::default(), now);
    start(&mut a, &mut b, now);
    let mut net = Net::new(now, 11);
    net.run(&mut a, &mut b, Duration::from_secs(30));
    assert!(rtp_flows(&mut a, &mut b, net.now));
    let later = net.now + Duration::from_secs(10);
    // b reports on a's stream over SRTCP: a sees a RemoteReport.
    assert_eq!(rtcp_flows(&mut b, &mut a, later), (1, 1));
    let mut reports = 0;
    while let Some(e) = a.media.poll_event() {
        if matches!(e, SessionEvent::RemoteReport { .. }) {
            reports += 1;
        }
    }
    assert_eq!(reports, 1);
}

#[cfg(feature = "dtls-openssl")]
#[test]
fn openssl_backend_runs_the_rtcp_port_too() {
    let ossl = DtlsConfig {
        backend: DtlsBackend::OpenSsl,
        ..DtlsConfig::default()
    };
    // OpenSSL on both sides, then each mixed pairing in both roles.
    both_ports_key_their_own_streams(ossl.clone(), ossl.clone());
    both_ports_key_their_own_streams(ossl.clone(), DtlsConfig::default());
    both_ports_key_their_own_streams(DtlsConfig::default(), ossl);
}
