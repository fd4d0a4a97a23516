//! Two agents in one process over UDP: the inbound policy (cap → 486/503,
//! allowed sources → 403), a transfer to an emergency number refused by
//! the transferee, INFO DTMF, and the echo pipeline end to end.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use heron_agent::config::{load_str, AgentConfig};
use heron_agent::media::pipelines::Echo;
use heron_agent::media::{DtmfSource, VoicePipeline};
use heron_agent::policy::Refusal;
use heron_agent::runtime::{Agent, AgentEvent, CallContext, CallError, StartOptions};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

fn cfg(user: &str, extra_policy: &str, dtmf: &str) -> AgentConfig {
    let text = format!(
        r#"
[account]
aor = "sip:{user}@127.0.0.1"
password_env = "PW"
register = false
[sip]
listen = "127.0.0.1:0"
[media]
codecs = ["pcmu"]
dtmf = [{dtmf}]
rtp_ports = "43000-44999"
[policy]
allow = ["sip:*@127.0.0.1"]
{extra_policy}
"#
    );
    let env = HashMap::from([("PW".to_owned(), "x".to_owned())]);
    load_str(&text, ".".as_ref(), &env).unwrap().config
}

async fn start(c: AgentConfig) -> (Agent, UnboundedReceiver<AgentEvent>) {
    let factory = Arc::new(|_: &CallContext| -> Box<dyn VoicePipeline> {
        Box::new(Echo::new(8000, Duration::from_millis(100)))
    });
    Agent::start(c, StartOptions::default(), factory)
        .await
        .unwrap()
}

async fn wait<T>(
    rx: &mut UnboundedReceiver<AgentEvent>,
    mut f: impl FnMut(&AgentEvent) -> Option<T>,
) -> T {
    timeout(Duration::from_secs(10), async {
        loop {
            let e = rx.recv().await.expect("agent stopped");
            if let Some(t) = f(&e) {
                return t;
            }
        }
    })
    .await
    .expect("event within 10 s")
}

fn uri(user: &str, a: &Agent) -> String {
    format!("sip:{user}@{}", a.sip_addr())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_cap_answers_486_and_counts_down_again() {
    let (a, mut ae) = start(cfg("alice", "", "\"rfc4733\"")).await;
    let (b, mut be) = start(cfg("bob", "max_calls = 1", "\"rfc4733\"")).await;
    let first = a.call(&uri("bob", &b)).await.unwrap();
    wait(&mut ae, |e| {
        matches!(e, AgentEvent::Established { call, .. } if *call == first).then_some(())
    })
    .await;
    let second = a.call(&uri("bob", &b)).await.unwrap();
    let status = wait(&mut be, |e| match e {
        AgentEvent::InboundRefused { status, .. } => Some(*status),
        _ => None,
    })
    .await;
    assert_eq!(status, 486);
    let reason = wait(&mut ae, |e| match e {
        AgentEvent::Ended { call, reason, .. } if *call == second => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("486"), "{reason}");
    a.hangup(first).await.unwrap();
    wait(&mut be, |e| {
        matches!(e, AgentEvent::Ended { .. }).then_some(())
    })
    .await;
    // The slot is free again.
    let third = a.call(&uri("bob", &b)).await.unwrap();
    wait(&mut ae, |e| {
        matches!(e, AgentEvent::Established { call, .. } if *call == third).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_status_503_when_configured() {
    let (a, mut ae) = start(cfg("alice", "", "\"rfc4733\"")).await;
    let (b, _be) = start(cfg(
        "bob",
        "max_calls = 1\nbusy_status = 503",
        "\"rfc4733\"",
    ))
    .await;
    let first = a.call(&uri("bob", &b)).await.unwrap();
    wait(&mut ae, |e| {
        matches!(e, AgentEvent::Established { call, .. } if *call == first).then_some(())
    })
    .await;
    let second = a.call(&uri("bob", &b)).await.unwrap();
    let reason = wait(&mut ae, |e| match e {
        AgentEvent::Ended { call, reason, .. } if *call == second => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("503"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_from_other_sources_get_403() {
    let (a, mut ae) = start(cfg("alice", "", "\"rfc4733\"")).await;
    let (b, _be) = start(cfg(
        "bob",
        "allowed_sources = [\"10.0.0.0/8\"]",
        "\"rfc4733\"",
    ))
    .await;
    let call = a.call(&uri("bob", &b)).await.unwrap();
    let reason = wait(&mut ae, |e| match e {
        AgentEvent::Ended {
            call: c, reason, ..
        } if *c == call => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("403"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_to_an_emergency_number_is_refused_by_the_transferee() {
    use heron_sdp::{LocalCapabilities, Negotiator};
    use heron_sip_stack::driver::StackConfig;
    use heron_sip_stack::ua::driver::UaStack;
    use heron_sip_stack::ua::{UaConfig, UaEvent};

    let (a, mut ae) = start(cfg("alice", "", "\"rfc4733\"")).await;
    // Our own policy never sends such a REFER, so the transferor here is a
    // bare user agent.
    let stack = StackConfig {
        udp: vec!["127.0.0.1:0".parse().unwrap()],
        ..StackConfig::default()
    };
    let (raw, mut re) = UaStack::start(stack, UaConfig::new("sip:pbx@127.0.0.1"))
        .await
        .unwrap();
    let mut rng = rand::thread_rng();
    let mut neg = Negotiator::new(
        LocalCapabilities::new("127.0.0.1".parse().unwrap(), 45000),
        &mut rng,
    );
    let offer = neg.create_offer(&mut rng).unwrap().to_string();
    let call = raw.call(&uri("alice", &a), Some(offer.into())).unwrap();
    let answered = timeout(Duration::from_secs(10), async {
        loop {
            if let Some(UaEvent::Answered { .. }) = re.recv().await {
                return;
            }
        }
    })
    .await;
    assert!(answered.is_ok());
    call.transfer("sip:0112@127.0.0.1", None).unwrap();
    let refused = wait(&mut ae, |e| match e {
        AgentEvent::Refused {
            destination,
            reason,
        } => Some((destination.clone(), reason.clone())),
        _ => None,
    })
    .await;
    assert_eq!(refused.0, "sip:0112@127.0.0.1");
    assert_eq!(refused.1, Refusal::Emergency);
    let status = timeout(Duration::from_secs(10), async {
        loop {
            if let Some(UaEvent::TransferProgress {
                status, done: true, ..
            }) = re.recv().await
            {
                return status;
            }
        }
    })
    .await
    .expect("the REFER is answered");
    assert_eq!(status, 403);
    assert!(matches!(
        a.call("0112").await,
        Err(CallError::Refused(Refusal::Emergency))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_dtmf_reaches_the_other_pipeline() {
    let (a, mut ae) = start(cfg("alice", "", "\"info\"")).await;
    let (b, mut be) = start(cfg("bob", "", "\"info\", \"rfc4733\"")).await;
    let call = a.call(&uri("bob", &b)).await.unwrap();
    wait(&mut ae, |e| {
        matches!(e, AgentEvent::Established { call: c, .. } if *c == call).then_some(())
    })
    .await;
    a.send_dtmf(call, '7').await.unwrap();
    let press = wait(&mut be, |e| match e {
        AgentEvent::Dtmf { press, .. } => Some(*press),
        _ => None,
    })
    .await;
    assert_eq!((press.digit, press.source), ('7', DtmfSource::Info));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_settings_delay_limit_and_transfer_off() {
    let mut bob_cfg = cfg("bob", "", "\"rfc4733\"");
    bob_cfg.call.answer_delay = Duration::from_millis(300);
    bob_cfg.call.early_media = true;
    bob_cfg.call.max_duration = Duration::from_secs(1);
    bob_cfg.call.transfer = heron_agent::config::TransferMode::Off;
    let (a, mut ae) = start(cfg("alice", "", "\"rfc4733\"")).await;
    let (b, mut be) = start(bob_cfg).await;
    let call = a.call(&uri("bob", &b)).await.unwrap();
    // Early media starts Bob's media before the 200, and Alice's on the
    // 183 (a reliable one: both support 100rel); the 200 confirms it.
    let bcall = wait(&mut be, |e| match e {
        AgentEvent::Established { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    let early = wait(&mut ae, |e| match e {
        AgentEvent::EarlyMedia { call: c, info } if *c == call => Some(info.clone()),
        AgentEvent::Established { call: c, .. } if *c == call => {
            panic!("answered without early media first")
        }
        _ => None,
    })
    .await;
    let answered = wait(&mut ae, |e| match e {
        AgentEvent::Established { call: c, info } if *c == call => Some(info.clone()),
        _ => None,
    })
    .await;
    assert_eq!(early, answered, "the same stream, confirmed by the answer");
    assert!(matches!(
        b.transfer(bcall, "sip:carol@127.0.0.1").await,
        Err(CallError::NotAllowed(_))
    ));
    // call.max_duration hangs up.
    let reason = wait(&mut ae, |e| match e {
        AgentEvent::Ended {
            call: c, reason, ..
        } if *c == call => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("RemoteHangup"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attended_transfer_connects_the_two_peers() {
    let (a, mut ae) = start(cfg("alice", "", "\"rfc4733\"")).await;
    let (b, mut be) = start(cfg("bob", "", "\"rfc4733\"")).await;
    let (c, mut ce) = start(cfg("carol", "", "\"rfc4733\"")).await;
    let to_bob = a.call(&uri("bob", &b)).await.unwrap();
    wait(&mut ae, |e| {
        matches!(e, AgentEvent::Established { call, .. } if *call == to_bob).then_some(())
    })
    .await;
    let to_carol = a.call(&uri("carol", &c)).await.unwrap();
    wait(&mut ae, |e| {
        matches!(e, AgentEvent::Established { call, .. } if *call == to_carol).then_some(())
    })
    .await;
    let carol_first = wait(&mut ce, |e| match e {
        AgentEvent::Established { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    a.transfer_attended(to_bob, to_carol).await.unwrap();
    // Bob calls Carol with Replaces; Carol's call with Alice is replaced.
    let bob_new = wait(&mut be, |e| match e {
        AgentEvent::Transferred { new_call, .. } => Some(*new_call),
        _ => None,
    })
    .await;
    wait(&mut be, |e| {
        matches!(e, AgentEvent::Established { call, .. } if *call == bob_new).then_some(())
    })
    .await;
    let replaced = wait(&mut ce, |e| match e {
        AgentEvent::Ended { call, reason, .. } if *call == carol_first => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(replaced.contains("Replaced"), "{replaced}");
    // Alice sees the transfer succeed and is out of both calls (in any order).
    let mut done = None;
    let mut ended = std::collections::HashSet::new();
    while done.is_none() || ended.len() < 2 {
        wait(&mut ae, |e| match e {
            AgentEvent::TransferProgress {
                status, done: true, ..
            } => {
                done = Some(*status);
                Some(())
            }
            AgentEvent::Ended { call, .. } => {
                ended.insert(*call);
                Some(())
            }
            _ => None,
        })
        .await;
    }
    assert_eq!(done, Some(200));
    assert!(ended.contains(&to_bob) && ended.contains(&to_carol));
}

/// `identity.privacy = "user"`: what the callee receives withholds the
/// agent's identity in From (RFC 3323 §4.1.1.3); the calling number
/// travels in P-Preferred-Identity for the PBX, with `Privacy: id`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_user_calls_with_an_anonymous_from() {
    let peer = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let text = r#"
[account]
aor = "sip:agent7@pbx.example.com"
password_env = "PW"
register = false
[sip]
listen = "127.0.0.1:0"
[identity]
display_name = "Heron Agent"
cli = "+49 30 1234 56"
privacy = "user"
[media]
codecs = ["pcmu"]
rtp_ports = "43000-44999"
[policy]
allow = ["sip:*@127.0.0.1"]
"#;
    let env = HashMap::from([("PW".to_owned(), "x".to_owned())]);
    let c = load_str(text, ".".as_ref(), &env).unwrap().config;
    let (a, _ae) = start(c).await;
    let target = format!("sip:callee@{}", peer.local_addr().unwrap());
    a.call(&target).await.unwrap();
    let mut buf = vec![0u8; 8192];
    let (n, _) = timeout(Duration::from_secs(10), peer.recv_from(&mut buf))
        .await
        .expect("the INVITE arrives")
        .unwrap();
    let invite = String::from_utf8_lossy(&buf[..n]).into_owned();
    let header = |name: &str| -> Vec<String> {
        invite
            .lines()
            .filter_map(|l| l.split_once(':'))
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    };
    assert!(invite.starts_with("INVITE sip:callee@"), "{invite}");
    let from = header("From");
    assert_eq!(from.len(), 1, "{invite}");
    assert!(
        from[0].starts_with("\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag="),
        "{invite}"
    );
    assert_eq!(header("Privacy"), ["id"], "{invite}");
    assert_eq!(
        header("P-Preferred-Identity"),
        ["<sip:+4930123456@pbx.example.com;user=phone>"],
        "{invite}"
    );
    assert!(header("P-Asserted-Identity").is_empty(), "{invite}");
    // Neither the AOR's user nor the display name is in From or Call-ID.
    for h in ["From", "Call-ID"] {
        for v in header(h) {
            assert!(!v.contains("agent7") && !v.contains("Heron"), "{h}: {v}");
        }
    }
}
