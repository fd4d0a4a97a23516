//! heron-rtp: RTP/RTCP packets, SRTP/SRTCP, RFC 4733 telephone events, an
//! adaptive jitter buffer and a sans-IO media session with a tokio driver.
//!
//! ```
//! use heron_rtp::rtp::{write_rtp_packet, RtpHeader, RtpPacket};
//!
//! let header = RtpHeader { payload_type: 0, sequence_number: 7, timestamp: 160, ssrc: 42, ..Default::default() };
//! let mut buf = [0u8; 64];
//! let n = write_rtp_packet(&header, &[0xff; 20], None, &mut buf).unwrap();
//! let packet = RtpPacket::parse(&buf[..n]).unwrap();
//! assert_eq!(packet.sequence_number(), 7);
//! assert_eq!(packet.payload().len(), 20);
//! ```

pub mod demux;
#[cfg(feature = "tokio")]
pub mod driver;
pub mod dtmf;
pub mod error;
pub mod jitter;
pub mod rtcp;
pub mod rtp;
pub mod session;
pub mod srtp;
pub mod stats;

pub use error::PacketError;
