//! Writing messages and changing them: building requests and responses,
//! setting or replacing headers, and the body with its Content-Length.

use crate::headers::{self, TypedHeader};
use crate::message::{Field, Message, Start, Text};
use crate::method::Method;
use crate::name::HeaderName;
use bytes::{BufMut, Bytes, BytesMut};
use bytestring::ByteString;

/// The standard reason phrase for a status code (RFC 3261 §21 and later).
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        199 => "Early Dialog Terminated",
        200 => "OK",
        202 => "Accepted",
        204 => "No Notification",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        422 => "Session Interval Too Small",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        580 => "Precondition Failure",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => "",
    }
}

impl Message {
    /// A message with no headers and room for `fields` of them, so building
    /// a typical request or response does not grow its vectors.
    fn empty(start: Start, fields: usize) -> Message {
        Message {
            head: ByteString::new(),
            extra: Vec::with_capacity(fields + 1),
            start,
            start_raw: None,
            version: (2, 0),
            fields: Vec::with_capacity(fields),
            end_raw: None,
            body: Bytes::new(),
            auto_length: true,
        }
    }

    /// A new request with no headers. The Request-URI is not checked here;
    /// [`Message::validate`] does.
    pub fn request(method: Method, request_uri: &str) -> Message {
        let mut m = Message::empty(
            Start::Request {
                method,
                uri: Text::Extra(0),
            },
            8,
        );
        m.extra.push(ByteString::from(request_uri));
        m
    }

    /// A new response with the standard reason phrase.
    pub fn response(code: u16) -> Message {
        Message::response_with_room(code, 8)
    }

    fn response_with_room(code: u16, fields: usize) -> Message {
        let mut m = Message::empty(
            Start::Response {
                code,
                reason: Text::Extra(0),
            },
            fields,
        );
        m.extra.push(ByteString::from_static(reason_phrase(code)));
        m
    }

    /// A response to `request` per RFC 3261 §8.2.6: the Vias (in order),
    /// From, To, Call-ID and CSeq are copied, a To tag is added when
    /// `to_tag` is given and To has none (never for 100 Trying), and the
    /// request's Timestamp is echoed on 100. Whether To has a tag is read
    /// from its header parameters; its URI is not parsed for that.
    pub fn response_to(request: &Message, code: u16, to_tag: Option<&str>) -> Message {
        let copied = |name: HeaderName| {
            matches!(
                name,
                HeaderName::Via
                    | HeaderName::From
                    | HeaderName::To
                    | HeaderName::CallId
                    | HeaderName::CSeq
            ) || (name == HeaderName::Timestamp && code == 100)
        };
        let count = request.fields.iter().filter(|f| copied(f.name)).count();
        let mut r = Message::response_with_room(code, count);
        // The tag goes on when the first To has none (checked once).
        let mut add_tag = None;
        if let Some(tag) = to_tag.filter(|_| code > 100) {
            let first_to = request.fields.iter().find(|f| f.name == HeaderName::To);
            if let Some(f) = first_to {
                if !to_has_tag(f.value.get(&request.head, &request.extra)) {
                    add_tag = Some(tag);
                }
            }
        }
        for f in &request.fields {
            if !copied(f.name) {
                continue;
            }
            let value = f.value.get(&request.head, &request.extra);
            let text = match add_tag {
                Some(tag) if f.name == HeaderName::To => {
                    let mut s = String::with_capacity(value.len() + 5 + tag.len());
                    s.push_str(value);
                    s.push_str(";tag=");
                    s.push_str(tag);
                    r.push_extra(ByteString::from(no_line_breaks(s)))
                }
                _ => r.push_extra(request.share(value)),
            };
            r.fields.push(Field {
                name: f.name,
                name_text: Text::CANONICAL,
                value: text,
                raw: None,
            });
        }
        r
    }

    /// Sets the reason phrase of a response.
    pub fn set_reason(&mut self, reason: &str) {
        self.before_change();
        if matches!(self.start, Start::Response { .. }) {
            let t = self.extra_text(reason);
            if let Start::Response { reason: r, .. } = &mut self.start {
                *r = t;
            }
            self.start_raw = None;
        }
    }

    /// Replaces the Request-URI of a request.
    pub fn set_request_uri(&mut self, uri: &str) {
        self.before_change();
        if matches!(self.start, Start::Request { .. }) {
            let t = self.extra_text(uri);
            if let Start::Request { uri: u, .. } = &mut self.start {
                *u = t;
            }
            self.start_raw = None;
        }
    }

    /// Appends a header field after all others.
    pub fn append_header(&mut self, name: HeaderName, value: &str) {
        self.before_change();
        let f = self.new_field(name, None, value);
        self.fields.push(f);
    }

    /// Appends a header field whose value is a static string, kept without
    /// a copy (`Max-Forwards: 70`, say). CR and LF are written as spaces,
    /// as for [`Message::append_header`].
    pub fn append_header_static(&mut self, name: HeaderName, value: &'static str) {
        if has_line_break(value) {
            return self.append_header(name, value);
        }
        self.before_change();
        let value = self.push_extra(ByteString::from_static(value));
        self.fields.push(Field {
            name,
            name_text: Text::CANONICAL,
            value,
            raw: None,
        });
    }

    /// Appends a header with a name this crate does not know.
    pub fn append_other(&mut self, name: &str, value: &str) {
        self.before_change();
        let known = HeaderName::from_name(name);
        let f = self.new_field(known, Some(name), value);
        self.fields.push(f);
    }

    /// Inserts a header field before all others of the same name (or at the
    /// top when there is none), as a new Via or Record-Route goes.
    pub fn prepend_header(&mut self, name: HeaderName, value: &str) {
        self.before_change();
        let at = self.fields.iter().position(|f| f.name == name).unwrap_or(0);
        let f = self.new_field(name, None, value);
        self.fields.insert(at, f);
    }

    /// Replaces the value of the first field named `name`, keeping its
    /// place and any later fields of that name (the top Via, say); appends
    /// a field when there is none.
    pub fn replace_first(&mut self, name: HeaderName, value: &str) {
        self.before_change();
        match self.fields.iter().position(|f| f.name == name) {
            Some(i) => self.fields[i] = self.new_field(name, None, value),
            None => self.append_header(name, value),
        }
    }

    /// Replaces every field named `name` by one with `value`, keeping the
    /// position of the first; appends when absent.
    pub fn set_header(&mut self, name: HeaderName, value: &str) {
        self.before_change();
        match self.fields.iter().position(|f| f.name == name) {
            Some(i) => {
                self.fields[i] = self.new_field(name, None, value);
                let mut idx = 0;
                self.fields.retain(|f| {
                    let keep = idx <= i || f.name != name;
                    idx += 1;
                    keep
                });
            }
            None => self.append_header(name, value),
        }
    }

    /// Removes every field named `name`; returns how many were removed.
    pub fn remove_header(&mut self, name: HeaderName) -> usize {
        let before = self.fields.len();
        self.fields.retain(|f| f.name != name);
        before - self.fields.len()
    }

    /// Removes the first field named `name` (the top Via, say).
    pub fn remove_first(&mut self, name: HeaderName) -> bool {
        match self.fields.iter().position(|f| f.name == name) {
            Some(i) => {
                self.fields.remove(i);
                true
            }
            None => false,
        }
    }

    /// Replaces the body, setting Content-Type (when given) and
    /// Content-Length.
    pub fn set_body(&mut self, content_type: Option<&str>, body: Bytes) {
        if let Some(ct) = content_type {
            self.set_header(HeaderName::ContentType, ct);
        } else if body.is_empty() {
            self.remove_header(HeaderName::ContentType);
        }
        self.set_header(HeaderName::ContentLength, &body.len().to_string());
        self.body = body;
    }

    /// Sets a typed header from its `Display` form.
    pub fn set_typed<'a, H: TypedHeader<'a> + std::fmt::Display>(&mut self, value: &H) {
        self.set_header(H::NAME, &value.to_string());
    }

    /// Writes the message. A parsed message that was not changed is
    /// written byte for byte as received (trailing datagram octets after the
    /// body excepted).
    pub fn write_to(&self, out: &mut BytesMut) {
        self.write_start(out);
        self.write_rest(out);
    }

    fn write_start(&self, out: &mut BytesMut) {
        let head = self.head.as_bytes();
        match self.start_raw {
            Some((s, e)) => out.put_slice(&head[s as usize..e as usize]),
            None => match &self.start {
                Start::Request { method, uri } => {
                    out.put_slice(method.as_str().as_bytes());
                    out.put_u8(b' ');
                    out.put_slice(uri.get(&self.head, &self.extra).as_bytes());
                    out.put_slice(b" SIP/2.0\r\n");
                }
                Start::Response { code, reason } => {
                    out.put_slice(b"SIP/2.0 ");
                    put_decimal(out, u64::from(*code));
                    out.put_u8(b' ');
                    out.put_slice(reason.get(&self.head, &self.extra).as_bytes());
                    out.put_slice(b"\r\n");
                }
            },
        }
    }

    /// The header fields, Content-Length when needed, the empty line and
    /// the body.
    fn write_rest(&self, out: &mut BytesMut) {
        let head = self.head.as_bytes();
        for f in &self.fields {
            match f.raw {
                Some((s, e)) => out.put_slice(&head[s as usize..e as usize]),
                None => {
                    match name_and_colon(f.name) {
                        Some(prefix) => out.put_slice(prefix),
                        None => {
                            let name = match f.name {
                                HeaderName::Other => f.name_text.get(&self.head, &self.extra),
                                n => n.as_str(),
                            };
                            out.put_slice(name.as_bytes());
                            out.put_slice(b": ");
                        }
                    }
                    out.put_slice(f.value.get(&self.head, &self.extra).as_bytes());
                    out.put_slice(b"\r\n");
                }
            }
        }
        if self.auto_length && !self.has(HeaderName::ContentLength) {
            out.put_slice(b"Content-Length: ");
            put_decimal(out, self.body.len() as u64);
            out.put_slice(b"\r\n");
        }
        match self.end_raw {
            Some((s, e)) => out.put_slice(&head[s as usize..e as usize]),
            None => out.put_slice(b"\r\n"),
        }
        out.put_slice(&self.body);
    }

    /// The message as bytes, ready to send.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.written_len());
        self.write_to(&mut out);
        out.freeze()
    }

    /// The message as bytes with one more header field written first,
    /// right after the start line, leaving the message itself as it is:
    /// the Via a transport layer adds to each attempt of a request. CR and
    /// LF in `value` are written as spaces. `name` is a known header
    /// ([`HeaderName::Other`] has no name to write, so then the message is
    /// written as it is).
    pub fn to_bytes_with_top_header(&self, name: HeaderName, value: &str) -> Bytes {
        if name == HeaderName::Other {
            return self.to_bytes();
        }
        let extra = name.as_str().len() + value.len() + 4;
        let mut out = BytesMut::with_capacity(self.written_len() + extra);
        self.write_start(&mut out);
        match name_and_colon(name) {
            Some(prefix) => out.put_slice(prefix),
            None => {
                out.put_slice(name.as_str().as_bytes());
                out.put_slice(b": ");
            }
        }
        if has_line_break(value) {
            out.put_slice(value.replace(['\r', '\n'], " ").as_bytes());
        } else {
            out.put_slice(value.as_bytes());
        }
        out.put_slice(b"\r\n");
        self.write_rest(&mut out);
        out.freeze()
    }
}

impl Message {
    /// The written size, exactly: writing allocates once, and the frozen
    /// bytes keep that allocation (a buffer with spare room would need
    /// another for its shared header).
    fn written_len(&self) -> usize {
        let start = match self.start_raw {
            Some((s, e)) => (e - s) as usize,
            None => match &self.start {
                // "METHOD uri SIP/2.0\r\n"
                Start::Request { method, uri } => {
                    method.as_str().len() + uri.get(&self.head, &self.extra).len() + 11
                }
                // "SIP/2.0 code reason\r\n"
                Start::Response { code, reason } => {
                    decimal_len(u64::from(*code)) + reason.get(&self.head, &self.extra).len() + 11
                }
            },
        };
        let mut has_length = false;
        let mut fields = 0;
        for f in &self.fields {
            has_length |= f.name == HeaderName::ContentLength;
            fields += match f.raw {
                Some((s, e)) => (e - s) as usize,
                None => {
                    let name = match f.name {
                        HeaderName::Other => f.name_text.get(&self.head, &self.extra),
                        n => n.as_str(),
                    };
                    name.len() + f.value.get(&self.head, &self.extra).len() + 4
                }
            };
        }
        let length = if self.auto_length && !has_length {
            // "Content-Length: n\r\n"
            decimal_len(self.body.len() as u64) + 18
        } else {
            0
        };
        let end = self.end_raw.map_or(2, |(s, e)| (e - s) as usize);
        start + fields + length + end + self.body.len()
    }
}

/// The number of decimal digits of `n`.
fn decimal_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

impl Message {
    /// Keeps `s` in the extra strings and refers to it.
    pub(crate) fn push_extra(&mut self, s: ByteString) -> Text {
        self.extra.push(s);
        Text::Extra((self.extra.len() - 1) as u32)
    }

    fn extra_text(&mut self, s: &str) -> Text {
        self.push_extra(ByteString::from(s))
    }

    /// Strings of fields that were replaced or removed are dropped once they
    /// outnumber the live ones, so a message changed over and over does not
    /// grow. Called at the start of each change, while every `Text` in use
    /// is held by the message itself.
    fn before_change(&mut self) {
        if self.extra.len() >= 16 && self.extra.len() > 2 * (self.fields.len() + 2) {
            self.compact_extra();
        }
    }

    /// Drops extra strings no field or start-line part refers to.
    fn compact_extra(&mut self) {
        let old = std::mem::take(&mut self.extra);
        let mut keep = |t: &mut Text| {
            if let Text::Extra(i) = *t {
                let s = old.get(i as usize).cloned().unwrap_or_default();
                self.extra.push(s);
                *t = Text::Extra((self.extra.len() - 1) as u32);
            }
        };
        match &mut self.start {
            Start::Request { uri, .. } => keep(uri),
            Start::Response { reason, .. } => keep(reason),
        }
        for f in &mut self.fields {
            keep(&mut f.name_text);
            keep(&mut f.value);
        }
    }

    fn new_field(&mut self, name: HeaderName, text: Option<&str>, value: &str) -> Field {
        let name_text = match (name, text) {
            (HeaderName::Other, Some(t)) => self.extra_text(t),
            _ => Text::CANONICAL,
        };
        // Header values cannot contain line breaks except as folding;
        // replacing them keeps a caller from injecting header lines.
        let value = if has_line_break(value) {
            self.extra_text(&value.replace(['\r', '\n'], " "))
        } else {
            self.extra_text(value)
        };
        Field {
            name,
            name_text,
            value,
            raw: None,
        }
    }
}

/// `Name: ` of the headers every transaction writes, in one piece (one
/// copy instead of two per field); `None` for the others.
fn name_and_colon(name: HeaderName) -> Option<&'static [u8]> {
    Some(match name {
        HeaderName::Via => b"Via: ",
        HeaderName::From => b"From: ",
        HeaderName::To => b"To: ",
        HeaderName::CallId => b"Call-ID: ",
        HeaderName::CSeq => b"CSeq: ",
        HeaderName::MaxForwards => b"Max-Forwards: ",
        HeaderName::Contact => b"Contact: ",
        HeaderName::ContentLength => b"Content-Length: ",
        _ => return None,
    })
}

/// Writes `n` in decimal.
fn put_decimal(out: &mut BytesMut, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&buf[i..]);
}

fn has_line_break(s: &str) -> bool {
    let b = s.as_bytes();
    // Header values are short and seldom hold control characters: the
    // smallest byte (a reduction the compiler vectorises) rules them out
    // before any search.
    b.iter().fold(u8::MAX, |m, c| m.min(*c)) < 0x20 && memchr::memchr2(b'\r', b'\n', b).is_some()
}

/// `s` with CR and LF replaced by spaces (a header value cannot hold a
/// line break except as folding; this keeps callers from adding lines).
fn no_line_breaks(s: String) -> String {
    if has_line_break(&s) {
        s.replace(['\r', '\n'], " ")
    } else {
        s
    }
}

/// Whether a To (or From) value has a `tag` parameter. The header
/// parameters are found as [`NameAddr::parse`](crate::headers::NameAddr)
/// finds them and checked with the same grammar; the URI itself is not
/// parsed. A quoted display name goes through the full parser.
fn to_has_tag(value: &str) -> bool {
    let s = crate::text::trim_lws(value);
    let params = if s.starts_with('"') {
        return headers::NameAddr::parse(value)
            .ok()
            .and_then(|a| a.tag())
            .is_some();
    } else if let Some(lt) = memchr::memchr(b'<', s.as_bytes()) {
        let after = &s[lt + 1..];
        match memchr::memchr(b'>', after.as_bytes()) {
            Some(gt) => crate::text::trim_lws(&after[gt + 1..]),
            None => return false,
        }
    } else {
        &s[memchr::memchr(b';', s.as_bytes()).unwrap_or(s.len())..]
    };
    if params.is_empty() {
        return false;
    }
    crate::params::Params::parse(params, crate::params::ParamKind::Header)
        .is_ok_and(|p| p.get("tag").flatten().is_some())
}

#[cfg(test)]
mod tests;
