//! The `sdp-answer` example tool, driven through its `run` function.

mod common;

#[allow(dead_code)]
#[path = "../examples/sdp-answer.rs"]
mod tool;

use common::{ConstRng, VENDOR_DIR};

fn run(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = tool::run(
        args.iter().map(|s| s.to_string()).collect(),
        &mut ConstRng(5),
        &mut out,
        &mut err,
    );
    (
        status,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn vendor(name: &str) -> String {
    format!("{VENDOR_DIR}/{name}")
}

#[test]
fn answers_a_sip_message_file() {
    let file = vendor("027-htek-invite-3cx-av.sip");
    let (status, out, _) = run(&["--offer", &file, "--codecs", "pcma,pcmu", "--port", "5004"]);
    assert_eq!(status, 0);
    let lines: Vec<&str> = out.split("\r\n").collect();
    assert_eq!(lines[0], "v=0");
    assert!(lines[1].ends_with(" 1 IN IP4 192.0.2.1"), "{out}");
    assert_eq!(
        &lines[2..],
        [
            "s=-",
            "c=IN IP4 192.0.2.1",
            "t=0 0",
            "m=audio 5004 RTP/AVP 8 101",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-11,16",
            "a=ptime:20",
            "a=sendrecv",
            "m=video 0 RTP/AVP 96 97",
            "",
        ]
    );
}

#[test]
fn answers_the_sdp_part_of_a_multipart_body() {
    let file = vendor("038-lync-2013-invite-multipart-alternative.sip");
    let (status, out, _) = run(&["--offer", &file, "--srtp", "sdes", "--dtmf", "none"]);
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("m=audio 40000 RTP/SAVP 9\r\n"), "{out}");
    assert!(out.contains("a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:"));
    assert!(!out.contains("telephone-event"));
}

#[test]
fn rejection_prints_the_reason_and_exits_1() {
    let file = vendor("001-ast-d40-invite.sip");
    let (status, out, _) = run(&["--offer", &file, "--srtp", "sdes"]);
    assert_eq!(status, 1);
    assert_eq!(
        out,
        "rejected: m-line 0: SRTP is required but RTP/AVP was offered\n"
    );
    let (status, out, _) = run(&["--offer", &vendor("039-cisco-ios-gw-200-options-t38.sip")]);
    assert_eq!(
        (status, out.as_str()),
        (1, "rejected: no audio stream offered\n")
    );
}

#[test]
fn dtls_without_fingerprint_uses_a_placeholder() {
    let file = vendor("068-xlite-200-invite-dtls-fingerprint.sip");
    let (status, out, err) = run(&["--offer", &file, "--srtp", "dtls", "--rtcp-mux"]);
    assert_eq!(status, 0);
    assert!(err.contains("placeholder"));
    assert!(out.contains("a=setup:passive\r\n"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["--offer"][..],
        &["--offer", "x", "--codecs", "g729"][..],
        &["--offer", "x", "--srtp", "maybe"][..],
        &["--offer", "x", "--dtmf", "morse"][..],
        &["--bogus"][..],
        &["--offer", "/nonexistent/offer.sdp"][..],
    ] {
        let (status, out, err) = run(args);
        assert_eq!(status, 2, "{args:?}");
        assert!(out.is_empty());
        assert!(err.contains("sdp-answer"), "{args:?}: {err}");
    }
}
