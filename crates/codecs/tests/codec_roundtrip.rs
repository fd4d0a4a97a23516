//! Every codec through the `Codec` interface: round trips with SNR
//! thresholds, concealment, Opus FEC recovery.

mod common;
use common::*;
use heron_codecs::{open_codec, Codec, CodecError, CodecSpec};

fn run(codec: &mut dyn Codec, pcm: &[i16]) -> Vec<i16> {
    let n = codec.frame_samples();
    let mut payload = vec![0u8; codec.max_payload_len()];
    let mut out = Vec::with_capacity(pcm.len());
    let mut frame = vec![0i16; n];
    for chunk in pcm.chunks_exact(n) {
        let len = codec.encode(chunk, &mut payload).unwrap();
        let got = codec.decode(&payload[..len], &mut frame).unwrap();
        assert_eq!(got, n);
        out.extend_from_slice(&frame);
    }
    out
}

/// Best SNR over delays 0..max_delay (codecs add latency).
fn best_snr(reference: &[i16], test: &[i16], max_delay: usize) -> (f64, usize) {
    (0..max_delay)
        .map(|d| (snr_db(reference, test, d), d))
        .fold((f64::MIN, 0), |a, b| if b.0 > a.0 { b } else { a })
}

#[test]
fn g711_round_trips() {
    let pcm = read_s16("pcm8k_2s.s16");
    for name in ["PCMU", "PCMA"] {
        let mut c = open_codec(&CodecSpec::new(name, 8000)).unwrap();
        let out = run(c.as_mut(), &pcm);
        let snr = snr_db(&pcm, &out, 0);
        assert!(snr > 37.0, "{name}: {snr:.1} dB");
    }
}

#[test]
fn g722_round_trip_is_the_reference_decoding() {
    let pcm = read_s16("pcm16k_2s.s16");
    let mut c = open_codec(&CodecSpec::new("G722", 8000)).unwrap();
    let out = run(c.as_mut(), &pcm);
    assert_eq!(out, read_s16("pcm16k_2s.g722.dec.s16"));
    let (snr, delay) = best_snr(&pcm, &out, 40);
    assert_eq!(delay, 22);
    assert!(snr > 30.0, "{snr:.1} dB");
}

#[test]
fn opus_round_trips_at_every_pipeline_rate() {
    let pcm16 = read_s16("pcm16k_2s.s16");
    for rate in [8000u32, 16000, 24000, 48000] {
        // The reference signal at 16 kHz, brought to `rate` by repetition
        // or decimation is not band-limited: use a tone mix instead.
        let pcm: Vec<i16> = (0..rate as usize * 2)
            .map(|i| {
                let t = i as f64 / rate as f64;
                (6000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                    + 3000.0 * (2.0 * std::f64::consts::PI * 1000.0 * t).sin())
                    as i16
            })
            .collect();
        let mut spec = CodecSpec::new("opus", 48000);
        spec.pcm_rate = Some(rate);
        spec.fmtp = Some("maxaveragebitrate=32000");
        let mut c = open_codec(&spec).unwrap();
        assert_eq!(c.frame_samples(), rate as usize / 50);
        let out = run(c.as_mut(), &pcm);
        // Opus is perceptual: skip the first 100 ms while it settles.
        let skip = rate as usize / 10;
        let (snr, _) = best_snr(&pcm[skip..], &out[skip..], rate as usize / 100 * 2);
        assert!(snr > 10.0, "opus at {rate}: {snr:.1} dB");
    }
    assert!(!pcm16.is_empty());
}

/// Encodes all frames of `pcm`, returning the payloads.
fn encode_all(codec: &mut dyn Codec, pcm: &[i16]) -> Vec<Vec<u8>> {
    let mut buf = vec![0u8; codec.max_payload_len()];
    pcm.chunks_exact(codec.frame_samples())
        .map(|f| {
            let n = codec.encode(f, &mut buf).unwrap();
            buf[..n].to_vec()
        })
        .collect()
}

#[test]
fn opus_fec_recovers_a_dropped_packet_better_than_plc() {
    let pcm = speech16k();
    let mut spec = CodecSpec::new("opus", 48000);
    spec.pcm_rate = Some(16000);
    spec.fmtp = Some("useinbandfec=1; maxaveragebitrate=32000");
    let mut enc = open_codec(&spec).unwrap();
    let packets = encode_all(enc.as_mut(), &pcm);
    let lost = 50; // 1 s in, in the middle of a word
    let frame = 320;

    // Reference: everything received.
    let mut all = open_codec(&spec).unwrap();
    let mut clean = vec![0i16; frame * packets.len()];
    for (p, o) in packets.iter().zip(clean.chunks_mut(frame)) {
        all.decode(p, o).unwrap();
    }

    let decode_with_loss = |use_fec: bool| -> Vec<i16> {
        let mut c = open_codec(&spec).unwrap();
        let mut out = vec![0i16; frame * packets.len()];
        for (i, o) in out.chunks_mut(frame).enumerate() {
            if i == lost {
                let next = use_fec.then(|| packets[i + 1].as_slice());
                assert_eq!(c.conceal(next, o).unwrap(), frame);
            } else {
                c.decode(&packets[i], o).unwrap();
            }
        }
        out
    };
    let range = lost * frame..(lost + 1) * frame;
    let fec = decode_with_loss(true);
    let plc = decode_with_loss(false);
    let snr_fec = snr_db(&clean[range.clone()], &fec[range.clone()], 0);
    let snr_plc = snr_db(&clean[range.clone()], &plc[range.clone()], 0);
    eprintln!("FEC {snr_fec:.1} dB vs PLC {snr_plc:.1} dB");
    assert!(
        snr_fec > snr_plc + 3.0,
        "FEC {snr_fec:.1} dB vs PLC {snr_plc:.1} dB"
    );
    assert!(snr_fec > 5.0, "FEC {snr_fec:.1} dB");
}

fn concealment_snr(name: &str, pcm: &[i16], frame: usize, lost: usize) -> f64 {
    let mut c = open_codec(&CodecSpec::new(name, 8000)).unwrap();
    let packets = encode_all(c.as_mut(), pcm);
    c.reset();
    let mut clean = vec![0i16; frame * packets.len()];
    for (p, o) in packets.iter().zip(clean.chunks_mut(frame)) {
        c.decode(p, o).unwrap();
    }
    c.reset();
    let mut out = vec![0i16; frame * packets.len()];
    for (i, o) in out.chunks_mut(frame).enumerate() {
        if i == lost {
            c.conceal(Some(&packets[i + 1]), o).unwrap();
        } else {
            c.decode(&packets[i], o).unwrap();
        }
    }
    // Concealed frame and the one after (ADPCM re-convergence).
    let r = lost * frame..(lost + 2) * frame;
    snr_db(&clean[r.clone()], &out[r], 0)
}

#[test]
fn g711_and_g722_conceal_a_lost_frame_of_a_steady_signal() {
    // A steady two-tone signal: repetition must follow it closely.
    let tone = |rate: f64, n: usize| -> Vec<i16> {
        (0..n)
            .map(|i| {
                let t = i as f64 / rate;
                (8000.0 * (2.0 * std::f64::consts::PI * 250.0 * t).sin()
                    + 4000.0 * (2.0 * std::f64::consts::PI * 500.0 * t).sin())
                    as i16
            })
            .collect()
    };
    let snr = concealment_snr("PCMU", &tone(8000.0, 8000), 160, 20);
    eprintln!("PCMU concealment {snr:.1} dB");
    assert!(snr > 10.0, "PCMU concealment {snr:.1} dB");
    let snr = concealment_snr("G722", &tone(16000.0, 16000), 320, 20);
    eprintln!("G.722 concealment {snr:.1} dB");
    assert!(snr > 10.0, "G.722 concealment {snr:.1} dB");
}

#[test]
fn errors_for_bad_frames_and_small_buffers() {
    let mut g722 = open_codec(&CodecSpec::new("G722", 8000)).unwrap();
    let mut out = [0u8; 10];
    assert!(matches!(
        g722.encode(&[0; 3], &mut out),
        Err(CodecError::FrameLength { len: 3, .. })
    ));
    assert!(matches!(
        g722.encode(&[0; 40], &mut out),
        Err(CodecError::OutputTooSmall {
            needed: 20,
            got: 10,
            ..
        })
    ));
    let mut opus = open_codec(&CodecSpec::new("opus", 48000)).unwrap();
    let mut buf = [0u8; 1500];
    assert!(matches!(
        opus.encode(&[0; 100], &mut buf),
        Err(CodecError::FrameLength { .. })
    ));
    let mut pcm = [0i16; 960];
    assert!(opus.decode(&[], &mut pcm).is_err());
    // Garbage never panics.
    let _ = opus.decode(&[0xff, 0xff, 0xff], &mut pcm);
    let mut spec = CodecSpec::new("opus", 48000);
    spec.fmtp = Some("useinbandfec=yes");
    assert!(matches!(open_codec(&spec), Err(CodecError::Fmtp { .. })));
}

#[test]
fn g722_recovers_after_lost_frames_of_speech() {
    // The decoder's ADPCM state follows the concealment through the loss,
    // so decoding converges again soon after: measured over the 3 frames
    // after each loss, at 20 positions in the speech sample.
    let pcm = speech16k();
    let frame = 320;
    let mut enc = open_codec(&CodecSpec::new("G722", 8000)).unwrap();
    let packets = encode_all(enc.as_mut(), &pcm);
    let mut clean_dec = open_codec(&CodecSpec::new("G722", 8000)).unwrap();
    let mut clean = vec![0i16; frame * packets.len()];
    for (p, o) in packets.iter().zip(clean.chunks_mut(frame)) {
        clean_dec.decode(p, o).unwrap();
    }
    for (burst, min_db) in [(1usize, 8.0), (3, 2.5)] {
        let (mut total, mut count) = (0.0, 0);
        for lost in (20..480).step_by(23) {
            let mut d = open_codec(&CodecSpec::new("G722", 8000)).unwrap();
            let mut out = vec![0i16; frame * packets.len()];
            for (i, o) in out.chunks_mut(frame).enumerate().take(lost + burst + 3) {
                if (lost..lost + burst).contains(&i) {
                    assert_eq!(d.conceal(None, o).unwrap(), frame);
                } else {
                    d.decode(&packets[i], o).unwrap();
                }
            }
            let r = (lost + burst) * frame..(lost + burst + 3) * frame;
            let snr = snr_db(&clean[r.clone()], &out[r], 0);
            if snr.is_finite() {
                total += snr.clamp(-10.0, 60.0);
                count += 1;
            }
        }
        let mean = total / count as f64;
        eprintln!("G.722 after {burst} lost: {mean:.1} dB");
        assert!(mean > min_db, "after {burst} lost frames: {mean:.1} dB");
    }
}
