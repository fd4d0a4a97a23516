//! `sip_parse`: parse six realistic messages and read every typed header,
//! side by side with sofia-sip's full parse of the same bytes (when
//! libsofia-sip-ua-dev is installed).
//!
//! `cargo bench -p heron-benches --bench sip_parse`
// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use heron_sip::Message;
use std::hint::black_box;

const BYE: &[u8] = b"BYE sip:alice@192.0.2.10:5060;transport=udp SIP/2.0\r\n\
Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-524287-1---e2d0b1f7a8c3d4e5;rport\r\n\
Max-Forwards: 70\r\n\
Route: <sip:203.0.113.5;lr;ftag=as5f8e1c2d>\r\n\
From: \"Support Line\" <sip:+4930555010@example.com>;tag=8f3a2c1b\r\n\
To: <sip:alice@example.com>;tag=as5f8e1c2d\r\n\
Call-ID: 3c2a9f7e81d64b0c@198.51.100.20\r\n\
CSeq: 2 BYE\r\n\
Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n\
User-Agent: heron-agent/0.1\r\n\
Content-Length: 0\r\n\r\n";

fn messages() -> Vec<(&'static str, Bytes)> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/testdata/vendor-sip/"
    );
    let read = |f: &str| Bytes::from(std::fs::read(format!("{dir}{f}")).expect("vendor message"));
    vec![
        ("invite_sdp", read("003-ast-d40-invite-auth.sip")),
        ("ok_sdp", read("035-cucm-10.5-200-invite-sdp.sip")),
        ("register_auth", read("013-yealink-t27g-register-auth.sip")),
        ("unauthorized", read("002-ast-pjsip-401-invite.sip")),
        ("ringing_rr", read("063-avaya-j179-180-ringing-sdp.sip")),
        ("bye", Bytes::from_static(BYE)),
    ]
}

fn heron_parse(data: &Bytes) -> usize {
    let m = Message::parse(data.clone()).expect("parses");
    m.check_all_headers().expect("typed headers")
}

#[cfg(have_sofia)]
use heron_benches::sofia;

fn bench(c: &mut Criterion) {
    let msgs = messages();
    for (name, data) in &msgs {
        assert!(heron_parse(data) > 0, "{name}");
        #[cfg(have_sofia)]
        assert!(sofia::parse(data) >= 0, "sofia rejects {name}");
    }
    let mut g = c.benchmark_group("sip_parse");
    for (name, data) in &msgs {
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::new("heron", name), data, |b, d| {
            b.iter(|| heron_parse(black_box(d)))
        });
        #[cfg(have_sofia)]
        g.bench_with_input(BenchmarkId::new("sofia", name), data, |b, d| {
            b.iter(|| sofia::parse(black_box(d)))
        });
    }
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("heron/mix", |b| {
        b.iter(|| {
            msgs.iter()
                .map(|(_, d)| heron_parse(black_box(d)))
                .sum::<usize>()
        })
    });
    #[cfg(have_sofia)]
    g.bench_function("sofia/mix", |b| {
        b.iter(|| {
            msgs.iter()
                .map(|(_, d)| sofia::parse(black_box(d)))
                .sum::<i32>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
