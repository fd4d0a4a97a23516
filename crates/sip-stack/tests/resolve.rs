//! RFC 3263 resolution against a small authoritative DNS server on
//! loopback that the test starts: NAPTR → SRV → A/AAAA, explicit
//! transports and ports, `sips:`, IP literals, the TTL cache, and a
//! request failing over from a dead first target to the second.

use heron_sip_stack::resolve::Resolver;
use heron_sip_stack::{Target, TransportKind};
use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, NAPTR, SOA, SRV};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(20);

type Zone = HashMap<(String, RecordType), Vec<Record>>;

fn name(s: &str) -> Name {
    Name::from_str(s).unwrap()
}

fn add(zone: &mut Zone, owner: &str, data: RData) {
    let t = data.record_type();
    zone.entry((owner.to_ascii_lowercase(), t))
        .or_default()
        .push(Record::from_rdata(name(owner), 300, data));
}

fn naptr(order: u16, pref: u16, service: &str, repl: &str) -> RData {
    RData::NAPTR(NAPTR::new(
        order,
        pref,
        b"s".to_vec().into_boxed_slice(),
        service.as_bytes().to_vec().into_boxed_slice(),
        Vec::new().into_boxed_slice(),
        name(repl),
    ))
}

fn srv(prio: u16, weight: u16, port: u16, target: &str) -> RData {
    RData::SRV(SRV::new(prio, weight, port, name(target)))
}

fn zone() -> Zone {
    let mut z = Zone::new();
    add(
        &mut z,
        "example.test.",
        naptr(20, 10, "SIP+D2U", "_sip._udp.example.test."),
    );
    add(
        &mut z,
        "example.test.",
        naptr(10, 10, "SIP+D2T", "_sip._tcp.example.test."),
    );
    add(
        &mut z,
        "example.test.",
        naptr(10, 20, "SIPS+D2T", "_sips._tcp.example.test."),
    );
    add(
        &mut z,
        "_sip._tcp.example.test.",
        srv(20, 0, 5071, "b.example.test."),
    );
    add(
        &mut z,
        "_sip._tcp.example.test.",
        srv(10, 0, 5070, "a.example.test."),
    );
    add(
        &mut z,
        "_sip._udp.example.test.",
        srv(10, 0, 5080, "a.example.test."),
    );
    add(
        &mut z,
        "_sips._tcp.example.test.",
        srv(10, 0, 5061, "a.example.test."),
    );
    add(&mut z, "a.example.test.", RData::A(A::new(127, 0, 0, 1)));
    add(&mut z, "b.example.test.", RData::A(A::new(127, 0, 0, 2)));
    add(
        &mut z,
        "b.example.test.",
        RData::AAAA(AAAA::from_str("::1").unwrap()),
    );
    // No NAPTR: SRV for TCP only.
    add(
        &mut z,
        "_sip._tcp.plain.test.",
        srv(10, 0, 5090, "a.example.test."),
    );
    // Only an address.
    add(&mut z, "host.test.", RData::A(A::new(127, 0, 0, 3)));
    z
}

/// Starts the server; returns its address and the number of queries seen.
async fn dns_server(zone: Zone) -> (SocketAddr, Arc<AtomicUsize>) {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, from)) = sock.recv_from(&mut buf).await else {
                continue;
            };
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            seen.fetch_add(1, Ordering::SeqCst);
            let mut resp = Message::new();
            resp.set_id(q.id())
                .set_message_type(MessageType::Response)
                .set_op_code(OpCode::Query)
                .set_authoritative(true)
                .set_recursion_desired(q.recursion_desired());
            resp.add_queries(q.queries().to_vec());
            let mut found = false;
            let mut name_known = false;
            for query in q.queries() {
                let owner = query.name().to_ascii().to_ascii_lowercase();
                name_known |= zone.keys().any(|(o, _)| *o == owner);
                if let Some(rs) = zone.get(&(owner, query.query_type())) {
                    found = true;
                    resp.add_answers(rs.clone());
                }
            }
            if !found {
                // An SOA lets the resolver cache the negative answer.
                let soa = SOA::new(
                    name("ns.test."),
                    name("admin.test."),
                    1,
                    3600,
                    600,
                    86400,
                    300,
                );
                resp.add_name_server(Record::from_rdata(name("test."), 300, RData::SOA(soa)));
            }
            resp.set_response_code(if found || name_known {
                ResponseCode::NoError
            } else {
                ResponseCode::NXDomain
            });
            if let Ok(bytes) = resp.to_vec() {
                let _ = sock.send_to(&bytes, from).await;
            }
        }
    });
    (addr, count)
}

fn all() -> Vec<TransportKind> {
    vec![TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls]
}

fn summary(ts: &[Target]) -> Vec<(TransportKind, String)> {
    ts.iter()
        .map(|t| (t.transport, t.addr.to_string()))
        .collect()
}

#[tokio::test]
async fn naptr_srv_and_addresses_in_rfc3263_order() {
    let (ns, _) = dns_server(zone()).await;
    let r = Resolver::with_nameserver(ns, all());
    let ts = timeout(LIMIT, r.resolve("sip:alice@example.test"))
        .await
        .unwrap()
        .unwrap();
    // NAPTR order 10 (TCP pref 10, then TLS pref 20), then order 20 (UDP);
    // within TCP, SRV priority 10 before 20, b has A and AAAA.
    let mut expect = vec![
        (TransportKind::Tcp, "127.0.0.1:5070".to_owned()),
        (TransportKind::Tcp, "127.0.0.2:5071".to_owned()),
        (TransportKind::Tcp, "[::1]:5071".to_owned()),
        (TransportKind::Tls, "127.0.0.1:5061".to_owned()),
        (TransportKind::Udp, "127.0.0.1:5080".to_owned()),
    ];
    let got = summary(&ts);
    // The resolver may give b's addresses in either family order.
    if got[1].1 == "[::1]:5071" {
        expect.swap(1, 2);
    }
    assert_eq!(got, expect);
    assert!(ts
        .iter()
        .all(|t| t.server_name.as_deref() == Some("example.test")));
    assert!(ts.iter().all(|t| !t.transport_pinned));
}

#[tokio::test]
async fn explicit_transport_port_sips_and_literals() {
    let (ns, _) = dns_server(zone()).await;
    let r = Resolver::with_nameserver(ns, all());
    let ts = r.resolve("sip:x@example.test;transport=udp").await.unwrap();
    assert_eq!(
        summary(&ts),
        vec![(TransportKind::Udp, "127.0.0.1:5080".into())]
    );
    assert!(ts[0].transport_pinned);
    let ts = r.resolve("sips:x@example.test").await.unwrap();
    assert_eq!(
        summary(&ts),
        vec![(TransportKind::Tls, "127.0.0.1:5061".into())]
    );
    let ts = r.resolve("sip:x@host.test:5099").await.unwrap();
    assert_eq!(
        summary(&ts),
        vec![(TransportKind::Udp, "127.0.0.3:5099".into())]
    );
    let ts = r.resolve("sip:x@host.test").await.unwrap();
    assert_eq!(
        summary(&ts),
        vec![(TransportKind::Udp, "127.0.0.3:5060".into())]
    );
    let ts = r.resolve("sip:x@plain.test").await.unwrap();
    assert_eq!(
        summary(&ts),
        vec![(TransportKind::Tcp, "127.0.0.1:5090".into())]
    );
    let ts = r.resolve("sip:127.0.0.9:5062;transport=tcp").await.unwrap();
    assert_eq!(
        summary(&ts),
        vec![(TransportKind::Tcp, "127.0.0.9:5062".into())]
    );
    let ts = r.resolve("sips:[::1]").await.unwrap();
    assert_eq!(
        summary(&ts),
        vec![(TransportKind::Tls, "[::1]:5061".into())]
    );
    assert!(r.resolve("sip:x@nowhere.test").await.is_err());
    assert!(r.resolve("tel:+49301234").await.is_err());
}

#[tokio::test]
async fn answers_are_cached_for_their_ttl() {
    let (ns, count) = dns_server(zone()).await;
    let r = Resolver::with_nameserver(ns, all());
    let first = r.resolve("sip:alice@example.test").await.unwrap();
    let asked = count.load(Ordering::SeqCst);
    assert!(asked >= 5, "{asked}");
    let second = r.resolve("sip:alice@example.test").await.unwrap();
    assert_eq!(first.len(), second.len());
    assert_eq!(
        count.load(Ordering::SeqCst),
        asked,
        "second look-up came from the cache"
    );
}

#[tokio::test]
async fn request_fails_over_from_dead_target() {
    use heron_sip::{HeaderName, Message as Sip, Method};
    use heron_sip_stack::driver::{Stack, StackConfig};
    use heron_sip_stack::Event;
    // example2.test: SRV prio 10 → a TCP port nothing listens on,
    // prio 20 → our server.
    let (server, mut sev) = Stack::start(StackConfig {
        tcp: vec!["127.0.0.1:0".parse().unwrap()],
        ..StackConfig::default()
    })
    .await
    .unwrap();
    let live = server.local_addr(TransportKind::Tcp).unwrap();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut z = zone();
    add(
        &mut z,
        "_sip._tcp.example2.test.",
        srv(10, 0, dead, "a.example.test."),
    );
    add(
        &mut z,
        "_sip._tcp.example2.test.",
        srv(20, 0, live.port(), "a.example.test."),
    );
    let (ns, _) = dns_server(z).await;
    let r = Resolver::with_nameserver(ns, all());
    let targets = r
        .resolve("sip:svc@example2.test;transport=tcp")
        .await
        .unwrap();
    assert_eq!(targets.len(), 2);
    tokio::spawn(async move {
        while let Some(e) = sev.recv().await {
            if let Event::Request { key, request, .. } = e {
                let _ = server.send_response(key, Sip::response_to(&request, 200, Some("s")));
            }
        }
    });
    let (client, mut cev) = Stack::start(StackConfig {
        tcp: vec!["127.0.0.1:0".parse().unwrap()],
        ..StackConfig::default()
    })
    .await
    .unwrap();
    let mut req = Sip::request(Method::Options, "sip:svc@example2.test;transport=tcp");
    req.append_header(HeaderName::From, "<sip:a@example.test>;tag=1");
    req.append_header(HeaderName::To, "<sip:svc@example2.test>");
    req.append_header(HeaderName::CallId, "failover-1");
    req.append_header(HeaderName::CSeq, "1 OPTIONS");
    client.send_request(req, targets).unwrap();
    let status = timeout(LIMIT, async {
        loop {
            match cev.recv().await.unwrap() {
                Event::Response {
                    response, source, ..
                } => {
                    assert_eq!(source.remote, live);
                    break response.status().unwrap();
                }
                Event::TransportError { error, .. } => panic!("{error}"),
                _ => {}
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
}
