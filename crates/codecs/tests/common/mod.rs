//! Helpers shared by the integration tests: reading the reference vectors.
#![allow(dead_code)]

use std::path::PathBuf;

/// Path of a file in `../shared/testdata/codecs/`.
pub fn reference(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/codecs/"
    ))
    .join(name)
}

/// Reads a reference file as raw bytes.
pub fn read_bytes(name: &str) -> Vec<u8> {
    let p = reference(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// Reads a reference file of raw s16le samples.
pub fn read_s16(name: &str) -> Vec<i16> {
    let b = read_bytes(name);
    assert_eq!(b.len() % 2, 0, "{name}: odd length");
    b.chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// Signal-to-noise ratio in dB of `test` against `reference`, with `test`
/// delayed by `delay` samples.
pub fn snr_db(reference: &[i16], test: &[i16], delay: usize) -> f64 {
    let n = reference.len().min(test.len().saturating_sub(delay));
    let (mut s, mut e) = (0f64, 0f64);
    for i in 0..n {
        let r = reference[i] as f64;
        let t = test[i + delay] as f64;
        s += r * r;
        e += (r - t) * (r - t);
    }
    10.0 * (s / e.max(1e-9)).log10()
}

/// The 10 s espeak-ng speech sample at 16 kHz (see tests/data/README.md).
pub fn speech16k() -> Vec<i16> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/speech16k.s16");
    let b = std::fs::read(p).unwrap_or_else(|e| panic!("reading {p}: {e}"));
    b.chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}
