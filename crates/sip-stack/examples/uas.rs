//! A user agent server that answers every call: each INVITE gets an SDP
//! answer to its offer (no media is sent; to an INVITE without offer we
//! offer, in a reliable 183 when the caller supports 100rel, else in the
//! 200), re-INVITE/UPDATE offers are answered, INFO DTMF is printed,
//! REFER is accepted by calling the Refer-To target with NOTIFY progress;
//! 100rel and session timers are on. One line per call on stdout.
//! Optionally registers first.
//!
//! ```sh
//! cargo run -p heron-sip-stack --example uas -- --listen udp:127.0.0.1:5080 \
//!     [--listen tcp:127.0.0.1:5080] [--listen tls:127.0.0.1:5081 --cert F --key F] \
//!     [--register sip:1001@pbx.example.com --proxy sip:192.0.2.10:5060 \
//!      --auth-user 1001 --password secret] [--quiet] [--stats-every 5] [--no-trim]
//! ```
//!
//! `--stats-every` prints calls, transactions and user-agent entries
//! alive with the live heap bytes and blocks (a counting allocator) and
//! RSS; when no transaction is left it hands free heap pages back to the
//! system unless `--no-trim` (see `benches/sipp-calls.sh`).
#![allow(clippy::print_stdout)]

#[path = "uas/heap.rs"]
mod heap;

/// Counts live heap bytes for `--stats-every`.
#[global_allocator]
static ALLOC: heap::Counting = heap::Counting;

use bytes::Bytes;
use clap::Parser;
use heron_sdp::{LocalCapabilities, Negotiator, SessionDescription, SrtpPolicy};
use heron_sip_auth::Credentials;
use heron_sip_stack::driver::{Identity, StackConfig, TlsConfig};
use heron_sip_stack::registration::RegistrationConfig;
use heron_sip_stack::resolve::UriTarget;
use heron_sip_stack::ua::driver::UaStack;
use heron_sip_stack::ua::{CallKey, UaConfig, UaEvent};
use heron_sip_stack::{Target, TransportKind};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(about = "Answer every SIP call (SDP answer, no media)")]
struct Args {
    /// `udp:ADDR`, `tcp:ADDR` or `tls:ADDR`; repeatable.
    #[arg(long, required = true)]
    listen: Vec<String>,
    /// TLS certificate chain (PEM).
    #[arg(long)]
    cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long)]
    key: Option<PathBuf>,
    /// Register this AOR first.
    #[arg(long)]
    register: Option<String>,
    /// The registrar / outbound proxy, `sip:host:port[;transport=tcp]`.
    #[arg(long)]
    proxy: Option<String>,
    /// Digest user name.
    #[arg(long)]
    auth_user: Option<String>,
    /// Digest password.
    #[arg(long)]
    password: Option<String>,
    /// Registration expiry in seconds.
    #[arg(long, default_value_t = 600)]
    expires: u32,
    /// Print nothing per call (for load runs).
    #[arg(long)]
    quiet: bool,
    /// Do not hand the allocator's free memory back to the system when
    /// the process goes quiet (no transaction left); by default it is,
    /// checked every 5 s.
    #[arg(long)]
    no_trim: bool,
    /// Every SECS seconds print a `stats` line: calls and transactions
    /// alive, user-agent table entries, live heap bytes and blocks, the
    /// heap peak since the previous line, and RSS.
    #[arg(long, value_name = "SECS")]
    stats_every: Option<u64>,
}

fn listen_spec(s: &str) -> Result<(TransportKind, SocketAddr), String> {
    let (t, a) = s.split_once(':').ok_or(format!("bad --listen {s}"))?;
    let kind = TransportKind::from_token(t).ok_or(format!("bad transport in {s}"))?;
    let addr = a.parse().map_err(|e| format!("bad address in {s}: {e}"))?;
    Ok((kind, addr))
}

fn proxy_target(uri: &str) -> Result<Target, String> {
    let t = UriTarget::parse(uri).map_err(|e| e.to_string())?;
    let ip: IpAddr = t.ip.ok_or("--proxy must name an IP address")?;
    let transport = t.default_transport();
    Ok(Target::new(
        transport,
        SocketAddr::new(ip, t.port.unwrap_or(transport.default_port())),
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut cfg = StackConfig::default();
    for l in &args.listen {
        let (kind, addr) = listen_spec(l)?;
        match kind {
            TransportKind::Udp => cfg.udp.push(addr),
            TransportKind::Tcp => cfg.tcp.push(addr),
            TransportKind::Tls => cfg.tls_listen.push(addr),
        }
    }
    if let (Some(c), Some(k)) = (&args.cert, &args.key) {
        cfg.tls = Some(TlsConfig {
            identity: Some(Identity::from_pem_files(c, k)?),
            ..TlsConfig::default()
        });
    }
    let first = listen_spec(&args.listen[0])?.1;
    let aor = args
        .register
        .clone()
        .unwrap_or_else(|| format!("sip:uas@{first}"));
    let mut ua_cfg = UaConfig::new(aor.clone());
    let proxy = args.proxy.as_deref().map(proxy_target).transpose()?;
    ua_cfg.proxy = proxy.clone();
    if let (Some(u), Some(p)) = (&args.auth_user, &args.password) {
        ua_cfg.credentials = Some(Credentials::new(u.clone(), p.clone()));
    }
    let (phone, mut events) = UaStack::start(cfg, ua_cfg.clone()).await?;
    if args.register.is_some() {
        let target = proxy.clone().ok_or("--register needs --proxy")?;
        let registrar = format!(
            "sip:{}",
            aor.split('@').nth(1).unwrap_or(&target.addr.to_string())
        );
        let mut rc = RegistrationConfig::new(registrar, aor.clone());
        rc.credentials = ua_cfg.credentials.clone();
        rc.expires = args.expires;
        phone.register(rc, target)?;
    }
    let open_calls = Arc::new(AtomicUsize::new(0));
    if let Some(secs) = args.stats_every.filter(|s| *s > 0) {
        let (phone, open_calls) = (phone.clone(), open_calls.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(secs));
            let start = std::time::Instant::now();
            loop {
                tick.tick().await;
                let (calls, state, transactions) = phone
                    .with(|ua, ep, _| (ua.call_count(), ua.state_size(), ep.transaction_count()));
                let (live, blocks, peak) = heap::take();
                println!(
                    "stats t={}s calls={calls} ua_entries={state} transactions={transactions} \
                     example_calls={} heap_live_kb={} heap_blocks={blocks} heap_peak_kb={} rss_kb={}",
                    start.elapsed().as_secs(),
                    open_calls.load(Ordering::Relaxed),
                    live / 1024,
                    peak / 1024,
                    heap::rss_kb()
                );
            }
        });
    }
    if !args.no_trim {
        let phone = phone.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            let mut was_idle = true;
            loop {
                tick.tick().await;
                // Quiet: no transaction in flight. Calls may be up (a few
                // whose BYE was lost live until their session refresh).
                let idle = phone.with(|_, ep, _| ep.transaction_count()) == 0;
                if idle && !was_idle {
                    heap::trim();
                }
                was_idle = idle;
            }
        });
    }
    let media_ip = first.ip();
    let mut caps = LocalCapabilities::new(media_ip, 40000);
    caps.srtp = SrtpPolicy::Off;
    let mut rng = rand::rngs::OsRng;
    // Boxed: the table keeps its peak capacity, the calls' state does not.
    let mut calls: HashMap<CallKey, Box<(Negotiator, String)>> = HashMap::new();
    let answer =
        |n: &mut Negotiator, offer: &Bytes, rng: &mut rand::rngs::OsRng| -> Option<Bytes> {
            let text = std::str::from_utf8(offer).ok()?;
            let sdp: SessionDescription = text.parse().ok()?;
            let a = n.receive_offer(&sdp, rng).ok()?;
            Some(Bytes::from(a.sdp.to_string()))
        };
    while let Some(e) = events.recv().await {
        match e {
            UaEvent::Registration { state, .. } => println!("registration {state:?}"),
            UaEvent::IncomingCall { call, info } => {
                let h = phone.call_handle(call);
                let mut n = Negotiator::new(caps.clone(), &mut rng);
                let sdp = match &info.offer {
                    Some(o) => match answer(&mut n, o, &mut rng) {
                        Some(a) => Some(a),
                        None => {
                            let _ = h.reject(488);
                            continue;
                        }
                    },
                    None => n
                        .create_offer(&mut rng)
                        .ok()
                        .map(|o| Bytes::from(o.to_string())),
                };
                if info.offer.is_none() && h.reliable_provisionals() {
                    // Delayed offer with 100rel: our offer in a reliable
                    // 183, its answer in the PRACK; the 200 follows it.
                    let _ = h.ring(sdp);
                    let _ = h.answer(None);
                } else {
                    let _ = h.ring(None);
                    let _ = h.answer(sdp);
                }
                calls.insert(call, Box::new((n, info.from.uri.clone())));
                open_calls.store(calls.len(), Ordering::Relaxed);
            }
            UaEvent::Confirmed { call, sdp: Some(a) } | UaEvent::MediaUpdate { call, sdp: a } => {
                if let Some((n, _)) = calls.get_mut(&call).map(Box::as_mut) {
                    if let Ok(text) = std::str::from_utf8(&a) {
                        if let Ok(sdp) = text.parse::<SessionDescription>() {
                            let _ = n.receive_answer(&sdp);
                        }
                    }
                }
            }
            UaEvent::OfferReceived { call, sdp, .. } => {
                let h = phone.call_handle(call);
                let reply = match (calls.get_mut(&call).map(Box::as_mut), sdp) {
                    (Some((n, _)), Some(o)) => answer(n, &o, &mut rng),
                    (Some((n, _)), None) => n
                        .create_offer(&mut rng)
                        .ok()
                        .map(|o| Bytes::from(o.to_string())),
                    _ => None,
                };
                match reply {
                    Some(r) => {
                        let _ = h.respond_offer(r);
                    }
                    None => {
                        let _ = phone.with(|u, ep, now| u.reject_offer(ep, now, call, 488));
                    }
                }
            }
            UaEvent::Dtmf { call, digit, .. } if !args.quiet => println!("{call} dtmf {digit}"),
            UaEvent::TransferRequested { call, target, .. } => {
                let mut n = Negotiator::new(caps.clone(), &mut rng);
                let offer = n
                    .create_offer(&mut rng)
                    .ok()
                    .map(|o| Bytes::from(o.to_string()));
                match phone.call_handle(call).accept_transfer(offer) {
                    Ok(new) => {
                        calls.insert(new.key(), Box::new((n, target.clone())));
                        open_calls.store(calls.len(), Ordering::Relaxed);
                        if !args.quiet {
                            println!("{call} transferred to {target} as {}", new.key());
                        }
                    }
                    Err(e) => println!("{call} transfer failed: {e}"),
                }
            }
            UaEvent::Terminated { call, reason } => {
                let from = calls.remove(&call).map(|c| c.1).unwrap_or_default();
                if calls.is_empty() && calls.capacity() > 1024 {
                    calls.shrink_to_fit();
                }
                open_calls.store(calls.len(), Ordering::Relaxed);
                if !args.quiet {
                    println!("{call} from {from} ended: {reason:?}");
                }
            }
            _ => {}
        }
    }
    Ok(())
}
