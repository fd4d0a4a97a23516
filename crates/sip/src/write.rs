//! Writing messages and changing them: building requests and responses,
//! setting or replacing headers, and the body with its Content-Length.

use crate::headers::{self, TypedHeader};
use crate::message::{Field, Message, Start, Text};
use crate::method::Method;
use crate::name::HeaderName;
use bytes::{BufMut, Bytes, BytesMut};
use bytestring::ByteString;
use std::fmt::Write as _;

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
    fn empty(start: Start) -> Message {
        Message {
            head: ByteString::new(),
            extra: Vec::new(),
            start,
            start_raw: None,
            version: (2, 0),
            fields: Vec::new(),
            end_raw: None,
            body: Bytes::new(),
            auto_length: true,
        }
    }

    /// A new request with no headers. The Request-URI is not checked here;
    /// [`Message::validate`] does.
    pub fn request(method: Method, request_uri: &str) -> Message {
        let mut m = Message::empty(Start::Request {
            method,
            uri: Text::Extra(0),
        });
        m.extra.push(ByteString::from(request_uri));
        m
    }

    /// A new response with the standard reason phrase.
    pub fn response(code: u16) -> Message {
        let mut m = Message::empty(Start::Response {
            code,
            reason: Text::Extra(0),
        });
        m.extra.push(ByteString::from_static(reason_phrase(code)));
        m
    }

    /// A response to `request` per RFC 3261 §8.2.6: the Vias (in order),
    /// From, To, Call-ID and CSeq are copied, a To tag is added when
    /// `to_tag` is given and To has none (never for 100 Trying), and the
    /// request's Timestamp is echoed on 100.
    pub fn response_to(request: &Message, code: u16, to_tag: Option<&str>) -> Message {
        let mut r = Message::response(code);
        r.fields.reserve(8);
        let copy = |r: &mut Message, name: HeaderName, value: &str| {
            let value = r.push_extra(request.share(value));
            r.fields.push(Field {
                name,
                name_text: Text::CANONICAL,
                value,
                raw: None,
            })
        };
        for h in request.headers() {
            match h.name {
                HeaderName::Via | HeaderName::From | HeaderName::CallId | HeaderName::CSeq => {
                    copy(&mut r, h.name, h.value)
                }
                HeaderName::To => {
                    let has_tag = request
                        .get::<headers::To>()
                        .and_then(|t| t.ok())
                        .is_some_and(|t| t.tag().is_some());
                    match to_tag {
                        Some(tag) if code > 100 && !has_tag => {
                            r.append_header(HeaderName::To, &format!("{};tag={tag}", h.value))
                        }
                        _ => copy(&mut r, h.name, h.value),
                    }
                }
                HeaderName::Timestamp if code == 100 => copy(&mut r, h.name, h.value),
                _ => {}
            }
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
        let head = self.head.as_bytes();
        match self.start_raw {
            Some((s, e)) => out.put_slice(&head[s as usize..e as usize]),
            None => {
                let mut line = String::with_capacity(64);
                match &self.start {
                    Start::Request { method, uri } => {
                        let _ = write!(
                            line,
                            "{} {} SIP/2.0\r\n",
                            method,
                            uri.get(&self.head, &self.extra)
                        );
                    }
                    Start::Response { code, reason } => {
                        let _ = write!(
                            line,
                            "SIP/2.0 {} {}\r\n",
                            code,
                            reason.get(&self.head, &self.extra)
                        );
                    }
                }
                out.put_slice(line.as_bytes());
            }
        }
        for f in &self.fields {
            match f.raw {
                Some((s, e)) => out.put_slice(&head[s as usize..e as usize]),
                None => {
                    let name = match f.name {
                        HeaderName::Other => f.name_text.get(&self.head, &self.extra),
                        n => n.as_str(),
                    };
                    out.put_slice(name.as_bytes());
                    out.put_slice(b": ");
                    out.put_slice(f.value.get(&self.head, &self.extra).as_bytes());
                    out.put_slice(b"\r\n");
                }
            }
        }
        if self.auto_length && !self.has(HeaderName::ContentLength) {
            out.put_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        match self.end_raw {
            Some((s, e)) => out.put_slice(&head[s as usize..e as usize]),
            None => out.put_slice(b"\r\n"),
        }
        out.put_slice(&self.body);
    }

    /// The message as bytes, ready to send.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.written_len_estimate());
        self.write_to(&mut out);
        out.freeze()
    }
}

impl Message {
    /// An upper bound of the written size, so writing allocates once.
    fn written_len_estimate(&self) -> usize {
        let start = match self.start_raw {
            Some((s, e)) => (e - s) as usize,
            None => match &self.start {
                Start::Request { method, uri } => {
                    method.as_str().len() + uri.get(&self.head, &self.extra).len() + 12
                }
                Start::Response { reason, .. } => reason.get(&self.head, &self.extra).len() + 16,
            },
        };
        let fields: usize = self
            .fields
            .iter()
            .map(|f| match f.raw {
                Some((s, e)) => (e - s) as usize,
                None => {
                    let name = match f.name {
                        HeaderName::Other => f.name_text.get(&self.head, &self.extra),
                        n => n.as_str(),
                    };
                    name.len() + f.value.get(&self.head, &self.extra).len() + 4
                }
            })
            .sum();
        start + fields + 32 + self.body.len()
    }
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
        let value = if value.contains(['\r', '\n']) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_changed_over_and_over_stays_small_and_right() {
        let mut m = Message::request(Method::Register, "sip:pbx.example.com");
        m.append_header(HeaderName::From, "<sip:101@pbx.example.com>;tag=a");
        m.append_other("X-Note", "first");
        for i in 0..10_000 {
            m.set_header(HeaderName::CSeq, &format!("{i} REGISTER"));
            m.remove_header(HeaderName::Via);
            m.prepend_header(HeaderName::Via, &format!("SIP/2.0/UDP h;branch=z9hG4bK{i}"));
            m.set_request_uri("sip:pbx.example.com");
            assert!(
                m.extra.len() <= 2 * (m.fields.len() + 2) + 16,
                "{}",
                m.extra.len()
            );
        }
        let text = m.to_bytes();
        let again = Message::parse(text).unwrap();
        assert_eq!(again.cseq().unwrap().seq, 9_999);
        assert_eq!(again.top_via().unwrap().branch(), Some("z9hG4bK9999"));
        assert_eq!(again.request_uri_str(), Some("sip:pbx.example.com"));
        let note = again.headers().find(|h| h.name_str == "X-Note").unwrap();
        assert_eq!(note.value, "first");
    }
}
