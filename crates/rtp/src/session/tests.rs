//! Deterministic two-party simulations of the media session: virtual time,
//! a seeded RNG, datagrams handed across by the test.

use super::*;
use crate::srtp::{MasterKey, SrtpConfig, SrtpProfile};
use rand::SeedableRng;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn rng(seed: u64) -> Box<dyn RngCore + Send> {
    Box::new(rand::rngs::StdRng::seed_from_u64(seed))
}

const A: &str = "127.0.0.1:40000";
const B: &str = "127.0.0.1:40002";

fn key(profile: SrtpProfile, seed: u8) -> MasterKey {
    let m: Vec<u8> = (0..profile.key_len() + profile.salt_len())
        .map(|i| (i as u8).wrapping_add(seed))
        .collect();
    MasterKey::from_key_salt(profile, &m).unwrap()
}

fn keys(profile: SrtpProfile, local: u8, remote: u8) -> SrtpKeys {
    SrtpKeys {
        profile,
        local: vec![key(profile, local)],
        remote: vec![key(profile, remote)],
        config: SrtpConfig::default(),
    }
}

fn pair(security: Option<SrtpProfile>) -> (MediaSession, MediaSession, Instant) {
    let now = Instant::now();
    let mut ca = SessionConfig::new(addr(A), addr(B));
    let mut cb = SessionConfig::new(addr(B), addr(A));
    let te = PayloadFormat {
        payload_type: 101,
        clock_rate: 8000,
    };
    ca.telephone_event = Some(te);
    cb.telephone_event = Some(te);
    if let Some(p) = security {
        ca.security = MediaSecurity::Srtp(keys(p, 1, 2));
        cb.security = MediaSecurity::Srtp(keys(p, 2, 1));
    }
    let a = MediaSession::new(ca, now, 0xe000_0000_0000_0000, rng(1)).unwrap();
    let b = MediaSession::new(cb, now, 0xe000_0000_0000_0000, rng(2)).unwrap();
    (a, b, now)
}

/// Moves every queued datagram from `from` (sent from `src`) to `to`;
/// returns how many and their destinations.
fn deliver(
    from: &mut MediaSession,
    src: SocketAddr,
    to: &mut MediaSession,
    now: Instant,
) -> Vec<SocketAddr> {
    let mut buf = [0u8; 2048];
    let mut dests = Vec::new();
    while let Some(t) = from.poll_transmit(&mut buf) {
        dests.push(t.destination);
        assert_eq!(
            to.handle_datagram(now, src, &mut buf[..t.len]),
            Handled::Media
        );
    }
    dests
}

fn events(s: &mut MediaSession) -> Vec<SessionEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

#[test]
fn frames_flow_both_ways_with_every_security() {
    for sec in [
        None,
        Some(SrtpProfile::Aes128CmHmacSha1_80),
        Some(SrtpProfile::AeadAes256Gcm),
    ] {
        let (mut a, mut b, now) = pair(sec);
        for i in 0..5u8 {
            let t = now + Duration::from_millis(20 * u64::from(i));
            a.send_frame(&[i; 160], 160).unwrap();
            b.send_frame(&[100 + i; 160], 160).unwrap();
            deliver(&mut a, addr(A), &mut b, t);
            deliver(&mut b, addr(B), &mut a, t);
            match b.pull_frame() {
                Playout::Frame(f) => {
                    assert_eq!(f.payload, &[i; 160][..]);
                    assert_eq!(f.marker, i == 0, "marker only on the talkspurt start");
                    assert_eq!(f.ssrc, a.ssrc());
                }
                other => panic!("{sec:?} {i}: {other:?}"),
            }
            assert!(matches!(a.pull_frame(), Playout::Frame(f) if f.payload == [100 + i; 160]));
        }
        assert_eq!(b.stats().packets_received, 5);
        assert_eq!(b.stats().packets_dropped, 0);
        assert!(matches!(
            events(&mut b)[0],
            SessionEvent::SourceChanged { old: None, .. }
        ));
    }
}

#[test]
fn initial_values_come_from_the_rng() {
    let (a1, _, _) = pair(None);
    let (a2, _, _) = pair(None);
    assert_eq!(a1.ssrc(), a2.ssrc(), "same seed, same SSRC");
    let (_, b, _) = pair(None);
    assert_ne!(a1.ssrc(), b.ssrc());
}

#[test]
fn srtp_latching_needs_authentication() {
    let (mut a, mut b, now) = pair(Some(SrtpProfile::Aes128CmHmacSha1_80));
    let nat = addr("198.51.100.7:31000");
    // A forged packet from elsewhere: fails authentication, no switch.
    let mut forged = [
        0x80u8, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    b.handle_datagram(now, addr("203.0.113.9:999"), &mut forged);
    assert_eq!(b.remote_addr(), addr(A));
    assert_eq!(b.stats().srtp_rx.auth_failures, 1);
    // A genuine packet via a NAT: one authenticated packet switches.
    a.send_frame(&[0; 160], 160).unwrap();
    deliver(&mut a, nat, &mut b, now);
    assert_eq!(b.remote_addr(), nat);
    assert!(events(&mut b).contains(&SessionEvent::RemoteAddressChanged(nat)));
    b.send_frame(&[0; 160], 160).unwrap();
    let mut buf = [0u8; 512];
    assert_eq!(b.poll_transmit(&mut buf).unwrap().destination, nat);
}

#[test]
fn plain_rtp_latching_needs_consecutive_packets() {
    let (mut a, mut b, now) = pair(None);
    let nat = addr("198.51.100.7:31000");
    for i in 0..3 {
        assert_eq!(b.remote_addr(), addr(A), "not yet after {i} packets");
        a.send_frame(&[0; 160], 160).unwrap();
        deliver(&mut a, nat, &mut b, now);
    }
    assert_eq!(b.remote_addr(), nat);
}

#[test]
fn rtcp_reports_and_round_trip_time() {
    let (mut a, mut b, now) = pair(Some(SrtpProfile::AeadAes128Gcm));
    for i in 0..10u64 {
        a.send_frame(&[1; 160], 160).unwrap();
        deliver(&mut a, addr(A), &mut b, now + Duration::from_millis(20 * i));
    }
    // A's first report comes after half the randomised interval.
    let first = a.poll_timeout().unwrap();
    assert!(
        first > now && first <= now + Duration::from_secs(4),
        "{:?}",
        first - now
    );
    a.handle_timeout(first);
    let dests = deliver(&mut a, addr(A), &mut b, first + Duration::from_millis(30));
    assert_eq!(dests, vec![addr(B)], "rtcp-mux: RTCP to the RTP address");
    // B answers 100 ms later with a receiver report referencing A's SR.
    let t = first + Duration::from_millis(130);
    b.handle_timeout(b.poll_timeout().unwrap().max(t));
    let tb = b.poll_timeout().unwrap();
    assert!(tb > t);
    deliver(
        &mut b,
        addr(B),
        &mut a,
        t + Duration::from_millis(4000)
            .min(tb - t)
            .min(Duration::from_millis(30)),
    );
    let ev = events(&mut a);
    let report = ev.iter().find_map(|e| match e {
        SessionEvent::RemoteReport {
            rtt,
            cumulative_lost,
            ..
        } => Some((*rtt, *cumulative_lost)),
        _ => None,
    });
    let (rtt, lost) = report.expect("remote report");
    assert_eq!(lost, 0);
    assert!(rtt.is_some());
    assert!(ev.iter().any(|e| matches!(e, SessionEvent::Stats(_))));
}

#[test]
fn dtmf_replaces_audio_and_is_received_once() {
    let (mut a, mut b, now) = pair(Some(SrtpProfile::Aes128CmHmacSha1_32));
    a.send_dtmf('7', Duration::from_millis(100), 10).unwrap();
    for i in 0..12u64 {
        a.send_frame(&[0; 160], 160).unwrap();
        deliver(&mut a, addr(A), &mut b, now + Duration::from_millis(20 * i));
    }
    let digits: Vec<_> = events(&mut b)
        .into_iter()
        .filter_map(|e| match e {
            SessionEvent::Dtmf(d) => Some((d.digit, d.duration)),
            _ => None,
        })
        .collect();
    assert_eq!(digits, vec![('7', Duration::from_millis(100))]);
    // 5 updates + 2 more end packets = 7 event packets, the rest audio.
    let mut audio = 0;
    while let Playout::Frame(_) = b.pull_frame() {
        audio += 1;
    }
    assert_eq!(audio, 5);
}

#[test]
fn keys_can_be_handed_over_later() {
    let now = Instant::now();
    let mut ca = SessionConfig::new(addr(A), addr(B));
    ca.security = MediaSecurity::Pending;
    let mut cb = SessionConfig::new(addr(B), addr(A));
    cb.security = MediaSecurity::Pending;
    let mut a = MediaSession::new(ca, now, 0, rng(3)).unwrap();
    let mut b = MediaSession::new(cb, now, 0, rng(4)).unwrap();
    assert_eq!(a.send_frame(&[0; 160], 160), Err(SessionError::KeysPending));
    // DTLS-SRTP finished: 256-GCM, as dimpl offers first.
    a.set_srtp_keys(&keys(SrtpProfile::AeadAes256Gcm, 5, 6))
        .unwrap();
    b.set_srtp_keys(&keys(SrtpProfile::AeadAes256Gcm, 6, 5))
        .unwrap();
    a.send_frame(&[9; 160], 160).unwrap();
    deliver(&mut a, addr(A), &mut b, now);
    assert!(matches!(b.pull_frame(), Playout::Frame(f) if f.payload == [9; 160]));
}

#[test]
fn direction_close_and_bye() {
    let (mut a, mut b, now) = pair(None);
    a.set_direction(Direction::RecvOnly);
    assert_eq!(
        a.send_frame(&[0; 160], 160),
        Err(SessionError::NotSending(Direction::RecvOnly))
    );
    a.set_direction(Direction::SendRecv);
    a.send_frame(&[0; 160], 160).unwrap();
    a.close(now);
    assert!(a.is_closed());
    assert_eq!(a.send_frame(&[0; 160], 160), Err(SessionError::Closed));
    deliver(&mut a, addr(A), &mut b, now);
    let ssrc = a.ssrc();
    assert!(events(&mut b).contains(&SessionEvent::Bye { ssrc }));
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn long_cname_is_truncated_and_rtcp_still_flows() {
    let now = Instant::now();
    let mut cfg = SessionConfig::new(addr(A), addr(B));
    cfg.cname = "é".repeat(200);
    let mut a = MediaSession::new(cfg, now, 0, rng(5)).unwrap();
    assert!(a.config().cname.len() <= 255);
    a.handle_timeout(a.poll_timeout().unwrap());
    let mut buf = [0u8; 2048];
    assert!(a.poll_transmit(&mut buf).unwrap().rtcp);
}

#[test]
fn other_protocols_are_handed_back() {
    let (_, mut b, now) = pair(None);
    let mut dtls = [22u8, 0xfe, 0xfd, 0, 0];
    assert_eq!(
        b.handle_datagram(now, addr(A), &mut dtls),
        Handled::Other(PacketKind::Dtls)
    );
    let mut stun = [0u8, 1, 0, 0];
    assert_eq!(
        b.handle_datagram(now, addr(A), &mut stun),
        Handled::Other(PacketKind::Stun)
    );
}

#[test]
fn source_change_after_transfer_is_reported() {
    let (mut a, mut b, now) = pair(None);
    a.send_frame(&[1; 160], 160).unwrap();
    deliver(&mut a, addr(A), &mut b, now);
    assert!(matches!(b.pull_frame(), Playout::Frame(f) if f.payload == [1; 160]));
    let old = a.ssrc();
    // The PBX switches the media source: new SSRC, new numbering.
    let mut c = MediaSession::new(SessionConfig::new(addr(A), addr(B)), now, 0, rng(9)).unwrap();
    c.send_frame(&[2; 160], 160).unwrap();
    deliver(&mut c, addr(A), &mut b, now + Duration::from_millis(20));
    assert!(events(&mut b).contains(&SessionEvent::SourceChanged {
        old: Some(old),
        new: c.ssrc()
    }));
    assert!(
        matches!(b.pull_frame(), Playout::Frame(f) if f.payload == [2; 160] && f.source_changed)
    );
}

proptest::proptest! {
    #[test]
    fn handle_datagram_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..200), srtp in proptest::bool::ANY) {
        let (_, mut b, now) = pair(srtp.then_some(SrtpProfile::Aes128CmHmacSha1_80));
        let mut d = data;
        let _ = b.handle_datagram(now, addr(A), &mut d);
        b.handle_timeout(now + Duration::from_secs(10));
    }
}

/// A lossy, reordering, duplicating network between two SRTP sessions in
/// virtual time: every frame is played once, in order, losses are
/// concealed, duplicates are dropped by SRTP replay protection.
#[test]
fn lossy_network_simulation() {
    use rand::Rng;
    let (mut a, mut b, t0) = pair(Some(SrtpProfile::AeadAes128Gcm));
    let mut net = rand::rngs::StdRng::seed_from_u64(42);
    let mut in_flight: Vec<(Instant, Vec<u8>)> = Vec::new();
    let mut buf = [0u8; 2048];
    let mut played = Vec::new();
    let mut concealed = 0;
    let (mut dropped, mut duplicated) = (0, 0);
    for tick in 0..500u32 {
        let now = t0 + Duration::from_millis(20 * u64::from(tick));
        let mut frame = [0u8; 160];
        frame[..4].copy_from_slice(&tick.to_be_bytes());
        a.send_frame(&frame, 160).unwrap();
        a.handle_timeout(now);
        while let Some(t) = a.poll_transmit(&mut buf) {
            if net.gen_bool(0.03) {
                dropped += 1;
                continue;
            }
            // 0-60 ms of delay reorders packets.
            let delay = Duration::from_millis(net.gen_range(0..60));
            in_flight.push((now + delay, buf[..t.len].to_vec()));
            if net.gen_bool(0.02) {
                duplicated += 1;
                in_flight.push((
                    now + delay + Duration::from_millis(5),
                    buf[..t.len].to_vec(),
                ));
            }
        }
        in_flight.sort_by_key(|(at, _)| *at);
        while in_flight.first().is_some_and(|(at, _)| *at <= now) {
            let (_, mut d) = in_flight.remove(0);
            b.handle_datagram(now, addr(A), &mut d);
        }
        match b.pull_frame() {
            Playout::Frame(f) if f.payload_type == 0 => played.push(u32::from_be_bytes([
                f.payload[0],
                f.payload[1],
                f.payload[2],
                f.payload[3],
            ])),
            Playout::Lost { .. } => concealed += 1,
            _ => {}
        }
    }
    assert!(dropped > 0 && duplicated > 0);
    assert!(
        played.windows(2).all(|w| w[0] < w[1]),
        "in order, each once"
    );
    assert!(played.len() > 400, "played {}", played.len());
    let st = b.stats();
    assert_eq!(st.srtp_rx.auth_failures, 0);
    assert!(st.srtp_rx.replays >= duplicated as u64 - 1);
    assert!(concealed > 0);
    assert!(
        st.jitter_buffer.target_delay > Duration::from_millis(20),
        "delay grew with the jitter"
    );
}

#[test]
fn poll_datagram_yields_what_poll_transmit_copies() {
    let (mut a, _, _) = pair(Some(SrtpProfile::Aes128CmHmacSha1_80));
    let (mut a2, _, _) = pair(Some(SrtpProfile::Aes128CmHmacSha1_80));
    for i in 0..3u8 {
        a.send_frame(&[i; 160], 160).unwrap();
        a2.send_frame(&[i; 160], 160).unwrap();
        let mut copied = [0u8; 1500];
        let t = a2.poll_transmit(&mut copied).unwrap();
        let (t2, borrowed) = a.poll_datagram().unwrap();
        assert_eq!(t, t2);
        assert_eq!(borrowed, &copied[..t.len]);
    }
    assert!(a.poll_datagram().is_none());
}
