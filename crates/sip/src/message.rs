//! The SIP message: start line, header fields in order, body. Parsed
//! messages borrow everything from the received buffer; typed header values
//! are read on demand.

use crate::error::{ParseError, ParseErrorKind, ValueError};
use crate::headers::{self, TypedHeader};
use crate::method::Method;
use crate::name::HeaderName;
use crate::text::{find_unquoted, trim_lws};
use crate::uri::Uri;
use bytes::Bytes;
use bytestring::ByteString;

/// Text held by a message: a span of the parsed header section, or an
/// entry of the message's `extra` strings (added text, or text shared with
/// another message's buffer). Kept to 12 bytes so a parsed message's field
/// index stays small.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Text {
    Span(u32, u32),
    Extra(u32),
}

impl Text {
    /// The name text of a known header added by the builder: its canonical
    /// spelling ([`HeaderName::as_str`]) is written.
    pub(crate) const CANONICAL: Text = Text::Span(0, 0);

    pub(crate) fn get<'m>(&self, head: &'m str, extra: &'m [ByteString]) -> &'m str {
        match *self {
            Text::Span(s, e) => head.get(s as usize..e as usize).unwrap_or(""),
            Text::Extra(i) => extra.get(i as usize).map_or("", |b| &b[..]),
        }
    }

    pub(crate) fn offset(&self) -> usize {
        match *self {
            Text::Span(s, _) => s as usize,
            Text::Extra(_) => 0,
        }
    }

    fn is_canonical(&self) -> bool {
        matches!(self, Text::Span(0, 0))
    }
}

/// One header field.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) name: HeaderName,
    pub(crate) name_text: Text,
    pub(crate) value: Text,
    /// The whole line(s) as received, line terminator included, so an
    /// unchanged field is written back byte for byte.
    pub(crate) raw: Option<(u32, u32)>,
}

/// The first line of a message.
#[derive(Debug, Clone)]
pub(crate) enum Start {
    Request { method: Method, uri: Text },
    Response { code: u16, reason: Text },
}

/// A parsed or constructed SIP request or response.
#[derive(Clone)]
pub struct Message {
    pub(crate) head: ByteString,
    /// Strings that are not in `head`: added or changed text, and text
    /// shared from another message (see [`Text::Extra`]).
    pub(crate) extra: Vec<ByteString>,
    pub(crate) start: Start,
    pub(crate) start_raw: Option<(u32, u32)>,
    pub(crate) version: (u8, u8),
    pub(crate) fields: Vec<Field>,
    /// The empty line ending the header section, as received.
    pub(crate) end_raw: Option<(u32, u32)>,
    pub(crate) body: Bytes,
    /// Add a Content-Length when writing if none is present.
    pub(crate) auto_length: bool,
}

/// A header field as seen by users of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderRef<'m> {
    /// The known name, or [`HeaderName::Other`].
    pub name: HeaderName,
    /// The name as written (`v`, `VIA`, `X-Custom`).
    pub name_str: &'m str,
    /// The value as written, folding included, without leading and trailing
    /// white space.
    pub value: &'m str,
    /// Byte offset of the value in the message (0 for added headers).
    pub offset: usize,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Message");
        match &self.start {
            Start::Request { method, .. } => d
                .field("method", method)
                .field("uri", &self.request_uri_str()),
            Start::Response { code, .. } => d.field("status", code),
        };
        // Credentials and challenges are left out: they carry secrets.
        d.field(
            "headers",
            &self
                .headers()
                .filter(|h| {
                    !matches!(
                        h.name,
                        HeaderName::Authorization | HeaderName::ProxyAuthorization
                    )
                })
                .map(|h| (h.name_str, h.value))
                .collect::<Vec<_>>(),
        )
        .field("body_len", &self.body.len())
        .finish()
    }
}

impl Message {
    /// `s` as shared text: a reference-counted slice when it lies in this
    /// message's header section (no copy), otherwise a new string.
    pub(crate) fn share(&self, s: &str) -> ByteString {
        let head = self.head.as_bytes().as_ptr_range();
        let p = s.as_bytes().as_ptr_range();
        if !s.is_empty() && head.start <= p.start && p.end <= head.end {
            self.head.slice_ref(s)
        } else {
            ByteString::from(s)
        }
    }

    fn text<'m>(&'m self, t: &'m Text) -> &'m str {
        t.get(&self.head, &self.extra)
    }

    fn header_ref<'m>(&'m self, f: &'m Field) -> HeaderRef<'m> {
        HeaderRef {
            name: f.name,
            name_str: match f.name {
                HeaderName::Other => self.text(&f.name_text),
                _ if f.name_text.is_canonical() || matches!(f.name_text, Text::Extra(_)) => {
                    f.name.as_str()
                }
                _ => self.text(&f.name_text),
            },
            value: self.text(&f.value),
            offset: f.value.offset(),
        }
    }

    /// Whether this is a request.
    pub fn is_request(&self) -> bool {
        matches!(self.start, Start::Request { .. })
    }

    /// The request method, for requests.
    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            Start::Request { method, .. } => Some(method),
            Start::Response { .. } => None,
        }
    }

    /// The Request-URI as written, for requests.
    pub fn request_uri_str(&self) -> Option<&str> {
        match &self.start {
            Start::Request { uri, .. } => Some(self.text(uri)),
            Start::Response { .. } => None,
        }
    }

    /// The parsed Request-URI, for requests (checked during parsing).
    pub fn request_uri(&self) -> Option<Uri<'_>> {
        Uri::parse(self.request_uri_str()?).ok()
    }

    /// The status code, for responses.
    pub fn status(&self) -> Option<u16> {
        match self.start {
            Start::Response { code, .. } => Some(code),
            Start::Request { .. } => None,
        }
    }

    /// The reason phrase, for responses.
    pub fn reason(&self) -> Option<&str> {
        match &self.start {
            Start::Response { reason, .. } => Some(self.text(reason)),
            Start::Request { .. } => None,
        }
    }

    /// The SIP version of the start line as (major, minor).
    pub fn version(&self) -> (u8, u8) {
        self.version
    }

    /// All header fields in order.
    pub fn headers(&self) -> impl Iterator<Item = HeaderRef<'_>> + '_ {
        self.fields.iter().map(|f| self.header_ref(f))
    }

    /// The raw values of every field named `name` (one per header line).
    pub fn header_values(&self, name: HeaderName) -> impl Iterator<Item = &str> + '_ {
        self.fields
            .iter()
            .filter(move |f| f.name == name)
            .map(|f| self.text(&f.value))
    }

    /// The first raw value of the header called `name` (any header, known
    /// or not; full or compact name, case-insensitive).
    pub fn header_str(&self, name: &str) -> Option<&str> {
        let known = HeaderName::from_name(name);
        self.headers()
            .find(|h| match known {
                HeaderName::Other => {
                    h.name == HeaderName::Other && h.name_str.eq_ignore_ascii_case(name)
                }
                k => h.name == k,
            })
            .map(|h| h.value)
    }

    /// Whether a field named `name` is present.
    pub fn has(&self, name: HeaderName) -> bool {
        self.fields.iter().any(|f| f.name == name)
    }

    /// Every value of header `H`, list headers split at unquoted commas,
    /// each parsed on demand.
    pub fn all<'m, H: TypedHeader<'m>>(&'m self) -> Values<'m, H> {
        Values {
            msg: self,
            next_field: 0,
            current: None,
            list_base: 0,
            _header: std::marker::PhantomData,
        }
    }

    /// The first value of header `H`, if present.
    pub fn get<'m, H: TypedHeader<'m>>(&'m self) -> Option<Result<H, ParseError>> {
        self.all::<H>().next()
    }

    /// The single value of a header that must appear once: an error if it
    /// is missing, malformed or repeated.
    pub fn single<'m, H: TypedHeader<'m>>(&'m self) -> Result<H, ParseError> {
        if H::NAME.is_list() {
            return self.single_of_list();
        }
        let mut found: Option<&Field> = None;
        for f in &self.fields {
            if f.name == H::NAME {
                if found.is_some() {
                    return Err(ParseError::in_header(
                        ParseErrorKind::DuplicateHeader,
                        f.value.offset(),
                        H::NAME.as_str(),
                    ));
                }
                found = Some(f);
            }
        }
        let f = found.ok_or_else(|| {
            ParseError::in_header(ParseErrorKind::MissingHeader, 0, H::NAME.as_str())
        })?;
        H::parse(self.text(&f.value)).map_err(|e| wrap::<H>(e, f.value.offset()))
    }

    fn single_of_list<'m, H: TypedHeader<'m>>(&'m self) -> Result<H, ParseError> {
        let mut it = self.all::<H>();
        let first = it.next().ok_or_else(|| {
            ParseError::in_header(ParseErrorKind::MissingHeader, 0, H::NAME.as_str())
        })??;
        if it.next().is_some() {
            return Err(ParseError::in_header(
                ParseErrorKind::DuplicateHeader,
                0,
                H::NAME.as_str(),
            ));
        }
        Ok(first)
    }

    /// The topmost Via.
    pub fn top_via(&self) -> Result<headers::Via<'_>, ParseError> {
        self.get::<headers::Via>().unwrap_or_else(|| {
            Err(ParseError::in_header(
                ParseErrorKind::MissingHeader,
                0,
                "Via",
            ))
        })
    }

    /// From.
    pub fn from_header(&self) -> Result<headers::From<'_>, ParseError> {
        self.single()
    }

    /// To.
    pub fn to_header(&self) -> Result<headers::To<'_>, ParseError> {
        self.single()
    }

    /// Call-ID.
    pub fn call_id(&self) -> Result<&str, ParseError> {
        self.single::<headers::CallId>().map(|c| c.0)
    }

    /// CSeq.
    pub fn cseq(&self) -> Result<headers::CSeq<'_>, ParseError> {
        self.single()
    }

    /// Max-Forwards, if present.
    pub fn max_forwards(&self) -> Option<Result<u8, ParseError>> {
        self.get::<headers::MaxForwards>().map(|r| r.map(|m| m.0))
    }

    /// Every Contact value.
    pub fn contacts(&self) -> impl Iterator<Item = Result<headers::Contact<'_>, ParseError>> {
        self.all()
    }

    /// Content-Type, if present.
    pub fn content_type(&self) -> Option<Result<headers::MediaType<'_>, ParseError>> {
        self.get::<headers::ContentType>().map(|r| r.map(|c| c.0))
    }

    /// The body (empty when there is none).
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

/// The values of one header across all its fields, list headers split at
/// unquoted commas; each value is parsed when the iterator reaches it.
pub struct Values<'m, H> {
    msg: &'m Message,
    next_field: usize,
    /// The list being read: the elements not read yet and their offset in
    /// the message.
    current: Option<(&'m str, usize)>,
    /// Where the current field's value starts in the message.
    list_base: usize,
    _header: std::marker::PhantomData<fn() -> H>,
}

impl<'m, H: TypedHeader<'m>> Iterator for Values<'m, H> {
    type Item = Result<H, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((rest, base)) = self.current {
                if let Some((value, next)) = H::parse_list_prefix(rest) {
                    self.current = next.map(|n| (&rest[n..], base + n));
                    return Some(Ok(value));
                }
                // The general reading: cut at the first comma outside
                // quotes and brackets.
                let (item, next) = match find_unquoted(rest, b',') {
                    Ok(Some(i)) => (&rest[..i], Some(i + 1)),
                    Ok(None) => (rest, None),
                    Err(()) => {
                        self.current = None;
                        self.next_field = self.msg.fields.len();
                        return Some(Err(wrap::<H>(
                            ValueError::new("unterminated quoted string", 0),
                            self.list_base,
                        )));
                    }
                };
                let trimmed = trim_lws(item);
                let at = base + (trimmed.as_ptr() as usize - rest.as_ptr() as usize);
                if trimmed.is_empty() {
                    self.current = None;
                    self.next_field = self.msg.fields.len();
                    return Some(Err(wrap::<H>(ValueError::new("empty list element", 0), at)));
                }
                self.current = next.map(|n| (&rest[n..], base + n));
                return Some(H::parse(trimmed).map_err(|e| wrap::<H>(e, at)));
            }
            let fields = &self.msg.fields;
            while self.next_field < fields.len() && fields[self.next_field].name != H::NAME {
                self.next_field += 1;
            }
            let f = fields.get(self.next_field)?;
            self.next_field += 1;
            let value = self.msg.text(&f.value);
            let base = f.value.offset();
            if !H::NAME.is_list() {
                return Some(H::parse(value).map_err(|e| wrap::<H>(e, base)));
            }
            // An empty list header (`Supported:`) holds no values.
            if !value.is_empty() {
                self.current = Some((value, base));
                self.list_base = base;
            }
        }
    }
}

pub(crate) fn wrap<'m, H: TypedHeader<'m>>(e: ValueError, base: usize) -> ParseError {
    ParseError::in_header(
        ParseErrorKind::InvalidHeader(e),
        base + e.at,
        H::NAME.as_str(),
    )
}
