//! Plain-data configuration of a media session, filled from the negotiated
//! SDP by the caller (this crate does not depend on heron-sdp).

use std::net::SocketAddr;
use std::time::Duration;

use crate::jitter::JitterConfig;
use crate::srtp::{MasterKey, SrtpConfig, SrtpProfile};

/// Media direction (RFC 3264 §5.1), from our side's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Send and receive.
    #[default]
    SendRecv,
    /// Send only.
    SendOnly,
    /// Receive only.
    RecvOnly,
    /// Neither (hold); RTCP still flows.
    Inactive,
}

impl Direction {
    /// True when RTP may be sent.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }
    /// True when received RTP is played.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }
}

/// One negotiated payload format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadFormat {
    /// The RTP payload type.
    pub payload_type: u8,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
}

/// SRTP keys for both directions: ours protect what we send, the peer's
/// unprotect what we receive.
#[derive(Debug, Clone)]
pub struct SrtpKeys {
    /// The negotiated profile.
    pub profile: SrtpProfile,
    /// Our master key(s), as offered in our `a=crypto` or exported by DTLS.
    pub local: Vec<MasterKey>,
    /// The peer's master key(s).
    pub remote: Vec<MasterKey>,
    /// Replay window and encryption options.
    pub config: SrtpConfig,
}

/// How media is secured.
#[derive(Debug, Clone, Default)]
pub enum MediaSecurity {
    /// Plain RTP (RTP/AVP).
    #[default]
    None,
    /// SRTP with keys known now (SDES, RFC 4568).
    Srtp(SrtpKeys),
    /// SRTP whose keys arrive later (DTLS-SRTP): media is neither sent nor
    /// accepted until [`MediaSession::set_srtp_keys`](super::MediaSession::set_srtp_keys).
    Pending,
}

/// Symmetric RTP / latching (RFC 4961, "comedia").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latching {
    /// Follow the address the peer's media comes from.
    pub enabled: bool,
    /// For plain RTP: consecutive packets from a new address needed before
    /// switching to it. With SRTP one authenticated packet suffices.
    pub plain_rtp_packets: u32,
}

impl Default for Latching {
    fn default() -> Self {
        Latching {
            enabled: true,
            plain_rtp_packets: 3,
        }
    }
}

/// Everything a [`MediaSession`](super::MediaSession) needs, as plain data.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Our RTP address (informational; the driver binds it).
    pub local_addr: SocketAddr,
    /// The peer's RTP address from its SDP.
    pub remote_addr: SocketAddr,
    /// The peer's RTCP address; `None` when RTCP is multiplexed on the RTP
    /// port (RFC 5761 `a=rtcp-mux`).
    pub remote_rtcp_addr: Option<SocketAddr>,
    /// Payload formats we accept.
    pub formats: Vec<PayloadFormat>,
    /// The payload type we send audio with.
    pub send_payload_type: u8,
    /// The telephone-event payload type, when negotiated.
    pub telephone_event: Option<PayloadFormat>,
    /// Packet time.
    pub ptime: Duration,
    /// Media direction.
    pub direction: Direction,
    /// SRTP or plain RTP.
    pub security: MediaSecurity,
    /// SRTCP has keys of its own, handed over by
    /// [`MediaSession::set_srtcp_keys`](super::MediaSession::set_srtcp_keys):
    /// DTLS-SRTP without rtcp-mux runs a second handshake on the RTCP port
    /// and its exported keys protect RTCP (RFC 5764 §4.1). RTCP is neither
    /// sent nor accepted until they arrive; RTP does not wait for them.
    /// False (the default): the SRTP keys protect RTCP too (SDES, or
    /// rtcp-mux).
    pub separate_rtcp_keys: bool,
    /// Symmetric RTP behaviour.
    pub latching: Latching,
    /// Smallest RTCP report interval before randomisation (RFC 3550: 5 s).
    pub rtcp_interval: Duration,
    /// Our RTCP CNAME.
    pub cname: String,
    /// Largest RTP packet accepted or built, in octets.
    pub max_packet: usize,
    /// Jitter buffer depth limit in packets.
    pub jitter_max_packets: usize,
}

impl SessionConfig {
    /// A send-receive G.711 µ-law (PT 0, 8 kHz, 20 ms) plain-RTP session
    /// between two addresses; adjust the fields from the negotiated SDP.
    pub fn new(local_addr: SocketAddr, remote_addr: SocketAddr) -> Self {
        SessionConfig {
            local_addr,
            remote_addr,
            remote_rtcp_addr: None,
            formats: vec![PayloadFormat {
                payload_type: 0,
                clock_rate: 8000,
            }],
            send_payload_type: 0,
            telephone_event: None,
            ptime: Duration::from_millis(20),
            direction: Direction::SendRecv,
            security: MediaSecurity::None,
            separate_rtcp_keys: false,
            latching: Latching::default(),
            rtcp_interval: Duration::from_secs(5),
            cname: "heron".into(),
            max_packet: 1500,
            jitter_max_packets: 50,
        }
    }

    pub(crate) fn clock_rate_of(&self, pt: u8) -> Option<u32> {
        self.formats
            .iter()
            .find(|f| f.payload_type == pt)
            .map(|f| f.clock_rate)
    }

    pub(crate) fn send_clock_rate(&self) -> u32 {
        self.clock_rate_of(self.send_payload_type).unwrap_or(8000)
    }

    pub(crate) fn samples_per_packet(&self) -> u32 {
        let r = u128::from(self.send_clock_rate());
        (self.ptime.as_nanos() * r / 1_000_000_000).max(1) as u32
    }

    pub(crate) fn jitter_config(&self) -> JitterConfig {
        JitterConfig {
            clock_rate: self.send_clock_rate(),
            samples_per_packet: self.samples_per_packet(),
            max_packets: self.jitter_max_packets,
            max_payload: self.max_packet,
            ..JitterConfig::default()
        }
    }
}
