//! Local capabilities: what we can send and receive, and the SRTP policy.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::attribute::{Direction, RtpMap};
use crate::crypto::{Fingerprint, SrtpSuite};
use crate::fmtp::OpusParams;

/// An audio codec this crate negotiates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
    /// G.722, static payload type 9. Its RTP clock rate is 8000 although it
    /// samples at 16 kHz (RFC 3551 §4.5.2).
    G722,
    /// Opus, dynamic payload type, always `opus/48000/2` in SDP (RFC 7587 §7).
    Opus,
}

impl Codec {
    /// Every codec, in the default priority order.
    pub const ALL: [Codec; 4] = [Codec::Opus, Codec::G722, Codec::Pcma, Codec::Pcmu];

    /// Encoding name as written in `a=rtpmap`.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Self::Pcmu => "PCMU",
            Self::Pcma => "PCMA",
            Self::G722 => "G722",
            Self::Opus => "opus",
        }
    }

    /// RTP clock rate (8000 for G.722, see [`Codec::G722`]).
    pub fn clock_rate(self) -> u32 {
        match self {
            Self::Opus => 48000,
            _ => 8000,
        }
    }

    /// Audio sample rate of the codec itself.
    pub fn sample_rate(self) -> u32 {
        match self {
            Self::Pcmu | Self::Pcma => 8000,
            Self::G722 => 16000,
            Self::Opus => 48000,
        }
    }

    /// Channel count written in `a=rtpmap` (`None` when omitted).
    pub fn rtpmap_channels(self) -> Option<u16> {
        match self {
            Self::Opus => Some(2),
            _ => None,
        }
    }

    /// Static payload type (RFC 3551 table 4), if any.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            Self::Pcmu => Some(0),
            Self::Pcma => Some(8),
            Self::G722 => Some(9),
            Self::Opus => None,
        }
    }

    /// The `a=rtpmap` we write for this codec on `pt`.
    pub fn rtpmap(self, pt: u8) -> RtpMap {
        RtpMap {
            payload_type: pt,
            encoding: self.encoding_name().to_owned(),
            clock_rate: self.clock_rate(),
            channels: self.rtpmap_channels(),
        }
    }

    /// Whether an offered format (encoding, clock rate, channels) is this codec.
    /// Names compare case-insensitively. G.722 is also accepted at 16000, as
    /// some endpoints write it; the clock rate is reported as offered.
    pub fn matches(self, encoding: &str, clock_rate: u32, channels: Option<u16>) -> bool {
        if !encoding.eq_ignore_ascii_case(self.encoding_name()) {
            return false;
        }
        match self {
            Self::Pcmu | Self::Pcma => clock_rate == 8000 && matches!(channels, None | Some(1)),
            Self::G722 => {
                (clock_rate == 8000 || clock_rate == 16000) && matches!(channels, None | Some(1))
            }
            Self::Opus => clock_rate == 48000 && matches!(channels, None | Some(2)),
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encoding_name())
    }
}

/// Error for an unknown codec name in [`Codec::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown codec {0:?} (expected opus, g722, pcma or pcmu)")]
pub struct UnknownCodec(pub String);

impl FromStr for Codec {
    type Err = UnknownCodec;
    /// `opus`, `g722`, `pcma`/`alaw`, `pcmu`/`ulaw` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, UnknownCodec> {
        match s.trim().to_ascii_lowercase().as_str() {
            "opus" => Ok(Self::Opus),
            "g722" => Ok(Self::G722),
            "pcma" | "alaw" | "g711a" => Ok(Self::Pcma),
            "pcmu" | "ulaw" | "g711u" => Ok(Self::Pcmu),
            _ => Err(UnknownCodec(s.to_owned())),
        }
    }
}

/// The SRTP policy from the onboarding sheet (REQUIREMENTS.md row 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SrtpPolicy {
    /// Plain RTP only (`RTP/AVP`); SRTP offers are rejected.
    Off,
    /// SDES mandatory: `RTP/SAVP` with `a=crypto`; plain RTP offers and answers are refused.
    Sdes,
    /// DTLS-SRTP mandatory: `UDP/TLS/RTP/SAVP` with `a=fingerprint` and `a=setup`.
    Dtls,
    /// Best effort: offers are `RTP/AVP` carrying `a=crypto`; accepts SRTP or plain RTP.
    Optional,
}

/// Error for an unknown policy name in [`SrtpPolicy::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SRTP policy {0:?} (expected off, sdes, dtls or optional)")]
pub struct UnknownPolicy(pub String);

impl FromStr for SrtpPolicy {
    type Err = UnknownPolicy;
    fn from_str(s: &str) -> Result<Self, UnknownPolicy> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(Self::Off),
            "sdes" => Ok(Self::Sdes),
            "dtls" => Ok(Self::Dtls),
            "optional" => Ok(Self::Optional),
            _ => Err(UnknownPolicy(s.to_owned())),
        }
    }
}

/// What the local side can do. Build with [`LocalCapabilities::new`] and
/// adjust the public fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCapabilities {
    /// Our media address (written in `o=` and `c=`).
    pub address: IpAddr,
    /// Our RTP port.
    pub port: u16,
    /// Codecs in priority order. When answering, the first of these that the
    /// offer contains is chosen.
    pub codecs: Vec<Codec>,
    /// Offer and accept RFC 4733 telephone-events.
    pub telephone_event: bool,
    /// Packetization time we want to receive, ms.
    pub ptime: u32,
    /// Direction we want (normally `sendrecv`).
    pub direction: Direction,
    /// SRTP policy.
    pub srtp: SrtpPolicy,
    /// SDES suites in preference order.
    pub crypto_suites: Vec<SrtpSuite>,
    /// Fingerprint of our DTLS certificate; required for [`SrtpPolicy::Dtls`].
    pub dtls_fingerprint: Option<Fingerprint>,
    /// Offer and accept `a=rtcp-mux`.
    pub rtcp_mux: bool,
    /// Opus parameters we write (our receive preferences).
    pub opus: OpusParams,
    /// List every common codec in an answer (in our priority order) instead of
    /// only the chosen one.
    pub answer_all_codecs: bool,
}

impl LocalCapabilities {
    /// Defaults: opus, G.722, PCMA, PCMU; telephone-events on; 20 ms;
    /// `sendrecv`; SRTP off; the four suites of RFC 7714/4568 in the order
    /// AEAD_AES_256_GCM, AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80,
    /// AES_CM_128_HMAC_SHA1_32; no rtcp-mux; Opus with in-band FEC.
    pub fn new(address: IpAddr, port: u16) -> Self {
        Self {
            address,
            port,
            codecs: Codec::ALL.to_vec(),
            telephone_event: true,
            ptime: 20,
            direction: Direction::SendRecv,
            srtp: SrtpPolicy::Off,
            crypto_suites: default_suites(),
            dtls_fingerprint: None,
            rtcp_mux: false,
            opus: OpusParams {
                use_inband_fec: Some(true),
                ..OpusParams::default()
            },
            answer_all_codecs: false,
        }
    }
}

/// AEAD_AES_256_GCM, AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32.
pub fn default_suites() -> Vec<SrtpSuite> {
    vec![
        SrtpSuite::AeadAes256Gcm,
        SrtpSuite::AeadAes128Gcm,
        SrtpSuite::AesCm128HmacSha1_80,
        SrtpSuite::AesCm128HmacSha1_32,
    ]
}
