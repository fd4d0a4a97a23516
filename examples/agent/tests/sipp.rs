//! Blind transfer of a SIPp caller (Debian package sip-tester) to
//! baresip (baresip-core): the caller reaches the agent's `ivr`
//! pipeline, presses 1 by SIP INFO, gets a REFER naming baresip, calls
//! baresip itself and reports success in a NOTIFY; the agent then hangs
//! up. baresip answers the transferred call. Every wait is bounded.

mod common;

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use common::baresip::Baresip;
use common::{agent_config, free_port, require, wait_for, Scratch};
use heron_agent::media::pipelines::Ivr;
use heron_agent::media::VoicePipeline;
use heron_agent::runtime::{Agent, AgentEvent, CallContext, StartOptions};
use tokio::process::Command;
use tokio::time::timeout;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blind_transfer_of_a_sipp_caller_to_baresip() {
    let sipp = require("sipp", "sip-tester");
    let mut phone = Baresip::start(
        "<sip:desk@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU/8000/1",
        500.0,
    )
    .await;
    let target = format!("sip:desk@127.0.0.1:{}", phone.sip_port);
    let port = free_port();
    let scratch = Scratch::new("agent");
    let cfg = agent_config(
        &format!(
            r#"
[account]
aor = "sip:agent@127.0.0.1"
password_env = "HERON_TEST_PW"
register = false
[sip]
listen = "127.0.0.1:{port}"
[media]
codecs = ["pcmu"]
dtmf = ["rfc4733", "info"]
rtp_ports = "44000-44999"
[policy]
allow = ["sip:*@127.0.0.1"]
"#
        ),
        &scratch.0,
    );
    let t = target.clone();
    let factory = Arc::new(move |_: &CallContext| -> Box<dyn VoicePipeline> {
        Box::new(Ivr::new(8000, Some(t.clone())))
    });
    let (_agent, mut events) = Agent::start(cfg, StartOptions::default(), factory)
        .await
        .unwrap();

    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/sipp/uac_transfer.xml"
    ))
    .unwrap();
    let scenario_text = template
        .replace("@TARGET_RE@", &target.replace('.', "\\."))
        .replace("@TARGET_PORT@", &phone.sip_port.to_string())
        .replace("@AGENT_PORT@", &port.to_string())
        .replace("@TARGET@", &target);
    let dir = Scratch::new("sipp");
    let scenario = dir.0.join("uac_transfer.xml");
    std::fs::write(&scenario, scenario_text).unwrap();
    let child = Command::new(sipp)
        .arg(format!("127.0.0.1:{port}"))
        .arg("-sf")
        .arg(&scenario)
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
            "-trace_logs",
        ])
        .arg("-error_file")
        .arg(dir.0.join("errors.log"))
        .arg("-log_file")
        .arg(dir.0.join("log.log"))
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
    let log = std::fs::read_to_string(dir.0.join("log.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "sipp failed: {}\n{errors}\n{log}\n{}",
        String::from_utf8_lossy(&out.stderr),
        phone.log()
    );
    assert!(log.contains("Refer-To matched"), "{log}");
    let done = wait_for(&mut events, 5, |e| match e {
        AgentEvent::TransferProgress {
            status, done: true, ..
        } => Some(*status),
        _ => None,
    })
    .await;
    assert_eq!(done, Some(200));
    assert!(
        phone.wait_event("CALL_ESTABLISHED", 5).await.is_some(),
        "baresip answered the transferred caller\n{}",
        phone.log()
    );
    phone.stop().await;
}
