//! Typed header values. Each type borrows from the message and is parsed on
//! demand from one header value (one element of a comma-separated list for
//! list headers), so a message only pays for the headers it reads.

mod addr;
mod auth;
mod misc;
mod via;

pub use addr::{
    Contact, Diversion, From, HistoryInfo, NameAddr, PAssertedIdentity, PPreferredIdentity, Path,
    RecordRoute, ReferTo, ReferredBy, ReplyTo, Route, ServiceRoute, To,
};
pub use auth::{AuthParams, Authorization, ProxyAuthenticate, ProxyAuthorization, WwwAuthenticate};
pub use misc::{
    Accept, Allow, CSeq, CallId, ContentDisposition, ContentLength, ContentType, Event, Expires,
    MaxForwards, MediaType, MinExpires, MinSe, Privacy, ProxyRequire, RAck, RSeq, Reason, Replaces,
    ReplacesParams, Require, RetryAfter, Server, SessionExpires, SubscriptionState, Supported,
    Timestamp, Unsupported, UserAgent, Warning,
};
pub use via::Via;

use crate::error::ValueError;
use crate::name::HeaderName;

/// A header value type that can be read from a message.
pub trait TypedHeader<'a>: Sized {
    /// The header this type reads.
    const NAME: HeaderName;

    /// Parses one value (one list element for list headers).
    fn parse(value: &'a str) -> Result<Self, ValueError>;
}
