//! Offers captured from baresip and linphone (tests/data/README.md),
//! answered against several local capability sets, and their answers to our
//! own offers processed.

mod common;

use common::*;
use heron_sdp::{
    answer, Attribute, Codec, Direction, DtlsRole, HashFunction, MediaSecurity, NegotiationError,
    Setup, SrtpPolicy, SrtpSuite,
};

#[test]
fn captures_roundtrip_exactly() {
    for name in [
        "baresip-1.0.0-plain.sdp",
        "baresip-1.0.0-sdes.sdp",
        "baresip-1.0.0-best-effort.sdp",
    ] {
        let (text, sdp) = data_sdp(name);
        assert_eq!(sdp.to_string(), text, "{name}");
    }
    // The only difference: we write hash names in lower case (RFC 8122 §5).
    let (text, sdp) = data_sdp("baresip-1.0.0-dtls.sdp");
    assert_eq!(
        sdp.to_string(),
        text.replace("fingerprint:SHA-256", "fingerprint:sha-256")
    );
}

#[test]
fn baresip_plain_offer() {
    let (_, offer) = data_sdp("baresip-1.0.0-plain.sdp");
    let a = answer(&offer, &wideband(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/AVP 96 101",
            "a=rtpmap:96 opus/48000/2",
            "a=fmtp:96 useinbandfec=1",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-15",
            "a=ptime:20",
            "a=sendrecv",
        ],
        1,
    );
    let opus = a.media.codec.opus.as_ref().unwrap();
    assert_eq!(opus.stereo, Some(false));
    assert_eq!(opus.sprop_stereo, Some(true));
    assert_eq!(a.media.remote_rtp().unwrap().to_string(), "192.0.2.2:33960");

    let a = answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/AVP 8 101",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-15",
            "a=ptime:20",
            "a=sendrecv",
        ],
        1,
    );
    let err = answer(&offer, &g711(SrtpPolicy::Sdes), &mut ConstRng(1)).unwrap_err();
    assert!(matches!(err, NegotiationError::SrtpRequired { .. }));
}

#[test]
fn baresip_sdes_offer() {
    let (_, offer) = data_sdp("baresip-1.0.0-sdes.sdp");
    let a = answer(&offer, &g711(SrtpPolicy::Sdes), &mut ConstRng(6)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/SAVP 8 101",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-15",
            "a=ptime:20",
            "a=sendrecv",
            &format!(
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{}",
                b64_of(6, 30)
            ),
        ],
        1,
    );
    let MediaSecurity::Sdes(k) = &a.media.security else {
        panic!()
    };
    assert_eq!(k.suite, SrtpSuite::AesCm128HmacSha1_80);
    assert_eq!(k.remote.master_key().len(), 16);
    assert_eq!(k.remote.master_salt().len(), 14);
    let err = answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(6)).unwrap_err();
    assert!(matches!(err, NegotiationError::ProtocolNotAllowed { .. }));
    let a = answer(&offer, &g711(SrtpPolicy::Optional), &mut ConstRng(6)).unwrap();
    assert!(matches!(a.media.security, MediaSecurity::Sdes(_)));
}

#[test]
fn baresip_dtls_offer_with_session_level_fingerprint() {
    let (_, offer) = data_sdp("baresip-1.0.0-dtls.sdp");
    // setup and fingerprint are session-level attributes here.
    assert!(offer.attributes.contains(&Attribute::Setup(Setup::ActPass)));
    let a = answer(
        &offer,
        &caps(&[Codec::G722], SrtpPolicy::Dtls),
        &mut ConstRng(1),
    )
    .unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 UDP/TLS/RTP/SAVPF 9 101",
            "a=rtpmap:9 G722/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-15",
            "a=ptime:20",
            "a=sendrecv",
            "a=setup:active",
            &format!("a=fingerprint:{}", local_fingerprint()),
        ],
        1,
    );
    let MediaSecurity::Dtls(d) = &a.media.security else {
        panic!()
    };
    assert_eq!(d.role, DtlsRole::Client);
    assert_eq!(d.remote_fingerprints.len(), 1);
    assert_eq!(d.remote_fingerprints[0].hash, HashFunction::Sha256);
    assert_eq!(d.remote_fingerprints[0].value[..2], [0x9A, 0xE6]);
}

#[test]
fn baresip_best_effort_offer() {
    let (_, offer) = data_sdp("baresip-1.0.0-best-effort.sdp");
    // Best effort on our side too: SRTP on the RTP/AVP line.
    let a = answer(&offer, &g711(SrtpPolicy::Optional), &mut ConstRng(8)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/AVP 8 101",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-15",
            "a=ptime:20",
            "a=sendrecv",
            &format!(
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{}",
                b64_of(8, 30)
            ),
        ],
        1,
    );
    assert!(matches!(a.media.security, MediaSecurity::Sdes(_)));
    // SRTP off: the crypto line is ignored and plain RTP answered.
    let a = answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(8)).unwrap();
    assert_eq!(a.media.security, MediaSecurity::None);
    assert!(!a.sdp.to_string().contains("crypto"));
    assert_eq!(a.media.direction, Direction::SendRecv);
    // SDES mandatory refuses an RTP/AVP offer even when it carries a=crypto.
    let err = answer(&offer, &g711(SrtpPolicy::Sdes), &mut ConstRng(8)).unwrap_err();
    assert!(matches!(err, NegotiationError::SrtpRequired { .. }));
}

#[test]
fn linphone_plain_offer_over_ipv6() {
    let (text, offer) = data_sdp("linphone-5.1.65-plain.sdp");
    assert_eq!(offer.to_string(), text);
    let a = answer(&offer, &wideband(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/AVP 96 99",
            "a=rtpmap:96 opus/48000/2",
            "a=fmtp:96 useinbandfec=1",
            "a=rtpmap:99 telephone-event/48000",
            "a=fmtp:99 0-15",
            "a=ptime:20",
            "a=sendrecv",
        ],
        1,
    );
    assert_eq!(a.media.remote_rtp().unwrap().to_string(), "[fd00::2]:7078");
    assert_eq!(
        a.media.remote_rtcp,
        heron_sdp::negotiate::RtcpTarget::Separate {
            address: heron_sdp::ConnectionAddress::Ip("fd00::2".parse().unwrap()),
            port: 7079
        }
    );
    // G.711 only: telephone-event/8000 goes with it.
    let a = answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_eq!(a.media.codec.payload_type, 8);
    assert_eq!(
        a.media
            .telephone_event
            .as_ref()
            .map(|t| (t.payload_type, t.clock_rate)),
        Some((101, 8000))
    );
    // An IPv6 agent answers with IN IP6.
    let mut c = g711(SrtpPolicy::Off);
    c.address = "2001:db8::100".parse().unwrap();
    let a = answer(&offer, &c, &mut ConstRng(1)).unwrap();
    let text = a.sdp.to_string();
    assert!(text.contains(" IN IP6 2001:db8::100\r\n"), "{text}");
    assert!(text.contains("\r\nc=IN IP6 2001:db8::100\r\n"), "{text}");
}

#[test]
fn linphone_srtp_offer_picks_by_our_suite_order() {
    let (text, offer) = data_sdp("linphone-5.1.65-srtp.sdp");
    assert_eq!(offer.to_string(), text);
    let a = answer(&offer, &g711(SrtpPolicy::Sdes), &mut ConstRng(2)).unwrap();
    let MediaSecurity::Sdes(k) = &a.media.security else {
        panic!()
    };
    // No GCM offered: AES_CM_128_HMAC_SHA1_80 is our first match.
    assert_eq!((k.tag, &k.suite), (1, &SrtpSuite::AesCm128HmacSha1_80));
    let mut c = g711(SrtpPolicy::Sdes);
    c.crypto_suites = vec![SrtpSuite::AesCm128HmacSha1_32];
    let a = answer(&offer, &c, &mut ConstRng(2)).unwrap();
    assert!(a.sdp.to_string().contains(&format!(
        "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{}\r\n",
        b64_of(2, 30)
    )));
    let mut c = g711(SrtpPolicy::Sdes);
    c.crypto_suites = vec![SrtpSuite::Aes256CmHmacSha1_80];
    let a = answer(&offer, &c, &mut ConstRng(2)).unwrap();
    let MediaSecurity::Sdes(k) = &a.media.security else {
        panic!()
    };
    assert_eq!(k.tag, 3);
    assert_eq!(k.local.master_key().len(), 32);
    assert_eq!(k.remote.master_key().len(), 32);
}

#[test]
fn linphone_dtls_offer() {
    let (_, offer) = data_sdp("linphone-5.1.65-dtls.sdp");
    let a = answer(&offer, &wideband(SrtpPolicy::Dtls), &mut ConstRng(1)).unwrap();
    let MediaSecurity::Dtls(d) = &a.media.security else {
        panic!()
    };
    assert_eq!(d.role, DtlsRole::Client);
    assert!(a
        .sdp
        .to_string()
        .contains("m=audio 30000 UDP/TLS/RTP/SAVP 96 99\r\n"));
    assert!(a.sdp.to_string().contains("a=setup:active\r\n"));
}

/// Our offer for `policy` (must still be what was sent to baresip and
/// linphone), then the peer's captured answer processed by the same negotiator.
fn heron_offer_peer_answer(
    policy: SrtpPolicy,
    file: &str,
    answer_file: &str,
) -> Result<heron_sdp::NegotiatedMedia, NegotiationError> {
    let mut c = caps(&Codec::ALL, policy);
    c.address = "127.0.0.1".parse().unwrap();
    let mut n = heron_sdp::Negotiator::new(c, &mut ConstRng(0x11));
    let offer = n.create_offer(&mut ConstRng(0x11)).unwrap();
    let (sent, _) = data_sdp(&format!("heron-offer-{file}.sdp"));
    assert_eq!(
        offer.to_string(),
        sent,
        "our offer changed since the capture"
    );
    let (_, answer) = data_sdp(answer_file);
    n.receive_answer(&answer).cloned()
}

fn heron_offer_baresip_answer(policy: SrtpPolicy, file: &str) -> heron_sdp::NegotiatedMedia {
    heron_offer_peer_answer(policy, file, &format!("baresip-1.0.0-answer-{file}.sdp")).unwrap()
}

fn heron_offer_linphone_answer(policy: SrtpPolicy, file: &str) -> heron_sdp::NegotiatedMedia {
    heron_offer_peer_answer(policy, file, &format!("linphone-5.1.65-answer-{file}.sdp"))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn baresip_answers_our_offers() {
    let m = heron_offer_baresip_answer(SrtpPolicy::Off, "plain");
    assert_eq!(m.security, MediaSecurity::None);
    assert_eq!((m.codec.codec, m.codec.payload_type), (Codec::Opus, 111));
    let receive: Vec<Codec> = m.receive_codecs.iter().map(|c| c.codec).collect();
    assert_eq!(
        receive,
        [Codec::Opus, Codec::G722, Codec::Pcma, Codec::Pcmu]
    );
    // baresip answered only telephone-event/8000.
    assert_eq!(
        m.telephone_event
            .as_ref()
            .map(|t| (t.payload_type, t.clock_rate)),
        Some((101, 8000))
    );
    assert_eq!(m.remote_rtp().unwrap().to_string(), "192.0.2.2:39662");
    assert_eq!(m.direction, Direction::SendRecv);

    for (policy, file) in [
        (SrtpPolicy::Sdes, "sdes"),
        (SrtpPolicy::Optional, "best-effort"),
    ] {
        let m = heron_offer_baresip_answer(policy, file);
        let MediaSecurity::Sdes(k) = &m.security else {
            panic!("{file}: {:?}", m.security)
        };
        // baresip took our first suite.
        assert_eq!((k.tag, &k.suite), (1, &SrtpSuite::AeadAes256Gcm), "{file}");
        assert_eq!(k.local.key_salt.expose(), &vec![0x11u8; 44]);
        assert_eq!(k.remote.key_salt.expose().len(), 44);
        assert_ne!(k.remote, k.local);
    }

    let m = heron_offer_baresip_answer(SrtpPolicy::Dtls, "dtls");
    let MediaSecurity::Dtls(d) = &m.security else {
        panic!()
    };
    // baresip is active, so we are the DTLS server.
    assert_eq!(d.role, DtlsRole::Server);
    assert_eq!(d.remote_fingerprints.len(), 1);
}

#[test]
fn linphone_answers_roundtrip_exactly() {
    for file in ["plain", "sdes", "best-effort"] {
        let (text, sdp) = data_sdp(&format!("linphone-5.1.65-answer-{file}.sdp"));
        assert_eq!(sdp.to_string(), text, "{file}");
    }
    let (text, sdp) = data_sdp("linphone-5.1.65-answer-dtls.sdp");
    assert_eq!(
        sdp.to_string(),
        text.replace("fingerprint:SHA-256", "fingerprint:sha-256")
    );
}

/// What every linphone answer shares: Opus, then G.711 (linphone has no
/// G.722), telephone-event at Opus' rate without an fmtp line.
fn assert_linphone_media(m: &heron_sdp::NegotiatedMedia, file: &str) {
    assert_eq!(
        (m.codec.codec, m.codec.payload_type, m.codec.clock_rate),
        (Codec::Opus, 111, 48000),
        "{file}"
    );
    assert_eq!(m.codec.opus.as_ref().unwrap().use_inband_fec, Some(true));
    let receive: Vec<(Codec, u8)> = m
        .receive_codecs
        .iter()
        .map(|c| (c.codec, c.payload_type))
        .collect();
    assert_eq!(
        receive,
        [(Codec::Opus, 111), (Codec::Pcma, 8), (Codec::Pcmu, 0)],
        "{file}"
    );
    // No fmtp for telephone-event: RFC 4733's default events 0-15.
    assert_eq!(
        m.telephone_event,
        Some(heron_sdp::negotiate::TelephoneEventFormat {
            payload_type: 110,
            receive_payload_type: 110,
            clock_rate: 48000,
            events: heron_sdp::fmtp::TelephoneEvents::from_ranges(&[(0, 15)]),
        }),
        "{file}"
    );
    assert_eq!(
        m.remote_rtp().unwrap().to_string(),
        "127.0.0.1:7078",
        "{file}"
    );
    assert_eq!(
        m.remote_rtcp,
        heron_sdp::negotiate::RtcpTarget::Separate {
            address: heron_sdp::ConnectionAddress::Ip("127.0.0.1".parse().unwrap()),
            port: 7079
        },
        "{file}"
    );
    // No a=sendrecv and no a=ptime: the defaults.
    assert_eq!((m.direction, m.ptime), (Direction::SendRecv, 20), "{file}");
}

#[test]
fn linphone_answers_our_offers() {
    let m = heron_offer_linphone_answer(SrtpPolicy::Off, "plain");
    assert_linphone_media(&m, "plain");
    assert_eq!(m.security, MediaSecurity::None);

    // SDES mandatory: linphone has no GCM suites and took our third line.
    let m = heron_offer_linphone_answer(SrtpPolicy::Sdes, "sdes");
    assert_linphone_media(&m, "sdes");
    let MediaSecurity::Sdes(k) = &m.security else {
        panic!("{:?}", m.security)
    };
    assert_eq!((k.tag, &k.suite), (3, &SrtpSuite::AesCm128HmacSha1_80));
    assert_eq!(k.local.key_salt.expose(), &vec![0x11u8; 30]);
    assert_eq!(k.remote.key_salt.expose().len(), 30);
    assert_ne!(k.remote, k.local);

    // Best effort (linphone with SRTP not mandatory): it answered plain
    // RTP/AVP without a=crypto, which we accept.
    let m = heron_offer_linphone_answer(SrtpPolicy::Optional, "best-effort");
    assert_linphone_media(&m, "best-effort");
    assert_eq!(m.security, MediaSecurity::None);

    // DTLS: linphone is active, so we are the DTLS server.
    let m = heron_offer_linphone_answer(SrtpPolicy::Dtls, "dtls");
    assert_linphone_media(&m, "dtls");
    let MediaSecurity::Dtls(d) = &m.security else {
        panic!("{:?}", m.security)
    };
    assert_eq!(d.role, DtlsRole::Server);
    assert_eq!(d.remote_fingerprints.len(), 1);
    assert_eq!(d.remote_fingerprints[0].hash, HashFunction::Sha256);
    assert_eq!(d.remote_fingerprints[0].value[..2], [0x7B, 0xC1]);
}

#[test]
fn linphone_answers_that_break_our_policy_are_refused() {
    // Its plain answer to our SDES offer would drop SRTP.
    let err = heron_offer_peer_answer(SrtpPolicy::Sdes, "sdes", "linphone-5.1.65-answer-plain.sdp")
        .unwrap_err();
    assert!(matches!(
        err,
        NegotiationError::SrtpRequired { index: 0, .. }
    ));
    // Its SDES answer to our plain offer would add SRTP we did not offer.
    let err = heron_offer_peer_answer(SrtpPolicy::Off, "plain", "linphone-5.1.65-answer-sdes.sdp")
        .unwrap_err();
    assert!(matches!(
        err,
        NegotiationError::ProtocolNotAllowed { policy: "off", .. }
    ));
    // Best effort takes either form: its RTP/SAVP answer to our RTP/AVP
    // offer with a=crypto is keyed by the tag it names.
    let m = heron_offer_peer_answer(
        SrtpPolicy::Optional,
        "best-effort",
        "linphone-5.1.65-answer-sdes.sdp",
    )
    .unwrap();
    let MediaSecurity::Sdes(k) = &m.security else {
        panic!("{:?}", m.security)
    };
    assert_eq!((k.tag, &k.suite), (3, &SrtpSuite::AesCm128HmacSha1_80));
    // Its DTLS answer to our SDES offer.
    let err = heron_offer_peer_answer(SrtpPolicy::Sdes, "sdes", "linphone-5.1.65-answer-dtls.sdp")
        .unwrap_err();
    assert!(matches!(
        err,
        NegotiationError::ProtocolNotAllowed { policy: "sdes", .. }
    ));
}
