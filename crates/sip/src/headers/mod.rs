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

    /// Reads the list element at the start of `list` (the rest of a list
    /// header's value) in one pass, without first searching for the comma
    /// that ends it. Returns the value and the offset just past that comma,
    /// or `None` as the offset for the last element.
    ///
    /// Returning `None` hands the element to the general reading: cut at
    /// the first comma outside quotes and angle brackets, then
    /// [`TypedHeader::parse`], which also reports errors. An
    /// implementation must give the same value and the same next element
    /// as that reading whenever it returns `Some`; the default always
    /// returns `None`.
    #[inline]
    fn parse_list_prefix(list: &'a str) -> Option<(Self, Option<usize>)> {
        let _ = list;
        None
    }
}

/// What follows a list element a one-pass reading ended at `end` (white
/// space skipped): `Some(None)` at the end of the list, `Some(Some(next))`
/// after its comma, `None` for anything else, which the one-pass reading
/// leaves to the comma-cutting reading.
#[inline]
pub(crate) fn after_element(b: &[u8], end: usize) -> Option<Option<usize>> {
    let end = crate::text::skip_lws(b, end);
    match b.get(end) {
        None => Some(None),
        Some(b',') => Some(Some(end + 1)),
        Some(_) => None,
    }
}

/// The one-pass reading of a list element of header `name` at the start of
/// `list`, for the headers that have one: `Some(next)` when it read the
/// element (see [`TypedHeader::parse_list_prefix`]), `None` otherwise.
#[inline]
pub(crate) fn check_list_prefix(name: HeaderName, list: &str) -> Option<Option<usize>> {
    fn read<'a, H: TypedHeader<'a>>(list: &'a str) -> Option<Option<usize>> {
        H::parse_list_prefix(list).map(|(_, next)| next)
    }
    match name {
        HeaderName::Via => read::<Via>(list),
        HeaderName::Contact => read::<Contact>(list),
        HeaderName::Route => read::<Route>(list),
        HeaderName::RecordRoute => read::<RecordRoute>(list),
        HeaderName::Path => read::<Path>(list),
        HeaderName::ServiceRoute => read::<ServiceRoute>(list),
        HeaderName::PAssertedIdentity => read::<PAssertedIdentity>(list),
        HeaderName::PPreferredIdentity => read::<PPreferredIdentity>(list),
        HeaderName::Diversion => read::<Diversion>(list),
        HeaderName::HistoryInfo => read::<HistoryInfo>(list),
        HeaderName::Reason => read::<Reason>(list),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{find_unquoted, trim_lws};
    use proptest::prelude::*;

    /// Walks `list` with the comma-cutting reading and checks that the
    /// one-pass reading, wherever it answers, gives the same value and the
    /// same next element.
    fn agrees<'a, H>(
        list: &'a str,
        general: impl Fn(&'a str) -> Option<H>,
    ) -> Result<(), TestCaseError>
    where
        H: TypedHeader<'a> + PartialEq + std::fmt::Debug,
    {
        let mut rest = list;
        loop {
            let Ok(cut) = find_unquoted(rest, b',') else {
                prop_assert!(H::parse_list_prefix(rest).is_none(), "{:?}", rest);
                return Ok(());
            };
            let end = cut.unwrap_or(rest.len());
            let item = trim_lws(&rest[..end]);
            let expected = if item.is_empty() { None } else { general(item) };
            // `parse` itself takes the one-pass reading when it can, so it
            // must agree with the general reading too.
            if !item.is_empty() {
                prop_assert_eq!(H::parse(item).ok(), general(item), "{:?}", item);
            }
            if let Some((value, next)) = H::parse_list_prefix(rest) {
                prop_assert_eq!(Some(value), expected, "{:?}", rest);
                prop_assert_eq!(next, cut.map(|c| c + 1), "{:?}", rest);
            }
            match cut {
                Some(c) => rest = &rest[c + 1..],
                None => return Ok(()),
            }
        }
    }

    fn via_general(s: &str) -> Option<Via<'_>> {
        Via::parse(s).ok()
    }

    fn contact_general(s: &str) -> Option<Contact<'_>> {
        if trim_lws(s) == "*" {
            return Some(Contact::Wildcard);
        }
        NameAddr::parse_visit(s, addr::contact_param_check())
            .ok()
            .map(Contact::Address)
    }

    fn reason_general(s: &str) -> Option<Reason<'_>> {
        misc::token_and_params_general(s, "x")
            .ok()
            .map(|(protocol, params)| Reason { protocol, params })
    }

    fn fragments() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\"A, b\" "),
            Just("Bob "),
            Just("<sip:alice@example.com>"),
            Just("<sip:[2001:db8::1]:5060;lr>"),
            Just("<sip:a@b?x=y>"),
            Just("<sips:+4930;user=phone@h>"),
            Just("sip:bob@h"),
            Just(";tag=abc"),
            Just(";lr"),
            Just(";q=0.5"),
            Just(";q=2"),
            Just(";expires=60"),
            Just(";x=\"a,b\""),
            Just(";x=\"<a,b>\""),
            Just(";x=\"<y>\""),
            Just(";x=<y>"),
            Just(";x=<y,z>"),
            Just("SIP/2.0/UDP 192.0.2.1:5060"),
            Just("SIP / 2.0 / TCP h"),
            Just(";branch=z9hG4bK1;rport"),
            Just(";received=[::1]"),
            Just(" , "),
            Just(","),
            Just(" "),
            Just("\""),
            Just("<"),
            Just(">"),
            Just("*"),
            Just("Q.850"),
            Just("SIP"),
            Just(";cause=16"),
            Just(";text=\"Normal, call\""),
            Just(";text=\"a\\\"b\""),
        ];
        proptest::collection::vec(piece, 0..8).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn one_pass_list_elements_agree_with_comma_cutting(list in fragments()) {
            agrees::<Via>(&list, via_general)?;
            agrees::<Contact>(&list, contact_general)?;
            agrees::<Route>(&list, |s| NameAddr::parse_visit(s, |_, _, _| Ok(())).ok().map(Route))?;
            agrees::<PAssertedIdentity>(&list, |s| {
                NameAddr::parse_visit(s, |_, _, _| Ok(())).ok().map(PAssertedIdentity)
            })?;
            agrees::<Reason>(&list, reason_general)?;
        }

        #[test]
        fn one_pass_list_elements_agree_on_noise(list in "[a-c<>\";=, :@/.0-9]{0,32}") {
            agrees::<Via>(&list, via_general)?;
            agrees::<Contact>(&list, contact_general)?;
            agrees::<Route>(&list, |s| NameAddr::parse_visit(s, |_, _, _| Ok(())).ok().map(Route))?;
            agrees::<Reason>(&list, reason_general)?;
        }
    }
}
