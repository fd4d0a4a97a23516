//! What a completed offer/answer exchange hands to the media layer: plain
//! data (addresses, payload types, clock rates, suite and raw key bytes).

use std::net::SocketAddr;

use crate::attribute::Direction;
use crate::crypto::{Fingerprint, Lifetime, Mki, SrtpSuite};
use crate::fmtp::{OpusParams, TelephoneEvents};
use crate::model::ConnectionAddress;
use crate::negotiate::caps::Codec;
use crate::secret::Secret;

/// The negotiated audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedMedia {
    /// Index of the `m=` section that carries the stream.
    pub media_index: usize,
    /// Where to send RTP: the peer's address (may be `0.0.0.0` on hold).
    pub remote_address: ConnectionAddress,
    /// The peer's RTP port.
    pub remote_port: u16,
    /// Where to send RTCP.
    pub remote_rtcp: RtcpTarget,
    /// The codec to send with, and its payload type.
    pub codec: NegotiatedCodec,
    /// Every codec the peer may send to us in this stream (includes `codec`).
    pub receive_codecs: Vec<NegotiatedCodec>,
    /// The RFC 4733 telephone-event format, if negotiated.
    pub telephone_event: Option<TelephoneEventFormat>,
    /// Packetization time to send with, ms (the peer's `a=ptime`, else ours).
    pub ptime: u32,
    /// Our direction: whether we send and/or receive.
    pub direction: Direction,
    /// SRTP keying.
    pub security: MediaSecurity,
}

impl NegotiatedMedia {
    /// The peer's RTP socket address, when its address is an IP literal.
    pub fn remote_rtp(&self) -> Option<SocketAddr> {
        Some(SocketAddr::new(self.remote_address.ip()?, self.remote_port))
    }

    /// Whether we should send media now (direction allows it and the peer's
    /// address is not the `0.0.0.0` hold form).
    pub fn should_send(&self) -> bool {
        self.direction.sends() && !self.remote_address.is_unspecified() && self.remote_port != 0
    }
}

/// Where RTCP goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpTarget {
    /// RTCP multiplexed on the RTP port (RFC 5761).
    Mux,
    /// A separate RTCP address and port (`a=rtcp`, else RTP port + 1).
    Separate {
        /// Address.
        address: ConnectionAddress,
        /// Port.
        port: u16,
    },
}

/// A codec with the payload type used for it in this session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedCodec {
    /// The codec.
    pub codec: Codec,
    /// RTP payload type to send with (the number the peer's SDP declared).
    pub payload_type: u8,
    /// RTP payload type the peer sends with (the number our SDP declared).
    /// Equal to `payload_type` except when an answerer renumbered a format,
    /// which RFC 3264 §6.1 discourages but some PBXs do.
    pub receive_payload_type: u8,
    /// RTP clock rate, as the peer wrote it.
    pub clock_rate: u32,
    /// Channels in the RTP stream.
    pub channels: u16,
    /// The peer's Opus parameters (its receive preferences), for Opus.
    pub opus: Option<OpusParams>,
}

/// The RFC 4733 telephone-event payload format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelephoneEventFormat {
    /// RTP payload type to send with.
    pub payload_type: u8,
    /// RTP payload type the peer sends with (see [`NegotiatedCodec::receive_payload_type`]).
    pub receive_payload_type: u8,
    /// RTP clock rate (normally that of the audio codec).
    pub clock_rate: u32,
    /// Events both sides accept.
    pub events: TelephoneEvents,
}

/// How the stream is protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSecurity {
    /// Plain RTP.
    None,
    /// SRTP keyed by SDES (`a=crypto`).
    Sdes(SdesKeys),
    /// DTLS-SRTP: the media layer runs the handshake.
    Dtls(DtlsParams),
}

/// SDES keys of both directions. Keys are redacted in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesKeys {
    /// Chosen suite.
    pub suite: SrtpSuite,
    /// `a=crypto` tag of the chosen line.
    pub tag: u32,
    /// Key we protect outgoing SRTP/SRTCP with.
    pub local: SrtpKey,
    /// Key the peer protects its SRTP/SRTCP with.
    pub remote: SrtpKey,
}

/// One SRTP master key with its salt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpKey {
    /// Master key followed by master salt.
    pub key_salt: Secret<Vec<u8>>,
    /// Master key length in bytes (the rest of `key_salt` is the salt).
    pub key_len: usize,
    /// MKI that packets under this key carry, if any.
    pub mki: Option<Mki>,
    /// Key lifetime, if given.
    pub lifetime: Option<Lifetime>,
}

impl SrtpKey {
    /// The master key bytes.
    pub fn master_key(&self) -> &[u8] {
        let k = self.key_salt.expose();
        &k[..self.key_len.min(k.len())]
    }

    /// The master salt bytes.
    pub fn master_salt(&self) -> &[u8] {
        let k = self.key_salt.expose();
        &k[self.key_len.min(k.len())..]
    }
}

/// DTLS-SRTP parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtlsParams {
    /// Our DTLS role.
    pub role: DtlsRole,
    /// The peer's certificate fingerprints; the handshake must match one.
    pub remote_fingerprints: Vec<Fingerprint>,
}

/// DTLS role from `a=setup` (RFC 5763 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsRole {
    /// We are `active`: the DTLS client.
    Client,
    /// We are `passive`: the DTLS server.
    Server,
}
