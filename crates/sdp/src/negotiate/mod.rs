//! The RFC 3264 offer/answer engine.
//!
//! [`Negotiator`] holds the state of one dialog; [`answer`] answers a single
//! offer. Both return [`NegotiatedMedia`]: plain data for the media layer.
//!
//! Choices this engine makes:
//!
//! - One audio stream. The first audio `m=` line we can serve is accepted;
//!   every other line is answered with port 0, so the answer has as many
//!   `m=` lines as the offer.
//! - Codec: the first codec of [`LocalCapabilities::codecs`] the offer
//!   contains, matched by encoding name and clock rate (never by dynamic
//!   number), answered with the offerer's payload type number. Only that
//!   codec is answered unless [`LocalCapabilities::answer_all_codecs`] is set.
//! - telephone-event: the one at the chosen codec's clock rate (RFC 4733
//!   §2.1); when the offer has none at that rate, the first one offered, with
//!   its own rate reported in [`TelephoneEventFormat::clock_rate`]. Events are
//!   the offered ones (default `0-15`) within `0-16`.
//! - Direction: the offer's direction reversed, limited by ours; a
//!   `c=0.0.0.0` offer (RFC 2543 hold) counts as "do not send to me".
//! - SRTP per [`SrtpPolicy`]: `off` answers only `RTP/AVP(F)` (ignoring any
//!   `a=crypto` on it); `sdes` only `RTP/SAVP(F)` with a usable `a=crypto`;
//!   `dtls` only `UDP/TLS/RTP/SAVP(F)` with `a=fingerprint`; `optional`
//!   takes SDES on either profile, DTLS when a certificate is configured, and
//!   plain RTP otherwise. A usable `a=crypto` has a configured suite, one
//!   inline key of the suite's length, and only harmless session parameters.
//! - DTLS roles (RFC 5763 §5): we offer `actpass`; we answer `active` unless
//!   the offer is `active` (or has no `a=setup`), then `passive`.
//! - Failures are [`NegotiationError`]s; [`NegotiationError::sip_warning`]
//!   gives the `Warning` for the 488.

mod answer;
pub mod caps;
mod common;
mod error;
mod offer;
pub mod result;
mod session;

pub use caps::{default_suites, Codec, LocalCapabilities, SrtpPolicy, UnknownCodec, UnknownPolicy};
pub use error::NegotiationError;
pub use result::{
    DtlsParams, DtlsRole, MediaSecurity, NegotiatedCodec, NegotiatedMedia, RtcpTarget, SdesKeys,
    SrtpKey, TelephoneEventFormat,
};
pub use session::{answer, Answer, HoldMode, Negotiator};
