//! The tokio driver on loopback: OPTIONS over UDP, TCP (IPv4 and IPv6)
//! and TLS (certificates made by the test with rcgen), certificate and
//! host-name checks, and the RFC 4475 torture messages sent to a running
//! endpoint over UDP.

use bytes::Bytes;
use heron_sip::{HeaderName, Message, Method};
use heron_sip_stack::driver::{Identity, Stack, StackConfig, TlsConfig};
use heron_sip_stack::{Event, Target, TransportKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(20);

fn options(to: SocketAddr, call: &str) -> Message {
    let mut m = Message::request(Method::Options, &format!("sip:svc@{to}"));
    m.append_header(HeaderName::From, "<sip:alice@example.com>;tag=a1");
    m.append_header(HeaderName::To, "<sip:svc@example.com>");
    m.append_header(HeaderName::CallId, call);
    m.append_header(HeaderName::CSeq, "1 OPTIONS");
    m
}

/// Answers every request with 200 until the stack is dropped.
fn serve(stack: Stack, mut events: UnboundedReceiver<Event>) {
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            if let Event::Request { key, request, .. } = e {
                let mut ok = Message::response_to(&request, 200, Some("srv"));
                ok.append_header(HeaderName::Allow, "INVITE, ACK, BYE, CANCEL, OPTIONS");
                let _ = stack.send_response(key, ok);
            }
        }
    });
}

/// Waits for the final response (or failure) of the first transaction.
async fn final_outcome(events: &mut UnboundedReceiver<Event>) -> Result<Message, String> {
    loop {
        match events.recv().await {
            Some(Event::Response { response, .. }) if response.status() >= Some(200) => {
                return Ok(response)
            }
            Some(Event::TransportError { error, .. }) => return Err(error.to_string()),
            Some(Event::Timeout { .. }) => return Err("timeout".into()),
            Some(_) => {}
            None => return Err("stack gone".into()),
        }
    }
}

async fn ping(transport: TransportKind, ip: &str) {
    let any: SocketAddr = format!("{ip}:0").parse().unwrap();
    let mut server_cfg = StackConfig::default();
    let mut client_cfg = StackConfig::default();
    match transport {
        TransportKind::Udp => {
            server_cfg.udp.push(any);
            client_cfg.udp.push(any);
        }
        _ => {
            server_cfg.tcp.push(any);
            client_cfg.tcp.push(any);
        }
    }
    let (server, sev) = Stack::start(server_cfg).await.unwrap();
    let to = server.local_addr(transport).unwrap();
    serve(server, sev);
    let (client, mut cev) = Stack::start(client_cfg).await.unwrap();
    client
        .send_request(options(to, "drv-1"), vec![Target::new(transport, to)])
        .unwrap();
    let resp = timeout(LIMIT, final_outcome(&mut cev))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resp.status(), Some(200));
    let via = resp.top_via().unwrap();
    assert_eq!(via.transport, transport.via_token());
    // The server stamped where the request came from (RFC 3581).
    assert!(via.rport().flatten().is_some());
}

#[tokio::test]
async fn options_over_udp_v4() {
    ping(TransportKind::Udp, "127.0.0.1").await;
}

#[tokio::test]
async fn options_over_udp_v6() {
    ping(TransportKind::Udp, "[::1]").await;
}

#[tokio::test]
async fn options_over_tcp_v4() {
    ping(TransportKind::Tcp, "127.0.0.1").await;
}

#[tokio::test]
async fn options_over_tcp_v6() {
    ping(TransportKind::Tcp, "[::1]").await;
}

struct Pki {
    ca: CertificateDer<'static>,
    server: Identity,
    client: Identity,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf = |names: Vec<String>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        Identity {
            certs: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    };
    Pki {
        ca: ca.der().clone(),
        server: leaf(vec!["sip.test.invalid".into(), "127.0.0.1".into()]),
        client: leaf(vec!["agent.test.invalid".into()]),
    }
}

async fn tls_pair(
    pki: &Pki,
    server_name: &str,
    client_ca: Vec<CertificateDer<'static>>,
) -> Result<Message, String> {
    let server_cfg = StackConfig {
        tls_listen: vec!["127.0.0.1:0".parse().unwrap()],
        tls: Some(TlsConfig {
            identity: Some(pki.server.clone()),
            ..TlsConfig::default()
        }),
        ..StackConfig::default()
    };
    let (server, sev) = Stack::start(server_cfg).await.unwrap();
    let to = server.local_addr(TransportKind::Tls).unwrap();
    serve(server, sev);
    let client_cfg = StackConfig {
        tcp: vec!["127.0.0.1:0".parse().unwrap()],
        tls: Some(TlsConfig {
            ca: Some(client_ca),
            identity: Some(pki.client.clone()),
            ..TlsConfig::default()
        }),
        ..StackConfig::default()
    };
    let (client, mut cev) = Stack::start(client_cfg).await.unwrap();
    let target = Target::new(TransportKind::Tls, to).with_server_name(server_name);
    let mut req = options(to, "tls-1");
    req.set_request_uri(&format!("sips:svc@{server_name}"));
    client.send_request(req, vec![target]).unwrap();
    timeout(LIMIT, final_outcome(&mut cev)).await.unwrap()
}

#[tokio::test]
async fn options_over_tls_with_verified_name() {
    let pki = pki();
    let resp = tls_pair(&pki, "sip.test.invalid", vec![pki.ca.clone()])
        .await
        .unwrap();
    assert_eq!(resp.status(), Some(200));
    assert_eq!(resp.top_via().unwrap().transport, "TLS");
}

#[tokio::test]
async fn tls_rejects_wrong_host_name() {
    let pki = pki();
    let err = tls_pair(&pki, "other.test.invalid", vec![pki.ca.clone()])
        .await
        .unwrap_err();
    assert!(err.contains("TLS handshake"), "{err}");
}

#[tokio::test]
async fn tls_rejects_untrusted_certificate() {
    let pki = pki();
    let other = self::pki();
    let err = tls_pair(&pki, "sip.test.invalid", vec![other.ca.clone()])
        .await
        .unwrap_err();
    assert!(err.contains("TLS handshake"), "{err}");
}

#[tokio::test]
async fn connect_refused_is_reported() {
    // A port nothing listens on: bind, note the port, close.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = l.local_addr().unwrap();
    drop(l);
    let (client, mut cev) = Stack::start(StackConfig {
        tcp: vec!["127.0.0.1:0".parse().unwrap()],
        ..StackConfig::default()
    })
    .await
    .unwrap();
    client
        .send_request(
            options(dead, "refused"),
            vec![Target::new(TransportKind::Tcp, dead)],
        )
        .unwrap();
    let err = timeout(LIMIT, final_outcome(&mut cev))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.contains("failed"), "{err}");
}

#[tokio::test]
async fn torture_messages_to_a_running_endpoint() {
    let dir = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/rfc4475"
    ));
    let mut cfg = StackConfig {
        udp: vec!["127.0.0.1:0".parse().unwrap()],
        ..StackConfig::default()
    };
    cfg.endpoint.force_rport = true;
    let (server, sev) = Stack::start(cfg).await.unwrap();
    let to = server.local_addr(TransportKind::Udp).unwrap();
    serve(server, sev);
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    // Responses to drop come first: rejected INVITEs are answered again on
    // Timer G since this socket never ACKs.
    let expect = [
        ("bigcode.dat", None),
        ("scalarlg.dat", None),
        ("badvers.dat", Some(505)),
        ("unkscm.dat", Some(416)),
        ("bext01.dat", Some(420)),
        ("esc02.dat", Some(501)),
        ("mismatch01.dat", Some(400)),
        ("clerr.dat", Some(400)),
        ("ltgtruri.dat", Some(400)),
        ("zeromf.dat", Some(200)),
        ("wsinv.dat", Some(200)),
        ("invut.dat", Some(415)),
    ];
    for (file, code) in expect {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        sock.send_to(&bytes, to).await.unwrap();
        let mut buf = vec![0u8; 65536];
        let wait = Duration::from_millis(if code.is_some() { 5000 } else { 300 });
        let got = timeout(wait, sock.recv_from(&mut buf)).await;
        match (code, got) {
            (Some(c), Ok(Ok((n, _)))) => {
                let m = Message::parse(Bytes::copy_from_slice(&buf[..n])).unwrap();
                assert_eq!(m.status(), Some(c), "{file}");
            }
            (None, Err(_)) => {}
            (c, Ok(Ok((n, _)))) => panic!(
                "{file}: expected {c:?}, got {}",
                String::from_utf8_lossy(&buf[..n])
            ),
            (c, g) => panic!("{file}: expected {c:?}, got {g:?}"),
        }
    }
}
