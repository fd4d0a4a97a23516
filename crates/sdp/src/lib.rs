//! heron-sdp: the SDP model, parser and writer (RFC 8866) and the RFC 3264
//! offer/answer engine with the SRTP policy of the onboarding sheet (plain
//! RTP, SDES, DTLS-SRTP, or best-effort SRTP).
//!
//! - [`parse`] / [`parse_bytes`] read an SDP body into a [`SessionDescription`];
//!   `Display` writes it back (CRLF, RFC 8866 line order). The parser takes
//!   what PBXs send (LF-only lines, trailing blanks, empty or missing `s=`,
//!   lines of a section in any order), never panics, and names the line of
//!   any error. Known attributes are typed ([`Attribute`]); the rest are kept
//!   in order.
//! - [`Negotiator`] runs offer/answer for one dialog (offers, answers,
//!   hold/resume/codec-change re-offers, `o=` versions); [`answer`] answers a
//!   single offer. Both yield [`NegotiatedMedia`]: plain data for the media
//!   layer (peer address and ports, codec and payload types, telephone-event,
//!   ptime, direction, SRTP suite and keys or DTLS role and fingerprints).
//! - Randomness (session ids, SRTP keys) comes from the caller's
//!   `rand_core::RngCore`; nothing reads a clock or a socket.
//! - Keys never show in `Debug` output.
//!
//! Parse what a PBX sent, answer it, and hand the result to the media layer:
//!
//! ```
//! use heron_sdp::{answer, LocalCapabilities, MediaSecurity, SessionDescription, SrtpPolicy};
//!
//! let offer: SessionDescription = "v=0\r\n\
//! o=- 1 1 IN IP4 192.0.2.10\r\n\
//! s=-\r\n\
//! c=IN IP4 192.0.2.10\r\n\
//! t=0 0\r\n\
//! m=audio 4000 RTP/AVP 8 0 101\r\n\
//! a=rtpmap:101 telephone-event/8000\r\n\
//! a=fmtp:101 0-15\r\n"
//!     .parse()
//!     .unwrap();
//!
//! let mut caps = LocalCapabilities::new("192.0.2.20".parse().unwrap(), 30000);
//! caps.srtp = SrtpPolicy::Off;
//! // Any rand_core RNG; a fixed one here so the example is deterministic.
//! let mut rng = heron_sdp::testing::StepRng::new(7);
//! let answer = answer(&offer, &caps, &mut rng).unwrap();
//!
//! assert_eq!(answer.media.codec.payload_type, 8); // PCMA is preferred over PCMU
//! assert_eq!(answer.media.telephone_event.as_ref().unwrap().payload_type, 101);
//! assert_eq!(answer.media.remote_rtp().unwrap().to_string(), "192.0.2.10:4000");
//! assert_eq!(answer.media.security, MediaSecurity::None);
//! assert!(answer.sdp.to_string().contains("m=audio 30000 RTP/AVP 8 101\r\n"));
//! ```
#![forbid(unsafe_code)]

pub mod attribute;
pub mod crypto;
mod error;
pub mod fmtp;
pub mod model;
pub mod negotiate;
mod parse;
#[cfg(test)]
mod proptests;
mod secret;
pub mod testing;
mod write;

pub use attribute::{Attribute, Direction, Fmtp, RtpMap, Setup};
pub use crypto::{Crypto, Fingerprint, HashFunction, SrtpSuite};
pub use error::{ParseError, ParseErrorKind};
pub use model::{Connection, ConnectionAddress, MediaDescription, Origin, SessionDescription};
pub use negotiate::{
    answer, Answer, Codec, DtlsRole, HoldMode, LocalCapabilities, MediaSecurity, NegotiatedMedia,
    NegotiationError, Negotiator, SrtpPolicy,
};
pub use parse::{parse, parse_bytes};
pub use secret::Secret;

impl std::str::FromStr for SessionDescription {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse(s)
    }
}
