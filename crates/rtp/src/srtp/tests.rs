//! SRTP against the published vectors in ../shared/testdata/vectors and
//! behaviour tests (ROC, replay, MKI, lifetime, tampering).

use super::backend::{CtrCipher, RustCryptoCtr};
use super::kdf::{Kdf, Label};
use super::*;
use serde_json::Value;

fn vector(name: &str) -> Value {
    let path = format!(
        "{}/../../../shared/testdata/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("vector JSON")
}

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

#[test]
fn rfc3711_b2_keystream() {
    let v = vector("rfc3711_b2_aes_cm_keystream.json");
    let key = hx(&v["session_key_hex"]);
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&hx(&v["offset_hex"]));
    let blocks = v["keystream_segment_length_blocks"].as_u64().unwrap() as usize;
    let mut ks = vec![0u8; blocks * 16];
    RustCryptoCtr::new(&key)
        .unwrap()
        .apply_keystream(&iv, &mut ks);
    for b in v["blocks"].as_array().unwrap() {
        let i = b["block_index"].as_u64().unwrap() as usize;
        assert_eq!(
            ks[16 * i..16 * i + 16],
            hx(&b["keystream_hex"])[..],
            "block {i}"
        );
    }
}

#[test]
fn rfc3711_b3_key_derivation() {
    let v = vector("rfc3711_b3_key_derivation.json");
    let mk = hx(&v["master_key_hex"]);
    let ms = hx(&v["master_salt_hex"]);
    for d in v["derivations"].as_array().unwrap() {
        let label = match hx(&d["label_hex"])[0] {
            0 => Label::RtpEncryption,
            1 => Label::RtpAuth,
            2 => Label::RtpSalt,
            other => panic!("label {other}"),
        };
        let mut out = vec![0u8; d["output_length_octets"].as_u64().unwrap() as usize];
        Kdf::new(&mk, &ms).unwrap().derive(label, &mut out);
        assert_eq!(out, hx(&d["output_hex"]), "{}", d["name"]);
    }
}

fn gcm_profile(alg: &str) -> SrtpProfile {
    match alg {
        "AEAD_AES_128_GCM" => SrtpProfile::AeadAes128Gcm,
        "AEAD_AES_256_GCM" => SrtpProfile::AeadAes256Gcm,
        other => panic!("{other}"),
    }
}

#[test]
fn rfc7714_s16_srtp_gcm() {
    let v = vector("rfc7714_s16_srtp_aead_aes_gcm.json");
    let plain = hx(&v["common"]["rtp_packet_hex"]);
    let salt = hx(&v["common"]["salt_hex"]);
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for c in cases {
        let profile = gcm_profile(c["algorithm"].as_str().unwrap());
        let key = hx(&c["key_hex"]);
        let encrypt = c["plaintext_hex"].as_str().unwrap() != "";
        let cfg = SrtpConfig {
            encrypt_rtp: encrypt,
            ..Default::default()
        };
        let expected = hx(&c["srtp_packet_hex"]);
        let mut tx = SrtpContext::from_session_keys(profile, &key, &[], &salt, cfg);
        let mut buf = plain.clone();
        buf.resize(plain.len() + tx.rtp_overhead(), 0);
        let n = tx.protect_rtp(&mut buf, plain.len()).unwrap();
        assert_eq!(buf[..n], expected[..], "protect {}", c["id"]);
        let mut rx = SrtpContext::from_session_keys(profile, &key, &[], &salt, cfg);
        let mut got = expected.clone();
        let n = rx.unprotect_rtp(&mut got).unwrap();
        assert_eq!(got[..n], plain[..], "unprotect {}", c["id"]);
        // Tampering with any octet is detected.
        for i in [0, 5, 12, expected.len() - 1] {
            let mut bad = expected.clone();
            bad[i] ^= 1;
            let mut rx = SrtpContext::from_session_keys(profile, &key, &[], &salt, cfg);
            assert!(matches!(
                rx.unprotect_rtp(&mut bad),
                Err(SrtpError::AuthenticationFailed { .. })
            ));
            assert_eq!(rx.stats().auth_failures, 1);
        }
    }
}

#[test]
fn rfc7714_s17_srtcp_gcm() {
    let v = vector("rfc7714_s17_srtcp_aead_aes_gcm.json");
    let plain = hx(&v["common"]["rtcp_packet_hex"]);
    let salt = hx(&v["common"]["salt_hex"]);
    let ssrc = u32::from_str_radix(v["common"]["ssrc_hex"].as_str().unwrap(), 16).unwrap();
    let index = u32::from_str_radix(v["common"]["srtcp_index_hex"].as_str().unwrap(), 16).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for c in cases {
        let profile = gcm_profile(c["algorithm"].as_str().unwrap());
        let key = hx(&c["key_hex"]);
        let encrypt = c["plaintext_hex"].as_str().unwrap() != "";
        let cfg = SrtpConfig {
            encrypt_rtcp: encrypt,
            ..Default::default()
        };
        let expected = hx(&c["srtcp_packet_hex"]);
        let mut tx = SrtpContext::from_session_keys(profile, &key, &[], &salt, cfg);
        tx.set_tx_srtcp_index(ssrc, index);
        let mut buf = plain.clone();
        buf.resize(plain.len() + tx.rtcp_overhead(), 0);
        let n = tx.protect_rtcp(&mut buf, plain.len()).unwrap();
        assert_eq!(buf[..n], expected[..], "protect {}", c["id"]);
        let mut rx =
            SrtpContext::from_session_keys(profile, &key, &[], &salt, SrtpConfig::default());
        let mut got = expected.clone();
        let n = rx.unprotect_rtcp(&mut got).unwrap();
        assert_eq!(got[..n], plain[..], "unprotect {}", c["id"]);
        let mut bad = expected.clone();
        bad[9] ^= 0x80;
        let mut rx = SrtpContext::new_for_test(profile, &key, &salt);
        assert!(matches!(
            rx.unprotect_rtcp(&mut bad),
            Err(SrtpError::AuthenticationFailed { .. })
        ));
    }
}

impl SrtpContext {
    fn new_for_test(profile: SrtpProfile, key: &[u8], salt: &[u8]) -> Self {
        SrtpContext::from_session_keys(profile, key, &[], salt, SrtpConfig::default())
    }
}

fn rtp(seq: u16, ssrc: u32, payload_len: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    p.extend((0..payload_len).map(|i| (i as u8) ^ (seq as u8)));
    p
}

fn master(profile: SrtpProfile, seed: u8) -> MasterKey {
    let k: Vec<u8> = (0..profile.key_len() + profile.salt_len())
        .map(|i| seed.wrapping_mul(31).wrapping_add(i as u8))
        .collect();
    MasterKey::from_key_salt(profile, &k).unwrap()
}

fn protect(tx: &mut SrtpContext, p: &[u8]) -> Vec<u8> {
    let mut b = p.to_vec();
    b.resize(p.len() + tx.rtp_overhead(), 0);
    let n = tx.protect_rtp(&mut b, p.len()).unwrap();
    b.truncate(n);
    b
}

#[test]
fn round_trip_every_profile_rtp_and_rtcp() {
    for profile in SrtpProfile::ALL {
        let mk = master(profile, 7);
        let mut tx =
            SrtpContext::new(profile, std::slice::from_ref(&mk), SrtpConfig::default()).unwrap();
        let mut rx = SrtpContext::new(profile, &[mk], SrtpConfig::default()).unwrap();
        for seq in 0..5u16 {
            let p = rtp(seq, 0x1234, 160);
            let mut s = protect(&mut tx, &p);
            assert_eq!(s.len(), p.len() + profile.rtp_tag_len());
            assert_ne!(s[12..172], p[12..]);
            let n = rx.unprotect_rtp(&mut s).unwrap();
            assert_eq!(s[..n], p[..], "{profile}");
        }
        let mut rtcp = vec![0x80, 201, 0, 1, 0, 0, 0x12, 0x34];
        let plain = rtcp.clone();
        rtcp.resize(8 + tx.rtcp_overhead(), 0);
        let n = tx.protect_rtcp(&mut rtcp, 8).unwrap();
        rtcp.truncate(n);
        let n = rx.unprotect_rtcp(&mut rtcp).unwrap();
        assert_eq!(rtcp[..n], plain[..], "{profile}");
    }
}

#[test]
fn every_payload_length_round_trips_across_the_early_keystream() {
    // Unprotect makes the first 256 keystream octets before checking the
    // tag and the rest after; protect makes it in one pass. Lengths around
    // the split and the block edges, checked against the keystream itself.
    for profile in [
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::Aes256CmHmacSha1_32,
    ] {
        let mk = master(profile, 3);
        let mut tx =
            SrtpContext::new(profile, std::slice::from_ref(&mk), SrtpConfig::default()).unwrap();
        let mut rx = SrtpContext::new(profile, &[mk], SrtpConfig::default()).unwrap();
        for (seq, len) in [
            0usize, 1, 15, 16, 17, 240, 255, 256, 257, 272, 300, 1000, 1400,
        ]
        .into_iter()
        .enumerate()
        {
            let p = rtp(seq as u16, 0x77, len);
            let mut s = protect(&mut tx, &p);
            let n = rx.unprotect_rtp(&mut s).unwrap();
            assert_eq!(s[..n], p[..], "{profile} payload {len}");
            // A tampered packet is refused and its payload is not decrypted.
            let mut bad = protect(&mut tx, &rtp(seq as u16 + 100, 0x77, len));
            let cipher = bad.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(rx.unprotect_rtp(&mut bad).is_err());
            assert_eq!(bad[..last], cipher[..last], "{profile} payload {len}");
        }
    }
}

#[test]
fn roc_across_the_sequence_wrap_with_reordering() {
    let profile = SrtpProfile::Aes128CmHmacSha1_80;
    let mk = master(profile, 1);
    let mut tx =
        SrtpContext::new(profile, std::slice::from_ref(&mk), SrtpConfig::default()).unwrap();
    let mut rx = SrtpContext::new(profile, &[mk], SrtpConfig::default()).unwrap();
    let seqs: Vec<u16> = (65500u32..65600).map(|s| s as u16).collect();
    let mut packets: Vec<(u16, Vec<u8>)> = seqs
        .iter()
        .map(|&s| (s, protect(&mut tx, &rtp(s, 9, 40))))
        .collect();
    assert_eq!(tx.tx_roc(9), Some(1));
    // Swap neighbours around the wrap: 65535 arrives after 0.
    let a = packets.iter().position(|(s, _)| *s == 65535).unwrap();
    packets.swap(a, a + 1);
    for (s, mut p) in packets {
        let n = rx
            .unprotect_rtp(&mut p)
            .unwrap_or_else(|e| panic!("seq {s}: {e}"));
        assert_eq!(p[..n], rtp(s, 9, 40)[..]);
    }
    assert_eq!(rx.rx_roc(9), Some(1));
}

#[test]
fn replays_and_old_packets_are_dropped_and_counted() {
    let profile = SrtpProfile::AeadAes128Gcm;
    let mk = master(profile, 2);
    let mut tx =
        SrtpContext::new(profile, std::slice::from_ref(&mk), SrtpConfig::default()).unwrap();
    let mut rx = SrtpContext::new(profile, &[mk], SrtpConfig::default()).unwrap();
    let first = protect(&mut tx, &rtp(10, 5, 20));
    let mut p = first.clone();
    rx.unprotect_rtp(&mut p).unwrap();
    let mut again = first.clone();
    assert!(matches!(
        rx.unprotect_rtp(&mut again),
        Err(SrtpError::Replayed { index: 10, .. })
    ));
    for s in 11..300u16 {
        let mut p = protect(&mut tx, &rtp(s, 5, 20));
        rx.unprotect_rtp(&mut p).unwrap();
    }
    let mut old = first.clone();
    assert!(matches!(
        rx.unprotect_rtp(&mut old),
        Err(SrtpError::TooOld { .. })
    ));
    assert_eq!(rx.stats().replays, 2);
    assert_eq!(rx.stats().rtp_unprotected, 290);
}

#[test]
fn srtcp_replay_is_dropped() {
    let profile = SrtpProfile::Aes128CmHmacSha1_32;
    let mk = master(profile, 3);
    let mut tx =
        SrtpContext::new(profile, std::slice::from_ref(&mk), SrtpConfig::default()).unwrap();
    let mut rx = SrtpContext::new(profile, &[mk], SrtpConfig::default()).unwrap();
    let mut b = vec![0x80, 201, 0, 1, 0, 0, 0, 9];
    b.resize(8 + tx.rtcp_overhead(), 0);
    let n = tx.protect_rtcp(&mut b, 8).unwrap();
    assert_eq!(
        n,
        8 + 4 + 10,
        "SRTCP keeps an 80-bit tag in the _32 profile"
    );
    let copy = b.clone();
    rx.unprotect_rtcp(&mut b).unwrap();
    let mut again = copy;
    assert!(matches!(
        rx.unprotect_rtcp(&mut again),
        Err(SrtpError::Replayed { .. })
    ));
}

#[test]
fn mki_selects_the_key_and_lifetime_rolls_over() {
    let profile = SrtpProfile::Aes128CmHmacSha1_80;
    let k1 = master(profile, 4)
        .with_mki(&[0, 0, 0, 1])
        .unwrap()
        .with_lifetime(3);
    let k2 = master(profile, 5).with_mki(&[0, 0, 0, 2]).unwrap();
    let mut tx =
        SrtpContext::new(profile, &[k1.clone(), k2.clone()], SrtpConfig::default()).unwrap();
    let mut rx = SrtpContext::new(profile, &[k1, k2], SrtpConfig::default()).unwrap();
    assert_eq!(tx.rtp_overhead(), 14);
    for s in 0..6u16 {
        let p = rtp(s, 1, 30);
        let mut sp = protect(&mut tx, &p);
        let expect_mki = if s < 3 { 1 } else { 2 };
        assert_eq!(sp[p.len()..p.len() + 4], [0, 0, 0, expect_mki]);
        let n = rx.unprotect_rtp(&mut sp).unwrap();
        assert_eq!(sp[..n], p[..]);
    }
    assert_eq!(tx.active_key(), 1);
    let mut sp = protect(&mut tx, &rtp(6, 1, 30));
    sp[42] = 9;
    assert_eq!(rx.unprotect_rtp(&mut sp), Err(SrtpError::UnknownMki));
}

#[test]
fn exhausted_single_key_refuses_to_protect() {
    let profile = SrtpProfile::AeadAes256Gcm;
    let k = master(profile, 6).with_lifetime(1);
    let mut tx = SrtpContext::new(profile, &[k], SrtpConfig::default()).unwrap();
    protect(&mut tx, &rtp(1, 1, 10));
    let mut b = rtp(2, 1, 10);
    let n = b.len();
    b.resize(n + 16, 0);
    assert_eq!(tx.protect_rtp(&mut b, n), Err(SrtpError::KeyExhausted));
}

#[test]
fn short_and_malformed_input_is_rejected() {
    for profile in SrtpProfile::ALL {
        let mut rx =
            SrtpContext::new(profile, &[master(profile, 8)], SrtpConfig::default()).unwrap();
        assert!(rx.unprotect_rtp(&mut [0x80, 0, 0, 1]).is_err());
        assert!(rx.unprotect_rtp(&mut [0x80; 14]).is_err());
        assert!(rx.unprotect_rtcp(&mut [0x80, 200, 0, 0]).is_err());
        let mut tx =
            SrtpContext::new(profile, &[master(profile, 8)], SrtpConfig::default()).unwrap();
        let mut small = rtp(1, 1, 10);
        let n = small.len();
        assert!(matches!(
            tx.protect_rtp(&mut small, n),
            Err(SrtpError::BufferTooSmall { .. })
        ));
    }
}

#[test]
fn debug_output_redacts_keys() {
    let k = MasterKey::new(&[0xab; 16], &[0xcd; 14]).unwrap();
    let s = format!("{k:?}");
    assert!(
        !s.contains("171") && !s.contains("ab, ") && s.contains("redacted"),
        "{s}"
    );
}

proptest::proptest! {
    #[test]
    fn unprotect_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..120), gcm in proptest::bool::ANY) {
        let profile = if gcm { SrtpProfile::AeadAes128Gcm } else { SrtpProfile::Aes128CmHmacSha1_80 };
        let mut rx = SrtpContext::new(profile, &[master(profile, 9)], SrtpConfig::default()).unwrap();
        let mut a = data.clone();
        let _ = rx.unprotect_rtp(&mut a);
        let mut b = data;
        let _ = rx.unprotect_rtcp(&mut b);
    }
}

#[test]
fn several_ssrcs_keep_their_state_and_the_oldest_is_forgotten() {
    // The first SSRC per direction is stored inline and the others in a
    // vector: each keeps its own sequence state and replay window, and
    // past `max_streams` the oldest is forgotten (a replay of its packet
    // is then taken as a new stream's first packet).
    let profile = SrtpProfile::Aes128CmHmacSha1_80;
    let mk = master(profile, 4);
    let config = SrtpConfig {
        max_streams: 3,
        ..SrtpConfig::default()
    };
    let mut tx = SrtpContext::new(profile, std::slice::from_ref(&mk), config).unwrap();
    let mut rx = SrtpContext::new(profile, &[mk], config).unwrap();
    let mut sent = Vec::new();
    for ssrc in [1u32, 2, 3] {
        let p = protect(&mut tx, &rtp(1000 * ssrc as u16, ssrc, 30));
        let mut q = p.clone();
        assert_eq!(rx.unprotect_rtp(&mut q).unwrap(), 42);
        sent.push(p);
    }
    // Each SSRC's window holds its own packet.
    for p in &sent {
        let mut q = p.clone();
        assert!(matches!(
            rx.unprotect_rtp(&mut q),
            Err(SrtpError::Replayed { .. })
        ));
    }
    tx.set_tx_roc(2, 7, 2000);
    assert_eq!(
        (tx.tx_roc(1), tx.tx_roc(2), tx.tx_roc(3)),
        (Some(0), Some(7), Some(0))
    );
    // A fourth SSRC evicts SSRC 1 (the inline one) on both sides.
    let mut q = protect(&mut tx, &rtp(5, 4, 30));
    assert_eq!(tx.tx_roc(1), None);
    assert_eq!(tx.tx_roc(2), Some(7));
    rx.unprotect_rtp(&mut q).unwrap();
    assert_eq!(rx.rx_roc(1), None);
    assert_eq!(rx.rx_roc(4), Some(0));
    for p in &sent[1..] {
        let mut q = p.clone();
        assert!(matches!(
            rx.unprotect_rtp(&mut q),
            Err(SrtpError::Replayed { .. })
        ));
    }
    // SSRC 1 was forgotten: its old packet is accepted as a new stream's.
    let mut q = sent[0].clone();
    assert_eq!(rx.unprotect_rtp(&mut q).unwrap(), 42);
    assert_eq!(rx.rx_roc(2), None);
    assert_eq!(rx.stats().rtp_unprotected, 5);
}
