//! SRTP protect/unprotect timing tool.
//!
//! ```sh
//! cargo run --release -p heron-rtp --example srtp-bench -- \
//!     --profile AES_CM_128_HMAC_SHA1_80 --payload 160 --packets 1000000 [--reps 5]
//! ```
//!
//! Prints `protect_ns=… unprotect_ns=…`: the median over the repetitions of
//! the mean time per packet. Every unprotect gets a fresh packet (a new
//! sequence number, protected beforehand outside the timed region), as a
//! receiver would see them. On Linux it also prints `protect_cpu_ns=…
//! unprotect_cpu_ns=…`, the same medians in this thread's CPU time
//! (`/proc/thread-self/schedstat`), which time spent waiting for a core on
//! a busy machine does not inflate (the kernel updates it at scheduler
//! ticks, a few milliseconds, so it needs long repetitions).
//! `context_new_ns=…` (and its CPU figure) is the creation of a context
//! from one master key (key derivation and key schedules), the median of
//! the repetitions' means over 100,000 creations.

// A command-line tool: printing the result is its job.
#![allow(clippy::print_stdout)]

use heron_rtp::srtp::{MasterKey, SrtpConfig, SrtpContext, SrtpProfile};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

struct Args {
    profile: SrtpProfile,
    payload: usize,
    packets: usize,
    reps: usize,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        profile: SrtpProfile::Aes128CmHmacSha1_80,
        payload: 160,
        packets: 1_000_000,
        reps: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--profile" => {
                a.profile =
                    SrtpProfile::from_name(&v).ok_or_else(|| format!("unknown profile {v}"))?
            }
            "--payload" => a.payload = v.parse().map_err(|e| format!("--payload: {e}"))?,
            "--packets" => a.packets = v.parse().map_err(|e| format!("--packets: {e}"))?,
            "--reps" => a.reps = v.parse().map_err(|e| format!("--reps: {e}"))?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.payload > 1400 || a.packets == 0 || a.reps == 0 {
        return Err("payload must be at most 1400, packets and reps positive".into());
    }
    Ok(a)
}

fn write_packet(buf: &mut [u8], seq: u16, payload: usize) -> usize {
    buf[..12].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0x5e, 0xc0, 0x0d, 0x01]);
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    buf[12..12 + payload].fill(0xd5);
    12 + payload
}

/// The start of a timed region: CPU time read first, so that reading it
/// stays out of the wall-clock window.
fn timer_start() -> (Instant, Option<Duration>) {
    let cpu = support::thread_cpu();
    (Instant::now(), cpu)
}

/// Wall and CPU time since [`timer_start`].
fn since(start: (Instant, Option<Duration>)) -> (Duration, Option<Duration>) {
    let wall = start.0.elapsed();
    let cpu = match (support::thread_cpu(), start.1) {
        (Some(now), Some(then)) => Some(now.saturating_sub(then)),
        _ => None,
    };
    (wall, cpu)
}

fn main() -> ExitCode {
    let a = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("srtp-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let m: Vec<u8> = (0..a.profile.key_len() + a.profile.salt_len())
        .map(|i| (i * 11) as u8)
        .collect();
    let key = MasterKey::from_key_salt(a.profile, &m).expect("key length matches the profile");
    let stride = 12 + a.payload + 64;
    let (mut protect, mut protect_cpu) = (Vec::new(), Vec::new());
    let (mut unprotect, mut unprotect_cpu) = (Vec::new(), Vec::new());
    let (mut create, mut create_cpu) = (Vec::new(), Vec::new());
    const CREATIONS: usize = 100_000;
    let per_new = |d: Duration| d.as_nanos() as f64 / CREATIONS as f64;
    let per = |d: Duration| d.as_nanos() as f64 / a.packets as f64;
    for _ in 0..a.reps {
        let mut tx = SrtpContext::new(a.profile, std::slice::from_ref(&key), SrtpConfig::default())
            .expect("context");
        let mut buf = vec![0u8; stride];
        let mut seq = 0u16;
        let start = timer_start();
        for _ in 0..a.packets {
            let n = write_packet(&mut buf, seq, a.payload);
            std::hint::black_box(tx.protect_rtp(&mut buf, n).expect("protect"));
            seq = seq.wrapping_add(1);
        }
        let (wall, cpu) = since(start);
        protect.push(per(wall));
        protect_cpu.extend(cpu.map(per));

        let mut tx = SrtpContext::new(a.profile, std::slice::from_ref(&key), SrtpConfig::default())
            .expect("context");
        let mut rx = SrtpContext::new(a.profile, std::slice::from_ref(&key), SrtpConfig::default())
            .expect("context");
        const BATCH: usize = 4096;
        let mut batch = vec![0u8; stride * BATCH];
        let mut lens = vec![0usize; BATCH];
        let (mut timed, mut timed_cpu) = (Duration::ZERO, Some(Duration::ZERO));
        let mut seq = 0u16;
        let mut left = a.packets;
        while left > 0 {
            let n = left.min(BATCH);
            for (i, l) in lens.iter_mut().enumerate().take(n) {
                let b = &mut batch[i * stride..(i + 1) * stride];
                let len = write_packet(b, seq, a.payload);
                *l = tx.protect_rtp(b, len).expect("protect");
                seq = seq.wrapping_add(1);
            }
            let start = timer_start();
            for (i, l) in lens.iter().enumerate().take(n) {
                let b = &mut batch[i * stride..i * stride + l];
                std::hint::black_box(rx.unprotect_rtp(b).expect("unprotect"));
            }
            let (wall, cpu) = since(start);
            timed += wall;
            timed_cpu = timed_cpu.zip(cpu).map(|(t, c)| t + c);
            left -= n;
        }
        unprotect.push(per(timed));
        unprotect_cpu.extend(timed_cpu.map(per));

        let start = timer_start();
        for _ in 0..CREATIONS {
            let c = SrtpContext::new(a.profile, std::slice::from_ref(&key), SrtpConfig::default());
            std::hint::black_box(c.expect("context"));
        }
        let (wall, cpu) = since(start);
        create.push(per_new(wall));
        create_cpu.extend(cpu.map(per_new));
    }
    print!(
        "profile={} payload={} packets={} reps={} protect_ns={:.1} unprotect_ns={:.1}",
        a.profile,
        a.payload,
        a.packets,
        a.reps,
        support::median(protect),
        support::median(unprotect)
    );
    print!(" context_new_ns={:.1}", support::median(create));
    if protect_cpu.len() == a.reps && unprotect_cpu.len() == a.reps {
        print!(
            " protect_cpu_ns={:.1} unprotect_cpu_ns={:.1}",
            support::median(protect_cpu),
            support::median(unprotect_cpu)
        );
    }
    if create_cpu.len() == a.reps {
        print!(" context_new_cpu_ns={:.1}", support::median(create_cpu));
    }
    println!();
    ExitCode::SUCCESS
}
