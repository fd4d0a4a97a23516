//! Checks a server or client makes before acting on a message: the headers
//! RFC 3261 §8.1.1 requires, single-valued headers given once, scalar ranges,
//! CSeq method agreement, and the SIP version.

use crate::error::{ParseError, ParseErrorKind};
use crate::headers::{
    CSeq, CallId, Contact, ContentType, From, MaxForwards, ProxyRequire, RecordRoute, Require,
    Route, To, TypedHeader, Via,
};
use crate::message::Message;
use crate::uri::Uri;

fn check_all<'m, H: TypedHeader<'m>>(msg: &'m Message) -> Result<(), ParseError> {
    for v in msg.all::<H>() {
        v?;
    }
    Ok(())
}

impl Message {
    /// Validates the message beyond syntax. The first failure is returned;
    /// [`ParseError::status_code`] says what a server answers (400 or 505).
    /// Missing Max-Forwards and a Via without branch are accepted, as an
    /// RFC 2543 peer sends them (RFC 4475 §3.4.1).
    pub fn validate(&self) -> Result<(), ParseError> {
        if self.version != (2, 0) {
            return Err(ParseError::new(ParseErrorKind::UnsupportedVersion, 0));
        }
        if let Some(Uri::Sip(u)) = self.request_uri() {
            if u.headers.is_some() {
                return Err(ParseError::new(
                    ParseErrorKind::StartLine("Request-URI must not contain headers"),
                    0,
                ));
            }
        }
        if !self.has(Via::NAME) {
            return Err(ParseError::in_header(
                ParseErrorKind::MissingHeader,
                0,
                "Via",
            ));
        }
        check_all::<Via>(self)?;
        self.single::<From>()?;
        self.single::<To>()?;
        self.single::<CallId>()?;
        let cseq = self.single::<CSeq>()?;
        if let Some(m) = self.method() {
            if m.as_str() != cseq.method {
                let at = self
                    .headers()
                    .find(|h| h.name == CSeq::NAME)
                    .map_or(0, |h| h.offset);
                return Err(ParseError::in_header(
                    ParseErrorKind::CSeqMethodMismatch,
                    at,
                    "CSeq",
                ));
            }
        }
        if self.has(MaxForwards::NAME) {
            self.single::<MaxForwards>()?;
        }
        if self.has(ContentType::NAME) {
            self.single::<ContentType>()?;
        }
        check_all::<Contact>(self)?;
        check_all::<Route>(self)?;
        check_all::<RecordRoute>(self)?;
        check_all::<Require>(self)?;
        check_all::<ProxyRequire>(self)?;
        Ok(())
    }
}

/// Parses one value of a known header with its typed parser.
fn check_value(name: crate::HeaderName, v: &str) -> Result<(), crate::ValueError> {
    use crate::headers::*;
    use crate::HeaderName as N;
    fn p<'a, H: TypedHeader<'a>>(v: &'a str) -> Result<(), crate::ValueError> {
        H::parse(v).map(|_| ())
    }
    match name {
        N::Via => p::<Via>(v),
        N::From => p::<From>(v),
        N::To => p::<To>(v),
        N::CallId => p::<CallId>(v),
        N::CSeq => p::<CSeq>(v),
        N::MaxForwards => p::<MaxForwards>(v),
        N::Contact => p::<Contact>(v),
        N::Route => p::<Route>(v),
        N::RecordRoute => p::<RecordRoute>(v),
        N::Path => p::<Path>(v),
        N::ServiceRoute => p::<ServiceRoute>(v),
        N::ContentType => p::<ContentType>(v),
        N::Accept => p::<Accept>(v),
        N::ContentLength => p::<ContentLength>(v),
        N::ContentDisposition => p::<ContentDisposition>(v),
        N::Expires => p::<Expires>(v),
        N::MinExpires => p::<MinExpires>(v),
        N::WwwAuthenticate => p::<WwwAuthenticate>(v),
        N::ProxyAuthenticate => p::<ProxyAuthenticate>(v),
        N::Authorization => p::<Authorization>(v),
        N::ProxyAuthorization => p::<ProxyAuthorization>(v),
        N::Allow => p::<Allow>(v),
        N::Supported => p::<Supported>(v),
        N::Require => p::<Require>(v),
        N::Unsupported => p::<Unsupported>(v),
        N::ProxyRequire => p::<ProxyRequire>(v),
        N::RSeq => p::<RSeq>(v),
        N::RAck => p::<RAck>(v),
        N::SessionExpires => p::<SessionExpires>(v),
        N::MinSe => p::<MinSe>(v),
        N::Event => p::<Event>(v),
        N::SubscriptionState => p::<SubscriptionState>(v),
        N::ReferTo => p::<ReferTo>(v),
        N::ReferredBy => p::<ReferredBy>(v),
        N::Replaces => p::<Replaces>(v),
        N::PAssertedIdentity => p::<PAssertedIdentity>(v),
        N::PPreferredIdentity => p::<PPreferredIdentity>(v),
        N::Privacy => p::<Privacy>(v),
        N::Diversion => p::<Diversion>(v),
        N::HistoryInfo => p::<HistoryInfo>(v),
        N::Reason => p::<Reason>(v),
        N::RetryAfter => p::<RetryAfter>(v),
        N::UserAgent => p::<UserAgent>(v),
        N::Server => p::<Server>(v),
        N::Timestamp => p::<Timestamp>(v),
        N::Warning => p::<Warning>(v),
        N::ReplyTo => p::<ReplyTo>(v),
        _ => Ok(()),
    }
}

impl Message {
    /// Reads every value of every header that has a typed form (list
    /// headers element by element) and returns how many were read, or the
    /// first one that is malformed. Stricter than [`Message::validate`],
    /// which only looks at the headers a transaction needs.
    pub fn check_all_headers(&self) -> Result<usize, ParseError> {
        let mut n = 0;
        for f in &self.fields {
            if f.name == crate::HeaderName::Other {
                continue;
            }
            let h = crate::message::HeaderRef {
                name: f.name,
                name_str: "",
                value: f.value.get(&self.head, &self.extra),
                offset: f.value.offset(),
            };
            let fail = |e: crate::ValueError, at: usize| {
                ParseError::in_header(ParseErrorKind::InvalidHeader(e), at + e.at, h.name.as_str())
            };
            if matches!(
                h.name,
                crate::HeaderName::Allow
                    | crate::HeaderName::Supported
                    | crate::HeaderName::Require
                    | crate::HeaderName::Unsupported
                    | crate::HeaderName::ProxyRequire
            ) {
                n += crate::text::check_token_list(h.value).map_err(|at| {
                    fail(
                        crate::ValueError::new("expected a token list", at),
                        h.offset,
                    )
                })?;
                continue;
            }
            if h.name.is_list() {
                if h.value.is_empty() {
                    continue;
                }
                let mut rest = h.value;
                let mut base = h.offset;
                loop {
                    let next = match crate::headers::check_list_prefix(h.name, rest) {
                        Some(next) => next,
                        None => {
                            // The general reading, which also reports errors.
                            let cut = crate::text::find_unquoted(rest, b',').map_err(|_| {
                                fail(
                                    crate::ValueError::new("unterminated quoted string", 0),
                                    h.offset,
                                )
                            })?;
                            let end = cut.unwrap_or(rest.len());
                            let item = crate::text::trim_lws(&rest[..end]);
                            let at = base + (item.as_ptr() as usize - rest.as_ptr() as usize);
                            if item.is_empty() {
                                return Err(fail(
                                    crate::ValueError::new("empty list element", 0),
                                    at,
                                ));
                            }
                            check_value(h.name, item).map_err(|e| fail(e, at))?;
                            cut.map(|c| c + 1)
                        }
                    };
                    n += 1;
                    match next {
                        Some(k) => {
                            rest = &rest[k..];
                            base += k;
                        }
                        None => break,
                    }
                }
            } else {
                check_value(h.name, h.value).map_err(|e| fail(e, h.offset))?;
                n += 1;
            }
        }
        Ok(n)
    }
}
