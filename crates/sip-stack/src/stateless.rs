//! The checks a UAS makes before a request reaches its user (RFC 3261
//! §8.2) and the responses that reject it: 400 and 505 for malformed
//! requests (also when the message cannot be parsed at all), 405/501 with
//! Allow, 416, 420 with Unsupported, 415 with Accept, 406. RFC 4475's
//! torture tests name the expected answers.

use crate::config::EndpointConfig;
use bytes::{BufMut, Bytes, BytesMut};
use heron_sip::headers::{Accept, Require};
use heron_sip::{HeaderName, Message, Method, ParseError};

/// Why a request is turned away, with the headers the answer must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The status code.
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
    /// Headers to add (Allow, Unsupported, Accept).
    pub headers: Vec<(HeaderName, String)>,
}

impl Rejection {
    fn new(code: u16, reason: impl Into<String>) -> Rejection {
        Rejection {
            code,
            reason: reason.into(),
            headers: Vec::new(),
        }
    }

    fn with(mut self, name: HeaderName, value: String) -> Rejection {
        self.headers.push((name, value));
        self
    }

    /// The response to `request` carrying this rejection.
    pub fn response(&self, request: &Message, to_tag: &str, server: Option<&str>) -> Message {
        let mut r = Message::response_to(request, self.code, Some(to_tag));
        r.set_reason(&self.reason);
        for (n, v) in &self.headers {
            r.append_header(*n, v);
        }
        if let Some(s) = server {
            r.append_header(HeaderName::Server, s);
        }
        r
    }
}

/// A reason phrase safe to put on the status line: no control characters.
pub(crate) fn phrase(base: &str, detail: &str) -> String {
    let mut s = String::with_capacity(base.len() + detail.len() + 3);
    s.push_str(base);
    s.push_str(" (");
    s.extend(
        detail
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(160),
    );
    s.push(')');
    s
}

/// The rejection for a request that failed [`Message::validate`].
pub fn malformed(e: &ParseError) -> Rejection {
    let code = e.status_code();
    let base = heron_sip::reason_phrase(code);
    Rejection::new(code, phrase(base, &e.to_string()))
}

/// RFC 3261 §8.2.1–§8.2.3 checks of a valid request, in the RFC's order.
/// `Ok` means the user should see it. ACK and CANCEL are never rejected
/// here.
pub fn check_request(req: &Message, cfg: &EndpointConfig) -> Result<(), Rejection> {
    let Some(method) = req.method() else {
        return Ok(());
    };
    if matches!(method, Method::Ack | Method::Cancel) {
        return Ok(());
    }
    // §8.2.1 method inspection.
    if !cfg.allow.contains(method) {
        let code = if method.is_known() { 405 } else { 501 };
        return Err(Rejection::new(code, heron_sip::reason_phrase(code))
            .with(HeaderName::Allow, cfg.allow_header()));
    }
    // §8.2.2.1 Request-URI scheme.
    let scheme = req
        .request_uri_str()
        .and_then(|u| Some(&u[..memchr::memchr(b':', u.as_bytes())?]))
        .unwrap_or("");
    if !cfg
        .uri_schemes
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
    {
        return Err(Rejection::new(416, heron_sip::reason_phrase(416)));
    }
    // §8.2.2.3 Require.
    let mut unsupported = Vec::new();
    for tag in req.all::<Require>().flatten() {
        if !cfg.supported.iter().any(|s| s.eq_ignore_ascii_case(tag.0)) {
            unsupported.push(tag.0.to_owned());
        }
    }
    if !unsupported.is_empty() {
        return Err(Rejection::new(420, heron_sip::reason_phrase(420))
            .with(HeaderName::Unsupported, unsupported.join(", ")));
    }
    // §8.2.3 content processing.
    if !req.body().is_empty() {
        if let Some(Ok(ct)) = req.content_type() {
            let ok = ct.mtype.eq_ignore_ascii_case("multipart")
                || cfg.accept.iter().any(|a| {
                    a.split_once('/')
                        .is_some_and(|(t, s)| ct.is(t.trim(), s.trim()))
                });
            if !ok {
                return Err(Rejection::new(415, heron_sip::reason_phrase(415))
                    .with(HeaderName::Accept, cfg.accept_header()));
            }
        }
    }
    // An INVITE whose Accept rules out SDP cannot be answered (RFC 4475
    // §3.3.15).
    if *method == Method::Invite && req.has(HeaderName::Accept) {
        let mut any = false;
        let sdp_ok = req.all::<Accept>().flatten().any(|a| {
            any = true;
            let m = a.0;
            (m.mtype == "*" || m.mtype.eq_ignore_ascii_case("application"))
                && (m.subtype == "*" || m.subtype.eq_ignore_ascii_case("sdp"))
        });
        if any && !sdp_ok {
            return Err(Rejection::new(406, heron_sip::reason_phrase(406))
                .with(HeaderName::Accept, "application/sdp".into()));
        }
    }
    Ok(())
}

/// Whether `bytes` starts like a request (a token and a space), so an
/// unparseable message deserves a 400 rather than silence; ACKs never do.
fn looks_like_request(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(bytes.len());
    let line = &bytes[start..];
    if line.starts_with(b"SIP/") || line.starts_with(b"ACK ") {
        return false;
    }
    let tok = line
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(b)))
        .unwrap_or(0);
    tok > 0 && line.get(tok) == Some(&b' ')
}

/// A 400 for a request that could not be parsed, built from the header
/// lines that could be read (Via, From, To, Call-ID, CSeq, copied as they
/// are). `None` when the bytes are not a request or carry no Via.
pub fn raw_bad_request(bytes: &[u8], error: &ParseError, to_tag: &str) -> Option<Bytes> {
    if !looks_like_request(bytes) {
        return None;
    }
    let head_end = find_sub(bytes, b"\r\n\r\n").unwrap_or(bytes.len().min(64 * 1024));
    let head = &bytes[..head_end];
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut it = head.split(|b| *b == b'\n').skip(1);
    for raw in it.by_ref() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = String::from_utf8_lossy(raw);
        if text.starts_with([' ', '\t']) {
            if let Some(last) = lines.last_mut() {
                last.1.push(' ');
                last.1.push_str(text.trim());
            }
            continue;
        }
        let Some((name, value)) = text.split_once(':') else {
            continue;
        };
        lines.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let wanted = |n: HeaderName| {
        matches!(
            n,
            HeaderName::Via
                | HeaderName::From
                | HeaderName::To
                | HeaderName::CallId
                | HeaderName::CSeq
        )
    };
    if !lines
        .iter()
        .any(|(n, _)| HeaderName::from_name(n) == HeaderName::Via)
    {
        return None;
    }
    let mut out = BytesMut::with_capacity(512);
    out.put_slice(b"SIP/2.0 400 ");
    out.put_slice(phrase("Bad Request", &error.to_string()).as_bytes());
    out.put_slice(b"\r\n");
    for (name, value) in &lines {
        let n = HeaderName::from_name(name);
        if !wanted(n) || value.contains(['\r', '\n']) {
            continue;
        }
        out.put_slice(n.as_str().as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        if n == HeaderName::To && !value.contains(";tag=") {
            out.put_slice(b";tag=");
            out.put_slice(to_tag.as_bytes());
        }
        out.put_slice(b"\r\n");
    }
    out.put_slice(b"Content-Length: 0\r\n\r\n");
    Some(out.freeze())
}

fn find_sub(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, extra: &str) -> Message {
        let text = format!(
            "{method} sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:x@y>;tag=1\r\n\
             To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 {method}\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        Message::parse(Bytes::from(text)).unwrap()
    }

    #[test]
    fn method_checks() {
        let cfg = EndpointConfig::default();
        assert!(check_request(&req("OPTIONS", ""), &cfg).is_ok());
        let r = check_request(&req("FOO", ""), &cfg).unwrap_err();
        assert_eq!(r.code, 501);
        assert!(r.headers[0].1.contains("INVITE"));
        assert_eq!(
            check_request(&req("PUBLISH", ""), &cfg).unwrap_err().code,
            405
        );
    }

    #[test]
    fn require_check_lists_unknown_tags() {
        let cfg = EndpointConfig::default();
        let r = check_request(&req("OPTIONS", "Require: 100rel, foo\r\n"), &cfg).unwrap_err();
        assert_eq!(r.code, 420);
        assert_eq!(r.headers, vec![(HeaderName::Unsupported, "foo".to_owned())]);
    }

    #[test]
    fn raw_400_copies_the_transaction_headers() {
        let bytes = b"INVITE <sip:a@b> SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKq\r\nf: <sip:x@y>;tag=1\r\nt: <sip:a@b>\r\ni: cid\r\nCSeq: 1 INVITE\r\n\r\n";
        let e = Message::parse(Bytes::from_static(bytes)).unwrap_err();
        let r = raw_bad_request(bytes, &e, "tg").unwrap();
        let m = Message::parse(r).unwrap();
        m.validate().unwrap();
        assert_eq!(m.status(), Some(400));
        assert_eq!(m.to_header().unwrap().tag(), Some("tg"));
        assert!(raw_bad_request(b"SIP/2.0 200 OK\r\n\r\n", &e, "t").is_none());
        assert!(raw_bad_request(b"ACK x SIP/2.0\r\nVia: a\r\n\r\n", &e, "t").is_none());
    }
}
