//! What the agent adds per call on top of the crates: one packet time
//! through a media pump (decode, resample, pipeline, resample, encode,
//! SRTP), and one call-policy decision (the emergency search included).
//!
//! `cargo bench -p heron-agent --bench agent`
// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use heron_agent::config::{DtlsBackend, DtmfMode};
use heron_agent::media::pipelines::Echo;
use heron_agent::media::{MediaPump, PumpConfig, VoicePipeline};
use heron_agent::policy::{CallPolicy, PolicyConfig};
use heron_sdp::{Codec, LocalCapabilities, Negotiator, SrtpPolicy};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn pump_pair(codec: Codec, rate: u32) -> (MediaPump, MediaPump, Echo, Echo, Instant) {
    let mut rng = StdRng::seed_from_u64(3);
    let caps = |port| {
        let mut c = LocalCapabilities::new("127.0.0.1".parse().unwrap(), port);
        c.codecs = vec![codec];
        c.srtp = SrtpPolicy::Sdes;
        c
    };
    let mut a = Negotiator::new(caps(40000), &mut rng);
    let mut b = Negotiator::new(caps(40002), &mut rng);
    let offer = a.create_offer(&mut rng).unwrap();
    let answer = b.receive_offer(&offer, &mut rng).unwrap();
    let ma = a.receive_answer(&answer.sdp).unwrap().clone();
    let now = Instant::now();
    let cfg = |addr: &str| PumpConfig {
        local_addr: addr.parse::<SocketAddr>().unwrap(),
        dtmf: vec![DtmfMode::Rfc4733],
        symmetric_rtp: true,
        dtls: None,
        dtls_backend: DtlsBackend::OpenSsl,
    };
    let pa = MediaPump::new(
        &ma,
        &cfg("127.0.0.1:40000"),
        rate,
        now,
        0,
        Box::new(StdRng::seed_from_u64(1)),
    )
    .unwrap();
    let pb = MediaPump::new(
        &answer.media,
        &cfg("127.0.0.1:40002"),
        rate,
        now,
        0,
        Box::new(StdRng::seed_from_u64(2)),
    )
    .unwrap();
    let mut ea = Echo::new(rate, Duration::from_millis(100));
    let mut eb = Echo::new(rate, Duration::from_millis(100));
    ea.on_start(pa.media_info());
    eb.on_start(pb.media_info());
    (pa, pb, ea, eb, now)
}

fn media(c: &mut Criterion) {
    for (name, codec, rate) in [
        ("pcmu_16k_pipeline", Codec::Pcmu, 16000),
        ("g722_16k_pipeline", Codec::G722, 16000),
        ("opus_16k_pipeline", Codec::Opus, 16000),
    ] {
        let (mut pa, mut pb, mut ea, mut eb, mut now) = pump_pair(codec, rate);
        let a_addr: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let mut buf = vec![0u8; 2048];
        c.bench_function(&format!("packet_time_both_ways/{name}"), |bench| {
            bench.iter(|| {
                now += Duration::from_millis(20);
                pa.handle_timeout(now, &mut ea);
                while let Some(t) = pa.poll_transmit(&mut buf) {
                    pb.handle_datagram(now, a_addr, &mut buf[..t.len]);
                }
                pb.handle_timeout(now, &mut eb);
                while let Some(t) = pb.poll_transmit(&mut buf) {
                    black_box(t.len);
                }
            })
        });
    }
}

fn policy(c: &mut Criterion) {
    let p = CallPolicy::new(PolicyConfig {
        allow: vec!["+49*".parse().unwrap(), "2??".parse().unwrap()],
        ..PolicyConfig::default()
    });
    c.bench_function("policy/allowed_number", |b| {
        b.iter(|| black_box(p.check_destination(black_box("0049 30 5551234"))))
    });
    c.bench_function("policy/emergency_behind_prefixes", |b| {
        b.iter(|| black_box(p.check_destination(black_box("*31#0 0049 112"))))
    });
    c.bench_function("policy/sip_uri", |b| {
        b.iter(|| {
            black_box(p.check_destination(black_box("sip:+49305551234@pbx.example.com;user=phone")))
        })
    });
}

/// One SIP trace line: an INVITE with digest credentials and SDES SDP,
/// formatted and redacted (what `log.sip_trace` costs per message).
fn trace(c: &mut Criterion) {
    use heron_sip_stack::ua::trace::{TraceDirection, TracedMessage};
    let wire = "INVITE sip:1002@pbx.example.com SIP/2.0\r\n\
Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK776asdhds;rport\r\n\
Max-Forwards: 70\r\n\
To: <sip:1002@pbx.example.com>\r\n\
From: \"Agent\" <sip:1001@pbx.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 2 INVITE\r\n\
Contact: <sip:1001@192.0.2.10:5061;transport=tls>\r\n\
Proxy-Authorization: Digest username=\"1001\", realm=\"pbx\", nonce=\"dcd98b7102dd2f0e\", uri=\"sip:1002@pbx.example.com\", response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, cnonce=\"0a4f113b\", qop=auth, nc=00000001\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 0\r\n\r\n\
v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
m=audio 40000 RTP/SAVP 9 0 101\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n\
a=rtpmap:101 telephone-event/8000\r\n";
    let m = TracedMessage {
        direction: TraceDirection::Sent,
        transport: heron_sip_stack::TransportKind::Tls,
        local: "192.0.2.10:5061".parse().unwrap(),
        remote: "192.0.2.1:5061".parse().unwrap(),
        bytes: wire.as_bytes(),
    };
    c.bench_function("sip_trace/invite_sdes_redacted", |b| {
        b.iter(|| heron_agent::runtime::trace::trace_text(std::hint::black_box(&m)))
    });
}

criterion_group!(benches, media, policy, trace);
criterion_main!(benches);
