//! Mutual TLS, server side: a TLS listener that requests or requires a
//! client certificate, verifies it against the configured client CA and
//! shows the verified certificate to the application with each request's
//! connection. Certificates are made by the test (rcgen); the clients are
//! our own stack (rustls) and the `openssl s_client` command (OpenSSL).

use heron_sip::{HeaderName, Message, Method};
use heron_sip_stack::driver::{ClientAuth, Identity, Stack, StackConfig, TlsConfig};
use heron_sip_stack::{Event, PeerCertificate, Target, TransportKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(20);
const SERVER_NAME: &str = "pbx.test.invalid";

struct Ca {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl Ca {
    fn new() -> Ca {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "heron test CA");
        let cert = p.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// A leaf signed by this CA, with its PEM forms for openssl.
    fn leaf(&self, cn: &str, dns: &[&str], uris: &[&str]) -> Leaf {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p =
            rcgen::CertificateParams::new(dns.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        for u in uris {
            p.subject_alt_names
                .push(rcgen::SanType::URI((*u).try_into().unwrap()));
        }
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        let cert = p.signed_by(&key, &self.cert, &self.key).unwrap();
        Leaf {
            identity: Identity {
                certs: vec![cert.der().clone()],
                key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            },
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

struct Leaf {
    identity: Identity,
    cert_pem: String,
    key_pem: String,
}

fn options(to: SocketAddr, call: &str) -> Message {
    let mut m = Message::request(Method::Options, &format!("sips:svc@{SERVER_NAME}"));
    m.append_header(HeaderName::From, "<sip:agent@example.com>;tag=a1");
    m.append_header(HeaderName::To, &format!("<sip:svc@{to}>"));
    m.append_header(HeaderName::CallId, call);
    m.append_header(HeaderName::CSeq, "1 OPTIONS");
    m
}

/// A TLS server with `auth`, trusting `client_ca` for client
/// certificates. It answers every request with 200 and reports the peer
/// certificate it saw for the request's connection.
async fn server(
    identity: &Identity,
    auth: ClientAuth,
    client_ca: Option<Vec<CertificateDer<'static>>>,
) -> (
    SocketAddr,
    UnboundedReceiver<Option<PeerCertificate>>,
    Stack,
) {
    let (stack, mut events) = Stack::start(StackConfig {
        tls_listen: vec!["127.0.0.1:0".parse().unwrap()],
        tls: Some(TlsConfig {
            identity: Some(identity.clone()),
            client_auth: auth,
            client_ca,
            ..TlsConfig::default()
        }),
        ..StackConfig::default()
    })
    .await
    .unwrap();
    let addr = stack.local_addr(TransportKind::Tls).unwrap();
    let (seen_tx, seen_rx): (UnboundedSender<_>, _) = unbounded_channel();
    let s = stack.clone();
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            if let Event::Request {
                key,
                request,
                source,
            } = e
            {
                let conn = source
                    .connection
                    .expect("TLS requests come on a connection");
                let _ = seen_tx.send(s.peer_certificate(conn));
                let ok = Message::response_to(&request, 200, Some("srv"));
                let _ = s.send_response(key, ok);
            }
        }
    });
    (addr, seen_rx, stack)
}

/// Our stack as the TLS client, with or without a client certificate.
async fn ping(
    to: SocketAddr,
    ca: CertificateDer<'static>,
    identity: Option<Identity>,
) -> Result<(Message, Option<PeerCertificate>), String> {
    let (client, mut events) = Stack::start(StackConfig {
        tcp: vec!["127.0.0.1:0".parse().unwrap()],
        tls: Some(TlsConfig {
            ca: Some(vec![ca]),
            identity,
            ..TlsConfig::default()
        }),
        ..StackConfig::default()
    })
    .await
    .unwrap();
    let target = Target::new(TransportKind::Tls, to).with_server_name(SERVER_NAME);
    client
        .send_request(options(to, "mtls"), vec![target])
        .unwrap();
    let outcome = timeout(LIMIT, async {
        loop {
            match events.recv().await {
                Some(Event::Response {
                    response, source, ..
                }) if response.status() >= Some(200) => {
                    // The server's certificate is visible on our side too.
                    let server_cert = source.connection.and_then(|c| client.peer_certificate(c));
                    return Ok((response, server_cert));
                }
                Some(Event::TransportError { error, .. }) => return Err(error.to_string()),
                Some(Event::Timeout { .. }) => return Err("timeout".into()),
                Some(_) => {}
                None => return Err("stack gone".into()),
            }
        }
    })
    .await
    .map_err(|_| "no outcome".to_owned())?;
    outcome
}

fn sha256(der: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    d.as_ref().try_into().unwrap()
}

#[tokio::test]
async fn required_client_certificate_is_verified_and_shown() {
    let ca = Ca::new();
    let srv = ca.leaf("PBX", &[SERVER_NAME], &[]);
    let agent = ca.leaf(
        "Agent 7",
        &["agent.test.invalid"],
        &["sip:agent.test.invalid"],
    );
    let (addr, mut seen, _s) =
        server(&srv.identity, ClientAuth::Require, Some(vec![ca.der()])).await;
    let (resp, server_cert) = ping(addr, ca.der(), Some(agent.identity.clone()))
        .await
        .unwrap();
    assert_eq!(resp.status(), Some(200));
    let peer = seen
        .recv()
        .await
        .unwrap()
        .expect("client certificate shown");
    assert_eq!(peer.sha256, sha256(&agent.identity.certs[0]));
    assert_eq!(&peer.chain[0][..], &agent.identity.certs[0][..]);
    assert!(peer.subject.contains("CN=Agent 7"), "{}", peer.subject);
    assert_eq!(peer.dns_names, ["agent.test.invalid"]);
    assert!(peer.names_sip_domain("agent.test.invalid"));
    let server_cert = server_cert.expect("server certificate shown to the client");
    assert_eq!(server_cert.sha256, sha256(&srv.identity.certs[0]));
    assert!(server_cert.names_sip_domain(SERVER_NAME));
}

#[tokio::test]
async fn required_client_certificate_missing_fails_the_handshake() {
    let ca = Ca::new();
    let srv = ca.leaf("PBX", &[SERVER_NAME], &[]);
    let (addr, mut seen, _s) =
        server(&srv.identity, ClientAuth::Require, Some(vec![ca.der()])).await;
    let err = ping(addr, ca.der(), None).await.unwrap_err();
    // TLS 1.3 lets the client finish before the server's alert, so the
    // failure shows either in the handshake or as the connection dying.
    assert!(
        err.contains("TLS handshake") || err.contains("failed") || err.contains("closed"),
        "{err}"
    );
    assert!(seen.try_recv().is_err(), "no request reached the user");
}

#[tokio::test]
async fn client_certificate_from_another_ca_is_refused() {
    let ca = Ca::new();
    let rogue = Ca::new();
    let srv = ca.leaf("PBX", &[SERVER_NAME], &[]);
    let intruder = rogue.leaf("Intruder", &["agent.test.invalid"], &[]);
    for auth in [ClientAuth::Require, ClientAuth::Request] {
        let (addr, mut seen, _s) = server(&srv.identity, auth, Some(vec![ca.der()])).await;
        let err = ping(addr, ca.der(), Some(intruder.identity.clone()))
            .await
            .unwrap_err();
        assert!(!err.is_empty());
        assert!(
            seen.try_recv().is_err(),
            "{auth:?}: no request reached the user"
        );
    }
}

#[tokio::test]
async fn requested_client_certificate_is_optional() {
    let ca = Ca::new();
    let srv = ca.leaf("PBX", &[SERVER_NAME], &[]);
    let agent = ca.leaf("Agent", &["agent.test.invalid"], &[]);
    // No client_ca: the listener checks client certificates against `ca`.
    let (stack, mut events) = Stack::start(StackConfig {
        tls_listen: vec!["127.0.0.1:0".parse().unwrap()],
        tls: Some(TlsConfig {
            identity: Some(srv.identity.clone()),
            ca: Some(vec![ca.der()]),
            client_auth: ClientAuth::Request,
            ..TlsConfig::default()
        }),
        ..StackConfig::default()
    })
    .await
    .unwrap();
    let addr = stack.local_addr(TransportKind::Tls).unwrap();
    let (tx, mut seen) = unbounded_channel();
    let s = stack.clone();
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            if let Event::Request {
                key,
                request,
                source,
            } = e
            {
                let _ = tx.send(source.connection.and_then(|c| s.peer_certificate(c)));
                let _ = s.send_response(key, Message::response_to(&request, 200, Some("s")));
            }
        }
    });
    let (resp, _) = ping(addr, ca.der(), None).await.unwrap();
    assert_eq!(resp.status(), Some(200));
    assert_eq!(
        seen.recv().await.unwrap(),
        None,
        "no certificate, none shown"
    );
    let (resp, _) = ping(addr, ca.der(), Some(agent.identity.clone()))
        .await
        .unwrap();
    assert_eq!(resp.status(), Some(200));
    let peer = seen.recv().await.unwrap().expect("certificate shown");
    assert_eq!(peer.sha256, sha256(&agent.identity.certs[0]));
}

#[tokio::test]
async fn client_auth_without_a_ca_is_a_configuration_error() {
    let ca = Ca::new();
    let srv = ca.leaf("PBX", &[SERVER_NAME], &[]);
    let err = Stack::start(StackConfig {
        tls_listen: vec!["127.0.0.1:0".parse().unwrap()],
        tls: Some(TlsConfig {
            identity: Some(srv.identity.clone()),
            client_auth: ClientAuth::Require,
            ..TlsConfig::default()
        }),
        ..StackConfig::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("client_ca"), "{err}");
}

/// OpenSSL as the client: `openssl s_client` presents a certificate, sends
/// an OPTIONS over the TLS connection and prints what comes back.
async fn openssl_client(
    dir: &std::path::Path,
    addr: SocketAddr,
    cert: Option<&Leaf>,
) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut cmd = tokio::process::Command::new("openssl");
    cmd.arg("s_client")
        .arg("-connect")
        .arg(addr.to_string())
        .arg("-servername")
        .arg(SERVER_NAME)
        .arg("-CAfile")
        .arg(dir.join("ca.pem"))
        .arg("-verify_return_error")
        .arg("-quiet")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    if let Some(leaf) = cert {
        std::fs::write(dir.join("client.pem"), &leaf.cert_pem).unwrap();
        std::fs::write(dir.join("client.key"), &leaf.key_pem).unwrap();
        cmd.arg("-cert")
            .arg(dir.join("client.pem"))
            .arg("-key")
            .arg(dir.join("client.key"));
    }
    let mut child = cmd.spawn().map_err(|e| format!("openssl: {e}"))?;
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let req = format!(
        "OPTIONS sips:svc@{SERVER_NAME} SIP/2.0\r\n\
         Via: SIP/2.0/TLS 127.0.0.1:1;branch=z9hG4bKossl1\r\n\
         Max-Forwards: 70\r\nFrom: <sip:ossl@test.invalid>;tag=o1\r\n\
         To: <sips:svc@{SERVER_NAME}>\r\nCall-ID: ossl-1\r\nCSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    );
    stdin
        .write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stdin.flush().await.map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let read = timeout(LIMIT, async {
        loop {
            match stdout.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    if out.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    drop(stdin);
    let _ = child.kill().await;
    read.map_err(|_| "openssl gave no answer".to_owned())?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn openssl_client_with_certificate_is_accepted_and_shown() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        panic!("the openssl command is needed (Debian package openssl)");
    }
    let dir = std::env::temp_dir().join(format!("heron-mtls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = Ca::new();
    std::fs::write(dir.join("ca.pem"), ca.cert.pem()).unwrap();
    let srv = ca.leaf("PBX", &[SERVER_NAME], &[]);
    let agent = ca.leaf("OpenSSL agent", &["ossl.test.invalid"], &[]);
    let (addr, mut seen, _s) =
        server(&srv.identity, ClientAuth::Require, Some(vec![ca.der()])).await;

    let out = openssl_client(&dir, addr, Some(&agent)).await.unwrap();
    assert!(out.starts_with("SIP/2.0 200"), "{out}");
    let peer = seen.recv().await.unwrap().expect("certificate shown");
    assert_eq!(peer.sha256, sha256(&agent.identity.certs[0]));
    assert!(
        peer.subject.contains("CN=OpenSSL agent"),
        "{}",
        peer.subject
    );

    // Without a certificate OpenSSL gets no SIP answer.
    let out = openssl_client(&dir, addr, None).await.unwrap_or_default();
    assert!(!out.contains("SIP/2.0"), "{out}");
    assert!(seen.try_recv().is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
