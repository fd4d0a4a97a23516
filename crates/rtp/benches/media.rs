//! Jitter buffer insert/pop, media session creation, and one frame through
//! a session pair (send_frame → protect → handle_datagram → unprotect →
//! jitter buffer → pull_frame): with one pair (its state stays in the
//! CPU cache) and round-robin over 2,000 pairs (each pair's state is cold
//! when its turn comes, as with many calls on one core).

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use heron_rtp::jitter::{JitterBuffer, JitterConfig, Playout};
use heron_rtp::session::{MediaSecurity, MediaSession, SessionConfig, SrtpKeys};
use heron_rtp::srtp::{MasterKey, SrtpConfig, SrtpProfile};
use rand::SeedableRng;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn keys(p: SrtpProfile, a: u8, b: u8) -> SrtpKeys {
    let k = |s: u8| MasterKey::from_key_salt(p, &vec![s; p.key_len() + p.salt_len()]).unwrap();
    SrtpKeys {
        profile: p,
        local: vec![k(a)],
        remote: vec![k(b)],
        config: SrtpConfig::default(),
    }
}

fn media(c: &mut Criterion) {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let payload = [0xd5u8; 160];
    let mut seq = 0u16;
    c.bench_function("jitter/insert_pop", |b| {
        b.iter(|| {
            seq = seq.wrapping_add(1);
            let now = t0 + Duration::from_millis(u64::from(seq) * 20);
            jb.insert(
                now,
                1,
                seq,
                u32::from(seq) * 160,
                0,
                false,
                black_box(&payload),
            );
            black_box(matches!(jb.pop(), Playout::Frame(_)))
        })
    });

    let a: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    let bb: SocketAddr = "127.0.0.1:4002".parse().unwrap();
    for profile in [SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::AeadAes128Gcm] {
        let mut cfg = SessionConfig::new(a, bb);
        cfg.security = MediaSecurity::Srtp(keys(profile, 1, 2));
        c.bench_function(&format!("session/new/{profile}"), |b| {
            b.iter(|| {
                let rng = Box::new(rand::rngs::StdRng::seed_from_u64(1));
                black_box(MediaSession::new(cfg.clone(), t0, 0, rng).unwrap())
            })
        });
        let mut cb = SessionConfig::new(bb, a);
        cb.security = MediaSecurity::Srtp(keys(profile, 2, 1));
        let mut sa = MediaSession::new(
            cfg.clone(),
            t0,
            0,
            Box::new(rand::rngs::StdRng::seed_from_u64(1)),
        )
        .unwrap();
        let mut sb =
            MediaSession::new(cb, t0, 0, Box::new(rand::rngs::StdRng::seed_from_u64(2))).unwrap();
        let mut buf = [0u8; 2048];
        c.bench_function(&format!("session/frame_through_pair/{profile}"), |b| {
            b.iter(|| {
                sa.send_frame(black_box(&payload), 160).unwrap();
                let t = sa.poll_transmit(&mut buf).unwrap();
                sb.handle_datagram(t0, a, &mut buf[..t.len]);
                black_box(matches!(sb.pull_frame(), Playout::Frame(_)))
            })
        });
    }
}

/// One frame through each of many session pairs in turn: the per-packet
/// cost when the sessions' state is not in the cache.
fn cold_pairs(c: &mut Criterion) {
    const PAIRS: usize = 2000;
    let t0 = Instant::now();
    let a: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    let bb: SocketAddr = "127.0.0.1:4002".parse().unwrap();
    let profile = SrtpProfile::Aes128CmHmacSha1_80;
    let mut pairs: Vec<(MediaSession, MediaSession)> = (0..PAIRS as u64)
        .map(|i| {
            let mut ca = SessionConfig::new(a, bb);
            ca.security = MediaSecurity::Srtp(keys(profile, 1, 2));
            let mut cb = SessionConfig::new(bb, a);
            cb.security = MediaSecurity::Srtp(keys(profile, 2, 1));
            let rng = |s: u64| Box::new(rand::rngs::StdRng::seed_from_u64(s));
            (
                MediaSession::new(ca, t0, 0, rng(2 * i)).unwrap(),
                MediaSession::new(cb, t0, 0, rng(2 * i + 1)).unwrap(),
            )
        })
        .collect();
    let payload = [0xd5u8; 160];
    let mut buf = [0u8; 2048];
    let mut i = 0;
    c.bench_function(
        &format!("session/frame_through_pair_cold_{PAIRS}/{profile}"),
        |b| {
            b.iter(|| {
                let (sa, sb) = &mut pairs[i];
                i = (i + 1) % PAIRS;
                sa.send_frame(black_box(&payload), 160).unwrap();
                let len = match sa.poll_datagram() {
                    Some((t, d)) => {
                        buf[..t.len].copy_from_slice(d);
                        t.len
                    }
                    None => 0,
                };
                sb.handle_datagram(t0, a, &mut buf[..len]);
                black_box(matches!(sb.pull_frame(), Playout::Frame(_)))
            })
        },
    );
}

criterion_group!(benches, media, cold_pairs);
criterion_main!(benches);
