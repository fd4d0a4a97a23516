//! Properties: write → parse is the identity on generated sessions; arbitrary
//! text never panics the parser or the negotiator.

use std::net::IpAddr;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::attribute::{
    Attribute, ConnectionMode, Direction, Fmtp, Rtcp, RtcpAddress, RtpMap, Setup,
};
use crate::crypto::{Crypto, Fingerprint, HashFunction, KeyParam, Lifetime, Mki, SrtpSuite};
use crate::model::{
    AddressType, Bandwidth, Connection, ConnectionAddress, EncryptionKey, MediaDescription,
    MediaType, Origin, Repeat, SessionDescription, TimeUnit, TimeZoneAdjustment, Timing,
    TransportProtocol, TypedTime,
};
use crate::negotiate::{answer, Codec, LocalCapabilities, SrtpPolicy};
use crate::secret::Secret;
use crate::testing::StepRng;

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9._+-]{0,10}"
}

/// Printable text without leading or trailing white space.
fn text() -> impl Strategy<Value = String> {
    "[!-~]([ -~]{0,20}[!-~])?"
}

fn typed_time() -> impl Strategy<Value = TypedTime> {
    (
        -1_000_000i64..1_000_000,
        option::of(prop_oneof![
            Just(TimeUnit::Days),
            Just(TimeUnit::Hours),
            Just(TimeUnit::Minutes),
            Just(TimeUnit::Seconds)
        ]),
    )
        .prop_map(|(value, unit)| TypedTime { value, unit })
}

fn connection() -> impl Strategy<Value = Connection> {
    let v4 = (
        any::<[u8; 4]>(),
        option::of((any::<u8>(), option::of(any::<u32>()))),
    )
        .prop_map(|(ip, multicast)| Connection {
            net_type: "IN".into(),
            addr_type: AddressType::Ip4,
            address: ConnectionAddress::Ip(IpAddr::from(ip)),
            ttl: multicast.map(|m| m.0),
            count: multicast.and_then(|m| m.1),
        });
    let v6 = (any::<[u8; 16]>(), option::of(any::<u32>())).prop_map(|(ip, count)| Connection {
        net_type: "IN".into(),
        addr_type: AddressType::Ip6,
        address: ConnectionAddress::Ip(IpAddr::from(ip)),
        ttl: None,
        count,
    });
    let host = "h[a-z0-9.-]{0,12}".prop_map(|h| Connection {
        net_type: "IN".into(),
        addr_type: AddressType::Ip4,
        address: ConnectionAddress::Host(h),
        ttl: None,
        count: None,
    });
    let other = ("X[A-Z]{1,3}", "[!-~]{1,12}").prop_map(|(t, a)| Connection {
        net_type: "ATM".into(),
        addr_type: AddressType::Other(t),
        address: ConnectionAddress::Host(a),
        ttl: None,
        count: None,
    });
    prop_oneof![v4, v6, host, other]
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    ("[A-Z][A-Z0-9-]{0,5}", any::<u64>())
        .prop_map(|(bw_type, bandwidth)| Bandwidth { bw_type, bandwidth })
}

fn key() -> impl Strategy<Value = EncryptionKey> {
    ("[a-z][a-z0-9]{0,6}", option::of("[!-~]{1,12}")).prop_map(|(method, key)| EncryptionKey {
        method,
        key: key.map(Secret::new),
    })
}

fn suite() -> impl Strategy<Value = SrtpSuite> {
    prop_oneof![
        Just(SrtpSuite::AesCm128HmacSha1_80),
        Just(SrtpSuite::AesCm128HmacSha1_32),
        Just(SrtpSuite::Aes256CmHmacSha1_80),
        Just(SrtpSuite::AeadAes128Gcm),
        Just(SrtpSuite::AeadAes256Gcm),
        Just(SrtpSuite::Other("F8_128_HMAC_SHA1_80".into())),
    ]
}

fn crypto() -> impl Strategy<Value = Crypto> {
    let key_param = (
        vec(any::<u8>(), 1..48),
        option::of(prop_oneof![
            (0u8..=64).prop_map(Lifetime::PowerOfTwo),
            any::<u64>().prop_map(Lifetime::Packets)
        ]),
        option::of((any::<u64>(), 1u8..=128).prop_map(|(value, length)| Mki { value, length })),
    )
        .prop_map(|(k, lifetime, mki)| KeyParam {
            key_salt: Secret::new(k),
            lifetime,
            mki,
        });
    (
        0u32..1_000_000_000,
        suite(),
        vec(key_param, 1..3),
        vec("[A-Z][A-Z_=0-9]{0,12}", 0..3),
    )
        .prop_map(|(tag, suite, keys, session_params)| Crypto {
            tag,
            suite,
            keys,
            session_params,
        })
}

fn attribute() -> impl Strategy<Value = Attribute> {
    let hash = prop_oneof![
        Just(HashFunction::Sha1),
        Just(HashFunction::Sha256),
        Just(HashFunction::Sha512),
        Just(HashFunction::Other("sha-3x".into())),
    ];
    prop_oneof![
        (
            any::<u8>(),
            "[A-Za-z][A-Za-z0-9-]{0,8}",
            any::<u32>(),
            option::of(any::<u16>())
        )
            .prop_map(
                |(payload_type, encoding, clock_rate, channels)| Attribute::RtpMap(RtpMap {
                    payload_type,
                    encoding,
                    clock_rate,
                    channels
                })
            ),
        (any::<u8>(), prop_oneof![Just(String::new()), text()])
            .prop_map(|(pt, p)| Attribute::Fmtp(Fmtp::new(pt, p))),
        any::<u32>().prop_map(Attribute::Ptime),
        any::<u32>().prop_map(Attribute::MaxPtime),
        prop_oneof![
            Just(Direction::SendRecv),
            Just(Direction::SendOnly),
            Just(Direction::RecvOnly),
            Just(Direction::Inactive)
        ]
        .prop_map(Attribute::Direction),
        (any::<u16>(), option::of(any::<[u8; 4]>())).prop_map(|(port, ip)| Attribute::Rtcp(Rtcp {
            port,
            address: ip.map(|ip| RtcpAddress {
                net_type: "IN".into(),
                addr_type: AddressType::Ip4,
                address: ConnectionAddress::Ip(IpAddr::from(ip)),
            }),
        })),
        Just(Attribute::RtcpMux),
        crypto().prop_map(Attribute::Crypto),
        (hash, vec(any::<u8>(), 1..64))
            .prop_map(|(hash, value)| Attribute::Fingerprint(Fingerprint { hash, value })),
        prop_oneof![
            Just(Setup::Active),
            Just(Setup::Passive),
            Just(Setup::ActPass),
            Just(Setup::HoldConn)
        ]
        .prop_map(Attribute::Setup),
        prop_oneof![Just(ConnectionMode::New), Just(ConnectionMode::Existing)]
            .prop_map(Attribute::Connection),
        token().prop_map(Attribute::Mid),
        token().prop_map(Attribute::IceUfrag),
        token().prop_map(|p| Attribute::IcePwd(Secret::new(p))),
        text().prop_map(Attribute::Candidate),
        ("x-[a-z]{1,6}", option::of(text()))
            .prop_map(|(name, value)| Attribute::Other { name, value }),
    ]
}

fn media() -> impl Strategy<Value = MediaDescription> {
    let media_type = prop_oneof![
        Just(MediaType::Audio),
        Just(MediaType::Video),
        Just(MediaType::Image),
        Just(MediaType::Application),
        "x[a-z]{0,5}".prop_map(MediaType::Other),
    ];
    let protocol = prop_oneof![
        Just(TransportProtocol::RtpAvp),
        Just(TransportProtocol::RtpSavp),
        Just(TransportProtocol::RtpSavpf),
        Just(TransportProtocol::UdpTlsRtpSavpf),
        "TCP/X[A-Z]{0,3}".prop_map(TransportProtocol::Other),
    ];
    (
        (media_type, any::<u16>(), option::of(any::<u16>()), protocol),
        vec(token(), 0..6),
        option::of(text()),
        vec(connection(), 0..2),
        vec(bandwidth(), 0..2),
        option::of(key()),
        vec(attribute(), 0..8),
    )
        .prop_map(
            |(
                (media_type, port, port_count, protocol),
                formats,
                title,
                connections,
                bandwidths,
                key,
                attributes,
            )| {
                MediaDescription {
                    media_type,
                    port,
                    port_count,
                    protocol,
                    formats,
                    title,
                    connections,
                    bandwidths,
                    key,
                    attributes,
                }
            },
        )
}

fn origin() -> impl Strategy<Value = Origin> {
    (
        token(),
        token(),
        token(),
        prop_oneof![Just(AddressType::Ip4), Just(AddressType::Ip6)],
        token(),
    )
        .prop_map(
            |(username, session_id, session_version, addr_type, unicast_address)| Origin {
                username,
                session_id,
                session_version,
                net_type: "IN".into(),
                addr_type,
                unicast_address,
            },
        )
}

fn timing() -> impl Strategy<Value = Timing> {
    let repeat = (typed_time(), typed_time(), vec(typed_time(), 1..3)).prop_map(
        |(interval, duration, offsets)| Repeat {
            interval,
            duration,
            offsets,
        },
    );
    (any::<u64>(), any::<u64>(), vec(repeat, 0..2)).prop_map(|(start, stop, repeats)| Timing {
        start,
        stop,
        repeats,
    })
}

prop_compose! {
    fn session()(
        origin in origin(),
        session_name in prop_oneof![Just(String::new()), text()],
        information in option::of(text()),
        uri in option::of(text()),
        emails in vec(text(), 0..2),
        phones in vec(text(), 0..2),
        connection in option::of(connection()),
        bandwidths in vec(bandwidth(), 0..2),
        timings in vec(timing(), 1..3),
        time_zones in vec((any::<u64>(), typed_time()).prop_map(|(time, offset)| TimeZoneAdjustment { time, offset }), 0..3),
        key in option::of(key()),
        attributes in vec(attribute(), 0..6),
        media in vec(media(), 0..4),
    ) -> SessionDescription {
        SessionDescription {
            origin, session_name, information, uri, emails, phones, connection,
            bandwidths, timings, time_zones, key, attributes, media,
        }
    }
}

/// SDP-shaped text: real line types with values drawn from plausible pieces.
fn sdp_like() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("audio 4000 RTP/AVP 0 8 101".to_owned()),
        Just("audio 4000 RTP/SAVP 96 9".to_owned()),
        Just("audio 0 UDP/TLS/RTP/SAVPF 111".to_owned()),
        Just("IN IP4 192.0.2.1".to_owned()),
        Just("IN IP4 0.0.0.0".to_owned()),
        Just("IN IP6 ::1".to_owned()),
        Just("rtpmap:96 opus/48000/2".to_owned()),
        Just("rtpmap:101 telephone-event/8000".to_owned()),
        Just("fmtp:101 0-16".to_owned()),
        Just(
            "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
                .to_owned()
        ),
        Just("fingerprint:sha-256 AB:CD".to_owned()),
        Just("setup:actpass".to_owned()),
        Just("sendonly".to_owned()),
        Just("rtcp-mux".to_owned()),
        Just("rtcp:4001 IN IP4 192.0.2.2".to_owned()),
        Just("ptime:30".to_owned()),
        "[ -~]{0,30}",
    ];
    let line = ("[vosiuepcbtrzkamx]", value).prop_map(|(k, v)| format!("{k}={v}"));
    vec(line, 0..20).prop_map(|lines| {
        let mut s = String::from("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n");
        for l in lines {
            s.push_str(&l);
            s.push_str("\r\n");
        }
        s
    })
}

proptest! {
    #[test]
    fn write_then_parse_is_identity(s in session()) {
        let text = s.to_string();
        let parsed = crate::parse(&text);
        prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed, text);
        prop_assert_eq!(parsed.unwrap(), s);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = crate::parse(&s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in vec(any::<u8>(), 0..300)) {
        let _ = crate::parse_bytes(&b);
    }

    #[test]
    fn parsed_text_writes_back_to_the_same_model(s in sdp_like()) {
        if let Ok(sdp) = crate::parse(&s) {
            let again = crate::parse(&sdp.to_string());
            prop_assert_eq!(again.as_ref(), Ok(&sdp));
        }
    }

    #[test]
    fn negotiation_never_panics_and_answers_match_offers(s in sdp_like(), policy in 0usize..4) {
        if let Ok(offer) = crate::parse(&s) {
            let mut caps = LocalCapabilities::new([192, 0, 2, 9].into(), 5000);
            caps.codecs = Codec::ALL.to_vec();
            caps.srtp = [SrtpPolicy::Off, SrtpPolicy::Sdes, SrtpPolicy::Dtls, SrtpPolicy::Optional][policy];
            caps.dtls_fingerprint = Fingerprint::parse("sha-256 01:02");
            if let Ok(a) = answer(&offer, &caps, &mut StepRng::new(1)) {
                prop_assert_eq!(a.sdp.media.len(), offer.media.len());
                let again = crate::parse(&a.sdp.to_string());
                prop_assert_eq!(again.as_ref(), Ok(&a.sdp));
            }
            // The same text as the answer to our offer.
            let mut rng = StepRng::new(2);
            let mut n = crate::Negotiator::new(caps, &mut rng);
            n.create_offer(&mut rng).unwrap();
            let _ = n.receive_answer(&offer);
        }
    }
}
