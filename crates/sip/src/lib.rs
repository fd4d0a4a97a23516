//! heron-sip: the SIP message model of heron-voip.
//!
//! - [`Message`]: parse requests and responses from [`bytes::Bytes`] without
//!   copying ([`Message::parse`]), read typed headers on demand
//!   ([`Message::get`], [`Message::all`]), validate ([`Message::validate`]),
//!   change and write them back ([`Message::to_bytes`]; an unchanged parsed
//!   message is written byte for byte).
//! - [`uri`]: `sip`, `sips`, `tel` and opaque URIs with RFC 3261 comparison.
//! - [`headers`]: typed header values (Via, From/To, Contact, CSeq, ...).
//! - [`StreamDecoder`]: framing for TCP/TLS with keep-alives and limits.
//! - [`e164`]: E.164 normalisation of telephone numbers.
//! - [`redact`]: secrets hidden from SIP text before it is logged.
//!
//! Parsing never panics: every failure is a [`ParseError`] with the byte
//! offset and, where it applies, the header.
//!
//! ```
//! use bytes::Bytes;
//! use heron_sip::{headers::{Via, Contact}, HeaderName, Message, Method};
//!
//! let raw = Bytes::from_static(
//!     b"INVITE sip:bob@example.com SIP/2.0\r\n\
//!       v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport\r\n\
//!       f: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n\
//!       t: <sip:bob@example.com>\r\n\
//!       i: a84b4c76e66710@192.0.2.1\r\n\
//!       CSeq: 314159 INVITE\r\n\
//!       m: <sip:alice@192.0.2.1>;expires=60\r\n\
//!       l: 0\r\n\r\n",
//! );
//! let msg = Message::parse(raw.clone()).unwrap();
//! msg.validate().unwrap();
//! assert_eq!(msg.method(), Some(&Method::Invite));
//! let via: Via = msg.top_via().unwrap();
//! assert_eq!(via.branch(), Some("z9hG4bK776asdhds"));
//! assert_eq!(via.rport(), Some(None));
//! assert_eq!(msg.from_header().unwrap().display_name().unwrap(), "Alice");
//! let contact: Contact = msg.get().unwrap().unwrap();
//! assert_eq!(contact.expires(), Some(60));
//!
//! // Unchanged messages are written back byte for byte.
//! assert_eq!(msg.to_bytes(), raw);
//!
//! // A response per RFC 3261 §8.2.6.
//! let mut ok = Message::response_to(&msg, 200, Some("a6c85cf"));
//! ok.append_header(HeaderName::Contact, "<sip:bob@192.0.2.4>");
//! let text = ok.to_bytes();
//! let reparsed = Message::parse(text).unwrap();
//! assert_eq!(reparsed.to_header().unwrap().tag(), Some("a6c85cf"));
//! assert_eq!(reparsed.cseq().unwrap().seq, 314159);
//! ```
#![forbid(unsafe_code)]

mod canonical;
pub mod e164;
mod error;
pub mod headers;
mod message;
mod method;
mod name;
pub mod params;
mod parse;
pub mod redact;
mod stream;
mod text;
pub mod uri;
mod validate;
mod write;

pub use canonical::canonical_uri;
pub use error::{ParseError, ParseErrorKind, ValueError};
pub use headers::TypedHeader;
pub use message::{HeaderRef, Message, Values};
pub use method::Method;
pub use name::HeaderName;
pub use parse::{Framing, Limits};
pub use stream::{StreamDecoder, StreamItem};
pub use uri::{Host, SipUri, TelUri, Uri};
pub use write::reason_phrase;
