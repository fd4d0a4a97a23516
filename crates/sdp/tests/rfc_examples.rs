//! The offer/answer examples of RFC 3264 §10 and RFC 4568 §7.1.5.

mod common;

use common::*;
use heron_sdp::crypto::{Lifetime, Mki};
use heron_sdp::{
    answer, Codec, ConnectionAddress, Direction, MediaSecurity, NegotiationError, SrtpPolicy,
    SrtpSuite,
};

/// RFC 3264 §10.1: Alice's offer (audio PCMU, two video streams).
const RFC3264_10_1_OFFER: &str = "v=0\r
o=alice 2890844526 2890844526 IN IP4 host.anywhere.com\r
s=\r
c=IN IP4 host.anywhere.com\r
t=0 0\r
m=audio 49170 RTP/AVP 0\r
a=rtpmap:0 PCMU/8000\r
m=video 51372 RTP/AVP 31\r
a=rtpmap:31 H261/90000\r
m=video 53000 RTP/AVP 32\r
a=rtpmap:32 MPV/90000\r
";

/// RFC 3264 §10.1: Bob's answer.
const RFC3264_10_1_ANSWER: &str = "v=0\r
o=bob 2890844730 2890844730 IN IP4 host.example.com\r
s=\r
c=IN IP4 host.example.com\r
t=0 0\r
m=audio 49920 RTP/AVP 0\r
a=rtpmap:0 PCMU/8000\r
m=video 0 RTP/AVP 31\r
m=video 53000 RTP/AVP 32\r
a=rtpmap:32 MPV/90000\r
";

/// RFC 3264 §10.1: Bob's later offer: new audio port and a recvonly event stream.
const RFC3264_10_1_REOFFER: &str = "v=0\r
o=bob 2890844730 2890844731 IN IP4 host.example.com\r
s=\r
c=IN IP4 host.example.com\r
t=0 0\r
m=audio 65422 RTP/AVP 0\r
a=rtpmap:0 PCMU/8000\r
m=video 0 RTP/AVP 31\r
m=video 53000 RTP/AVP 32\r
a=rtpmap:32 MPV/90000\r
m=audio 51434 RTP/AVP 110\r
a=rtpmap:110 telephone-events/8000\r
a=recvonly\r
";

#[test]
fn rfc3264_basic_exchange_texts_roundtrip() {
    for text in [
        RFC3264_10_1_OFFER,
        RFC3264_10_1_ANSWER,
        RFC3264_10_1_REOFFER,
    ] {
        let sdp = heron_sdp::parse(text).unwrap();
        // s= is empty in these examples; we write "s= " as RFC 8866 §5.3 recommends.
        assert_eq!(sdp.to_string(), text.replace("s=\r\n", "s= \r\n"));
    }
}

#[test]
fn rfc3264_basic_exchange_answered_audio_only() {
    let offer = heron_sdp::parse(RFC3264_10_1_OFFER).unwrap();
    let a = answer(&offer, &wideband(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            "t=0 0",
            "m=audio 30000 RTP/AVP 0",
            "a=rtpmap:0 PCMU/8000",
            "a=ptime:20",
            "a=sendrecv",
            "m=video 0 RTP/AVP 31",
            "m=video 0 RTP/AVP 32",
        ],
        1,
    );
    // The connection address is a host name: the media layer resolves it.
    assert_eq!(
        a.media.remote_address,
        ConnectionAddress::Host("host.anywhere.com".into())
    );
    assert_eq!(a.media.remote_port, 49170);
    assert_eq!(a.media.remote_rtp(), None);
}

#[test]
fn rfc3264_reoffer_with_second_audio_stream() {
    let offer = heron_sdp::parse(RFC3264_10_1_REOFFER).unwrap();
    let a = answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    let text = a.sdp.to_string();
    let m_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("m=")).collect();
    // One audio stream is served; the events-only stream is declined (port 0)
    // and the m-line count matches the offer.
    assert_eq!(
        m_lines,
        [
            "m=audio 30000 RTP/AVP 0",
            "m=video 0 RTP/AVP 31",
            "m=video 0 RTP/AVP 32",
            "m=audio 0 RTP/AVP 110",
        ]
    );
    assert_eq!(a.media.remote_port, 65422);
}

#[test]
fn rfc3264_one_of_n_codec_selection() {
    // §10.2: inactive offer of PCMU, G.723, G.729.
    let offer = heron_sdp::parse(
        "v=0\r\no=alice 2890844526 2890844526 IN IP4 host.anywhere.com\r\ns=\r\nc=IN IP4 host.anywhere.com\r\nt=0 0\r\n\
         m=audio 62986 RTP/AVP 0 4 18\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:4 G723/8000\r\na=rtpmap:18 G729/8000\r\na=inactive\r\n",
    )
    .unwrap();
    let a = answer(&offer, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap();
    assert_eq!(a.media.direction, Direction::Inactive);
    assert!(a.sdp.to_string().contains(
        "m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=inactive\r\n"
    ));
    // The updated offer locks down G.723, which we cannot do.
    let update = heron_sdp::parse(
        "v=0\r\no=alice 2890844526 2890844527 IN IP4 host.anywhere.com\r\ns=\r\nc=IN IP4 host.anywhere.com\r\nt=0 0\r\n\
         m=audio 62986 RTP/AVP 4\r\na=rtpmap:4 G723/8000\r\na=sendrecv\r\n",
    )
    .unwrap();
    let err = answer(&update, &g711(SrtpPolicy::Off), &mut ConstRng(1)).unwrap_err();
    assert_eq!(
        err,
        NegotiationError::NoCommonCodec {
            index: 0,
            offered: "G723/8000".into()
        }
    );
}

/// RFC 4568 §7.1.5, the offer (the crypto lines unfolded onto one line each).
const RFC4568_OFFER: &str = "v=0\r
o=sam 2890844526 2890842807 IN IP4 10.47.16.5\r
s=SRTP Discussion\r
i=A discussion of Secure RTP\r
u=http://www.example.com/seminars/srtp.pdf\r
e=marge@example.com (Marge Simpson)\r
c=IN IP4 168.2.17.12\r
t=2873397496 2873404696\r
m=audio 49170 RTP/SAVP 0\r
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 FEC_ORDER=FEC_SRTP\r
a=crypto:2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP\r
";

/// RFC 4568 §7.1.5, the answer.
const RFC4568_ANSWER: &str = "v=0\r
o=jill 25690844 8070842634 IN IP4 10.47.16.5\r
s=SRTP Discussion\r
i=A discussion of Secure RTP\r
u=http://www.example.com/seminars/srtp.pdf\r
e=homer@example.com (Homer Simpson)\r
c=IN IP4 168.2.17.11\r
t=2873397526 2873405696\r
m=audio 32640 RTP/SAVP 0\r
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r
";

#[test]
fn rfc4568_texts_roundtrip() {
    for text in [RFC4568_OFFER, RFC4568_ANSWER] {
        let sdp = heron_sdp::parse(text).unwrap();
        assert_eq!(sdp.to_string(), text);
    }
}

#[test]
fn rfc4568_offer_answered() {
    let offer = heron_sdp::parse(RFC4568_OFFER).unwrap();
    let a = answer(
        &offer,
        &caps(&[Codec::Pcmu], SrtpPolicy::Sdes),
        &mut ConstRng(7),
    )
    .unwrap();
    assert_lines(
        &a.sdp,
        &[
            "s=-",
            "c=IN IP4 192.0.2.100",
            // RFC 3264 §6: t= of the answer equals the offer's.
            "t=2873397496 2873404696",
            "m=audio 30000 RTP/SAVP 0",
            "a=rtpmap:0 PCMU/8000",
            "a=ptime:20",
            "a=sendrecv",
            &format!(
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{}",
                b64_of(7, 30)
            ),
        ],
        1,
    );
    let MediaSecurity::Sdes(keys) = &a.media.security else {
        panic!()
    };
    assert_eq!(keys.suite, SrtpSuite::AesCm128HmacSha1_80);
    assert_eq!(
        keys.remote.mki,
        Some(Mki {
            value: 1,
            length: 4
        })
    );
    assert_eq!(keys.remote.lifetime, Some(Lifetime::PowerOfTwo(20)));
    assert_eq!(
        keys.remote.master_key(),
        b"YS___semctl () {\t220;}\n}\nunles"[..16].as_ref()
    );
    // The F8 line is not acceptable by itself.
    let mut c = caps(&[Codec::Pcmu], SrtpPolicy::Sdes);
    c.crypto_suites = vec![SrtpSuite::Other("F8_128_HMAC_SHA1_80".into())];
    let err = answer(&offer, &c, &mut ConstRng(7)).unwrap_err();
    assert!(matches!(err, NegotiationError::NoAcceptableCrypto { .. }));
}
