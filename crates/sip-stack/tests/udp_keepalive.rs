//! UDP keep-alives in virtual time: a REGISTER over UDP starts them on
//! the flow to the registrar; STUN (RFC 5626 §4.4.2), CRLF and OPTIONS
//! kinds; the schedule is exact; a registrar that goes silent is reported
//! as a dead flow with `ConnectionClosed` (as for TCP/TLS), a NAT that
//! rebinds too; an unregister stops them; nothing is left running.

mod common;

use bytes::Bytes;
use common::*;
use heron_sip::{HeaderName, Method};
use heron_sip_stack::{
    Endpoint, EndpointConfig, Event, TransportError, TransportKind, UdpKeepAlive, UdpKeepAliveKind,
};
use rand::{rngs::StdRng, SeedableRng};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn cfg(kind: UdpKeepAliveKind) -> EndpointConfig {
    EndpointConfig {
        udp_keepalive: Some(UdpKeepAlive {
            kind,
            interval: secs(25),
            timeout: secs(10),
        }),
        ..EndpointConfig::default()
    }
}

/// An endpoint that takes REGISTER.
fn registrar_config() -> EndpointConfig {
    let mut c = EndpointConfig::default();
    c.allow.push(Method::Register);
    c
}

/// Node 0 (the agent, keep-alives of `kind`) registers with node 1 (the
/// registrar, which answers everything with 200).
fn registered(kind: UdpKeepAliveKind) -> Sim {
    let mut sim = Sim::new(11);
    let a = sim.add(cfg(kind));
    let b = sim.add(registrar_config());
    sim.nodes[b].tu = Some(answer_all(200));
    let to = sim.nodes[b].addr;
    let reg = request(Method::Register, to, "reg-1", 1);
    let now = sim.now;
    sim.nodes[a].ep.send_request(now, reg, udp(to)).unwrap();
    sim.run_for(ms(100));
    assert_eq!(sim.nodes[a].ep.udp_flow_count(), 1);
    sim
}

/// Times (ms) of datagrams from node `from` that satisfy `pred`.
fn sent_ms(sim: &Sim, from: usize, pred: impl Fn(&[u8]) -> bool) -> Vec<u64> {
    sim.log
        .iter()
        .filter(|s| s.from == sim.nodes[from].addr && pred(&s.payload))
        .map(|s| s.at.as_millis() as u64)
        .collect()
}

fn is_stun_request(p: &[u8]) -> bool {
    p.len() == 20 && p[0] == 0 && p[1] == 1
}

fn is_stun_success(p: &[u8]) -> bool {
    p.len() >= 20 && p[0] == 1 && p[1] == 1
}

fn closed(node: &Node) -> Vec<(Duration, SocketAddr, TransportKind, Option<TransportError>)> {
    node.events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::ConnectionClosed {
                remote,
                transport,
                outbound: true,
                error,
                ..
            } => Some((*t, *remote, *transport, error.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn stun_keepalives_are_answered_then_a_silent_registrar_fails_the_flow() {
    let mut sim = registered(UdpKeepAliveKind::Stun);
    let b_addr = sim.nodes[1].addr;
    sim.run_for(secs(80));
    // Every 25 s from the REGISTER (sent at 0), each answered by the
    // registrar 10 ms later (the network delay).
    assert_eq!(sent_ms(&sim, 0, is_stun_request), [25_000, 50_000, 75_000]);
    assert_eq!(sent_ms(&sim, 1, is_stun_success), [25_010, 50_010, 75_010]);
    assert!(closed(&sim.nodes[0]).is_empty());
    // The agent learnt its address as the registrar sees it.
    let flow = sim.nodes[0]
        .ep
        .keep_alive_udp(sim.now, b_addr)
        .expect("the flow exists");
    assert_eq!(
        sim.nodes[0].ep.udp_flow_mapped_address(flow),
        Some(sim.nodes[0].addr)
    );
    // The registrar goes silent: the next request is retransmitted from
    // T1 doubling (RFC 5389 §7.2.1) and the flow fails at the timeout.
    sim.drop_rule = Some(Box::new(move |s| s.to == b_addr));
    sim.run_for(secs(40));
    assert_eq!(
        sent_ms(&sim, 0, is_stun_request)[3..],
        [100_000, 100_500, 101_500, 103_500, 107_500]
    );
    let c = closed(&sim.nodes[0]);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].0, ms(110_000));
    assert_eq!((c[0].1, c[0].2), (b_addr, TransportKind::Udp));
    assert!(matches!(
        c[0].3,
        Some(TransportError::KeepAliveTimeout(a, d)) if a == b_addr && d == secs(10)
    ));
    assert_eq!(sim.nodes[0].ep.udp_flow_count(), 0);
    // Nothing keeps running after the flow is gone.
    sim.run_for(secs(300));
    assert_eq!(sent_ms(&sim, 0, is_stun_request).len(), 8);
    assert_eq!(sim.nodes[0].ep.transaction_count(), 0);
    assert_eq!(sim.nodes[0].ep.poll_timeout(), None);
}

#[test]
fn crlf_keepalives_keep_going_and_are_ignored_by_the_registrar() {
    let mut sim = registered(UdpKeepAliveKind::Crlf);
    sim.run_for(secs(100));
    let crlf = |p: &[u8]| p == b"\r\n\r\n";
    assert_eq!(sent_ms(&sim, 0, crlf), [25_000, 50_000, 75_000, 100_000]);
    // The registrar neither answers nor complains.
    let from_b = sim
        .log
        .iter()
        .filter(|s| s.from == sim.nodes[1].addr)
        .count();
    assert_eq!(from_b, 1, "only the 200 to the REGISTER");
    assert!(closed(&sim.nodes[0]).is_empty());
}

#[test]
fn options_keepalives_are_hidden_from_the_user_and_detect_a_dead_registrar() {
    let mut sim = registered(UdpKeepAliveKind::Options);
    let b_addr = sim.nodes[1].addr;
    // The REGISTER's transaction ends (Timer K, T4 after its 200).
    sim.run_for(secs(10));
    let user_events_before = sim.nodes[0].events.len();
    sim.run_for(secs(50));
    let options = |p: &[u8]| p.starts_with(b"OPTIONS ");
    assert_eq!(sent_ms(&sim, 0, options), [25_000, 50_000]);
    // The registrar's user saw and answered them; the agent's user saw
    // nothing of its own probes.
    let answered = sim.nodes[1]
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Request { request, .. } if request.method() == Some(&Method::Options)))
        .count();
    assert_eq!(answered, 2);
    assert_eq!(sim.nodes[0].events.len(), user_events_before);
    // Silence: the probe at 75 s retransmits (Timer E) and times out at
    // Timer F, 64·T1 later; the flow is reported dead.
    sim.drop_rule = Some(Box::new(move |s| s.to == b_addr));
    sim.run_for(secs(60));
    let c = closed(&sim.nodes[0]);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].0, ms(75_000 + 32_000));
    assert!(matches!(c[0].3, Some(TransportError::KeepAliveTimeout(a, _)) if a == b_addr));
    assert_eq!(sim.nodes[0].ep.udp_flow_count(), 0);
    // The only thing the user heard of it is the flow's failure.
    assert_eq!(sim.nodes[0].events.len(), user_events_before + 1);
    sim.run_for(secs(120));
    assert_eq!(sim.nodes[0].ep.transaction_count(), 0);
    assert_eq!(sim.nodes[0].ep.poll_timeout(), None);
}

#[test]
fn unregister_stops_the_keepalives() {
    let mut sim = registered(UdpKeepAliveKind::Crlf);
    let to = sim.nodes[1].addr;
    let mut unreg = request(Method::Register, to, "reg-1", 2);
    unreg.append_header(HeaderName::Expires, "0");
    let now = sim.now;
    sim.nodes[0].ep.send_request(now, unreg, udp(to)).unwrap();
    sim.run_for(secs(100));
    assert_eq!(sim.nodes[0].ep.udp_flow_count(), 0);
    assert!(sent_ms(&sim, 0, |p| p == b"\r\n\r\n").is_empty());
    assert!(closed(&sim.nodes[0]).is_empty(), "a stop is not a failure");
}

#[test]
fn keepalives_off_by_default() {
    let mut sim = Sim::new(3);
    let a = sim.add(EndpointConfig::default());
    let b = sim.add(EndpointConfig::default());
    sim.nodes[b].tu = Some(answer_all(200));
    let to = sim.nodes[b].addr;
    let now = sim.now;
    sim.nodes[a]
        .ep
        .send_request(now, request(Method::Register, to, "r", 1), udp(to))
        .unwrap();
    sim.run_for(secs(100));
    assert_eq!(sim.nodes[a].ep.udp_flow_count(), 0);
    assert_eq!(sim.nodes[a].ep.keep_alive_udp(sim.now, to), None);
}

/// The NAT in front of us rebinds: the registrar's STUN answer names
/// another address than the last one, so the registration's flow is
/// gone (RFC 5626 §4.4.2).
#[test]
fn a_changed_mapped_address_fails_the_flow() {
    let local: SocketAddr = "10.0.0.1:5060".parse().unwrap();
    let registrar: SocketAddr = "192.0.2.20:5060".parse().unwrap();
    let mut ep = Endpoint::new(cfg(UdpKeepAliveKind::Stun), StdRng::seed_from_u64(9));
    ep.add_listener(TransportKind::Udp, local, None);
    let t0 = Instant::now();
    let flow = ep.keep_alive_udp(t0, registrar).unwrap();
    // A registrar of our own answers the STUN requests.
    let mut server = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(10));
    server.add_listener(TransportKind::Udp, registrar, None);
    let mut exchange = |ep: &mut Endpoint, at: Instant, seen_from: SocketAddr| {
        ep.handle_timeout(at);
        let req = ep.poll_transmit().expect("a STUN request");
        assert_eq!(req.remote, registrar);
        server.handle_datagram(at, TransportKind::Udp, registrar, seen_from, req.payload);
        let resp = server.poll_transmit().expect("a STUN answer");
        assert_eq!(resp.remote, seen_from);
        ep.handle_datagram(at, TransportKind::Udp, local, registrar, resp.payload);
    };
    let public: SocketAddr = "203.0.113.5:31000".parse().unwrap();
    exchange(&mut ep, t0 + secs(25), public);
    assert_eq!(ep.udp_flow_mapped_address(flow), Some(public));
    exchange(&mut ep, t0 + secs(50), public);
    assert!(ep.poll_event().is_none());
    let rebound: SocketAddr = "203.0.113.5:31877".parse().unwrap();
    exchange(&mut ep, t0 + secs(75), rebound);
    match ep.poll_event() {
        Some(Event::ConnectionClosed {
            id,
            transport: TransportKind::Udp,
            remote,
            outbound: true,
            error: Some(TransportError::ConnectionFailed(_, why)),
        }) => {
            assert_eq!((id, remote), (flow, registrar));
            assert!(why.contains("31877"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ep.udp_flow_count(), 0);
}

#[test]
fn stun_requests_are_answered_and_never_taken_for_sip() {
    let local: SocketAddr = "10.0.0.2:5060".parse().unwrap();
    let peer: SocketAddr = "198.51.100.7:40000".parse().unwrap();
    let mut ep = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(1));
    ep.add_listener(TransportKind::Udp, local, None);
    let mut req = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
    req.extend_from_slice(&[5u8; 12]);
    ep.handle_datagram(
        Instant::now(),
        TransportKind::Udp,
        local,
        peer,
        Bytes::from(req),
    );
    let t = ep.poll_transmit().unwrap();
    assert_eq!(t.remote, peer);
    assert_eq!(&t.payload[..2], &[0x01, 0x01]);
    assert_eq!(&t.payload[8..20], &[5u8; 12]);
    assert!(ep.poll_event().is_none());
    // With answering off, silence (and still no 400).
    let mut quiet = Endpoint::new(
        EndpointConfig {
            answer_stun: false,
            ..EndpointConfig::default()
        },
        StdRng::seed_from_u64(2),
    );
    quiet.add_listener(TransportKind::Udp, local, None);
    let mut req = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
    req.extend_from_slice(&[6u8; 12]);
    quiet.handle_datagram(
        Instant::now(),
        TransportKind::Udp,
        local,
        peer,
        Bytes::from(req),
    );
    assert!(quiet.poll_transmit().is_none());
}

/// The registrar's Flow-Timer (RFC 5626 §4.4.1) overrides the configured
/// interval: keep-alives go every 80–100 % of it.
#[test]
fn flow_timer_from_the_registrar_sets_the_interval() {
    let mut sim = Sim::new(21);
    let a = sim.add(cfg(UdpKeepAliveKind::Crlf));
    let b = sim.add(registrar_config());
    sim.nodes[b].tu = Some(Box::new(|ep, now, e| {
        if let Event::Request { key, request, .. } = e {
            let mut ok = heron_sip::Message::response_to(request, 200, Some("reg"));
            ok.append_other("Flow-Timer", "10");
            ep.send_response(now, *key, ok).unwrap();
        }
    }));
    let to = sim.nodes[b].addr;
    let now = sim.now;
    sim.nodes[a]
        .ep
        .send_request(now, request(Method::Register, to, "ft", 1), udp(to))
        .unwrap();
    sim.run_for(secs(60));
    let times = sent_ms(&sim, a, |p| p == b"\r\n\r\n");
    assert!(times.len() >= 6, "{times:?}");
    // The first comes 80–100 % of 10 s after the 200 (at 20 ms); the same
    // interval follows.
    assert!((8_020..=10_020).contains(&times[0]), "{times:?}");
    let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|g| *g == gaps[0]), "{gaps:?}");
    assert!((8_000..=10_000).contains(&gaps[0]), "{gaps:?}");
}
