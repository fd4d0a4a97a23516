//! Two DTLS-SRTP endpoints with media sessions, in virtual time, over a
//! simulated network with loss and reordering.
// Each test reads best as "the default, with this one change".
#![allow(clippy::field_reassign_with_default)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use super::*;
use crate::session::{MediaSecurity, MediaSession, SessionConfig, SessionError};

pub(crate) fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const A: &str = "127.0.0.1:41000";
const B: &str = "127.0.0.1:42000";

pub(crate) struct Peer {
    pub dtls: DtlsSrtp,
    pub media: MediaSession,
    pub addr: SocketAddr,
    pub identity: DtlsIdentity,
}

pub(crate) fn peer(
    local: &str,
    remote: &str,
    cfg: DtlsConfig,
    identity: &DtlsIdentity,
    now: Instant,
    seed: u64,
) -> Peer {
    let mut sc = SessionConfig::new(addr(local), addr(remote));
    sc.security = MediaSecurity::Pending;
    let media = MediaSession::new(
        sc,
        now,
        0,
        Box::new(rand::rngs::StdRng::seed_from_u64(seed)),
    )
    .unwrap();
    Peer {
        dtls: DtlsSrtp::new(cfg, identity.clone(), addr(remote)),
        media,
        addr: addr(local),
        identity: identity.clone(),
    }
}

/// Shared test certificates (generation costs about a millisecond each).
pub(crate) fn ids() -> &'static [DtlsIdentity; 3] {
    static IDS: std::sync::OnceLock<[DtlsIdentity; 3]> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        [
            DtlsIdentity::generate().unwrap(),
            DtlsIdentity::generate().unwrap(),
            DtlsIdentity::generate().unwrap(),
        ]
    })
}

/// A lossy, reordering network between two peers, in virtual time.
pub(crate) struct Net {
    rng: rand::rngs::StdRng,
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Extra random delay up to this (reorders datagrams).
    pub jitter: Duration,
    pub delay: Duration,
    /// (deliver at, to B?, datagram)
    flight: Vec<(Instant, bool, Vec<u8>)>,
    pub now: Instant,
    pub sent: usize,
}

impl Net {
    pub fn new(now: Instant, seed: u64) -> Self {
        Net {
            rng: rand::rngs::StdRng::seed_from_u64(seed),
            loss: 0.0,
            jitter: Duration::ZERO,
            delay: Duration::from_millis(10),
            flight: Vec::new(),
            now,
            sent: 0,
        }
    }

    fn collect(&mut self, p: &mut Peer, to_b: bool) {
        let mut buf = [0u8; 2048];
        while let Some(t) = p.dtls.poll_transmit(&mut buf) {
            self.send(to_b, buf[..t.len].to_vec());
        }
        while let Some(t) = p.media.poll_transmit(&mut buf) {
            self.send(to_b, buf[..t.len].to_vec());
        }
    }

    pub fn send(&mut self, to_b: bool, d: Vec<u8>) {
        self.sent += 1;
        if self.rng.gen_bool(self.loss) {
            return;
        }
        let extra = if self.jitter.is_zero() {
            Duration::ZERO
        } else {
            self.jitter.mul_f64(self.rng.gen::<f64>())
        };
        self.flight.push((self.now + self.delay + extra, to_b, d));
    }

    /// Runs until both are connected or failed (and the network is quiet),
    /// or `limit` of virtual time has passed.
    pub fn run(&mut self, a: &mut Peer, b: &mut Peer, limit: Duration) {
        let end = self.now + limit;
        loop {
            self.collect(a, true);
            self.collect(b, false);
            let settled =
                |p: &Peer| matches!(p.dtls.state(), DtlsState::Connected | DtlsState::Failed);
            if settled(a) && settled(b) && self.flight.is_empty() {
                return;
            }
            let next_net = self.flight.iter().map(|f| f.0).min();
            let next = [next_net, a.dtls.poll_timeout(), b.dtls.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next else { return };
            if next > end {
                return;
            }
            self.now = self.now.max(next);
            let now = self.now;
            let (due, rest): (Vec<_>, Vec<_>) = self.flight.drain(..).partition(|f| f.0 <= now);
            self.flight = rest;
            for (_, to_b, mut d) in due {
                let (to, src) = if to_b {
                    (&mut *b, a.addr)
                } else {
                    (&mut *a, b.addr)
                };
                to.dtls.handle_datagram(now, src, &mut d, &mut to.media);
            }
            a.dtls.handle_timeout(now, &mut a.media);
            b.dtls.handle_timeout(now, &mut b.media);
        }
    }
}

pub(crate) fn remote(role: DtlsRole, of: &DtlsIdentity) -> RemoteDtls {
    RemoteDtls::new(role, vec![of.fingerprint().clone()])
}

/// Starts both sides: `a` is the DTLS client.
pub(crate) fn start(a: &mut Peer, b: &mut Peer, now: Instant) {
    let (ra, rb) = (
        remote(DtlsRole::Client, &b.identity),
        remote(DtlsRole::Server, &a.identity),
    );
    assert_eq!(
        a.dtls.set_remote(now, ra, &mut a.media),
        Ok(RemoteUpdate::Started)
    );
    assert_eq!(
        b.dtls.set_remote(now, rb, &mut b.media),
        Ok(RemoteUpdate::Started)
    );
}

/// One frame from `from` to `to` through the wrappers; true when `to`
/// accepted it.
pub(crate) fn media_flows(from: &mut Peer, to: &mut Peer, now: Instant) -> bool {
    let before = to.media.stats().packets_received;
    from.media.send_frame(&[0x55; 160], 160).unwrap();
    let mut buf = [0u8; 1500];
    let t = from.media.poll_transmit(&mut buf).unwrap();
    to.dtls
        .handle_datagram(now, from.addr, &mut buf[..t.len], &mut to.media);
    to.media.stats().packets_received == before + 1
}

fn connected_event(p: &mut Peer) -> (SrtpProfile, Fingerprint) {
    while let Some(e) = p.dtls.poll_event() {
        if let DtlsEvent::Connected {
            profile,
            peer_fingerprint,
        } = e
        {
            return (profile, peer_fingerprint);
        }
    }
    panic!(
        "no Connected event: state {:?}, error {:?}",
        p.dtls.state(),
        p.dtls.error()
    );
}

pub(crate) fn handshake(ca: DtlsConfig, cb: DtlsConfig, seed: u64) -> (Peer, Peer, Net) {
    let now = Instant::now();
    let [ia, ib, _] = ids();
    let mut a = peer(A, B, ca, ia, now, seed);
    let mut b = peer(B, A, cb, ib, now, seed + 1);
    let mut net = Net::new(now, seed);
    start(&mut a, &mut b, now);
    net.run(&mut a, &mut b, Duration::from_secs(60));
    (a, b, net)
}

fn assert_connected(a: &mut Peer, b: &mut Peer, net: &Net) -> SrtpProfile {
    assert!(
        a.dtls.is_connected(),
        "a: {:?} {:?}",
        a.dtls.state(),
        a.dtls.error()
    );
    assert!(
        b.dtls.is_connected(),
        "b: {:?} {:?}",
        b.dtls.state(),
        b.dtls.error()
    );
    let (pa, fa) = connected_event(a);
    let (pb, fb) = connected_event(b);
    assert_eq!(pa, pb);
    assert_eq!(&fa, b.identity.fingerprint());
    assert_eq!(&fb, a.identity.fingerprint());
    assert_eq!(
        a.dtls.keying_material().unwrap(),
        b.dtls.keying_material().unwrap()
    );
    assert!(media_flows(a, b, net.now));
    assert!(media_flows(b, a, net.now));
    pa
}

#[test]
fn handshake_both_roles_then_media_flows() {
    // a is the client in `handshake`; swap the configs' order by swapping
    // which peer is asked first: both directions of media are checked.
    let (mut a, mut b, net) = handshake(DtlsConfig::default(), DtlsConfig::default(), 1);
    assert_eq!(
        assert_connected(&mut a, &mut b, &net),
        SrtpProfile::AeadAes256Gcm
    );
    assert_eq!(a.dtls.stats().handshakes, 1);

    // Server role first: b's identity is the client this time.
    let now = Instant::now();
    let [ia, ib, _] = ids();
    let mut s = peer(A, B, DtlsConfig::default(), ia, now, 7);
    let mut c = peer(B, A, DtlsConfig::default(), ib, now, 8);
    start(&mut c, &mut s, now);
    let mut net = Net::new(now, 3);
    net.run(&mut s, &mut c, Duration::from_secs(5));
    assert_connected(&mut s, &mut c, &net);
}

#[test]
fn handshake_survives_loss_and_reordering() {
    for seed in 0..12u64 {
        let mut cfg = DtlsConfig::default();
        cfg.max_retransmissions = 12;
        cfg.handshake_timeout = Duration::from_secs(600);
        let now = Instant::now();
        let [ia, ib, _] = ids();
        let mut a = peer(A, B, cfg.clone(), ia, now, seed);
        let mut b = peer(B, A, cfg, ib, now, seed + 100);
        let mut net = Net::new(now, seed);
        net.loss = 0.3;
        net.jitter = Duration::from_millis(300);
        start(&mut a, &mut b, now);
        net.run(&mut a, &mut b, Duration::from_secs(600));
        net.loss = 0.0;
        assert_connected(&mut a, &mut b, &net);
    }
}

#[test]
fn retransmission_runs_on_the_virtual_clock() {
    // The first ClientHello is lost: the client sends it again after the
    // initial RTO (1 s, ±25 % jitter in dimpl), on the caller's clock.
    let now = Instant::now();
    let [ia, ib, _] = ids();
    let mut a = peer(A, B, DtlsConfig::default(), ia, now, 1);
    let mut b = peer(B, A, DtlsConfig::default(), ib, now, 2);
    start(&mut a, &mut b, now);
    let mut buf = [0u8; 2048];
    let mut first = 0;
    while a.dtls.poll_transmit(&mut buf).is_some() {
        first += 1;
    }
    assert!(first >= 1);
    let t = a.dtls.poll_timeout().unwrap();
    assert!(
        t >= now + Duration::from_millis(750) && t <= now + Duration::from_millis(1250),
        "{:?}",
        t - now
    );
    // Nothing before the timer.
    a.dtls
        .handle_timeout(t - Duration::from_millis(1), &mut a.media);
    assert!(a.dtls.poll_transmit(&mut buf).is_none());
    a.dtls.handle_timeout(t, &mut a.media);
    assert!(a.dtls.poll_transmit(&mut buf).is_some());
    // The next one is about twice as far.
    let t2 = a.dtls.poll_timeout().unwrap();
    assert!(
        t2 - t >= Duration::from_millis(1500) && t2 - t <= Duration::from_millis(2500),
        "{:?}",
        t2 - t
    );
    // From here on the handshake completes.
    let mut net = Net::new(t, 5);
    net.run(&mut a, &mut b, Duration::from_secs(10));
    assert_connected(&mut a, &mut b, &net);
}

#[test]
fn fingerprint_mismatch_refuses_media() {
    for client_lies in [false, true] {
        let now = Instant::now();
        let [ia, ib, other] = ids();
        let mut a = peer(A, B, DtlsConfig::default(), ia, now, 1);
        let mut b = peer(B, A, DtlsConfig::default(), ib, now, 2);
        // The SDP says `other` where the real peer uses its own certificate.
        let (ra, rb) = if client_lies {
            (
                remote(DtlsRole::Client, ib),
                remote(DtlsRole::Server, other),
            )
        } else {
            (
                remote(DtlsRole::Client, other),
                remote(DtlsRole::Server, ia),
            )
        };
        a.dtls.set_remote(now, ra, &mut a.media).unwrap();
        b.dtls.set_remote(now, rb, &mut b.media).unwrap();
        let mut net = Net::new(now, 1);
        net.run(&mut a, &mut b, Duration::from_secs(60));
        let (checker, cheated) = if client_lies {
            (&mut b, ia)
        } else {
            (&mut a, ib)
        };
        assert_eq!(checker.dtls.state(), DtlsState::Failed);
        let err = checker.dtls.error().unwrap().clone();
        assert_eq!(
            err,
            DtlsError::FingerprintMismatch {
                actual: cheated.fingerprint().clone(),
                expected: vec![other.fingerprint().clone()],
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("matches none of the SDP fingerprints"),
            "{text}"
        );
        assert!(text.contains(&cheated.fingerprint().hex()), "{text}");
        assert!(matches!(
            checker.dtls.poll_event(),
            Some(DtlsEvent::Failed(_))
        ));
        assert!(checker.dtls.keying_material().is_none());
        assert_eq!(
            checker.media.send_frame(&[0; 160], 160),
            Err(SessionError::KeysPending)
        );
    }
}

#[test]
fn every_supported_fingerprint_hash_is_accepted() {
    for alg in [
        HashAlgorithm::Sha1,
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ] {
        let now = Instant::now();
        let [ia, ib, other] = ids();
        let mut a = peer(A, B, DtlsConfig::default(), ia, now, 1);
        let mut b = peer(B, A, DtlsConfig::default(), ib, now, 2);
        let fp = |id: &DtlsIdentity| Fingerprint::of_certificate(alg, id.certificate_der());
        // An unrelated fingerprint first: any match suffices.
        let ra = RemoteDtls::new(DtlsRole::Client, vec![fp(other), fp(ib)]);
        let rb = RemoteDtls::new(DtlsRole::Server, vec![fp(ia)]);
        a.dtls.set_remote(now, ra, &mut a.media).unwrap();
        b.dtls.set_remote(now, rb, &mut b.media).unwrap();
        let mut net = Net::new(now, 1);
        net.run(&mut a, &mut b, Duration::from_secs(10));
        assert_connected(&mut a, &mut b, &net);
    }
}

#[test]
fn no_fingerprint_fails_at_once() {
    let now = Instant::now();
    let [ia, _, _] = ids();
    let mut a = peer(A, B, DtlsConfig::default(), ia, now, 1);
    let r = a
        .dtls
        .set_remote(now, RemoteDtls::new(DtlsRole::Client, vec![]), &mut a.media);
    assert_eq!(r, Err(DtlsError::NoFingerprint));
    assert_eq!(a.dtls.state(), DtlsState::Failed);
    let mut buf = [0u8; 2048];
    assert!(a.dtls.poll_transmit(&mut buf).is_none());
}

#[test]
fn reinvite_with_new_fingerprint_restarts_and_unchanged_keeps() {
    let (mut a, mut b, mut net) = handshake(DtlsConfig::default(), DtlsConfig::default(), 4);
    assert_connected(&mut a, &mut b, &net);
    let now = net.now;
    // Unchanged re-INVITE: nothing happens, media still flows.
    let ra = remote(DtlsRole::Client, &b.identity);
    assert_eq!(
        a.dtls.set_remote(now, ra, &mut a.media),
        Ok(RemoteUpdate::Unchanged)
    );
    assert!(a.dtls.is_connected());
    assert!(media_flows(&mut a, &mut b, now));
    let old = a.dtls.keying_material().unwrap().clone();

    // The call moves to another media server with a new certificate.
    let [_, _, ic] = ids();
    let mut c = peer(B, A, DtlsConfig::default(), ic, now, 9);
    let ra = remote(DtlsRole::Client, ic);
    assert_eq!(
        a.dtls.set_remote(now, ra, &mut a.media),
        Ok(RemoteUpdate::Restarted)
    );
    assert_eq!(a.dtls.state(), DtlsState::Handshaking);
    // The old keys are gone at once.
    assert_eq!(
        a.media.send_frame(&[0; 160], 160),
        Err(SessionError::KeysPending)
    );
    // Media from the old peer, sent with the old keys, is held, never
    // decrypted with them; when the new keys arrive it fails to authenticate.
    assert!(!media_flows(&mut b, &mut a, now));
    assert_eq!(a.dtls.stats().media_held, 1);
    let rc = remote(DtlsRole::Server, &a.identity);
    c.dtls.set_remote(now, rc, &mut c.media).unwrap();
    net.run(&mut a, &mut c, Duration::from_secs(10));
    assert!(a.dtls.is_connected() && c.dtls.is_connected());
    assert_ne!(a.dtls.keying_material().unwrap(), &old);
    assert_eq!(a.dtls.stats().handshakes, 2);
    // One frame from before the restart; the held old-key one is refused.
    assert_eq!(a.media.stats().packets_received, 1);
    assert_eq!(a.media.stats().packets_dropped, 1);
    assert!(media_flows(&mut a, &mut c, net.now));
    assert!(media_flows(&mut c, &mut a, net.now));
}

#[test]
fn reinvite_with_changed_role_restarts() {
    let (mut a, mut b, mut net) = handshake(DtlsConfig::default(), DtlsConfig::default(), 5);
    assert_connected(&mut a, &mut b, &net);
    let now = net.now;
    let ra = remote(DtlsRole::Server, &b.identity);
    let rb = remote(DtlsRole::Client, &a.identity);
    assert_eq!(
        a.dtls.set_remote(now, ra, &mut a.media),
        Ok(RemoteUpdate::Restarted)
    );
    assert_eq!(
        b.dtls.set_remote(now, rb, &mut b.media),
        Ok(RemoteUpdate::Restarted)
    );
    net.run(&mut a, &mut b, Duration::from_secs(10));
    assert_connected(&mut a, &mut b, &net);
}

#[test]
fn media_before_keys_is_held_bounded_then_played() {
    let now = Instant::now();
    let [ia, ib, _] = ids();
    let mut cfg = DtlsConfig::default();
    cfg.max_held_media = 2;
    let mut a = peer(A, B, cfg, ia, now, 1);
    let mut b = peer(B, A, DtlsConfig::default(), ib, now, 2);
    start(&mut a, &mut b, now);
    let mut buf = [0u8; 2048];
    // Run the handshake by hand until the server (b) is connected; keep its
    // final flight back from the client (a).
    let mut to_b: Vec<Vec<u8>> = Vec::new();
    let mut to_a: Vec<Vec<u8>> = Vec::new();
    for _ in 0..10 {
        while let Some(t) = a.dtls.poll_transmit(&mut buf) {
            to_b.push(buf[..t.len].to_vec());
        }
        for mut d in to_b.drain(..) {
            b.dtls.handle_datagram(now, a.addr, &mut d, &mut b.media);
        }
        while let Some(t) = b.dtls.poll_transmit(&mut buf) {
            to_a.push(buf[..t.len].to_vec());
        }
        if b.dtls.is_connected() {
            break;
        }
        for mut d in to_a.drain(..) {
            a.dtls.handle_datagram(now, b.addr, &mut d, &mut a.media);
        }
    }
    assert!(b.dtls.is_connected() && !a.dtls.is_connected());
    // b sends five frames before its Finished reaches a: a holds two.
    for _ in 0..5 {
        assert!(!media_flows(&mut b, &mut a, now));
    }
    let s = a.dtls.stats();
    assert_eq!((s.media_held, s.media_dropped), (5, 3));
    assert_eq!(a.media.stats().packets_received, 0);
    for mut d in to_a.drain(..) {
        a.dtls.handle_datagram(now, b.addr, &mut d, &mut a.media);
    }
    assert!(a.dtls.is_connected());
    assert_eq!(a.media.stats().packets_received, 2);
    assert_eq!(a.media.stats().packets_dropped, 0);
}

#[test]
fn handshake_times_out_on_the_virtual_clock() {
    for role in [DtlsRole::Client, DtlsRole::Server] {
        let now = Instant::now();
        let [ia, ib, _] = ids();
        let mut cfg = DtlsConfig::default();
        cfg.handshake_timeout = Duration::from_secs(8);
        cfg.max_retransmissions = 20;
        let mut a = peer(A, B, cfg, ia, now, 1);
        a.dtls
            .set_remote(now, remote(role, ib), &mut a.media)
            .unwrap();
        // Nobody answers.
        let mut t = now;
        let mut buf = [0u8; 2048];
        let mut sent = 0;
        while let Some(next) = a.dtls.poll_timeout() {
            while a.dtls.poll_transmit(&mut buf).is_some() {
                sent += 1;
            }
            t = next;
            a.dtls.handle_timeout(t, &mut a.media);
        }
        assert_eq!(t, now + Duration::from_secs(8), "{role:?}");
        assert_eq!(
            a.dtls.error(),
            Some(&DtlsError::Timeout(Duration::from_secs(8)))
        );
        assert!(matches!(
            a.dtls.poll_event(),
            Some(DtlsEvent::Failed(DtlsError::Timeout(_)))
        ));
        if role == DtlsRole::Client {
            // 1 + retransmissions at about 1, 3, 7 s.
            assert!((3..=5).contains(&sent), "{sent}");
        } else {
            assert_eq!(sent, 0);
        }
    }
}

#[test]
fn client_hello_before_the_answer_is_kept() {
    // The offerer (b, actpass) receives the answerer's ClientHello before
    // the SDP answer tells it its role.
    let now = Instant::now();
    let [ia, ib, _] = ids();
    let mut a = peer(A, B, DtlsConfig::default(), ia, now, 1);
    let mut b = peer(B, A, DtlsConfig::default(), ib, now, 2);
    a.dtls
        .set_remote(now, remote(DtlsRole::Client, ib), &mut a.media)
        .unwrap();
    let mut buf = [0u8; 2048];
    while let Some(t) = a.dtls.poll_transmit(&mut buf) {
        b.dtls
            .handle_datagram(now, a.addr, &mut buf[..t.len], &mut b.media);
    }
    assert_eq!(b.dtls.state(), DtlsState::AwaitingRemote);
    assert_eq!(b.dtls.poll_timeout(), None);
    b.dtls
        .set_remote(now, remote(DtlsRole::Server, ia), &mut b.media)
        .unwrap();
    let mut net = Net::new(now, 1);
    net.run(&mut a, &mut b, Duration::from_secs(0));
    net.run(&mut a, &mut b, Duration::from_millis(500));
    assert_connected(&mut a, &mut b, &net);
}

#[test]
fn rtcp_without_mux_is_keyed_too() {
    let (mut a, mut b, net) = handshake(DtlsConfig::default(), DtlsConfig::default(), 6);
    assert_connected(&mut a, &mut b, &net);
    // a's RTCP report (first one is due after half the interval).
    let t = net.now + Duration::from_secs(10);
    a.media.handle_timeout(t);
    let mut buf = [0u8; 1500];
    let mut rtcp = 0;
    while let Some(x) = a.media.poll_transmit(&mut buf) {
        if x.rtcp {
            rtcp += 1;
            let src = addr("127.0.0.1:41001");
            assert_eq!(
                b.dtls
                    .handle_datagram(t, src, &mut buf[..x.len], &mut b.media),
                crate::session::Handled::Media
            );
        }
    }
    assert!(rtcp >= 1);
    assert_eq!(b.media.stats().packets_dropped, 0);
}

#[test]
fn stun_is_left_to_the_caller() {
    let (mut a, mut b, net) = handshake(DtlsConfig::default(), DtlsConfig::default(), 7);
    assert_connected(&mut a, &mut b, &net);
    let mut stun = [0u8, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42];
    assert_eq!(
        a.dtls
            .handle_datagram(net.now, b.addr, &mut stun, &mut a.media),
        crate::session::Handled::Other(crate::demux::PacketKind::Stun)
    );
}

#[test]
fn dimpl_profile_outside_the_configuration_fails() {
    // dimpl picks AEAD_AES_256_GCM whatever the order: a configuration
    // without it fails clearly rather than using an unwanted profile.
    let mut cfg = DtlsConfig::default();
    cfg.profiles = vec![SrtpProfile::AeadAes128Gcm];
    let (a, b, _) = handshake(cfg, DtlsConfig::default(), 8);
    assert_eq!(
        a.dtls.error(),
        Some(&DtlsError::ProfileNotAllowed(SrtpProfile::AeadAes256Gcm))
    );
    assert!(b.media.stats().packets_received == 0);
    let mut cfg = DtlsConfig::default();
    cfg.profiles = vec![SrtpProfile::Aes128CmHmacSha1_32];
    let now = Instant::now();
    let [ia, ib, _] = ids();
    let mut p = peer(A, B, cfg, ia, now, 1);
    let r = p
        .dtls
        .set_remote(now, remote(DtlsRole::Client, ib), &mut p.media);
    assert!(matches!(r, Err(DtlsError::Config(_))), "{r:?}");
}

#[test]
fn secrets_stay_out_of_debug() {
    let (a, _b, _) = handshake(DtlsConfig::default(), DtlsConfig::default(), 9);
    let km = a.dtls.keying_material().unwrap();
    let hex: String = km.expose().iter().map(|b| format!("{b:02x}")).collect();
    for text in [
        format!("{:?}", a.dtls),
        format!("{km:?}"),
        format!("{:?}", a.identity),
        format!("{:?}", a.media),
    ] {
        assert!(!text.to_lowercase().contains(&hex[..16]), "{text}");
        assert!(
            !text.contains(&format!("{:?}", &km.expose()[..4])),
            "{text}"
        );
    }
    assert!(format!("{:?}", a.identity).contains("redacted"));
    let key_der = a.identity.private_key_der();
    assert!(!format!("{:?}", a.identity).contains(&format!("{:?}", &key_der[..8])));
}

#[test]
fn keying_material_splits_by_role() {
    let profile = SrtpProfile::Aes128CmHmacSha1_80;
    let m: Vec<u8> = (0..60).collect();
    let km = KeyingMaterial::new(&m);
    let c = km
        .srtp_keys(profile, DtlsRole::Client, Default::default())
        .unwrap();
    let s = km
        .srtp_keys(profile, DtlsRole::Server, Default::default())
        .unwrap();
    // client key 0..16, server key 16..32, client salt 32..46, server salt 46..60
    assert_eq!(c.local[0].key(), &m[..16]);
    assert_eq!(c.local[0].salt(), &m[32..46]);
    assert_eq!(c.remote[0].key(), &m[16..32]);
    assert_eq!(c.remote[0].salt(), &m[46..60]);
    assert_eq!(s.local[0].key(), c.remote[0].key());
    assert_eq!(s.remote[0].salt(), c.local[0].salt());
    assert!(km
        .srtp_keys(
            SrtpProfile::AeadAes128Gcm,
            DtlsRole::Client,
            Default::default()
        )
        .is_err());
}

#[test]
fn profile_names() {
    for p in SrtpProfile::ALL {
        if let Some(n) = profile_name(p) {
            assert_eq!(profile_from_name(n), Some(p));
            assert_eq!(profile_from_name(&n.to_lowercase()), Some(p));
            assert_eq!(profile_from_name(p.name()), Some(p));
        } else {
            assert_eq!(profile_from_name(p.name()), None);
        }
    }
    assert_eq!(
        profile_from_name("SRTP_AES128_CM_SHA1_32"),
        Some(SrtpProfile::Aes128CmHmacSha1_32)
    );
    assert_eq!(profile_from_name("nope"), None);
}

#[test]
fn unverified_remote_accepts_any_certificate() {
    let now = Instant::now();
    let [ia, ib, _] = ids();
    let mut a = peer(A, B, DtlsConfig::default(), ia, now, 1);
    let mut b = peer(B, A, DtlsConfig::default(), ib, now, 2);
    a.dtls
        .set_remote(now, RemoteDtls::unverified(DtlsRole::Client), &mut a.media)
        .unwrap();
    b.dtls
        .set_remote(now, remote(DtlsRole::Server, ia), &mut b.media)
        .unwrap();
    let mut net = Net::new(now, 1);
    net.run(&mut a, &mut b, Duration::from_secs(5));
    assert_connected(&mut a, &mut b, &net);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Garbage on the media port never panics and never yields keys.
    #[test]
    fn garbage_datagrams_never_panic(
        server in proptest::bool::ANY,
        datagrams in proptest::collection::vec(
            (20u8..64, proptest::collection::vec(proptest::num::u8::ANY, 0..300)), 1..8),
    ) {
        let now = Instant::now();
        let [ia, ib, _] = ids();
        let mut a = peer(A, B, DtlsConfig::default(), ia, now, 1);
        let role = if server { DtlsRole::Server } else { DtlsRole::Client };
        a.dtls.set_remote(now, remote(role, ib), &mut a.media).unwrap();
        let mut out = [0u8; 2048];
        for (i, (first, mut d)) in datagrams.into_iter().enumerate() {
            d.insert(0, first);
            let t = now + Duration::from_millis(100 * i as u64);
            a.dtls.handle_datagram(t, addr(B), &mut d, &mut a.media);
            a.dtls.handle_timeout(t, &mut a.media);
            while a.dtls.poll_transmit(&mut out).is_some() {}
        }
        proptest::prop_assert!(!a.dtls.is_connected());
        proptest::prop_assert!(a.dtls.keying_material().is_none());
    }
}
