//! Prints the cost of every encoder, decoder and resampler in ns per sample,
//! on the reference signals in 20 ms frames (median of 31 batches).
//!
//! ```sh
//! cargo run --release -p heron-codecs --example codec-bench [-- --spandsp]
//! ```
//!
//! `--spandsp` also builds `baseline/spandsp_bench.c` against the system
//! libspandsp (needs `cc`, `pkg-config` and `libspandsp-dev`), runs it in
//! the same process run, and prints its figures beside ours.
//!
//! Opus is measured twice: through [`heron_codecs::OpusCodec`] and by
//! calling libopus directly with the same settings, so the wrapper's cost
//! shows.

// Direct libopus calls (the comparison baseline) need FFI.
#![allow(unsafe_code)]
#![allow(clippy::print_stdout)]

use heron_codecs::g711;
use heron_codecs::g722::{G722Decoder, G722Encoder};
use heron_codecs::{Codec, OpusCodec, OpusConfig, Resampler};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const BATCHES: usize = 31;

fn data_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/codecs"
    ))
}

fn load(name: &str) -> Vec<i16> {
    let p = data_dir().join(name);
    let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    b.chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// Median ns per sample of `f`, which processes `samples` samples per call.
fn measure(samples: usize, mut f: impl FnMut()) -> f64 {
    // Calibrate: about 5 ms per batch.
    let start = Instant::now();
    f();
    let once = start.elapsed().as_nanos().max(1) as f64;
    let reps = ((5e6 / once) as usize).clamp(1, 10_000);
    let mut t: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..reps {
                f();
            }
            s.elapsed().as_nanos() as f64 / (reps * samples) as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[BATCHES / 2]
}

/// Measures `f` into `results` when `name` contains `filter`.
fn bench(
    results: &mut Vec<(String, f64)>,
    filter: &str,
    name: &str,
    samples: usize,
    f: impl FnMut(),
) {
    if name.contains(filter) {
        results.push((name.to_string(), measure(samples, f)));
    }
}

fn spandsp_baseline() -> Result<Vec<(String, f64)>, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline/spandsp_bench.c");
    let bin = std::env::temp_dir().join("heron_spandsp_bench");
    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "spandsp"])
        .output()
        .map_err(|e| format!("pkg-config: {e}"))?;
    if !flags.status.success() {
        return Err("pkg-config finds no spandsp (apt-get install libspandsp-dev)".into());
    }
    let flags = String::from_utf8_lossy(&flags.stdout).to_string();
    let status = Command::new("cc")
        .arg("-O2")
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .args(flags.split_whitespace())
        .status()
        .map_err(|e| format!("cc: {e}"))?;
    if !status.success() {
        return Err("building the spandsp baseline failed".into());
    }
    let out = Command::new(&bin)
        .arg(data_dir().join("pcm8k_2s.s16"))
        .arg(data_dir().join("pcm16k_2s.s16"))
        .output()
        .map_err(|e| format!("running the baseline: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (name, v) = l.split_once(' ')?;
            Some((name.to_string(), v.trim().parse().ok()?))
        })
        .collect())
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

/// libopus called directly, with `opus_config()`'s settings.
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

fn main() {
    let with_spandsp = std::env::args().any(|a| a == "--spandsp");
    // An optional word selects the measurements whose names contain it.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_default();

    let p8 = load("pcm8k_2s.s16");
    let p16 = load("pcm16k_2s.s16");
    let mut results: Vec<(String, f64)> = Vec::new();

    let mut bytes = vec![0u8; p8.len()];
    let mut pcm = vec![0i16; p16.len()];
    g711::encode_alaw(&p8, &mut bytes);
    let alaw = bytes.clone();
    g711::encode_ulaw(&p8, &mut bytes);
    let ulaw = bytes.clone();
    let frames8 = |f: &mut dyn FnMut(usize)| {
        for i in (0..p8.len()).step_by(160) {
            f(i)
        }
    };
    bench(&mut results, &filter, "pcma-encode", p8.len(), || {
        frames8(&mut |i| {
            g711::encode_alaw(black_box(&p8[i..i + 160]), &mut bytes[i..i + 160]);
        })
    });
    bench(&mut results, &filter, "pcma-decode", p8.len(), || {
        frames8(&mut |i| {
            g711::decode_alaw(black_box(&alaw[i..i + 160]), &mut pcm[i..i + 160]);
        })
    });
    bench(&mut results, &filter, "pcmu-encode", p8.len(), || {
        frames8(&mut |i| {
            g711::encode_ulaw(black_box(&p8[i..i + 160]), &mut bytes[i..i + 160]);
        })
    });
    bench(&mut results, &filter, "pcmu-decode", p8.len(), || {
        frames8(&mut |i| {
            g711::decode_ulaw(black_box(&ulaw[i..i + 160]), &mut pcm[i..i + 160]);
        })
    });

    let mut g722 = vec![0u8; p16.len() / 2];
    G722Encoder::new().encode(&p16, &mut g722);
    let mut enc = G722Encoder::new();
    bench(&mut results, &filter, "g722-encode", p16.len(), || {
        for (f, o) in p16.chunks_exact(320).zip(g722.chunks_exact_mut(160)) {
            enc.encode(black_box(f), o);
        }
    });
    let mut dec = G722Decoder::new();
    bench(&mut results, &filter, "g722-decode", p16.len(), || {
        for (c, o) in g722.chunks_exact(160).zip(pcm.chunks_exact_mut(320)) {
            dec.decode(black_box(c), o);
        }
    });

    let mut ours = OpusCodec::new(&opus_config()).expect("opus");
    let mut raw = RawOpus::new();
    let mut packet = [0u8; 1500];
    let packets: Vec<Vec<u8>> = p16
        .chunks_exact(320)
        .map(|f| {
            let n = raw.encode(f, &mut packet);
            packet[..n].to_vec()
        })
        .collect();
    bench(
        &mut results,
        &filter,
        "opus16k-encode (heron)",
        p16.len(),
        || {
            for f in p16.chunks_exact(320) {
                black_box(ours.encode(black_box(f), &mut packet).unwrap());
            }
        },
    );
    bench(
        &mut results,
        &filter,
        "opus16k-encode (libopus)",
        p16.len(),
        || {
            for f in p16.chunks_exact(320) {
                black_box(raw.encode(black_box(f), &mut packet));
            }
        },
    );
    let mut frame = [0i16; 320];
    bench(
        &mut results,
        &filter,
        "opus16k-decode (heron)",
        p16.len(),
        || {
            for p in &packets {
                black_box(ours.decode(black_box(p), &mut frame).unwrap());
            }
        },
    );
    bench(
        &mut results,
        &filter,
        "opus16k-decode (libopus)",
        p16.len(),
        || {
            for p in &packets {
                black_box(raw.decode(black_box(p), &mut frame));
            }
        },
    );

    let mut out = vec![0i16; 6 * p16.len()];
    for (name, from, to) in [
        ("resample 8k->16k", 8000, 16000),
        ("resample 16k->8k", 16000, 8000),
        ("resample 16k->48k", 16000, 48000),
        ("resample 48k->16k", 48000, 16000),
        ("resample 8k->48k", 8000, 48000),
        ("resample 24k->16k", 24000, 16000),
    ] {
        let input = if from == 8000 { &p8 } else { &p16 };
        let frame = from as usize / 50;
        let mut r = Resampler::new(from, to).unwrap();
        bench(&mut results, &filter, name, input.len(), || {
            let mut at = 0;
            for f in input.chunks_exact(frame) {
                at += r.process(black_box(f), &mut out[at..]).unwrap();
            }
        });
    }

    let baseline = if with_spandsp {
        match spandsp_baseline() {
            Ok(b) => b,
            Err(e) => {
                eprintln!("spandsp baseline unavailable: {e}");
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    println!("ns per input sample, 20 ms frames, median of {BATCHES} batches");
    println!(
        "{:<26} {:>10} {:>10} {:>8}",
        "", "heron", "spandsp", "speedup"
    );
    for (name, ns) in &results {
        match baseline.iter().find(|(b, _)| b == name) {
            Some((_, base)) => println!("{name:<26} {ns:>10.3} {base:>10.3} {:>7.2}x", base / ns),
            None => println!("{name:<26} {ns:>10.3}"),
        }
    }
}
