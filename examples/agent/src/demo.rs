//! `heron-agent demo`: two agents in one process on loopback. Alice calls
//! Bob over TLS with SDES-SRTP and G.722; they exchange tones whose
//! frequencies the receivers check, send DTMF both ways, Alice holds and
//! resumes Bob by re-INVITE, Bob transfers Alice to his colleague Carol
//! (REFER), Alice's attempt to dial 112 is refused before any INVITE, and
//! Alice hangs up. The call summaries and the SIP ladder are printed; the
//! result is `Ok` only if every step worked.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use heron_sip_stack::driver::Identity;
use heron_sip_stack::ua::CallKey;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

use crate::config::{load_str, AgentConfig};
use crate::media::analysis::{dominant_frequency, rms, ToneGenerator};
use crate::media::{DtmfSource, MediaInfo, VoicePipeline};
use crate::policy::Refusal;
use crate::runtime::{
    Agent, AgentEvent, CallContext, CallError, Ladder, StartOptions, TlsOverride,
};

/// Pipeline sample rate in the demo (G.722's own rate: no resampling).
const RATE: u32 = 16000;

/// One second of what a pipeline heard, shared with the demo's checks.
#[derive(Default)]
struct Heard {
    samples: VecDeque<i16>,
    total: usize,
}

type Registry = Arc<Mutex<HashMap<(String, CallKey), Arc<Mutex<Heard>>>>>;

/// Sends a tone, keeps the last second it heard.
struct TonePipe {
    gen: ToneGenerator,
    frame: Vec<i16>,
    heard: Arc<Mutex<Heard>>,
}

impl VoicePipeline for TonePipe {
    fn sample_rate(&self) -> u32 {
        RATE
    }
    fn on_start(&mut self, info: &MediaInfo) {
        self.frame = vec![0; info.frame_samples];
    }
    fn on_audio(&mut self, frame: &[i16]) {
        let mut h = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        h.samples.extend(frame.iter().copied());
        h.total += frame.len();
        let excess = h.samples.len().saturating_sub(RATE as usize);
        h.samples.drain(..excess);
    }
    fn next_audio(&mut self) -> &[i16] {
        self.gen.fill(&mut self.frame);
        &self.frame
    }
}

fn tone_for(agent: &str, called: &str) -> f64 {
    match (agent, called) {
        ("alice", _) => 1000.0,
        (_, "carol") => 800.0,
        _ => 600.0,
    }
}

/// A demo certificate authority and a certificate for 127.0.0.1/localhost.
fn demo_tls() -> Result<TlsOverride, String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let e = |e: rcgen::Error| e.to_string();
    let ca_key = KeyPair::generate().map_err(e)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "heron-agent demo CA");
    let ca = ca_params.self_signed(&ca_key).map_err(e)?;
    let key = KeyPair::generate().map_err(e)?;
    let cert = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .map_err(e)?
        .signed_by(&key, &ca, &ca_key)
        .map_err(e)?;
    Ok(TlsOverride {
        ca: Some(vec![CertificateDer::from(ca.der().to_vec())]),
        identity: Some(Identity {
            certs: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }),
    })
}

/// The configuration of one demo agent, as a customer would write it.
pub fn demo_config(user: &str) -> String {
    format!(
        r#"
[pbx]
vendor = "generic"
[account]
aor = "sip:{user}@127.0.0.1"
password_env = "DEMO_PASSWORD"
register = false
[sip]
transport = "tls"
listen = "127.0.0.1:0"
user_agent = "heron-agent-demo"
[tls]
server_name = "127.0.0.1"
[media]
codecs = ["g722"]
srtp = "sdes"
srtp_suites = ["AES_CM_128_HMAC_SHA1_80"]
rtp_ports = "30000-39999"
dtmf = ["rfc4733", "info"]
[identity]
display_name = "{user}"
[policy]
allow = ["sip:*@127.0.0.1"]
max_calls = 4
[log]
level = "info"
"#
    )
}

fn load_demo_config(user: &str) -> Result<AgentConfig, String> {
    let env = HashMap::from([("DEMO_PASSWORD".to_owned(), "demo".to_owned())]);
    load_str(&demo_config(user), ".".as_ref(), &env)
        .map(|l| l.config)
        .map_err(|e| e.to_string())
}

/// The outcome of the demo.
#[derive(Debug, Default)]
pub struct DemoReport {
    /// Each step with whether it worked and a detail.
    pub steps: Vec<(String, bool, String)>,
    /// The call summaries.
    pub summaries: String,
    /// The SIP ladder.
    pub ladder: String,
}

impl DemoReport {
    /// Whether every step worked.
    pub fn ok(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|s| s.1)
    }

    fn step(&mut self, name: &str, ok: bool, detail: impl Into<String>) -> bool {
        self.steps.push((name.to_owned(), ok, detail.into()));
        ok
    }
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Steps:")?;
        for (name, ok, detail) in &self.steps {
            writeln!(
                f,
                "  [{}] {name}: {detail}",
                if *ok { "ok" } else { "FAILED" }
            )?;
        }
        writeln!(f, "\nCall summaries:\n{}", self.summaries)?;
        writeln!(
            f,
            "SIP ladder (every message as received):\n{}",
            self.ladder
        )?;
        write!(
            f,
            "Result: {}",
            if self.ok() {
                "every step worked"
            } else {
                "FAILED"
            }
        )
    }
}

struct Party {
    name: &'static str,
    agent: Agent,
    events: UnboundedReceiver<AgentEvent>,
    seen: Vec<AgentEvent>,
}

impl Party {
    /// Waits for an event matching `f`, remembering the others.
    async fn wait<T>(
        &mut self,
        secs: u64,
        mut f: impl FnMut(&AgentEvent) -> Option<T>,
    ) -> Option<T> {
        if let Some(t) = self.seen.iter().find_map(&mut f) {
            return Some(t);
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let e = timeout(
                deadline.saturating_duration_since(tokio::time::Instant::now()),
                self.events.recv(),
            )
            .await
            .ok()??;
            let r = f(&e);
            self.seen.push(e);
            if r.is_some() {
                return r;
            }
        }
    }
}

fn heard(reg: &Registry, agent: &str, call: CallKey) -> Option<Arc<Mutex<Heard>>> {
    reg.lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&(agent.to_owned(), call))
        .cloned()
}

/// The frequency and level `agent` heard on `call` over the last half second.
fn listen(reg: &Registry, agent: &str, call: CallKey) -> (Option<f64>, f64, usize) {
    let Some(h) = heard(reg, agent, call) else {
        return (None, 0.0, 0);
    };
    let h = h.lock().unwrap_or_else(|p| p.into_inner());
    let v: Vec<i16> = h
        .samples
        .iter()
        .rev()
        .take(RATE as usize / 2)
        .copied()
        .collect();
    (dominant_frequency(&v, RATE), rms(&v), h.total)
}

fn near(f: Option<f64>, want: f64) -> bool {
    f.is_some_and(|f| (f - want).abs() <= 10.0)
}

async fn start(
    name: &'static str,
    tls: &TlsOverride,
    ladder: &Ladder,
    reg: &Registry,
) -> Result<Party, String> {
    let cfg = load_demo_config(name)?;
    let reg = reg.clone();
    let factory = Arc::new(move |ctx: &CallContext| -> Box<dyn VoicePipeline> {
        let heard = Arc::new(Mutex::new(Heard::default()));
        reg.lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((name.to_owned(), ctx.call), heard.clone());
        Box::new(TonePipe {
            gen: ToneGenerator::new(tone_for(name, &ctx.called), RATE, 8000),
            frame: Vec::new(),
            heard,
        })
    });
    let opts = StartOptions {
        name: name.to_owned(),
        tls: tls.clone(),
        listen_tls: true,
        ladder: Some(ladder.clone()),
        media_ip: None,
    };
    let (agent, events) = Agent::start(cfg, opts, factory)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Party {
        name,
        agent,
        events,
        seen: Vec::new(),
    })
}

fn uri(user: &str, addr: SocketAddr) -> String {
    format!("sip:{user}@{addr};transport=tls")
}

/// Runs the demo; bounded in time (about 15 s when everything works).
pub async fn run() -> DemoReport {
    let mut r = DemoReport::default();
    let ladder = Ladder::new();
    let reg: Registry = Arc::default();
    let tls = match demo_tls() {
        Ok(t) => t,
        Err(e) => {
            r.step("certificates", false, e);
            return r;
        }
    };
    let (mut alice, mut bob) = match (
        start("alice", &tls, &ladder, &reg).await,
        start("bob", &tls, &ladder, &reg).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            r.step(
                "start two agents",
                false,
                format!("{:?} {:?}", a.err(), b.err()),
            );
            return r;
        }
    };
    r.step(
        "start two agents",
        true,
        format!(
            "alice on tls:{}, bob on tls:{}",
            alice.agent.sip_addr(),
            bob.agent.sip_addr()
        ),
    );
    scenario(&mut r, &mut alice, &mut bob, &reg).await;
    // Collect summaries of every call.
    let mut summaries = String::new();
    for p in [&alice, &bob] {
        for e in &p.seen {
            if let AgentEvent::Ended {
                call,
                summary: Some(s),
                reason,
            } = e
            {
                let _ = writeln!(summaries, "{} {call} ({reason}):\n{s}", p.name);
            }
        }
    }
    r.summaries = summaries;
    r.ladder = ladder.render(&["alice", "bob"]);
    r
}

async fn scenario(r: &mut DemoReport, alice: &mut Party, bob: &mut Party, reg: &Registry) {
    let bob_addr = bob.agent.sip_addr();
    // 1. Alice calls Bob.
    let a_call = match alice.agent.call(&uri("bob", bob_addr)).await {
        Ok(c) => c,
        Err(e) => {
            r.step("call over TLS", false, e.to_string());
            return;
        }
    };
    let b_call = bob.wait(5, |e| match e {
        AgentEvent::Incoming { call, .. } => Some(*call),
        _ => None,
    });
    let Some(b_call) = b_call.await else {
        r.step("call over TLS", false, "bob saw no call");
        return;
    };
    let a_info = alice.wait(5, |e| match e {
        AgentEvent::Established { call, info } if *call == a_call => Some(info.clone()),
        _ => None,
    });
    let a_info = a_info.await;
    let ok = a_info
        .as_ref()
        .is_some_and(|i| i.codec == "G722" && i.srtp.is_some());
    let detail = match &a_info {
        Some(i) => format!(
            "codec {}, SRTP {}",
            i.codec,
            i.srtp.as_deref().unwrap_or("none")
        ),
        None => "no media".into(),
    };
    if !r.step("call over TLS with SDES-SRTP and G.722", ok, detail) {
        return;
    }
    // 2. Tones both ways.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (fa, _, _) = listen(reg, "alice", a_call);
    let (fb, _, _) = listen(reg, "bob", b_call);
    r.step(
        "audio both ways (frequency check)",
        near(fb, 1000.0) && near(fa, 600.0),
        format!(
            "bob heard {:.0} Hz (sent 1000), alice heard {:.0} Hz (sent 600)",
            fb.unwrap_or(0.0),
            fa.unwrap_or(0.0)
        ),
    );
    // 3. DTMF both ways (RFC 4733).
    let _ = alice.agent.send_dtmf(a_call, '5').await;
    let got_b = bob.wait(5, |e| match e {
        AgentEvent::Dtmf { call, press } if *call == b_call => Some(*press),
        _ => None,
    });
    let got_b = got_b.await;
    let _ = bob.agent.send_dtmf(b_call, '#').await;
    let got_a = alice.wait(5, |e| match e {
        AgentEvent::Dtmf { call, press } if *call == a_call => Some(*press),
        _ => None,
    });
    let got_a = got_a.await;
    r.step(
        "DTMF both ways",
        got_b.is_some_and(|p| p.digit == '5' && p.source == DtmfSource::Rfc4733)
            && got_a.is_some_and(|p| p.digit == '#'),
        format!(
            "bob got {:?}, alice got {:?}",
            got_b.map(|p| (p.digit, p.source)),
            got_a.map(|p| (p.digit, p.source))
        ),
    );
    // 4. Hold and resume by re-INVITE.
    let held = alice.agent.hold(a_call).await;
    let b_dir = bob.wait(5, |e| match e {
        AgentEvent::MediaChanged { call, sending, .. } if *call == b_call => Some(*sending),
        _ => None,
    });
    let b_sending = b_dir.await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (_, level_on_hold, _) = listen(reg, "alice", a_call);
    let hold_ok = held.is_ok() && b_sending == Some(false) && level_on_hold < 50.0;
    r.step(
        "hold (re-INVITE, sendonly)",
        hold_ok,
        format!(
            "bob sends: {b_sending:?}; alice hears level {level_on_hold:.0} (silence expected)"
        ),
    );
    let resumed = alice.agent.resume(a_call).await;
    let b_dir = bob.wait(5, |e| match e {
        AgentEvent::MediaChanged {
            call,
            sending: true,
            ..
        } if *call == b_call => Some(()),
        _ => None,
    });
    let b_resumed = b_dir.await.is_some();
    tokio::time::sleep(Duration::from_millis(900)).await;
    let (fa, _, _) = listen(reg, "alice", a_call);
    r.step(
        "resume (re-INVITE, sendrecv)",
        resumed.is_ok() && b_resumed && near(fa, 600.0),
        format!("alice hears {:.0} Hz again", fa.unwrap_or(0.0)),
    );
    // 5. An emergency number is refused before anything is sent.
    let e = alice.agent.call("112").await;
    r.step(
        "dial 112: refused locally, no INVITE",
        matches!(e, Err(CallError::Refused(Refusal::Emergency))),
        format!("{e:?}"),
    );
    // 6. Bob transfers Alice to Carol (blind REFER).
    let t = bob.agent.transfer(b_call, &uri("carol", bob_addr)).await;
    let new_call = alice.wait(5, |e| match e {
        AgentEvent::Transferred { new_call, .. } => Some(*new_call),
        _ => None,
    });
    let new_call = new_call.await;
    let carol_call = bob.wait(5, |e| match e {
        AgentEvent::Incoming { call, .. } if *call != b_call => Some(*call),
        _ => None,
    });
    let carol_call = carol_call.await;
    let old_ended = alice.wait(5, |e| match e {
        AgentEvent::Ended { call, .. } if *call == a_call => Some(()),
        _ => None,
    });
    let old_ended = old_ended.await.is_some();
    let mut transfer_ok = t.is_ok() && new_call.is_some() && carol_call.is_some() && old_ended;
    let mut detail = format!(
        "REFER {:?}; alice's new call {new_call:?}; first call ended: {old_ended}",
        t.as_ref().map(|_| "accepted")
    );
    if let (Some(n), Some(c)) = (new_call, carol_call) {
        let _ = alice
            .wait(5, |e| match e {
                AgentEvent::Established { call, .. } if *call == n => Some(()),
                _ => None,
            })
            .await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let (fa, _, _) = listen(reg, "alice", n);
        let (fc, _, _) = listen(reg, "bob", c);
        transfer_ok &= near(fa, 800.0) && near(fc, 1000.0);
        let _ = write!(
            detail,
            "; alice hears carol at {:.0} Hz (sent 800), carol hears {:.0} Hz",
            fa.unwrap_or(0.0),
            fc.unwrap_or(0.0)
        );
        r.step(
            "blind transfer to carol (REFER, NOTIFY)",
            transfer_ok,
            detail,
        );
        // 7. Hang up.
        let h = alice.agent.hangup(n).await;
        let a_end = alice.wait(5, |e| match e {
            AgentEvent::Ended {
                call,
                summary: Some(_),
                ..
            } if *call == n => Some(()),
            _ => None,
        });
        let a_end = a_end.await.is_some();
        let c_end = bob.wait(5, |e| match e {
            AgentEvent::Ended {
                call,
                summary: Some(_),
                ..
            } if *call == c => Some(()),
            _ => None,
        });
        let c_end = c_end.await.is_some();
        r.step(
            "hang up (BYE), summaries",
            h.is_ok() && a_end && c_end,
            format!("alice ended: {a_end}, carol ended: {c_end}"),
        );
    } else {
        r.step("blind transfer to carol (REFER, NOTIFY)", false, detail);
    }
}
