//! The RTP hot path end to end over loopback, against a raw UDP baseline
//! measured in the same run.
//!
//! ```sh
//! cargo run --release -p heron-rtp --example hotpath -- --streams 100 --seconds 10 \
//!     [--rounds 5] [--profile AES_CM_128_HMAC_SHA1_80] [--shared-port]
//! ```
//!
//! N "PBX" sockets send one SRTP packet (160-octet G.711 payload, protected
//! before the timed run) every 20 ms each to N agent sessions served by one
//! [`Driver`] in one task. Each agent session takes the datagram from its
//! socket, unprotects it, puts it through the jitter buffer, hands the
//! frame off (pulls it once per packet time) and sends it back, protected,
//! to its PBX socket, which counts it. The baseline does the same with
//! plain sockets: send, receive, echo the same octets, receive. Both run on one thread; CPU time is that
//! thread's (`/proc/thread-self/schedstat`).
//!
//! With `--shared-port` the agent sessions all share one UDP socket
//! ([`Driver::with_shared_port`]: `recvmmsg`/`sendmmsg` batches, routing by
//! source address) instead of a socket each; the baseline stays plain
//! send/recv on a socket per stream. The tool then also prints the
//! driver's system calls per relayed packet.
//!
//! Each path runs `--seconds` in all, in `--rounds` alternating phases
//! (the baseline first in even rounds, the hot path first in odd ones), so
//! that load from other processes on a shared machine falls on both alike.
//! Prints packets/s, CPU ns per relayed packet for both, the hot path's
//! extra cost in percent per round and its median, and the loss.

// A command-line tool: printing the result is its job.
#![allow(clippy::print_stdout)]

use heron_rtp::driver::{Driver, PortRange};
use heron_rtp::jitter::Playout;
use heron_rtp::session::{MediaSecurity, SessionConfig, SrtpKeys};
use heron_rtp::srtp::{MasterKey, SrtpConfig, SrtpContext, SrtpProfile};
use rand::SeedableRng;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;

#[path = "support/mod.rs"]
mod support;

struct Args {
    streams: usize,
    seconds: u64,
    rounds: u32,
    profile: SrtpProfile,
    shared_port: bool,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        streams: 100,
        seconds: 10,
        rounds: 5,
        profile: SrtpProfile::Aes128CmHmacSha1_80,
        shared_port: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--shared-port" {
            a.shared_port = true;
            continue;
        }
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--streams" => a.streams = v.parse().map_err(|e| format!("--streams: {e}"))?,
            "--seconds" => a.seconds = v.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--rounds" => a.rounds = v.parse().map_err(|e| format!("--rounds: {e}"))?,
            "--profile" => {
                a.profile =
                    SrtpProfile::from_name(&v).ok_or_else(|| format!("unknown profile {v}"))?
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.streams == 0 || a.streams > 5000 || a.seconds == 0 || a.rounds == 0 {
        return Err("streams must be 1..=5000, seconds and rounds positive".into());
    }
    Ok(a)
}

/// CPU time of this thread (the current-thread runtime runs everything here).
fn cpu_time() -> Duration {
    if let Some(t) = support::thread_cpu() {
        return t;
    }
    // Fallback: utime + stime of the process in 1/100 s ticks.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<u64> = after
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let ticks = f.get(10).copied().unwrap_or(0) + f.get(11).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

struct Run {
    relayed: u64,
    sent: u64,
    returned: u64,
    cpu: Duration,
    wall: Duration,
}

/// The datagrams both paths send: one SRTP packet per stream per tick,
/// protected before the timed run, stored tick by tick (the packets of
/// one tick are adjacent, read in order as both rigs send them).
struct Store {
    data: Vec<u8>,
    stride: usize,
    streams: usize,
    ticks: usize,
}

impl Store {
    fn new(a: &Args) -> Result<Self, Box<dyn std::error::Error>> {
        let ticks = (a.seconds * 50 + 10) as usize;
        if ticks * a.streams > 4_000_000 {
            return Err(
                "streams × seconds too large for the pre-protected packet store (max 80000)".into(),
            );
        }
        let stride = 172 + a.profile.rtp_tag_len();
        let mut data = vec![0u8; stride * ticks * a.streams];
        let k = keys(a.profile, 2, 1);
        for i in 0..a.streams {
            let mut tx = SrtpContext::new(a.profile, &k.local, k.config)?;
            for t in 0..ticks {
                let at = (t * a.streams + i) * stride;
                let p = &mut data[at..at + stride];
                p[..12].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
                p[2..4].copy_from_slice(&(t as u16).to_be_bytes());
                p[4..8].copy_from_slice(&(t as u32 * 160).to_be_bytes());
                p[8..12].copy_from_slice(&(0x5000_0000u32 + i as u32).to_be_bytes());
                p[12..172].fill(0xd5);
                tx.protect_rtp(p, 172)?;
            }
        }
        Ok(Store {
            data,
            stride,
            streams: a.streams,
            ticks,
        })
    }

    /// Stream `i`'s packet of tick `t`.
    fn packet(&self, t: usize, i: usize) -> &[u8] {
        let at = (t * self.streams + i) * self.stride;
        &self.data[at..at + self.stride]
    }
}

/// The raw UDP baseline: N peers send the same datagrams as the hot path's
/// PBX sockets to N echo sockets, which send them straight back.
struct BaseRig {
    peers: Vec<(UdpSocket, SocketAddr)>,
    echoes: Vec<UdpSocket>,
    store: Rc<Store>,
    t: usize,
    buf: Vec<u8>,
}

impl BaseRig {
    async fn new(streams: usize, store: Rc<Store>) -> std::io::Result<Self> {
        let mut peers = Vec::new();
        let mut echoes = Vec::new();
        for _ in 0..streams {
            let p = UdpSocket::bind("127.0.0.1:0").await?;
            let e = UdpSocket::bind("127.0.0.1:0").await?;
            peers.push((p, e.local_addr()?));
            echoes.push(e);
        }
        Ok(BaseRig {
            peers,
            echoes,
            store,
            t: 0,
            buf: vec![0u8; 2048],
        })
    }

    async fn run(&mut self, length: Duration) -> Run {
        let (mut sent, mut relayed, mut returned) = (0u64, 0u64, 0u64);
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let end = Instant::now() + length;
        let cpu0 = cpu_time();
        let t0 = Instant::now();
        while Instant::now() < end {
            tokio::select! {
                _ = tick.tick() => {
                    if self.t < self.store.ticks {
                        for (i, (p, to)) in self.peers.iter().enumerate() {
                            if p.try_send_to(self.store.packet(self.t, i), *to).is_ok() {
                                sent += 1;
                            }
                        }
                        self.t += 1;
                    }
                }
                _ = any_readable(self.echoes.iter()) => {
                    for e in &self.echoes {
                        while let Ok((n, src)) = e.try_recv_from(&mut self.buf) {
                            relayed += 1;
                            let _ = e.try_send_to(&self.buf[..n], src);
                        }
                    }
                }
                _ = any_readable(self.peers.iter().map(|(p, _)| p)) => {
                    for (p, _) in &self.peers {
                        while p.try_recv_from(&mut self.buf).is_ok() {
                            returned += 1;
                        }
                    }
                }
            }
        }
        Run {
            relayed,
            sent,
            returned,
            cpu: cpu_time() - cpu0,
            wall: t0.elapsed(),
        }
    }
}

async fn any_readable<'a>(socks: impl Iterator<Item = &'a UdpSocket> + Clone) {
    std::future::poll_fn(|cx| {
        let mut ready = false;
        for s in socks.clone() {
            ready |= s.poll_recv_ready(cx).is_ready();
        }
        if ready {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

fn keys(profile: SrtpProfile, local: u8, remote: u8) -> SrtpKeys {
    let k = |s: u8| {
        let m: Vec<u8> = (0..profile.key_len() + profile.salt_len())
            .map(|i| (i as u8) ^ s)
            .collect();
        MasterKey::from_key_salt(profile, &m).expect("key fits the profile")
    };
    SrtpKeys {
        profile,
        local: vec![k(local)],
        remote: vec![k(remote)],
        config: SrtpConfig::default(),
    }
}

/// The hot path: N "PBX" sockets send pre-protected SRTP packets to N
/// agent sessions served by one [`Driver`]; each session unprotects,
/// buffers, hands the frame off once per packet time and sends it back
/// protected; the PBX sockets count the echoes.
struct HotRig {
    agent: Driver,
    pbx: Vec<(UdpSocket, SocketAddr)>,
    store: Rc<Store>,
    t: usize,
    buf: Vec<u8>,
}

impl HotRig {
    async fn new(a: &Args, store: Rc<Store>) -> Result<Self, Box<dyn std::error::Error>> {
        let lo: SocketAddr = "127.0.0.1:0".parse()?;
        let now = Instant::now();
        // The PBX side is a measuring rig as cheap as the baseline's peers:
        // plain sockets sending the stored SRTP packets and counting the
        // echoes without unprotecting them.
        let mut agent = if a.shared_port {
            Driver::with_shared_port(lo)?
        } else {
            Driver::new()
        };
        let mut pbx = Vec::new();
        for i in 0..a.streams {
            let sock = UdpSocket::bind(lo).await?;
            let mut ca = SessionConfig::new(lo, sock.local_addr()?);
            ca.security = MediaSecurity::Srtp(keys(a.profile, 1, 2));
            let rng = Box::new(rand::rngs::StdRng::seed_from_u64(i as u64));
            let aid = agent.add_session(
                ca,
                PortRange {
                    first: 20000,
                    last: 60000,
                },
                now,
                0,
                rng,
            )?;
            let to = agent.local_addr(aid).ok_or("agent address")?;
            pbx.push((sock, to));
        }
        Ok(HotRig {
            agent,
            pbx,
            store,
            t: 0,
            buf: vec![0u8; 2048],
        })
    }

    async fn run(&mut self, length: Duration) -> Run {
        let (mut sent, mut returned) = (0u64, 0u64);
        let relayed0 = self.agent.stats().received;
        let stride = self.store.stride;
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let end = Instant::now() + length;
        let cpu0 = cpu_time();
        let t0 = Instant::now();
        while Instant::now() < end {
            tokio::select! {
                _ = tick.tick() => {
                    if self.t < self.store.ticks {
                        for (i, (s, to)) in self.pbx.iter().enumerate() {
                            if s.try_send_to(self.store.packet(self.t, i), *to).is_ok() {
                                sent += 1;
                            }
                        }
                        self.t += 1;
                    }
                    // The hand-off: one frame per session per packet time,
                    // straight back out (a voice pipeline would sit here).
                    for (_, s) in self.agent.sessions() {
                        let mut frame = [0u8; 160];
                        let got = match s.pull_frame() {
                            Playout::Frame(f) if f.payload.len() == 160 => {
                                frame.copy_from_slice(f.payload);
                                true
                            }
                            _ => false,
                        };
                        if got {
                            let _ = s.send_frame(&frame, 160);
                        }
                    }
                    self.agent.flush();
                    self.agent.handle_timeouts(Instant::now());
                }
                _ = self.agent.readable() => {
                    self.agent.drain(Instant::now());
                }
                _ = any_readable(self.pbx.iter().map(|(s, _)| s)) => {
                    for (s, _) in &self.pbx {
                        while let Ok((n, _)) = s.try_recv_from(&mut self.buf) {
                            // RTCP is not an echo.
                            if n == stride {
                                returned += 1;
                            }
                        }
                    }
                }
            }
        }
        Run {
            relayed: self.agent.stats().received - relayed0,
            sent,
            returned,
            cpu: cpu_time() - cpu0,
            wall: t0.elapsed(),
        }
    }
}

fn main() -> ExitCode {
    let a = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("hotpath: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hotpath: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let size = 172 + a.profile.rtp_tag_len();
    let phase = Duration::from_secs(a.seconds) / a.rounds;
    // The two paths alternate in `rounds` phases (in turn first), so both
    // see the same background load; each round gives one overhead figure.
    let result = rt.block_on(async {
        let store = Rc::new(Store::new(&a)?);
        let mut base = BaseRig::new(a.streams, store.clone()).await?;
        let mut hot = HotRig::new(&a, store).await?;
        let mut rounds = Vec::new();
        for r in 0..a.rounds {
            let (b, h) = if r % 2 == 0 {
                let b = base.run(phase).await;
                (b, hot.run(phase).await)
            } else {
                let h = hot.run(phase).await;
                (base.run(phase).await, h)
            };
            rounds.push((b, h));
        }
        Ok::<_, Box<dyn std::error::Error>>((rounds, hot.agent.stats()))
    });
    let (rounds, driver) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hotpath: {e}");
            return ExitCode::FAILURE;
        }
    };
    let total = |pick: fn(&(Run, Run)) -> &Run| {
        rounds.iter().map(pick).fold(
            Run {
                relayed: 0,
                sent: 0,
                returned: 0,
                cpu: Duration::ZERO,
                wall: Duration::ZERO,
            },
            |acc, r| Run {
                relayed: acc.relayed + r.relayed,
                sent: acc.sent + r.sent,
                returned: acc.returned + r.returned,
                cpu: acc.cpu + r.cpu,
                wall: acc.wall + r.wall,
            },
        )
    };
    let (base, hot) = (total(|r| &r.0), total(|r| &r.1));
    let per = |r: &Run| r.cpu.as_nanos() as f64 / r.relayed.max(1) as f64;
    let loss = |r: &Run| 1.0 - r.returned as f64 / r.sent.max(1) as f64;
    let overheads: Vec<f64> = rounds
        .iter()
        .map(|(b, h)| (per(h) / per(b) - 1.0) * 100.0)
        .collect();
    println!(
        "streams={} seconds={} rounds={} profile={} datagram={}B ports={}",
        a.streams,
        a.seconds,
        a.rounds,
        a.profile,
        size,
        if a.shared_port {
            "shared"
        } else {
            "per-session"
        }
    );
    println!(
        "baseline_udp: packets_per_s={:.0} cpu_ns_per_packet={:.0} loss={:.4}",
        base.relayed as f64 / base.wall.as_secs_f64(),
        per(&base),
        loss(&base)
    );
    println!(
        "hot_path:     packets_per_s={:.0} cpu_ns_per_packet={:.0} loss={:.4}",
        hot.relayed as f64 / hot.wall.as_secs_f64(),
        per(&hot),
        loss(&hot)
    );
    let per_packet = |n: u64| n as f64 / driver.received.max(1) as f64;
    println!(
        "hot_path_driver: receive_calls_per_packet={:.2} send_calls_per_packet={:.2} unknown_source={} send_dropped={}",
        per_packet(driver.receive_calls),
        per_packet(driver.send_calls),
        driver.unknown_source,
        driver.send_dropped
    );
    println!(
        "rounds_overhead_pct={}",
        overheads
            .iter()
            .map(|o| format!("{o:.1}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    println!(
        "hot_path_overhead_pct={:.1} (median of rounds; all rounds together: {:.1})",
        support::median(overheads),
        (per(&hot) / per(&base) - 1.0) * 100.0
    );
    ExitCode::SUCCESS
}
