//! The RFC 3264 offer/answer engine.
//!
//! [`Negotiator`] holds the state of one dialog; [`answer`] answers a single
//! offer. Both return [`NegotiatedMedia`]: plain data for the media layer.

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
