//! One DTLS-SRTP handshake against a PBX's or media server's endpoint, by
//! hand:
//!
//! ```sh
//! cargo run -p heron-rtp --example dtls-probe -- --connect HOST:PORT | --listen HOST:PORT \
//!     [--profiles LIST] [--backend dimpl|openssl] [--fingerprint sha-256 XX:YY:...] [--timeout SECS]
//! ```
//!
//! Prints `profile=<name>`, `peer_fingerprint=<sha-256>` and
//! `keying_material=<hex>` (the exported EXTRACTOR-dtls_srtp octets: this is
//! a debugging tool, printing them is its purpose), or the handshake error
//! with exit status 1. `--connect` is the DTLS client (`a=setup:active`),
//! `--listen` the server. Without `--fingerprint` any peer certificate is
//! accepted (and said so). `--backend openssl` needs the `dtls-openssl`
//! feature (`--features dtls-openssl`); it is the one for RSA peers.
#![allow(clippy::print_stdout)]

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use heron_rtp::dtls::{
    profile_from_name, profile_name, DtlsBackend, DtlsConfig, DtlsIdentity, DtlsRole, DtlsSrtp,
    DtlsState, Fingerprint, RemoteDtls,
};

struct Args {
    role: DtlsRole,
    addr: SocketAddr,
    config: DtlsConfig,
    fingerprint: Option<Fingerprint>,
    timeout: Duration,
}

const USAGE: &str = "usage: dtls-probe --connect HOST:PORT | --listen HOST:PORT \
[--profiles LIST] [--backend dimpl|openssl] [--fingerprint sha-256 XX:YY:...] [--timeout SECS]";

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut target = None;
    let mut config = DtlsConfig::default();
    let mut fingerprint = None;
    let mut timeout = Duration::from_secs(10);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--connect" | "--listen" => {
                let v = value()?;
                let addr = v
                    .to_socket_addrs()
                    .map_err(|e| format!("{v}: {e}"))?
                    .next()
                    .ok_or_else(|| format!("{v}: no address"))?;
                let role = if a == "--connect" {
                    DtlsRole::Client
                } else {
                    DtlsRole::Server
                };
                target = Some((role, addr));
            }
            "--profiles" => {
                let v = value()?;
                config.profiles = v
                    .split(',')
                    .map(|n| profile_from_name(n.trim()).ok_or(format!("unknown profile {n}")))
                    .collect::<Result<_, _>>()?;
            }
            "--backend" => {
                let v = value()?;
                config.backend = DtlsBackend::from_name(&v).ok_or(format!(
                    "backend {v} unknown or not compiled in (openssl needs --features dtls-openssl)"
                ))?;
            }
            "--fingerprint" => {
                let hash = value()?;
                let hex = it.next().ok_or("--fingerprint needs `sha-256 XX:YY:...`")?;
                let f = Fingerprint::parse(&format!("{hash} {hex}")).map_err(|e| e.to_string())?;
                fingerprint = Some(f);
            }
            "--timeout" => {
                let v = value()?;
                let secs: f64 = v.parse().map_err(|_| format!("bad --timeout {v}"))?;
                timeout = Duration::from_secs_f64(secs);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let (role, addr) = target.ok_or(USAGE)?;
    config.handshake_timeout = timeout;
    Ok(Args {
        role,
        addr,
        config,
        fingerprint,
        timeout,
    })
}

fn run(args: Args) -> Result<(), String> {
    let socket = match args.role {
        DtlsRole::Client => {
            let any: SocketAddr = if args.addr.is_ipv4() {
                "0.0.0.0:0".parse().unwrap()
            } else {
                "[::]:0".parse().unwrap()
            };
            UdpSocket::bind(any)
        }
        DtlsRole::Server => UdpSocket::bind(args.addr),
    }
    .map_err(|e| format!("bind: {e}"))?;
    let identity = DtlsIdentity::generate().map_err(|e| e.to_string())?;
    eprintln!("local_fingerprint={}", identity.fingerprint());
    let remote = match args.fingerprint {
        Some(f) => RemoteDtls::new(args.role, vec![f]),
        None => {
            eprintln!("note: no --fingerprint given, the peer certificate is not verified");
            RemoteDtls::unverified(args.role)
        }
    };
    let mut dtls = DtlsSrtp::new(args.config, identity, args.addr);
    let start = Instant::now();
    dtls.set_remote(start, remote, &mut ())
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 2048];
    let mut connected_at = None;
    loop {
        while let Some(t) = dtls.poll_transmit(&mut buf) {
            socket
                .send_to(&buf[..t.len], t.destination)
                .map_err(|e| format!("send: {e}"))?;
        }
        let now = Instant::now();
        match dtls.state() {
            DtlsState::Failed => {
                return Err(dtls.error().map(|e| e.to_string()).unwrap_or_default());
            }
            DtlsState::Connected => {
                // A server lingers a moment to answer a repeated final flight.
                let at = *connected_at.get_or_insert(now);
                if args.role == DtlsRole::Client || now >= at + Duration::from_millis(500) {
                    break;
                }
            }
            _ => {}
        }
        let wait = dtls
            .poll_timeout()
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or(args.timeout)
            .clamp(Duration::from_millis(1), Duration::from_millis(100));
        socket
            .set_read_timeout(Some(wait))
            .map_err(|e| e.to_string())?;
        match socket.recv_from(&mut buf) {
            Ok((n, src)) => {
                dtls.handle_datagram(Instant::now(), src, &mut buf[..n], &mut ());
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::ConnectionRefused
                ) => {}
            Err(e) => return Err(format!("receive: {e}")),
        }
        dtls.handle_timeout(Instant::now(), &mut ());
        if connected_at.is_none() && Instant::now() > start + args.timeout + Duration::from_secs(1)
        {
            return Err("DTLS handshake timed out".into());
        }
    }
    let profile = dtls.profile().ok_or("no profile")?;
    println!(
        "profile={}",
        profile_name(profile).unwrap_or(profile.name())
    );
    if let Some(f) = dtls.peer_fingerprint() {
        println!("peer_fingerprint={f}");
    }
    let km = dtls.keying_material().ok_or("no keying material")?;
    let hex: String = km.expose().iter().map(|b| format!("{b:02X}")).collect();
    println!("keying_material={hex}");
    Ok(())
}

fn main() -> ExitCode {
    match parse().and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error={e}");
            ExitCode::FAILURE
        }
    }
}
