//! The command line: `demo` end to end, `check` on good and bad configs.

use std::process::Command;

fn agent() -> Command {
    Command::new(env!("CARGO_BIN_EXE_heron-agent"))
}

fn config(name: &str) -> String {
    format!("{}/config/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn demo_exits_zero_after_every_step() {
    let out = agent().arg("demo").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Result: every step worked"), "{stdout}");
    for step in [
        "call over TLS with SDES-SRTP and G.722",
        "audio both ways",
        "DTMF both ways",
        "hold (re-INVITE",
        "resume (re-INVITE",
        "dial 112: refused locally",
        "blind transfer to carol",
        "hang up (BYE)",
    ] {
        assert!(
            stdout.contains(&format!("[ok] {step}")),
            "{step} missing in\n{stdout}"
        );
    }
    // The ladder has the REFER and no INVITE to 112.
    assert!(stdout.contains("<-REFER"), "{stdout}");
    assert!(stdout.contains("AES_CM_128_HMAC_SHA1_80"));
    assert!(!stdout.contains("112@"));
}

#[test]
fn check_prints_the_allowlist_data() {
    for name in ["asterisk-udp.toml", "teams-tls-sdes.toml", "dtls-srtp.toml"] {
        let out = agent()
            .args(["check", "--no-probe", "--config", &config(name)])
            .env("HERON_SIP_PASSWORD", "from-env")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("valid"));
        assert!(stdout.contains("User-Agent"));
        assert!(stdout.contains("always refused: 110, 112, 911"));
        if name.contains("tls") {
            assert!(stdout.contains("TLS             1."), "{stdout}");
            assert!(stdout.contains("TLS13_AES_256_GCM_SHA384"), "{stdout}");
        }
        assert!(
            !stdout.contains("from-env"),
            "the password is never printed"
        );
    }
}

#[test]
fn check_reports_every_bad_value_and_exits_2() {
    let dir = std::env::temp_dir().join(format!("heron-agent-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[account]\naor = \"sip:1@pbx\"\npassword = \"x\"\nexpires = 1\n[sip]\ntransport = \"carrier-pigeon\"\n[policy.emergency]\nenabled = false\n",
    )
    .unwrap();
    let out = agent()
        .args(["check", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("3 problem(s)"), "{stderr}");
    assert!(stderr.contains("account.expires: 1 is not allowed; use an integer from 60 to 86400"));
    assert!(stderr
        .contains("sip.transport: \"carrier-pigeon\" is not allowed; use one of udp, tcp, tls"));
    assert!(stderr.contains("policy.emergency.enabled"));
    std::fs::remove_dir_all(&dir).unwrap();
}
