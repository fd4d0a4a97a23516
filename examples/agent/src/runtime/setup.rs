//! From `agent.toml` to the SIP stack's settings: sockets, TLS, the user
//! agent, the registration and where requests go.

use std::net::{IpAddr, SocketAddr};

use heron_sip_auth::Credentials;
use heron_sip_stack::driver::{Identity, StackConfig, TlsConfig, TlsVersion as StackTls};
use heron_sip_stack::registration::{ContactPolicy, RegistrationConfig};
use heron_sip_stack::resolve::Resolver;
use heron_sip_stack::ua::{Identity as UaIdentity, PrackMode, SessionTimerConfig, UaConfig};
use heron_sip_stack::{Target, TransportKind};

use crate::config::{
    AgentConfig, ContactMode, DnsMode, KeepAliveMode, Privacy, Rel100, SipTarget, TlsVersion,
    Transport,
};

/// Why the agent cannot start its SIP side.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// TLS material could not be read.
    #[error("TLS: {0}")]
    Tls(#[from] heron_sip_stack::driver::TlsError),
    /// The registrar or proxy could not be resolved.
    #[error("cannot resolve {0}: {1}")]
    Resolve(String, String),
    /// The DTLS certificate could not be made.
    #[error("DTLS certificate: {0}")]
    Dtls(String),
    /// Sockets could not be bound.
    #[error("cannot start the SIP stack: {0}")]
    Start(#[from] heron_sip_stack::driver::StartError),
}

/// The stack's transport for ours.
pub fn transport_kind(t: Transport) -> TransportKind {
    match t {
        Transport::Udp => TransportKind::Udp,
        Transport::Tcp => TransportKind::Tcp,
        Transport::Tls => TransportKind::Tls,
    }
}

/// Extra TLS material the demo supplies instead of files.
#[derive(Debug, Default, Clone)]
pub struct TlsOverride {
    /// Trust anchors.
    pub ca: Option<Vec<rustls_pki::CertificateDer<'static>>>,
    /// Our certificate and key (listener and mTLS).
    pub identity: Option<Identity>,
}

use rustls::pki_types as rustls_pki;

/// The stack configuration: listeners and TLS.
pub fn stack_config(
    cfg: &AgentConfig,
    tls: &TlsOverride,
    listen_tls: bool,
) -> Result<StackConfig, SetupError> {
    let mut s = StackConfig::default();
    s.endpoint.server_name = Some(cfg.sip.user_agent.clone());
    s.endpoint.force_rport = true;
    s.endpoint.keepalive = match (cfg.sip.keepalive, cfg.sip.transport) {
        (KeepAliveMode::Off, _) | (_, Transport::Udp) => None,
        _ => Some(heron_sip_stack::KeepAlive {
            interval: cfg.sip.keepalive_interval,
            ..heron_sip_stack::KeepAlive::default()
        }),
    };
    // Over UDP the flow to the registrar is kept open (and found dead, so
    // the registration is renewed) with OPTIONS, which every PBX answers.
    s.endpoint.udp_keepalive = match (cfg.sip.keepalive, cfg.sip.transport) {
        (KeepAliveMode::Auto | KeepAliveMode::Options, Transport::Udp) => {
            Some(heron_sip_stack::UdpKeepAlive {
                kind: heron_sip_stack::UdpKeepAliveKind::Options,
                interval: cfg.sip.keepalive_interval,
                ..heron_sip_stack::UdpKeepAlive::default()
            })
        }
        _ => None,
    };
    let listen = cfg.sip.listen;
    if let (Some(ip), port) = (cfg.sip.public_address, listen.port()) {
        // Behind NAT: Via and Contact name the public address.
        s.advertised = Some(if port == 0 {
            ip.to_string()
        } else {
            std::net::SocketAddr::new(ip, port).to_string()
        });
    }
    match cfg.sip.transport {
        Transport::Udp => s.udp.push(listen),
        Transport::Tcp => {
            s.tcp.push(listen);
            s.udp.push(listen);
        }
        Transport::Tls => {
            if listen_tls {
                s.tls_listen.push(listen);
            } else {
                // The stack sends TLS from ephemeral ports but needs a
                // local transport for Via: a UDP socket, never used for TLS.
                s.udp.push(listen);
            }
        }
    }
    if cfg.sip.transport == Transport::Tls {
        let mut t = TlsConfig {
            min_version: match cfg.tls.min_version {
                TlsVersion::V1_2 => StackTls::Tls12,
                TlsVersion::V1_3 => StackTls::Tls13,
            },
            ..TlsConfig::default()
        };
        if let Some(ca) = &cfg.tls.ca {
            t.ca = Some(TlsConfig::ca_from_pem_file(ca)?);
        }
        if let (Some(c), Some(k)) = (&cfg.tls.client_cert, &cfg.tls.client_key) {
            t.identity = Some(Identity::from_pem_files(c, k)?);
        }
        if tls.ca.is_some() {
            t.ca = tls.ca.clone();
        }
        if tls.identity.is_some() {
            t.identity = tls.identity.clone();
        }
        // `tls.ciphers`, in the configured order; checked against what
        // the TLS stack has when it starts (StartError::Tls names them).
        t.cipher_suites = cfg.tls.ciphers.clone();
        s.tls = Some(t);
    }
    Ok(s)
}

/// The user agent's configuration.
pub fn ua_config(cfg: &AgentConfig, proxy: Option<Target>) -> UaConfig {
    let mut ua = UaConfig::new(cfg.account.aor.clone());
    ua.identity = ua_identity(cfg);
    ua.contact_user = cfg.account.user.clone();
    ua.transport = transport_kind(cfg.sip.transport);
    ua.proxy = proxy;
    ua.credentials = Some(credentials(cfg));
    ua.prack = match cfg.sip.rel100 {
        Rel100::Off => PrackMode::Off,
        Rel100::Supported => PrackMode::Supported,
        Rel100::Required => PrackMode::Required,
    };
    ua.session_timer = cfg.sip.session_timer.enabled.then_some(SessionTimerConfig {
        expires: cfg.sip.session_timer.expires.as_secs() as u32,
        min_se: cfg.sip.session_timer.min_se.as_secs() as u32,
    });
    ua.user_agent = Some(cfg.sip.user_agent.clone());
    ua.end_call_after_transfer = true;
    ua
}

/// Who we are in calls we place: From, P-Preferred-Identity,
/// P-Asserted-Identity and Privacy from `[identity]`.
///
/// `privacy = "user"` calls anonymously (RFC 3323 §4.1.1.3): From is
/// `"Anonymous" <sip:anonymous@anonymous.invalid>`, `Privacy: id` asks the
/// PBX to withhold the asserted identity from the callee (a user agent
/// should not send `user` itself, RFC 3323 §4.2), and the real identity
/// travels only in P-Preferred-Identity / P-Asserted-Identity: the
/// configured ones, else the calling number, else the AOR.
pub fn ua_identity(cfg: &AgentConfig) -> UaIdentity {
    let cli = cfg
        .identity
        .cli
        .as_ref()
        .map(|cli| format!("<sip:{}@{};user=phone>", cli.as_str(), cfg.account.domain));
    let mut id = UaIdentity::new(cfg.account.aor.clone());
    id.display_name = cfg.identity.display_name.clone();
    id.asserted = cfg.identity.pai.clone();
    // The configured calling number, as the PBX's P-Preferred-Identity.
    id.preferred = cfg.identity.ppi.clone().or(cli);
    id.privacy = cfg
        .identity
        .privacy
        .header_value()
        .map(|v| vec![v.to_owned()])
        .unwrap_or_default();
    if cfg.identity.privacy == Privacy::User {
        id.anonymous = true;
        id.display_name = None;
        if id.preferred.is_none() && id.asserted.is_none() {
            id.preferred = Some(format!("<{}>", cfg.account.aor));
        }
    }
    id
}

/// Digest credentials from the account section.
pub fn credentials(cfg: &AgentConfig) -> Credentials {
    let c = Credentials::new(
        cfg.account.auth_user.clone(),
        cfg.account.password.expose().to_owned(),
    );
    match &cfg.account.realm {
        Some(r) => c.for_realm(r.clone()),
        None => c,
    }
}

/// The REGISTER settings.
pub fn registration_config(cfg: &AgentConfig) -> RegistrationConfig {
    // The Request-URI of a REGISTER names the AOR's domain (RFC 3261 §10.2).
    let scheme = if cfg.sip.registrar.secure {
        "sips"
    } else {
        "sip"
    };
    let mut r = RegistrationConfig::new(
        format!("{scheme}:{}", cfg.account.domain),
        cfg.account.aor.clone(),
    );
    r.display_name = cfg.identity.display_name.clone();
    r.credentials = Some(credentials(cfg));
    r.contact_user = Some(cfg.account.user.clone());
    r.expires = cfg.account.expires.as_secs() as u32;
    r.instance_id = cfg.account.instance_id.clone();
    r.reg_id = cfg.account.instance_id.as_ref().map(|_| 1);
    r.policy = match cfg.account.contacts {
        ContactMode::Single => ContactPolicy::Replace,
        ContactMode::Multiple => ContactPolicy::Add,
    };
    r.retry_base = cfg.sip.retry_min;
    r.retry_max = cfg.sip.retry_max;
    r
}

impl SipTarget {
    /// As a `sip:`/`sips:` URI with the transport parameter.
    pub fn uri(&self, transport: Transport) -> String {
        let scheme = if self.secure { "sips" } else { "sip" };
        let param = match transport {
            Transport::Udp => "",
            Transport::Tcp => ";transport=tcp",
            Transport::Tls if self.secure => "",
            Transport::Tls => ";transport=tls",
        };
        format!("{scheme}:{}{param}", self.hostport())
    }
}

/// Resolves where REGISTER and out-of-dialog requests go: the outbound
/// proxy if set, else the registrar. IP literals need no DNS; names go
/// through RFC 3263 (or A/AAAA only with `sip.dns = "a"`).
pub async fn resolve_next_hop(cfg: &AgentConfig) -> Result<Target, SetupError> {
    let hop = cfg
        .sip
        .outbound_proxy
        .as_ref()
        .unwrap_or(&cfg.sip.registrar);
    let kind = transport_kind(cfg.sip.transport);
    let port = hop.port.unwrap_or(kind.default_port());
    let with_name = |t: Target| {
        if kind == TransportKind::Tls {
            t.with_server_name(cfg.tls.server_name.clone())
        } else {
            t
        }
    };
    if let Some(ip) = hop.ip() {
        return Ok(with_name(Target::new(kind, SocketAddr::new(ip, port))));
    }
    let uri = hop.uri(cfg.sip.transport);
    match cfg.sip.dns {
        DnsMode::Rfc3263 => {
            let r = Resolver::system(vec![kind])
                .map_err(|e| SetupError::Resolve(uri.clone(), e.to_string()))?;
            let targets = r
                .resolve(&uri)
                .await
                .map_err(|e| SetupError::Resolve(uri.clone(), e.to_string()))?;
            targets
                .into_iter()
                .find(|t| family_ok(cfg, t.addr.ip()))
                .map(with_name)
                .ok_or_else(|| {
                    SetupError::Resolve(uri, "no address of the configured IP family".into())
                })
        }
        DnsMode::AddressOnly => {
            let addrs = tokio::net::lookup_host((hop.host.as_str(), port))
                .await
                .map_err(|e| SetupError::Resolve(uri.clone(), e.to_string()))?;
            addrs
                .into_iter()
                .find(|a| family_ok(cfg, a.ip()))
                .map(|a| with_name(Target::new(kind, a)))
                .ok_or_else(|| {
                    SetupError::Resolve(uri, "no address of the configured IP family".into())
                })
        }
    }
}

fn family_ok(cfg: &AgentConfig, ip: IpAddr) -> bool {
    match cfg.sip.ip_family {
        crate::config::IpFamily::V4 => ip.is_ipv4(),
        crate::config::IpFamily::V6 => ip.is_ipv6(),
        crate::config::IpFamily::Any => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(tls: &str) -> AgentConfig {
        let text = format!(
            r#"
[account]
aor = "sip:1001@pbx.example.com"
password_env = "PW"
[sip]
registrar = "127.0.0.1:5061"
transport = "tls"
[tls]
server_name = "pbx.example.com"
{tls}
"#
        );
        let env = HashMap::from([("PW".to_owned(), "x".to_owned())]);
        match crate::config::load_str(&text, ".".as_ref(), &env) {
            Ok(l) => l.config,
            Err(e) => panic!("{e}"),
        }
    }

    fn suites(c: &rustls::ClientConfig) -> Vec<String> {
        c.crypto_provider()
            .cipher_suites
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect()
    }

    /// A CA so that the client configuration builds without system roots.
    fn with_ca(mut s: StackConfig) -> StackConfig {
        let key = rcgen::KeyPair::generate().unwrap();
        let ca = rcgen::CertificateParams::new(vec!["ca".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        if let Some(t) = s.tls.as_mut() {
            t.ca = Some(vec![ca.der().clone()]);
        }
        s
    }

    #[test]
    fn tls_ciphers_are_applied_in_order() {
        let c = cfg(
            r#"ciphers = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS13_AES_256_GCM_SHA384"]"#,
        );
        let s = with_ca(stack_config(&c, &TlsOverride::default(), false).unwrap());
        let client = s.tls.as_ref().unwrap().client_config().unwrap();
        assert_eq!(
            suites(&client),
            [
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS13_AES_256_GCM_SHA384"
            ]
        );
        // No ciphers: rustls' defaults, all of them.
        let s = with_ca(stack_config(&cfg(""), &TlsOverride::default(), false).unwrap());
        let client = s.tls.as_ref().unwrap().client_config().unwrap();
        assert_eq!(
            suites(&client),
            heron_sip_stack::driver::TlsConfig::supported_cipher_suites()
        );
        assert!(suites(&client).len() >= 9);
    }

    #[test]
    fn tls12_suites_with_min_version_13_fail_to_start_with_a_reason() {
        // The config loader refuses this; a config built in code reaches
        // the stack, which refuses it too.
        let mut c = cfg("min_version = \"1.3\"");
        c.tls.ciphers = vec!["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()];
        let s = with_ca(stack_config(&c, &TlsOverride::default(), false).unwrap());
        let e = s.tls.as_ref().unwrap().client_config().unwrap_err();
        assert!(e.to_string().contains("TLS 1.3"), "{e}");
    }

    fn udp_cfg(sip: &str) -> AgentConfig {
        let text = format!(
            "[account]\naor = \"sip:1001@pbx.example.com\"\npassword_env = \"PW\"\n\
             [sip]\nregistrar = \"127.0.0.1:5060\"\ntransport = \"udp\"\n{sip}\n"
        );
        let env = HashMap::from([("PW".to_owned(), "x".to_owned())]);
        match crate::config::load_str(&text, ".".as_ref(), &env) {
            Ok(l) => l.config,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn udp_registrations_keep_their_flow_alive_with_options() {
        let s = stack_config(
            &udp_cfg("keepalive_interval = 20"),
            &TlsOverride::default(),
            false,
        )
        .unwrap();
        let ka = s.endpoint.udp_keepalive.expect("keep-alive on UDP");
        assert_eq!(ka.kind, heron_sip_stack::UdpKeepAliveKind::Options);
        assert_eq!(ka.interval, std::time::Duration::from_secs(20));
        assert!(s.endpoint.keepalive.is_none(), "no CRLF pings on UDP");
        let off = stack_config(
            &udp_cfg("keepalive = \"off\""),
            &TlsOverride::default(),
            false,
        )
        .unwrap();
        assert!(off.endpoint.udp_keepalive.is_none());
        // Over TLS the stream keep-alive applies, not the UDP one.
        let tls = with_ca(stack_config(&cfg(""), &TlsOverride::default(), false).unwrap());
        assert!(tls.endpoint.udp_keepalive.is_none() && tls.endpoint.keepalive.is_some());
    }

    #[test]
    fn every_suite_the_config_accepts_exists_in_the_stack() {
        let have = heron_sip_stack::driver::TlsConfig::supported_cipher_suites();
        for name in crate::config::TLS_CIPHERS {
            assert!(have.iter().any(|h| h == name), "{name} not in {have:?}");
        }
    }
}
