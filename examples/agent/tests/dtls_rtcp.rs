//! DTLS-SRTP without rtcp-mux against baresip (Debian package
//! baresip-core, whose `rtcp_mux` setting is off by default): RTP and
//! RTCP ports each run their own DTLS handshake (RFC 5764 §4.1), and SRTCP
//! flows both ways. Evidence: baresip logs the RTCP port's handshake as
//! complete and no packet it could not decrypt, and raises CALL_RTCP for
//! our reports (it drops SRTCP that fails to decrypt before raising it);
//! the agent's call summary counts baresip's reports accepted, which the
//! session only does after SRTCP authentication with the RTCP port's
//! keys. Both directions of the call (agent as DTLS client and as DTLS
//! server). Every wait is bounded.

mod common;

use common::baresip::Baresip;
use common::{agent_config, echo_agent, wait_for, Scratch};
use heron_agent::runtime::AgentEvent;

fn config_mux(port: u16, rtcp_mux: bool) -> String {
    format!(
        r#"
[account]
aor = "sip:agent@127.0.0.1"
password_env = "HERON_TEST_PW"
register = false
[sip]
listen = "127.0.0.1:{port}"
[media]
codecs = ["pcmu"]
srtp = "dtls"
rtcp_mux = {rtcp_mux}
rtp_ports = "45000-46999"
dtmf = ["rfc4733"]
[policy]
allow = ["sip:*@127.0.0.1"]
"#
    )
}

/// Checks baresip's side and the agent's summary once the call is up.
async fn srtcp_both_ways(
    phone: &mut Baresip,
    events: &mut tokio::sync::mpsc::UnboundedReceiver<AgentEvent>,
    agent: &heron_agent::runtime::Agent,
    call: heron_sip_stack::ua::CallKey,
) {
    assert!(
        phone.wait_event("CALL_ESTABLISHED", 10).await.is_some(),
        "baresip did not report the call\n{}",
        phone.log()
    );
    // baresip decrypted one of our reports (RTCP intervals are ~5 s).
    assert!(
        phone.wait_event("CALL_RTCP", 15).await.is_some(),
        "baresip got no RTCP from the agent\n{}",
        phone.log()
    );
    // One more of baresip's intervals, so that its reports reach us.
    tokio::time::sleep(std::time::Duration::from_millis(5500)).await;
    // baresip may have ended the call already (its tone file is 10 s).
    let _ = agent.hangup(call).await;
    let summary = wait_for(events, 10, |e| match e {
        AgentEvent::Ended {
            call: c, summary, ..
        } if *c == call => Some(summary.clone()),
        _ => None,
    })
    .await
    .flatten()
    .expect("the call ends with a summary");
    let log = phone.log();
    assert!(
        log.contains("DTLS-SRTP complete (audio/RTP)"),
        "RTP port handshake\n{log}"
    );
    assert!(
        log.contains("DTLS-SRTP complete (audio/RTCP)"),
        "baresip ran no handshake on the RTCP port\n{log}"
    );
    assert!(
        !log.contains("failed to decrypt"),
        "baresip could not decrypt a packet of ours\n{log}"
    );
    assert!(summary.packets_received > 100, "{summary}");
    // At most one: baresip opens the NAT pinhole with a plain RTCP APP
    // packet ("PING", 16 octets) on the RTCP port, never protected, which
    // SRTCP must refuse.
    assert!(summary.packets_dropped <= 1, "{summary}");
    // We decrypted baresip's reports with the RTCP port's keys.
    assert!(summary.rtcp_sent >= 1, "{summary}");
    assert!(
        summary.rtcp_received >= 1,
        "no SRTCP accepted from baresip\n{summary}\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_the_agent_without_rtcp_mux() {
    let scratch = Scratch::new("agent");
    let port = common::free_port();
    let (agent, mut events) = echo_agent(agent_config(&config_mux(port, false), &scratch.0)).await;
    let mut phone = Baresip::start(
        "<sip:phone@127.0.0.1>;regint=0;audio_codecs=PCMU/8000/1;mediaenc=dtls_srtp",
        700.0,
    )
    .await;
    phone
        .command("dial", &format!("sip:agent@127.0.0.1:{port}"))
        .await;
    let call = wait_for(&mut events, 10, |e| match e {
        AgentEvent::Established { call, .. } => Some(*call),
        _ => None,
    })
    .await
    .unwrap_or_else(|| panic!("no call established\n{}", phone.log()));
    srtcp_both_ways(&mut phone, &mut events, &agent, call).await;
    phone.stop().await;
}

/// The agent calls baresip (which does not multiplex RTCP), offering
/// rtcp-mux or not.
async fn agent_calls_baresip(offer_rtcp_mux: bool) {
    let scratch = Scratch::new("agent");
    let port = common::free_port();
    let (agent, mut events) =
        echo_agent(agent_config(&config_mux(port, offer_rtcp_mux), &scratch.0)).await;
    let mut phone = Baresip::start(
        "<sip:phone@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU/8000/1;mediaenc=dtls_srtp",
        700.0,
    )
    .await;
    let call = agent
        .call(&format!("sip:phone@127.0.0.1:{}", phone.sip_port))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", phone.log()));
    let est = wait_for(&mut events, 10, |e| match e {
        AgentEvent::Established { call: c, .. } if *c == call => Some(()),
        _ => None,
    })
    .await;
    assert!(est.is_some(), "no call established\n{}", phone.log());
    srtcp_both_ways(&mut phone, &mut events, &agent, call).await;
    phone.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_calls_baresip_without_rtcp_mux() {
    agent_calls_baresip(false).await;
}

/// The agent offers rtcp-mux (its default) and baresip declines it: the
/// agent holds the RTCP port beside its RTP port for this case, so the RTCP
/// port's handshake and SRTCP still work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_offers_rtcp_mux_and_baresip_declines_it() {
    agent_calls_baresip(true).await;
}
