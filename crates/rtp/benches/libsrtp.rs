//! The same protect/unprotect measurements through Debian's libsrtp2
//! (dev-only FFI), for comparison with `benches/srtp.rs` in one harness.

// criterion's macros generate undocumented items; the libsrtp calls need
// `unsafe` (C API), confined to this dev-only benchmark.
#![allow(missing_docs, unsafe_code)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use heron_rtp::srtp::SrtpProfile;
use std::hint::black_box;

#[path = "../tests/libsrtp/ffi.rs"]
mod ffi;

use ffi::*;

fn packet(seq: u16, buf: &mut [u8]) -> usize {
    buf[..12].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe]);
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[12..172].fill(0xd5);
    172
}

fn libsrtp(c: &mut Criterion) {
    for profile in [
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::AeadAes256Gcm,
    ] {
        let ks: Vec<u8> = (0..profile.key_len() + profile.salt_len())
            .map(|i| i as u8 * 7)
            .collect();
        let mut g = c.benchmark_group(format!("libsrtp/{}", profile.name()));
        let tx = Lib::new(profile, &ks, false, None);
        let mut buf = [0u8; 512];
        let mut seq = 0u16;
        g.bench_function("protect_rtp_172", |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                let n = packet(seq, &mut buf);
                black_box(tx.call(srtp_protect, &mut buf, n).unwrap())
            })
        });
        let tx = Lib::new(profile, &ks, false, None);
        let rx = Lib::new(profile, &ks, true, None);
        let mut seq = 0u16;
        g.bench_function("unprotect_rtp_172", |b| {
            b.iter_batched_ref(
                || {
                    seq = seq.wrapping_add(1);
                    let mut p = [0u8; 512];
                    let n = packet(seq, &mut p);
                    let n = tx.call(srtp_protect, &mut p, n).unwrap();
                    (p, n)
                },
                |(p, n)| black_box(rx.call(srtp_unprotect, p, *n).is_ok()),
                BatchSize::SmallInput,
            )
        });
        g.bench_function("session_create", |b| {
            b.iter(|| black_box(Lib::new(profile, &ks, true, None)))
        });
        g.finish();
    }
}

criterion_group!(benches, libsrtp);
criterion_main!(benches);
