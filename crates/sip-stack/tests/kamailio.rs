//! Registration and calls against Kamailio (Debian package `kamailio`)
//! started by the test on free loopback ports: digest authentication from
//! a plain-text (db_text) user table over UDP and TCP, rejected
//! credentials, 423 Interval Too Brief, unregistration, and a call
//! between two of our user agents through Kamailio (INVITE challenged
//! with 407, Record-Route). Every wait is bounded.

use bytes::Bytes;
use heron_sip_auth::Credentials;
use heron_sip_stack::driver::StackConfig;
use heron_sip_stack::registration::{RegistrationConfig, RegistrationFailure, RegistrationState};
use heron_sip_stack::ua::driver::UaStack;
use heron_sip_stack::ua::{UaConfig, UaEvent};
use heron_sip_stack::{Target, TransportKind};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

const REALM: &str = "heron.test";

fn kamailio_path() -> PathBuf {
    for d in ["/usr/sbin", "/usr/local/sbin", "/usr/bin"] {
        let p = PathBuf::from(d).join("kamailio");
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "kamailio not found: install the Debian package kamailio \
         (scripts/deps.sh does) to run the Kamailio interop tests"
    )
}

fn free_port() -> u16 {
    loop {
        let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = u.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

struct Kamailio {
    _child: Child,
    port: u16,
    _dir: PathBuf,
}

fn config(port: u16, db: &str) -> String {
    format!(
        r#"#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
alias="{REALM}"
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "corex.so"
loadmodule "kex.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
modparam("auth_db", "db_url", "text://{db}")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "load_credentials", "")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 120)
modparam("registrar", "min_expires_mode", 1)
modparam("registrar", "max_expires", 3600)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (is_method("REGISTER")) {{
        if (!www_authenticate("{REALM}", "subscriber")) {{
            www_challenge("{REALM}", "1");
            exit;
        }}
        if (!save("location")) {{
            sl_reply_error();
        }}
        exit;
    }}
    if (has_totag()) {{
        if (loose_route() || is_method("ACK")) {{
            t_relay();
            exit;
        }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{
            t_relay();
        }}
        exit;
    }}
    if (is_method("INVITE")) {{
        if (!proxy_authenticate("{REALM}", "subscriber")) {{
            proxy_challenge("{REALM}", "1");
            exit;
        }}
        consume_credentials();
        record_route();
    }}
    if (!lookup("location")) {{
        sl_send_reply("404", "Not Found");
        exit;
    }}
    t_relay();
}}
"#
    )
}

async fn start_kamailio() -> Kamailio {
    let bin = kamailio_path();
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("heron-kamailio-{}-{port}", std::process::id()));
    let db = dir.join("db");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(
        db.join("version"),
        "table_name(string) table_version(int)\nsubscriber:7\n",
    )
    .unwrap();
    let mut users = String::from(
        "id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string)\n",
    );
    for (i, u) in ["1001", "1002"].iter().enumerate() {
        users.push_str(&format!("{}:{u}:{REALM}:pw{u}:x:x\n", i + 1));
    }
    std::fs::write(db.join("subscriber"), users).unwrap();
    let cfg = dir.join("kamailio.cfg");
    std::fs::write(&cfg, config(port, db.to_str().unwrap())).unwrap();
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
    // Ready when its TCP port accepts.
    let up = timeout(Duration::from_secs(15), async {
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(up.is_ok(), "kamailio did not come up on port {port}");
    Kamailio {
        _child: child,
        port,
        _dir: dir,
    }
}

async fn agent(
    user: &str,
    transport: TransportKind,
    k: &Kamailio,
) -> (UaStack, UnboundedReceiver<UaEvent>) {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut stack = StackConfig::default();
    stack.udp.push(any);
    if transport == TransportKind::Tcp {
        stack.tcp.push(any);
    }
    let mut cfg = UaConfig::new(format!("sip:{user}@{REALM}"));
    cfg.credentials = Some(Credentials::new(user, format!("pw{user}")));
    cfg.proxy = Some(target(transport, k));
    cfg.transport = transport;
    UaStack::start(stack, cfg).await.unwrap()
}

fn target(transport: TransportKind, k: &Kamailio) -> Target {
    Target::new(transport, format!("127.0.0.1:{}", k.port).parse().unwrap())
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
    let k = start_kamailio().await;
    let (ua, mut events) = agent("1001", transport, &k).await;
    let reg = ua
        .register(reg_config("1001", "pw1001"), target(transport, &k))
        .unwrap();
    let st = next_state(&mut events).await;
    assert!(
        matches!(st, RegistrationState::Registered { expires: 300, .. }),
        "{st:?}"
    );
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
