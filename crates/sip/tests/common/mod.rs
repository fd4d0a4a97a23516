//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/testdata/<sub>` seen from the workspace root.
pub fn testdata(sub: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
    .join(sub)
}

/// Reads a MANIFEST.tsv into rows of columns (header row skipped).
pub fn manifest(sub: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(testdata(sub).join("MANIFEST.tsv")).expect("manifest");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

pub fn read(sub: &str, file: &str) -> bytes::Bytes {
    bytes::Bytes::from(std::fs::read(testdata(sub).join(file)).expect("test file"))
}
