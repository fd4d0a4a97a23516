//! Criterion benches: parse, write, answer, and a full offer/answer exchange.
//!
//! `cargo bench -p heron-sdp --bench sdp`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use heron_sdp::testing::StepRng;
use heron_sdp::{answer, Codec, LocalCapabilities, Negotiator, SrtpPolicy};

/// A typical PBX offer: G.711, G.722, Opus, telephone-event.
const PBX_OFFER: &str = "v=0\r
o=- 780 779 IN IP4 192.0.2.25\r
s=SIP Call\r
c=IN IP4 192.0.2.25\r
t=0 0\r
m=audio 12100 RTP/AVP 0 8 9 120 101\r
a=rtpmap:0 PCMU/8000\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:9 G722/8000\r
a=rtpmap:120 opus/48000/2\r
a=fmtp:120 useinbandfec=1; usedtx=1; maxaveragebitrate=64000\r
a=rtpmap:101 telephone-event/8000\r
a=fmtp:101 0-16\r
a=ptime:20\r
a=sendrecv\r
";

/// An SDES offer with two suites and a video line to reject.
const SRTP_OFFER: &str = "v=0\r
o=- 1 16 IN IP4 192.0.2.51\r
s=-\r
c=IN IP4 192.0.2.51\r
t=0 0\r
m=audio 5004 RTP/SAVP 0 8 120\r
a=rtpmap:0 PCMU/8000\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:120 telephone-event/8000\r
a=fmtp:120 0-15\r
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^31\r
m=video 5006 RTP/SAVP 96\r
a=rtpmap:96 H264/90000\r
";

fn caps(srtp: SrtpPolicy) -> LocalCapabilities {
    let mut c = LocalCapabilities::new([192, 0, 2, 1].into(), 40000);
    c.codecs = Codec::ALL.to_vec();
    c.srtp = srtp;
    c
}

fn benches(c: &mut Criterion) {
    c.bench_function("parse_pbx_offer", |b| {
        b.iter(|| heron_sdp::parse(black_box(PBX_OFFER)).unwrap())
    });
    let parsed = heron_sdp::parse(PBX_OFFER).unwrap();
    c.bench_function("write_pbx_offer", |b| {
        b.iter(|| black_box(&parsed).to_string())
    });

    let offer = heron_sdp::parse(PBX_OFFER).unwrap();
    let plain = caps(SrtpPolicy::Off);
    c.bench_function("answer_pbx_offer", |b| {
        let mut rng = StepRng::new(1);
        b.iter(|| answer(black_box(&offer), &plain, &mut rng).unwrap())
    });

    let srtp_offer = heron_sdp::parse(SRTP_OFFER).unwrap();
    let sdes = caps(SrtpPolicy::Sdes);
    c.bench_function("parse_and_answer_sdes_offer_text", |b| {
        let mut rng = StepRng::new(1);
        b.iter(|| {
            let o = heron_sdp::parse(black_box(SRTP_OFFER)).unwrap();
            answer(&o, &sdes, &mut rng).unwrap().sdp.to_string()
        })
    });
    c.bench_function("answer_sdes_offer", |b| {
        let mut rng = StepRng::new(1);
        b.iter(|| answer(black_box(&srtp_offer), &sdes, &mut rng).unwrap())
    });

    c.bench_function("offer_answer_roundtrip_sdes", |b| {
        let mut rng = StepRng::new(1);
        b.iter(|| {
            let mut alice = Negotiator::new(sdes.clone(), &mut rng);
            let mut bob = Negotiator::new(sdes.clone(), &mut rng);
            let offer = alice.create_offer(&mut rng).unwrap();
            let text = offer.to_string();
            let ans = bob
                .receive_offer(&heron_sdp::parse(&text).unwrap(), &mut rng)
                .unwrap();
            let back = heron_sdp::parse(&ans.sdp.to_string()).unwrap();
            alice.receive_answer(&back).unwrap().ptime
        })
    });
}

criterion_group!(sdp, benches);
criterion_main!(sdp);
