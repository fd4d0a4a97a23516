//! Criterion benches: every encoder and decoder on one 20 ms frame of the
//! reference signals, Opus through this crate and through libopus directly,
//! and the resampler.

// Direct libopus calls (the comparison baseline for the wrapper) need FFI.
#![allow(unsafe_code)]
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use heron_codecs::g711;
use heron_codecs::g722::{G722Decoder, G722Encoder};
use heron_codecs::{Codec, OpusCodec, OpusConfig, Resampler};

fn load(name: &str) -> Vec<i16> {
    let p = format!(
        "{}/../../../shared/testdata/codecs/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    b.chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

fn g711_benches(c: &mut Criterion) {
    let pcm = load("pcm8k_2s.s16");
    // A loud frame (0.5 s in) so every segment is used.
    let frame = &pcm[4000..4160];
    let mut g = c.benchmark_group("g711");
    g.throughput(Throughput::Elements(160));
    let mut out = [0u8; 160];
    let mut back = [0i16; 160];
    g.bench_function("alaw-encode-20ms", |b| {
        b.iter(|| g711::encode_alaw(black_box(frame), &mut out))
    });
    g711::encode_alaw(frame, &mut out);
    let alaw = out;
    g.bench_function("alaw-decode-20ms", |b| {
        b.iter(|| g711::decode_alaw(black_box(&alaw), &mut back))
    });
    g.bench_function("ulaw-encode-20ms", |b| {
        b.iter(|| g711::encode_ulaw(black_box(frame), &mut out))
    });
    g711::encode_ulaw(frame, &mut out);
    let ulaw = out;
    g.bench_function("ulaw-decode-20ms", |b| {
        b.iter(|| g711::decode_ulaw(black_box(&ulaw), &mut back))
    });
    g.finish();
}

fn g722_benches(c: &mut Criterion) {
    let pcm = load("pcm16k_2s.s16");
    let frame = &pcm[8000..8320];
    let mut g = c.benchmark_group("g722");
    g.throughput(Throughput::Elements(320));
    let mut enc = G722Encoder::new();
    let mut out = [0u8; 160];
    g.bench_function("encode-20ms", |b| {
        b.iter(|| enc.encode(black_box(frame), &mut out))
    });
    let mut codes = vec![0u8; pcm.len() / 2];
    G722Encoder::new().encode(&pcm, &mut codes);
    let frame_codes = &codes[4000..4160];
    let mut dec = G722Decoder::new();
    let mut back = [0i16; 320];
    g.bench_function("decode-20ms", |b| {
        b.iter(|| dec.decode(black_box(frame_codes), &mut back))
    });
    g.finish();
}

struct RawOpus {
    enc: *mut audiopus_sys::OpusEncoder,
    dec: *mut audiopus_sys::OpusDecoder,
}

impl RawOpus {
    fn new() -> Self {
        let mut err = 0;
        // SAFETY: valid arguments; pointers checked, freed in Drop.
        unsafe {
            let enc = audiopus_sys::opus_encoder_create(
                16000,
                1,
                audiopus_sys::OPUS_APPLICATION_VOIP,
                &mut err,
            );
            assert!(!enc.is_null() && err == 0);
            audiopus_sys::opus_encoder_ctl(enc, audiopus_sys::OPUS_SET_BITRATE_REQUEST, 24000);
            audiopus_sys::opus_encoder_ctl(enc, audiopus_sys::OPUS_SET_COMPLEXITY_REQUEST, 5);
            let dec = audiopus_sys::opus_decoder_create(16000, 1, &mut err);
            assert!(!dec.is_null() && err == 0);
            RawOpus { enc, dec }
        }
    }
}

impl Drop for RawOpus {
    fn drop(&mut self) {
        // SAFETY: created by the matching create calls, freed once.
        unsafe {
            audiopus_sys::opus_encoder_destroy(self.enc);
            audiopus_sys::opus_decoder_destroy(self.dec);
        }
    }
}

fn opus_benches(c: &mut Criterion) {
    let pcm = load("pcm16k_2s.s16");
    let frames: Vec<&[i16]> = pcm.chunks_exact(320).collect();
    let config = OpusConfig {
        sample_rate: 16000,
        bitrate: Some(24000),
        complexity: 5,
        ..OpusConfig::default()
    };
    let mut ours = OpusCodec::new(&config).unwrap();
    let raw = RawOpus::new();
    let mut g = c.benchmark_group("opus16k");
    g.throughput(Throughput::Elements(pcm.len() as u64));
    let mut packet = [0u8; 1500];
    // Whole 2 s signals: one frame would measure one signal state only.
    g.bench_function("encode-2s-heron", |b| {
        b.iter(|| {
            for f in &frames {
                black_box(ours.encode(black_box(f), &mut packet).unwrap());
            }
        })
    });
    g.bench_function("encode-2s-libopus", |b| {
        b.iter(|| {
            for f in &frames {
                // SAFETY: pointers and lengths from live slices.
                let n = unsafe {
                    audiopus_sys::opus_encode(raw.enc, f.as_ptr(), 320, packet.as_mut_ptr(), 1500)
                };
                black_box(n);
            }
        })
    });
    let packets: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| {
            let n = ours.encode(f, &mut packet).unwrap();
            packet[..n].to_vec()
        })
        .collect();
    let mut out = [0i16; 320];
    g.bench_function("decode-2s-heron", |b| {
        b.iter(|| {
            for p in &packets {
                black_box(ours.decode(black_box(p), &mut out).unwrap());
            }
        })
    });
    g.bench_function("decode-2s-libopus", |b| {
        b.iter(|| {
            for p in &packets {
                // SAFETY: pointers and lengths from live slices.
                let n = unsafe {
                    audiopus_sys::opus_decode(
                        raw.dec,
                        p.as_ptr(),
                        p.len() as i32,
                        out.as_mut_ptr(),
                        320,
                        0,
                    )
                };
                black_box(n);
            }
        })
    });
    g.finish();
}

fn resampler_benches(c: &mut Criterion) {
    let pcm = load("pcm16k_2s.s16");
    let mut g = c.benchmark_group("resample");
    let mut out = vec![0i16; 6 * 960];
    for (from, to) in [(8000, 16000), (16000, 8000), (16000, 48000), (48000, 16000)] {
        let n = from as usize / 50;
        let frame: Vec<i16> = pcm.iter().cycle().take(n).copied().collect();
        let mut r = Resampler::new(from, to).unwrap();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("{}k-{}k-20ms", from / 1000, to / 1000), |b| {
            b.iter(|| r.process(black_box(&frame), &mut out).unwrap())
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    g711_benches,
    g722_benches,
    opus_benches,
    resampler_benches
);
criterion_main!(benches);
