//! Typed `a=` attributes. Anything not understood, or malformed, is kept as
//! [`Attribute::Other`] in its original position so nothing is lost.

use std::fmt;

use crate::crypto::{Crypto, Fingerprint};
use crate::fmtp::{OpusParams, TelephoneEvents};
use crate::model::{AddressType, ConnectionAddress};
use crate::secret::Secret;

/// One `a=` line.
///
/// `Debug` redacts key material: `ice-pwd`, the keys of `a=crypto`, and the
/// value of any other attribute that looks like it carries a key (its name
/// contains `crypto`, `key` or `pwd`, or its value contains `inline:`).
#[derive(Clone, PartialEq, Eq)]
pub enum Attribute {
    /// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`.
    RtpMap(RtpMap),
    /// `a=fmtp:<pt> <format specific parameters>`.
    Fmtp(Fmtp),
    /// `a=ptime:<ms>`.
    Ptime(u32),
    /// `a=maxptime:<ms>`.
    MaxPtime(u32),
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive`.
    Direction(Direction),
    /// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605).
    Rtcp(Rtcp),
    /// `a=rtcp-mux` (RFC 5761).
    RtcpMux,
    /// `a=crypto:...` (RFC 4568); keys redacted in `Debug`.
    Crypto(Crypto),
    /// `a=fingerprint:<hash> <hex>` (RFC 8122).
    Fingerprint(Fingerprint),
    /// `a=setup:<role>` (RFC 4145).
    Setup(Setup),
    /// `a=connection:new|existing` (RFC 4145).
    Connection(ConnectionMode),
    /// `a=mid:<id>` (RFC 5888).
    Mid(String),
    /// `a=ice-ufrag:<ufrag>`, kept opaque.
    IceUfrag(String),
    /// `a=ice-pwd:<pwd>`, kept opaque and redacted in `Debug`.
    IcePwd(Secret<String>),
    /// `a=candidate:<...>`, kept opaque.
    Candidate(String),
    /// Any other attribute, or a known one whose value did not parse.
    Other {
        /// Attribute name (the part before `:`).
        name: String,
        /// Value after `:`, `None` for a flag attribute.
        value: Option<String>,
    },
}

impl Attribute {
    /// Parses the text after `a=`. Never fails: unknown or malformed
    /// attributes become [`Attribute::Other`].
    pub fn parse(text: &str) -> Self {
        let (name, value) = match text.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (text, None),
        };
        Self::parse_typed(name, value).unwrap_or_else(|| Self::Other {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        })
    }

    fn parse_typed(name: &str, value: Option<&str>) -> Option<Self> {
        let Some(value) = value else {
            return match name {
                "sendrecv" => Some(Self::Direction(Direction::SendRecv)),
                "sendonly" => Some(Self::Direction(Direction::SendOnly)),
                "recvonly" => Some(Self::Direction(Direction::RecvOnly)),
                "inactive" => Some(Self::Direction(Direction::Inactive)),
                "rtcp-mux" => Some(Self::RtcpMux),
                _ => None,
            };
        };
        match name {
            "rtpmap" => RtpMap::parse(value).map(Self::RtpMap),
            "fmtp" => Fmtp::parse(value).map(Self::Fmtp),
            "ptime" => parse_ms(value).map(Self::Ptime),
            "maxptime" => parse_ms(value).map(Self::MaxPtime),
            "rtcp" => Rtcp::parse(value).map(Self::Rtcp),
            "crypto" => Crypto::parse(value).map(Self::Crypto),
            "fingerprint" => Fingerprint::parse(value).map(Self::Fingerprint),
            "setup" => Setup::parse(value).map(Self::Setup),
            "connection" => ConnectionMode::parse(value).map(Self::Connection),
            "mid" if is_token(value) => Some(Self::Mid(value.to_owned())),
            "ice-ufrag" if is_token(value) => Some(Self::IceUfrag(value.to_owned())),
            "ice-pwd" if is_token(value) => Some(Self::IcePwd(Secret::new(value.to_owned()))),
            "candidate" if !value.is_empty() => Some(Self::Candidate(value.to_owned())),
            _ => None,
        }
    }

    /// The attribute name as written before `:`.
    pub fn name(&self) -> &str {
        match self {
            Self::RtpMap(_) => "rtpmap",
            Self::Fmtp(_) => "fmtp",
            Self::Ptime(_) => "ptime",
            Self::MaxPtime(_) => "maxptime",
            Self::Direction(d) => d.as_str(),
            Self::Rtcp(_) => "rtcp",
            Self::RtcpMux => "rtcp-mux",
            Self::Crypto(_) => "crypto",
            Self::Fingerprint(_) => "fingerprint",
            Self::Setup(_) => "setup",
            Self::Connection(_) => "connection",
            Self::Mid(_) => "mid",
            Self::IceUfrag(_) => "ice-ufrag",
            Self::IcePwd(_) => "ice-pwd",
            Self::Candidate(_) => "candidate",
            Self::Other { name, .. } => name,
        }
    }

    /// A generic attribute with a value.
    pub fn other(name: &str, value: Option<&str>) -> Self {
        Self::Other {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        }
    }
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RtpMap(v) => f.debug_tuple("RtpMap").field(v).finish(),
            Self::Fmtp(v) => f.debug_tuple("Fmtp").field(v).finish(),
            Self::Ptime(v) => f.debug_tuple("Ptime").field(v).finish(),
            Self::MaxPtime(v) => f.debug_tuple("MaxPtime").field(v).finish(),
            Self::Direction(v) => f.debug_tuple("Direction").field(v).finish(),
            Self::Rtcp(v) => f.debug_tuple("Rtcp").field(v).finish(),
            Self::RtcpMux => f.write_str("RtcpMux"),
            Self::Crypto(v) => f.debug_tuple("Crypto").field(v).finish(),
            Self::Fingerprint(v) => f.debug_tuple("Fingerprint").field(v).finish(),
            Self::Setup(v) => f.debug_tuple("Setup").field(v).finish(),
            Self::Connection(v) => f.debug_tuple("Connection").field(v).finish(),
            Self::Mid(v) => f.debug_tuple("Mid").field(v).finish(),
            Self::IceUfrag(v) => f.debug_tuple("IceUfrag").field(v).finish(),
            Self::IcePwd(v) => f.debug_tuple("IcePwd").field(v).finish(),
            Self::Candidate(v) => f.debug_tuple("Candidate").field(v).finish(),
            Self::Other { name, value } => {
                let lower = name.to_ascii_lowercase();
                let secret = ["crypto", "key", "pwd", "pass"]
                    .iter()
                    .any(|w| lower.contains(w))
                    || value
                        .as_deref()
                        .is_some_and(|v| v.to_ascii_lowercase().contains("inline:"));
                let mut d = f.debug_struct("Other");
                d.field("name", name);
                if secret && value.is_some() {
                    d.field("value", &"<redacted>");
                } else {
                    d.field("value", value);
                }
                d.finish()
            }
        }
    }
}

/// A non-empty token without white space.
fn is_token(s: &str) -> bool {
    !s.is_empty() && !s.bytes().any(|b| b.is_ascii_whitespace())
}

/// `20`, or `20.0` as some PBXs write it (rounded to whole milliseconds).
fn parse_ms(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Ok(v) = s.parse::<u32>() {
        return Some(v);
    }
    let (int, frac) = s.split_once('.')?;
    if int.is_empty() || frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let base: u32 = int.parse().ok()?;
    Some(if frac.as_bytes()[0] >= b'5' {
        base.saturating_add(1)
    } else {
        base
    })
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RtpMap(m) => write!(f, "rtpmap:{m}"),
            Self::Fmtp(m) => write!(f, "fmtp:{m}"),
            Self::Ptime(v) => write!(f, "ptime:{v}"),
            Self::MaxPtime(v) => write!(f, "maxptime:{v}"),
            Self::Direction(d) => f.write_str(d.as_str()),
            Self::Rtcp(r) => write!(f, "rtcp:{r}"),
            Self::RtcpMux => f.write_str("rtcp-mux"),
            Self::Crypto(c) => write!(f, "crypto:{c}"),
            Self::Fingerprint(fp) => write!(f, "fingerprint:{fp}"),
            Self::Setup(s) => write!(f, "setup:{}", s.as_str()),
            Self::Connection(c) => write!(f, "connection:{}", c.as_str()),
            Self::Mid(v) => write!(f, "mid:{v}"),
            Self::IceUfrag(v) => write!(f, "ice-ufrag:{v}"),
            Self::IcePwd(v) => write!(f, "ice-pwd:{}", v.expose()),
            Self::Candidate(v) => write!(f, "candidate:{v}"),
            Self::Other { name, value: None } => f.write_str(name),
            Self::Other {
                name,
                value: Some(v),
            } => write!(f, "{name}:{v}"),
        }
    }
}

/// Media direction (RFC 8866 §6.7, RFC 3264 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `sendrecv`
    SendRecv,
    /// `sendonly`
    SendOnly,
    /// `recvonly`
    RecvOnly,
    /// `inactive`
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// Builds a direction from "may send" and "may receive".
    pub fn from_flags(send: bool, recv: bool) -> Self {
        match (send, recv) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }

    /// Whether this side sends.
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Whether this side receives.
    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// The same stream seen from the peer (`sendonly` ↔ `recvonly`).
    pub fn reversed(self) -> Self {
        Self::from_flags(self.receives(), self.sends())
    }

    /// Both constraints at once.
    pub fn intersect(self, other: Self) -> Self {
        Self::from_flags(
            self.sends() && other.sends(),
            self.receives() && other.receives(),
        )
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=rtpmap` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// Payload type number.
    pub payload_type: u8,
    /// Encoding name as written (`PCMU`, `opus`, `telephone-event`, ...).
    pub encoding: String,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters: the channel count for audio.
    pub channels: Option<u16>,
}

impl RtpMap {
    /// A mapping without a channel count.
    pub fn new(payload_type: u8, encoding: &str, clock_rate: u32) -> Self {
        Self {
            payload_type,
            encoding: encoding.to_owned(),
            clock_rate,
            channels: None,
        }
    }

    fn parse(value: &str) -> Option<Self> {
        let (pt, rest) = value.split_once(|c: char| c.is_ascii_whitespace())?;
        let payload_type: u8 = pt.parse().ok()?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next()?;
        if !is_token(encoding) {
            return None;
        }
        let clock_rate = parts.next()?.parse().ok()?;
        let channels = match parts.next() {
            Some(c) => Some(c.parse().ok()?),
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            payload_type,
            encoding: encoding.to_owned(),
            clock_rate,
            channels,
        })
    }
}

impl fmt::Display for RtpMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if let Some(c) = self.channels {
            write!(f, "/{c}")?;
        }
        Ok(())
    }
}

/// `a=fmtp` value: the payload type and its parameters as written.
///
/// [`Fmtp::opus`] and [`Fmtp::telephone_events`] read the parameters of the
/// formats this crate negotiates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp {
    /// Payload type number.
    pub payload_type: u8,
    /// Format-specific parameters, as written (may be empty).
    pub params: String,
}

impl Fmtp {
    /// An fmtp line.
    pub fn new(payload_type: u8, params: impl Into<String>) -> Self {
        Self {
            payload_type,
            params: params.into(),
        }
    }

    fn parse(value: &str) -> Option<Self> {
        let (pt, params) = match value.split_once(|c: char| c.is_ascii_whitespace()) {
            Some((pt, rest)) => (pt, rest.trim()),
            None => (value, ""),
        };
        Some(Self {
            payload_type: pt.parse().ok()?,
            params: params.to_owned(),
        })
    }

    /// The parameters read as Opus parameters (RFC 7587 §7).
    pub fn opus(&self) -> OpusParams {
        OpusParams::parse(&self.params)
    }

    /// The parameters read as a telephone-event list (RFC 4733 §7.1), e.g. `0-16`.
    pub fn telephone_events(&self) -> Option<TelephoneEvents> {
        TelephoneEvents::parse(&self.params)
    }
}

impl fmt::Display for Fmtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.params.is_empty() {
            write!(f, "{}", self.payload_type)
        } else {
            write!(f, "{} {}", self.payload_type, self.params)
        }
    }
}

/// `a=rtcp` value (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    /// RTCP port.
    pub port: u16,
    /// Optional explicit address.
    pub address: Option<RtcpAddress>,
}

/// The optional `<nettype> <addrtype> <address>` part of `a=rtcp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpAddress {
    /// Network type, normally `IN`.
    pub net_type: String,
    /// Address type.
    pub addr_type: AddressType,
    /// The address.
    pub address: ConnectionAddress,
}

impl Rtcp {
    fn parse(value: &str) -> Option<Self> {
        let mut it = value.split_ascii_whitespace();
        let port = it.next()?.parse().ok()?;
        let address = match it.next() {
            None => None,
            Some(net) => {
                let addr_type = AddressType::parse(it.next()?);
                let address = ConnectionAddress::parse(it.next()?);
                Some(RtcpAddress {
                    net_type: net.to_owned(),
                    addr_type,
                    address,
                })
            }
        };
        if it.next().is_some() {
            return None;
        }
        Some(Self { port, address })
    }
}

impl fmt::Display for Rtcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.port)?;
        if let Some(a) = &self.address {
            write!(f, " {} {} {}", a.net_type, a.addr_type, a.address)?;
        }
        Ok(())
    }
}

/// `a=setup` role (RFC 4145 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: this side opens the connection (is the DTLS client).
    Active,
    /// `passive`: this side accepts the connection (is the DTLS server).
    Passive,
    /// `actpass`: either; used in offers.
    ActPass,
    /// `holdconn`: no connection for now.
    HoldConn,
}

impl Setup {
    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" => Some(Self::Active),
            "passive" => Some(Self::Passive),
            "actpass" => Some(Self::ActPass),
            "holdconn" => Some(Self::HoldConn),
            _ => None,
        }
    }

    /// The value as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::ActPass => "actpass",
            Self::HoldConn => "holdconn",
        }
    }
}

/// `a=connection` value (RFC 4145 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionMode {
    /// `new`
    New,
    /// `existing`
    Existing,
}

impl ConnectionMode {
    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "new" => Some(Self::New),
            "existing" => Some(Self::Existing),
            _ => None,
        }
    }

    /// The value as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Existing => "existing",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtpmap_with_and_without_channels() {
        assert_eq!(
            Attribute::parse("rtpmap:120 opus/48000/2"),
            Attribute::RtpMap(RtpMap {
                payload_type: 120,
                encoding: "opus".into(),
                clock_rate: 48000,
                channels: Some(2)
            })
        );
        let a = Attribute::parse("rtpmap:0 PCMU/8000");
        assert_eq!(a.to_string(), "rtpmap:0 PCMU/8000");
    }

    #[test]
    fn malformed_known_attributes_are_kept_as_other() {
        for text in [
            "rtpmap:x PCMU/8000",
            "rtpmap:0 PCMU",
            "rtpmap:0 PCMU/8000/1/2",
            "ptime:abc",
            "setup:sideways",
            "rtcp:99999",
            "fmtp:300 a=b",
        ] {
            let a = Attribute::parse(text);
            assert!(matches!(a, Attribute::Other { .. }), "{text}: {a:?}");
            assert_eq!(a.to_string(), text);
        }
    }

    #[test]
    fn ptime_tolerates_decimals() {
        assert_eq!(Attribute::parse("ptime:20.0"), Attribute::Ptime(20));
        assert_eq!(Attribute::parse("ptime:29.6"), Attribute::Ptime(30));
    }

    #[test]
    fn rtcp_with_address() {
        let a = Attribute::parse("rtcp:4047 IN IP4 192.0.2.11");
        let Attribute::Rtcp(r) = &a else {
            panic!("{a:?}")
        };
        assert_eq!(r.port, 4047);
        assert_eq!(
            r.address.as_ref().map(|a| a.address.to_string()),
            Some("192.0.2.11".to_owned())
        );
        assert_eq!(a.to_string(), "rtcp:4047 IN IP4 192.0.2.11");
    }

    #[test]
    fn direction_algebra() {
        use Direction::*;
        assert_eq!(SendOnly.reversed(), RecvOnly);
        assert_eq!(Inactive.reversed(), Inactive);
        assert_eq!(SendRecv.intersect(RecvOnly), RecvOnly);
        assert_eq!(SendOnly.intersect(RecvOnly), Inactive);
    }

    #[test]
    fn keys_in_unknown_attributes_are_redacted_in_debug() {
        for text in [
            "cryptoscale:1 client AES_CM_128_HMAC_SHA1_80 inline:T1EEGzmyDXu8BLLX6Elp|2^31",
            "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!notbase64!!",
            "key-mgmt:mikey AQAFgM0X",
            "x-foo:bar inline:T1EEGzmyDXu8BLLX6Elp",
        ] {
            let a = Attribute::parse(text);
            assert!(matches!(a, Attribute::Other { .. }), "{text}");
            let dbg = format!("{a:?}");
            assert!(dbg.contains("<redacted>"), "{dbg}");
            assert!(!dbg.contains("T1EE") && !dbg.contains("AQAF") && !dbg.contains("notbase64"));
            assert_eq!(a.to_string(), text);
        }
        let plain = format!("{:?}", Attribute::parse("x-nat:0"));
        assert!(
            plain.contains("x-nat") && plain.contains("\"0\""),
            "{plain}"
        );
    }

    #[test]
    fn ice_pwd_is_redacted_in_debug() {
        let a = Attribute::parse("ice-pwd:OjyZ/pr8oLuDPWcmj9gDMEav");
        assert!(!format!("{a:?}").contains("OjyZ"));
        assert_eq!(a.to_string(), "ice-pwd:OjyZ/pr8oLuDPWcmj9gDMEav");
    }
}
