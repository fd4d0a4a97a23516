//! DTMF generation and detection: all digits after each codec, the Q.24
//! criteria, and no talk-off on speech.

mod common;
use common::*;
use heron_codecs::dtmf::{
    frequencies, DtmfDetector, DtmfEvent, DtmfGenerator, DtmfToneConfig, DIGITS,
};
use heron_codecs::{open_codec, CodecSpec, Resampler};
use std::f64::consts::PI;

fn detect(rate: u32, pcm: &[i16]) -> Vec<DtmfEvent> {
    let mut d = DtmfDetector::new(rate).unwrap();
    let mut events = Vec::new();
    // Feed in 20 ms frames, as the media path does.
    for f in pcm.chunks(rate as usize / 50) {
        d.process(f, |e| events.push(e));
    }
    events
}

fn begun(events: &[DtmfEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            DtmfEvent::Begin { digit, .. } => Some(*digit),
            DtmfEvent::End { .. } => None,
        })
        .collect()
}

fn generate(rate: u32, digits: &str, config: DtmfToneConfig) -> Vec<i16> {
    let mut g = DtmfGenerator::new(rate, config).unwrap();
    for d in digits.chars() {
        g.push(d).unwrap();
    }
    let mut out = vec![0i16; rate as usize / 10]; // leading silence
    let mut frame = vec![0i16; rate as usize / 50];
    while !g.is_idle() {
        g.fill(&mut frame);
        out.extend_from_slice(&frame);
    }
    out.extend(std::iter::repeat_n(0, rate as usize / 10));
    out
}

/// Encodes and decodes through the codec named, in 20 ms frames.
fn through(name: &str, clock: u32, rate: u32, pcm: &[i16]) -> Vec<i16> {
    let mut spec = CodecSpec::new(name, clock);
    spec.pcm_rate = Some(rate);
    let mut c = open_codec(&spec).unwrap();
    let n = c.frame_samples();
    let mut payload = vec![0u8; c.max_payload_len()];
    let mut frame = vec![0i16; n];
    let mut out = Vec::new();
    for chunk in pcm.chunks_exact(n) {
        let len = c.encode(chunk, &mut payload).unwrap();
        c.decode(&payload[..len], &mut frame).unwrap();
        out.extend_from_slice(&frame);
    }
    out
}

const ALL: &str = "0123456789*#ABCD";

#[test]
fn all_digits_directly_and_after_each_codec() {
    let short = DtmfToneConfig {
        on_ms: 50,
        off_ms: 50,
        ..DtmfToneConfig::default()
    };
    for config in [DtmfToneConfig::default(), short] {
        let pcm8 = generate(8000, ALL, config.clone());
        assert_eq!(begun(&detect(8000, &pcm8)), ALL);
        assert_eq!(
            begun(&detect(8000, &through("PCMU", 8000, 8000, &pcm8))),
            ALL
        );
        assert_eq!(
            begun(&detect(8000, &through("PCMA", 8000, 8000, &pcm8))),
            ALL
        );
        let pcm16 = generate(16000, ALL, config.clone());
        assert_eq!(begun(&detect(16000, &pcm16)), ALL);
        assert_eq!(
            begun(&detect(16000, &through("G722", 8000, 16000, &pcm16))),
            ALL
        );
        assert_eq!(
            begun(&detect(16000, &through("opus", 48000, 16000, &pcm16))),
            ALL,
            "opus, {} ms",
            config.on_ms
        );
    }
    assert_eq!(DIGITS.len(), 16);
}

#[test]
fn begin_and_end_bracket_the_tone() {
    let pcm = generate(8000, "5", DtmfToneConfig::default());
    let ev = detect(8000, &pcm);
    // Tone from 800 to 1600 (100 ms of lead-in, 100 ms on).
    match ev.as_slice() {
        [DtmfEvent::Begin { digit: '5', at: b }, DtmfEvent::End { digit: '5', at: e }] => {
            assert!((720..=800).contains(b), "begin at {b}");
            assert!((1520..=1680).contains(e), "end at {e}");
        }
        other => panic!("{other:?}"),
    }
}

/// Two tones with explicit frequencies, levels (peak amplitude) and length,
/// between 100 ms of silence.
fn tone_pair(rate: u32, f1: f64, a1: f64, f2: f64, a2: f64, ms: usize) -> Vec<i16> {
    let n = rate as usize * ms / 1000;
    let pad = rate as usize / 10;
    let mut out = vec![0i16; pad];
    out.extend((0..n).map(|i| {
        let t = i as f64 / rate as f64;
        (a1 * (2.0 * PI * f1 * t).sin() + a2 * (2.0 * PI * f2 * t).sin()).round() as i16
    }));
    out.extend(std::iter::repeat_n(0, pad));
    out
}

fn amp(dbm0: f64) -> f64 {
    32767.0 * 10f64.powf((dbm0 - heron_codecs::dtmf::FULL_SCALE_DBM0 as f64) / 20.0)
}

#[test]
fn duration_40_ms_detected_20_ms_not() {
    for rate in [8000, 16000] {
        for offset in 0..8 {
            // Shift the tone against the analysis grid.
            let mut pcm = vec![0i16; offset * rate as usize / 8000 * 10];
            pcm.extend(tone_pair(rate, 852.0, amp(-10.0), 1477.0, amp(-10.0), 40));
            assert_eq!(
                begun(&detect(rate, &pcm)),
                "9",
                "40 ms at {rate}, offset {offset}"
            );
            let mut pcm = vec![0i16; offset * rate as usize / 8000 * 10];
            pcm.extend(tone_pair(rate, 852.0, amp(-10.0), 1477.0, amp(-10.0), 20));
            assert_eq!(
                begun(&detect(rate, &pcm)),
                "",
                "20 ms at {rate}, offset {offset}"
            );
        }
    }
}

#[test]
fn frequency_tolerance() {
    for d in DIGITS {
        let (lo, hi) = frequencies(d).unwrap();
        let (lo, hi) = (lo as f64, hi as f64);
        for dev in [-0.015, 0.015] {
            let pcm = tone_pair(
                8000,
                lo * (1.0 + dev),
                amp(-10.0),
                hi * (1.0 + dev),
                amp(-10.0),
                60,
            );
            assert_eq!(begun(&detect(8000, &pcm)), d.to_string(), "{d} at {dev:+}");
        }
        for dev in [-0.06, 0.06] {
            let pcm = tone_pair(
                8000,
                lo * (1.0 + dev),
                amp(-10.0),
                hi * (1.0 + dev),
                amp(-10.0),
                60,
            );
            assert_eq!(begun(&detect(8000, &pcm)), "", "{d} at {dev:+}");
        }
    }
}

#[test]
fn level_and_twist_limits() {
    let run = |lo_db: f64, hi_db: f64| {
        begun(&detect(
            8000,
            &tone_pair(8000, 770.0, amp(lo_db), 1336.0, amp(hi_db), 60),
        ))
    };
    assert_eq!(run(-25.0, -25.0), "5");
    assert_eq!(run(-35.0, -35.0), "");
    assert_eq!(run(-4.0, -10.0), "5", "6 dB normal twist");
    assert_eq!(run(-4.0, -14.0), "", "10 dB normal twist");
    assert_eq!(run(-10.0, -6.0), "5", "4 dB reverse twist");
    assert_eq!(run(-10.0, -2.0), "", "8 dB reverse twist");
}

#[test]
fn a_repeated_digit_with_a_40_ms_pause_counts_twice() {
    let config = DtmfToneConfig {
        on_ms: 50,
        off_ms: 40,
        ..DtmfToneConfig::default()
    };
    assert_eq!(begun(&detect(8000, &generate(8000, "77", config))), "77");
}

#[test]
fn no_talk_off_on_speech() {
    let speech16 = speech16k();
    assert_eq!(detect(16000, &speech16), vec![], "speech at 16 kHz");
    assert_eq!(
        detect(16000, &through("G722", 8000, 16000, &speech16)),
        vec![]
    );
    let mut down = Resampler::new(16000, 8000).unwrap();
    let mut speech8 = vec![0i16; speech16.len() / 2];
    down.process(&speech16, &mut speech8).unwrap();
    assert_eq!(detect(8000, &speech8), vec![], "speech at 8 kHz");
    assert_eq!(detect(8000, &through("PCMU", 8000, 8000, &speech8)), vec![]);
    assert_eq!(detect(8000, &through("PCMA", 8000, 8000, &speech8)), vec![]);
    // The reference tone mix (440/1000/2500 Hz, music-like) too.
    assert_eq!(detect(8000, &read_s16("pcm8k_2s.s16")), vec![]);
    assert_eq!(detect(16000, &read_s16("pcm16k_2s.s16")), vec![]);
}
