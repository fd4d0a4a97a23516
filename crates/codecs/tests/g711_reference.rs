//! G.711 against the spandsp 0.0.6 reference vectors, bit for bit.

mod common;
use common::*;
use heron_codecs::g711;

#[test]
fn alaw_encoder_table_matches_every_int16() {
    let pcm = read_s16("g711_all_int16.s16");
    assert_eq!(pcm.len(), 65536);
    let want = read_bytes("g711_all_int16.alaw");
    let mut got = vec![0u8; pcm.len()];
    g711::encode_alaw(&pcm, &mut got);
    assert!(
        got == want,
        "first mismatch at {:?}",
        got.iter().zip(&want).position(|(a, b)| a != b)
    );
}

#[test]
fn ulaw_encoder_table_matches_every_int16() {
    let pcm = read_s16("g711_all_int16.s16");
    let want = read_bytes("g711_all_int16.ulaw");
    let mut got = vec![0u8; pcm.len()];
    g711::encode_ulaw(&pcm, &mut got);
    assert!(
        got == want,
        "first mismatch at {:?}",
        got.iter().zip(&want).position(|(a, b)| a != b)
    );
}

#[test]
fn decoder_tables_match_all_256_codes() {
    let codes: Vec<u8> = (0..=255).collect();
    let mut got = vec![0i16; 256];
    g711::decode_alaw(&codes, &mut got);
    assert_eq!(got, read_s16("g711_all_codes.alaw.dec.s16"));
    g711::decode_ulaw(&codes, &mut got);
    assert_eq!(got, read_s16("g711_all_codes.ulaw.dec.s16"));
}

#[test]
fn two_second_signal_encodes_and_decodes_bit_exact() {
    let pcm = read_s16("pcm8k_2s.s16");
    assert_eq!(pcm.len(), 16000);
    let mut wire = vec![0u8; pcm.len()];
    let mut dec = vec![0i16; pcm.len()];
    // 20 ms calls, as the reference was made.
    for (p, w) in pcm.chunks(160).zip(wire.chunks_mut(160)) {
        g711::encode_alaw(p, w);
    }
    assert!(wire == read_bytes("pcm8k_2s.alaw"));
    g711::decode_alaw(&wire, &mut dec);
    assert_eq!(dec, read_s16("pcm8k_2s.alaw.dec.s16"));
    let snr = snr_db(&pcm, &dec, 0);
    assert!(snr > 37.0, "A-law SNR {snr:.1} dB");

    g711::encode_ulaw(&pcm, &mut wire);
    assert!(wire == read_bytes("pcm8k_2s.ulaw"));
    g711::decode_ulaw(&wire, &mut dec);
    assert_eq!(dec, read_s16("pcm8k_2s.ulaw.dec.s16"));
    let snr = snr_db(&pcm, &dec, 0);
    assert!(snr > 37.0, "u-law SNR {snr:.1} dB");
}
