//! Reading and validating `agent.toml`: every section at once, every
//! problem reported with its key and what is allowed.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use heron_sdp::{Codec, SrtpSuite};
use heron_sip::e164::{normalize, NumberingPlan};
use heron_sip::uri::{Host, Uri};

use super::model::*;
use super::reader::{ConfigIssue, Issues, Section};
use super::secret::{read_secret_file, Environment, SecretSource, SecretString};
use super::vendor::{Vendor, VENDORS};
use crate::policy::{BusyStatus, Pattern, PolicyConfig, RateLimit, TimeWindow};

/// A configuration that loaded, with what deserves a look.
#[derive(Debug)]
pub struct Loaded {
    /// The configuration.
    pub config: AgentConfig,
    /// Values that work but are probably not what was meant.
    pub warnings: Vec<ConfigIssue>,
}

/// Everything wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in the configuration:\n{}", .errors.len(), .errors.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors {
    /// The problems, in file order of the sections.
    pub errors: Vec<ConfigIssue>,
}

/// The IANA names of the TLS suites the TLS library offers.
pub const TLS_CIPHERS: [&str; 9] = [
    "TLS13_AES_256_GCM_SHA384",
    "TLS13_AES_128_GCM_SHA256",
    "TLS13_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

/// The SRTP suites heron-rtp implements, as written in `a=crypto`.
pub const SRTP_SUITES: [&str; 6] = [
    "AEAD_AES_256_GCM",
    "AEAD_AES_128_GCM",
    "AES_256_CM_HMAC_SHA1_80",
    "AES_256_CM_HMAC_SHA1_32",
    "AES_CM_128_HMAC_SHA1_80",
    "AES_CM_128_HMAC_SHA1_32",
];

const TOP: &[&str] = &[
    "pbx",
    "account",
    "sip",
    "tls",
    "media",
    "identity",
    "numbering",
    "call",
    "policy",
    "log",
];

/// Loads a configuration file; relative paths inside it are relative to
/// its directory.
pub fn load_file(path: &Path, env: &dyn Environment) -> Result<Loaded, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigErrors {
        errors: vec![ConfigIssue {
            key: path.display().to_string(),
            message: format!("cannot read the configuration file: {e}"),
        }],
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    load_str(&text, base, env)
}

/// Loads a configuration from text.
pub fn load_str(text: &str, base: &Path, env: &dyn Environment) -> Result<Loaded, ConfigErrors> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigErrors {
        errors: vec![ConfigIssue {
            key: match e.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}")
                }
                None => "file".into(),
            },
            message: format!("not valid TOML: {}", e.message()),
        }],
    })?;
    let mut issues = Issues::default();
    let root = Section::root(&table);
    let cfg = Builder {
        issues: &mut issues,
        base,
        env,
    }
    .build(&root);
    root.finish(TOP, &mut issues);
    match cfg {
        Some(config) if issues.errors.is_empty() => Ok(Loaded {
            config,
            warnings: issues.warnings,
        }),
        _ => Err(ConfigErrors {
            errors: issues.errors,
        }),
    }
}

struct Builder<'a> {
    issues: &'a mut Issues,
    base: &'a Path,
    env: &'a dyn Environment,
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(n.max(0) as u64)
}

/// `sip:host[:port]`, `sips:...`, `host[:port]`, `[v6]:port`.
pub(crate) fn parse_target(s: &str) -> Result<SipTarget, String> {
    let s = s.trim();
    let with_scheme = if s.to_ascii_lowercase().starts_with("sip:")
        || s.to_ascii_lowercase().starts_with("sips:")
    {
        s.to_owned()
    } else {
        format!("sip:{s}")
    };
    let uri = Uri::parse(&with_scheme)
        .map_err(|e| format!("{s:?} is not a host[:port] or sip: URI ({e})"))?;
    let Some(sip) = uri.as_sip() else {
        return Err(format!("{s:?} is not a sip: URI"));
    };
    if sip.user.is_some() {
        return Err(format!(
            "{s:?} names a user; give the server only, e.g. sip:pbx.example.com"
        ));
    }
    let host = match sip.host {
        Host::Domain(d) => d.to_ascii_lowercase(),
        Host::V4(a) => a.to_string(),
        Host::V6(a) => a.to_string(),
    };
    if sip.port == Some(0) {
        return Err(format!("{s:?}: port 0 is not allowed"));
    }
    Ok(SipTarget {
        host,
        port: sip.port,
        secure: sip.secure,
    })
}

impl Builder<'_> {
    fn err(&mut self, key: String, msg: impl Into<String>) {
        self.issues.error(key, msg);
    }

    fn path(&mut self, sec: &Section<'_>, name: &str, must_exist: bool) -> Option<PathBuf> {
        let s = sec.opt_nonempty(name, self.issues)?;
        let p = self.base.join(&s);
        if must_exist && !p.is_file() {
            self.err(
                sec.key(name),
                format!(
                    "file {} does not exist (relative paths start at the config file's directory)",
                    p.display()
                ),
            );
            return None;
        }
        Some(p)
    }

    fn build(mut self, root: &Section<'_>) -> Option<AgentConfig> {
        let pbx_s = root.section("pbx", self.issues);
        let vendor = pbx_s.choice("vendor", Vendor::Generic, &VENDORS, self.issues);
        pbx_s.finish(&["vendor"], self.issues);

        let account_s = root.section("account", self.issues);
        let sip_s = root.section("sip", self.issues);
        let tls_s = root.section("tls", self.issues);
        let media_s = root.section("media", self.issues);
        let numbering_s = root.section("numbering", self.issues);
        let identity_s = root.section("identity", self.issues);
        let call_s = root.section("call", self.issues);
        let policy_s = root.section("policy", self.issues);
        let log_s = root.section("log", self.issues);
        let account = self.account(&account_s);
        let sip = self.sip(&sip_s, account.as_ref());
        let tls = self.tls(&tls_s, sip.as_ref());
        let media = self.media(&media_s);
        let numbering = self.numbering(&numbering_s);
        let identity = self.identity(&identity_s, &numbering.plan);
        let call = self.call(&call_s, vendor);
        let (policy, tz) = self.policy(&policy_s, &numbering);
        let log = self.log(&log_s);

        let (account, sip, tls, media, identity) = (account?, sip?, tls?, media?, identity?);
        let cfg = AgentConfig {
            pbx: PbxConfig { vendor },
            account,
            sip,
            tls,
            media,
            identity,
            numbering,
            call,
            policy,
            policy_timezone: tz,
            log,
        };
        self.cross_checks(&cfg);
        Some(cfg)
    }

    fn account(&mut self, s: &Section<'_>) -> Option<AccountConfig> {
        let aor_raw = s.req_str(
            "aor",
            "the extension's SIP address, e.g. \"sip:123456@pbx.example.com\"",
            self.issues,
        );
        let mut user_domain = None;
        if let Some(a) = &aor_raw {
            let with_scheme = if a.contains(':') {
                a.clone()
            } else {
                format!("sip:{a}")
            };
            match Uri::parse(&with_scheme) {
                Ok(Uri::Sip(u)) => match (u.user_unescaped(), u.host) {
                    (Some(user), Host::Domain(d)) => {
                        user_domain = Some((
                            with_scheme.clone(),
                            user.into_owned(),
                            d.to_ascii_lowercase(),
                        ))
                    }
                    (Some(user), Host::V4(ip)) => {
                        user_domain = Some((with_scheme.clone(), user.into_owned(), ip.to_string()))
                    }
                    (Some(user), Host::V6(ip)) => {
                        user_domain =
                            Some((with_scheme.clone(), user.into_owned(), format!("[{ip}]")))
                    }
                    (None, _) => self.err(
                        s.key("aor"),
                        format!("{a:?} has no user part; write user@domain"),
                    ),
                },
                Ok(_) => self.err(s.key("aor"), format!("{a:?} is not a sip: or sips: URI")),
                Err(e) => self.err(
                    s.key("aor"),
                    format!("{a:?} is not a SIP URI ({e}); write e.g. sip:123456@pbx.example.com"),
                ),
            }
        }
        let auth_user = s.opt_nonempty("auth_user", self.issues);
        let password = self.password(s);
        let realm = s.opt_nonempty("realm", self.issues);
        let expires = s.int("expires", 600, 60..=86_400, "seconds", self.issues);
        let contacts = s.choice(
            "contacts",
            ContactMode::Single,
            &[
                ("single", ContactMode::Single),
                ("multiple", ContactMode::Multiple),
            ],
            self.issues,
        );
        let instance_id = s.opt_nonempty("instance_id", self.issues);
        if let Some(i) = &instance_id {
            if !i.to_ascii_lowercase().starts_with("urn:") {
                self.err(s.key("instance_id"), format!("{i:?} is not a URN; use e.g. \"urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF\""));
            }
        }
        if contacts == ContactMode::Multiple && instance_id.is_none() {
            self.issues.warn(
                s.key("instance_id"),
                "account.contacts = \"multiple\" works best with an instance id (RFC 5626)",
            );
        }
        let register = s.bool("register", true, self.issues);
        s.finish(
            &[
                "aor",
                "auth_user",
                "password",
                "password_env",
                "password_file",
                "realm",
                "expires",
                "contacts",
                "instance_id",
                "register",
            ],
            self.issues,
        );
        let (aor, user, domain) = user_domain?;
        let (password, password_source) = password?;
        Some(AccountConfig {
            auth_user: auth_user.unwrap_or_else(|| user.clone()),
            aor,
            user,
            domain,
            password,
            password_source,
            realm,
            expires: secs(expires),
            contacts,
            instance_id,
            register,
        })
    }

    fn password(&mut self, s: &Section<'_>) -> Option<(SecretString, SecretSource)> {
        let given: Vec<&str> = ["password", "password_env", "password_file"]
            .into_iter()
            .filter(|k| s.has(k))
            .collect();
        match given.as_slice() {
            [] => {
                self.err(s.key("password"), "missing; set one of account.password, account.password_env (a variable name) or account.password_file (a path)");
                None
            }
            [one] => match *one {
                "password" => {
                    let p = s.opt_str("password", self.issues)?;
                    self.issues.warn(
                        s.key("password"),
                        "the password is in the config file; prefer password_env or password_file",
                    );
                    Some((SecretString::new(p), SecretSource::Inline))
                }
                "password_env" => {
                    let var = s.opt_nonempty("password_env", self.issues)?;
                    match self.env.var(&var) {
                        Some(v) if !v.is_empty() => {
                            Some((SecretString::new(v), SecretSource::Env(var)))
                        }
                        _ => {
                            self.err(
                                s.key("password_env"),
                                format!("environment variable {var} is not set or empty"),
                            );
                            None
                        }
                    }
                }
                _ => {
                    let p = self.path(s, "password_file", false)?;
                    match read_secret_file(&p) {
                        Ok(v) if !v.expose().is_empty() => Some((v, SecretSource::File(p))),
                        Ok(_) => {
                            self.err(s.key("password_file"), format!("{} is empty", p.display()));
                            None
                        }
                        Err(e) => {
                            self.err(s.key("password_file"), format!("{}: {e}", p.display()));
                            None
                        }
                    }
                }
            },
            many => {
                self.err(
                    s.key(many[1]),
                    format!(
                        "set only one of {}",
                        many.iter().map(|k| s.key(k)).collect::<Vec<_>>().join(", ")
                    ),
                );
                None
            }
        }
    }

    fn target(&mut self, s: &Section<'_>, name: &str) -> Option<SipTarget> {
        let v = s.opt_nonempty(name, self.issues)?;
        match parse_target(&v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.err(s.key(name), e);
                None
            }
        }
    }

    fn sip(&mut self, s: &Section<'_>, account: Option<&AccountConfig>) -> Option<SipConfig> {
        let registrar = self.target(s, "registrar").or_else(|| {
            if s.has("registrar") {
                return None;
            }
            account.map(|a| SipTarget {
                host: a.domain.trim_matches(['[', ']']).to_owned(),
                port: None,
                secure: false,
            })
        });
        let outbound_proxy = self.target(s, "outbound_proxy");
        let transport = s.choice(
            "transport",
            Transport::Udp,
            &[
                ("udp", Transport::Udp),
                ("tcp", Transport::Tcp),
                ("tls", Transport::Tls),
            ],
            self.issues,
        );
        let ip_family = s.choice(
            "ip_family",
            IpFamily::V4,
            &[
                ("ipv4", IpFamily::V4),
                ("ipv6", IpFamily::V6),
                ("any", IpFamily::Any),
            ],
            self.issues,
        );
        let dns = s.choice(
            "dns",
            DnsMode::Rfc3263,
            &[
                ("rfc3263", DnsMode::Rfc3263),
                ("srv", DnsMode::Rfc3263),
                ("a", DnsMode::AddressOnly),
            ],
            self.issues,
        );
        let default_listen: SocketAddr = match ip_family {
            IpFamily::V6 => "[::]:5060".parse().ok()?,
            _ => "0.0.0.0:5060".parse().ok()?,
        };
        let listen = match s.opt_nonempty("listen", self.issues) {
            None => Some(default_listen),
            Some(l) => {
                match l.parse::<SocketAddr>() {
                    Ok(a) => Some(a),
                    Err(_) => {
                        self.err(s.key("listen"), format!("{l:?} is not an address:port, e.g. \"0.0.0.0:5060\" or \"[::]:5060\""));
                        None
                    }
                }
            }
        };
        let public_address = self.ip(s, "public_address");
        let keepalive = s.choice(
            "keepalive",
            KeepAliveMode::Auto,
            &[
                ("auto", KeepAliveMode::Auto),
                ("crlf", KeepAliveMode::Crlf),
                ("options", KeepAliveMode::Options),
                ("off", KeepAliveMode::Off),
            ],
            self.issues,
        );
        if keepalive == KeepAliveMode::Crlf && transport == Transport::Udp {
            self.err(s.key("keepalive"), "\"crlf\" needs sip.transport = \"tcp\" or \"tls\"; use \"options\" or \"auto\" with UDP");
        }
        let keepalive_interval = s.int("keepalive_interval", 30, 5..=3600, "seconds", self.issues);
        let rel100 = s.choice(
            "100rel",
            Rel100::Supported,
            &[
                ("off", Rel100::Off),
                ("supported", Rel100::Supported),
                ("required", Rel100::Required),
            ],
            self.issues,
        );
        let st = s.section("session_timer", self.issues);
        let st_enabled = st.bool("enabled", true, self.issues);
        let st_expires = st.int("expires", 1800, 90..=86_400, "seconds", self.issues);
        let st_min = st.int("min_se", 90, 90..=86_400, "seconds", self.issues);
        if st_min > st_expires {
            self.err(st.key("min_se"), format!("{st_min} is larger than sip.session_timer.expires ({st_expires}); use a value from 90 to {st_expires}"));
        }
        let refresher = st.choice(
            "refresher",
            Refresher::Auto,
            &[
                ("auto", Refresher::Auto),
                ("uac", Refresher::Uac),
                ("uas", Refresher::Uas),
            ],
            self.issues,
        );
        st.finish(&["enabled", "expires", "min_se", "refresher"], self.issues);
        let user_agent = s
            .opt_nonempty("user_agent", self.issues)
            .unwrap_or_else(|| format!("heron-agent/{}", env!("CARGO_PKG_VERSION")));
        if user_agent.chars().any(|c| c.is_control()) {
            self.err(s.key("user_agent"), "control characters are not allowed");
        }
        let retry_min = s.int("retry_min", 5, 1..=3600, "seconds", self.issues);
        let retry_max = s.int("retry_max", 300, 1..=86_400, "seconds", self.issues);
        if retry_max < retry_min {
            self.err(s.key("retry_max"), format!("{retry_max} is smaller than sip.retry_min ({retry_min}); use a value from {retry_min} to 86400"));
        }
        s.finish(
            &[
                "registrar",
                "outbound_proxy",
                "transport",
                "ip_family",
                "dns",
                "listen",
                "public_address",
                "keepalive",
                "keepalive_interval",
                "100rel",
                "session_timer",
                "user_agent",
                "retry_min",
                "retry_max",
            ],
            self.issues,
        );
        if let (Some(l), IpFamily::V4) = (listen, ip_family) {
            if l.is_ipv6() {
                self.err(
                    s.key("listen"),
                    "an IPv6 address with sip.ip_family = \"ipv4\"",
                );
            }
        }
        if let (Some(l), IpFamily::V6) = (listen, ip_family) {
            if l.is_ipv4() {
                self.err(
                    s.key("listen"),
                    "an IPv4 address with sip.ip_family = \"ipv6\"",
                );
            }
        }
        Some(SipConfig {
            registrar: registrar?,
            outbound_proxy,
            transport,
            ip_family,
            dns,
            listen: listen?,
            public_address,
            keepalive,
            keepalive_interval: secs(keepalive_interval),
            rel100,
            session_timer: SessionTimerConfig {
                enabled: st_enabled,
                expires: secs(st_expires),
                min_se: secs(st_min),
                refresher,
            },
            user_agent,
            retry_min: secs(retry_min),
            retry_max: secs(retry_max),
        })
    }

    fn ip(&mut self, s: &Section<'_>, name: &str) -> Option<IpAddr> {
        let v = s.opt_nonempty(name, self.issues)?;
        match v.parse() {
            Ok(ip) => Some(ip),
            Err(_) => {
                self.err(s.key(name), format!("{v:?} is not an IP address"));
                None
            }
        }
    }

    fn tls(&mut self, s: &Section<'_>, sip: Option<&SipConfig>) -> Option<TlsConfig> {
        let server_name = s.opt_nonempty("server_name", self.issues);
        let ca = self.path(s, "ca", true);
        let client_cert = self.path(s, "client_cert", true);
        let client_key = self.path(s, "client_key", true);
        if s.has("client_cert") != s.has("client_key") {
            let missing = if s.has("client_cert") {
                "client_key"
            } else {
                "client_cert"
            };
            self.err(
                s.key(missing),
                "mutual TLS needs both tls.client_cert and tls.client_key",
            );
        }
        let min_version = s.choice(
            "min_version",
            TlsVersion::V1_2,
            &[("1.2", TlsVersion::V1_2), ("1.3", TlsVersion::V1_3)],
            self.issues,
        );
        let mut ciphers = Vec::new();
        for (key, c) in s.str_list("ciphers", self.issues).unwrap_or_default() {
            let up = c.trim().to_ascii_uppercase();
            if TLS_CIPHERS.contains(&up.as_str()) {
                if min_version == TlsVersion::V1_3 && !up.starts_with("TLS13_") {
                    self.issues.warn(
                        key,
                        format!("{c} is a TLS 1.2 suite but tls.min_version is 1.3"),
                    );
                }
                ciphers.push(up);
            } else {
                self.err(
                    key,
                    format!(
                        "{c:?} is not a supported suite; use one of {}",
                        TLS_CIPHERS.join(", ")
                    ),
                );
            }
        }
        s.finish(
            &[
                "server_name",
                "ca",
                "client_cert",
                "client_key",
                "min_version",
                "ciphers",
            ],
            self.issues,
        );
        let sip = sip?;
        let tls_used = sip.transport == Transport::Tls;
        if !tls_used && (server_name.is_some() || ca.is_some() || client_cert.is_some()) {
            self.issues.warn(
                s.key("server_name"),
                "the [tls] section is ignored unless sip.transport = \"tls\"",
            );
        }
        Some(TlsConfig {
            server_name: server_name.unwrap_or_else(|| sip.registrar.host.clone()),
            ca,
            client_cert,
            client_key,
            min_version,
            ciphers,
        })
    }

    fn media(&mut self, s: &Section<'_>) -> Option<MediaConfig> {
        let mut codecs = Vec::new();
        match s.str_list("codecs", self.issues) {
            None => codecs = Codec::ALL.to_vec(),
            Some(list) => {
                for (key, c) in list {
                    match c.parse::<Codec>() {
                        Ok(codec) if codecs.contains(&codec) => {
                            self.err(key, format!("{c:?} is listed twice"))
                        }
                        Ok(codec) => codecs.push(codec),
                        Err(_) => self.err(
                            key,
                            format!("{c:?} is not a codec; use opus, g722, pcma or pcmu"),
                        ),
                    }
                }
                if codecs.is_empty() {
                    self.err(
                        s.key("codecs"),
                        "at least one codec: opus, g722, pcma, pcmu",
                    );
                }
            }
        }
        let ptime = s.choice(
            "ptime",
            20u32,
            &[("10", 10), ("20", 20), ("30", 30), ("40", 40), ("60", 60)],
            self.issues,
        );
        let srtp = s.choice(
            "srtp",
            SrtpMode::Off,
            &[
                ("off", SrtpMode::Off),
                ("sdes", SrtpMode::Sdes),
                ("dtls", SrtpMode::Dtls),
            ],
            self.issues,
        );
        let srtp_fallback = s.bool("srtp_fallback", false, self.issues);
        if srtp == SrtpMode::Off && s.has("srtp_fallback") {
            self.issues.warn(
                s.key("srtp_fallback"),
                "has no effect with media.srtp = \"off\"",
            );
        }
        let mut suites = Vec::new();
        match s.str_list("srtp_suites", self.issues) {
            None => suites = heron_sdp::negotiate::default_suites(),
            Some(list) => {
                for (key, name) in list {
                    match SrtpSuite::from_name(name.trim()) {
                        SrtpSuite::Other(_)
                        | SrtpSuite::Aes192CmHmacSha1_80
                        | SrtpSuite::Aes192CmHmacSha1_32 => self.err(
                            key,
                            format!(
                                "{name:?} is not a supported suite; use {}",
                                SRTP_SUITES.join(", ")
                            ),
                        ),
                        suite if suites.contains(&suite) => {
                            self.err(key, format!("{name:?} is listed twice"))
                        }
                        suite => suites.push(suite),
                    }
                }
            }
        }
        let dtls_backend = s.choice(
            "dtls_backend",
            DtlsBackend::OpenSsl,
            &[
                ("openssl", DtlsBackend::OpenSsl),
                ("dimpl", DtlsBackend::Dimpl),
            ],
            self.issues,
        );
        let ports = s
            .opt_nonempty("rtp_ports", self.issues)
            .unwrap_or_else(|| "16384-32767".into());
        let rtp_ports = match ports
            .split_once('-')
            .map(|(a, b)| (a.trim().parse::<u16>(), b.trim().parse::<u16>()))
        {
            Some((Ok(a), Ok(b))) if a >= 1024 && a < b && b - a >= 3 => Some((a, b)),
            _ => {
                self.err(s.key("rtp_ports"), format!("{ports:?} is not allowed; use \"FIRST-LAST\" with 1024 <= FIRST < LAST <= 65535 and room for two port pairs, e.g. \"16384-32767\""));
                None
            }
        };
        let symmetric_rtp = s.bool("symmetric_rtp", true, self.issues);
        let rtcp_mux = s.bool("rtcp_mux", false, self.issues);
        let mut dtmf = Vec::new();
        match s.str_list("dtmf", self.issues) {
            None => dtmf = vec![DtmfMode::Rfc4733, DtmfMode::Info, DtmfMode::Inband],
            Some(list) => {
                for (key, m) in list {
                    let mode = match m.trim().to_ascii_lowercase().as_str() {
                        "rfc4733" | "rfc2833" | "telephone-event" => Some(DtmfMode::Rfc4733),
                        "info" | "sip-info" => Some(DtmfMode::Info),
                        "inband" => Some(DtmfMode::Inband),
                        _ => None,
                    };
                    match mode {
                        Some(m) if !dtmf.contains(&m) => dtmf.push(m),
                        Some(_) => self.err(key, format!("{m:?} is listed twice")),
                        None => self.err(
                            key,
                            format!("{m:?} is not a DTMF method; use rfc4733, info or inband"),
                        ),
                    }
                }
                if dtmf.is_empty() {
                    self.err(s.key("dtmf"), "at least one of rfc4733, info, inband");
                }
            }
        }
        let address = self.ip(s, "address");
        s.finish(
            &[
                "codecs",
                "ptime",
                "srtp",
                "srtp_fallback",
                "srtp_suites",
                "dtls_backend",
                "rtp_ports",
                "symmetric_rtp",
                "rtcp_mux",
                "dtmf",
                "address",
            ],
            self.issues,
        );
        Some(MediaConfig {
            codecs,
            ptime,
            srtp,
            srtp_fallback,
            srtp_suites: suites,
            dtls_backend,
            rtp_ports: rtp_ports?,
            symmetric_rtp,
            rtcp_mux,
            dtmf,
            address,
        })
    }

    fn numbering(&mut self, s: &Section<'_>) -> NumberingConfig {
        let cc = s
            .opt_nonempty("country_code", self.issues)
            .unwrap_or_else(|| "49".into());
        let cc = cc.trim_start_matches('+').to_owned();
        if cc.is_empty()
            || cc.len() > 3
            || !cc.bytes().all(|b| b.is_ascii_digit())
            || cc.starts_with('0')
        {
            self.err(
                s.key("country_code"),
                format!("{cc:?} is not a country calling code; use 1 to 3 digits, e.g. \"49\""),
            );
        }
        let digits = |name: &str, default: &str, b: &mut Self| {
            let v = s
                .opt_str(name, b.issues)
                .unwrap_or_else(|| default.to_owned());
            if !v.bytes().all(|c| c.is_ascii_digit()) || v.len() > 4 {
                b.err(
                    s.key(name),
                    format!("{v:?} is not allowed; use up to 4 digits (or \"\" for none)"),
                );
            }
            v
        };
        let international_prefix = digits("international_prefix", "00", self);
        let trunk_prefix = digits("trunk_prefix", "0", self);
        let outside_line = digits("outside_line", "", self);
        s.finish(
            &[
                "country_code",
                "international_prefix",
                "trunk_prefix",
                "outside_line",
            ],
            self.issues,
        );
        NumberingConfig {
            plan: NumberingPlan {
                country_code: cc,
                international_prefix,
                trunk_prefix,
            },
            outside_line,
        }
    }

    fn identity(&mut self, s: &Section<'_>, plan: &NumberingPlan) -> Option<IdentityConfig> {
        let display_name = s.opt_nonempty("display_name", self.issues);
        if display_name
            .as_deref()
            .is_some_and(|d| d.chars().any(|c| c.is_control() || c == '"'))
        {
            self.err(
                s.key("display_name"),
                "quotes and control characters are not allowed",
            );
        }
        let number = |key: String, v: &str, b: &mut Self| match normalize(v, Some(plan)) {
            Ok(e) => Some(e),
            Err(e) => {
                b.err(key, format!("{v:?} is not a telephone number ({e}); write it in E.164, e.g. \"+49 30 5551234\""));
                None
            }
        };
        let cli = s
            .opt_nonempty("cli", self.issues)
            .and_then(|c| number(s.key("cli"), &c, self));
        let mut allowed_cli = Vec::new();
        for (key, v) in s.str_list("allowed_cli", self.issues).unwrap_or_default() {
            if let Some(e) = number(key, &v, self) {
                allowed_cli.push(e);
            }
        }
        if let Some(c) = &cli {
            if !allowed_cli.is_empty() && !allowed_cli.contains(c) {
                self.err(s.key("cli"), format!("{c} is not in identity.allowed_cli"));
            }
        }
        let e164 = s.bool("e164", true, self.issues);
        let uri = |name: &str, b: &mut Self| {
            let v = s.opt_nonempty(name, b.issues)?;
            let inner = v.trim_start_matches('<').trim_end_matches('>');
            match Uri::parse(inner) {
                Ok(Uri::Sip(_) | Uri::Tel(_)) => Some(v),
                _ => {
                    b.err(
                        s.key(name),
                        format!("{v:?} is not a sip:, sips: or tel: URI"),
                    );
                    None
                }
            }
        };
        let pai = uri("pai", self);
        let ppi = uri("ppi", self);
        let privacy = s.choice(
            "privacy",
            Privacy::None,
            &[
                ("none", Privacy::None),
                ("id", Privacy::Id),
                ("header", Privacy::Header),
                ("user", Privacy::User),
            ],
            self.issues,
        );
        s.finish(
            &[
                "display_name",
                "cli",
                "allowed_cli",
                "e164",
                "pai",
                "ppi",
                "privacy",
            ],
            self.issues,
        );
        Some(IdentityConfig {
            display_name,
            cli,
            allowed_cli,
            e164,
            pai,
            ppi,
            privacy,
        })
    }

    fn call(&mut self, s: &Section<'_>, vendor: Vendor) -> CallConfig {
        let transfer = s.choice(
            "transfer",
            TransferMode::Both,
            &[
                ("off", TransferMode::Off),
                ("blind", TransferMode::Blind),
                ("both", TransferMode::Both),
                ("attended", TransferMode::Both),
            ],
            self.issues,
        );
        let default_hold = if vendor.profile().zero_address_hold {
            HoldStyle::ZeroAddress
        } else {
            HoldStyle::SendOnly
        };
        let hold = s.choice(
            "hold",
            default_hold,
            &[
                ("sendonly", HoldStyle::SendOnly),
                ("inactive", HoldStyle::Inactive),
                ("zero-address", HoldStyle::ZeroAddress),
            ],
            self.issues,
        );
        let max_duration = s.int("max_duration", 3600, 10..=86_400, "seconds", self.issues);
        let answer_delay = s.int(
            "answer_delay_ms",
            0,
            0..=60_000,
            "milliseconds",
            self.issues,
        );
        let early_media = s.bool("early_media", false, self.issues);
        s.finish(
            &[
                "transfer",
                "hold",
                "max_duration",
                "answer_delay_ms",
                "early_media",
            ],
            self.issues,
        );
        CallConfig {
            transfer,
            hold,
            max_duration: secs(max_duration),
            answer_delay: Duration::from_millis(answer_delay.max(0) as u64),
            early_media,
        }
    }

    fn patterns(&mut self, s: &Section<'_>, name: &str) -> Vec<Pattern> {
        let mut out = Vec::new();
        for (key, p) in s.str_list(name, self.issues).unwrap_or_default() {
            match Pattern::parse(&p) {
                Ok(p) => out.push(p),
                Err(e) => self.err(key, format!("{p:?}: {e}")),
            }
        }
        out
    }

    fn policy(
        &mut self,
        s: &Section<'_>,
        numbering: &NumberingConfig,
    ) -> (PolicyConfig, jiff::tz::TimeZone) {
        let allow = self.patterns(s, "allow");
        let deny = self.patterns(s, "deny");
        if allow.is_empty() {
            self.issues.warn(
                s.key("allow"),
                "empty: the agent may not place or transfer any call (e.g. allow = [\"+49*\"])",
            );
        }
        let mut premium_extra = Vec::new();
        for (key, p) in s
            .str_list("premium_prefixes", self.issues)
            .unwrap_or_default()
        {
            let d = p.trim().replace([' ', '-'], "");
            if d.len() >= 2 && d.starts_with('+') && d[1..].bytes().all(|b| b.is_ascii_digit()) {
                premium_extra.push(d);
            } else {
                self.err(key, format!("{p:?} is not an E.164 prefix like \"+49700\""));
            }
        }
        let max_calls = s.int("max_calls", 4, 1..=10_000, "calls", self.issues);
        let busy_status = s.choice(
            "busy_status",
            BusyStatus::BusyHere,
            &[
                ("486", BusyStatus::BusyHere),
                ("503", BusyStatus::ServiceUnavailable),
            ],
            self.issues,
        );
        let rate = if s.has("rate") {
            let r = s.section("rate", self.issues);
            let calls = r.int("calls", 10, 0..=100_000, "calls", self.issues);
            let per = r.int("per_seconds", 60, 1..=86_400, "seconds", self.issues);
            let burst = r.int("burst", calls.max(1), 1..=100_000, "calls", self.issues);
            r.finish(&["calls", "per_seconds", "burst"], self.issues);
            Some(RateLimit {
                calls: calls as u32,
                per: secs(per),
                burst: burst as u32,
            })
        } else {
            None
        };
        let max_calls_per_day = s
            .opt_int("max_calls_per_day", 1..=1_000_000, "calls", self.issues)
            .map(|n| n as u32);
        let h = s.section("hours", self.issues);
        let tz_name = h
            .opt_nonempty("timezone", self.issues)
            .unwrap_or_else(|| "UTC".into());
        let tz = match jiff::tz::TimeZone::get(&tz_name) {
            Ok(tz) => tz,
            Err(_) => {
                self.err(h.key("timezone"), format!("{tz_name:?} is not a known time zone; use an IANA name such as \"Europe/Berlin\" or \"UTC\""));
                jiff::tz::TimeZone::UTC
            }
        };
        let mut hours = Vec::new();
        for (key, w) in h.str_list("windows", self.issues).unwrap_or_default() {
            match TimeWindow::parse(&w) {
                Ok(w) => hours.push(w),
                Err(e) => self.err(key, format!("{w:?}: {e}")),
            }
        }
        let hours_inbound = h.bool("inbound", false, self.issues);
        h.finish(&["timezone", "windows", "inbound"], self.issues);
        let mut allowed_sources = Vec::new();
        for (key, a) in s
            .str_list("allowed_sources", self.issues)
            .unwrap_or_default()
        {
            let a = a.trim();
            let net = a
                .parse::<ipnet::IpNet>()
                .ok()
                .or_else(|| a.parse::<IpAddr>().ok().map(ipnet::IpNet::from));
            match net {
                Some(n) => allowed_sources.push(n),
                None => self.err(
                    key,
                    format!("{a:?} is not an IP address or network like \"192.0.2.0/24\""),
                ),
            }
        }
        let e = s.section("emergency", self.issues);
        let mut emergency_extra = Vec::new();
        for (key, n) in e.str_list("extra", self.issues).unwrap_or_default() {
            match crate::policy::destination::dial_string(&n) {
                Some(d) if !d.contains(['*', '#']) => emergency_extra.push(d),
                _ => self.err(
                    key,
                    format!("{n:?} is not a number; use digits, e.g. \"19222\""),
                ),
            }
        }
        for k in ["enabled", "disabled", "off", "allow"] {
            if e.has(k) {
                let _ = e.bool(k, true, self.issues);
                self.err(e.key(k), "emergency numbers are always blocked; this list can only be extended (policy.emergency.extra)");
            }
        }
        e.finish(&["extra"], self.issues);
        s.finish(
            &[
                "allow",
                "deny",
                "premium_prefixes",
                "max_calls",
                "busy_status",
                "rate",
                "max_calls_per_day",
                "hours",
                "allowed_sources",
                "emergency",
            ],
            self.issues,
        );
        let cfg = PolicyConfig {
            allow,
            deny,
            premium_extra,
            emergency_extra,
            plan: Some(numbering.plan.clone()),
            outside_line: numbering.outside_line.clone(),
            max_calls: max_calls as usize,
            busy_status,
            rate,
            max_calls_per_day,
            hours,
            hours_inbound,
            allowed_sources,
        };
        // An allow pattern that names an emergency number does nothing:
        // say so rather than let someone believe it works.
        let probe = crate::policy::CallPolicy::new(cfg.clone());
        for (i, p) in cfg.allow.iter().enumerate() {
            if probe
                .emergency()
                .matches_dial_string(p.as_str().trim_start_matches('+').trim_end_matches('*'))
                || p.as_str()
                    .to_ascii_lowercase()
                    .starts_with("urn:service:sos")
            {
                self.issues.warn(
                    format!("policy.allow[{i}]"),
                    format!("{p} names an emergency number; emergency calls stay blocked"),
                );
            }
        }
        (cfg, tz)
    }

    fn log(&mut self, s: &Section<'_>) -> LogConfig {
        let level = s.choice(
            "level",
            "info",
            &[
                ("error", "error"),
                ("warn", "warn"),
                ("info", "info"),
                ("debug", "debug"),
                ("trace", "trace"),
            ],
            self.issues,
        );
        let format = s.choice(
            "format",
            LogFormat::Text,
            &[("text", LogFormat::Text), ("json", LogFormat::Json)],
            self.issues,
        );
        let sip_trace = s.bool("sip_trace", false, self.issues);
        s.finish(&["level", "format", "sip_trace"], self.issues);
        LogConfig {
            level: level.to_owned(),
            format,
            sip_trace,
        }
    }

    /// Rules that span sections, and the vendor profile.
    fn cross_checks(&mut self, c: &AgentConfig) {
        let profile = c.pbx.vendor.profile();
        if !profile.transports.is_empty() && !profile.transports.contains(&c.sip.transport) {
            self.issues.warn(
                "sip.transport",
                format!(
                    "{} needs {}; {}",
                    profile.name,
                    profile
                        .transports
                        .iter()
                        .map(|t| t.name())
                        .collect::<Vec<_>>()
                        .join(" or "),
                    profile.note
                ),
            );
        }
        if !profile.srtp.is_empty() && !profile.srtp.contains(&c.media.srtp) {
            self.issues.warn(
                "media.srtp",
                format!(
                    "{} needs SRTP ({}); {}",
                    profile.name, profile.note, "set media.srtp accordingly"
                ),
            );
        }
        if c.media.srtp == SrtpMode::Sdes && c.sip.transport != Transport::Tls {
            self.issues.warn("media.srtp", "SDES keys travel in the SDP: without sip.transport = \"tls\" anyone on the path can read them");
        }
        if c.sip.transport == Transport::Tls
            && c.sip.registrar.ip().is_some()
            && c.tls.server_name == c.sip.registrar.host
        {
            self.issues.warn("tls.server_name", "the registrar is an IP address: set tls.server_name to the name in the PBX's certificate");
        }
        if c.sip.registrar.secure && c.sip.transport != Transport::Tls {
            self.err(
                "sip.transport".into(),
                "a sips: registrar needs sip.transport = \"tls\"",
            );
        }
    }
}
