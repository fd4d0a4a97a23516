//! FreeSWITCH and Microsoft Teams Direct Routing SDP, written from their
//! documentation and source (tests/data/README.md names the source of each
//! file): offers answered against several local capability sets with the
//! answer asserted line by line, and answers to our own offers processed.

mod common;

use common::*;
use heron_sdp::negotiate::{RtcpTarget, TelephoneEventFormat};
use heron_sdp::{
    answer, Attribute, Codec, ConnectionAddress, Direction, MediaSecurity, NegotiatedMedia,
    NegotiationError, Negotiator, SrtpPolicy, SrtpSuite,
};

/// Every file here is in RFC order, so the writer reproduces it exactly.
#[test]
fn documented_sdp_roundtrips_exactly() {
    for name in [
        "freeswitch-1.10-offer-sdes.sdp",
        "freeswitch-1.10-offer-optional.sdp",
        "freeswitch-1.10-answer-sdes.sdp",
        "teams-direct-routing-offer.sdp",
        "teams-direct-routing-answer-sdes.sdp",
    ] {
        let (text, sdp) = data_sdp(name);
        assert_eq!(sdp.to_string(), text, "{name}");
    }
}

fn sdes_keys(m: &NegotiatedMedia) -> &heron_sdp::negotiate::SdesKeys {
    match &m.security {
        MediaSecurity::Sdes(k) => k,
        other => panic!("expected SDES, got {other:?}"),
    }
}

#[test]
fn freeswitch_sdes_offer_skips_libsrtp_only_suites() {
    let (_, offer) = data_sdp("freeswitch-1.10-offer-sdes.sdp");
    // FreeSWITCH's first two suites are libsrtp's 8-byte-tag GCM variants,
    // which are not RFC 7714's AEAD_AES_*_GCM: kept as unknown suites.
    let suites: Vec<&SrtpSuite> = offer.media[0]
        .attributes
        .iter()
        .filter_map(|a| match a {
            Attribute::Crypto(c) => Some(&c.suite),
            _ => None,
        })
        .collect();
    assert_eq!(suites.len(), 9);
    assert_eq!(suites[0], &SrtpSuite::Other("AEAD_AES_256_GCM_8".into()));
    assert_eq!(suites[2], &SrtpSuite::Aes256CmHmacSha1_80);
    assert_eq!(suites[8], &SrtpSuite::Other("AES_CM_128_NULL_AUTH".into()));

    // Our default suites: the first one offered is AES_CM_128_HMAC_SHA1_80, tag 5.
    let a = answer(&offer, &wideband(SrtpPolicy::Sdes), &mut ConstRng(4)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/SAVP 8 101",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16",
            "a=ptime:20",
            "a=sendrecv",
            &format!(
                "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:{}",
                b64_of(4, 30)
            ),
        ],
        1,
    );
    let m = &a.media;
    assert_eq!((m.codec.codec, m.codec.payload_type), (Codec::Pcma, 8));
    assert_eq!(m.remote_rtp().unwrap().to_string(), "203.0.113.20:32288");
    assert_eq!(
        m.remote_rtcp,
        RtcpTarget::Separate {
            address: ConnectionAddress::Ip("203.0.113.20".parse().unwrap()),
            port: 32289
        }
    );
    let k = sdes_keys(m);
    assert_eq!((k.tag, &k.suite), (5, &SrtpSuite::AesCm128HmacSha1_80));
    assert_eq!(k.remote.master_key().len(), 16);
    assert_eq!(k.local.master_key(), [4u8; 16]);

    // Best effort takes the same line.
    let a = answer(&offer, &g711(SrtpPolicy::Optional), &mut ConstRng(4)).unwrap();
    assert_eq!(sdes_keys(&a.media).tag, 5);

    // AES-256 configured: tag 3 with its 46-byte key and salt.
    let mut c = g711(SrtpPolicy::Sdes);
    c.crypto_suites = vec![SrtpSuite::Aes256CmHmacSha1_80];
    let a = answer(&offer, &c, &mut ConstRng(4)).unwrap();
    let k = sdes_keys(&a.media);
    assert_eq!((k.tag, k.remote.master_key().len()), (3, 32));
    assert!(a.sdp.to_string().contains(&format!(
        "a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:{}\r\n",
        b64_of(4, 46)
    )));

    // The 32-bit tag: tag 8.
    let mut c = g711(SrtpPolicy::Sdes);
    c.crypto_suites = vec![SrtpSuite::AesCm128HmacSha1_32];
    assert_eq!(
        sdes_keys(&answer(&offer, &c, &mut ConstRng(4)).unwrap().media).tag,
        8
    );

    // Only RFC 7714 GCM configured: AEAD_AES_256_GCM_8 is not mistaken for it.
    let mut c = g711(SrtpPolicy::Sdes);
    c.crypto_suites = vec![SrtpSuite::AeadAes256Gcm, SrtpSuite::AeadAes128Gcm];
    let err = answer(&offer, &c, &mut ConstRng(4)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "m-line 0: no acceptable a=crypto (offered: AEAD_AES_256_GCM_8, AEAD_AES_128_GCM_8, \
         AES_256_CM_HMAC_SHA1_80, AES_192_CM_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_80, \
         AES_256_CM_HMAC_SHA1_32, AES_192_CM_HMAC_SHA1_32, AES_CM_128_HMAC_SHA1_32, \
         AES_CM_128_NULL_AUTH)"
    );

    // Plain RTP only, or DTLS mandatory: the SAVP stream is refused.
    let err = answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(4)).unwrap_err();
    assert!(matches!(
        err,
        NegotiationError::ProtocolNotAllowed { policy: "off", .. }
    ));
    let err = answer(&offer, &g711(SrtpPolicy::Dtls), &mut ConstRng(4)).unwrap_err();
    assert!(matches!(
        err,
        NegotiationError::ProtocolNotAllowed { policy: "dtls", .. }
    ));
    // PCMA only offered: a wideband-only agent has nothing in common.
    let err = answer(
        &offer,
        &caps(&[Codec::Opus, Codec::G722], SrtpPolicy::Sdes),
        &mut ConstRng(4),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "m-line 0: no common codec (offered: PCMA/8000, telephone-event/8000)"
    );
}

#[test]
fn freeswitch_optional_offer_has_two_audio_lines() {
    // rtp_secure_media=optional: the same stream as RTP/SAVP with keys,
    // then as RTP/AVP without.
    let (_, offer) = data_sdp("freeswitch-1.10-offer-optional.sdp");
    assert_eq!(offer.media.len(), 2);

    // SRTP off: the first line is refused, the second answered.
    let a = answer(&offer, &wideband(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 0 RTP/SAVP 102 9 0 8 103 101",
            "m=audio 30000 RTP/AVP 102 103",
            "a=rtpmap:102 opus/48000/2",
            "a=fmtp:102 useinbandfec=1",
            "a=rtpmap:103 telephone-event/48000",
            "a=fmtp:103 0-16",
            "a=ptime:20",
            "a=sendrecv",
        ],
        1,
    );
    let m = &a.media;
    assert_eq!(m.media_index, 1);
    assert_eq!(m.security, MediaSecurity::None);
    // FreeSWITCH writes "; " between Opus parameters.
    let opus = m.codec.opus.as_ref().unwrap();
    assert_eq!(opus.max_average_bitrate, Some(30000));
    assert_eq!(opus.max_playback_rate, Some(48000));
    assert_eq!((opus.ptime, opus.min_ptime), (Some(20), Some(10)));
    assert_eq!(opus.use_inband_fec, Some(true));
    assert_eq!(
        m.telephone_event,
        Some(TelephoneEventFormat {
            payload_type: 103,
            receive_payload_type: 103,
            clock_rate: 48000,
            events: heron_sdp::fmtp::TelephoneEvents::from_ranges(&[(0, 16)]),
        })
    );
    // a=rtcp names the port (RFC 3605).
    assert_eq!(
        m.remote_rtcp,
        RtcpTarget::Separate {
            address: ConnectionAddress::Ip("203.0.113.20".parse().unwrap()),
            port: 16385
        }
    );

    // SDES mandatory: the first line is answered, the plain one refused.
    let a = answer(&offer, &wideband(SrtpPolicy::Sdes), &mut ConstRng(2)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/SAVP 102 103",
            "a=rtpmap:102 opus/48000/2",
            "a=fmtp:102 useinbandfec=1",
            "a=rtpmap:103 telephone-event/48000",
            "a=fmtp:103 0-16",
            "a=ptime:20",
            "a=sendrecv",
            &format!(
                "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:{}",
                b64_of(2, 30)
            ),
            "m=audio 0 RTP/AVP 102 9 0 8 103 101",
        ],
        1,
    );
    assert_eq!(a.media.media_index, 0);

    // Best effort prefers the secure line; G.711 with its 8 kHz event format.
    let a = answer(&offer, &g711(SrtpPolicy::Optional), &mut ConstRng(2)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/SAVP 8 101",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16",
            "a=ptime:20",
            "a=sendrecv",
            &format!(
                "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:{}",
                b64_of(2, 30)
            ),
            "m=audio 0 RTP/AVP 102 9 0 8 103 101",
        ],
        1,
    );

    // G.722 priority: its static number 9, telephone-event at 8000.
    let a = answer(
        &offer,
        &caps(&[Codec::G722, Codec::Pcmu], SrtpPolicy::Off),
        &mut ConstRng(2),
    )
    .unwrap();
    assert!(a
        .sdp
        .to_string()
        .contains("m=audio 30000 RTP/AVP 9 101\r\na=rtpmap:9 G722/8000\r\n"));

    // DTLS mandatory: neither line can be served; the first error is reported.
    let err = answer(&offer, &wideband(SrtpPolicy::Dtls), &mut ConstRng(2)).unwrap_err();
    assert!(matches!(
        err,
        NegotiationError::ProtocolNotAllowed {
            index: 0,
            policy: "dtls",
            ..
        }
    ));
}

/// Our offer for `policy` at 127.0.0.1 with RNG byte 0x11 (the offer the
/// capture files were made for), then `answer_file` processed.
fn our_offer_then(
    policy: SrtpPolicy,
    offer_file: &str,
    answer_file: &str,
) -> Result<NegotiatedMedia, NegotiationError> {
    let mut c = caps(&Codec::ALL, policy);
    c.address = "127.0.0.1".parse().unwrap();
    let mut n = Negotiator::new(c, &mut ConstRng(0x11));
    let offer = n.create_offer(&mut ConstRng(0x11)).unwrap();
    assert_eq!(
        offer.to_string(),
        data_sdp(offer_file).0,
        "our offer changed"
    );
    let (_, answer) = data_sdp(answer_file);
    n.receive_answer(&answer).cloned()
}

#[test]
fn freeswitch_answers_our_sdes_offer() {
    let m = our_offer_then(
        SrtpPolicy::Sdes,
        "heron-offer-sdes.sdp",
        "freeswitch-1.10-answer-sdes.sdp",
    )
    .unwrap();
    assert_eq!((m.codec.codec, m.codec.payload_type), (Codec::Opus, 111));
    assert_eq!(m.codec.opus.as_ref().unwrap().min_ptime, Some(10));
    assert_eq!(
        m.telephone_event
            .as_ref()
            .map(|t| (t.payload_type, t.clock_rate)),
        Some((110, 48000))
    );
    assert_eq!(m.remote_rtp().unwrap().to_string(), "203.0.113.20:21504");
    assert_eq!((m.direction, m.ptime), (Direction::SendRecv, 20));
    // FreeSWITCH has no RFC 7714 GCM suites: it took our third line.
    let k = sdes_keys(&m);
    assert_eq!((k.tag, &k.suite), (3, &SrtpSuite::AesCm128HmacSha1_80));
    assert_eq!(k.local.key_salt.expose(), &vec![0x11u8; 30]);
    assert_eq!(k.remote.key_salt.expose().len(), 30);

    // The same answer to our plain RTP offer changes the protocol, which an
    // answerer may not do (RFC 3264 §6): refused.
    let err = our_offer_then(
        SrtpPolicy::Off,
        "heron-offer-plain.sdp",
        "freeswitch-1.10-answer-sdes.sdp",
    )
    .unwrap_err();
    assert!(matches!(
        err,
        NegotiationError::ProtocolNotAllowed { policy: "off", .. }
    ));
}

#[test]
fn teams_offer_against_several_capability_sets() {
    let (_, offer) = data_sdp("teams-direct-routing-offer.sdp");
    // Media-level c=, ICE and Microsoft attributes are kept opaque and in order.
    let audio = &offer.media[0];
    assert!(audio.attributes.contains(&Attribute::RtcpMux));
    assert_eq!(
        audio
            .attributes
            .iter()
            .filter(|a| matches!(a, Attribute::Candidate(_)))
            .count(),
        2
    );

    // Wideband first: G.722 (SILK and SIREN are not ours). rtcp-mux is
    // answered when we support it.
    let mut c = wideband(SrtpPolicy::Sdes);
    c.rtcp_mux = true;
    let a = answer(&offer, &c, &mut ConstRng(7)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/SAVP 9 101",
            "a=rtpmap:9 G722/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16",
            "a=ptime:20",
            "a=sendrecv",
            "a=rtcp-mux",
            &format!(
                "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:{}",
                b64_of(7, 30)
            ),
        ],
        1,
    );
    let m = &a.media;
    assert_eq!((m.codec.codec, m.codec.clock_rate), (Codec::G722, 8000));
    assert_eq!(m.remote_rtcp, RtcpTarget::Mux);
    assert_eq!(m.remote_rtp().unwrap().to_string(), "203.0.113.30:49152");
    let k = sdes_keys(m);
    // Tag 2 carries an MKI and the 2^31 lifetime; we keep both for the peer's key.
    assert_eq!(k.tag, 2);
    assert_eq!(
        k.remote.mki,
        Some(heron_sdp::crypto::Mki {
            value: 1,
            length: 1
        })
    );
    assert_eq!(
        k.remote.lifetime,
        Some(heron_sdp::crypto::Lifetime::PowerOfTwo(31))
    );

    // Without rtcp-mux on our side: RTCP goes to the a=rtcp port.
    let a = answer(&offer, &g711(SrtpPolicy::Sdes), &mut ConstRng(7)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/SAVP 8 101",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16",
            "a=ptime:20",
            "a=sendrecv",
            &format!(
                "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:{}",
                b64_of(7, 30)
            ),
        ],
        1,
    );
    assert_eq!(
        a.media.remote_rtcp,
        RtcpTarget::Separate {
            address: ConnectionAddress::Ip("203.0.113.30".parse().unwrap()),
            port: 49153
        }
    );

    // PCMU first in our list: Teams' number 0.
    let a = answer(
        &offer,
        &caps(&[Codec::Pcmu, Codec::Pcma], SrtpPolicy::Optional),
        &mut ConstRng(7),
    )
    .unwrap();
    assert_eq!(a.media.codec.payload_type, 0);
    assert!(matches!(a.media.security, MediaSecurity::Sdes(_)));

    // Opus only: Teams offers no Opus on this leg.
    let err = answer(
        &offer,
        &caps(&[Codec::Opus], SrtpPolicy::Sdes),
        &mut ConstRng(7),
    )
    .unwrap_err();
    assert!(matches!(err, NegotiationError::NoCommonCodec { .. }));
    // SRTP off or DTLS mandatory: refused.
    for policy in [SrtpPolicy::Off, SrtpPolicy::Dtls] {
        let err = answer(&offer, &wideband(policy), &mut ConstRng(7)).unwrap_err();
        assert!(
            matches!(err, NegotiationError::ProtocolNotAllowed { .. }),
            "{policy:?}: {err}"
        );
    }
}

#[test]
fn teams_answers_our_sdes_offer() {
    let m = our_offer_then(
        SrtpPolicy::Sdes,
        "heron-offer-sdes.sdp",
        "teams-direct-routing-answer-sdes.sdp",
    )
    .unwrap();
    assert_eq!((m.codec.codec, m.codec.payload_type), (Codec::G722, 9));
    assert_eq!(
        m.receive_codecs.iter().map(|c| c.codec).collect::<Vec<_>>(),
        [Codec::G722]
    );
    assert_eq!(
        m.telephone_event
            .as_ref()
            .map(|t| (t.payload_type, t.clock_rate)),
        Some((101, 8000))
    );
    // Media-level c= and a=rtcp without an address.
    assert_eq!(m.remote_rtp().unwrap().to_string(), "203.0.113.30:52210");
    assert_eq!(
        m.remote_rtcp,
        RtcpTarget::Separate {
            address: ConnectionAddress::Ip("203.0.113.30".parse().unwrap()),
            port: 52211
        }
    );
    let k = sdes_keys(&m);
    assert_eq!((k.tag, &k.suite), (3, &SrtpSuite::AesCm128HmacSha1_80));
    assert_eq!(
        k.remote.lifetime,
        Some(heron_sdp::crypto::Lifetime::PowerOfTwo(31))
    );
    assert_eq!(k.local.key_salt.expose(), &vec![0x11u8; 30]);
}
