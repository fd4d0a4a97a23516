//! The driver's shared media port over loopback: several sessions on one
//! socket, routed by source address and SSRC, with latching only after
//! authenticated packets. Every wait is bounded (a lost loopback datagram
//! fails the test instead of hanging it); nothing sleeps or is timed.

#![cfg(feature = "tokio")]

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use heron_rtp::driver::{Driver, DriverError, PortRange};
use heron_rtp::jitter::Playout;
use heron_rtp::rtp::{write_rtp_packet, RtpHeader, RtpPacket};
use heron_rtp::session::{MediaSecurity, SessionConfig, SrtpKeys};
use heron_rtp::srtp::{MasterKey, SrtpConfig, SrtpContext, SrtpProfile};
use rand::SeedableRng;

const PROFILE: SrtpProfile = SrtpProfile::Aes128CmHmacSha1_80;

fn master(seed: u8) -> MasterKey {
    let m: Vec<u8> = (0..30u8).map(|i| i.wrapping_mul(7) ^ seed).collect();
    MasterKey::from_key_salt(PROFILE, &m).unwrap()
}

/// The agent's keys for a call whose peer protects with `peer` and
/// receives with `agent`.
fn agent_keys(agent: u8, peer: u8) -> SrtpKeys {
    SrtpKeys {
        profile: PROFILE,
        local: vec![master(agent)],
        remote: vec![master(peer)],
        config: SrtpConfig::default(),
    }
}

/// A PBX-side endpoint: a plain socket and its SRTP contexts.
struct Peer {
    sock: UdpSocket,
    tx: SrtpContext,
    rx: SrtpContext,
    ssrc: u32,
    seq: u16,
}

impl Peer {
    fn new(peer_key: u8, agent_key: u8, ssrc: u32) -> Self {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Peer {
            sock,
            tx: SrtpContext::new(PROFILE, &[master(peer_key)], SrtpConfig::default()).unwrap(),
            rx: SrtpContext::new(PROFILE, &[master(agent_key)], SrtpConfig::default()).unwrap(),
            ssrc,
            seq: 100,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.sock.local_addr().unwrap()
    }

    /// The next SRTP packet of this peer's stream carrying `payload`.
    fn packet(&mut self, payload: &[u8]) -> Vec<u8> {
        let h = RtpHeader {
            payload_type: 0,
            sequence_number: self.seq,
            timestamp: u32::from(self.seq) * 160,
            ssrc: self.ssrc,
            ..Default::default()
        };
        self.seq = self.seq.wrapping_add(1);
        let mut buf = vec![0u8; 256];
        let n = write_rtp_packet(&h, payload, None, &mut buf).unwrap();
        let n = self.tx.protect_rtp(&mut buf, n).unwrap();
        buf.truncate(n);
        buf
    }

    fn send(&mut self, to: SocketAddr, payload: &[u8]) {
        let p = self.packet(payload);
        self.sock.send_to(&p, to).unwrap();
    }

    /// Receives one datagram (bounded wait) and unprotects it with the
    /// agent's key for this call: a datagram meant for another call fails.
    fn recv_payload(&mut self) -> (SocketAddr, Vec<u8>) {
        let mut buf = [0u8; 2048];
        let (n, from) = self
            .sock
            .recv_from(&mut buf)
            .expect("echo lost on loopback");
        let n = self
            .rx
            .unprotect_rtp(&mut buf[..n])
            .expect("a datagram for another call");
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        (from, p.payload().to_vec())
    }
}

fn rng(seed: u64) -> Box<rand::rngs::StdRng> {
    Box::new(rand::rngs::StdRng::seed_from_u64(seed))
}

fn add(
    d: &mut Driver,
    remote: SocketAddr,
    keys: SrtpKeys,
    seed: u64,
) -> heron_rtp::driver::SessionId {
    let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut cfg = SessionConfig::new(lo, remote);
    cfg.security = MediaSecurity::Srtp(keys);
    d.add_session(cfg, PortRange::default(), Instant::now(), 0, rng(seed))
        .unwrap()
}

/// Drains until the driver has received `n` datagrams in all.
async fn recv_until(d: &mut Driver, n: u64) {
    let wait = async {
        while d.stats().received < n {
            d.readable().await;
            d.drain(Instant::now());
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .expect("datagram lost on loopback");
}

fn frames(d: &mut Driver, id: heron_rtp::driver::SessionId) -> Vec<Vec<u8>> {
    let s = d.session(id).unwrap();
    let mut out = Vec::new();
    for _ in 0..64 {
        if let Playout::Frame(f) = s.pull_frame() {
            out.push(f.payload.to_vec());
        }
    }
    out
}

#[tokio::test]
async fn several_sessions_share_one_port_without_loss_or_misrouting() {
    let mut d = Driver::with_shared_port("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = d.shared_addr().unwrap();
    // Each call has its own keys: a datagram routed to the wrong session
    // would fail authentication there and be counted.
    let mut peers: Vec<Peer> = (0..4u8)
        .map(|i| Peer::new(20 + i, 10 + i, 0x1000 + u32::from(i)))
        .collect();
    let ids: Vec<_> = peers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            add(
                &mut d,
                p.addr(),
                agent_keys(10 + i as u8, 20 + i as u8),
                i as u64,
            )
        })
        .collect();
    for &id in &ids {
        assert_eq!(d.local_addr(id), Some(port));
    }
    const PER_PEER: u64 = 12;
    for k in 0..PER_PEER as u8 {
        for (i, p) in peers.iter_mut().enumerate() {
            p.send(port, &[i as u8 * 16 + k; 160]);
        }
    }
    recv_until(&mut d, 4 * PER_PEER).await;
    let st = d.stats();
    assert_eq!(
        (st.received, st.unknown_source, st.other),
        (4 * PER_PEER, 0, 0)
    );
    // 48 datagrams were waiting: they came in batches, not one by one.
    assert!(st.receive_calls <= 8, "{st:?}");
    for (i, &id) in ids.iter().enumerate() {
        let s = d.session(id).unwrap().stats();
        assert_eq!(s.packets_received, PER_PEER, "session {i}");
        assert_eq!((s.packets_dropped, s.srtp_rx.auth_failures), (0, 0));
        assert_eq!(
            d.session(id).unwrap().remote_ssrc(),
            Some(0x1000 + i as u32)
        );
        let got = frames(&mut d, id);
        assert!(!got.is_empty());
        for f in got {
            assert_eq!(f[..], [f[0]; 160]);
            assert_eq!(f[0] / 16, i as u8, "session {i} got another call's audio");
        }
    }
    // Back out through the one port, batched: every peer gets its own.
    for (i, &id) in ids.iter().enumerate() {
        for k in 0..3u8 {
            d.session(id)
                .unwrap()
                .send_frame(&[0x80 | (i as u8) << 4 | k; 160], 160)
                .unwrap();
        }
    }
    d.flush();
    let st = d.stats();
    assert_eq!((st.sent, st.send_dropped), (12, 0));
    assert_eq!(st.send_calls, 1, "{st:?}");
    for (i, p) in peers.iter_mut().enumerate() {
        for k in 0..3u8 {
            let (from, payload) = p.recv_payload();
            assert_eq!(from, port);
            assert_eq!(payload, vec![0x80 | (i as u8) << 4 | k; 160]);
        }
    }
    // Removing a session moves the last one in the table: its routes follow.
    d.remove_session(ids[0]).unwrap();
    peers[3].send(port, &[0x3f; 160]);
    peers[0].send(port, &[0x0f; 160]);
    recv_until(&mut d, 4 * PER_PEER + 2).await;
    assert_eq!(
        d.session(ids[3]).unwrap().stats().packets_received,
        PER_PEER + 1
    );
    assert_eq!(d.stats().unknown_source, 1);
}

#[tokio::test]
async fn a_datagram_from_an_unknown_source_is_dropped_and_counted() {
    let mut d = Driver::with_shared_port("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = d.shared_addr().unwrap();
    let mut known = Peer::new(2, 1, 0xaaaa);
    let id = add(&mut d, known.addr(), agent_keys(1, 2), 1);
    // Same keys, but an address and an SSRC no session has.
    let mut stranger = Peer::new(2, 1, 0xbbbb);
    stranger.send(port, &[1; 160]);
    // Not RTP at all, from the stranger.
    stranger.sock.send_to(&[0u8, 1, 0, 0], port).unwrap();
    known.send(port, &[2; 160]);
    recv_until(&mut d, 3).await;
    assert_eq!(d.stats().unknown_source, 2);
    let s = d.session(id).unwrap();
    assert_eq!(s.stats().packets_received, 1);
    assert_eq!(s.remote_addr(), known.addr());
    assert_eq!(frames(&mut d, id), vec![vec![2; 160]]);
}

#[tokio::test]
async fn a_session_latches_to_a_new_address_only_after_an_authenticated_packet() {
    let mut d = Driver::with_shared_port("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = d.shared_addr().unwrap();
    let mut first = Peer::new(2, 1, 0x5151);
    let id = add(&mut d, first.addr(), agent_keys(1, 2), 7);
    first.send(port, &[1; 160]);
    recv_until(&mut d, 1).await;
    assert_eq!(d.session(id).unwrap().remote_ssrc(), Some(0x5151));

    // The peer's NAT binding changes: the same stream comes from a new
    // port. A forged packet with the known SSRC comes first: it is routed
    // to the session by its SSRC, fails authentication and moves nothing.
    let mut moved = Peer::new(2, 1, 0x5151);
    moved.seq = first.seq;
    let mut forged = moved.packet(&[9; 160]);
    let last = forged.len() - 1;
    forged[last] ^= 1;
    moved.seq = first.seq;
    moved.sock.send_to(&forged, port).unwrap();
    recv_until(&mut d, 2).await;
    let s = d.session(id).unwrap();
    assert_eq!(s.stats().srtp_rx.auth_failures, 1);
    assert_eq!(s.remote_addr(), first.addr());
    assert_eq!(d.stats().unknown_source, 0);

    // The authentic packet from the new address: the session latches.
    moved.send(port, &[3; 160]);
    recv_until(&mut d, 3).await;
    assert_eq!(d.session(id).unwrap().remote_addr(), moved.addr());
    // Replies go to the new address, and its packets are now routed by
    // address.
    d.session(id).unwrap().send_frame(&[4; 160], 160).unwrap();
    d.flush();
    assert_eq!(moved.recv_payload(), (port, vec![4; 160]));
    let mut other_ssrc = Peer::new(2, 1, 0x7777);
    other_ssrc.sock = moved.sock.try_clone().unwrap();
    other_ssrc.send(port, &[5; 160]);
    recv_until(&mut d, 4).await;
    assert_eq!(d.stats().unknown_source, 0);
    assert_eq!(d.session(id).unwrap().stats().packets_received, 3);
}

#[tokio::test]
async fn an_expected_ssrc_routes_a_peer_whose_address_is_not_known_yet() {
    let mut d = Driver::with_shared_port("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = d.shared_addr().unwrap();
    // The SDP named an address media will not come from (a NAT).
    let sdp_addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let id = add(&mut d, sdp_addr, agent_keys(1, 2), 3);
    let mut peer = Peer::new(2, 1, 0x4242);
    peer.send(port, &[1; 160]);
    recv_until(&mut d, 1).await;
    assert_eq!(d.stats().unknown_source, 1);
    assert!(d.expect_ssrc(id, 0x4242));
    // The wrong keys under the expected SSRC: routed, refused, no latching.
    let mut impostor = Peer::new(99, 1, 0x4242);
    impostor.send(port, &[2; 160]);
    recv_until(&mut d, 2).await;
    assert_eq!(d.session(id).unwrap().remote_addr(), sdp_addr);
    assert_eq!(d.session(id).unwrap().stats().srtp_rx.auth_failures, 1);
    peer.send(port, &[3; 160]);
    recv_until(&mut d, 3).await;
    let s = d.session(id).unwrap();
    assert_eq!(s.remote_addr(), peer.addr());
    assert_eq!(s.stats().packets_received, 1);
    assert_eq!(d.stats().unknown_source, 1);
}

#[tokio::test]
async fn a_shared_port_needs_rtcp_mux() {
    let mut d = Driver::with_shared_port("127.0.0.1:0".parse().unwrap()).unwrap();
    let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut cfg = SessionConfig::new(lo, "127.0.0.1:4000".parse().unwrap());
    cfg.remote_rtcp_addr = Some("127.0.0.1:4001".parse().unwrap());
    let r = d.add_session(cfg, PortRange::default(), Instant::now(), 0, rng(1));
    assert!(matches!(r, Err(DriverError::RtcpMuxRequired(a)) if a.port() == 4001));
}
