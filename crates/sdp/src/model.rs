//! The session description model (RFC 8866 §5): one struct per line type.

use std::fmt;
use std::net::IpAddr;

use crate::attribute::{Attribute, Direction};
use crate::secret::Secret;

/// A complete session description (`v=0` and everything after it).
///
/// Fields hold the session-level lines in the order RFC 8866 §5 lists them;
/// [`std::fmt::Display`] writes them back in that order with CRLF line ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=`: originator and session identifier.
    pub origin: Origin,
    /// `s=`: session name (empty when the sender left it out or wrote `s=`).
    pub session_name: String,
    /// `i=`: session information.
    pub information: Option<String>,
    /// `u=`: URI of a description.
    pub uri: Option<String>,
    /// `e=` lines: e-mail addresses.
    pub emails: Vec<String>,
    /// `p=` lines: phone numbers.
    pub phones: Vec<String>,
    /// `c=` at session level; media sections without their own inherit it.
    pub connection: Option<Connection>,
    /// `b=` lines at session level.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines, each with its `r=` lines. Written as `t=0 0` when empty.
    pub timings: Vec<Timing>,
    /// `z=` adjustments.
    pub time_zones: Vec<TimeZoneAdjustment>,
    /// `k=` (obsolete) encryption key; redacted in `Debug`.
    pub key: Option<EncryptionKey>,
    /// Session-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
    /// `m=` sections, in order.
    pub media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// A minimal description: the given origin, `s=-`, `t=0 0`, nothing else.
    pub fn new(origin: Origin) -> Self {
        Self {
            origin,
            session_name: "-".to_owned(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timings: vec![Timing::default()],
            time_zones: Vec::new(),
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    /// The connection that applies to media section `index`: its own first
    /// `c=` line, else the session-level one (RFC 8866 §5.7).
    pub fn connection_for(&self, index: usize) -> Option<&Connection> {
        self.media
            .get(index)
            .and_then(|m| m.connections.first())
            .or(self.connection.as_ref())
    }

    /// The direction that applies to media section `index`: its own
    /// direction attribute, else the session-level one, else `sendrecv`.
    pub fn direction_for(&self, index: usize) -> Direction {
        self.media
            .get(index)
            .and_then(|m| find_direction(&m.attributes))
            .or_else(|| find_direction(&self.attributes))
            .unwrap_or(Direction::SendRecv)
    }

    /// Attributes that apply to media section `index`: the media-level ones
    /// first, then the session-level ones (which media sections inherit).
    pub fn attributes_for(&self, index: usize) -> impl Iterator<Item = &Attribute> {
        self.media
            .get(index)
            .into_iter()
            .flat_map(|m| m.attributes.iter())
            .chain(self.attributes.iter())
    }
}

fn find_direction(attrs: &[Attribute]) -> Option<Direction> {
    attrs.iter().find_map(|a| match a {
        Attribute::Direction(d) => Some(*d),
        _ => None,
    })
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>`.
///
/// Session id and version are kept as text because PBXs send values such as
/// `(null)`; [`Origin::version_number`] reads the version as a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name, `-` when there is none.
    pub username: String,
    /// Session id.
    pub session_id: String,
    /// Session version, incremented on every change in a dialog.
    pub session_version: String,
    /// Network type, normally `IN`.
    pub net_type: String,
    /// Address type.
    pub addr_type: AddressType,
    /// Unicast address (or host name) of the originator.
    pub unicast_address: String,
}

impl Origin {
    /// An `IN` origin with numeric id and version for the given address.
    pub fn new(session_id: u64, session_version: u64, address: IpAddr) -> Self {
        Self {
            username: "-".to_owned(),
            session_id: session_id.to_string(),
            session_version: session_version.to_string(),
            net_type: "IN".to_owned(),
            addr_type: AddressType::for_ip(address),
            unicast_address: address.to_string(),
        }
    }

    /// The session version as a number, when it is one.
    pub fn version_number(&self) -> Option<u64> {
        self.session_version.parse().ok()
    }
}

/// Address type of `o=`, `c=` and `a=rtcp`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddressType {
    /// `IP4`.
    Ip4,
    /// `IP6`.
    Ip6,
    /// Anything else, kept as written.
    Other(String),
}

impl AddressType {
    /// `IP4` or `IP6` matching the address family.
    pub fn for_ip(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self::Ip4,
            IpAddr::V6(_) => Self::Ip6,
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        if s.eq_ignore_ascii_case("IP4") {
            Self::Ip4
        } else if s.eq_ignore_ascii_case("IP6") {
            Self::Ip6
        } else {
            Self::Other(s.to_owned())
        }
    }
}

impl fmt::Display for AddressType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip4 => f.write_str("IP4"),
            Self::Ip6 => f.write_str("IP6"),
            Self::Other(s) => f.write_str(s),
        }
    }
}

/// An address as written in `c=` or `a=rtcp`: an IP address or a host name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConnectionAddress {
    /// A literal IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A fully qualified domain name (allowed by RFC 8866, seen in RFC 3264's examples).
    Host(String),
}

impl ConnectionAddress {
    pub(crate) fn parse(s: &str) -> Self {
        match s.parse::<IpAddr>() {
            Ok(ip) => Self::Ip(ip),
            Err(_) => Self::Host(s.to_owned()),
        }
    }

    /// The IP address, when the address is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Ip(ip) => Some(*ip),
            Self::Host(_) => None,
        }
    }

    /// True for `0.0.0.0` and `::`, the RFC 2543 "hold" form (RFC 3264 §8.4).
    pub fn is_unspecified(&self) -> bool {
        matches!(self, Self::Ip(ip) if ip.is_unspecified())
    }
}

impl fmt::Display for ConnectionAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => write!(f, "{ip}"),
            Self::Host(h) => f.write_str(h),
        }
    }
}

/// `c=<nettype> <addrtype> <connection-address>[/<ttl>][/<number>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Network type, normally `IN`.
    pub net_type: String,
    /// Address type.
    pub addr_type: AddressType,
    /// The address.
    pub address: ConnectionAddress,
    /// IPv4 multicast TTL.
    pub ttl: Option<u8>,
    /// Number of consecutive multicast addresses.
    pub count: Option<u32>,
}

impl Connection {
    /// An `IN IP4`/`IN IP6` unicast connection for an IP address.
    pub fn new(ip: IpAddr) -> Self {
        Self {
            net_type: "IN".to_owned(),
            addr_type: AddressType::for_ip(ip),
            address: ConnectionAddress::Ip(ip),
            ttl: None,
            count: None,
        }
    }
}

/// `b=<bwtype>:<bandwidth>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    /// `AS`, `CT`, `TIAS`, `RS`, `RR`, ...
    pub bw_type: String,
    /// The value (kbit/s for `AS`/`CT`, bit/s for `TIAS`).
    pub bandwidth: u64,
}

/// `t=<start> <stop>` with its `r=` lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timing {
    /// Start time (NTP seconds), 0 for unbounded.
    pub start: u64,
    /// Stop time (NTP seconds), 0 for unbounded.
    pub stop: u64,
    /// `r=` lines following this `t=`.
    pub repeats: Vec<Repeat>,
}

/// A time value with an optional unit suffix (`d`, `h`, `m`, `s`), as used in `r=` and `z=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypedTime {
    /// The number as written.
    pub value: i64,
    /// The unit letter, if any.
    pub unit: Option<TimeUnit>,
}

impl TypedTime {
    /// The value in seconds (saturating).
    pub fn seconds(&self) -> i64 {
        let mul = match self.unit {
            None | Some(TimeUnit::Seconds) => 1,
            Some(TimeUnit::Minutes) => 60,
            Some(TimeUnit::Hours) => 3600,
            Some(TimeUnit::Days) => 86400,
        };
        self.value.saturating_mul(mul)
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (num, unit) = match s.as_bytes().last()? {
            b'd' => (&s[..s.len() - 1], Some(TimeUnit::Days)),
            b'h' => (&s[..s.len() - 1], Some(TimeUnit::Hours)),
            b'm' => (&s[..s.len() - 1], Some(TimeUnit::Minutes)),
            b's' => (&s[..s.len() - 1], Some(TimeUnit::Seconds)),
            _ => (s, None),
        };
        let digits = num.strip_prefix('-').unwrap_or(num);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self {
            value: num.parse().ok()?,
            unit,
        })
    }
}

impl fmt::Display for TypedTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)?;
        match self.unit {
            None => Ok(()),
            Some(TimeUnit::Days) => f.write_str("d"),
            Some(TimeUnit::Hours) => f.write_str("h"),
            Some(TimeUnit::Minutes) => f.write_str("m"),
            Some(TimeUnit::Seconds) => f.write_str("s"),
        }
    }
}

/// Unit letter of a [`TypedTime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// `d`
    Days,
    /// `h`
    Hours,
    /// `m`
    Minutes,
    /// `s`
    Seconds,
}

/// `r=<repeat interval> <active duration> <offsets from start-time>...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// Repeat interval.
    pub interval: TypedTime,
    /// Active duration.
    pub duration: TypedTime,
    /// Offsets from the start time (at least one).
    pub offsets: Vec<TypedTime>,
}

/// One `<adjustment time> <offset>` pair of a `z=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneAdjustment {
    /// NTP time of the adjustment.
    pub time: u64,
    /// Offset applied from then on.
    pub offset: TypedTime,
}

/// `k=<method>[:<encryption key>]` (obsolete, RFC 8866 §5.12). The key is redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionKey {
    /// `clear`, `base64`, `uri` or `prompt`.
    pub method: String,
    /// The key, if the method has one.
    pub key: Option<Secret<String>>,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("method", &self.method)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Media type of an `m=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `audio`
    Audio,
    /// `video`
    Video,
    /// `text`
    Text,
    /// `application`
    Application,
    /// `message`
    Message,
    /// `image` (T.38 fax)
    Image,
    /// Anything else, kept as written.
    Other(String),
}

impl MediaType {
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "audio" => Self::Audio,
            "video" => Self::Video,
            "text" => Self::Text,
            "application" => Self::Application,
            "message" => Self::Message,
            "image" => Self::Image,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Text => "text",
            Self::Application => "application",
            Self::Message => "message",
            Self::Image => "image",
            Self::Other(s) => s,
        })
    }
}

/// Transport protocol of an `m=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TransportProtocol {
    /// `RTP/AVP` (RFC 3551).
    RtpAvp,
    /// `RTP/AVPF` (RFC 4585).
    RtpAvpf,
    /// `RTP/SAVP` (RFC 3711), keyed by SDES in practice.
    RtpSavp,
    /// `RTP/SAVPF` (RFC 5124).
    RtpSavpf,
    /// `UDP/TLS/RTP/SAVP` (DTLS-SRTP, RFC 5764).
    UdpTlsRtpSavp,
    /// `UDP/TLS/RTP/SAVPF` (DTLS-SRTP with feedback, as WebRTC sends).
    UdpTlsRtpSavpf,
    /// Anything else (`udptl`, `UDP/BFCP`, ...), kept as written.
    Other(String),
}

impl TransportProtocol {
    pub(crate) fn parse(s: &str) -> Self {
        const KNOWN: [(&str, TransportProtocol); 6] = [
            ("RTP/AVP", TransportProtocol::RtpAvp),
            ("RTP/AVPF", TransportProtocol::RtpAvpf),
            ("RTP/SAVP", TransportProtocol::RtpSavp),
            ("RTP/SAVPF", TransportProtocol::RtpSavpf),
            ("UDP/TLS/RTP/SAVP", TransportProtocol::UdpTlsRtpSavp),
            ("UDP/TLS/RTP/SAVPF", TransportProtocol::UdpTlsRtpSavpf),
        ];
        KNOWN
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| Self::Other(s.to_owned()))
    }

    /// The protocol name as written in `m=`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::RtpAvp => "RTP/AVP",
            Self::RtpAvpf => "RTP/AVPF",
            Self::RtpSavp => "RTP/SAVP",
            Self::RtpSavpf => "RTP/SAVPF",
            Self::UdpTlsRtpSavp => "UDP/TLS/RTP/SAVP",
            Self::UdpTlsRtpSavpf => "UDP/TLS/RTP/SAVPF",
            Self::Other(s) => s,
        }
    }

    /// True for every RTP profile above.
    pub fn is_rtp(&self) -> bool {
        !matches!(self, Self::Other(_))
    }

    /// True for `RTP/AVP` and `RTP/AVPF` (no SRTP signalled by the profile).
    pub fn is_plain_rtp(&self) -> bool {
        matches!(self, Self::RtpAvp | Self::RtpAvpf)
    }

    /// True for `RTP/SAVP` and `RTP/SAVPF` (SRTP keyed in SDP, i.e. SDES).
    pub fn is_sdes_srtp(&self) -> bool {
        matches!(self, Self::RtpSavp | Self::RtpSavpf)
    }

    /// True for the `UDP/TLS/RTP/...` profiles (DTLS-SRTP).
    pub fn is_dtls_srtp(&self) -> bool {
        matches!(self, Self::UdpTlsRtpSavp | Self::UdpTlsRtpSavpf)
    }
}

impl fmt::Display for TransportProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `m=` section with its `i= c= b= k= a=` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type.
    pub media_type: MediaType,
    /// Transport port; 0 means the stream is rejected or disabled.
    pub port: u16,
    /// `/<number of ports>` suffix.
    pub port_count: Option<u16>,
    /// Transport protocol.
    pub protocol: TransportProtocol,
    /// Formats: RTP payload type numbers as text, or `t38`, `*`, ...
    pub formats: Vec<String>,
    /// `i=` media title.
    pub title: Option<String>,
    /// `c=` lines of this section.
    pub connections: Vec<Connection>,
    /// `b=` lines of this section.
    pub bandwidths: Vec<Bandwidth>,
    /// `k=` of this section; redacted in `Debug`.
    pub key: Option<EncryptionKey>,
    /// `a=` lines of this section, in order.
    pub attributes: Vec<Attribute>,
}

impl MediaDescription {
    /// A media section with no lines other than `m=`.
    pub fn new(media_type: MediaType, port: u16, protocol: TransportProtocol) -> Self {
        Self {
            media_type,
            port,
            port_count: None,
            protocol,
            formats: Vec::new(),
            title: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
        }
    }

    /// The formats that are RTP payload type numbers (0..=127), duplicates removed.
    pub fn payload_types(&self) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::with_capacity(self.formats.len());
        for f in &self.formats {
            if let Ok(pt) = f.parse::<u8>() {
                if pt < 128 && !out.contains(&pt) {
                    out.push(pt);
                }
            }
        }
        out
    }

    /// The first `a=rtpmap` for `pt` in this section.
    pub fn rtpmap(&self, pt: u8) -> Option<&crate::attribute::RtpMap> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::RtpMap(m) if m.payload_type == pt => Some(m),
            _ => None,
        })
    }

    /// The first `a=fmtp` for `pt` in this section.
    pub fn fmtp(&self, pt: u8) -> Option<&crate::attribute::Fmtp> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Fmtp(m) if m.payload_type == pt => Some(m),
            _ => None,
        })
    }

    /// This section's own direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        find_direction(&self.attributes)
    }
}
