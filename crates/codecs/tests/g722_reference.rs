//! G.722 against the spandsp 0.0.6 reference vectors, bit for bit.

mod common;
use common::*;
use heron_codecs::g722::{G722Decoder, G722Encoder};

#[test]
fn encoder_matches_reference_in_20ms_calls() {
    let pcm = read_s16("pcm16k_2s.s16");
    assert_eq!(pcm.len(), 32000);
    let want = read_bytes("pcm16k_2s.g722");
    let mut enc = G722Encoder::new();
    let mut got = vec![0u8; 16000];
    for (p, o) in pcm.chunks(320).zip(got.chunks_mut(160)) {
        assert_eq!(enc.encode(p, o), 160);
    }
    let first = got.iter().zip(&want).position(|(a, b)| a != b);
    assert!(first.is_none(), "first mismatch at octet {first:?}");
}

#[test]
fn encoder_output_does_not_depend_on_call_size() {
    let pcm = read_s16("pcm16k_2s.s16");
    let want = read_bytes("pcm16k_2s.g722");
    let mut enc = G722Encoder::new();
    let mut got = vec![0u8; 16000];
    let mut at = 0;
    // Uneven even-sized chunks.
    for (i, size) in [2usize, 40, 18, 320, 960, 114].iter().cycle().enumerate() {
        if at >= pcm.len() {
            break;
        }
        let end = (at + size).min(pcm.len());
        let n = enc.encode(&pcm[at..end], &mut got[at / 2..end / 2]);
        assert_eq!(n, (end - at) / 2, "call {i}");
        at = end;
    }
    assert!(got == want);
}

#[test]
fn decoder_matches_reference_in_160_octet_calls() {
    let codes = read_bytes("pcm16k_2s.g722");
    let want = read_s16("pcm16k_2s.g722.dec.s16");
    let mut dec = G722Decoder::new();
    let mut got = vec![0i16; 32000];
    for (c, o) in codes.chunks(160).zip(got.chunks_mut(320)) {
        assert_eq!(dec.decode(c, o), 320);
    }
    let first = got.iter().zip(&want).position(|(a, b)| a != b);
    assert!(first.is_none(), "first mismatch at sample {first:?}");
    let pcm = read_s16("pcm16k_2s.s16");
    let snr = snr_db(&pcm, &got, 22);
    assert!(snr > 30.0, "SNR {snr:.1} dB");
}

#[test]
fn reset_restores_the_initial_state() {
    let pcm = read_s16("pcm16k_2s.s16");
    let mut enc = G722Encoder::new();
    let mut out = [0u8; 160];
    enc.encode(&pcm[..320], &mut out);
    assert_ne!(enc, G722Encoder::new());
    enc.reset();
    assert_eq!(enc, G722Encoder::new());
    let mut dec = G722Decoder::new();
    let mut pcm_out = [0i16; 320];
    dec.decode(&out, &mut pcm_out);
    dec.reset();
    assert_eq!(dec, G722Decoder::new());
}
