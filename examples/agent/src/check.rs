//! `heron-agent check`: what a PBX admin must know and allowlist, and a
//! live probe of our public address as the registrar sees it.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use heron_sip::{HeaderName, Message, Method};
use heron_sip_stack::driver::Stack;
use heron_sip_stack::Event;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use sha2::{Digest, Sha256};

use crate::config::{AgentConfig, SrtpMode, Transport};
use crate::policy::CallPolicy;
use crate::runtime::setup;

/// The SHA-256 fingerprint (`AB:CD:...`) of the first certificate in a PEM file.
pub fn fingerprint(pem: &Path) -> Result<String, String> {
    let cert = CertificateDer::pem_file_iter(pem)
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("no certificate in the file")?
        .map_err(|e| e.to_string())?;
    Ok(Sha256::digest(cert.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":"))
}

/// The text `check` prints: allowlist data, the policy, the vendor notes.
pub fn report(c: &AgentConfig) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "For the PBX admin:");
    let _ = writeln!(
        s,
        "  extension       {} (auth user {}, password from {})",
        c.account.aor, c.account.auth_user, c.account.password_source
    );
    let hop = c.sip.outbound_proxy.as_ref().unwrap_or(&c.sip.registrar);
    let _ = writeln!(
        s,
        "  next hop        {} over {}",
        hop.hostport(),
        c.sip.transport.name().to_uppercase()
    );
    let _ = writeln!(
        s,
        "  our SIP port    {}/{}",
        c.sip.listen,
        c.sip.transport.name()
    );
    let _ = writeln!(
        s,
        "  our RTP ports   {}-{}/udp",
        c.media.rtp_ports.0, c.media.rtp_ports.1
    );
    let _ = writeln!(s, "  User-Agent      {}", c.sip.user_agent);
    if let Some(ip) = c.sip.public_address {
        let _ = writeln!(s, "  public address  {ip} (configured)");
    }
    match (&c.tls.client_cert, c.sip.transport) {
        (Some(cert), Transport::Tls) => match fingerprint(cert) {
            Ok(f) => {
                let _ = writeln!(s, "  client cert     SHA-256 {f}");
            }
            Err(e) => {
                let _ = writeln!(s, "  client cert     unreadable: {e}");
            }
        },
        (None, Transport::Tls) => {
            let _ = writeln!(
                s,
                "  client cert     none (no mutual TLS); server name checked: {}",
                c.tls.server_name
            );
        }
        _ => {}
    }
    if c.sip.transport == Transport::Tls {
        let suites = if c.tls.ciphers.is_empty() {
            format!(
                "{} (rustls defaults)",
                heron_sip_stack::driver::TlsConfig::supported_cipher_suites().join(", ")
            )
        } else {
            c.tls.ciphers.join(", ")
        };
        let _ = writeln!(
            s,
            "  TLS             {}+, suites {suites}",
            match c.tls.min_version {
                crate::config::TlsVersion::V1_2 => "1.2",
                crate::config::TlsVersion::V1_3 => "1.3",
            }
        );
    }
    let srtp = match c.media.srtp {
        SrtpMode::Off => "off (plain RTP)".to_owned(),
        SrtpMode::Sdes => format!(
            "SDES, suites {}",
            c.media
                .srtp_suites
                .iter()
                .map(|s| s.name().to_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        SrtpMode::Dtls => "DTLS-SRTP (certificate fingerprint sent in the SDP per call)".to_owned(),
    };
    let _ = writeln!(
        s,
        "  SRTP            {srtp}{}",
        if c.media.srtp_fallback {
            ", plain RTP accepted as fallback"
        } else {
            ""
        }
    );
    let _ = writeln!(
        s,
        "  codecs          {}",
        c.media
            .codecs
            .iter()
            .map(|c| c.encoding_name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let p = &c.policy;
    let policy = CallPolicy::new(p.clone());
    let _ = writeln!(s, "\nCall policy:");
    let _ = writeln!(
        s,
        "  emergency       always refused: {}, urn:service:sos*",
        policy.emergency().numbers().join(", ")
    );
    let _ = writeln!(
        s,
        "  allowed         {}",
        if p.allow.is_empty() {
            "nothing".to_owned()
        } else {
            p.allow
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    if !p.deny.is_empty() {
        let _ = writeln!(
            s,
            "  denied          {}",
            p.deny
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        s,
        "  max calls       {} (busy: {})",
        p.max_calls,
        p.busy_status.code()
    );
    if let Some(r) = p.rate {
        let _ = writeln!(
            s,
            "  rate            {} calls per {:?}, bursts of {}",
            r.calls, r.per, r.burst
        );
    }
    if !p.hours.is_empty() {
        let _ = writeln!(
            s,
            "  hours           {}",
            p.hours
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    if !p.allowed_sources.is_empty() {
        let _ = writeln!(
            s,
            "  sources         {}",
            p.allowed_sources
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let v = c.pbx.vendor.profile();
    let _ = writeln!(s, "\nVendor profile: {} — {}", v.name, v.note);
    s
}

/// Sends an OPTIONS to the next hop and reads our address from its Via
/// `received`/`rport` (what the registrar sees of us behind NAT).
pub async fn probe(c: &AgentConfig) -> String {
    match probe_inner(c).await {
        Ok(s) => s,
        Err(e) => format!("Public address probe: {e}"),
    }
}

async fn probe_inner(c: &AgentConfig) -> Result<String, String> {
    let mut cfg = c.clone();
    cfg.sip.listen.set_port(0);
    let stack_cfg =
        setup::stack_config(&cfg, &Default::default(), false).map_err(|e| e.to_string())?;
    let target = tokio::time::timeout(Duration::from_secs(5), setup::resolve_next_hop(&cfg))
        .await
        .map_err(|_| "resolving the next hop timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let (stack, mut events) = Stack::start(stack_cfg).await.map_err(|e| e.to_string())?;
    let uri = format!("sip:{}", c.account.domain);
    let mut m = Message::request(Method::Options, uri.as_str());
    m.append_header(
        HeaderName::From,
        &format!("<{}>;tag=probe{}", c.account.aor, std::process::id()),
    );
    m.append_header(HeaderName::To, &format!("<{uri}>"));
    m.append_header(
        HeaderName::CallId,
        &format!("heron-check-{}", std::process::id()),
    );
    m.append_header(HeaderName::CSeq, "1 OPTIONS");
    m.append_header(HeaderName::UserAgent, &c.sip.user_agent);
    let key = stack
        .send_request(m, vec![target.clone()])
        .map_err(|e| e.to_string())?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let e = tokio::time::timeout_at(deadline, events.recv())
            .await
            .map_err(|_| format!("no answer from {} within 5 s", target.addr))?
            .ok_or("the stack stopped")?;
        match e {
            Event::Response {
                key: k, response, ..
            } if k == key => {
                let via = response.top_via().map_err(|e| e.to_string())?;
                let ip = via
                    .received()
                    .map(str::to_owned)
                    .unwrap_or_else(|| via.host.to_string());
                let port = via.rport().flatten().or(via.port);
                return Ok(format!(
                    "Public address probe: {} answered {}; it sees us as {ip}{} — allowlist this address",
                    target.addr,
                    response.status().unwrap_or(0),
                    port.map(|p| format!(":{p}")).unwrap_or_default()
                ));
            }
            Event::Timeout { key: k } | Event::TransportError { key: k, .. } if k == key => {
                return Err(format!("{} did not answer OPTIONS", target.addr));
            }
            _ => {}
        }
    }
}
