//! The typed configuration: one struct per section of `agent.toml`, one
//! field per row of the onboarding sheet (see `REQUIREMENTS.md`).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use heron_sdp::{Codec, SrtpPolicy, SrtpSuite};
use heron_sip::e164::{NumberingPlan, E164};

use super::secret::{SecretSource, SecretString};
use super::vendor::Vendor;
use crate::policy::PolicyConfig;

/// The whole agent configuration.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// `[pbx]`: who we talk to.
    pub pbx: PbxConfig,
    /// `[account]`: the extension's credentials.
    pub account: AccountConfig,
    /// `[sip]`: signalling.
    pub sip: SipConfig,
    /// `[tls]`: TLS for `sip.transport = "tls"`.
    pub tls: TlsConfig,
    /// `[media]`: codecs, SRTP, ports, DTMF.
    pub media: MediaConfig,
    /// `[identity]`: how we present ourselves.
    pub identity: IdentityConfig,
    /// `[numbering]`: how numbers are written in the customer's country.
    pub numbering: NumberingConfig,
    /// `[call]`: transfers, hold, limits per call.
    pub call: CallConfig,
    /// `[policy]`: call policy.
    pub policy: PolicyConfig,
    /// The time zone of `policy.hours`.
    pub policy_timezone: jiff::tz::TimeZone,
    /// `[log]`.
    pub log: LogConfig,
}

/// `[pbx]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbxConfig {
    /// `pbx.vendor`: selects an interop profile.
    pub vendor: Vendor,
}

/// Registration contacts (`account.contacts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactMode {
    /// One contact; stale own contacts are removed.
    Single,
    /// Several simultaneous registrations allowed (RFC 5626 instance id).
    Multiple,
}

/// `[account]`.
#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// `account.aor`: the address of record, `sip:user@domain`.
    pub aor: String,
    /// The user part of the AOR.
    pub user: String,
    /// The domain of the AOR.
    pub domain: String,
    /// `account.auth_user` (defaults to the AOR's user).
    pub auth_user: String,
    /// `account.password` / `password_env` / `password_file`.
    pub password: SecretString,
    /// Where the password came from.
    pub password_source: SecretSource,
    /// `account.realm`: only answer challenges of this realm.
    pub realm: Option<String>,
    /// `account.expires`: requested registration interval.
    pub expires: Duration,
    /// `account.contacts`.
    pub contacts: ContactMode,
    /// `account.instance_id`: `+sip.instance` (RFC 5626).
    pub instance_id: Option<String>,
    /// `account.register`: whether to register at all (trunks with IP auth do not).
    pub register: bool,
}

/// Signalling transport (`sip.transport`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl Transport {
    /// The lower-case name, as in `;transport=`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }

    /// The default port (5061 for TLS).
    pub fn default_port(self) -> u16 {
        match self {
            Transport::Tls => 5061,
            _ => 5060,
        }
    }
}

/// IP family (`sip.ip_family`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
    /// Either; IPv6 first when the PBX has both.
    Any,
}

/// How the registrar is found (`sip.dns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsMode {
    /// RFC 3263: NAPTR, SRV, then A/AAAA.
    Rfc3263,
    /// A/AAAA of the host only.
    AddressOnly,
}

/// Where a request goes: a host (name or IP) and maybe a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipTarget {
    /// Host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// Explicit port; `None` lets DNS decide (RFC 3263).
    pub port: Option<u16>,
    /// Written as `sips:`.
    pub secure: bool,
}

impl SipTarget {
    /// The host as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// Whether DNS is needed to find it.
    pub fn needs_dns(&self) -> bool {
        self.ip().is_none()
    }

    /// `host[:port]` with IPv6 in brackets.
    pub fn hostport(&self) -> String {
        let h = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(p) => format!("{h}:{p}"),
            None => h,
        }
    }
}

/// Keep-alive kind (`sip.keepalive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAliveMode {
    /// CRLF on TCP/TLS, OPTIONS on UDP.
    Auto,
    /// Double-CRLF pings (RFC 5626 §4.4.1), stream transports.
    Crlf,
    /// OPTIONS requests.
    Options,
    /// None.
    Off,
}

/// Reliable provisional responses (`sip.100rel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rel100 {
    /// Neither offered nor used.
    Off,
    /// `Supported: 100rel`; used when the peer requires it.
    Supported,
    /// `Require: 100rel` on our INVITEs and our 18x.
    Required,
}

/// Session-timer refresher preference (`sip.session_timer.refresher`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    /// Let the other side choose (RFC 4028 default rules).
    Auto,
    /// The caller refreshes.
    Uac,
    /// The callee refreshes.
    Uas,
}

/// `sip.session_timer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimerConfig {
    /// Whether we ask for session timers.
    pub enabled: bool,
    /// `Session-Expires` we ask for.
    pub expires: Duration,
    /// `Min-SE` we accept.
    pub min_se: Duration,
    /// Who refreshes.
    pub refresher: Refresher,
}

/// `[sip]`.
#[derive(Debug, Clone)]
pub struct SipConfig {
    /// `sip.registrar` (defaults to the AOR's domain).
    pub registrar: SipTarget,
    /// `sip.outbound_proxy`.
    pub outbound_proxy: Option<SipTarget>,
    /// `sip.transport`.
    pub transport: Transport,
    /// `sip.ip_family`.
    pub ip_family: IpFamily,
    /// `sip.dns`.
    pub dns: DnsMode,
    /// `sip.listen`: local address to bind.
    pub listen: SocketAddr,
    /// `sip.public_address`: our address as the PBX should see it (NAT).
    pub public_address: Option<IpAddr>,
    /// `sip.keepalive`.
    pub keepalive: KeepAliveMode,
    /// `sip.keepalive_interval`.
    pub keepalive_interval: Duration,
    /// `sip.100rel`.
    pub rel100: Rel100,
    /// `sip.session_timer`.
    pub session_timer: SessionTimerConfig,
    /// `sip.user_agent`.
    pub user_agent: String,
    /// `sip.retry_min`: first back-off after a failure.
    pub retry_min: Duration,
    /// `sip.retry_max`: longest back-off.
    pub retry_max: Duration,
}

/// TLS versions (`tls.min_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    V1_2,
    /// TLS 1.3.
    V1_3,
}

/// `[tls]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// `tls.server_name`: SNI and the name the certificate must carry
    /// (defaults to the registrar's host).
    pub server_name: String,
    /// `tls.ca`: PEM bundle of CAs to trust instead of the system's.
    pub ca: Option<PathBuf>,
    /// `tls.client_cert`: PEM certificate chain for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// `tls.client_key`: PEM private key for mutual TLS.
    pub client_key: Option<PathBuf>,
    /// `tls.min_version`.
    pub min_version: TlsVersion,
    /// `tls.ciphers`: allowed suites (IANA names); empty = the library's defaults.
    pub ciphers: Vec<String>,
}

/// SRTP keying (`media.srtp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrtpMode {
    /// Plain RTP.
    Off,
    /// SDES (`a=crypto`, RFC 4568).
    Sdes,
    /// DTLS-SRTP (RFC 5763/5764).
    Dtls,
}

/// The DTLS implementation (`media.dtls_backend`) and a DTMF method
/// (`media.dtmf`), as heron-media names them.
pub use heron_media::{DtlsBackend, DtmfMode};

/// `[media]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// `media.codecs`, in priority order.
    pub codecs: Vec<Codec>,
    /// `media.ptime`, ms.
    pub ptime: u32,
    /// `media.srtp`.
    pub srtp: SrtpMode,
    /// `media.srtp_fallback`: accept plain RTP when the peer has no SRTP.
    pub srtp_fallback: bool,
    /// `media.srtp_suites`, in preference order.
    pub srtp_suites: Vec<SrtpSuite>,
    /// `media.dtls_backend`: `openssl` (RSA and ECDSA peers) or `dimpl`
    /// (pure Rust, ECDSA peers only).
    pub dtls_backend: DtlsBackend,
    /// `media.rtp_ports`, inclusive.
    pub rtp_ports: (u16, u16),
    /// `media.symmetric_rtp`: latch onto where media comes from.
    pub symmetric_rtp: bool,
    /// `media.rtcp_mux`.
    pub rtcp_mux: bool,
    /// `media.dtmf`: methods accepted; the first is used for sending.
    pub dtmf: Vec<DtmfMode>,
    /// `media.address`: the address written in SDP (NAT).
    pub address: Option<IpAddr>,
}

impl MediaConfig {
    /// The heron-sdp policy for `media.srtp` and `media.srtp_fallback`.
    pub fn srtp_policy(&self) -> SrtpPolicy {
        match (self.srtp, self.srtp_fallback) {
            (SrtpMode::Off, _) => SrtpPolicy::Off,
            (SrtpMode::Sdes, false) => SrtpPolicy::Sdes,
            (SrtpMode::Dtls, false) => SrtpPolicy::Dtls,
            (_, true) => SrtpPolicy::Optional,
        }
    }
}

/// RFC 3323 privacy values (`identity.privacy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privacy {
    /// No privacy requested.
    None,
    /// `id`: hide the asserted identity (RFC 3325).
    Id,
    /// `header`: hide identifying headers.
    Header,
    /// `user`: call anonymously (RFC 3323 §4.1.1.3): From is
    /// `"Anonymous" <sip:anonymous@anonymous.invalid>`, the header says
    /// `Privacy: id`, and who we are travels only in
    /// P-Preferred-Identity / P-Asserted-Identity for the PBX.
    User,
}

impl Privacy {
    /// The `Privacy` header value. `user` privacy is the anonymous From
    /// we write ourselves; the header asks the PBX to withhold the
    /// asserted identity (`id`): a user agent should not send `user`
    /// (RFC 3323 §4.2).
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            Privacy::None => None,
            Privacy::Id | Privacy::User => Some("id"),
            Privacy::Header => Some("header"),
        }
    }
}

/// `[identity]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityConfig {
    /// `identity.display_name`.
    pub display_name: Option<String>,
    /// `identity.cli`: the calling number we present, E.164.
    pub cli: Option<E164>,
    /// `identity.allowed_cli`: numbers the PBX lets us present.
    pub allowed_cli: Vec<E164>,
    /// `identity.e164`: write numbers in From/To as E.164.
    pub e164: bool,
    /// `identity.pai`: P-Asserted-Identity to send (trusted trunks).
    pub pai: Option<String>,
    /// `identity.ppi`: P-Preferred-Identity to send.
    pub ppi: Option<String>,
    /// `identity.privacy`.
    pub privacy: Privacy,
}

/// `[numbering]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberingConfig {
    /// The plan.
    pub plan: NumberingPlan,
    /// `numbering.outside_line`: prefix the PBX needs for external calls.
    pub outside_line: String,
}

/// Transfer methods (`call.transfer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferMode {
    /// No transfers.
    Off,
    /// REFER without Replaces.
    Blind,
    /// Blind and attended (REFER with Replaces).
    Both,
}

/// Hold style (`call.hold`), heron-sdp's [`heron_sdp::HoldMode`].
pub type HoldStyle = heron_sdp::HoldMode;

/// `[call]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallConfig {
    /// `call.transfer`.
    pub transfer: TransferMode,
    /// `call.hold`.
    pub hold: HoldStyle,
    /// `call.max_duration`: hang up after this long.
    pub max_duration: Duration,
    /// `call.answer_delay`: ring this long before answering.
    pub answer_delay: Duration,
    /// `call.early_media`: answer with 183 + SDP before 200.
    pub early_media: bool,
}

/// Log format (`log.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `log.level`: error, warn, info, debug, trace.
    pub level: String,
    /// `log.format`.
    pub format: LogFormat,
    /// `log.sip_trace`: log every SIP message (secrets redacted).
    pub sip_trace: bool,
}
