//! Properties over arbitrary input: decoders never panic on any payload,
//! and streaming state makes the output independent of how the input is
//! split into calls.

use heron_codecs::g722::{G722Decoder, G722Encoder};
use heron_codecs::{open_codec, CodecSpec, OpusConfig, Resampler};
use proptest::prelude::*;

/// Splits `len` items at the given cut points (taken modulo `len + 1`).
fn pieces(len: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (len + 1)).collect();
    points.push(0);
    points.push(len);
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| (w[0], w[1])).collect()
}

proptest! {
    #[test]
    fn decoders_take_any_payload(payload in proptest::collection::vec(any::<u8>(), 0..400)) {
        for (name, clock) in [("PCMU", 8000), ("PCMA", 8000), ("G722", 8000), ("opus", 48000)] {
            let mut c = open_codec(&CodecSpec::new(name, clock)).unwrap();
            let mut pcm = vec![0i16; 5760];
            if let Ok(n) = c.decode(&payload, &mut pcm) {
                prop_assert!(n <= pcm.len());
            }
            let _ = c.conceal(Some(&payload), &mut pcm);
            let _ = c.conceal(None, &mut pcm);
        }
    }

    #[test]
    fn fmtp_parser_takes_any_text(text in ".{0,80}") {
        let _ = OpusConfig::from_fmtp(&text);
    }

    #[test]
    fn g722_is_independent_of_call_size(
        pcm in proptest::collection::vec(any::<i16>(), 0..1200),
        cuts in proptest::collection::vec(0usize..1200, 0..6),
    ) {
        let even = pcm.len() & !1;
        let pcm = &pcm[..even];
        let mut whole = vec![0u8; even / 2];
        G722Encoder::new().encode(pcm, &mut whole);
        let mut enc = G722Encoder::new();
        let mut split = vec![0u8; even / 2];
        for (a, b) in pieces(even / 2, &cuts) {
            enc.encode(&pcm[2 * a..2 * b], &mut split[a..b]);
        }
        prop_assert_eq!(&whole, &split);

        let mut dec_whole = vec![0i16; even];
        G722Decoder::new().decode(&whole, &mut dec_whole);
        let mut dec = G722Decoder::new();
        let mut dec_split = vec![0i16; even];
        for (a, b) in pieces(even / 2, &cuts) {
            dec.decode(&whole[a..b], &mut dec_split[2 * a..2 * b]);
        }
        prop_assert_eq!(dec_whole, dec_split);
    }

    #[test]
    fn resampler_is_independent_of_call_size(
        pcm in proptest::collection::vec(any::<i16>(), 0..2000),
        cuts in proptest::collection::vec(0usize..2000, 0..6),
        pair in 0usize..12,
    ) {
        let rates = [8000, 16000, 24000, 48000];
        let from = rates[pair / 3];
        let to = rates.iter().copied().filter(|&r| r != from).nth(pair % 3).unwrap();
        let mut r = Resampler::new(from, to).unwrap();
        let mut whole = vec![0i16; r.max_output_len(pcm.len())];
        let n = r.process(&pcm, &mut whole).unwrap();
        whole.truncate(n);
        let mut r = Resampler::new(from, to).unwrap();
        let mut split = Vec::new();
        for (a, b) in pieces(pcm.len(), &cuts) {
            let mut out = vec![0i16; r.max_output_len(b - a)];
            let m = r.process(&pcm[a..b], &mut out).unwrap();
            split.extend_from_slice(&out[..m]);
        }
        prop_assert_eq!(whole, split);
    }
}
