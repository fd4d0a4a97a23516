//! Reading and validating `agent.toml`: every section at once, every
//! problem reported with its key and what is allowed. One file per group
//! of sections.

mod identity;
mod media;
mod policy;
mod sip;

use std::path::{Path, PathBuf};
use std::time::Duration;

use heron_sip::uri::{Host, Uri};

use super::model::*;
use super::reader::{ConfigIssue, Issues, Section};
use super::secret::Environment;
use super::vendor::{Vendor, VENDORS};

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
    pub(super) fn err(&mut self, key: String, msg: impl Into<String>) {
        self.issues.error(key, msg);
    }

    pub(super) fn path(
        &mut self,
        sec: &Section<'_>,
        name: &str,
        must_exist: bool,
    ) -> Option<PathBuf> {
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
}
