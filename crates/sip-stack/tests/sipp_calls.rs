//! Calls against SIPp (Debian package sip-tester) on loopback, UDP:
//! SIPp's built-in UAC and UAS against our user agent, and scenarios in
//! tests/sipp/ for 100rel/PRACK (SIPp as UAC and as UAS), session timers
//! with 422 and UPDATE refresh, INFO DTMF with hold/resume, a blind
//! transfer to a second SIPp with NOTIFY progress, INVITE with Replaces,
//! CANCEL racing a 200 (both directions) and re-INVITE glare (491 and the
//! §14.1 retry). Every run is bounded by a timeout.

use bytes::Bytes;
use heron_sip_stack::driver::StackConfig;
use heron_sip_stack::ua::driver::UaStack;
use heron_sip_stack::ua::{EndReason, SessionTimerConfig, UaConfig, UaEvent};
use heron_sip_stack::TransportKind;
use heron_test_support::{free_port, require};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::Command;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(40);

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sipp")).join(name)
}

/// SIPp with a scenario file or a built-in (`-sn`) against `remote`.
fn sipp(scen: &str, port: u16, remote: Option<SocketAddr>, extra: &[&str]) -> Command {
    let dir = std::env::temp_dir().join(format!("heron-sipp-calls-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = Command::new(require("sipp", "sip-tester"));
    c.current_dir(&dir);
    if scen.ends_with(".xml") {
        c.arg("-sf").arg(scenario(scen));
    } else {
        c.args(["-sn", scen]);
    }
    c.args(["-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error"])
        .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-t", "u1"])
        .args(["-s", "svc", "-trace_err", "-trace_logs"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(r) = remote {
        c.arg(r.to_string());
    }
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

fn answer_sdp() -> Bytes {
    Bytes::from_static(
        b"v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
    )
}

fn hold_answer() -> Bytes {
    Bytes::from_static(
        b"v=0\r\no=- 7 8 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=recvonly\r\n",
    )
}

/// What a test adds to the agent's behaviour: called with every event
/// before the agent's own handling.
type Hook = Box<dyn Fn(&UaStack, &UaEvent) + Send + Sync>;

/// Our user agent on UDP that answers calls, offers and transfers, and
/// records every event.
async fn agent(cfg: UaConfig) -> (UaStack, SocketAddr, Arc<Mutex<Vec<UaEvent>>>) {
    agent_with(cfg, Box::new(|_, _| {})).await
}

/// [`agent`] with a hook for the test's own actions.
async fn agent_with(cfg: UaConfig, hook: Hook) -> (UaStack, SocketAddr, Arc<Mutex<Vec<UaEvent>>>) {
    let stack = StackConfig {
        udp: vec!["127.0.0.1:0".parse().unwrap()],
        ..StackConfig::default()
    };
    let (ua, mut events) = UaStack::start(stack, cfg).await.unwrap();
    let addr = ua.stack().local_addr(TransportKind::Udp).unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (ua2, log2) = (ua.clone(), log.clone());
    tokio::spawn(async move {
        let mut transferred = Vec::new();
        while let Some(e) = events.recv().await {
            hook(&ua2, &e);
            match &e {
                UaEvent::IncomingCall { call, .. } => {
                    let h = ua2.call_handle(*call);
                    let _ = h.ring(None);
                    let _ = h.answer(Some(answer_sdp()));
                }
                UaEvent::OfferReceived { call, sdp, .. } => {
                    let hold = sdp
                        .as_ref()
                        .is_some_and(|s| s.windows(8).any(|w| w == b"sendonly"));
                    let a = if hold { hold_answer() } else { answer_sdp() };
                    let _ = ua2.call_handle(*call).respond_offer(a);
                }
                UaEvent::TransferRequested { call, .. } => {
                    if let Ok(new) = ua2.call_handle(*call).accept_transfer(Some(answer_sdp())) {
                        transferred.push(new.key());
                    }
                }
                UaEvent::Answered { call, .. } if transferred.contains(call) => {
                    let _ = ua2.call_handle(*call).hangup();
                }
                _ => {}
            }
            log2.lock().unwrap().push(e);
        }
    });
    (ua, addr, log)
}

fn cfg() -> UaConfig {
    UaConfig::new("sip:heron@127.0.0.1")
}

fn events(log: &Arc<Mutex<Vec<UaEvent>>>) -> Vec<UaEvent> {
    log.lock().unwrap().clone()
}

/// Waits (bounded) until the log holds an event `f` accepts.
async fn wait_for(log: &Arc<Mutex<Vec<UaEvent>>>, f: impl Fn(&UaEvent) -> bool) {
    let found = timeout(Duration::from_secs(10), async {
        loop {
            if log.lock().unwrap().iter().any(&f) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(found.is_ok(), "event not seen: {:?}", events(log));
}

fn remote_hangups(log: &Arc<Mutex<Vec<UaEvent>>>) -> usize {
    events(log)
        .iter()
        .filter(|e| {
            matches!(
                e,
                UaEvent::Terminated {
                    reason: EndReason::RemoteHangup { .. },
                    ..
                }
            )
        })
        .count()
}

#[tokio::test]
async fn sipp_builtin_uac_calls_us() {
    let (_ua, addr, log) = agent(cfg()).await;
    finish(&mut sipp("uac", free_port(), Some(addr), &[])).await;
    wait_for(&log, |e| matches!(e, UaEvent::Terminated { .. })).await;
    assert_eq!(remote_hangups(&log), 1);
}

#[tokio::test]
async fn we_call_sipp_builtin_uas_and_hang_up() {
    let (ua, _addr, log) = agent(cfg()).await;
    let port = free_port();
    let mut child = sipp("uas", port, None, &[]).spawn().unwrap();
    // SIPp needs a moment to bind; retry the call until it answers.
    let mut answered = false;
    for _ in 0..20 {
        let call = ua
            .call(&format!("sip:svc@127.0.0.1:{port}"), Some(answer_sdp()))
            .unwrap();
        let ok = timeout(Duration::from_secs(3), async {
            loop {
                let ev = events(&log);
                if ev
                    .iter()
                    .any(|e| matches!(e, UaEvent::Answered { call: c, .. } if *c == call.key()))
                {
                    return true;
                }
                if ev
                    .iter()
                    .any(|e| matches!(e, UaEvent::Terminated { call: c, .. } if *c == call.key()))
                {
                    return false;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        if ok == Ok(true) {
            call.hangup().unwrap();
            answered = true;
            break;
        }
        let _ = call.hangup();
    }
    assert!(answered, "SIPp UAS never answered: {:?}", events(&log));
    let out = timeout(LIMIT, child.wait())
        .await
        .expect("sipp uas ends")
        .unwrap();
    assert!(out.success(), "sipp uas failed: {out}");
}

#[tokio::test]
async fn sipp_uac_with_100rel_gets_a_reliable_180_and_prack_works() {
    let (_ua, addr, log) = agent(cfg()).await;
    finish(&mut sipp("uac_100rel.xml", free_port(), Some(addr), &[])).await;
    wait_for(&log, |e| matches!(e, UaEvent::Terminated { .. })).await;
    assert!(events(&log)
        .iter()
        .any(|e| matches!(e, UaEvent::Confirmed { .. })));
}

#[tokio::test]
async fn sipp_uac_session_timer_422_and_update_refresh() {
    let mut c = cfg();
    c.session_timer = Some(SessionTimerConfig {
        expires: 1800,
        min_se: 4,
    });
    let (_ua, addr, log) = agent(c).await;
    finish(&mut sipp(
        "uac_session_timer.xml",
        free_port(),
        Some(addr),
        &[],
    ))
    .await;
    wait_for(&log, |e| matches!(e, UaEvent::Terminated { .. })).await;
    assert_eq!(remote_hangups(&log), 1);
}

#[tokio::test]
async fn sipp_uac_info_dtmf_hold_and_resume() {
    let (_ua, addr, log) = agent(cfg()).await;
    finish(&mut sipp("uac_info_hold.xml", free_port(), Some(addr), &[])).await;
    wait_for(&log, |e| matches!(e, UaEvent::Terminated { .. })).await;
    let ev = events(&log);
    assert!(ev.iter().any(|e| matches!(
        e,
        UaEvent::Dtmf {
            digit: '7',
            duration_ms: Some(160),
            ..
        }
    )));
    let offers = ev
        .iter()
        .filter(|e| matches!(e, UaEvent::OfferReceived { .. }))
        .count();
    assert_eq!(offers, 2);
}

#[tokio::test]
async fn sipp_blind_transfer_to_a_second_sipp_with_notify() {
    let (_ua, addr, log) = agent(cfg()).await;
    let target_port = free_port();
    let mut target = sipp("uas", target_port, None, &[]).spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    finish(&mut sipp(
        "uac_refer.xml",
        free_port(),
        Some(addr),
        &["-key", "target_port", &target_port.to_string()],
    ))
    .await;
    let out = timeout(LIMIT, target.wait())
        .await
        .expect("target sipp ends")
        .unwrap();
    assert!(out.success(), "target sipp failed: {out}");
    wait_for(&log, |e| matches!(e, UaEvent::TransferRequested { .. })).await;
}

#[tokio::test]
async fn sipp_uac_invite_with_replaces_swaps_the_dialog() {
    let (_ua, addr, log) = agent(cfg()).await;
    finish(&mut sipp("uac_replaces.xml", free_port(), Some(addr), &[])).await;
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
    let ev = events(&log);
    let calls: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            UaEvent::IncomingCall { call, info } => Some((*call, info.replaces)),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 2, "{ev:?}");
    assert_eq!(calls[0].1, None);
    assert_eq!(
        calls[1].1,
        Some(calls[0].0),
        "the second call replaces the first"
    );
    assert!(ev.iter().any(|e| matches!(
        e,
        UaEvent::Terminated { call, reason: EndReason::Replaced } if *call == calls[0].0
    )));
    assert_eq!(remote_hangups(&log), 1);
}

#[tokio::test]
async fn sipp_uac_cancel_after_our_200_leaves_the_call_up() {
    let (_ua, addr, log) = agent(cfg()).await;
    finish(&mut sipp(
        "uac_cancel_after_200.xml",
        free_port(),
        Some(addr),
        &[],
    ))
    .await;
    wait_for(&log, |e| matches!(e, UaEvent::Terminated { .. })).await;
    let ev = events(&log);
    assert!(
        ev.iter().any(|e| matches!(e, UaEvent::Confirmed { .. })),
        "{ev:?}"
    );
    assert_eq!(remote_hangups(&log), 1, "{ev:?}");
}

#[tokio::test]
async fn sipp_uac_reinvite_glare_is_answered_491_and_our_retry_succeeds() {
    let hold = Bytes::from_static(
        b"v=0\r\no=- 7 9 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendonly\r\n",
    );
    let hook: Hook = Box::new(move |ua, e| {
        if let UaEvent::Confirmed { call, .. } = e {
            ua.call_handle(*call).reinvite(hold.clone()).unwrap();
        }
    });
    let (_ua, addr, log) = agent_with(cfg(), hook).await;
    finish(&mut sipp("uac_glare.xml", free_port(), Some(addr), &[])).await;
    wait_for(&log, |e| matches!(e, UaEvent::Terminated { .. })).await;
    let ev = events(&log);
    assert!(
        ev.iter().any(|e| matches!(e, UaEvent::MediaUpdate { .. })),
        "the retried re-INVITE was answered: {ev:?}"
    );
    assert_eq!(remote_hangups(&log), 1);
}

/// Starts SIPp as UAS with `scen` and waits (bounded) until it has bound
/// its UDP port.
async fn sipp_uas(scen: &str) -> (tokio::process::Child, u16) {
    let port = free_port();
    let child = sipp(scen, port, None, &[]).spawn().unwrap();
    let bound = timeout(Duration::from_secs(10), async {
        while std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(bound.is_ok(), "sipp did not bind port {port}");
    (child, port)
}

async fn sipp_uas_done(child: tokio::process::Child) {
    let out = timeout(LIMIT, child.wait_with_output())
        .await
        .expect("sipp uas ends")
        .unwrap();
    assert!(
        out.status.success(),
        "sipp uas failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn our_cancel_racing_sipp_200_is_followed_by_ack_and_bye() {
    let hook: Hook = Box::new(|ua, e| {
        if let UaEvent::Progress {
            call, code: 180, ..
        } = e
        {
            ua.call_handle(*call).hangup().unwrap();
        }
    });
    let (ua, _addr, log) = agent_with(cfg(), hook).await;
    let (child, port) = sipp_uas("uas_cancel_race.xml").await;
    let call = ua
        .call(&format!("sip:svc@127.0.0.1:{port}"), Some(answer_sdp()))
        .unwrap();
    sipp_uas_done(child).await;
    wait_for(
        &log,
        |e| matches!(e, UaEvent::Terminated { call: c, .. } if *c == call.key()),
    )
    .await;
}

#[tokio::test]
async fn we_call_a_sipp_100rel_uas_with_early_media() {
    let hook: Hook = Box::new(|ua, e| {
        if let UaEvent::Answered { call, .. } = e {
            ua.call_handle(*call).hangup().unwrap();
        }
    });
    let (ua, _addr, log) = agent_with(cfg(), hook).await;
    let (child, port) = sipp_uas("uas_100rel.xml").await;
    let call = ua
        .call(&format!("sip:svc@127.0.0.1:{port}"), Some(answer_sdp()))
        .unwrap();
    sipp_uas_done(child).await;
    wait_for(
        &log,
        |e| matches!(e, UaEvent::Terminated { call: c, .. } if *c == call.key()),
    )
    .await;
    let ev = events(&log);
    assert!(
        ev.iter().any(|e| matches!(
            e,
            UaEvent::Progress {
                code: 183,
                sdp: Some(_),
                ..
            }
        )),
        "{ev:?}"
    );
    assert!(ev.iter().any(|e| matches!(e, UaEvent::Answered { .. })));
}
