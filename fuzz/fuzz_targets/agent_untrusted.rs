//! Fuzz what heron-agent reads from peers and pipelines: destinations
//! (dial strings, sip:/tel:/urn: URIs) through the call policy, SIP INFO
//! DTMF bodies (heron-sip-stack's parser, which the agent's calls use),
//! WAV files, and the log redaction. None may panic, and an emergency
//! number is never allowed.
#![no_main]

use heron_agent::media::wav::Wav;
use heron_agent::policy::{CallPolicy, PolicyConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match selector % 4 {
        0 => {
            let mut cfg = PolicyConfig::default();
            cfg.allow = vec!["*".parse().unwrap(), "+*".parse().unwrap(), "sip:*@*".parse().unwrap()];
            let policy = CallPolicy::new(cfg);
            let _ = policy.check_destination(&text);
            // Whatever precedes it, 112 stays refused.
            let with_112 = format!("{text}112");
            if let Ok(d) = heron_agent::policy::Destination::parse(&with_112, None, "") {
                if policy.emergency().matches(&d) {
                    assert!(policy.check_destination(&with_112).is_err());
                }
            }
        }
        1 => {
            let (ct, body) = text.split_once('\n').unwrap_or(("application/dtmf-relay", &text));
            let _ = heron_sip_stack::ua::dtmf::parse_info_dtmf(ct, body.as_bytes());
        }
        2 => {
            let _ = Wav::parse(rest);
        }
        _ => {
            let _ = heron_sip::redact::text(&text);
        }
    }
});
