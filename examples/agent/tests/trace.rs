//! `log.sip_trace = true`: every SIP message the agent sends and receives
//! is logged with transport and addresses, secrets redacted. The agent
//! registers with Kamailio (digest over TCP); the log holds the REGISTERs
//! sent, the 401 and 200 received, and no digest response.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{agent_config, echo_agent, wait_for, Kamailio, REALM};
use heron_agent::runtime::AgentEvent;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sip_trace_shows_both_directions_redacted() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .init();
    let k = Kamailio::start(&[("1001", "pw-secret")]).await;
    let text = format!(
        r#"
[account]
aor = "sip:1001@{REALM}"
password_env = "HERON_TEST_PW"
expires = 120
[sip]
registrar = "127.0.0.1:{}"
transport = "tcp"
listen = "127.0.0.1:0"
[media]
codecs = ["pcmu"]
rtp_ports = "46000-46999"
[log]
sip_trace = true
"#,
        k.port
    );
    let (_agent, mut events) = echo_agent(agent_config(&text, &k.dir.0)).await;
    let registered = wait_for(&mut events, 10, |e| {
        matches!(e, AgentEvent::Registered { .. }).then_some(())
    })
    .await;
    assert!(registered.is_some(), "{:#?}", k.requests());
    let out = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    let kam = format!("127.0.0.1:{}", k.port);
    let sent = out.matches("SIP sent").count();
    let received = out.matches("SIP received").count();
    assert!(
        sent >= 2 && received >= 2,
        "{sent} sent, {received} received:\n{out}"
    );
    assert!(
        out.contains(&format!("-> {kam}")) && out.contains(&format!("<- {kam}")),
        "{out}"
    );
    assert!(out.contains("transport=TCP"), "{out}");
    assert!(
        out.contains(&format!("REGISTER sip:{REALM} SIP/2.0")),
        "{out}"
    );
    assert!(out.contains("SIP/2.0 401 Unauthorized"), "{out}");
    assert!(out.contains("SIP/2.0 200 OK"), "{out}");
    // The answer to the challenge went out, its digest response hidden.
    assert!(
        out.contains("response=\\\"<redacted>\\\"") || out.contains("response=\"<redacted>\""),
        "{out}"
    );
    for piece in out.split("response=").skip(1) {
        let value = piece.trim_start_matches(['\\', '"']);
        assert!(
            value.starts_with("<redacted>"),
            "unredacted: {}",
            &piece[..piece.len().min(60)]
        );
    }
    assert!(!out.contains("pw-secret"));
}
