//! Prints the cost of every encoder, decoder and resampler in ns per sample,
//! on the reference signals in 20 ms frames.
//!
//! ```sh
//! cargo run --release -p heron-codecs --example codec-bench [-- FILTER]
//! # with spandsp 0.0.6 beside G.711 and G.722 (needs libspandsp-dev):
//! cargo run --release -p heron-codecs --features spandsp --example codec-bench
//! ```
//!
//! Each figure is the fastest of 31 batches of about 5 ms (other processes
//! only ever add time, so the minimum repeats best on a shared machine). Where there is
//! a baseline (libopus called directly for Opus; spandsp for G.711 and G.722
//! with the `spandsp` feature), its batches alternate with ours in the same
//! run, so both see the same machine load, and its output is checked to be
//! identical to ours first.

// The baselines are C libraries called through FFI.
#![allow(unsafe_code)]
#![allow(clippy::print_stdout)]

use heron_codecs::g711;
use heron_codecs::g722::{G722Decoder, G722Encoder};
use heron_codecs::{Codec, OpusCodec, OpusConfig, Resampler};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

const BATCHES: usize = 31;

fn load(name: &str) -> Vec<i16> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/codecs"
    ))
    .join(name);
    let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    b.chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// Repetitions of `f` that take about 5 ms.
fn calibrate(f: &mut dyn FnMut()) -> usize {
    let start = Instant::now();
    f();
    let once = start.elapsed().as_nanos().max(1) as f64;
    ((5e6 / once) as usize).clamp(1, 10_000)
}

fn batch(f: &mut dyn FnMut(), reps: usize, samples: usize) -> f64 {
    let s = Instant::now();
    for _ in 0..reps {
        f();
    }
    s.elapsed().as_nanos() as f64 / (reps * samples) as f64
}

/// The fastest batch: on a shared machine the other processes only ever
/// add time, so the minimum is the most repeatable estimate.
fn best(t: Vec<f64>) -> f64 {
    t.into_iter().fold(f64::INFINITY, f64::min)
}

/// One line of the report.
struct Row {
    name: String,
    ours: f64,
    baseline: Option<(&'static str, f64)>,
}

struct Bench {
    filter: String,
    rows: Vec<Row>,
}

impl Bench {
    /// Measures `ours` (and `baseline`, alternating batch by batch), each
    /// processing `samples` samples per call.
    fn run(
        &mut self,
        name: &str,
        samples: usize,
        ours: &mut dyn FnMut(),
        baseline: Option<(&'static str, &mut dyn FnMut())>,
    ) {
        if !name.contains(self.filter.as_str()) {
            return;
        }
        let reps = calibrate(ours);
        let mut t_ours = Vec::with_capacity(BATCHES);
        let row = match baseline {
            None => {
                for _ in 0..BATCHES {
                    t_ours.push(batch(ours, reps, samples));
                }
                Row {
                    name: name.into(),
                    ours: best(t_ours),
                    baseline: None,
                }
            }
            Some((label, base)) => {
                let reps_b = calibrate(base);
                let mut t_base = Vec::with_capacity(BATCHES);
                for _ in 0..BATCHES {
                    t_ours.push(batch(ours, reps, samples));
                    t_base.push(batch(base, reps_b, samples));
                }
                Row {
                    name: name.into(),
                    ours: best(t_ours),
                    baseline: Some((label, best(t_base))),
                }
            }
        };
        self.rows.push(row);
    }
}

/// libopus called directly, with the settings of `opus_config()`.
struct RawOpus {
    enc: *mut audiopus_sys::OpusEncoder,
    dec: *mut audiopus_sys::OpusDecoder,
}

impl RawOpus {
    fn new() -> Self {
        let mut err = 0;
        // SAFETY: valid arguments; the returned pointers are checked and
        // freed in Drop.
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

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> usize {
        // SAFETY: pointers and lengths come from live slices.
        let n = unsafe {
            audiopus_sys::opus_encode(
                self.enc,
                pcm.as_ptr(),
                pcm.len() as i32,
                out.as_mut_ptr(),
                out.len() as i32,
            )
        };
        assert!(n > 0);
        n as usize
    }

    fn decode(&mut self, packet: &[u8], pcm: &mut [i16]) -> usize {
        // SAFETY: pointers and lengths come from live slices.
        let n = unsafe {
            audiopus_sys::opus_decode(
                self.dec,
                packet.as_ptr(),
                packet.len() as i32,
                pcm.as_mut_ptr(),
                pcm.len() as i32,
                0,
            )
        };
        assert!(n > 0);
        n as usize
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

fn opus_config() -> OpusConfig {
    OpusConfig {
        sample_rate: 16000,
        ptime_ms: 20,
        bitrate: Some(24000),
        complexity: 5,
        ..OpusConfig::default()
    }
}

/// spandsp 0.0.6's G.711 and G.722, through FFI.
#[cfg(feature = "spandsp")]
mod spandsp {
    use std::ffi::{c_int, c_void};

    #[link(name = "spandsp")]
    extern "C" {
        fn g711_init(s: *mut c_void, mode: c_int) -> *mut c_void;
        fn g711_encode(s: *mut c_void, out: *mut u8, amp: *const i16, len: c_int) -> c_int;
        fn g711_decode(s: *mut c_void, amp: *mut i16, data: *const u8, len: c_int) -> c_int;
        fn g722_encode_init(s: *mut c_void, rate: c_int, options: c_int) -> *mut c_void;
        fn g722_encode(s: *mut c_void, out: *mut u8, amp: *const i16, len: c_int) -> c_int;
        fn g722_decode_init(s: *mut c_void, rate: c_int, options: c_int) -> *mut c_void;
        fn g722_decode(s: *mut c_void, amp: *mut i16, data: *const u8, len: c_int) -> c_int;
    }

    /// A spandsp codec state (leaked at exit: a benchmark's lifetime).
    pub struct State(*mut c_void);

    pub fn g711(alaw: bool) -> State {
        // SAFETY: a NULL state asks spandsp to allocate one.
        let s = unsafe { g711_init(std::ptr::null_mut(), if alaw { 0 } else { 1 }) };
        assert!(!s.is_null());
        State(s)
    }

    pub fn g722_encoder() -> State {
        // SAFETY: as above; 64 kbit/s, no options.
        let s = unsafe { g722_encode_init(std::ptr::null_mut(), 64000, 0) };
        assert!(!s.is_null());
        State(s)
    }

    pub fn g722_decoder() -> State {
        // SAFETY: as above.
        let s = unsafe { g722_decode_init(std::ptr::null_mut(), 64000, 0) };
        assert!(!s.is_null());
        State(s)
    }

    impl State {
        pub fn g711_encode(&mut self, pcm: &[i16], out: &mut [u8]) {
            assert!(out.len() >= pcm.len());
            // SAFETY: lengths checked; pointers from live slices.
            unsafe { g711_encode(self.0, out.as_mut_ptr(), pcm.as_ptr(), pcm.len() as c_int) };
        }
        pub fn g711_decode(&mut self, data: &[u8], out: &mut [i16]) {
            assert!(out.len() >= data.len());
            // SAFETY: as above.
            unsafe { g711_decode(self.0, out.as_mut_ptr(), data.as_ptr(), data.len() as c_int) };
        }
        pub fn g722_encode(&mut self, pcm: &[i16], out: &mut [u8]) {
            assert!(out.len() >= pcm.len() / 2);
            // SAFETY: as above.
            unsafe { g722_encode(self.0, out.as_mut_ptr(), pcm.as_ptr(), pcm.len() as c_int) };
        }
        pub fn g722_decode(&mut self, data: &[u8], out: &mut [i16]) {
            assert!(out.len() >= 2 * data.len());
            // SAFETY: as above.
            unsafe { g722_decode(self.0, out.as_mut_ptr(), data.as_ptr(), data.len() as c_int) };
        }
    }
}

/// G.711 and G.722, with spandsp beside them when the feature is on.
fn waveform_codecs(b: &mut Bench, p8: &[i16], p16: &[i16]) {
    let mut bytes = vec![0u8; p8.len()];
    let mut pcm = vec![0i16; p16.len()];
    let mut alaw = vec![0u8; p8.len()];
    let mut ulaw = vec![0u8; p8.len()];
    g711::encode_alaw(p8, &mut alaw);
    g711::encode_ulaw(p8, &mut ulaw);
    let mut g722 = vec![0u8; p16.len() / 2];
    G722Encoder::new().encode(p16, &mut g722);

    let mut a_enc = || {
        for (f, o) in p8.chunks_exact(160).zip(bytes.chunks_exact_mut(160)) {
            g711::encode_alaw(black_box(f), o);
        }
    };
    let mut a_dec = || {
        for (c, o) in alaw.chunks_exact(160).zip(pcm.chunks_exact_mut(160)) {
            g711::decode_alaw(black_box(c), o);
        }
    };
    #[cfg(feature = "spandsp")]
    {
        let (mut sa, mut su) = (spandsp::g711(true), spandsp::g711(false));
        let (mut se, mut sd) = (spandsp::g722_encoder(), spandsp::g722_decoder());
        let mut out8 = vec![0u8; p8.len()];
        let mut out16 = vec![0i16; p16.len()];
        // Same output as ours, so the comparison is of the same work.
        sa.g711_encode(p8, &mut out8);
        assert!(out8 == alaw, "spandsp A-law differs");
        su.g711_encode(p8, &mut out8);
        assert!(out8 == ulaw, "spandsp u-law differs");
        let mut g722_s = vec![0u8; p16.len() / 2];
        spandsp::g722_encoder().g722_encode(p16, &mut g722_s);
        assert!(g722_s == g722, "spandsp G.722 differs");
        let mut ours16 = vec![0i16; p16.len()];
        G722Decoder::new().decode(&g722, &mut ours16);
        spandsp::g722_decoder().g722_decode(&g722, &mut out16);
        assert!(ours16 == out16, "spandsp G.722 decoding differs");

        let mut o8 = vec![0i16; p8.len()];
        b.run(
            "pcma-encode",
            p8.len(),
            &mut a_enc,
            Some(("spandsp", &mut || {
                for (f, o) in p8.chunks_exact(160).zip(out8.chunks_exact_mut(160)) {
                    sa.g711_encode(black_box(f), o);
                }
            })),
        );
        b.run(
            "pcma-decode",
            p8.len(),
            &mut a_dec,
            Some(("spandsp", &mut || {
                for (c, o) in alaw.chunks_exact(160).zip(o8.chunks_exact_mut(160)) {
                    sa.g711_decode(black_box(c), o);
                }
            })),
        );
        let mut out8 = vec![0u8; p8.len()];
        b.run(
            "pcmu-encode",
            p8.len(),
            &mut || {
                for (f, o) in p8.chunks_exact(160).zip(bytes.chunks_exact_mut(160)) {
                    g711::encode_ulaw(black_box(f), o);
                }
            },
            Some(("spandsp", &mut || {
                for (f, o) in p8.chunks_exact(160).zip(out8.chunks_exact_mut(160)) {
                    su.g711_encode(black_box(f), o);
                }
            })),
        );
        b.run(
            "pcmu-decode",
            p8.len(),
            &mut || {
                for (c, o) in ulaw.chunks_exact(160).zip(pcm.chunks_exact_mut(160)) {
                    g711::decode_ulaw(black_box(c), o);
                }
            },
            Some(("spandsp", &mut || {
                for (c, o) in ulaw.chunks_exact(160).zip(o8.chunks_exact_mut(160)) {
                    su.g711_decode(black_box(c), o);
                }
            })),
        );
        let mut enc = G722Encoder::new();
        let mut codes = vec![0u8; p16.len() / 2];
        b.run(
            "g722-encode",
            p16.len(),
            &mut || {
                for (f, o) in p16.chunks_exact(320).zip(codes.chunks_exact_mut(160)) {
                    enc.encode(black_box(f), o);
                }
            },
            Some(("spandsp", &mut || {
                for (f, o) in p16.chunks_exact(320).zip(g722_s.chunks_exact_mut(160)) {
                    se.g722_encode(black_box(f), o);
                }
            })),
        );
        let mut dec = G722Decoder::new();
        b.run(
            "g722-decode",
            p16.len(),
            &mut || {
                for (c, o) in g722.chunks_exact(160).zip(pcm.chunks_exact_mut(320)) {
                    dec.decode(black_box(c), o);
                }
            },
            Some(("spandsp", &mut || {
                for (c, o) in g722.chunks_exact(160).zip(out16.chunks_exact_mut(320)) {
                    sd.g722_decode(black_box(c), o);
                }
            })),
        );
    }
    #[cfg(not(feature = "spandsp"))]
    {
        b.run("pcma-encode", p8.len(), &mut a_enc, None);
        b.run("pcma-decode", p8.len(), &mut a_dec, None);
        b.run(
            "pcmu-encode",
            p8.len(),
            &mut || {
                for (f, o) in p8.chunks_exact(160).zip(bytes.chunks_exact_mut(160)) {
                    g711::encode_ulaw(black_box(f), o);
                }
            },
            None,
        );
        b.run(
            "pcmu-decode",
            p8.len(),
            &mut || {
                for (c, o) in ulaw.chunks_exact(160).zip(pcm.chunks_exact_mut(160)) {
                    g711::decode_ulaw(black_box(c), o);
                }
            },
            None,
        );
        let mut enc = G722Encoder::new();
        let mut codes = vec![0u8; p16.len() / 2];
        b.run(
            "g722-encode",
            p16.len(),
            &mut || {
                for (f, o) in p16.chunks_exact(320).zip(codes.chunks_exact_mut(160)) {
                    enc.encode(black_box(f), o);
                }
            },
            None,
        );
        let mut dec = G722Decoder::new();
        b.run(
            "g722-decode",
            p16.len(),
            &mut || {
                for (c, o) in g722.chunks_exact(160).zip(pcm.chunks_exact_mut(320)) {
                    dec.decode(black_box(c), o);
                }
            },
            None,
        );
    }
}

fn opus(b: &mut Bench, p16: &[i16]) {
    let mut ours = OpusCodec::new(&opus_config()).expect("opus");
    let mut raw = RawOpus::new();
    let mut packet = [0u8; 1500];
    let mut packet_raw = [0u8; 1500];
    // Same settings, same packets.
    for f in p16.chunks_exact(320).take(20) {
        let n = ours.encode(f, &mut packet).unwrap();
        let m = raw.encode(f, &mut packet_raw);
        assert_eq!(packet[..n], packet_raw[..m], "different Opus settings");
    }
    let mut ours = OpusCodec::new(&opus_config()).expect("opus");
    let mut raw = RawOpus::new();
    let packets: Vec<Vec<u8>> = p16
        .chunks_exact(320)
        .map(|f| {
            let n = raw.encode(f, &mut packet);
            packet[..n].to_vec()
        })
        .collect();
    let mut raw = RawOpus::new();
    b.run(
        "opus16k-encode",
        p16.len(),
        &mut || {
            for f in p16.chunks_exact(320) {
                black_box(ours.encode(black_box(f), &mut packet).unwrap());
            }
        },
        Some(("libopus", &mut || {
            for f in p16.chunks_exact(320) {
                black_box(raw.encode(black_box(f), &mut packet_raw));
            }
        })),
    );
    let mut frame = [0i16; 320];
    let mut frame_raw = [0i16; 320];
    b.run(
        "opus16k-decode",
        p16.len(),
        &mut || {
            for p in &packets {
                black_box(ours.decode(black_box(p), &mut frame).unwrap());
            }
        },
        Some(("libopus", &mut || {
            for p in &packets {
                black_box(raw.decode(black_box(p), &mut frame_raw));
            }
        })),
    );
}

fn resamplers(b: &mut Bench, p8: &[i16], p16: &[i16]) {
    let mut out = vec![0i16; 6 * p16.len()];
    for (name, from, to) in [
        ("resample 8k->16k", 8000, 16000),
        ("resample 16k->8k", 16000, 8000),
        ("resample 16k->48k", 16000, 48000),
        ("resample 48k->16k", 48000, 16000),
        ("resample 8k->48k", 8000, 48000),
        ("resample 24k->16k", 24000, 16000),
    ] {
        let input = if from == 8000 { p8 } else { p16 };
        let frame = from as usize / 50;
        let mut r = Resampler::new(from, to).unwrap();
        b.run(
            name,
            input.len(),
            &mut || {
                let mut at = 0;
                for f in input.chunks_exact(frame) {
                    at += r.process(black_box(f), &mut out[at..]).unwrap();
                }
            },
            None,
        );
    }
}

fn main() {
    // An optional word selects the measurements whose names contain it.
    let filter = std::env::args().nth(1).unwrap_or_default();
    let p8 = load("pcm8k_2s.s16");
    let p16 = load("pcm16k_2s.s16");
    let mut b = Bench {
        filter,
        rows: Vec::new(),
    };
    waveform_codecs(&mut b, &p8, &p16);
    opus(&mut b, &p16);
    resamplers(&mut b, &p8, &p16);

    println!("ns per sample, 20 ms frames, best of {BATCHES} batches");
    for r in &b.rows {
        match r.baseline {
            Some((label, base)) => println!(
                "{:<20} {:>9.3}   {label:<8} {base:>9.3}   ratio {:>5.2}x",
                r.name,
                r.ours,
                base / r.ours
            ),
            None => println!("{:<20} {:>9.3}", r.name, r.ours),
        }
    }
}
