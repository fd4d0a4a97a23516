//! The OpenSSL backend against itself and against dimpl (two independent
//! DTLS implementations), every profile, RSA peers, loss, timers.
#![allow(clippy::field_reassign_with_default)]

use std::time::{Duration, Instant};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::{X509Builder, X509NameBuilder};

use super::tests::{ids, media_flows, peer, remote, Net, Peer};
use super::*;

const A: &str = "127.0.0.1:43000";
const B: &str = "127.0.0.1:44000";

fn rsa_identity() -> &'static DtlsIdentity {
    static ID: std::sync::OnceLock<DtlsIdentity> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "rsa-peer").unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(&BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap())
            .unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        DtlsIdentity::from_der(
            b.build().to_der().unwrap(),
            key.private_key_to_pkcs8().unwrap(),
        )
    })
}

fn cfg(backend: DtlsBackend, profiles: &[SrtpProfile]) -> DtlsConfig {
    let mut c = DtlsConfig::default();
    c.backend = backend;
    if !profiles.is_empty() {
        c.profiles = profiles.to_vec();
    }
    c
}

/// `client` runs the handshake with `server`; returns both, settled.
fn run(
    client: (DtlsConfig, &DtlsIdentity),
    server: (DtlsConfig, &DtlsIdentity),
    loss: f64,
    seed: u64,
) -> (Peer, Peer, Net) {
    let now = Instant::now();
    let mut c = peer(A, B, client.0, client.1, now, seed);
    let mut s = peer(B, A, server.0, server.1, now, seed + 1);
    c.dtls
        .set_remote(now, remote(DtlsRole::Client, server.1), &mut c.media)
        .unwrap();
    s.dtls
        .set_remote(now, remote(DtlsRole::Server, client.1), &mut s.media)
        .unwrap();
    let mut net = Net::new(now, seed);
    net.loss = loss;
    if loss > 0.0 {
        net.jitter = Duration::from_millis(200);
    }
    net.run(&mut c, &mut s, Duration::from_secs(600));
    (c, s, net)
}

fn check(c: &mut Peer, s: &mut Peer, net: &Net) -> SrtpProfile {
    assert!(c.dtls.is_connected(), "client {:?}", c.dtls.error());
    assert!(s.dtls.is_connected(), "server {:?}", s.dtls.error());
    assert_eq!(c.dtls.keying_material(), s.dtls.keying_material());
    assert_eq!(c.dtls.peer_fingerprint(), Some(s.identity.fingerprint()));
    assert_eq!(s.dtls.peer_fingerprint(), Some(c.identity.fingerprint()));
    assert!(media_flows(c, s, net.now));
    assert!(media_flows(s, c, net.now));
    let p = c.dtls.profile().unwrap();
    assert_eq!(Some(p), s.dtls.profile());
    p
}

const OPENSSL_PROFILES: [SrtpProfile; 4] = [
    SrtpProfile::AeadAes256Gcm,
    SrtpProfile::AeadAes128Gcm,
    SrtpProfile::Aes128CmHmacSha1_80,
    SrtpProfile::Aes128CmHmacSha1_32,
];

#[test]
fn openssl_negotiates_every_profile_in_both_roles() {
    let [ia, ib, _] = ids();
    for p in OPENSSL_PROFILES {
        // The server allows one profile; the client offers all four.
        let (mut c, mut s, net) = run(
            (cfg(DtlsBackend::OpenSsl, &[]), ia),
            (cfg(DtlsBackend::OpenSsl, &[p]), ib),
            0.0,
            1,
        );
        assert_eq!(check(&mut c, &mut s, &net), p);
        // The client offers one; the server allows all four.
        let (mut c, mut s, net) = run(
            (cfg(DtlsBackend::OpenSsl, &[p]), ib),
            (cfg(DtlsBackend::OpenSsl, &[]), ia),
            0.0,
            2,
        );
        assert_eq!(check(&mut c, &mut s, &net), p);
    }
}

#[test]
fn openssl_server_picks_by_its_configured_order() {
    let [ia, ib, _] = ids();
    let order = [SrtpProfile::Aes128CmHmacSha1_32, SrtpProfile::AeadAes128Gcm];
    let (mut c, mut s, net) = run(
        (cfg(DtlsBackend::OpenSsl, &[]), ia),
        (cfg(DtlsBackend::OpenSsl, &order), ib),
        0.0,
        3,
    );
    assert_eq!(
        check(&mut c, &mut s, &net),
        SrtpProfile::Aes128CmHmacSha1_32
    );
}

#[test]
fn dimpl_and_openssl_interoperate_for_each_shared_profile() {
    let [ia, ib, _] = ids();
    for p in &OPENSSL_PROFILES[..3] {
        // OpenSSL server restricted to p, dimpl client.
        let (mut c, mut s, net) = run(
            (cfg(DtlsBackend::Dimpl, &[]), ia),
            (cfg(DtlsBackend::OpenSsl, &[*p]), ib),
            0.0,
            4,
        );
        assert_eq!(check(&mut c, &mut s, &net), *p);
        // OpenSSL client offering only p, dimpl server.
        let (mut c, mut s, net) = run(
            (cfg(DtlsBackend::OpenSsl, &[*p]), ib),
            (cfg(DtlsBackend::Dimpl, &[]), ia),
            0.0,
            5,
        );
        assert_eq!(check(&mut c, &mut s, &net), *p);
    }
}

#[test]
fn openssl_and_dimpl_handshakes_survive_loss() {
    let [ia, ib, _] = ids();
    for seed in 0..6u64 {
        let mut oc = cfg(DtlsBackend::OpenSsl, &[]);
        oc.max_retransmissions = 12;
        oc.handshake_timeout = Duration::from_secs(600);
        let mut dc = cfg(DtlsBackend::Dimpl, &[]);
        dc.max_retransmissions = 12;
        dc.handshake_timeout = Duration::from_secs(600);
        let pairs = [
            (oc.clone(), oc.clone()),
            (oc.clone(), dc.clone()),
            (dc.clone(), oc.clone()),
        ];
        for (i, (client, server)) in pairs.into_iter().enumerate() {
            let (mut c, mut s, mut net) = run((client, ia), (server, ib), 0.3, seed);
            assert!(
                c.dtls.is_connected(),
                "seed {seed} pair {i}: {:?}",
                c.dtls.error()
            );
            net.loss = 0.0;
            check(&mut c, &mut s, &net);
        }
    }
}

#[test]
fn rsa_peer_needs_the_openssl_backend() {
    let [ia, _, _] = ids();
    let rsa = rsa_identity();
    // OpenSSL with an RSA certificate against our OpenSSL backend with the
    // ECDSA one, both roles.
    let (mut c, mut s, net) = run(
        (cfg(DtlsBackend::OpenSsl, &[]), rsa),
        (cfg(DtlsBackend::OpenSsl, &[]), ia),
        0.0,
        6,
    );
    check(&mut c, &mut s, &net);
    let (mut c, mut s, net) = run(
        (cfg(DtlsBackend::OpenSsl, &[]), ia),
        (cfg(DtlsBackend::OpenSsl, &[]), rsa),
        0.0,
        7,
    );
    check(&mut c, &mut s, &net);
    // dimpl cannot: no RSA in either role (the reason for this backend).
    let (c, _s, _) = run(
        (cfg(DtlsBackend::Dimpl, &[]), ia),
        (cfg(DtlsBackend::OpenSsl, &[]), rsa),
        0.0,
        8,
    );
    assert_eq!(c.dtls.state(), DtlsState::Failed);
    let (_c, s, _) = run(
        (cfg(DtlsBackend::OpenSsl, &[]), rsa),
        (cfg(DtlsBackend::Dimpl, &[]), ia),
        0.0,
        9,
    );
    assert_eq!(s.dtls.state(), DtlsState::Failed);
}

#[test]
fn openssl_fingerprint_mismatch_installs_no_keys() {
    let [ia, ib, other] = ids();
    let now = Instant::now();
    let mut c = peer(A, B, cfg(DtlsBackend::OpenSsl, &[]), ia, now, 1);
    let mut s = peer(B, A, cfg(DtlsBackend::OpenSsl, &[]), ib, now, 2);
    c.dtls
        .set_remote(now, remote(DtlsRole::Client, other), &mut c.media)
        .unwrap();
    s.dtls
        .set_remote(now, remote(DtlsRole::Server, ia), &mut s.media)
        .unwrap();
    let mut net = Net::new(now, 1);
    net.run(&mut c, &mut s, Duration::from_secs(60));
    assert!(matches!(
        c.dtls.error(),
        Some(DtlsError::FingerprintMismatch { .. })
    ));
    assert!(c.dtls.keying_material().is_none());
    assert!(!media_flows(&mut s, &mut c, net.now));
}

#[test]
fn openssl_retransmits_on_the_virtual_clock() {
    let [ia, ib, _] = ids();
    let now = Instant::now();
    let mut c = cfg(DtlsBackend::OpenSsl, &[]);
    c.handshake_timeout = Duration::from_secs(100);
    c.max_retransmissions = 3;
    let mut a = peer(A, B, c, ia, now, 1);
    a.dtls
        .set_remote(now, remote(DtlsRole::Client, ib), &mut a.media)
        .unwrap();
    let mut buf = [0u8; 2048];
    let mut times = Vec::new();
    let mut t = now;
    loop {
        while a.dtls.poll_transmit(&mut buf).is_some() {
            times.push(t - now);
        }
        let Some(next) = a.dtls.poll_timeout() else {
            break;
        };
        t = next;
        a.dtls.handle_timeout(t, &mut a.media);
    }
    let s = Duration::from_secs;
    assert_eq!(times, [s(0), s(1), s(3), s(7)]);
    assert_eq!(t, now + s(15));
    assert!(
        matches!(a.dtls.error(), Some(DtlsError::Handshake(m)) if m.contains("3 retransmissions"))
    );
}

#[test]
fn lost_final_flight_is_repaired_for_every_backend_pair() {
    let [ia, ib, _] = ids();
    let kinds = [DtlsBackend::Dimpl, DtlsBackend::OpenSsl];
    for client_kind in kinds {
        for server_kind in kinds {
            let now = Instant::now();
            let mut c = peer(A, B, cfg(client_kind, &[]), ia, now, 1);
            let mut s = peer(B, A, cfg(server_kind, &[]), ib, now, 2);
            c.dtls
                .set_remote(now, remote(DtlsRole::Client, ib), &mut c.media)
                .unwrap();
            s.dtls
                .set_remote(now, remote(DtlsRole::Server, ia), &mut s.media)
                .unwrap();
            let mut buf = [0u8; 2048];
            // Lock-step until the server completes; its final flight is lost.
            for _ in 0..10 {
                while let Some(t) = c.dtls.poll_transmit(&mut buf) {
                    s.dtls
                        .handle_datagram(now, c.addr, &mut buf[..t.len], &mut s.media);
                }
                let done = s.dtls.is_connected();
                let mut lost = 0;
                while let Some(t) = s.dtls.poll_transmit(&mut buf) {
                    if done {
                        lost += 1;
                    } else {
                        c.dtls
                            .handle_datagram(now, s.addr, &mut buf[..t.len], &mut c.media);
                    }
                }
                if done {
                    assert!(lost > 0);
                    break;
                }
            }
            assert!(s.dtls.is_connected() && !c.dtls.is_connected());
            // The client's timer repeats its flight; the server answers with
            // its final flight again.
            let mut net = Net::new(now, 1);
            net.run(&mut c, &mut s, Duration::from_secs(30));
            let pair = (client_kind, server_kind);
            assert!(c.dtls.is_connected(), "{pair:?}: {:?}", c.dtls.error());
            check(&mut c, &mut s, &net);
        }
    }
}
