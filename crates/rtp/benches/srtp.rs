//! SRTP/SRTCP protect and unprotect per profile on a 172-octet RTP packet
//! (12-octet header, 160-octet G.711 payload), context creation and RTP
//! parsing.
// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use heron_rtp::rtp::RtpPacket;
use heron_rtp::srtp::{MasterKey, SrtpConfig, SrtpContext, SrtpProfile};
use std::hint::black_box;

fn key(profile: SrtpProfile) -> MasterKey {
    let m: Vec<u8> = (0..profile.key_len() + profile.salt_len())
        .map(|i| i as u8 * 7)
        .collect();
    MasterKey::from_key_salt(profile, &m).unwrap()
}

fn packet(seq: u16, buf: &mut [u8]) -> usize {
    buf[..12].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe]);
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[12..172].fill(0xd5);
    172
}

fn srtp(c: &mut Criterion) {
    for profile in SrtpProfile::ALL {
        let mut g = c.benchmark_group(format!("srtp/{}", profile.name()));
        let mut tx = SrtpContext::new(profile, &[key(profile)], SrtpConfig::default()).unwrap();
        let mut buf = [0u8; 256];
        let mut seq = 0u16;
        g.bench_function("protect_rtp_172", |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                let n = packet(seq, &mut buf);
                black_box(tx.protect_rtp(black_box(&mut buf), n).unwrap())
            })
        });
        let mut tx = SrtpContext::new(profile, &[key(profile)], SrtpConfig::default()).unwrap();
        let mut rx = SrtpContext::new(profile, &[key(profile)], SrtpConfig::default()).unwrap();
        let mut seq = 0u16;
        g.bench_function("unprotect_rtp_172", |b| {
            b.iter_batched_ref(
                || {
                    seq = seq.wrapping_add(1);
                    let mut p = [0u8; 256];
                    let n = packet(seq, &mut p);
                    let n = tx.protect_rtp(&mut p, n).unwrap();
                    (p, n)
                },
                |(p, n)| black_box(rx.unprotect_rtp(&mut p[..*n]).is_ok()),
                BatchSize::SmallInput,
            )
        });
        let mut tx = SrtpContext::new(profile, &[key(profile)], SrtpConfig::default()).unwrap();
        let mut rx = SrtpContext::new(profile, &[key(profile)], SrtpConfig::default()).unwrap();
        g.bench_function("protect_unprotect_rtcp_rr", |b| {
            b.iter(|| {
                let mut p = [0u8; 128];
                p[..32].copy_from_slice(&[
                    0x81, 201, 0, 7, 0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0,
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                ]);
                let n = tx.protect_rtcp(&mut p, 32).unwrap();
                black_box(rx.unprotect_rtcp(&mut p[..n]).unwrap())
            })
        });
        g.bench_function("context_new", |b| {
            let k = [key(profile)];
            b.iter(|| {
                black_box(SrtpContext::new(profile, black_box(&k), SrtpConfig::default()).unwrap())
            })
        });
        g.finish();
    }
    let mut buf = [0u8; 256];
    let n = packet(1, &mut buf);
    c.bench_function("rtp/parse_172", |b| {
        b.iter(|| {
            let p = RtpPacket::parse(black_box(&buf[..n])).unwrap();
            black_box((p.sequence_number(), p.payload().len()))
        })
    });
}

criterion_group!(benches, srtp);
criterion_main!(benches);
