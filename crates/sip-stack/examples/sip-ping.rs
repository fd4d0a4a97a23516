//! sip-ping: resolves a SIP URI as RFC 3263 says, sends OPTIONS and prints
//! each response's status, the address and transport it came over and the
//! round-trip time; answers OPTIONS (and any other request, with 200 for
//! OPTIONS and 501 otherwise) while it runs.
//!
//! ```text
//! cargo run -p heron-sip-stack --example sip-ping -- sip:host[:port][;transport=tcp|tls] \
//!     [--count N] [--interval-ms MS] [--ca FILE] [--cert FILE --key FILE] \
//!     [--listen IP:PORT] [--dns IP:PORT] [--serve-secs S] \
//!     [--client-auth none|request|require] [--client-ca FILE]
//! ```
//!
//! Without a URI it only answers (a UAS for load tests), for `--serve-secs`
//! seconds or until interrupted. With `--cert`/`--key` it also listens on
//! TLS; `--client-auth` makes that listener ask for a client certificate
//! (mTLS) checked against `--client-ca` (or `--ca`), and the verified
//! certificate of each TLS request's sender is printed.

// A command-line tool: its output is the point.
#![allow(clippy::print_stdout)]

use clap::Parser;
use heron_sip::{HeaderName, Message, Method};
use heron_sip_stack::driver::{ClientAuth, Identity, Stack, StackConfig, TlsConfig};
use heron_sip_stack::resolve::Resolver;
use heron_sip_stack::{Event, TransportKind};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

#[derive(Parser, Debug)]
#[command(about = "Send SIP OPTIONS pings and answer them")]
struct Args {
    /// The URI to ping (`sip:host[:port][;transport=tcp|tls]`, `sips:...`).
    uri: Option<String>,
    /// How many pings.
    #[arg(long, default_value_t = 4)]
    count: u32,
    /// Time between pings in milliseconds.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// CA certificates (PEM) to trust instead of the system roots.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// Our certificate chain (PEM), for mTLS or a TLS listener.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Our private key (PEM).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Local address for UDP and TCP (and TLS when --cert is given).
    #[arg(long, default_value = "0.0.0.0:0")]
    listen: SocketAddr,
    /// DNS server to ask instead of the system's.
    #[arg(long)]
    dns: Option<SocketAddr>,
    /// Without a URI: answer for this many seconds (0 = forever).
    #[arg(long, default_value_t = 0)]
    serve_secs: u64,
    /// Whether the TLS listener asks clients for a certificate.
    #[arg(long, value_enum, default_value_t = Auth::None)]
    client_auth: Auth,
    /// CA certificates (PEM) that client certificates must chain to
    /// (default: --ca).
    #[arg(long)]
    client_ca: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Auth {
    None,
    Request,
    Require,
}

fn answer(stack: &Stack, e: &Event) {
    if let Event::Request {
        key,
        request,
        source,
    } = e
    {
        if let Some(cert) = source.connection.and_then(|c| stack.peer_certificate(c)) {
            println!(
                "{} from {} {}: client certificate {} (SHA-256 {})",
                request.method().map_or("?", |m| m.as_str()),
                source.transport,
                source.remote,
                cert.subject,
                cert.fingerprint()
            );
        }
        let code = if request.method() == Some(&Method::Options) {
            200
        } else {
            501
        };
        let mut resp = Message::response_to(request, code, Some("sipping"));
        resp.append_header(HeaderName::Allow, "OPTIONS");
        let _ = stack.send_response(*key, resp);
    }
}

async fn serve(stack: Stack, mut events: UnboundedReceiver<Event>, secs: u64) {
    let until = (secs > 0).then(|| tokio::time::Instant::now() + Duration::from_secs(secs));
    loop {
        let e = match until {
            Some(u) => match tokio::time::timeout_at(u, events.recv()).await {
                Ok(e) => e,
                Err(_) => return,
            },
            None => events.recv().await,
        };
        match e {
            Some(e) => answer(&stack, &e),
            None => return,
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let identity = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => Some(Identity::from_pem_files(c, k)?),
        _ => None,
    };
    let ca = match &args.ca {
        Some(p) => Some(TlsConfig::ca_from_pem_file(p)?),
        None => None,
    };
    let wants_tls = args
        .uri
        .as_deref()
        .is_some_and(|u| u.starts_with("sips:") || u.contains("transport=tls"));
    let client_ca = match &args.client_ca {
        Some(p) => Some(TlsConfig::ca_from_pem_file(p)?),
        None => None,
    };
    let client_auth = match args.client_auth {
        Auth::None => ClientAuth::None,
        Auth::Request => ClientAuth::Request,
        Auth::Require => ClientAuth::Require,
    };
    let tls = (wants_tls || identity.is_some() || ca.is_some()).then(|| TlsConfig {
        ca,
        identity: identity.clone(),
        client_auth,
        client_ca,
        ..TlsConfig::default()
    });
    let cfg = StackConfig {
        udp: vec![args.listen],
        tcp: vec![args.listen],
        tls_listen: if identity.is_some() {
            vec![SocketAddr::new(args.listen.ip(), 0)]
        } else {
            vec![]
        },
        tls,
        ..StackConfig::default()
    };
    let (stack, mut events) = Stack::start(cfg).await?;
    for t in [TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls] {
        if let Some(a) = stack.local_addr(t) {
            println!("listening on {t} {a}");
        }
    }
    let Some(uri) = args.uri.clone() else {
        serve(stack, events, args.serve_secs).await;
        return Ok(());
    };
    let transports = vec![TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls];
    let resolver = match args.dns {
        Some(d) => Resolver::with_nameserver(d, transports),
        None => Resolver::system(transports)?,
    };
    let targets = resolver.resolve(&uri).await?;
    for t in &targets {
        println!("resolved {uri} -> {t}");
    }
    let call_id = stack.with_endpoint(|ep, _| ep.new_call_id());
    let mut failures = 0;
    for seq in 1..=args.count {
        let mut req = Message::request(Method::Options, &uri);
        req.append_header(HeaderName::From, "<sip:sip-ping@invalid>;tag=sipping");
        req.append_header(HeaderName::To, &format!("<{uri}>"));
        req.append_header(HeaderName::CallId, &call_id);
        req.append_header(HeaderName::CSeq, &format!("{seq} OPTIONS"));
        req.append_header(HeaderName::Accept, "application/sdp");
        let started = Instant::now();
        let key = stack.send_request(req, targets.clone())?;
        loop {
            let Some(e) = events.recv().await else {
                return Ok(());
            };
            match &e {
                Event::Response {
                    key: k,
                    response,
                    source,
                } if *k == key => {
                    let rtt = started.elapsed();
                    println!(
                        "{seq}: {} {} from {} over {} in {:.1} ms",
                        response.status().unwrap_or(0),
                        response.reason().unwrap_or(""),
                        source.remote,
                        source.transport,
                        rtt.as_secs_f64() * 1000.0
                    );
                    if response.status() >= Some(200) {
                        break;
                    }
                }
                Event::Timeout { key: k } if *k == key => {
                    println!(
                        "{seq}: timeout after {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                    failures += 1;
                    break;
                }
                Event::TransportError { key: k, error } if *k == key => {
                    println!("{seq}: transport error: {error}");
                    failures += 1;
                    break;
                }
                other => answer(&stack, other),
            }
        }
        if seq < args.count {
            let pause = tokio::time::sleep(Duration::from_millis(args.interval_ms));
            tokio::pin!(pause);
            loop {
                tokio::select! {
                    _ = &mut pause => break,
                    e = events.recv() => match e {
                        Some(e) => answer(&stack, &e),
                        None => return Ok(()),
                    },
                }
            }
        }
    }
    if failures > 0 {
        std::process::exit(1);
    }
    Ok(())
}
