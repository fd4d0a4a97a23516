//! Our offers, answers to them, and re-offers in a dialog.

mod common;

use common::*;
use heron_sdp::negotiate::RtcpTarget;
use heron_sdp::{
    Codec, Direction, DtlsRole, HoldMode, MediaSecurity, NegotiationError, Negotiator, SrtpPolicy,
    SrtpSuite,
};

fn offer_lines(proto: &str) -> Vec<String> {
    [
        "s=-",
        "c=IN IP4 192.0.2.100",
        "t=0 0",
        &format!("m=audio 30000 {proto} 111 9 8 0 110 101"),
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 useinbandfec=1",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:110 telephone-event/48000",
        "a=fmtp:110 0-16",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "a=ptime:20",
        "a=sendrecv",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn plain_offer() {
    let mut n = Negotiator::new(wideband(SrtpPolicy::Off), &mut ConstRng(1));
    let offer = n.create_offer(&mut ConstRng(1)).unwrap();
    assert_lines(&offer, &refs(&offer_lines("RTP/AVP")), 1);
    assert!(n.has_pending_offer());
}

#[test]
fn sdes_offer_lists_suites_in_order_with_fresh_keys() {
    let mut n = Negotiator::new(wideband(SrtpPolicy::Sdes), &mut ConstRng(4));
    let offer = n.create_offer(&mut ConstRng(4)).unwrap();
    let mut want = offer_lines("RTP/SAVP");
    want.push(format!(
        "a=crypto:1 AEAD_AES_256_GCM inline:{}",
        b64_of(4, 44)
    ));
    want.push(format!(
        "a=crypto:2 AEAD_AES_128_GCM inline:{}",
        b64_of(4, 28)
    ));
    want.push(format!(
        "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:{}",
        b64_of(4, 30)
    ));
    want.push(format!(
        "a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:{}",
        b64_of(4, 30)
    ));
    assert_lines(&offer, &refs(&want), 1);
}

#[test]
fn optional_offer_is_rtp_avp_with_crypto() {
    let mut c = g711(SrtpPolicy::Optional);
    c.crypto_suites = vec![SrtpSuite::AesCm128HmacSha1_80];
    c.telephone_event = false;
    let mut n = Negotiator::new(c, &mut ConstRng(2));
    let offer = n.create_offer(&mut ConstRng(2)).unwrap();
    assert_lines(
        &offer,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/AVP 8 0",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:0 PCMU/8000",
            "a=ptime:20",
            "a=sendrecv",
            &format!(
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{}",
                b64_of(2, 30)
            ),
        ],
        1,
    );
}

#[test]
fn dtls_offer_is_actpass_with_fingerprint() {
    let mut c = g711(SrtpPolicy::Dtls);
    c.rtcp_mux = true;
    let mut n = Negotiator::new(c, &mut ConstRng(1));
    let offer = n.create_offer(&mut ConstRng(1)).unwrap();
    assert_lines(
        &offer,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 UDP/TLS/RTP/SAVP 8 0 101",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:0 PCMU/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16",
            "a=ptime:20",
            "a=sendrecv",
            "a=rtcp-mux",
            "a=setup:actpass",
            &format!("a=fingerprint:{}", local_fingerprint()),
        ],
        1,
    );
    let mut c = g711(SrtpPolicy::Dtls);
    c.dtls_fingerprint = None;
    let mut n = Negotiator::new(c, &mut ConstRng(1));
    assert_eq!(
        n.create_offer(&mut ConstRng(1)).unwrap_err(),
        NegotiationError::NoLocalFingerprint
    );
}

/// Two negotiators talk to each other; both ends must agree.
fn loopback(policy: SrtpPolicy, offerer: &[Codec], answerer: &[Codec]) -> (Negotiator, Negotiator) {
    let mut a_caps = caps(offerer, policy);
    a_caps.rtcp_mux = true;
    let mut b_caps = caps(answerer, policy);
    b_caps.port = 40000;
    b_caps.address = "192.0.2.200".parse().unwrap();
    b_caps.rtcp_mux = true;
    let mut alice = Negotiator::new(a_caps, &mut ConstRng(0x11));
    let mut bob = Negotiator::new(b_caps, &mut ConstRng(0x22));
    let offer = alice.create_offer(&mut ConstRng(0x11)).unwrap();
    let answer = bob.receive_offer(&offer, &mut ConstRng(0x22)).unwrap();
    let at_alice = alice.receive_answer(&answer.sdp).unwrap().clone();
    let at_bob = answer.media;
    assert_eq!(
        at_alice.remote_rtp().unwrap().to_string(),
        "192.0.2.200:40000"
    );
    assert_eq!(
        at_bob.remote_rtp().unwrap().to_string(),
        "192.0.2.100:30000"
    );
    assert_eq!(at_alice.remote_rtcp, RtcpTarget::Mux);
    assert_eq!(at_bob.remote_rtcp, RtcpTarget::Mux);
    assert_eq!(at_alice.codec.codec, at_bob.codec.codec);
    assert_eq!(at_alice.codec.payload_type, at_bob.codec.payload_type);
    assert_eq!(at_alice.telephone_event, at_bob.telephone_event);
    assert_eq!(at_alice.direction, Direction::SendRecv);
    match (&at_alice.security, &at_bob.security) {
        (MediaSecurity::None, MediaSecurity::None) => {}
        (MediaSecurity::Sdes(a), MediaSecurity::Sdes(b)) => {
            assert_eq!(a.suite, b.suite);
            assert_eq!(a.local, b.remote);
            assert_eq!(a.remote, b.local);
            assert_ne!(a.local, a.remote);
        }
        (MediaSecurity::Dtls(a), MediaSecurity::Dtls(b)) => {
            assert_eq!(a.role, DtlsRole::Server);
            assert_eq!(b.role, DtlsRole::Client);
        }
        other => panic!("mismatch {other:?}"),
    }
    (alice, bob)
}

#[test]
fn loopback_every_policy() {
    for policy in [
        SrtpPolicy::Off,
        SrtpPolicy::Sdes,
        SrtpPolicy::Dtls,
        SrtpPolicy::Optional,
    ] {
        let (alice, _) = loopback(policy, &Codec::ALL, &[Codec::Pcmu, Codec::Opus]);
        // Bob prefers PCMU; Alice sends with what Bob answered.
        assert_eq!(
            alice.current().unwrap().codec.codec,
            Codec::Pcmu,
            "{policy:?}"
        );
    }
    let (alice, _) = loopback(SrtpPolicy::Sdes, &Codec::ALL, &Codec::ALL);
    let MediaSecurity::Sdes(keys) = &alice.current().unwrap().security else {
        panic!()
    };
    // The answerer picks the first suite of its own preference list.
    assert_eq!(keys.suite, SrtpSuite::AeadAes256Gcm);
    assert_eq!(keys.local.master_key().len(), 32);
    assert_eq!(keys.local.master_salt().len(), 12);
    // Opus with telephone-event at 48 kHz.
    let m = alice.current().unwrap();
    assert_eq!(m.codec.codec, Codec::Opus);
    assert_eq!(
        m.telephone_event
            .as_ref()
            .map(|t| (t.payload_type, t.clock_rate)),
        Some((110, 48000))
    );
}

#[test]
fn hold_resume_and_versions() {
    let (mut alice, mut bob) = loopback(SrtpPolicy::Sdes, &Codec::ALL, &Codec::ALL);
    let first = alice.session_version();
    assert_eq!(first, 1);

    let hold = alice.hold(HoldMode::SendOnly, &mut ConstRng(0x11)).unwrap();
    assert_eq!(hold.origin.session_version, "2");
    assert!(hold.to_string().contains("a=sendonly\r\n"));
    // Same keys: hold does not re-key.
    assert!(hold.to_string().contains(&b64_of(0x11, 44)));
    let ans = bob.receive_offer(&hold, &mut ConstRng(0x22)).unwrap();
    assert_eq!(ans.media.direction, Direction::RecvOnly);
    assert_eq!(ans.sdp.origin.session_version, "2");
    let m = alice.receive_answer(&ans.sdp).unwrap();
    assert_eq!(m.direction, Direction::SendOnly);

    let inactive = alice.hold(HoldMode::Inactive, &mut ConstRng(0x11)).unwrap();
    assert_eq!(inactive.origin.session_version, "3");
    assert!(inactive.to_string().contains("a=inactive\r\n"));
    let ans = bob.receive_offer(&inactive, &mut ConstRng(0x22)).unwrap();
    assert_eq!(ans.media.direction, Direction::Inactive);
    assert!(ans.sdp.to_string().contains("a=inactive\r\n"));
    alice.receive_answer(&ans.sdp).unwrap();

    let legacy = alice
        .hold(HoldMode::ZeroAddress, &mut ConstRng(0x11))
        .unwrap();
    let text = legacy.to_string();
    assert!(text.contains("c=IN IP4 0.0.0.0\r\n"), "{text}");
    assert!(text.contains("a=sendonly\r\n"));
    assert!(text.contains("o=- "), "origin keeps our real address");
    let ans = bob.receive_offer(&legacy, &mut ConstRng(0x22)).unwrap();
    // c=0.0.0.0 means: do not send to me.
    assert_eq!(ans.media.direction, Direction::RecvOnly);
    assert!(!ans.media.should_send());
    alice.receive_answer(&ans.sdp).unwrap();

    let resume = alice.resume(&mut ConstRng(0x11)).unwrap();
    assert_eq!(resume.origin.session_version, "5");
    assert!(resume.to_string().contains("a=sendrecv\r\n"));
    assert!(resume.to_string().contains("c=IN IP4 192.0.2.100\r\n"));
    let ans = bob.receive_offer(&resume, &mut ConstRng(0x22)).unwrap();
    assert_eq!(ans.media.direction, Direction::SendRecv);
    alice.receive_answer(&ans.sdp).unwrap();

    // A session refresh with nothing changed keeps the version (RFC 3264 §8).
    let same = alice.create_offer(&mut ConstRng(0x11)).unwrap();
    assert_eq!(same.origin.session_version, "5");
    assert_eq!(same.origin.session_id, resume.origin.session_id);
    alice.cancel_offer();
    assert!(!alice.has_pending_offer());
}

#[test]
fn codec_change_reoffer_keeps_payload_numbers() {
    let (mut alice, mut bob) = loopback(SrtpPolicy::Off, &Codec::ALL, &Codec::ALL);
    alice.set_codecs(vec![Codec::Pcma]);
    let offer = alice.create_offer(&mut ConstRng(0x11)).unwrap();
    assert_eq!(offer.origin.session_version, "2");
    assert!(offer
        .to_string()
        .contains("m=audio 30000 RTP/AVP 8 101\r\n"));
    let ans = bob.receive_offer(&offer, &mut ConstRng(0x22)).unwrap();
    let m = alice.receive_answer(&ans.sdp).unwrap();
    assert_eq!(m.codec.codec, Codec::Pcma);
    assert_eq!(m.telephone_event.as_ref().unwrap().payload_type, 101);

    // Back to Opus: the dynamic number 111 keeps its meaning.
    alice.set_codecs(vec![Codec::Opus, Codec::Pcma]);
    let offer = alice.create_offer(&mut ConstRng(0x11)).unwrap();
    assert!(offer
        .to_string()
        .contains("m=audio 30000 RTP/AVP 111 8 110 101\r\n"));
}

#[test]
fn reoffer_after_answering_keeps_peer_layout_and_numbers() {
    // The peer offered audio in the second m-line with its own numbers.
    let offer = heron_sdp::parse(
        "v=0\r\no=peer 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
         m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
         m=audio 6000 RTP/AVP 96 97 8\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:97 telephone-event/48000\r\n",
    )
    .unwrap();
    let mut n = Negotiator::new(wideband(SrtpPolicy::Off), &mut ConstRng(1));
    let ans = n.receive_offer(&offer, &mut ConstRng(1)).unwrap();
    assert_eq!(ans.media.media_index, 1);
    assert_eq!(ans.media.codec.payload_type, 96);
    assert_lines(
        &ans.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=video 0 RTP/AVP 96",
            "m=audio 30000 RTP/AVP 96 97",
            "a=rtpmap:96 opus/48000/2",
            "a=fmtp:96 useinbandfec=1",
            "a=rtpmap:97 telephone-event/48000",
            "a=fmtp:97 0-15",
            "a=ptime:20",
            "a=sendrecv",
        ],
        1,
    );
    // Our hold re-offer keeps both m-lines and the peer's numbers.
    let hold = n.hold(HoldMode::SendOnly, &mut ConstRng(1)).unwrap();
    let text = hold.to_string();
    let m_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("m=")).collect();
    assert_eq!(
        m_lines,
        [
            "m=video 0 RTP/AVP 96",
            "m=audio 30000 RTP/AVP 96 9 8 0 97 101"
        ]
    );
    assert_eq!(hold.origin.session_version, "2");
}

#[test]
fn answers_that_do_not_fit_the_offer() {
    let mut n = Negotiator::new(g711(SrtpPolicy::Sdes), &mut ConstRng(1));
    assert_eq!(
        n.receive_answer(&vendor_sdp("045-ipoffice-200-invite-pai-sdp.sip"))
            .unwrap_err(),
        NegotiationError::NoPendingOffer
    );
    let base = "v=0\r\no=- 5 5 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n";
    let try_answer = |policy: SrtpPolicy, media: &str| {
        let mut n = Negotiator::new(g711(policy), &mut ConstRng(1));
        n.create_offer(&mut ConstRng(1)).unwrap();
        let ans = heron_sdp::parse(&format!("{base}{media}")).unwrap();
        n.receive_answer(&ans).cloned()
    };
    let key = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

    // A plain RTP answer to an SDES offer is refused.
    let err = try_answer(SrtpPolicy::Sdes, "m=audio 7000 RTP/AVP 8\r\n").unwrap_err();
    assert!(matches!(err, NegotiationError::SrtpRequired { .. }));
    // SAVP without a crypto line.
    let err = try_answer(SrtpPolicy::Sdes, "m=audio 7000 RTP/SAVP 8\r\n").unwrap_err();
    assert!(matches!(err, NegotiationError::NoAcceptableCrypto { .. }));
    // A tag we did not offer with that suite.
    let err = try_answer(
        SrtpPolicy::Sdes,
        &format!("m=audio 7000 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}\r\n"),
    )
    .unwrap_err();
    assert_eq!(err, NegotiationError::CryptoMismatch { index: 0 });
    // Tag 3 is our AES_CM_128_HMAC_SHA1_80 line: accepted, with the MKI of RFC 4568 §4.
    let m = try_answer(
        SrtpPolicy::Sdes,
        &format!(
            "m=audio 7000 RTP/SAVP 8\r\na=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:{key}|2^20|1:4\r\n"
        ),
    )
    .unwrap();
    let MediaSecurity::Sdes(k) = &m.security else {
        panic!()
    };
    assert_eq!(k.local.key_salt.expose(), &vec![1u8; 30]);
    assert_eq!(k.remote.mki.map(|m| (m.value, m.length)), Some((1, 4)));
    // Rejected stream.
    let err = try_answer(SrtpPolicy::Off, "m=audio 0 RTP/AVP 8\r\n").unwrap_err();
    assert_eq!(err, NegotiationError::Rejected { index: 0 });
    // Wrong m-line count.
    let err = try_answer(
        SrtpPolicy::Off,
        "m=audio 7000 RTP/AVP 8\r\nm=video 0 RTP/AVP 31\r\n",
    )
    .unwrap_err();
    assert_eq!(
        err,
        NegotiationError::MediaCountMismatch {
            expected: 1,
            found: 2
        }
    );
    // Best effort: a plain answer means plain RTP; a crypto answer means SRTP.
    let m = try_answer(SrtpPolicy::Optional, "m=audio 7000 RTP/AVP 8 101\r\n").unwrap();
    assert_eq!(m.security, MediaSecurity::None);
    assert_eq!(m.telephone_event.unwrap().payload_type, 101);
    let m = try_answer(
        SrtpPolicy::Optional,
        &format!("m=audio 7000 RTP/AVP 0\r\na=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:{key}\r\na=ptime:30\r\n"),
    )
    .unwrap();
    assert!(matches!(m.security, MediaSecurity::Sdes(_)));
    assert_eq!(m.codec.codec, Codec::Pcmu);
    assert_eq!(m.ptime, 30);
    // A PBX that renumbers: we send with its numbers and receive with ours.
    let m = try_answer(
        SrtpPolicy::Off,
        "m=audio 7000 RTP/AVP 96 100\r\na=rtpmap:96 PCMA/8000\r\na=rtpmap:100 telephone-event/8000\r\n",
    )
    .unwrap();
    assert_eq!(
        (m.codec.payload_type, m.codec.receive_payload_type),
        (96, 8)
    );
    let te = m.telephone_event.unwrap();
    assert_eq!((te.payload_type, te.receive_payload_type), (100, 101));
    // A renumbered format we did not offer is still refused.
    let err = try_answer(
        SrtpPolicy::Off,
        "m=audio 7000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n",
    )
    .unwrap_err();
    assert!(matches!(err, NegotiationError::NoCommonCodec { .. }));
    // Formats we never offered (CN 13) are ignored; recvonly answer → we only send.
    let m = try_answer(
        SrtpPolicy::Off,
        "m=audio 7000 RTP/AVP 13 0\r\na=recvonly\r\n",
    )
    .unwrap();
    assert_eq!(m.codec.payload_type, 0);
    assert_eq!(m.direction, Direction::SendOnly);
    // DTLS: the answerer's role decides ours; actpass is not an answer.
    let fp = "a=fingerprint:sha-256 01:02\r\n";
    let m = try_answer(
        SrtpPolicy::Dtls,
        &format!("m=audio 7000 UDP/TLS/RTP/SAVP 8\r\na=setup:passive\r\n{fp}"),
    )
    .unwrap();
    let MediaSecurity::Dtls(d) = &m.security else {
        panic!()
    };
    assert_eq!(d.role, DtlsRole::Client);
    let err = try_answer(
        SrtpPolicy::Dtls,
        &format!("m=audio 7000 UDP/TLS/RTP/SAVP 8\r\na=setup:actpass\r\n{fp}"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        NegotiationError::UnusableSetup {
            index: 0,
            setup: "actpass"
        }
    );
    let err = try_answer(SrtpPolicy::Dtls, "m=audio 7000 UDP/TLS/RTP/SAVP 8\r\n").unwrap_err();
    assert_eq!(err, NegotiationError::MissingFingerprint { index: 0 });
}

#[test]
fn failed_offer_leaves_state_untouched() {
    let (_, mut bob) = loopback(SrtpPolicy::Off, &Codec::ALL, &Codec::ALL);
    let before = bob.current().cloned();
    let version = bob.session_version();
    let g729 = heron_sdp::parse(
        "v=0\r\no=- 1 2 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 18\r\n",
    )
    .unwrap();
    let err = bob.receive_offer(&g729, &mut ConstRng(3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "m-line 0: no common codec (offered: G729/8000)"
    );
    assert_eq!(bob.current().cloned(), before);
    assert_eq!(bob.session_version(), version);
}

#[test]
fn answer_all_codecs_lists_every_match_in_our_order() {
    let offer = vendor_sdp("001-ast-d40-invite.sip");
    let mut c = wideband(SrtpPolicy::Off);
    c.answer_all_codecs = true;
    let a = heron_sdp::answer(&offer, &c, &mut ConstRng(1)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/AVP 9 8 0 96",
            "a=rtpmap:9 G722/8000",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:0 PCMU/8000",
            "a=rtpmap:96 telephone-event/8000",
            "a=fmtp:96 0-15",
            "a=ptime:20",
            "a=sendrecv",
        ],
        1,
    );
    let got: Vec<(Codec, u8)> = a
        .media
        .receive_codecs
        .iter()
        .map(|c| (c.codec, c.payload_type))
        .collect();
    assert_eq!(got, [(Codec::G722, 9), (Codec::Pcma, 8), (Codec::Pcmu, 0)]);
    assert_eq!(a.media.codec.codec, Codec::G722);
}

#[test]
fn session_level_direction_is_inherited() {
    let offer = heron_sdp::parse(
        "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\na=sendonly\r\n\
         m=audio 4000 RTP/AVP 0\r\nm=audio 0 RTP/AVP 0\r\n",
    )
    .unwrap();
    assert_eq!(offer.direction_for(0), Direction::SendOnly);
    let a = heron_sdp::answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_eq!(a.media.direction, Direction::RecvOnly);
    // A media-level direction overrides the session level.
    let offer = heron_sdp::parse(
        "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\na=sendonly\r\n\
         m=audio 4000 RTP/AVP 0\r\na=inactive\r\n",
    )
    .unwrap();
    let a = heron_sdp::answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_eq!(a.media.direction, Direction::Inactive);
    // Our own direction limits the answer too.
    let mut c = g711(SrtpPolicy::Off);
    c.direction = Direction::SendOnly;
    let sendrecv = vendor_sdp("045-ipoffice-200-invite-pai-sdp.sip");
    let a = heron_sdp::answer(&sendrecv, &c, &mut ConstRng(1)).unwrap();
    assert_eq!(a.media.direction, Direction::SendOnly);
    assert!(a.sdp.to_string().contains("a=sendonly\r\n"));
}

#[test]
fn missing_connection_address_is_an_error() {
    let offer = heron_sdp::parse(
        "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
    )
    .unwrap();
    let err = heron_sdp::answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap_err();
    assert_eq!(err, NegotiationError::NoConnectionAddress { index: 0 });
    assert_eq!(err.sip_warning_code(), 301);
}

#[test]
fn new_numbers_never_clash_with_the_peers() {
    // A peer that uses 8 and 101 for other things.
    let offer = heron_sdp::parse(
        "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\n\
         m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:8 L16/8000\r\na=rtpmap:101 telephone-event/48000\r\n",
    )
    .unwrap();
    let mut n = Negotiator::new(g711(SrtpPolicy::Off), &mut ConstRng(1));
    let a = n.receive_offer(&offer, &mut ConstRng(1)).unwrap();
    assert_eq!(a.media.codec.codec, Codec::Pcmu);
    // Only telephone-event/48000 was offered: used although PCMU runs at 8 kHz.
    assert_eq!(
        a.media
            .telephone_event
            .as_ref()
            .map(|t| (t.payload_type, t.clock_rate)),
        Some((101, 48000))
    );
    let reoffer = n.create_offer(&mut ConstRng(1)).unwrap();
    let text = reoffer.to_string();
    // PCMA cannot be 8 (the peer's L16); telephone-event/8000 cannot be 101.
    assert!(text.contains("m=audio 30000 RTP/AVP 96 0 97\r\n"), "{text}");
    assert!(text.contains("a=rtpmap:96 PCMA/8000\r\n"), "{text}");
    assert!(
        text.contains("a=rtpmap:97 telephone-event/8000\r\n"),
        "{text}"
    );
}
