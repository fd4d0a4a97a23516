//! heron-rtp: RTP/RTCP packets, SRTP/SRTCP, RFC 4733 telephone events, an
//! adaptive jitter buffer and a sans-IO media session with a tokio driver.
//!
//! - [`rtp`], [`rtcp`]: zero-copy packet views and builders (RFC 3550,
//!   RFC 8285 header extensions, compound RTCP).
//! - [`demux`]: RTP/RTCP on one port (RFC 5761) and the RFC 7983 first-octet
//!   rule for STUN/DTLS/RTP.
//! - [`stats`]: RFC 3550 A.1/A.3/A.8 reception statistics and RTT.
//! - [`srtp`]: SRTP/SRTCP for AES-CM/HMAC-SHA1 (128 and 256) and AES-GCM,
//!   in place, without allocation per packet.
//! - [`dtls`]: DTLS-SRTP keying (RFC 5763/5764): handshake on the media
//!   port, fingerprint check, SRTP keys into the session.
//! - [`dtmf`]: RFC 4733 events, sender and receiver.
//! - [`jitter`]: the adaptive jitter buffer.
//! - [`session`]: one call's media as a sans-IO state machine, configured
//!   from plain data (addresses, payload types, ptime, direction, keys).
//! - `driver` (feature `tokio`, default): many sessions served by one
//!   task, each on its own port from a range (the default, as PBXs expect)
//!   or all on one shared port with batched `recvmmsg`/`sendmmsg` I/O,
//!   routed by source address and SSRC.
//!
//! ```
//! use heron_rtp::rtp::{write_rtp_packet, RtpHeader, RtpPacket};
//! use heron_rtp::srtp::{MasterKey, SrtpConfig, SrtpContext, SrtpProfile};
//!
//! let header = RtpHeader { payload_type: 0, sequence_number: 7, timestamp: 160, ssrc: 42, ..Default::default() };
//! let mut buf = [0u8; 256];
//! let n = write_rtp_packet(&header, &[0xff; 160], None, &mut buf).unwrap();
//!
//! // SDES key material (key || salt), as carried in `a=crypto ... inline:`.
//! let profile = SrtpProfile::Aes128CmHmacSha1_80;
//! let key = MasterKey::from_key_salt(profile, &[7u8; 30]).unwrap();
//! let mut sender = SrtpContext::new(profile, std::slice::from_ref(&key), SrtpConfig::default()).unwrap();
//! let mut receiver = SrtpContext::new(profile, &[key], SrtpConfig::default()).unwrap();
//!
//! let protected = sender.protect_rtp(&mut buf, n).unwrap();
//! assert_eq!(protected, n + 10);
//! let plain = receiver.unprotect_rtp(&mut buf[..protected]).unwrap();
//! let packet = RtpPacket::parse(&buf[..plain]).unwrap();
//! assert_eq!(packet.sequence_number(), 7);
//! assert_eq!(packet.payload(), &[0xff; 160][..]);
//! ```

pub mod demux;
#[cfg(feature = "tokio")]
pub mod driver;
pub mod dtls;
pub mod dtmf;
pub mod error;
pub mod jitter;
pub mod rtcp;
pub mod rtp;
pub mod session;
pub mod srtp;
pub mod stats;

pub use error::PacketError;
