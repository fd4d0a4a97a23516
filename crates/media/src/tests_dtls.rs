//! Two media pumps over DTLS-SRTP without rtcp-mux, in virtual time: the
//! RTCP port runs its own handshake (RFC 5764 §4.1), SRTCP flows both
//! ways (the round-trip time is measured from each side's reports), and
//! the audio is not held up by it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use heron_rtp::dtls::DtlsIdentity;
use heron_sdp::{Codec, Negotiator, SrtpPolicy};
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::*;
use crate::tests::{caps, close, TestPipe};
use crate::{DtlsBackend, DtmfMode};

struct Side {
    pump: MediaPump,
    pipe: TestPipe,
    addr: SocketAddr,
}

fn identity() -> DtlsIdentity {
    DtlsIdentity::generate().unwrap()
}

/// A calls B (B answers); both with DTLS-SRTP and separate RTCP ports.
fn pair(backends: (DtlsBackend, DtlsBackend), now: Instant) -> (Side, Side) {
    let mut rng = StdRng::seed_from_u64(5);
    let (ia, ib) = (identity(), identity());
    let caps_for = |port, id: &DtlsIdentity| {
        let mut c = caps(port, &[Codec::Pcmu], SrtpPolicy::Dtls);
        c.dtls_fingerprint = bridge::sdp_fingerprint(id.fingerprint());
        c.rtcp_mux = false;
        c
    };
    let mut neg_a = Negotiator::new(caps_for(40100, &ia), &mut rng);
    let mut neg_b = Negotiator::new(caps_for(40200, &ib), &mut rng);
    let offer = neg_a.create_offer(&mut rng).unwrap();
    let answer = neg_b.receive_offer(&offer, &mut rng).unwrap();
    let media_a = neg_a.receive_answer(&answer.sdp).unwrap().clone();
    assert!(matches!(
        answer.media.remote_rtcp,
        heron_sdp::negotiate::RtcpTarget::Separate { .. }
    ));
    let side = |m: &heron_sdp::NegotiatedMedia, port: u16, id: DtlsIdentity, backend, seed| {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut pipe = TestPipe::new(8000, if seed == 1 { 1000.0 } else { 600.0 });
        let cfg = PumpConfig {
            local_addr: addr,
            dtmf: vec![DtmfMode::Rfc4733],
            symmetric_rtp: true,
            dtls: Some(id),
            dtls_backend: backend,
        };
        let pump =
            MediaPump::new(m, &cfg, 8000, now, 0, Box::new(StdRng::seed_from_u64(seed))).unwrap();
        pipe.on_start(pump.media_info());
        Side { pump, pipe, addr }
    };
    (
        side(&media_a, 40100, ia, backends.0, 1),
        side(&answer.media, 40200, ib, backends.1, 2),
    )
}

fn rtcp_addr(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip(), a.port() + 1)
}

/// Moves every queued datagram. With `sockets_known` the receiver is told
/// which of its sockets a datagram reached (as a driver with two sockets
/// does); without, everything goes through `handle_datagram` and only
/// the source address tells the ports apart.
fn deliver(a: &mut Side, b: &mut Side, now: Instant, sockets_known: bool) -> usize {
    let mut buf = vec![0u8; 2048];
    let mut moved = 0;
    for dir in 0..2 {
        let (from, to) = if dir == 0 {
            (&mut *a, &mut *b)
        } else {
            (&mut *b, &mut *a)
        };
        while let Some(t) = from.pump.poll_transmit(&mut buf) {
            moved += 1;
            let d = &mut buf[..t.len];
            if t.rtcp {
                assert_eq!(t.destination, rtcp_addr(to.addr));
                let src = rtcp_addr(from.addr);
                if sockets_known {
                    to.pump.handle_rtcp_datagram(now, src, d);
                } else {
                    to.pump.handle_datagram(now, src, d);
                }
            } else {
                assert_eq!(t.destination, to.addr);
                to.pump.handle_datagram(now, from.addr, d);
            }
        }
    }
    moved
}

fn run(a: &mut Side, b: &mut Side, mut now: Instant, d: Duration, sockets_known: bool) -> Instant {
    let end = now + d;
    loop {
        deliver(a, b, now, sockets_known);
        let next = [a.pump.poll_timeout(), b.pump.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(end);
        if next > end {
            return end;
        }
        now = next.max(now);
        a.pump.handle_timeout(now, &mut a.pipe);
        b.pump.handle_timeout(now, &mut b.pipe);
    }
}

fn srtcp_both_ways(backends: (DtlsBackend, DtlsBackend), sockets_known: bool) {
    let now = Instant::now();
    let (mut a, mut b) = pair(backends, now);
    let now = run(&mut a, &mut b, now, Duration::from_secs(1), sockets_known);
    assert!(a.pump.failed().is_none() && b.pump.failed().is_none());
    assert!(
        close(b.pipe.heard(0.5), 1000.0),
        "B heard {:?}",
        b.pipe.heard(0.5)
    );
    assert!(
        close(a.pipe.heard(0.5), 600.0),
        "A heard {:?}",
        a.pipe.heard(0.5)
    );
    // Several RTCP intervals: each side's SR is answered by the other's
    // report block, so the RTT needs SRTCP in both directions.
    run(&mut a, &mut b, now, Duration::from_secs(20), sockets_known);
    for (n, s) in [("A", &a), ("B", &b)] {
        let st = s.pump.session().stats();
        assert!(st.srtp_rx.rtcp_unprotected >= 2, "{n}: {st:?}");
        assert_eq!(st.srtp_rx.auth_failures, 0, "{n}: {st:?}");
        assert_eq!(st.packets_dropped, 0, "{n}: {st:?}");
        assert!(s.pump.summary(now).rtt.is_some(), "{n}: no RTT");
        // Keyed by the RTCP port's own handshake, not the RTP port's.
        assert!(s.pump.session().config().separate_rtcp_keys, "{n}");
        assert!(!s.pump.session().rtcp_keys_pending(), "{n}");
    }
}

#[test]
fn dtls_without_rtcp_mux_keys_srtcp_on_the_rtcp_port() {
    srtcp_both_ways((DtlsBackend::Dimpl, DtlsBackend::Dimpl), true);
    srtcp_both_ways((DtlsBackend::OpenSsl, DtlsBackend::Dimpl), true);
    srtcp_both_ways((DtlsBackend::Dimpl, DtlsBackend::OpenSsl), true);
}

#[test]
fn a_driver_that_mixes_the_sockets_still_reaches_the_rtcp_port() {
    srtcp_both_ways((DtlsBackend::Dimpl, DtlsBackend::OpenSsl), false);
}
