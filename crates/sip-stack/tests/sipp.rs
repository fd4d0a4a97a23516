//! Interop with SIPp (Debian package sip-tester) on loopback: OPTIONS and
//! MESSAGE with SIPp as UAC against our UAS and as UAS against our UAC,
//! over UDP and TCP. Scenarios are in tests/sipp/. SIPp has no TLS in
//! Debian's build; TLS is covered by tests/driver.rs.

use heron_sip::{HeaderName, Message, Method};
use heron_sip_stack::driver::{Stack, StackConfig};
use heron_sip_stack::{Event, Target, TransportKind};
use heron_test_support::{free_port, require};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(30);

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sipp")).join(name)
}

fn sipp(name: &str, transport: TransportKind, local_port: u16, remote: SocketAddr) -> Command {
    let dir = std::env::temp_dir().join(format!("heron-sipp-{}-{local_port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = Command::new(require("sipp", "sip-tester"));
    c.current_dir(&dir)
        .arg("-sf")
        .arg(scenario(name))
        .args(["-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error"])
        .args(["-i", "127.0.0.1", "-p", &local_port.to_string()])
        .args([
            "-t",
            if transport == TransportKind::Udp {
                "u1"
            } else {
                "t1"
            },
        ])
        .args(["-s", "svc", "-trace_err"])
        .arg(remote.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

async fn finish(cmd: &mut Command) {
    let out = timeout(LIMIT, cmd.output())
        .await
        .expect("sipp did not finish in time")
        .expect("sipp runs");
    assert!(
        out.status.success(),
        "sipp failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stack_config(transport: TransportKind) -> StackConfig {
    let any = "127.0.0.1:0".parse().unwrap();
    let mut cfg = StackConfig::default();
    match transport {
        TransportKind::Udp => cfg.udp.push(any),
        _ => cfg.tcp.push(any),
    }
    cfg
}

async fn sipp_uac_against_our_uas(transport: TransportKind) {
    let (stack, mut events) = Stack::start(stack_config(transport)).await.unwrap();
    let us = stack.local_addr(transport).unwrap();
    let server = stack.clone();
    let served = tokio::spawn(async move {
        let mut methods = Vec::new();
        while let Some(e) = events.recv().await {
            if let Event::Request { key, request, .. } = e {
                methods.push(request.method().unwrap().clone());
                let ok = Message::response_to(&request, 200, Some("heron"));
                server.send_response(key, ok).unwrap();
                if methods.len() == 2 {
                    return methods;
                }
            }
        }
        methods
    });
    finish(&mut sipp(
        "uac_options_message.xml",
        transport,
        free_port(),
        us,
    ))
    .await;
    let methods = timeout(LIMIT, served).await.unwrap().unwrap();
    assert_eq!(methods, vec![Method::Options, Method::Message]);
}

async fn final_status(events: &mut UnboundedReceiver<Event>) -> u16 {
    loop {
        match events.recv().await.expect("stack alive") {
            Event::Response { response, .. } if response.status() >= Some(200) => {
                return response.status().unwrap()
            }
            Event::Timeout { .. } => return 408,
            Event::TransportError { .. } => return 503,
            _ => {}
        }
    }
}

async fn our_uac_against_sipp_uas(transport: TransportKind) {
    let port = free_port();
    let sipp_addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (stack, mut events) = Stack::start(stack_config(transport)).await.unwrap();
    let us = stack.local_addr(transport).unwrap();
    let mut child = sipp("uas_options_message.xml", transport, port, us)
        .spawn()
        .unwrap();
    if transport == TransportKind::Tcp {
        // Wait (bounded) until SIPp listens; UDP needs no wait, Timer E
        // retransmits until it is up.
        let up = timeout(LIMIT, async {
            while tokio::net::TcpStream::connect(sipp_addr).await.is_err() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        assert!(up.is_ok(), "sipp did not start listening");
    }
    let target = Target::new(transport, sipp_addr);
    for (seq, method) in [(1, Method::Options), (2, Method::Message)] {
        let mut req = Message::request(method.clone(), &format!("sip:svc@{sipp_addr}"));
        req.append_header(HeaderName::From, "<sip:heron@127.0.0.1>;tag=h1");
        req.append_header(HeaderName::To, "<sip:svc@127.0.0.1>");
        req.append_header(HeaderName::CallId, "heron-to-sipp-1");
        req.append_header(HeaderName::CSeq, &format!("{seq} {method}"));
        if method == Method::Message {
            req.set_body(Some("text/plain"), bytes::Bytes::from_static(b"hello sipp"));
        }
        stack.send_request(req, vec![target.clone()]).unwrap();
        let status = timeout(LIMIT, final_status(&mut events)).await.unwrap();
        assert_eq!(status, 200, "{method}");
    }
    let out = timeout(LIMIT, child.wait()).await.unwrap().unwrap();
    assert!(out.success(), "sipp UAS exited with {out}");
}

#[tokio::test]
async fn sipp_uac_options_and_message_over_udp() {
    sipp_uac_against_our_uas(TransportKind::Udp).await;
}

#[tokio::test]
async fn sipp_uac_options_and_message_over_tcp() {
    sipp_uac_against_our_uas(TransportKind::Tcp).await;
}

#[tokio::test]
async fn our_uac_options_and_message_to_sipp_over_udp() {
    our_uac_against_sipp_uas(TransportKind::Udp).await;
}

#[tokio::test]
async fn our_uac_options_and_message_to_sipp_over_tcp() {
    our_uac_against_sipp_uas(TransportKind::Tcp).await;
}
