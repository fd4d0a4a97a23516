//! Offers in reliable provisionals against SIPp (Debian package
//! sip-tester) on loopback, UDP, both directions (RFC 3262 §5):
//! `tests/sipp/uas_early_offer.xml` is a SIPp UAS that offers in a
//! reliable 183 to our INVITE without SDP and checks our answer in the
//! PRACK; `tests/sipp/uac_early_offer.xml` is a SIPp UAC whose INVITE has
//! no SDP and requires 100rel, to which we offer in a reliable 183 and
//! take the answer from its PRACK. Every run is bounded by a timeout.

use bytes::Bytes;
use heron_sip_stack::driver::StackConfig;
use heron_sip_stack::ua::driver::UaStack;
use heron_sip_stack::ua::{EndReason, UaConfig, UaEvent};
use heron_sip_stack::TransportKind;
use heron_test_support::free_port;
use std::net::SocketAddr;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(40);

fn our_sdp(user: &str) -> Bytes {
    Bytes::from(format!(
        "v=0\r\no={user} 9 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    ))
}

fn contains(b: &Bytes, s: &str) -> bool {
    b.windows(s.len()).any(|w| w == s.as_bytes())
}

/// SIPp running `scen` (one call) on `port`, towards `remote` if given.
fn sipp(scen: &str, port: u16, remote: Option<SocketAddr>) -> Child {
    let dir = std::env::temp_dir().join(format!("heron-sipp-early-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sipp/").to_owned() + scen;
    let mut c = Command::new("sipp");
    c.current_dir(&dir)
        .args(["-sf", &file, "-m", "1", "-nostdin", "-timeout", "30s"])
        .args(["-timeout_error", "-i", "127.0.0.1", "-p", &port.to_string()])
        .args(["-t", "u1", "-s", "svc", "-trace_err"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(r) = remote {
        c.arg(r.to_string());
    }
    c.spawn()
        .expect("sipp runs (install the Debian package sip-tester)")
}

async fn sipp_ok(child: Child) -> Output {
    let out = timeout(LIMIT, child.wait_with_output())
        .await
        .expect("sipp finishes in time")
        .unwrap();
    assert!(
        out.status.success(),
        "sipp failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

type Log = Arc<Mutex<Vec<UaEvent>>>;

/// Our user agent on UDP. It handles early offers both ways: to an
/// incoming INVITE without offer it offers in a reliable 183 and answers
/// (the 200 waits for the PRACK); an outgoing call's early offer is
/// answered in the PRACK and the call hung up once answered.
async fn agent() -> (UaStack, SocketAddr, Log) {
    let stack = StackConfig {
        udp: vec!["127.0.0.1:0".parse().unwrap()],
        ..StackConfig::default()
    };
    let (ua, mut events) = UaStack::start(stack, UaConfig::new("sip:heron@127.0.0.1"))
        .await
        .unwrap();
    let addr = ua.stack().local_addr(TransportKind::Udp).unwrap();
    let log = Log::default();
    let (ua2, log2) = (ua.clone(), log.clone());
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            match &e {
                UaEvent::IncomingCall { call, info } if info.offer.is_none() => {
                    let h = ua2.call_handle(*call);
                    assert!(h.reliable_provisionals());
                    h.ring(Some(our_sdp("heron-offer"))).unwrap();
                    h.answer(None).unwrap();
                }
                UaEvent::EarlyOffer { call, .. } => {
                    ua2.call_handle(*call)
                        .prack_answer(our_sdp("heron-answer"))
                        .unwrap();
                }
                UaEvent::Answered { call, .. } => ua2.call_handle(*call).hangup().unwrap(),
                _ => {}
            }
            log2.lock().unwrap().push(e);
        }
    });
    (ua, addr, log)
}

/// Waits (bounded) until the log holds an event `f` accepts.
async fn wait_for(log: &Log, f: impl Fn(&UaEvent) -> bool) {
    let found = timeout(Duration::from_secs(10), async {
        loop {
            if log.lock().unwrap().iter().any(&f) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(found.is_ok(), "event not seen: {:?}", log.lock().unwrap());
}

#[tokio::test]
async fn we_call_sipp_without_offer_and_answer_its_offer_in_the_prack() {
    let (ua, _addr, log) = agent().await;
    let port = free_port();
    let child = sipp("uas_early_offer.xml", port, None);
    // Wait (bounded) until SIPp has bound its port.
    let bound = timeout(Duration::from_secs(10), async {
        while std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(bound.is_ok(), "sipp did not bind port {port}");
    let call = ua
        .call(&format!("sip:svc@127.0.0.1:{port}"), None)
        .unwrap()
        .key();
    sipp_ok(child).await;
    wait_for(
        &log,
        |e| matches!(e, UaEvent::Terminated { call: c, reason: EndReason::LocalHangup } if *c == call),
    )
    .await;
    let ev = log.lock().unwrap().clone();
    assert!(
        ev.iter().any(|e| matches!(
            e,
            UaEvent::EarlyOffer { code: 183, sdp, .. } if contains(sdp, "o=sipp-offer ")
        )),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, UaEvent::Answered { sdp: None, .. })),
        "{ev:?}"
    );
    assert!(!ev.iter().any(|e| matches!(e, UaEvent::Progress { .. })));
}

#[tokio::test]
async fn sipp_calls_us_without_offer_requiring_100rel_and_answers_in_the_prack() {
    let (_ua, addr, log) = agent().await;
    sipp_ok(sipp("uac_early_offer.xml", free_port(), Some(addr))).await;
    wait_for(&log, |e| {
        matches!(
            e,
            UaEvent::Terminated {
                reason: EndReason::RemoteHangup { .. },
                ..
            }
        )
    })
    .await;
    let ev = log.lock().unwrap().clone();
    assert!(
        ev.iter().any(
            |e| matches!(e, UaEvent::MediaUpdate { sdp, .. } if contains(sdp, "o=sipp-answer "))
        ),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, UaEvent::Confirmed { sdp: None, .. })),
        "{ev:?}"
    );
}
