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

/// Where the headers [`Message::validate`] looks at are: one pass over the
/// fields instead of one per header.
#[derive(Default)]
struct Seen {
    vias: u32,
    from: Slot,
    to: Slot,
    call_id: Slot,
    cseq: Slot,
    max_forwards: Slot,
    content_type: bool,
    /// Contact, Route, Record-Route, Require or Proxy-Require present.
    lists: [bool; 5],
}

/// How often a single-valued header appears and its first field.
#[derive(Default, Clone, Copy)]
struct Slot {
    count: u32,
    first: usize,
}

impl Slot {
    fn note(&mut self, i: usize) {
        if self.count == 0 {
            self.first = i;
        }
        self.count += 1;
    }
}

impl Seen {
    fn of(msg: &Message) -> Seen {
        use crate::HeaderName as N;
        let mut s = Seen::default();
        for (i, f) in msg.fields.iter().enumerate() {
            match f.name {
                N::Via => s.vias += 1,
                N::From => s.from.note(i),
                N::To => s.to.note(i),
                N::CallId => s.call_id.note(i),
                N::CSeq => s.cseq.note(i),
                N::MaxForwards => s.max_forwards.note(i),
                N::ContentType => s.content_type = true,
                N::Contact => s.lists[0] = true,
                N::Route => s.lists[1] = true,
                N::RecordRoute => s.lists[2] = true,
                N::Require => s.lists[3] = true,
                N::ProxyRequire => s.lists[4] = true,
                _ => {}
            }
        }
        s
    }
}

impl Message {
    fn field_value(&self, i: usize) -> &str {
        self.fields
            .get(i)
            .map_or("", |f| f.value.get(&self.head, &self.extra))
    }

    /// The value of a header that must appear once, when it appears once
    /// and `quick` recognises it (then its typed parser accepts it too).
    fn single_quick(&self, slot: Slot, quick: impl Fn(&str) -> bool) -> bool {
        slot.count == 1 && quick(self.field_value(slot.first))
    }

    /// Whether every Via field holds one value that [`quick::via`]
    /// recognises.
    fn vias_quick(&self) -> bool {
        self.fields
            .iter()
            .filter(|f| f.name == Via::NAME)
            .all(|f| quick::via(f.value.get(&self.head, &self.extra)))
    }

    /// Checks that CSeq is present once and well formed, as
    /// [`Message::cseq`] reads it, without building it when it is in the
    /// usual form (a sender checking the requests it is handed).
    pub fn check_cseq(&self) -> Result<(), ParseError> {
        let mut slot = Slot::default();
        for (i, f) in self.fields.iter().enumerate() {
            if f.name == CSeq::NAME {
                slot.note(i);
            }
        }
        if self.single_quick(slot, |v| quick::cseq(v, None)) {
            return Ok(());
        }
        self.single::<CSeq>().map(|_| ())
    }

    /// Validates the message beyond syntax. The first failure is returned;
    /// [`ParseError::status_code`] says what a server answers (400 or 505).
    /// Missing Max-Forwards and a Via without branch are accepted, as an
    /// RFC 2543 peer sends them (RFC 4475 §3.4.1).
    ///
    /// Values in the forms peers usually write (see [`quick`]) are
    /// recognised by a quick scan whose language is a subset of the typed
    /// parser's; anything else goes through the typed parser, so the result
    /// is the same as parsing every header.
    pub fn validate(&self) -> Result<(), ParseError> {
        if self.version != (2, 0) {
            return Err(ParseError::new(ParseErrorKind::UnsupportedVersion, 0));
        }
        // Only a URI with a '?' can have a headers component.
        let uri_has_query = self
            .request_uri_str()
            .is_some_and(|u| memchr::memchr(b'?', u.as_bytes()).is_some());
        if uri_has_query {
            if let Some(Uri::Sip(u)) = self.request_uri() {
                if u.headers.is_some() {
                    return Err(ParseError::new(
                        ParseErrorKind::StartLine("Request-URI must not contain headers"),
                        0,
                    ));
                }
            }
        }
        let seen = Seen::of(self);
        if seen.vias == 0 {
            return Err(ParseError::in_header(
                ParseErrorKind::MissingHeader,
                0,
                "Via",
            ));
        }
        if !self.vias_quick() {
            check_all::<Via>(self)?;
        }
        if !self.single_quick(seen.from, quick::name_addr) {
            self.single::<From>()?;
        }
        if !self.single_quick(seen.to, quick::name_addr) {
            self.single::<To>()?;
        }
        if !self.single_quick(seen.call_id, quick::call_id) {
            self.single::<CallId>()?;
        }
        let method = self.method().map(|m| m.as_str());
        if !self.single_quick(seen.cseq, |v| quick::cseq(v, method)) {
            let cseq = self.single::<CSeq>()?;
            if let Some(m) = method {
                if m != cseq.method {
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
        }
        if seen.max_forwards.count > 0 && !self.single_quick(seen.max_forwards, quick::max_forwards)
        {
            self.single::<MaxForwards>()?;
        }
        if seen.content_type {
            self.single::<ContentType>()?;
        }
        let [contact, route, record_route, require, proxy_require] = seen.lists;
        if contact {
            check_all::<Contact>(self)?;
        }
        if route {
            check_all::<Route>(self)?;
        }
        if record_route {
            check_all::<RecordRoute>(self)?;
        }
        if require {
            check_all::<Require>(self)?;
        }
        if proxy_require {
            check_all::<ProxyRequire>(self)?;
        }
        Ok(())
    }
}

mod quick;

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

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use proptest::prelude::*;
    use quick::tests::{name_addr_text, via_text};

    /// `validate` as it was before the quick scans: every header through
    /// its typed parser.
    fn reference(m: &Message) -> Result<(), ParseError> {
        if m.version != (2, 0) {
            return Err(ParseError::new(ParseErrorKind::UnsupportedVersion, 0));
        }
        if let Some(Uri::Sip(u)) = m.request_uri() {
            if u.headers.is_some() {
                return Err(ParseError::new(
                    ParseErrorKind::StartLine("Request-URI must not contain headers"),
                    0,
                ));
            }
        }
        if !m.has(Via::NAME) {
            return Err(ParseError::in_header(
                ParseErrorKind::MissingHeader,
                0,
                "Via",
            ));
        }
        check_all::<Via>(m)?;
        m.single::<From>()?;
        m.single::<To>()?;
        m.single::<CallId>()?;
        let cseq = m.single::<CSeq>()?;
        if let Some(meth) = m.method() {
            if meth.as_str() != cseq.method {
                let at = m
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
        if m.has(MaxForwards::NAME) {
            m.single::<MaxForwards>()?;
        }
        if m.has(ContentType::NAME) {
            m.single::<ContentType>()?;
        }
        check_all::<Contact>(m)?;
        check_all::<Route>(m)?;
        check_all::<RecordRoute>(m)?;
        check_all::<Require>(m)?;
        check_all::<ProxyRequire>(m)?;
        Ok(())
    }

    fn message(start: &str, via: &str, from: &str, to: &str, rest: &str) -> Option<Message> {
        let text = format!(
            "{start}\r\nVia: {via}\r\nFrom: {from}\r\nTo: {to}\r\n{rest}\
             Content-Length: 0\r\n\r\n"
        );
        Message::parse(Bytes::from(text)).ok()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn validate_gives_what_every_typed_parser_gives(
            method in "(OPTIONS|INVITE)",
            via in via_text(),
            from in name_addr_text(),
            to in name_addr_text(),
            cseq in "(1|42|4294967296|x) (OPTIONS|INVITE|BYE)",
            call_id in "(c@h|a@|@b|x\"y|abc|a@b@c)",
            max_forwards in "(70|256|0|x|0070)",
            twice in prop::sample::select(&["", "From", "Call-ID", "CSeq", "Max-Forwards"][..]),
        ) {
            let start = format!("{method} sip:a@b SIP/2.0");
            let mut rest = format!(
                "Call-ID: {call_id}\r\nCSeq: {cseq}\r\nMax-Forwards: {max_forwards}\r\n"
            );
            if !twice.is_empty() {
                rest.push_str(&format!("{twice}: 1 OPTIONS\r\n"));
            }
            if let Some(m) = message(&start, &via, &from, &to, &rest) {
                prop_assert_eq!(m.validate(), reference(&m));
                prop_assert_eq!(m.check_cseq(), m.cseq().map(|_| ()));
            }
            if let Some(m) = message("SIP/2.0 200 OK", &via, &from, &to, &rest) {
                prop_assert_eq!(m.validate(), reference(&m));
            }
        }
    }
}
