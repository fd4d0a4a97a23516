//! Registration and calls against Kamailio (Debian packages `kamailio`
//! and `kamailio-tls-modules`) started by the test on free loopback ports:
//! digest authentication from a plain-text (db_text) user table over UDP,
//! TCP and TLS (certificates made by the test with rcgen), rejected
//! credentials, 423 Interval Too Brief, unregistration, re-registration
//! when the TCP or TLS flow to the registrar dies (a relay in the test
//! cuts it), and a call between two of our user agents through Kamailio
//! (INVITE challenged with 407, Record-Route). Every wait is bounded.

use bytes::Bytes;
use heron_sip_auth::Credentials;
use heron_sip_stack::driver::{StackConfig, TlsConfig};
use heron_sip_stack::registration::{RegistrationConfig, RegistrationFailure, RegistrationState};
use heron_sip_stack::ua::driver::UaStack;
use heron_sip_stack::ua::{UaConfig, UaEvent};
use heron_sip_stack::{Target, TransportKind};
use heron_test_support::kamailio;
use heron_test_support::{free_port, require};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

const REALM: &str = "heron.test";

struct Kamailio {
    _child: Child,
    port: u16,
    /// The TLS port, when TLS is on.
    tls_port: Option<u16>,
    /// The CA that signed Kamailio's certificate, when TLS is on.
    ca: Option<rustls::pki_types::CertificateDer<'static>>,
    _dir: PathBuf,
}

/// The processes whose parent is `pid` (Kamailio's workers), from /proc.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|st| {
                    // pid (comm) state ppid ...: comm may hold spaces.
                    let rest = &st[st.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

fn signal(sig: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = std::process::Command::new("kill")
        .arg(sig)
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

impl Drop for Kamailio {
    /// Stops Kamailio and its worker processes: a SIGKILL of the main
    /// process alone (what `kill_on_drop` sends) would leave the workers
    /// running. SIGTERM to all, a bounded wait, then SIGKILL to whatever
    /// is left.
    fn drop(&mut self) {
        let Some(pid) = self._child.id() else {
            return;
        };
        let workers = children_of(pid);
        signal("-TERM", &[pid]);
        signal("-TERM", &workers);
        for _ in 0..250 {
            let main_done = !matches!(self._child.try_wait(), Ok(None));
            let left: Vec<u32> = workers
                .iter()
                .copied()
                .filter(|w| std::path::Path::new(&format!("/proc/{w}")).exists())
                .collect();
            if main_done && left.is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        signal("-KILL", &workers);
    }
}

async fn start_kamailio() -> Kamailio {
    start_kamailio_with(false).await
}

/// A CA and a server certificate for the realm and 127.0.0.1, as PEM
/// files in `dir`; returns the CA.
fn make_certs(dir: &std::path::Path) -> rustls::pki_types::CertificateDer<'static> {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![REALM.to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
    ca.der().clone()
}

async fn start_kamailio_with(tls: bool) -> Kamailio {
    let bin = require("kamailio", "kamailio kamailio-tls-modules");
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("heron-kamailio-{}-{port}", std::process::id()));
    let db = dir.join("db");
    kamailio::write_subscribers(&db, REALM, &[("1001", "pw1001"), ("1002", "pw1002")]).unwrap();
    let (tls_port, ca) = if tls {
        let ca = make_certs(&dir);
        let tls_cfg = format!(
            "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n\
             require_certificate = no\nprivate_key = {key}\ncertificate = {cert}\n",
            key = dir.join("server.key").display(),
            cert = dir.join("server.pem").display(),
        );
        std::fs::write(dir.join("tls.cfg"), tls_cfg).unwrap();
        (Some(free_port()), Some(ca))
    } else {
        (None, None)
    };
    let tls_file = dir.join("tls.cfg");
    let cfg = dir.join("kamailio.cfg");
    let text = kamailio::Registrar {
        realm: REALM,
        port,
        tls: tls_port.map(|p| (p, tls_file.as_path())),
        db: &db,
        extra: "modparam(\"registrar\", \"min_expires\", 120)\n\
                modparam(\"registrar\", \"min_expires_mode\", 1)\n\
                modparam(\"registrar\", \"max_expires\", 3600)",
        log_requests: false,
    }
    .config();
    std::fs::write(&cfg, text).unwrap();
    let child = Command::new(bin)
        .arg("-f")
        .arg(&cfg)
        .args(["-DD", "-E", "-m", "32", "-M", "8", "-w"])
        .arg(&dir)
        .arg("-Y")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("kamailio starts");
    // Ready when its TCP (and TLS) ports accept.
    let up = timeout(Duration::from_secs(15), async {
        for p in std::iter::once(port).chain(tls_port) {
            while tokio::net::TcpStream::connect(("127.0.0.1", p))
                .await
                .is_err()
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    })
    .await;
    assert!(up.is_ok(), "kamailio did not come up on port {port}");
    Kamailio {
        _child: child,
        port,
        tls_port,
        ca,
        _dir: dir,
    }
}

async fn agent(
    user: &str,
    transport: TransportKind,
    k: &Kamailio,
) -> (UaStack, UnboundedReceiver<UaEvent>) {
    agent_to(user, target(transport, k), k).await
}

/// An agent whose proxy is `proxy` (Kamailio or a relay in front of it).
async fn agent_to(
    user: &str,
    proxy: Target,
    k: &Kamailio,
) -> (UaStack, UnboundedReceiver<UaEvent>) {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut stack = StackConfig::default();
    stack.udp.push(any);
    match proxy.transport {
        TransportKind::Tcp => stack.tcp.push(any),
        TransportKind::Tls => {
            stack.tls = Some(TlsConfig {
                ca: Some(vec![k.ca.clone().expect("kamailio runs with TLS")]),
                ..TlsConfig::default()
            })
        }
        TransportKind::Udp => {}
    }
    let mut cfg = UaConfig::new(format!("sip:{user}@{REALM}"));
    cfg.credentials = Some(Credentials::new(user, format!("pw{user}")));
    cfg.transport = proxy.transport;
    cfg.proxy = Some(proxy);
    UaStack::start(stack, cfg).await.unwrap()
}

fn target(transport: TransportKind, k: &Kamailio) -> Target {
    let port = match transport {
        TransportKind::Tls => k.tls_port.expect("kamailio runs with TLS"),
        _ => k.port,
    };
    let t = Target::new(transport, format!("127.0.0.1:{port}").parse().unwrap());
    if transport == TransportKind::Tls {
        t.with_server_name(REALM)
    } else {
        t
    }
}

fn reg_config(user: &str, password: &str) -> RegistrationConfig {
    let mut c = RegistrationConfig::new(format!("sip:{REALM}"), format!("sip:{user}@{REALM}"));
    c.credentials = Some(Credentials::new(user, password));
    c.expires = 300;
    c
}

/// The next registration state (bounded wait).
async fn next_state(events: &mut UnboundedReceiver<UaEvent>) -> RegistrationState {
    timeout(Duration::from_secs(15), async {
        loop {
            match events.recv().await {
                Some(UaEvent::Registration { state, .. })
                    if state != RegistrationState::Registering =>
                {
                    return state;
                }
                Some(_) => {}
                None => panic!("event stream closed"),
            }
        }
    })
    .await
    .expect("no registration state in time")
}

async fn register_and_unregister(transport: TransportKind) {
    let k = start_kamailio_with(transport == TransportKind::Tls).await;
    let (ua, mut events) = agent("1001", transport, &k).await;
    let reg = ua
        .register(reg_config("1001", "pw1001"), target(transport, &k))
        .unwrap();
    let st = next_state(&mut events).await;
    assert!(
        matches!(st, RegistrationState::Registered { expires: 300, .. }),
        "{st:?}"
    );
    if let RegistrationState::Registered { contact, .. } = &st {
        let token = format!("transport={}", transport.via_token().to_ascii_lowercase());
        assert_eq!(
            contact.contains(&token),
            transport != TransportKind::Udp,
            "{contact}"
        );
    }
    reg.unregister().unwrap();
    assert_eq!(
        next_state(&mut events).await,
        RegistrationState::Unregistered
    );
}

#[tokio::test]
async fn kamailio_digest_registration_over_udp() {
    register_and_unregister(TransportKind::Udp).await;
}

#[tokio::test]
async fn kamailio_digest_registration_over_tcp() {
    register_and_unregister(TransportKind::Tcp).await;
}

#[tokio::test]
async fn kamailio_digest_registration_over_tls() {
    register_and_unregister(TransportKind::Tls).await;
}

/// A TCP relay between our agent and Kamailio that the test can cut: every
/// connection it carries is dropped at once, as when a NAT or a firewall
/// forgets the flow.
struct Relay {
    addr: SocketAddr,
    /// Connections accepted so far.
    accepted: Arc<Mutex<usize>>,
    pipes: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(upstream: SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(Mutex::new(0));
        let pipes: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (acc, p) = (accepted.clone(), pipes.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut down, _)) = listener.accept().await {
                *acc.lock().unwrap() += 1;
                let pipe = tokio::spawn(async move {
                    if let Ok(mut up) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                    }
                });
                p.lock().unwrap().push(pipe.abort_handle());
            }
        });
        Relay {
            addr,
            accepted,
            pipes,
            _task: task,
        }
    }

    /// Drops every connection carried so far.
    fn cut(&self) {
        for p in self.pipes.lock().unwrap().drain(..) {
            p.abort();
        }
    }

    fn accepted(&self) -> usize {
        *self.accepted.lock().unwrap()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self._task.abort();
    }
}

/// Registers through a relay over `transport`, cuts the flow and expects
/// the agent to notice and register again over a new connection.
async fn dead_flow_reregisters(transport: TransportKind) {
    let k = start_kamailio_with(transport == TransportKind::Tls).await;
    let direct = target(transport, &k);
    let relay = Relay::start(direct.addr).await;
    let mut via_relay = Target::new(transport, relay.addr);
    via_relay.server_name = direct.server_name.clone();
    let (ua, mut events) = agent_to("1001", via_relay.clone(), &k).await;
    ua.register(reg_config("1001", "pw1001"), via_relay)
        .unwrap();
    let st = next_state(&mut events).await;
    assert!(matches!(st, RegistrationState::Registered { .. }), "{st:?}");
    assert_eq!(relay.accepted(), 1);
    relay.cut();
    let st = next_state(&mut events).await;
    assert!(matches!(st, RegistrationState::Registered { .. }), "{st:?}");
    assert_eq!(relay.accepted(), 2, "re-registration used a new connection");
}

#[tokio::test]
async fn dead_tcp_flow_triggers_reregistration() {
    dead_flow_reregisters(TransportKind::Tcp).await;
}

#[tokio::test]
async fn dead_tls_flow_triggers_reregistration() {
    dead_flow_reregisters(TransportKind::Tls).await;
}

#[tokio::test]
async fn kamailio_wrong_password_fails_without_retrying() {
    let k = start_kamailio().await;
    let (ua, mut events) = agent("1001", TransportKind::Udp, &k).await;
    ua.register(reg_config("1001", "nope"), target(TransportKind::Udp, &k))
        .unwrap();
    let st = next_state(&mut events).await;
    assert!(
        matches!(st, RegistrationState::Failed(RegistrationFailure::Auth(_))),
        "{st:?}"
    );
}

#[tokio::test]
async fn kamailio_423_raises_expires_to_min_expires() {
    let k = start_kamailio().await;
    let (ua, mut events) = agent("1002", TransportKind::Udp, &k).await;
    let mut c = reg_config("1002", "pw1002");
    c.expires = 30;
    ua.register(c, target(TransportKind::Udp, &k)).unwrap();
    let st = next_state(&mut events).await;
    assert!(
        matches!(st, RegistrationState::Registered { expires: 120, .. }),
        "{st:?}"
    );
}

#[tokio::test]
async fn call_between_two_agents_through_kamailio() {
    let k = start_kamailio().await;
    let (alice, mut a_ev) = agent("1001", TransportKind::Udp, &k).await;
    let (bob, mut b_ev) = agent("1002", TransportKind::Udp, &k).await;
    alice
        .register(reg_config("1001", "pw1001"), target(TransportKind::Udp, &k))
        .unwrap();
    bob.register(reg_config("1002", "pw1002"), target(TransportKind::Udp, &k))
        .unwrap();
    assert!(matches!(
        next_state(&mut a_ev).await,
        RegistrationState::Registered { .. }
    ));
    assert!(matches!(
        next_state(&mut b_ev).await,
        RegistrationState::Registered { .. }
    ));
    let sdp = Bytes::from_static(b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
    let call = alice
        .call(&format!("sip:1002@{REALM}"), Some(sdp.clone()))
        .unwrap();
    let bob2 = bob.clone();
    let answered_by_bob = tokio::spawn(async move {
        while let Some(e) = b_ev.recv().await {
            match e {
                UaEvent::IncomingCall { call, info } => {
                    assert_eq!(info.from.uri, format!("sip:1001@{REALM}"));
                    let h = bob2.call_handle(call);
                    h.ring(None).unwrap();
                    h.answer(Some(Bytes::from_static(b"v=0\r\n"))).unwrap();
                }
                UaEvent::Terminated { reason, .. } => return reason,
                _ => {}
            }
        }
        panic!("bob's events ended");
    });
    let answered = timeout(Duration::from_secs(15), async {
        while let Some(e) = a_ev.recv().await {
            match e {
                UaEvent::Answered { .. } => return Ok(()),
                UaEvent::Terminated { reason, .. } => return Err(reason),
                _ => {}
            }
        }
        panic!("alice's events ended");
    })
    .await
    .expect("the call was not answered in time");
    assert_eq!(answered, Ok(()));
    call.hangup().unwrap();
    let bob_end = timeout(Duration::from_secs(15), answered_by_bob)
        .await
        .expect("bob saw no BYE")
        .unwrap();
    assert!(
        matches!(bob_end, heron_sip_stack::ua::EndReason::RemoteHangup { .. }),
        "{bob_end:?}"
    );
}
