//! DTLS-SRTP: certificate generation, one full handshake between two of our
//! endpoints in memory (both sides' CPU), per backend, and the cost the
//! DTLS wrapper adds per media packet once keyed (one frame through a
//! session pair, received directly vs through `DtlsSrtp::handle_datagram`).

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use heron_rtp::dtls::{DtlsBackend, DtlsConfig, DtlsIdentity, DtlsRole, DtlsSrtp, RemoteDtls};
use heron_rtp::jitter::Playout;
use heron_rtp::session::{MediaSecurity, MediaSession, SessionConfig};
use rand::SeedableRng;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Instant;

struct Side {
    dtls: DtlsSrtp,
    media: MediaSession,
    addr: SocketAddr,
}

fn side(local: SocketAddr, remote: SocketAddr, backend: DtlsBackend, id: &DtlsIdentity) -> Side {
    let mut cfg = SessionConfig::new(local, remote);
    cfg.security = MediaSecurity::Pending;
    let rng = Box::new(rand::rngs::StdRng::seed_from_u64(u64::from(local.port())));
    Side {
        dtls: DtlsSrtp::new(
            DtlsConfig {
                backend,
                ..DtlsConfig::default()
            },
            id.clone(),
            remote,
        ),
        media: MediaSession::new(cfg, Instant::now(), 0, rng).unwrap(),
        addr: local,
    }
}

/// One complete handshake, lossless, in memory; returns both keyed sides.
fn handshake(backend: DtlsBackend, ia: &DtlsIdentity, ib: &DtlsIdentity) -> (Side, Side) {
    let (aa, ba): (SocketAddr, SocketAddr) = (
        "127.0.0.1:4000".parse().unwrap(),
        "127.0.0.1:5000".parse().unwrap(),
    );
    let now = Instant::now();
    let mut a = side(aa, ba, backend, ia);
    let mut b = side(ba, aa, backend, ib);
    let ra = RemoteDtls::new(DtlsRole::Client, vec![ib.fingerprint().clone()]);
    let rb = RemoteDtls::new(DtlsRole::Server, vec![ia.fingerprint().clone()]);
    a.dtls.set_remote(now, ra, &mut a.media).unwrap();
    b.dtls.set_remote(now, rb, &mut b.media).unwrap();
    let mut buf = [0u8; 2048];
    while !(a.dtls.is_connected() && b.dtls.is_connected()) {
        while let Some(t) = a.dtls.poll_transmit(&mut buf) {
            b.dtls
                .handle_datagram(now, a.addr, &mut buf[..t.len], &mut b.media);
        }
        while let Some(t) = b.dtls.poll_transmit(&mut buf) {
            a.dtls
                .handle_datagram(now, b.addr, &mut buf[..t.len], &mut a.media);
        }
        assert!(a.dtls.error().is_none() && b.dtls.error().is_none());
    }
    (a, b)
}

fn dtls(c: &mut Criterion) {
    c.bench_function("dtls/identity_generate_ecdsa_p256", |b| {
        b.iter(|| black_box(DtlsIdentity::generate().unwrap()))
    });
    let ia = DtlsIdentity::generate().unwrap();
    let ib = DtlsIdentity::generate().unwrap();
    let backends = [
        Some(("dimpl", DtlsBackend::Dimpl)),
        #[cfg(feature = "dtls-openssl")]
        Some(("openssl", DtlsBackend::OpenSsl)),
    ];
    for (name, backend) in backends.into_iter().flatten() {
        c.bench_function(&format!("dtls/handshake_both_sides/{name}"), |b| {
            b.iter(|| black_box(handshake(backend, &ia, &ib)))
        });
    }

    // Per packet after keying: the same receiver session, with and without
    // the DTLS wrapper in front.
    let (mut a, mut b) = handshake(DtlsBackend::Dimpl, &ia, &ib);
    let t0 = Instant::now();
    let payload = [0xd5u8; 160];
    let mut buf = [0u8; 2048];
    let profile = a.dtls.profile().unwrap();
    c.bench_function(&format!("dtls/frame_direct/{profile}"), |bn| {
        bn.iter(|| {
            a.media.send_frame(black_box(&payload), 160).unwrap();
            let t = a.media.poll_transmit(&mut buf).unwrap();
            b.media.handle_datagram(t0, a.addr, &mut buf[..t.len]);
            black_box(matches!(b.media.pull_frame(), Playout::Frame(_)))
        })
    });
    c.bench_function(
        &format!("dtls/frame_through_dtls_wrapper/{profile}"),
        |bn| {
            bn.iter(|| {
                a.media.send_frame(black_box(&payload), 160).unwrap();
                let t = a.media.poll_transmit(&mut buf).unwrap();
                b.dtls
                    .handle_datagram(t0, a.addr, &mut buf[..t.len], &mut b.media);
                black_box(matches!(b.media.pull_frame(), Playout::Frame(_)))
            })
        },
    );
    assert_eq!(b.media.stats().packets_dropped, 0);
}

criterion_group!(benches, dtls);
criterion_main!(benches);
