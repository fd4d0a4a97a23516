//! Real SDP from PBXs, phones and SBCs (shared/testdata/vendor-sip): every
//! body parses and round-trips, and offers are answered against several
//! local capability sets with the answer asserted line by line.

mod common;

use common::*;
use heron_sdp::negotiate::{RtcpTarget, TelephoneEventFormat};
use heron_sdp::{
    answer, Attribute, Codec, ConnectionAddress, Direction, DtlsRole, MediaSecurity,
    NegotiationError, SrtpPolicy, SrtpSuite,
};

fn vendor_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(VENDOR_DIR)
        .expect("vendor-sip directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sip"))
        .collect();
    names.sort();
    names
}

/// Each line with trailing white space removed, CRLF-joined.
fn normalised(body: &str) -> String {
    body.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\r\n"))
        .collect()
}

#[test]
fn every_vendor_sdp_parses_and_roundtrips() {
    let mut count = 0;
    for name in vendor_names() {
        for body in sdp_bodies(&vendor_file(&name)) {
            count += 1;
            let sdp = heron_sdp::parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
            let written = sdp.to_string();
            let again = heron_sdp::parse(&written).unwrap();
            assert_eq!(again, sdp, "{name}: write → parse is identity");
            // These bodies are already in RFC order, so the writer
            // reproduces them exactly (trailing spaces aside).
            assert_eq!(written, normalised(&body), "{name}");
        }
    }
    // 31 messages carry SDP; 038 has two SDP parts.
    assert_eq!(count, 32);
}

#[test]
fn typed_attributes_from_vendors() {
    let lync = vendor_sdp("037-lync-2013-200-invite-crypto-ice.sip");
    let audio = &lync.media[0];
    let crypto = audio
        .attributes
        .iter()
        .find_map(|a| match a {
            Attribute::Crypto(c) => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(crypto.suite, SrtpSuite::AesCm128HmacSha1_80);
    assert_eq!(crypto.keys[0].key_salt.expose().len(), 30);
    assert!(
        !format!("{lync:?}").contains("9+s+/+675CaW"),
        "key redacted"
    );
    assert!(
        !format!("{lync:?}").contains("OjyZ/pr8oLuDPWcmj9gDMEav"),
        "ice-pwd redacted"
    );
    let candidates = audio
        .attributes
        .iter()
        .filter(|a| matches!(a, Attribute::Candidate(_)))
        .count();
    assert_eq!(candidates, 6);

    // Lync's proprietary a=cryptoscale carries a key too: redacted.
    let lync_multi = vendor_sdp("038-lync-2013-invite-multipart-alternative.sip");
    let dbg = format!("{lync_multi:?}");
    assert!(dbg.contains("cryptoscale"));
    assert!(
        !dbg.contains("T1EEGzmyDXu8BLLX6Elp"),
        "cryptoscale key redacted"
    );

    let xlite = vendor_sdp("068-xlite-200-invite-dtls-fingerprint.sip");
    assert!(xlite.media[0].protocol.is_dtls_srtp());
    assert!(xlite.media[0]
        .attributes
        .contains(&Attribute::Setup(heron_sdp::Setup::Active)));

    let htek = vendor_sdp("027-htek-invite-3cx-av.sip");
    let opus = htek.media[0].fmtp(120).unwrap().opus();
    assert_eq!(opus.use_inband_fec, Some(true));
    assert_eq!(opus.max_average_bitrate, Some(64000));
    let events = htek.media[0].fmtp(101).unwrap().telephone_events().unwrap();
    assert!(events.contains(16) && !events.contains(12));

    // The D40 lists payload type 58 twice with two different rtpmaps.
    let d40 = vendor_sdp("001-ast-d40-invite.sip");
    assert_eq!(
        d40.media[0].payload_types(),
        vec![0, 8, 9, 111, 18, 58, 118, 96]
    );
    assert_eq!(d40.media[0].rtpmap(58).unwrap().encoding, "L16");

    // Cisco writes "(null)" as session id and version.
    let cisco = vendor_sdp("018-cisco-7940-200-options-sdp.sip");
    assert_eq!(cisco.origin.session_id, "(null)");
    assert_eq!(cisco.origin.version_number(), None);
}

#[test]
fn asterisk_d40_offer_against_wideband_and_g711() {
    let offer = vendor_sdp("001-ast-d40-invite.sip");
    let a = answer(&offer, &wideband(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/AVP 9 96",
            "a=rtpmap:9 G722/8000",
            "a=rtpmap:96 telephone-event/8000",
            "a=fmtp:96 0-15",
            "a=ptime:20",
            "a=sendrecv",
        ],
        1,
    );
    let m = &a.media;
    assert_eq!(m.codec.codec, Codec::G722);
    assert_eq!(m.codec.clock_rate, 8000);
    assert_eq!(m.remote_rtp().unwrap().to_string(), "192.0.2.11:4046");
    assert_eq!(
        m.remote_rtcp,
        RtcpTarget::Separate {
            address: ConnectionAddress::Ip("192.0.2.11".parse().unwrap()),
            port: 4047
        }
    );
    assert_eq!(m.direction, Direction::SendRecv);
    assert_eq!(m.security, MediaSecurity::None);
    assert!(m.should_send());

    let a = answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_eq!(a.media.codec.payload_type, 8);
    assert!(a
        .sdp
        .to_string()
        .contains("m=audio 30000 RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\n"));

    // Opus only: nothing in common; the error names the offered formats.
    let err = answer(
        &offer,
        &caps(&[Codec::Opus], SrtpPolicy::Off),
        &mut ConstRng(1),
    )
    .unwrap_err();
    assert_eq!(err.sip_warning_code(), 305);
    assert_eq!(
        err.to_string(),
        "m-line 0: no common codec (offered: PCMU/8000, PCMA/8000, G722/8000, G726-32/8000, G729/8000, L16/16000, L16/8000, telephone-event/8000)"
    );

    // SDES or DTLS mandatory: a plain RTP offer is refused.
    let err = answer(&offer, &wideband(SrtpPolicy::Sdes), &mut ConstRng(1)).unwrap_err();
    assert!(matches!(
        err,
        NegotiationError::SrtpRequired { index: 0, .. }
    ));
    assert_eq!(err.sip_warning_code(), 300);
    let err = answer(&offer, &wideband(SrtpPolicy::Dtls), &mut ConstRng(1)).unwrap_err();
    assert!(matches!(err, NegotiationError::SrtpRequired { .. }));

    // Best effort: plain RTP is fine.
    let a = answer(&offer, &wideband(SrtpPolicy::Optional), &mut ConstRng(1)).unwrap();
    assert_eq!(a.media.security, MediaSecurity::None);
    assert!(!a.sdp.to_string().contains("a=crypto"));
}

#[test]
fn asterisk_answer_sdp_as_offer_keeps_event_range() {
    let offer = vendor_sdp("017-asterisk-200-invite-sdp.sip");
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
            "a=fmtp:101 0-16",
            "a=ptime:20",
            "a=sendrecv",
        ],
        1,
    );
    // PCMU first in our list: the offerer's number 0 is used.
    let a = answer(
        &offer,
        &caps(&[Codec::Pcmu, Codec::Pcma], SrtpPolicy::Off),
        &mut ConstRng(1),
    )
    .unwrap();
    assert_eq!(a.media.codec.payload_type, 0);
    // Without RFC 4733 no telephone-event is answered.
    let mut c = g711(SrtpPolicy::Off);
    c.telephone_event = false;
    let a = answer(&offer, &c, &mut ConstRng(1)).unwrap();
    assert!(a.media.telephone_event.is_none());
    assert!(a.sdp.to_string().contains("m=audio 30000 RTP/AVP 8\r\n"));
}

#[test]
fn htek_3cx_audio_video_offer() {
    let offer = vendor_sdp("027-htek-invite-3cx-av.sip");
    let a = answer(&offer, &wideband(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/AVP 120 101",
            "a=rtpmap:120 opus/48000/2",
            "a=fmtp:120 useinbandfec=1",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-11,16",
            "a=ptime:20",
            "a=sendrecv",
            "m=video 0 RTP/AVP 96 97",
        ],
        1,
    );
    let m = &a.media;
    assert_eq!(m.codec.codec, Codec::Opus);
    assert_eq!(
        (m.codec.payload_type, m.codec.clock_rate, m.codec.channels),
        (120, 48000, 2)
    );
    let peer_opus = m.codec.opus.as_ref().unwrap();
    assert_eq!(peer_opus.use_dtx, Some(true));
    // Only telephone-event/8000 is offered: used with its own clock rate.
    assert_eq!(
        m.telephone_event
            .as_ref()
            .map(|t| (t.payload_type, t.clock_rate)),
        Some((101, 8000))
    );

    let a = answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_eq!(a.media.codec.payload_type, 8);
    assert_eq!(a.sdp.media.len(), 2);
}

#[test]
fn htek_hold_and_resume_reinvites() {
    // Hold: c=0.0.0.0 and a=sendonly → we answer recvonly and do not send.
    let hold = vendor_sdp("028-htek-reinvite-hold-3cx.sip");
    let a = answer(&hold, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_eq!(a.media.direction, Direction::RecvOnly);
    assert!(!a.media.should_send());
    assert!(a.sdp.to_string().contains("a=recvonly\r\n"));
    assert!(a.sdp.to_string().contains("m=video 0 RTP/AVP 96 97\r\n"));

    let resume = vendor_sdp("029-htek-reinvite-resume-3cx.sip");
    let a = answer(&resume, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_eq!(a.media.direction, Direction::SendRecv);
    assert!(a.media.should_send());
}

#[test]
fn lync_sdes_offer() {
    let offer = vendor_sdp("037-lync-2013-200-invite-crypto-ice.sip");
    let key = b64_of(3, 30);
    let a = answer(&offer, &wideband(SrtpPolicy::Sdes), &mut ConstRng(3)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/SAVP 9",
            "a=rtpmap:9 G722/8000",
            "a=ptime:20",
            "a=sendrecv",
            &format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}"),
            "m=video 0 RTP/SAVP 122",
        ],
        1,
    );
    let MediaSecurity::Sdes(keys) = &a.media.security else {
        panic!("{:?}", a.media.security)
    };
    assert_eq!(keys.suite, SrtpSuite::AesCm128HmacSha1_80);
    assert_eq!(keys.tag, 1);
    assert_eq!(keys.local.master_key(), [3u8; 16]);
    assert_eq!(keys.local.master_salt(), [3u8; 14]);
    assert_eq!(keys.remote.key_salt.expose().len(), 30);
    assert_eq!(
        keys.remote.lifetime,
        Some(heron_sdp::crypto::Lifetime::PowerOfTwo(31))
    );
    assert!(!format!("{a:?}").contains(&key), "keys redacted in Debug");

    // SRTP off: the SAVP stream is refused with a protocol warning.
    let err = answer(&offer, &wideband(SrtpPolicy::Off), &mut ConstRng(3)).unwrap_err();
    assert!(matches!(
        err,
        NegotiationError::ProtocolNotAllowed { policy: "off", .. }
    ));
    assert_eq!(err.sip_warning_code(), 300);

    // Best effort accepts SDES.
    let a = answer(&offer, &wideband(SrtpPolicy::Optional), &mut ConstRng(3)).unwrap();
    assert!(matches!(a.media.security, MediaSecurity::Sdes(_)));

    // Only the 32-bit tag suite configured: nothing acceptable.
    let mut c = wideband(SrtpPolicy::Sdes);
    c.crypto_suites = vec![SrtpSuite::AesCm128HmacSha1_32];
    let err = answer(&offer, &c, &mut ConstRng(3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "m-line 0: no acceptable a=crypto (offered: AES_CM_128_HMAC_SHA1_80)"
    );
}

#[test]
fn lync_multipart_second_part_with_mki() {
    let parts = sdp_bodies(&vendor_file(
        "038-lync-2013-invite-multipart-alternative.sip",
    ));
    assert_eq!(parts.len(), 2);
    let offer = heron_sdp::parse(&parts[1]).unwrap();
    let a = answer(&offer, &g711(SrtpPolicy::Sdes), &mut ConstRng(5)).unwrap();
    let MediaSecurity::Sdes(keys) = &a.media.security else {
        panic!()
    };
    // Tag 2 is the first crypto line; tag 1 is Lync's proprietary cryptoscale.
    assert_eq!(keys.tag, 2);
    assert_eq!(
        keys.remote.mki,
        Some(heron_sdp::crypto::Mki {
            value: 1,
            length: 1
        })
    );
    assert_eq!(a.media.codec.payload_type, 8);
    assert_eq!(
        a.media.telephone_event,
        Some(TelephoneEventFormat {
            payload_type: 101,
            receive_payload_type: 101,
            clock_rate: 8000,
            events: heron_sdp::fmtp::TelephoneEvents::from_ranges(&[(0, 16)]),
        })
    );
}

#[test]
fn avaya_j169_srtp_offer_and_hold() {
    let offer = vendor_sdp("053-avaya-j169-invite-replaces-srtp.sip");
    let key = b64_of(9, 30);
    let a = answer(&offer, &g711(SrtpPolicy::Sdes), &mut ConstRng(9)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/SAVP 8 120",
            "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:120 telephone-event/8000",
            "a=fmtp:120 0-15",
            "a=ptime:20",
            "a=sendrecv",
            &format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}"),
        ],
        1,
    );
    // The phone's a=maxptime:60 does not lower our 20 ms.
    assert_eq!(a.media.ptime, 20);
    let MediaSecurity::Sdes(keys) = &a.media.security else {
        panic!()
    };
    // RFC 4568 §4's example key, as the corpus restored it.
    use base64::Engine as _;
    assert_eq!(
        keys.remote.key_salt.expose(),
        &base64::engine::general_purpose::STANDARD
            .decode("PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR")
            .unwrap()
    );

    // DTLS mandatory refuses SDES.
    let err = answer(&offer, &g711(SrtpPolicy::Dtls), &mut ConstRng(9)).unwrap_err();
    assert!(matches!(
        err,
        NegotiationError::ProtocolNotAllowed { policy: "dtls", .. }
    ));

    let hold = vendor_sdp("056-avaya-j169-reinvite-hold-srtp.sip");
    let a = answer(&hold, &g711(SrtpPolicy::Sdes), &mut ConstRng(9)).unwrap();
    assert_eq!(a.media.direction, Direction::RecvOnly);
    assert!(a.sdp.to_string().contains("a=recvonly\r\n"));
}

#[test]
fn ringcentral_lowercase_pcmu_with_channels() {
    let offer = vendor_sdp("055-ringcentral-183-srtp.sip");
    let a = answer(&offer, &g711(SrtpPolicy::Optional), &mut ConstRng(2)).unwrap();
    assert_eq!(a.media.codec.codec, Codec::Pcmu);
    assert_eq!(a.media.codec.payload_type, 0);
    assert!(a
        .sdp
        .to_string()
        .contains("m=audio 30000 RTP/SAVP 0 120\r\na=rtpmap:0 PCMU/8000\r\n"));
    assert!(matches!(a.media.security, MediaSecurity::Sdes(_)));
}

#[test]
fn xlite_dtls_offer() {
    let offer = vendor_sdp("068-xlite-200-invite-dtls-fingerprint.sip");
    let a = answer(&offer, &wideband(SrtpPolicy::Dtls), &mut ConstRng(1)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 UDP/TLS/RTP/SAVPF 111 126",
            "a=rtpmap:111 opus/48000/2",
            "a=fmtp:111 useinbandfec=1",
            "a=rtpmap:126 telephone-event/8000",
            "a=fmtp:126 0-15",
            "a=ptime:20",
            "a=sendrecv",
            "a=setup:passive",
            &format!("a=fingerprint:{}", local_fingerprint()),
        ],
        1,
    );
    let MediaSecurity::Dtls(d) = &a.media.security else {
        panic!()
    };
    // The offer says active, so we are the DTLS server.
    assert_eq!(d.role, DtlsRole::Server);
    assert_eq!(d.remote_fingerprints[0].value.len(), 20);
    assert_eq!(
        a.media.remote_rtcp,
        RtcpTarget::Separate {
            address: ConnectionAddress::Ip("192.0.2.62".parse().unwrap()),
            port: 19953
        }
    );

    // Without our own fingerprint DTLS cannot be answered.
    let mut c = wideband(SrtpPolicy::Dtls);
    c.dtls_fingerprint = None;
    assert_eq!(
        answer(&offer, &c, &mut ConstRng(1)).unwrap_err(),
        NegotiationError::NoLocalFingerprint
    );
    // SDES mandatory refuses DTLS.
    let err = answer(&offer, &wideband(SrtpPolicy::Sdes), &mut ConstRng(1)).unwrap_err();
    assert!(matches!(
        err,
        NegotiationError::ProtocolNotAllowed { policy: "sdes", .. }
    ));
    // Best effort takes DTLS when a certificate is configured.
    let mut c = wideband(SrtpPolicy::Optional);
    c.dtls_fingerprint = Some(local_fingerprint());
    let a = answer(&offer, &c, &mut ConstRng(1)).unwrap();
    assert!(matches!(a.media.security, MediaSecurity::Dtls(_)));
}

#[test]
fn tandberg_keeps_all_five_m_lines() {
    let offer = vendor_sdp("033-tandberg-mcx-invite-pai-bfcp.sip");
    let a = answer(&offer, &wideband(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    let text = a.sdp.to_string();
    let m_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("m=")).collect();
    assert_eq!(
        m_lines,
        [
            "m=audio 30000 RTP/AVP 8 100",
            "m=video 0 RTP/AVP 123 122 97 34",
            "m=video 0 RTP/AVP 123 122 97 34",
            "m=application 0 UDP/BFCP *",
            "m=application 0 RTP/AVP 105",
        ]
    );
    // Session-level c= applies; media has b= but no c=.
    assert_eq!(
        a.media.remote_rtp().unwrap().to_string(),
        "198.51.100.23:52120"
    );
}

#[test]
fn cisco_t38_capabilities_have_no_audio() {
    let offer = vendor_sdp("039-cisco-ios-gw-200-options-t38.sip");
    let err = answer(&offer, &wideband(SrtpPolicy::Off), &mut ConstRng(1)).unwrap_err();
    assert_eq!(err, NegotiationError::NoAudio);
    assert_eq!(err.sip_warning_code(), 304);
}

#[test]
fn more_vendor_offers_choose_the_expected_codec() {
    // (file, capability set, expected codec, pt, telephone-event pt)
    type Case<'a> = (&'a str, &'a [Codec], Codec, u8, Option<u8>);
    let cases: &[Case<'_>] = &[
        (
            "021-neuralx-invite-pai.sip",
            &Codec::ALL,
            Codec::Pcma,
            8,
            Some(101),
        ),
        (
            "022-nextone-invite-session-expires.sip",
            &Codec::ALL,
            Codec::Pcma,
            8,
            None,
        ),
        (
            "022-nextone-invite-session-expires.sip",
            &[Codec::Pcmu],
            Codec::Pcmu,
            0,
            None,
        ),
        (
            "024-patton-200-multivalue-via.sip",
            &Codec::ALL,
            Codec::Pcma,
            8,
            Some(101),
        ),
        (
            "032-cisco-ios-gw-invite-rpid.sip",
            &[Codec::Pcmu, Codec::Pcma],
            Codec::Pcmu,
            0,
            None,
        ),
        (
            "035-cucm-10.5-200-invite-sdp.sip",
            &Codec::ALL,
            Codec::G722,
            9,
            None,
        ),
        (
            "036-alcatel-oxe-invite-pai.sip",
            &Codec::ALL,
            Codec::Pcma,
            8,
            Some(97),
        ),
        (
            "041-grandstream-gvc3200-invite-video.sip",
            &Codec::ALL,
            Codec::Opus,
            123,
            Some(101),
        ),
        (
            "041-grandstream-gvc3200-invite-video.sip",
            &[Codec::G722],
            Codec::G722,
            9,
            Some(101),
        ),
        (
            "042-polycom-hdx8000-invite-video.sip",
            &Codec::ALL,
            Codec::G722,
            9,
            None,
        ),
        (
            "045-ipoffice-200-invite-pai-sdp.sip",
            &Codec::ALL,
            Codec::Pcma,
            8,
            Some(120),
        ),
        (
            "047-softx3000-183-session-progress-sdp.sip",
            &Codec::ALL,
            Codec::Pcma,
            8,
            Some(101),
        ),
        (
            "062-avaya-sm-invite-pstn-to-attendant.sip",
            &Codec::ALL,
            Codec::Pcma,
            8,
            Some(101),
        ),
        (
            "063-avaya-j179-180-ringing-sdp.sip",
            &Codec::ALL,
            Codec::Pcma,
            8,
            Some(101),
        ),
    ];
    for &(file, codecs, codec, pt, te) in cases {
        let offer = vendor_sdp(file);
        let a = answer(&offer, &caps(codecs, SrtpPolicy::Off), &mut ConstRng(1))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(a.media.codec.codec, codec, "{file}");
        assert_eq!(a.media.codec.payload_type, pt, "{file}");
        assert_eq!(
            a.media.telephone_event.as_ref().map(|t| t.payload_type),
            te,
            "{file}"
        );
        assert_eq!(a.sdp.media.len(), offer.media.len(), "{file}");
        // Written answers parse back to the same model.
        assert_eq!(
            heron_sdp::parse(&a.sdp.to_string()).unwrap(),
            a.sdp,
            "{file}"
        );
    }
}

#[test]
fn alcatel_ptime_and_media_level_attributes() {
    // OXE sends a=ptime:20 and a=maxptime:30 and a second ptime after G729.
    let offer = vendor_sdp("036-alcatel-oxe-invite-pai.sip");
    let mut c = g711(SrtpPolicy::Off);
    c.ptime = 40;
    let a = answer(&offer, &c, &mut ConstRng(1)).unwrap();
    // The peer asks for 20 ms; our own wish (40 ms) goes in our answer.
    assert_eq!(a.media.ptime, 20);
    assert!(a.sdp.to_string().contains("a=ptime:40\r\n"));
    // No fmtp for telephone-event: RFC 4733's default 0-15.
    assert!(a.sdp.to_string().contains("a=fmtp:97 0-15\r\n"));
}
