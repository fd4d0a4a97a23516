//! baresip (Debian package baresip-core) calls the agent with G.711,
//! G.722 and Opus, each over plain RTP and SDES-SRTP; the agent runs the
//! `echo` pipeline, so the tone baresip sends comes back and its
//! frequency is checked in what baresip decoded; RFC 4733 digits from
//! baresip arrive as DTMF events. DTLS-SRTP with G.711, G.722 and Opus;
//! an agent set to SDES only answers a DTLS-SRTP offer with 488. Every
//! wait is bounded.

mod common;

use common::baresip::Baresip;
use common::{agent_config, echo_agent, wait_for, Scratch};
use heron_agent::media::analysis::{dominant_frequency, rms};
use heron_agent::media::DtmfSource;
use heron_agent::runtime::AgentEvent;

fn config(port: u16) -> String {
    format!(
        r#"
[account]
aor = "sip:agent@127.0.0.1"
password_env = "HERON_TEST_PW"
register = false
[sip]
listen = "127.0.0.1:{port}"
[media]
codecs = ["opus", "g722", "pcma", "pcmu"]
srtp = "sdes"
srtp_fallback = true
rtp_ports = "45000-46999"
dtmf = ["rfc4733", "info", "inband"]
[policy]
allow = ["sip:*@127.0.0.1"]
"#
    )
}

async fn call_with(codec: &str, mediaenc: Option<&str>, expect_codec: &str, tone: f64) {
    let scratch = Scratch::new("agent");
    let port = common::free_port();
    let (agent, mut events) = echo_agent(agent_config(&config(port), &scratch.0)).await;
    let enc = mediaenc
        .map(|m| format!(";mediaenc={m}"))
        .unwrap_or_default();
    let mut phone = Baresip::start(
        &format!("<sip:phone@127.0.0.1>;regint=0;audio_codecs={codec}{enc}"),
        tone,
    )
    .await;
    phone
        .command("dial", &format!("sip:agent@127.0.0.1:{port}"))
        .await;
    let est = wait_for(&mut events, 10, |e| match e {
        AgentEvent::Established { call, info } => Some((*call, info.clone())),
        _ => None,
    })
    .await;
    let Some((call, info)) = est else {
        panic!("{codec} {mediaenc:?}: no call established\n{}", phone.log());
    };
    assert_eq!(info.codec, expect_codec, "{codec} {mediaenc:?}");
    assert_eq!(
        info.srtp.is_some(),
        mediaenc.is_some(),
        "{codec} {mediaenc:?}: {info:?}"
    );
    assert!(
        phone.wait_event("CALL_ESTABLISHED", 10).await.is_some(),
        "baresip did not report the call\n{}",
        phone.log()
    );
    // Let the echo run, then a digit by RFC 4733.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    phone.command("sndcode", "5").await;
    let press = wait_for(&mut events, 5, |e| match e {
        AgentEvent::Dtmf { call: c, press } if *c == call => Some(*press),
        _ => None,
    })
    .await;
    assert_eq!(
        press.map(|p| (p.digit, p.source)),
        Some(('5', DtmfSource::Rfc4733)),
        "{codec} {mediaenc:?}: DTMF"
    );
    // And a digit the other way (RFC 4733 from the agent).
    agent.send_dtmf(call, '9').await.unwrap();
    let got = phone.wait_event("CALL_DTMF_START", 5).await;
    assert!(
        got.as_deref()
            .is_some_and(|e| e.contains("\"param\":\"9\"")),
        "{codec} {mediaenc:?}: baresip got {got:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    phone.command("hangup", "").await;
    let summary = wait_for(&mut events, 10, |e| match e {
        AgentEvent::Ended {
            call: c, summary, ..
        } if *c == call => Some(summary.clone()),
        _ => None,
    })
    .await
    .flatten()
    .expect("the call ends with a summary");
    assert!(summary.packets_received > 100, "{summary}");
    assert_eq!(summary.dtmf_received, "5");
    let _ = phone.wait_event("CALL_CLOSED", 5).await;
    let heard = phone
        .received()
        .unwrap_or_else(|| panic!("no dump from baresip\n{}", phone.log()));
    // The echo of the tone, 300 ms late: look at the second second.
    let start = heard.rate as usize;
    let seg = &heard.samples[start.min(heard.samples.len())..(2 * start).min(heard.samples.len())];
    let f = dominant_frequency(seg, heard.rate);
    assert!(
        f.is_some_and(|f| (f - tone).abs() < 15.0),
        "{codec} {mediaenc:?}: baresip heard {f:?} Hz at level {:.0}, sent {tone}",
        rms(seg)
    );
    phone.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g711_plain_and_sdes() {
    call_with("PCMU/8000/1", None, "PCMU", 700.0).await;
    call_with("PCMA/8000/1", Some("srtp-mand"), "PCMA", 900.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g722_plain_and_sdes() {
    call_with("G722/16000/1", None, "G722", 1200.0).await;
    call_with("G722/16000/1", Some("srtp-mand"), "G722", 500.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opus_plain_and_sdes() {
    call_with("opus/48000/2", None, "opus", 1000.0).await;
    call_with("opus/48000/2", Some("srtp-mand"), "opus", 650.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtls_srtp_with_every_codec() {
    call_with("PCMU/8000/1", Some("dtls_srtp"), "PCMU", 750.0).await;
    call_with("G722/16000/1", Some("dtls_srtp"), "G722", 1100.0).await;
    call_with("opus/48000/2", Some("dtls_srtp"), "opus", 850.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dtls_offer_to_an_sdes_only_agent_gets_488() {
    let scratch = Scratch::new("agent");
    let port = common::free_port();
    let text = config(port).replace("srtp_fallback = true", "srtp_fallback = false");
    let (_agent, mut events) = echo_agent(agent_config(&text, &scratch.0)).await;
    let mut phone = Baresip::start(
        "<sip:phone@127.0.0.1>;regint=0;audio_codecs=PCMU/8000/1;mediaenc=dtls_srtp",
        700.0,
    )
    .await;
    phone
        .command("dial", &format!("sip:agent@127.0.0.1:{port}"))
        .await;
    let refused = wait_for(&mut events, 10, |e| match e {
        AgentEvent::InboundRefused { status, .. } => Some(*status),
        _ => None,
    })
    .await;
    assert_eq!(refused, Some(488), "{}", phone.log());
    phone.stop().await;
}
