//! The session's per-frame cost when its state is cold: one frame through
//! each of many session pairs in turn, in memory (no sockets).
//!
//! ```sh
//! cargo run --release -p heron-rtp --example cold-pairs -- --pairs 2000 --rounds 500 \
//!     [--profile AES_CM_128_HMAC_SHA1_80]
//! ```
//!
//! Each round sends one frame from every pair's sender (`send_frame` →
//! protect → `poll_datagram`), hands it to the receiver
//! (`handle_datagram` → unprotect → jitter buffer) and pulls it
//! (`pull_frame`), pair after pair: by the time a pair's turn comes again,
//! the other pairs have pushed its state out of the CPU caches, as with
//! many calls on one core. Prints the median over the rounds of the wall
//! time per frame and the CPU time per frame over all rounds (this
//! thread's, `/proc/thread-self/schedstat`, updated at scheduler ticks:
//! give it a few hundred milliseconds of rounds), which waiting for a core
//! on a busy machine does not inflate.
//! Without sockets or the kernel, it isolates what the session layout
//! costs; under `valgrind --tool=cachegrind` it gives cache-miss counts on
//! machines whose counters `perf` cannot read.

// A command-line tool: printing the result is its job.
#![allow(clippy::print_stdout)]

use heron_rtp::jitter::Playout;
use heron_rtp::session::{MediaSecurity, MediaSession, SessionConfig, SrtpKeys};
use heron_rtp::srtp::{MasterKey, SrtpConfig, SrtpProfile};
use rand::SeedableRng;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

struct Args {
    pairs: usize,
    rounds: usize,
    profile: SrtpProfile,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        pairs: 2000,
        rounds: 500,
        profile: SrtpProfile::Aes128CmHmacSha1_80,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--pairs" => a.pairs = v.parse().map_err(|e| format!("--pairs: {e}"))?,
            "--rounds" => a.rounds = v.parse().map_err(|e| format!("--rounds: {e}"))?,
            "--profile" => {
                a.profile =
                    SrtpProfile::from_name(&v).ok_or_else(|| format!("unknown profile {v}"))?
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.pairs == 0 || a.pairs > 100_000 || a.rounds == 0 {
        return Err("pairs must be 1..=100000, rounds positive".into());
    }
    Ok(a)
}

fn keys(p: SrtpProfile, a: u8, b: u8) -> SrtpKeys {
    let k = |s: u8| {
        let m: Vec<u8> = (0..p.key_len() + p.salt_len())
            .map(|i| (i as u8) ^ s)
            .collect();
        MasterKey::from_key_salt(p, &m).expect("key fits the profile")
    };
    SrtpKeys {
        profile: p,
        local: vec![k(a)],
        remote: vec![k(b)],
        config: SrtpConfig::default(),
    }
}

fn main() -> ExitCode {
    let a = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cold-pairs: {e}");
            return ExitCode::from(2);
        }
    };
    let t0 = Instant::now();
    let x: SocketAddr = ([127, 0, 0, 1], 4000).into();
    let y: SocketAddr = ([127, 0, 0, 1], 4002).into();
    let mut pairs = Vec::with_capacity(a.pairs);
    for i in 0..a.pairs as u64 {
        let mut cx = SessionConfig::new(x, y);
        cx.security = MediaSecurity::Srtp(keys(a.profile, 1, 2));
        let mut cy = SessionConfig::new(y, x);
        cy.security = MediaSecurity::Srtp(keys(a.profile, 2, 1));
        let rng = |s: u64| Box::new(rand::rngs::StdRng::seed_from_u64(s));
        match (
            MediaSession::new(cx, t0, 0, rng(2 * i)),
            MediaSession::new(cy, t0, 0, rng(2 * i + 1)),
        ) {
            (Ok(s), Ok(r)) => pairs.push((s, r)),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("cold-pairs: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let payload = [0xd5u8; 160];
    let mut buf = [0u8; 2048];
    let mut wall = Vec::new();
    let mut played = 0u64;
    let cpu0 = support::thread_cpu();
    for r in 0..a.rounds {
        let now = t0 + Duration::from_millis(20 * r as u64);
        let w0 = Instant::now();
        for (s, rx) in pairs.iter_mut() {
            if s.send_frame(&payload, 160).is_err() {
                continue;
            }
            let len = match s.poll_datagram() {
                Some((t, d)) => {
                    buf[..t.len].copy_from_slice(d);
                    t.len
                }
                None => continue,
            };
            rx.handle_datagram(now, x, &mut buf[..len]);
            if let Playout::Frame(f) = rx.pull_frame() {
                played += u64::from(f.payload.len() == 160);
            }
        }
        wall.push(w0.elapsed().as_nanos() as f64 / a.pairs as f64);
    }
    let cpu = cpu0
        .zip(support::thread_cpu())
        .map(|(c0, c1)| (c1 - c0).as_nanos() as f64 / (a.pairs * a.rounds) as f64);
    print!(
        "pairs={} rounds={} profile={} frames_played={} wall_ns_per_frame={:.1}",
        a.pairs,
        a.rounds,
        a.profile,
        played,
        support::median(wall)
    );
    if let Some(cpu) = cpu {
        print!(" cpu_ns_per_frame={cpu:.1}");
    }
    println!();
    ExitCode::SUCCESS
}
