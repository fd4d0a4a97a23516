//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rand_core::{impls, RngCore};

/// A deterministic RNG (splitmix64) so tests are reproducible.
pub struct TestRng(pub u64);

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        impls::fill_bytes_via_next(self, dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// Path of a file under `../shared/testdata`.
pub fn testdata(rel: &str) -> String {
    format!(
        "{}/../../../shared/testdata/{rel}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The header values of `names` (case-insensitive, full or compact form) in a
/// SIP message: a simple line scan of the header section that unfolds
/// continuation lines.
pub fn header_values(message: &[u8], names: &[&str]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(message);
    // Unfold: the header section ends at the first empty line.
    let mut lines: Vec<String> = Vec::new();
    for line in text.split('\n').skip(1) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = lines.last_mut() {
                last.push(' ');
                last.push_str(line.trim_start());
                continue;
            }
        }
        lines.push(line.to_owned());
    }
    let mut out = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim_end();
        if let Some(n) = names.iter().find(|n| n.eq_ignore_ascii_case(name)) {
            out.push(((*n).to_owned(), value.trim().to_owned()));
        }
    }
    out
}
