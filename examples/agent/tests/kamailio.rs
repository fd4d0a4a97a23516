//! Kamailio (Debian packages kamailio, kamailio-tls-modules) as the
//! customer's registrar with digest authentication: the agent registers
//! over UDP, TCP and TLS; SIPp (sip-tester) calls the agent through
//! Kamailio and streams G.711 RTP; the agent calls baresip through
//! Kamailio, and its attempt to dial 112 never reaches Kamailio (checked
//! in Kamailio's request log). Every wait is bounded.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::baresip::Baresip;
use common::{agent_config, echo_agent, free_port, require, wait_for, Kamailio, Scratch, REALM};
use heron_agent::media::wav::Wav;
use heron_agent::policy::Refusal;
use heron_agent::runtime::{AgentEvent, CallError};
use tokio::process::Command;
use tokio::time::timeout;

const USERS: &[(&str, &str)] = &[
    ("1001", "pw-secret"),
    ("1002", "pw1002"),
    ("1003", "pw1003"),
];

fn agent_toml(k: &Kamailio, transport: &str) -> String {
    let port = if transport == "tls" {
        k.port + 1
    } else {
        k.port
    };
    format!(
        r#"
[pbx]
vendor = "kamailio"
[account]
aor = "sip:1001@{REALM}"
password_env = "HERON_TEST_PW"
expires = 120
[sip]
registrar = "127.0.0.1:{port}"
transport = "{transport}"
listen = "127.0.0.1:0"
retry_min = 1
[tls]
server_name = "127.0.0.1"
ca = "ca.pem"
[media]
codecs = ["pcmu", "pcma"]
rtp_ports = "49000-49999"
[policy]
allow = ["1???"]
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_with_digest_over_udp_tcp_and_tls() {
    let k = Kamailio::start(USERS).await;
    for transport in ["udp", "tcp", "tls"] {
        let (_agent, mut events) =
            echo_agent(agent_config(&agent_toml(&k, transport), &k.dir.0)).await;
        let r = wait_for(&mut events, 10, |e| match e {
            AgentEvent::Registered { expires, contact } => Some(Ok((*expires, contact.clone()))),
            AgentEvent::RegistrationFailed(f) => Some(Err(f.clone())),
            _ => None,
        })
        .await;
        match r {
            Some(Ok((expires, contact))) => {
                assert!(expires > 0 && expires <= 120, "{transport}: {expires}");
                assert!(contact.contains("1001@127.0.0.1"), "{transport}: {contact}");
            }
            other => panic!("{transport}: {other:?}\n{:#?}", k.requests()),
        }
    }
    let registers = k
        .requests()
        .iter()
        .filter(|r| r.starts_with("REQ REGISTER"))
        .count();
    assert!(
        registers >= 6,
        "a challenge and an answer per transport: {registers}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_fails_without_a_retry_storm() {
    let k = Kamailio::start(USERS).await;
    let text = agent_toml(&k, "udp");
    let mut cfg = agent_config(&text, &k.dir.0);
    cfg.account.password = heron_agent::config::SecretString::new("wrong");
    let (_agent, mut events) = echo_agent(cfg).await;
    let failed = wait_for(&mut events, 10, |e| match e {
        AgentEvent::RegistrationFailed(f) => Some(f.clone()),
        AgentEvent::Registered { .. } => Some("registered?".into()),
        _ => None,
    })
    .await;
    assert!(failed.is_some_and(|f| f != "registered?"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let registers = k
        .requests()
        .iter()
        .filter(|r| r.starts_with("REQ REGISTER"))
        .count();
    assert!(
        registers <= 4,
        "no retry storm on 401: {registers} REGISTERs"
    );
}

/// Three seconds of a 440 Hz tone as raw µ-law for SIPp's rtp_stream.
fn ulaw_tone(path: &std::path::Path) {
    let mut g = heron_agent::media::analysis::ToneGenerator::new(440.0, 8000, 8000);
    let mut pcm = vec![0i16; 8000 * 3];
    g.fill(&mut pcm);
    let mut codec = heron_codecs::open_codec(&heron_codecs::CodecSpec::new("PCMU", 8000)).unwrap();
    let mut out = vec![0u8; pcm.len()];
    let n = codec.encode(&pcm, &mut out).unwrap();
    std::fs::write(path, &out[..n]).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_calls_the_agent_through_kamailio() {
    sipp_calls_through_kamailio("udp").await;
}

/// The agent registers over TLS and has no TLS listener (the usual set-up
/// behind NAT, and what Teams Direct Routing, 3CX and CUBE expect): the
/// PBX sends the INVITE back over the registration's own connection
/// (RFC 5626/5923-style flow reuse), and the whole dialog stays on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_arrives_over_the_registrations_tls_connection() {
    sipp_calls_through_kamailio("tls").await;
}

/// SIPp calls 1001 through Kamailio; the agent registered over
/// `transport` answers with the echo pipeline; SIPp streams G.711.
async fn sipp_calls_through_kamailio(transport: &str) {
    let sipp = require("sipp", "sip-tester");
    let k = Kamailio::start(USERS).await;
    let (_agent, mut events) = echo_agent(agent_config(&agent_toml(&k, transport), &k.dir.0)).await;
    let contact = wait_for(&mut events, 10, |e| match e {
        AgentEvent::Registered { contact, .. } => Some(contact.clone()),
        _ => None,
    })
    .await
    .expect("the agent registers first");
    if transport == "tls" {
        // Registered with the address Kamailio saw: the connection's.
        assert!(contact.contains("transport=tls"), "{contact}");
    }
    let dir = Scratch::new("sipp");
    let rtp = dir.0.join("tone.ulaw");
    ulaw_tone(&rtp);
    // rtp_stream takes no keywords: write the file name into a copy.
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/sipp/uac_call_digest.xml"
    ))
    .unwrap();
    let scenario = dir.0.join("uac_call_digest.xml");
    std::fs::write(
        &scenario,
        template.replace("@RTPFILE@", rtp.to_str().unwrap()),
    )
    .unwrap();
    let child = Command::new(sipp)
        .arg(format!("127.0.0.1:{}", k.port))
        .arg("-sf")
        .arg(&scenario)
        .args(["-s", "1001", "-au", "1002", "-ap", "pw1002"])
        .args(["-auth_uri", &format!("sip:1001@{REALM}")])
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            &free_port().to_string(),
            "-mp",
            &free_port().to_string(),
        ])
        .args([
            "-m",
            "1",
            "-l",
            "1",
            "-timeout",
            "20",
            "-timeout_error",
            "-nostdin",
            "-trace_err",
        ])
        .arg("-error_file")
        .arg(dir.0.join("errors.log"))
        .current_dir(&dir.0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let out = timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("sipp finishes in 30 s")
        .unwrap();
    let errors = std::fs::read_to_string(dir.0.join("errors.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "sipp failed: {}\n{errors}\n{:#?}",
        String::from_utf8_lossy(&out.stderr),
        k.requests()
    );
    let (kind, source) = wait_for(&mut events, 5, |e| match e {
        AgentEvent::Incoming {
            transport, source, ..
        } => Some((*transport, *source)),
        _ => None,
    })
    .await
    .expect("the call came in");
    if transport == "tls" {
        // From Kamailio's TLS port, though the agent listens on no TLS
        // port: over the connection the agent opened to register.
        assert_eq!(kind, heron_sip_stack::TransportKind::Tls);
        assert_eq!(source.port(), k.port + 1);
    } else {
        assert_eq!(kind, heron_sip_stack::TransportKind::Udp);
        assert_eq!(source.port(), k.port);
    }
    let info = wait_for(&mut events, 5, |e| match e {
        AgentEvent::Established { info, .. } => Some(info.clone()),
        _ => None,
    })
    .await
    .expect("media started");
    assert_eq!(info.codec, "PCMU");
    let summary = wait_for(&mut events, 5, |e| match e {
        AgentEvent::Ended { summary, .. } => summary.clone(),
        _ => None,
    })
    .await
    .expect("the call ended with a summary");
    assert!(
        summary.packets_received >= 100,
        "RTP from SIPp arrived: {summary}"
    );
    assert!(summary.packets_sent >= 100, "the echo was sent: {summary}");
    assert!(k
        .requests()
        .iter()
        .any(|r| r.starts_with("REQ INVITE sip:1001@")));
    assert!(
        k.requests().iter().any(|r| r.starts_with("REQ BYE ")),
        "the BYE went through Kamailio to the agent: {:#?}",
        k.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_calls_baresip_and_112_never_leaves() {
    let k = Kamailio::start(USERS).await;
    let mut phone = Baresip::start(
        &format!(
            "<sip:1003@{REALM}>;auth_pass=pw1003;outbound=\"sip:127.0.0.1:{}\";regint=120;answermode=auto;audio_codecs=PCMU/8000/1",
            k.port
        ),
        900.0,
    )
    .await;
    let registered = timeout(Duration::from_secs(10), async {
        loop {
            if k.requests()
                .iter()
                .any(|r| r.starts_with("REQ REGISTER sip:") && r.contains(REALM))
                && phone.log().contains("200 OK")
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(registered.is_ok(), "baresip registers\n{}", phone.log());
    let (agent, mut events) = echo_agent(agent_config(&agent_toml(&k, "udp"), &k.dir.0)).await;
    assert!(wait_for(&mut events, 10, |e| matches!(
        e,
        AgentEvent::Registered { .. }
    )
    .then_some(()))
    .await
    .is_some());
    // Emergency numbers in every form are refused locally.
    for n in [
        "112",
        "0112",
        "+49 112",
        "110",
        "tel:911",
        "urn:service:sos",
    ] {
        assert_eq!(
            agent.call(n).await,
            Err(CallError::Refused(Refusal::Emergency)),
            "{n}"
        );
    }
    let call = agent.call("1003").await.unwrap();
    let est = wait_for(&mut events, 10, |e| match e {
        AgentEvent::Established { call: c, info } if *c == call => Some(info.clone()),
        AgentEvent::Ended {
            call: c, reason, ..
        } if *c == call => panic!("call failed: {reason}"),
        _ => None,
    })
    .await;
    assert!(est.is_some(), "baresip answers\n{}", phone.log());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    agent.hangup(call).await.unwrap();
    let _ = wait_for(&mut events, 5, |e| {
        matches!(e, AgentEvent::Ended { call: c, .. } if *c == call).then_some(())
    })
    .await;
    let _ = phone.wait_event("CALL_CLOSED", 5).await;
    // baresip heard the echo of its own tone.
    if let Some(w) = phone.received() {
        let w: Wav = w;
        let seg = &w.samples[w.samples.len().saturating_sub(w.rate as usize / 2)..];
        let f = heron_agent::media::analysis::dominant_frequency(seg, w.rate);
        assert!(
            f.is_some_and(|f| (f - 900.0).abs() < 15.0),
            "baresip heard {f:?}"
        );
    }
    let reqs = k.requests();
    assert!(
        reqs.iter().any(|r| r.starts_with("REQ INVITE sip:1003@")),
        "{reqs:#?}"
    );
    // Only REGISTERs and the call to 1003 (with its ACK and BYE to
    // baresip's contact `1003-...`) reached it: look at each Request-URI's
    // user part.
    for r in &reqs {
        let ruri = r.split_whitespace().nth(2).unwrap_or("");
        let user = match ruri.strip_prefix("sip:").and_then(|u| u.split_once('@')) {
            Some((user, _)) => user,
            None => "",
        };
        assert!(
            ruri.starts_with("sip:")
                && (user.is_empty() || user.starts_with("1001") || user.starts_with("1003")),
            "an unexpected request reached Kamailio: {r}"
        );
    }
    phone.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_our_address_as_kamailio_sees_it() {
    let k = Kamailio::start(USERS).await;
    let cfg = k.dir.0.join("agent.toml");
    std::fs::write(&cfg, agent_toml(&k, "udp")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_heron-agent"))
        .args(["check", "--config"])
        .arg(&cfg)
        .env("HERON_TEST_PW", "pw-secret")
        .output();
    let out = timeout(Duration::from_secs(20), out)
        .await
        .expect("check finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("it sees us as 127.0.0.1:"), "{stdout}");
    assert!(
        stdout.contains(&format!("127.0.0.1:{} answered", k.port)),
        "{stdout}"
    );
    assert!(!stdout.contains("pw-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_again_after_the_pbx_restarts() {
    let k = Kamailio::start(USERS).await;
    let port = k.port;
    // The shortest expiry the sheet allows: the refresh comes after 30 s.
    let text = agent_toml(&k, "udp").replace("expires = 120", "expires = 60");
    let (_agent, mut events) = echo_agent(agent_config(&text, &k.dir.0)).await;
    let registered = |e: &AgentEvent| matches!(e, AgentEvent::Registered { .. }).then_some(());
    assert!(wait_for(&mut events, 10, registered).await.is_some());
    // The PBX crashes and comes back empty (Kamailio keeps bindings in
    // memory only); the agent's next refresh re-creates the binding.
    k.stop().await;
    let k2 = Kamailio::start_on(port, USERS).await;
    assert!(
        wait_for(&mut events, 45, registered).await.is_some(),
        "registered again after the restart: {:#?}",
        k2.requests()
    );
    let reqs = k2.requests();
    assert!(
        reqs.iter().any(|r| r.starts_with("REQ REGISTER")),
        "{reqs:#?}\n{}",
        std::fs::read_to_string(k2.dir.0.join("kamailio.log")).unwrap_or_default()
    );
}
