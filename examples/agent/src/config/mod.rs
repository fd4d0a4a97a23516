//! `agent.toml`: the customer's onboarding sheet as a file.
//!
//! Every row of `REQUIREMENTS.md` has a key; the table below maps the
//! sheet's questions to sections. Loading checks the whole file and
//! reports every invalid value with its key and what is allowed
//! ([`ConfigErrors`]) before anything starts; unknown keys are errors too.
//! Secrets come from the file, an environment variable or a file
//! (`account.password`, `account.password_env`, `account.password_file`)
//! and never show in `Debug` output.
//!
//! | sheet | section |
//! |---|---|
//! | 1 vendor, SBC in front | `[pbx] vendor`, `[sip] outbound_proxy` |
//! | 2 registrar, transport, IP family, DNS, RTP ports, SNI, allowlists | `[sip]`, `[tls] server_name`, `[media] rtp_ports`, `[policy] allowed_sources` |
//! | 3 AOR, auth user, realm, password, expiry, contacts, rate limits | `[account]`, `[sip] retry_min/retry_max` |
//! | 4 TLS, SRTP, fallback, mTLS | `[tls]`, `[media] srtp/srtp_fallback/srtp_suites` |
//! | 5 NAT, keepalives | `[sip] public_address/keepalive`, `[media] symmetric_rtp/address` |
//! | 6 codecs, DTMF, 100rel | `[media] codecs/ptime/dtmf`, `[sip] 100rel` |
//! | 7 E.164, PAI/PPI, privacy, transfers, session timer | `[identity]`, `[numbering]`, `[call]`, `[sip] session_timer` |
//! | 8 destinations, caps, rate, hours, CLI | `[policy]`, `[identity] cli/allowed_cli` |
//! | 9 public IP, User-Agent, fingerprints | `heron-agent check`, `[sip] user_agent` |
//! | 10 logs, emergency block | `[log]`, `[policy.emergency] extra` (always on) |
//!
//! ```
//! use heron_agent::config::{load_str, ProcessEnv};
//!
//! let text = r#"
//! [account]
//! aor = "sip:123456@pbx.example.com"
//! password = "secret"
//! [sip]
//! transport = "tcp"
//! [media]
//! codecs = ["g722", "pcmu", "mp3"]
//! "#;
//! let err = load_str(text, ".".as_ref(), &ProcessEnv).unwrap_err();
//! assert_eq!(err.errors[0].key, "media.codecs[2]");
//! assert!(err.errors[0].message.contains("use opus, g722, pcma or pcmu"));
//! ```

mod load;
mod model;
mod reader;
mod secret;
mod vendor;

pub use load::{load_file, load_str, ConfigErrors, Loaded, SRTP_SUITES, TLS_CIPHERS};
pub use model::*;
pub use reader::ConfigIssue;
pub use secret::{Environment, ProcessEnv, SecretSource, SecretString};
pub use vendor::{Vendor, VendorProfile, VENDORS};

#[cfg(test)]
mod tests;
