//! The message parser: start line, header lines (folding, compact names),
//! and body framing by Content-Length.

use crate::error::{ParseError, ParseErrorKind};
use crate::message::{Field, Message, Start, Text};
use crate::method::Method;
use crate::name::HeaderName;
use crate::text::{is_token, is_token_char, parse_decimal};
use crate::uri::Uri;
use bytes::Bytes;
use bytestring::ByteString;

/// Size limits applied while parsing, so hostile input cannot make a
/// message (or a stream buffer) grow without bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest header section (start line and headers) in bytes.
    pub max_header_bytes: usize,
    /// Largest body in bytes.
    pub max_body_bytes: usize,
    /// Most header fields in one message.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 64 * 1024,
            max_body_bytes: 1024 * 1024,
            max_headers: 256,
        }
    }
}

/// How the end of a message is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One message per datagram: the body is framed by Content-Length, or by
    /// the end of the datagram when there is none (RFC 3261 §18.3).
    Datagram,
    /// A byte stream: Content-Length is required.
    Stream,
}

/// Where the header section ends, found by [`find_head_end`].
pub(crate) struct HeadEnd {
    /// Offset just past the empty line.
    pub(crate) end: usize,
}

/// Finds the empty line ending the header section (CRLF or bare LF line
/// ends). `None` when it is not in `buf` yet.
pub(crate) fn find_head_end(buf: &[u8]) -> Option<HeadEnd> {
    let mut skip = 0;
    while skip < buf.len() && (buf[skip] == b'\r' || buf[skip] == b'\n') {
        skip += 1;
    }
    let mut pos = skip;
    while let Some(nl) = crate::text::find_in(&buf[pos..], b'\n') {
        let next = pos + nl + 1;
        match buf.get(next) {
            Some(b'\n') => return Some(HeadEnd { end: next + 1 }),
            Some(b'\r') if buf.get(next + 1) == Some(&b'\n') => {
                return Some(HeadEnd { end: next + 2 })
            }
            _ => pos = next,
        }
    }
    None
}

fn err(kind: ParseErrorKind, at: usize) -> ParseError {
    ParseError::new(kind, at)
}

fn parse_version(v: &str) -> Option<(u8, u8)> {
    // Nearly every message says exactly this.
    if v == "SIP/2.0" {
        return Some((2, 0));
    }
    let rest = v.get(..4).filter(|p| p.eq_ignore_ascii_case("SIP/"))?;
    let _ = rest;
    let (a, b) = v[4..].split_once('.')?;
    Some((parse_decimal(a, 255)? as u8, parse_decimal(b, 255)? as u8))
}

impl Message {
    /// Parses one message from a UDP datagram (body framed by Content-Length
    /// or the end of the datagram; trailing octets after the announced body
    /// are ignored as RFC 3261 §18.3 asks).
    pub fn parse(buf: Bytes) -> Result<Message, ParseError> {
        Self::parse_with(buf, Framing::Datagram, &Limits::default())
    }

    /// Parses one message with explicit framing and limits.
    pub fn parse_with(
        buf: Bytes,
        framing: Framing,
        limits: &Limits,
    ) -> Result<Message, ParseError> {
        let (mut msg, end, first_length) = parse_head(&buf, limits)?;
        let declared = content_length(&msg, first_length)?;
        let available = buf.len() - end;
        let body_len = match (declared, framing) {
            (Some(n), _) if n > limits.max_body_bytes => {
                return Err(err(
                    ParseErrorKind::TooLarge {
                        what: "body",
                        limit: limits.max_body_bytes,
                    },
                    end,
                ))
            }
            (Some(n), _) if n > available => {
                return Err(err(
                    ParseErrorKind::BodyTruncated {
                        declared: n,
                        available,
                    },
                    end,
                ))
            }
            (Some(n), _) => n,
            (None, Framing::Datagram) => available.min(limits.max_body_bytes),
            (None, Framing::Stream) => return Err(err(ParseErrorKind::MissingContentLength, end)),
        };
        msg.body = buf.slice(end..end + body_len);
        Ok(msg)
    }

    /// Length of the message as received (header section and body); for a
    /// changed or built message, a lower bound of its written size.
    pub fn wire_len(&self) -> usize {
        self.head.len() + self.body.len()
    }
}

/// Reads Content-Length: `None` if absent, an error if malformed or if
/// several values disagree (RFC 4475 §3.3.9).
fn content_length(msg: &Message, first: usize) -> Result<Option<usize>, ParseError> {
    let Some(first_field) = msg.fields.get(first) else {
        return Ok(None);
    };
    let read = |f: &Field| {
        parse_decimal(f.value.get(&msg.head, &msg.extra), u64::from(u32::MAX))
            .map(|n| n as usize)
            .ok_or_else(|| {
                ParseError::in_header(
                    ParseErrorKind::InvalidContentLength,
                    f.value.offset(),
                    "Content-Length",
                )
            })
    };
    let n = read(first_field)?;
    for f in &msg.fields[first + 1..] {
        if f.name == HeaderName::ContentLength && read(f)? != n {
            return Err(ParseError::in_header(
                ParseErrorKind::ConflictingContentLength,
                f.value.offset(),
                "Content-Length",
            ));
        }
    }
    Ok(Some(n))
}

/// The lines of a header section, found by one vector scan for LF over
/// the buffer rather than a search started afresh for every line.
struct Lines<'b> {
    b: &'b [u8],
    newlines: memchr::Memchr<'b>,
    base: usize,
}

impl Lines<'_> {
    /// The line starting at `from` (which must not be before the end of
    /// the previous line): its content end without CR, and the offset of the
    /// next line.
    #[inline]
    fn next_from(&mut self, from: usize) -> Option<(usize, usize)> {
        let nl = loop {
            let nl = self.newlines.next()? + self.base;
            if nl >= from {
                break nl;
            }
        };
        let content_end = if nl > from && self.b[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        Some((content_end, nl + 1))
    }
}

/// The error for a buffer whose header section never ends.
fn unterminated(buf: &[u8], limits: &Limits) -> ParseError {
    if buf.iter().all(|b| *b == b'\r' || *b == b'\n') {
        return err(ParseErrorKind::Empty, 0);
    }
    if buf.len() > limits.max_header_bytes {
        return too_large_head(limits);
    }
    err(ParseErrorKind::UnterminatedHeaders, buf.len())
}

fn too_large_head(limits: &Limits) -> ParseError {
    err(
        ParseErrorKind::TooLarge {
            what: "header section",
            limit: limits.max_header_bytes,
        },
        limits.max_header_bytes,
    )
}

/// Splits the header section into fields in one pass over the lines (the
/// end of the section is found on the way, not by a separate scan), then
/// checks it is UTF-8 and reads the start line. Returns the message
/// without its body and the offset just past the empty line.
/// Also returns the index of the first Content-Length field (the number
/// of fields when there is none), so the body framing need not look for it.
fn parse_head(buf: &Bytes, limits: &Limits) -> Result<(Message, usize, usize), ParseError> {
    let b: &[u8] = buf;
    let mut skip = 0;
    while skip < b.len() && (b[skip] == b'\r' || b[skip] == b'\n') {
        skip += 1;
    }
    let mut lines = Lines {
        b,
        newlines: memchr::memchr_iter(b'\n', &b[skip..]),
        base: skip,
    };
    let Some((sl_end, pos)) = lines.next_from(skip) else {
        return Err(unterminated(b, limits));
    };
    let sl_next = pos;
    // The section is checked for UTF-8 in one piece once its end is known,
    // and the start line read from it then; an error in the start line
    // still comes before any other, as it is looked at before another
    // error is reported.
    let start_line_error = || {
        std::str::from_utf8(&b[skip..sl_end])
            .map_err(|e| err(ParseErrorKind::NotUtf8, skip + e.valid_up_to()))
            .and_then(|line| parse_start_line(line, skip))
            .err()
    };
    let (fields, end_raw, end, first_length) = match read_fields(b, pos, &mut lines, limits) {
        Ok(read) => read,
        Err(e) => return Err(start_line_error().unwrap_or(e)),
    };
    let Ok(head) = ByteString::try_from(buf.slice(..end)) else {
        return Err(start_line_error().unwrap_or_else(|| {
            let bad = std::str::from_utf8(&buf[..end])
                .err()
                .map_or(0, |e| e.valid_up_to());
            err(ParseErrorKind::NotUtf8, bad)
        }));
    };
    let line = head.get(skip..sl_end).unwrap_or("");
    let (start, version) = parse_start_line(line, skip)?;
    Ok((
        Message {
            head,
            extra: Vec::new(),
            start,
            start_raw: Some((skip as u32, sl_next as u32)),
            version,
            fields,
            end_raw: Some(end_raw),
            body: Bytes::new(),
            auto_length: false,
        },
        end,
        first_length,
    ))
}

/// What [`read_fields`] found: the fields, the empty line ending the
/// section (as received, and the offset past it), and the index of the
/// first Content-Length field.
type Fields = (Vec<Field>, (u32, u32), usize, usize);

/// Reads the header lines from `pos` (the start of the line after the
/// start line) to the empty line.
fn read_fields(
    b: &[u8],
    mut pos: usize,
    lines: &mut Lines<'_>,
    limits: &Limits,
) -> Result<Fields, ParseError> {
    let mut fields: Vec<Field> = Vec::with_capacity(24);
    let mut first_length = usize::MAX;
    // Only the first header line can start with white space: after every
    // other, the folding loop below takes such lines as continuations.
    if matches!(b.get(pos), Some(b' ' | b'\t')) {
        return Err(err(
            ParseErrorKind::HeaderLine("continuation line without a header"),
            pos,
        ));
    }
    let (end_raw, end) = loop {
        let Some((content_end, next)) = lines.next_from(pos) else {
            return Err(unterminated(b, limits));
        };
        if next > limits.max_header_bytes {
            return Err(too_large_head(limits));
        }
        if content_end == pos {
            // The empty line.
            break ((pos as u32, next as u32), next);
        }
        // Extend over folded continuation lines.
        let line_start = pos;
        let mut value_end = content_end;
        let mut after = next;
        while after < b.len() && (b[after] == b' ' || b[after] == b'\t') {
            let Some((ce, nx)) = lines.next_from(after) else {
                return Err(unterminated(b, limits));
            };
            value_end = ce;
            after = nx;
        }
        // Known names are matched exactly from the text before the first
        // colon, which also proves them tokens; only other names need the
        // character-by-character token check.
        let colon_at = crate::text::find_in(&b[pos..value_end], b':').map(|c| pos + c);
        let mut known = HeaderName::Other;
        let mut known_end = pos;
        if let Some(c) = colon_at {
            let mut ne = c;
            while ne > pos && (b[ne - 1] == b' ' || b[ne - 1] == b'\t') {
                ne -= 1;
            }
            known = HeaderName::from_bytes(&b[pos..ne]);
            known_end = ne;
        }
        let (name, name_end, colon) = match (known, colon_at) {
            (HeaderName::Other, _) | (_, None) => {
                let mut name_end = pos;
                while name_end < value_end && is_token_char(b[name_end]) {
                    name_end += 1;
                }
                if name_end == pos {
                    return Err(err(ParseErrorKind::HeaderLine("invalid header name"), pos));
                }
                let mut colon = name_end;
                while colon < value_end && (b[colon] == b' ' || b[colon] == b'\t') {
                    colon += 1;
                }
                if colon >= value_end || b[colon] != b':' {
                    return Err(err(
                        ParseErrorKind::HeaderLine("missing ':' after header name"),
                        colon,
                    ));
                }
                (HeaderName::Other, name_end, colon)
            }
            (name, Some(colon)) => (name, known_end, colon),
        };
        // Nearly every value starts after one space and ends at the CR.
        let mut vs = colon + 1;
        if vs < value_end && b[vs] == b' ' {
            vs += 1;
        }
        if vs < value_end && crate::text::is_lws(b[vs]) {
            while vs < value_end && crate::text::is_lws(b[vs]) {
                vs += 1;
            }
        }
        let mut ve = value_end;
        if ve > vs && crate::text::is_lws(b[ve - 1]) {
            while ve > vs && crate::text::is_lws(b[ve - 1]) {
                ve -= 1;
            }
        }
        if fields.len() >= limits.max_headers {
            return Err(err(
                ParseErrorKind::TooLarge {
                    what: "header count",
                    limit: limits.max_headers,
                },
                pos,
            ));
        }
        if name == HeaderName::ContentLength && first_length == usize::MAX {
            first_length = fields.len();
        }
        fields.push(Field {
            name,
            name_text: Text::Span(pos as u32, name_end as u32),
            value: Text::Span(vs as u32, ve as u32),
            raw: Some((line_start as u32, after as u32)),
        });
        pos = after;
    };
    Ok((fields, end_raw, end, first_length))
}

fn parse_start_line(line: &str, at: usize) -> Result<(Start, (u8, u8)), ParseError> {
    let bad = |why: &'static str, off: usize| err(ParseErrorKind::StartLine(why), at + off);
    if line.len() >= 4 && line.as_bytes()[..4].eq_ignore_ascii_case(b"SIP/") {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let sp = crate::text::find_byte(line, b' ')
            .ok_or(bad("status line needs a status code", line.len()))?;
        let version = parse_version(&line[..sp]).ok_or(bad("invalid SIP version", 0))?;
        let rest = &line[sp + 1..];
        let code_str = rest
            .get(..3)
            .ok_or(bad("status code must be three digits", sp + 1))?;
        if !code_str.bytes().all(|c| c.is_ascii_digit())
            || rest.as_bytes().get(3).is_some_and(|c| *c != b' ')
        {
            return Err(bad("status code must be three digits", sp + 1));
        }
        let code: u16 = code_str
            .parse()
            .map_err(|_| bad("invalid status code", sp + 1))?;
        if !(100..=699).contains(&code) {
            return Err(bad("status code out of range 100-699", sp + 1));
        }
        let reason_start = (sp + 5).min(line.len());
        if line[reason_start..]
            .bytes()
            .any(|c| c.is_ascii_control() && c != b'\t')
        {
            return Err(bad("control character in reason phrase", reason_start));
        }
        let reason = Text::Span((at + reason_start) as u32, (at + line.len()) as u32);
        return Ok((Start::Response { code, reason }, version));
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    let sp1 = crate::text::find_byte(line, b' ')
        .ok_or(bad("request line needs a Request-URI", line.len()))?;
    let method = &line[..sp1];
    let after = &line[sp1 + 1..];
    let sp2 = crate::text::find_byte(after, b' ')
        .ok_or(bad("request line needs a SIP version", line.len()))?;
    let uri = &after[..sp2];
    let ver = &after[sp2 + 1..];
    if !is_token(method) {
        return Err(bad("invalid method token", 0));
    }
    let uri_off = method.len() + 1;
    if uri.is_empty() || crate::text::find_byte(ver, b' ').is_some() || ver.is_empty() {
        return Err(bad("extra white space in request line", uri_off));
    }
    let ver_off = uri_off + uri.len() + 1;
    let version = parse_version(ver).ok_or(bad("invalid SIP version", ver_off))?;
    Uri::parse(uri).map_err(|e| err(ParseErrorKind::StartLine(e.reason), at + uri_off + e.at))?;
    let method =
        Method::known(method).unwrap_or_else(|| Method::Extension(ByteString::from(method)));
    Ok((
        Start::Request {
            method,
            uri: Text::Span((at + uri_off) as u32, (at + uri_off + uri.len()) as u32),
        },
        version,
    ))
}
