//! Early media on an outgoing call: SIPp (Debian package sip-tester) as
//! the callee answers the agent's INVITE with 183 Session Progress and
//! SDP (PCMU) and plays a 440 Hz announcement; the pipeline hears it
//! before the call is answered. The 200 OK's SDP differs (PCMA): the
//! agent switches to it and the pipeline hears the 880 Hz tone SIPp then
//! sends in PCMA. Second case: a reliable 183 (100rel, PRACK) carries the
//! answer and the 200 none; the early stream goes on as the call's. Every
//! wait is bounded.

mod common;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{agent_config, free_port, require, wait_for, Scratch};
use heron_agent::media::analysis::{dominant_frequency, ToneGenerator};
use heron_agent::media::{MediaInfo, VoicePipeline};
use heron_agent::runtime::{Agent, AgentEvent, CallContext, StartOptions};
use tokio::process::Command;
use tokio::time::timeout;

/// What the pipeline heard, and the codec it was told about.
#[derive(Default)]
struct Heard {
    samples: Vec<i16>,
    codecs: Vec<String>,
}

struct Recorder {
    heard: Arc<Mutex<Heard>>,
    silence: Vec<i16>,
}

impl VoicePipeline for Recorder {
    fn sample_rate(&self) -> u32 {
        8000
    }
    fn on_start(&mut self, info: &MediaInfo) {
        self.heard.lock().unwrap().codecs.push(info.codec.clone());
    }
    fn on_audio(&mut self, frame: &[i16]) {
        self.heard.lock().unwrap().samples.extend_from_slice(frame);
    }
    fn next_audio(&mut self) -> &[i16] {
        &self.silence
    }
}

/// Seconds of a tone encoded for SIPp's rtp_stream.
fn tone(path: &std::path::Path, hz: f64, codec: &str, secs: usize) {
    let mut g = ToneGenerator::new(hz, 8000, 8000);
    let mut pcm = vec![0i16; 8000 * secs];
    g.fill(&mut pcm);
    let mut c = heron_codecs::open_codec(&heron_codecs::CodecSpec::new(codec, 8000)).unwrap();
    let mut out = vec![0u8; pcm.len()];
    let n = c.encode(&pcm, &mut out).unwrap();
    std::fs::write(path, &out[..n]).unwrap();
}

/// Waits until the last 200 ms the pipeline heard are a tone of `hz`.
async fn hears(heard: &Arc<Mutex<Heard>>, hz: f64) -> bool {
    timeout(Duration::from_secs(10), async {
        loop {
            {
                let h = heard.lock().unwrap();
                let tail = &h.samples[h.samples.len().saturating_sub(1600)..];
                if dominant_frequency(tail, 8000).is_some_and(|f| (f - hz).abs() < 15.0) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .is_ok()
}

/// SIPp running `scenario` as the callee with the two tone files, and
/// an agent with a recording pipeline.
struct Setup {
    child: tokio::process::Child,
    sipp_port: u16,
    dir: Scratch,
    agent: Agent,
    events: tokio::sync::mpsc::UnboundedReceiver<AgentEvent>,
    heard: Arc<Mutex<Heard>>,
}

async fn setup(scenario_file: &str, early_codec: &str, final_codec: &str) -> Setup {
    let sipp = require("sipp", "sip-tester");
    let dir = Scratch::new("early");
    let early = dir.0.join("early.raw");
    let fin = dir.0.join("final.raw");
    tone(&early, 440.0, early_codec, 2);
    tone(&fin, 880.0, final_codec, 4);
    let template = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/sipp")
            .join(scenario_file),
    )
    .unwrap();
    let scenario = dir.0.join(scenario_file);
    std::fs::write(
        &scenario,
        template
            .replace("@EARLY@", early.to_str().unwrap())
            .replace("@FINAL@", fin.to_str().unwrap()),
    )
    .unwrap();
    let sipp_port = free_port();
    let child = Command::new(sipp)
        .arg("-sf")
        .arg(&scenario)
        .args(["-i", "127.0.0.1", "-p", &sipp_port.to_string()])
        .args(["-mp", &free_port().to_string()])
        .args(["-m", "1", "-timeout", "30", "-timeout_error", "-nostdin"])
        .args(["-trace_err"])
        .arg("-error_file")
        .arg(dir.0.join("errors.log"))
        .current_dir(&dir.0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let cfg = agent_config(
        r#"
[account]
aor = "sip:agent@127.0.0.1"
password_env = "HERON_TEST_PW"
register = false
[sip]
listen = "127.0.0.1:0"
[media]
codecs = ["pcmu", "pcma"]
rtp_ports = "45000-45999"
[policy]
allow = ["sip:*@127.0.0.1"]
"#,
        &dir.0,
    );
    let heard = Arc::new(Mutex::new(Heard::default()));
    let h = heard.clone();
    let factory = Arc::new(move |_: &CallContext| -> Box<dyn VoicePipeline> {
        Box::new(Recorder {
            heard: h.clone(),
            silence: vec![0; 160],
        })
    });
    let (agent, events) = Agent::start(cfg, StartOptions::default(), factory)
        .await
        .unwrap();
    Setup {
        child,
        sipp_port,
        dir,
        agent,
        events,
        heard,
    }
}

impl Setup {
    /// Hangs up and checks that SIPp's scenario ran to its end.
    async fn finish(self, call: heron_sip_stack::ua::CallKey) {
        self.agent.hangup(call).await.unwrap();
        let out = timeout(Duration::from_secs(20), self.child.wait_with_output())
            .await
            .expect("sipp finishes")
            .unwrap();
        let errors = std::fs::read_to_string(self.dir.0.join("errors.log")).unwrap_or_default();
        assert!(
            out.status.success(),
            "sipp failed: {}\n{errors}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_media_then_the_answer_with_other_sdp() {
    let Setup {
        child,
        sipp_port,
        dir,
        agent,
        mut events,
        heard,
    } = setup("uas_early_media.xml", "PCMU", "PCMA").await;
    // SIPp needs a moment to bind; the INVITE is retransmitted anyway.
    let call = agent
        .call(&format!("sip:callee@127.0.0.1:{sipp_port}"))
        .await
        .unwrap();
    let early_info = wait_for(&mut events, 10, |e| match e {
        AgentEvent::EarlyMedia { call: c, info } if *c == call => Some(info.clone()),
        AgentEvent::Established { call: c, .. } if *c == call => {
            panic!("answered before early media")
        }
        AgentEvent::Ended { reason, .. } => panic!("call ended: {reason}"),
        _ => None,
    })
    .await
    .expect("early media starts on the 183");
    assert_eq!(early_info.codec, "PCMU");
    assert!(
        hears(&heard, 440.0).await,
        "the announcement reaches the pipeline before the answer"
    );
    let info = wait_for(&mut events, 10, |e| match e {
        AgentEvent::Established { call: c, info } if *c == call => Some(info.clone()),
        AgentEvent::Ended { reason, .. } => panic!("call ended: {reason}"),
        _ => None,
    })
    .await
    .expect("the 200 OK arrives");
    assert_eq!(info.codec, "PCMA", "media follows the final answer");
    assert!(
        hears(&heard, 880.0).await,
        "audio in the final answer's codec reaches the pipeline"
    );
    assert_eq!(heard.lock().unwrap().codecs, ["PCMU", "PCMA"]);
    Setup {
        child,
        sipp_port,
        dir,
        agent,
        events,
        heard,
    }
    .finish(call)
    .await;
}

/// A reliable 183 (100rel) carries the answer; the 200 has no SDP: the
/// early stream is the call's, confirmed without a new pump.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliable_early_media_and_an_answer_without_sdp() {
    let Setup {
        child,
        sipp_port,
        dir,
        agent,
        mut events,
        heard,
    } = setup("uas_early_media_100rel.xml", "PCMU", "PCMU").await;
    let call = agent
        .call(&format!("sip:callee@127.0.0.1:{sipp_port}"))
        .await
        .unwrap();
    let early = wait_for(&mut events, 10, |e| match e {
        AgentEvent::EarlyMedia { call: c, info } if *c == call => Some(info.clone()),
        AgentEvent::Ended { reason, .. } => panic!("call ended: {reason}"),
        _ => None,
    })
    .await
    .expect("early media starts on the reliable 183");
    assert!(
        hears(&heard, 440.0).await,
        "early audio reaches the pipeline"
    );
    let answered = wait_for(&mut events, 10, |e| match e {
        AgentEvent::Established { call: c, info } if *c == call => Some(info.clone()),
        AgentEvent::Ended { reason, .. } => panic!("call ended: {reason}"),
        _ => None,
    })
    .await
    .expect("the 200 OK arrives");
    assert_eq!(early, answered);
    assert!(hears(&heard, 880.0).await, "audio goes on after the answer");
    assert_eq!(
        heard.lock().unwrap().codecs,
        ["PCMU"],
        "one pump throughout"
    );
    Setup {
        child,
        sipp_port,
        dir,
        agent,
        events,
        heard,
    }
    .finish(call)
    .await;
}
