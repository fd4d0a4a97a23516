//! The `[account]`, `[sip]` and `[tls]` sections.

use std::net::{IpAddr, SocketAddr};

use heron_sip::uri::{Host, Uri};

use super::super::model::*;
use super::super::reader::Section;
use super::super::secret::{read_secret_file, SecretSource, SecretString};
use super::{parse_target, secs, Builder, TLS_CIPHERS};

impl Builder<'_> {
    pub(super) fn account(&mut self, s: &Section<'_>) -> Option<AccountConfig> {
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

    pub(super) fn password(&mut self, s: &Section<'_>) -> Option<(SecretString, SecretSource)> {
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

    pub(super) fn target(&mut self, s: &Section<'_>, name: &str) -> Option<SipTarget> {
        let v = s.opt_nonempty(name, self.issues)?;
        match parse_target(&v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.err(s.key(name), e);
                None
            }
        }
    }

    pub(super) fn sip(
        &mut self,
        s: &Section<'_>,
        account: Option<&AccountConfig>,
    ) -> Option<SipConfig> {
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

    pub(super) fn ip(&mut self, s: &Section<'_>, name: &str) -> Option<IpAddr> {
        let v = s.opt_nonempty(name, self.issues)?;
        match v.parse() {
            Ok(ip) => Some(ip),
            Err(_) => {
                self.err(s.key(name), format!("{v:?} is not an IP address"));
                None
            }
        }
    }

    pub(super) fn tls(&mut self, s: &Section<'_>, sip: Option<&SipConfig>) -> Option<TlsConfig> {
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
        if min_version == TlsVersion::V1_3
            && !ciphers.is_empty()
            && !ciphers.iter().any(|c| c.starts_with("TLS13_"))
        {
            self.err(
                s.key("ciphers"),
                "only TLS 1.2 suites are listed but tls.min_version is 1.3: add a TLS13_ suite or allow 1.2",
            );
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
}
