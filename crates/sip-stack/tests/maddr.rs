//! `maddr` in virtual time: responses follow the top Via's `maddr` over
//! unreliable transports, with the `ttl` for multicast (RFC 3261 §18.2.2),
//! also for every retransmission; a reliable transport answers on the
//! request's connection; our requests to a multicast address name it in
//! Via with `ttl=1` (§18.1.1); a `maddr` in the Route or Request-URI picks
//! the next hop (§8.1.2, §19.1.1).

use bytes::Bytes;
use heron_sip::{HeaderName, Message, Method};
use heron_sip_stack::resolve::next_hop;
use heron_sip_stack::{
    ConnectionId, Endpoint, EndpointConfig, Event, ServerKey, Target, Transmit, TransportKind,
};
use rand::{rngs::StdRng, SeedableRng};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn server() -> (Endpoint, SocketAddr) {
    let local = sa("10.0.0.2:5060");
    let mut ep = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(3));
    ep.add_listener(TransportKind::Udp, local, None);
    ep.add_listener(TransportKind::Tcp, local, None);
    (ep, local)
}

fn request(method: &str, via: &str) -> Bytes {
    Bytes::from(format!(
        "{method} sip:svc@10.0.0.2 SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n\
         From: <sip:a@example.com>;tag=f1\r\nTo: <sip:svc@example.com>\r\n\
         Call-ID: maddr-1\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    ))
}

fn take_request(ep: &mut Endpoint) -> (ServerKey, Message) {
    loop {
        match ep.poll_event() {
            Some(Event::Request { key, request, .. }) => return (key, request),
            Some(_) => {}
            None => panic!("no request reached the user"),
        }
    }
}

fn transmits(ep: &mut Endpoint) -> Vec<Transmit> {
    std::iter::from_fn(|| ep.poll_transmit()).collect()
}

/// Runs the endpoint's timers up to `until`, collecting what it sends and
/// when (relative to `t0`).
fn run_until(ep: &mut Endpoint, t0: Instant, until: Duration) -> Vec<(Duration, Transmit)> {
    let mut out = Vec::new();
    while let Some(at) = ep.poll_timeout() {
        if at > t0 + until {
            break;
        }
        ep.handle_timeout(at);
        for t in transmits(ep) {
            out.push((at - t0, t));
        }
    }
    out
}

#[test]
fn multicast_maddr_gets_every_response_with_its_ttl() {
    let (mut ep, local) = server();
    let t0 = Instant::now();
    let via = "SIP/2.0/UDP uac.example.com:5070;branch=z9hG4bKm1;maddr=239.1.2.3;ttl=5;rport";
    ep.handle_datagram(
        t0,
        TransportKind::Udp,
        local,
        sa("192.0.2.10:40000"),
        request("INVITE", via),
    );
    let (key, req) = take_request(&mut ep);
    ep.send_response(t0, key, Message::response_to(&req, 486, Some("s1")))
        .unwrap();
    let first = transmits(&mut ep);
    assert_eq!(first.len(), 1);
    // maddr wins over rport; the port is sent-by's.
    assert_eq!(first[0].remote, sa("239.1.2.3:5070"));
    assert_eq!(first[0].multicast_ttl, Some(5));
    // Timer G retransmissions (no ACK comes) follow the same route until
    // Timer H ends the transaction at 64·T1.
    let later = run_until(&mut ep, t0, Duration::from_secs(40));
    let times: Vec<u64> = later.iter().map(|(d, _)| d.as_millis() as u64).collect();
    assert_eq!(
        times,
        [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    for (_, t) in &later {
        assert_eq!((t.remote, t.multicast_ttl), (sa("239.1.2.3:5070"), Some(5)));
    }
    assert_eq!(ep.transaction_count(), 0);
}

#[test]
fn unicast_maddr_and_default_ttl() {
    let (mut ep, local) = server();
    let now = Instant::now();
    for (via, want, ttl) in [
        (
            "SIP/2.0/UDP uac.example.com;branch=z9hG4bKu1;maddr=192.0.2.50;rport",
            "192.0.2.50:5060",
            None,
        ),
        (
            "SIP/2.0/UDP uac.example.com:5999;branch=z9hG4bKu2;maddr=224.0.1.75",
            "224.0.1.75:5999",
            Some(1),
        ),
        // No maddr: RFC 3581 as before.
        (
            "SIP/2.0/UDP uac.example.com:5999;branch=z9hG4bKu3;rport",
            "192.0.2.10:40000",
            None,
        ),
    ] {
        ep.handle_datagram(
            now,
            TransportKind::Udp,
            local,
            sa("192.0.2.10:40000"),
            request("OPTIONS", via),
        );
        let (key, req) = take_request(&mut ep);
        ep.send_response(now, key, Message::response_to(&req, 200, Some("s")))
            .unwrap();
        let t = transmits(&mut ep);
        assert_eq!(t.len(), 1, "{via}");
        assert_eq!((t[0].remote, t[0].multicast_ttl), (sa(want), ttl), "{via}");
    }
}

#[test]
fn reliable_transport_reuses_the_connection_despite_maddr() {
    let (mut ep, local) = server();
    let now = Instant::now();
    let conn: ConnectionId =
        ep.connection_opened(now, TransportKind::Tcp, local, sa("192.0.2.10:40001"));
    let via = "SIP/2.0/TCP uac.example.com;branch=z9hG4bKt1;maddr=239.1.2.3;ttl=9";
    ep.handle_stream_data(now, conn, &request("OPTIONS", via));
    let (key, req) = take_request(&mut ep);
    ep.send_response(now, key, Message::response_to(&req, 200, Some("s")))
        .unwrap();
    let t = transmits(&mut ep);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].connection, Some(conn));
    assert_eq!(t[0].remote, sa("192.0.2.10:40001"));
    assert_eq!(t[0].multicast_ttl, None);
    assert!(ep.poll_command().is_none(), "no new connection opened");
}

#[test]
fn requests_to_a_multicast_address_carry_maddr_and_ttl_1() {
    let local = sa("10.0.0.1:5060");
    let mut ep = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(4));
    ep.add_listener(TransportKind::Udp, local, None);
    let t0 = Instant::now();
    // The Request-URI's maddr names the multicast group (§19.1.1).
    let mut req = Message::request(
        Method::Options,
        "sip:registrar.example.com:5080;maddr=239.255.255.253",
    );
    req.append_header(HeaderName::From, "<sip:a@example.com>;tag=f2");
    req.append_header(HeaderName::To, "<sip:registrar.example.com>");
    req.append_header(HeaderName::CallId, "mc-1");
    req.append_header(HeaderName::CSeq, "1 OPTIONS");
    let target = next_hop(&req).unwrap().literal_target().unwrap();
    assert_eq!(target.addr, sa("239.255.255.253:5080"));
    ep.send_request(t0, req, target).unwrap();
    let mut sent: Vec<(Duration, Transmit)> = transmits(&mut ep)
        .into_iter()
        .map(|t| (Duration::ZERO, t))
        .collect();
    // Nobody answers: Timer E retransmits to the group until Timer F.
    sent.extend(run_until(&mut ep, t0, Duration::from_secs(40)));
    let times: Vec<u64> = sent.iter().map(|(d, _)| d.as_millis() as u64).collect();
    assert_eq!(
        times,
        [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    for (_, t) in &sent {
        assert_eq!(t.remote, sa("239.255.255.253:5080"));
        assert_eq!(t.multicast_ttl, Some(1));
        let m = Message::parse(t.payload.clone()).unwrap();
        let via = m.top_via().unwrap();
        assert_eq!(via.maddr(), Some("239.255.255.253"));
        assert_eq!(via.ttl(), Some(1));
    }
    assert!(matches!(
        std::iter::from_fn(|| ep.poll_event()).find(|e| matches!(e, Event::Timeout { .. })),
        Some(Event::Timeout { .. })
    ));
    assert_eq!(ep.transaction_count(), 0);
}

#[test]
fn route_maddr_is_the_next_hop_and_unicast_gets_no_maddr_in_via() {
    let local = sa("10.0.0.1:5060");
    let mut ep = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(5));
    ep.add_listener(TransportKind::Udp, local, None);
    let now = Instant::now();
    let mut req = Message::request(Method::Options, "sip:bob@example.com");
    req.append_header(
        HeaderName::Route,
        "<sip:edge.example.com;lr;maddr=198.51.100.4>",
    );
    req.append_header(HeaderName::From, "<sip:a@example.com>;tag=f3");
    req.append_header(HeaderName::To, "<sip:bob@example.com>");
    req.append_header(HeaderName::CallId, "rt-1");
    req.append_header(HeaderName::CSeq, "1 OPTIONS");
    let target: Target = next_hop(&req).unwrap().literal_target().unwrap();
    ep.send_request(now, req, target).unwrap();
    let t = transmits(&mut ep);
    assert_eq!(t[0].remote, sa("198.51.100.4:5060"));
    assert_eq!(t[0].multicast_ttl, None);
    let m = Message::parse(t[0].payload.clone()).unwrap();
    assert_eq!(m.top_via().unwrap().maddr(), None);
}
