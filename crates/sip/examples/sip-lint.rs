//! `sip-lint`: checks SIP message files.
//!
//! ```text
//! cargo run -p heron-sip --example sip-lint -- [--roundtrip] [--canonical] [--bench N] FILE...
//! ```
//!
//! Prints `ok FILE` or `error FILE: <reason>` per file. `--roundtrip` writes
//! each message back (byte for byte, and rebuilt header by header), parses
//! it again and compares every typed header (`mismatch FILE: <header>`).
//! `--canonical` prints the message's meaning in a normal form after `ok`.
//! `--bench N` parses each file N times reading every typed header. Exit
//! status 1 when any file failed.
#![allow(clippy::print_stdout)]

use bytes::Bytes;
use heron_sip::{HeaderName, Message};
use std::process::ExitCode;
use std::time::Instant;

struct Options {
    roundtrip: bool,
    canonical: bool,
    bench: Option<u64>,
    files: Vec<String>,
}

fn usage() -> ExitCode {
    eprintln!("usage: sip-lint [--roundtrip] [--canonical] [--bench N] FILE...");
    ExitCode::from(2)
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        roundtrip: false,
        canonical: false,
        bench: None,
        files: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--roundtrip" => o.roundtrip = true,
            "--canonical" => o.canonical = true,
            "--bench" => {
                let n = args.next().ok_or("--bench needs a count")?;
                let n: u64 = n
                    .parse()
                    .map_err(|_| format!("--bench: not a count: {n}"))?;
                if n == 0 {
                    return Err("--bench: count must be at least 1".into());
                }
                o.bench = Some(n);
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => o.files.push(a),
        }
    }
    if o.files.is_empty() {
        return Err("no files given".into());
    }
    Ok(o)
}

/// FNV-1a, 64 bit: a stable hash of the body for the canonical form.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn canonical(m: &Message) -> Vec<String> {
    let mut lines = m.canonical_lines();
    if let Some(last) = lines.last_mut() {
        *last = format!(
            "body: {} bytes, fnv1a64 {:016x}",
            m.body().len(),
            fnv1a(m.body())
        );
    }
    lines
}

/// Rebuilds the message header by header so the writer formats every field.
fn rebuild(m: &Message) -> Message {
    let mut r = match (m.method(), m.status()) {
        (Some(method), _) => Message::request(method.clone(), m.request_uri_str().unwrap_or("")),
        (_, Some(code)) => {
            let mut r = Message::response(code);
            r.set_reason(m.reason().unwrap_or(""));
            r
        }
        _ => unreachable_message(),
    };
    for h in m.headers() {
        match h.name {
            HeaderName::Other => r.append_other(h.name_str, h.value),
            HeaderName::ContentLength => {}
            n => r.append_header(n, h.value),
        }
    }
    let ct = m
        .header_values(HeaderName::ContentType)
        .next()
        .map(str::to_owned);
    r.set_body(ct.as_deref(), m.body().clone());
    r
}

fn unreachable_message() -> Message {
    // A parsed message is always a request or a response.
    Message::response(500)
}

/// Compares the typed values of two messages header by header; returns the
/// first header whose values differ.
fn first_mismatch(a: &Message, b: &Message) -> Option<String> {
    let la = a.canonical_lines();
    let lb = b.canonical_lines();
    for (x, y) in la.iter().zip(lb.iter()) {
        if x != y {
            return Some(x.split(':').next().unwrap_or(x).to_owned());
        }
    }
    (la.len() != lb.len()).then(|| "header count".to_owned())
}

fn lint(path: &str, raw: Bytes, o: &Options) -> bool {
    let m = match Message::parse(raw) {
        Ok(m) => m,
        Err(e) => {
            println!("error {path}: {e}");
            return false;
        }
    };
    if let Err(e) = m.validate().and_then(|_| m.check_all_headers().map(|_| ())) {
        println!("error {path}: {e}");
        return false;
    }
    if o.roundtrip {
        let strip = |v: Vec<String>| -> Vec<String> {
            v.into_iter()
                .filter(|l| !l.starts_with("content-length:"))
                .collect()
        };
        for (how, wire) in [
            ("written", m.to_bytes()),
            ("rebuilt", rebuild(&m).to_bytes()),
        ] {
            match Message::parse(wire) {
                Err(e) => {
                    println!("mismatch {path}: {how} message does not parse: {e}");
                    return false;
                }
                Ok(again) => {
                    let same = strip(again.canonical_lines()) == strip(m.canonical_lines());
                    if !same {
                        let h = first_mismatch(&m, &again).unwrap_or_default();
                        println!("mismatch {path}: {h}");
                        return false;
                    }
                }
            }
        }
    }
    println!("ok {path}");
    if o.canonical {
        for l in canonical(&m) {
            println!("{l}");
        }
    }
    true
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("sip-lint: {e}");
            return usage();
        }
    };
    let mut all_ok = true;
    let mut loaded = Vec::new();
    for path in &o.files {
        match std::fs::read(path) {
            Ok(data) => {
                let data = Bytes::from(data);
                all_ok &= lint(path, data.clone(), &o);
                loaded.push(data);
            }
            Err(e) => {
                println!("error {path}: cannot read: {e}");
                all_ok = false;
            }
        }
    }
    if let Some(n) = o.bench {
        let start = Instant::now();
        let mut count: u64 = 0;
        let mut typed: u64 = 0;
        for _ in 0..n {
            for data in &loaded {
                if let Ok(m) = Message::parse(data.clone()) {
                    typed += m.check_all_headers().unwrap_or(0) as u64;
                }
                count += 1;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        std::hint::black_box(typed);
        println!(
            "parsed {count} messages in {secs:.3} s: {:.0} msg/s",
            count as f64 / secs.max(1e-9)
        );
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
