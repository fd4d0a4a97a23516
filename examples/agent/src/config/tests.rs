use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::policy::{BusyStatus, CallPolicy, Refusal};

fn env() -> HashMap<String, String> {
    HashMap::from([(
        "HERON_SIP_PASSWORD".to_owned(),
        "s3cret-from-env".to_owned(),
    )])
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config")
}

fn load(text: &str) -> Result<Loaded, ConfigErrors> {
    load_str(text, &examples(), &env())
}

fn keys(e: &ConfigErrors) -> Vec<&str> {
    e.errors.iter().map(|i| i.key.as_str()).collect()
}

const MINIMAL: &str =
    "[account]\naor = \"sip:123456@pbx.example.com\"\npassword_env = \"HERON_SIP_PASSWORD\"\n";

#[test]
fn every_example_config_loads() {
    for name in ["asterisk-udp.toml", "teams-tls-sdes.toml", "dtls-srtp.toml"] {
        let loaded =
            load_file(&examples().join(name), &env()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(loaded.warnings.is_empty(), "{name}: {:?}", loaded.warnings);
    }
}

#[test]
fn asterisk_example_values() {
    let c = load_file(&examples().join("asterisk-udp.toml"), &env())
        .unwrap()
        .config;
    assert_eq!(c.pbx.vendor, Vendor::Asterisk);
    assert_eq!(c.account.user, "123456");
    assert_eq!(c.account.domain, "example-provider.de");
    assert_eq!(c.account.auth_user, "example_123456");
    assert_eq!(c.account.password.expose(), "s3cret-from-env");
    assert_eq!(
        c.account.password_source,
        SecretSource::Env("HERON_SIP_PASSWORD".into())
    );
    assert_eq!(c.sip.registrar.host, "example-provider.de");
    assert_eq!(
        c.sip.outbound_proxy.as_ref().unwrap().host,
        "sip.example-provider.de"
    );
    assert_eq!(c.sip.transport, Transport::Udp);
    assert_eq!(c.sip.rel100, Rel100::Supported);
    assert_eq!(c.media.codecs[0], heron_sdp::Codec::G722);
    assert_eq!(c.media.srtp_policy(), heron_sdp::SrtpPolicy::Off);
    assert_eq!(c.media.rtp_ports, (16384, 32767));
    assert_eq!(c.identity.cli.as_ref().unwrap().as_str(), "+4930123456");
    assert_eq!(c.policy.max_calls, 4);
    assert_eq!(c.policy.busy_status, BusyStatus::BusyHere);
    assert_eq!(c.policy.hours.len(), 2);
    assert_eq!(c.policy.emergency_extra, vec!["19222".to_owned()]);
    // The loaded policy works: emergency numbers and the outside line.
    let p = CallPolicy::new(c.policy.clone());
    assert_eq!(p.check_destination("0 112"), Err(Refusal::Emergency));
    assert_eq!(p.check_destination("0 19222"), Err(Refusal::Emergency));
    assert!(p.check_destination("0 030 5551234").is_ok());
    assert!(p.check_destination("201").is_ok());
}

#[test]
fn tls_and_dtls_examples() {
    let t = load_file(&examples().join("teams-tls-sdes.toml"), &env())
        .unwrap()
        .config;
    assert_eq!(t.sip.transport, Transport::Tls);
    assert!(t.sip.registrar.secure);
    assert_eq!(t.sip.registrar.port, Some(5061));
    assert_eq!(t.tls.server_name, "sbc.example.com");
    assert_eq!(t.media.srtp_policy(), heron_sdp::SrtpPolicy::Sdes);
    assert_eq!(t.media.srtp_suites.len(), 2);
    assert_eq!(t.policy.busy_status, BusyStatus::ServiceUnavailable);
    assert_eq!(t.log.format, LogFormat::Json);
    let d = load_file(&examples().join("dtls-srtp.toml"), &env())
        .unwrap()
        .config;
    assert_eq!(d.media.srtp_policy(), heron_sdp::SrtpPolicy::Dtls);
    assert_eq!(d.account.password.expose(), "example-password");
    assert!(matches!(d.account.password_source, SecretSource::File(_)));
    assert_eq!(d.sip.registrar.port, Some(5061));
    assert!(!d.sip.registrar.secure);
}

#[test]
fn minimal_config_gets_defaults() {
    let l = load(MINIMAL).unwrap();
    let c = l.config;
    assert_eq!(
        c.sip.registrar.host, "pbx.example.com",
        "registrar defaults to the AOR's domain"
    );
    assert_eq!(c.sip.transport, Transport::Udp);
    assert_eq!(c.sip.listen.port(), 5060);
    assert_eq!(c.account.expires.as_secs(), 600);
    assert_eq!(c.account.auth_user, "123456");
    assert_eq!(c.media.codecs, heron_sdp::Codec::ALL.to_vec());
    assert_eq!(c.media.dtmf[0], DtmfMode::Rfc4733);
    assert!(c.sip.user_agent.starts_with("heron-agent/"));
    assert_eq!(c.tls.server_name, "pbx.example.com");
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    assert_eq!(l.warnings[0].key, "policy.allow");
}

#[test]
fn every_problem_is_reported_at_once_with_its_key() {
    let text = r#"
[pbx]
vendor = "nortel"
[account]
aor = "not a uri"
password = "x"
password_env = "Y"
expires = 5
contacts = "some"
[sip]
transport = "sctp"
registrar = "sip:user@pbx"
keepalive_interval = 1
retry_min = 100
retry_max = 10
listen = "nowhere"
[sip.session_timer]
expires = 100
min_se = 200
[tls]
client_cert = "missing.pem"
min_version = "1.1"
ciphers = ["RC4_MD5"]
[media]
codecs = ["g729", "pcmu", "pcmu"]
ptime = 25
srtp = "yes"
rtp_ports = "100-50"
dtmf = ["pulse"]
srtp_suites = ["NULL"]
[identity]
cli = "abc"
pai = "mailto:x@y"
privacy = "total"
[numbering]
country_code = "049"
outside_line = "x"
[call]
transfer = "maybe"
max_duration = 0
[policy]
allow = ["+49*1"]
deny = ["sip:nohost"]
max_calls = 0
busy_status = 404
allowed_sources = ["10.0.0.0/33"]
[policy.rate]
calls = -1
[policy.hours]
timezone = "Mars/Olympus"
windows = ["Mon 9-17"]
[policy.emergency]
enabled = false
extra = ["abc"]
[log]
level = "loud"
[extra]
x = 1
"#;
    let e = load(text).unwrap_err();
    let k = keys(&e);
    for expected in [
        "pbx.vendor",
        "account.aor",
        "account.password_env",
        "account.expires",
        "account.contacts",
        "sip.registrar",
        "sip.transport",
        "sip.listen",
        "sip.keepalive_interval",
        "sip.session_timer.min_se",
        "sip.retry_max",
        "tls.client_cert",
        "tls.client_key",
        "tls.min_version",
        "tls.ciphers[0]",
        "media.codecs[0]",
        "media.codecs[2]",
        "media.ptime",
        "media.srtp",
        "media.srtp_suites[0]",
        "media.rtp_ports",
        "media.dtmf[0]",
        "numbering.country_code",
        "numbering.outside_line",
        "identity.cli",
        "identity.pai",
        "identity.privacy",
        "call.transfer",
        "call.max_duration",
        "policy.allow[0]",
        "policy.deny[0]",
        "policy.max_calls",
        "policy.busy_status",
        "policy.allowed_sources[0]",
        "policy.rate.calls",
        "policy.hours.timezone",
        "policy.hours.windows[0]",
        "policy.emergency.enabled",
        "policy.emergency.extra[0]",
        "log.level",
        "extra",
    ] {
        assert!(k.contains(&expected), "missing {expected} in {k:#?}");
    }
    // Each message says what is allowed.
    let msg = |key: &str| {
        e.errors
            .iter()
            .find(|i| i.key == key)
            .map(|i| i.message.clone())
            .unwrap()
    };
    assert!(msg("sip.transport").contains("use one of udp, tcp, tls"));
    assert!(msg("account.expires").contains("from 60 to 86400"));
    assert!(msg("media.codecs[0]").contains("opus, g722, pcma or pcmu"));
    assert!(msg("media.codecs[2]").contains("twice"));
    assert!(msg("policy.busy_status").contains("486, 503"));
    assert!(msg("policy.emergency.enabled").contains("always blocked"));
    assert!(msg("extra").contains("known keys here"));
    assert!(msg("policy.hours.windows[0]").contains("Mon-Fri 08:00-18:00"));
    // The summary line counts them and lists one per line.
    let text = e.to_string();
    assert!(text.starts_with(&format!("{} problem(s)", e.errors.len())));
    assert_eq!(text.lines().count(), e.errors.len() + 1);
}

#[test]
fn password_sources() {
    let base = "[account]\naor = \"sip:1@pbx\"\n";
    let e = load(base).unwrap_err();
    assert_eq!(keys(&e), ["account.password"]);
    assert!(e.errors[0].message.contains("password_env"));

    let e = load(&format!("{base}password_env = \"NOT_SET\"\n")).unwrap_err();
    assert!(e.errors[0].message.contains("NOT_SET is not set"));

    let e = load(&format!("{base}password_file = \"no-such-file\"\n")).unwrap_err();
    assert_eq!(keys(&e), ["account.password_file"]);
    assert!(e.errors[0].message.contains("cannot read"));

    let l = load(&format!("{base}password = \"inline\"\n")).unwrap();
    assert_eq!(l.config.account.password.expose(), "inline");
    assert!(l.warnings.iter().any(|w| w.key == "account.password"));

    let l = load(&format!("{base}password_file = \"agent.password\"\n")).unwrap();
    assert_eq!(l.config.account.password.expose(), "example-password");
}

#[test]
fn secrets_never_in_debug_output() {
    let c = load(MINIMAL).unwrap().config;
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("s3cret-from-env"));
    assert!(dbg.contains("<redacted>"));
}

#[test]
fn toml_syntax_errors_name_the_line() {
    let e = load("[account]\naor = \"sip:1@x\"\nexpires = = 3\n").unwrap_err();
    assert_eq!(e.errors.len(), 1);
    assert_eq!(e.errors[0].key, "line 3");
    assert!(e.errors[0].message.contains("not valid TOML"));
}

#[test]
fn cross_section_rules() {
    let e = load(&format!(
        "{MINIMAL}[sip]\nregistrar = \"sips:pbx.example.com\"\n"
    ))
    .unwrap_err();
    assert_eq!(keys(&e), ["sip.transport"]);
    let e = load(&format!("{MINIMAL}[sip]\nkeepalive = \"crlf\"\n")).unwrap_err();
    assert_eq!(keys(&e), ["sip.keepalive"]);
    let l = load(&format!(
        "{MINIMAL}[pbx]\nvendor = \"teams\"\n[policy]\nallow=[\"+49*\"]\n"
    ))
    .unwrap();
    let w: Vec<&str> = l.warnings.iter().map(|w| w.key.as_str()).collect();
    assert!(
        w.contains(&"sip.transport") && w.contains(&"media.srtp"),
        "{w:?}"
    );
    let l = load(&format!(
        "{MINIMAL}[sip]\ntransport=\"tcp\"\n[media]\nsrtp=\"sdes\"\n[policy]\nallow=[\"+49*\"]\n"
    ))
    .unwrap();
    assert!(l
        .warnings
        .iter()
        .any(|w| w.message.contains("anyone on the path")));
    let l = load(&format!(
        "{MINIMAL}[policy]\nallow=[\"+49*\", \"+49112\", \"urn:service:sos\"]\n"
    ))
    .unwrap();
    let w: Vec<&str> = l.warnings.iter().map(|w| w.key.as_str()).collect();
    assert_eq!(w, ["policy.allow[1]", "policy.allow[2]"]);
    let e = load(&format!(
        "{MINIMAL}[identity]\ncli = \"+4930111\"\nallowed_cli = [\"+4930222\"]\n"
    ))
    .unwrap_err();
    assert_eq!(keys(&e), ["identity.cli"]);
    // TLS 1.3 only, with only TLS 1.2 suites: no handshake could work.
    let tls = "[sip]\nregistrar = \"pbx.example.com\"\ntransport = \"tls\"\n[tls]\nmin_version = \"1.3\"\n";
    let e = load(&format!(
        "{MINIMAL}{tls}ciphers = [\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"]\n"
    ))
    .unwrap_err();
    assert_eq!(keys(&e), ["tls.ciphers"]);
    let l = load(&format!(
        "{MINIMAL}{tls}ciphers = [\"TLS13_AES_128_GCM_SHA256\", \"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"]\n"
    ))
    .unwrap();
    assert_eq!(l.config.tls.ciphers.len(), 2);
}

#[test]
fn srtp_policy_mapping() {
    let media = |srtp: &str, fallback: bool| {
        load(&format!(
            "{MINIMAL}[media]\nsrtp = \"{srtp}\"\nsrtp_fallback = {fallback}\n"
        ))
        .unwrap()
        .config
        .media
        .srtp_policy()
    };
    use heron_sdp::SrtpPolicy;
    assert_eq!(media("sdes", false), SrtpPolicy::Sdes);
    assert_eq!(media("sdes", true), SrtpPolicy::Optional);
    assert_eq!(media("dtls", false), SrtpPolicy::Dtls);
    assert_eq!(media("dtls", true), SrtpPolicy::Optional);
}

#[test]
fn targets() {
    use super::load::parse_target;
    let t = parse_target("pbx.example.com:5080").unwrap();
    assert_eq!(
        (t.host.as_str(), t.port, t.secure),
        ("pbx.example.com", Some(5080), false)
    );
    let t = parse_target("[2001:db8::1]:5061").unwrap();
    assert_eq!(t.host, "2001:db8::1");
    assert_eq!(t.hostport(), "[2001:db8::1]:5061");
    assert!(!t.needs_dns());
    let t = parse_target("SIPS:SBC.example.com").unwrap();
    assert!(t.secure && t.needs_dns());
    assert!(parse_target("sip:u@host")
        .unwrap_err()
        .contains("names a user"));
    assert!(parse_target("host:0").is_err());
    assert!(parse_target("bad host").is_err());
}
