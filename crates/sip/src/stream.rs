//! Framing SIP over a byte stream (TCP, TLS): chunks in, whole messages and
//! keep-alives out, with bounded memory.

use crate::error::{ParseError, ParseErrorKind};
use crate::message::Message;
use crate::name::HeaderName;
use crate::parse::{find_head_end, Framing, Limits};
use bytes::BytesMut;

/// What the decoder found in the stream.
#[derive(Debug)]
pub enum StreamItem {
    /// A complete message.
    Message(Message),
    /// A double-CRLF keep-alive ping (RFC 5626 §4.4.1): answer with a single
    /// CRLF.
    Ping,
    /// A single-CRLF pong, the answer to our ping.
    Pong,
}

/// Turns stream chunks into messages. After an error the stream cannot be
/// re-synchronised (RFC 3261 §18.3): close the connection.
#[derive(Debug)]
pub struct StreamDecoder {
    buf: BytesMut,
    limits: Limits,
    /// Total length of the message whose header section has been seen.
    pending: Option<usize>,
    failed: bool,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        StreamDecoder::new(Limits::default())
    }
}

impl StreamDecoder {
    /// A decoder with the given limits.
    pub fn new(limits: Limits) -> Self {
        StreamDecoder {
            buf: BytesMut::new(),
            limits,
            pending: None,
            failed: false,
        }
    }

    /// Bytes buffered and not yet returned.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Adds received bytes. Fails when the buffered data could never form a
    /// message within the limits.
    pub fn push(&mut self, data: &[u8]) -> Result<(), ParseError> {
        if self.failed {
            return Err(ParseError::new(ParseErrorKind::Empty, 0));
        }
        let cap = self.limits.max_header_bytes + self.limits.max_body_bytes;
        if self.buf.len() + data.len() > cap {
            self.failed = true;
            return Err(ParseError::new(
                ParseErrorKind::TooLarge {
                    what: "stream buffer",
                    limit: cap,
                },
                self.buf.len(),
            ));
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// The next complete item, `Ok(None)` when more bytes are needed.
    pub fn next_item(&mut self) -> Result<Option<StreamItem>, ParseError> {
        let r = self.next_inner();
        if r.is_err() {
            self.failed = true;
            self.buf.clear();
        }
        r
    }

    fn next_inner(&mut self) -> Result<Option<StreamItem>, ParseError> {
        if self.failed {
            return Err(ParseError::new(ParseErrorKind::Empty, 0));
        }
        if self.pending.is_none() {
            if self.buf.starts_with(b"\r\n\r\n") {
                let _ = self.buf.split_to(4);
                return Ok(Some(StreamItem::Ping));
            }
            // A lone CRLF is a pong; one at the very end of what we have is
            // taken as a pong too rather than waiting for a second CRLF that
            // may never come.
            if self.buf.starts_with(b"\r\n") && self.buf.get(2) != Some(&b'\r') {
                let _ = self.buf.split_to(2);
                return Ok(Some(StreamItem::Pong));
            }
            if self.buf.first() == Some(&b'\n') {
                let _ = self.buf.split_to(1);
                return Ok(Some(StreamItem::Pong));
            }
            if self.buf.is_empty() || self.buf[..] == b"\r"[..] || self.buf[..] == b"\r\n\r"[..] {
                return Ok(None);
            }
            let Some(he) = find_head_end(&self.buf) else {
                if self.buf.len() > self.limits.max_header_bytes {
                    return Err(ParseError::new(
                        ParseErrorKind::TooLarge {
                            what: "header section",
                            limit: self.limits.max_header_bytes,
                        },
                        self.limits.max_header_bytes,
                    ));
                }
                return Ok(None);
            };
            let body = scan_content_length(&self.buf[..he.end])?.ok_or(ParseError::new(
                ParseErrorKind::MissingContentLength,
                he.end,
            ))?;
            if body > self.limits.max_body_bytes {
                return Err(ParseError::new(
                    ParseErrorKind::TooLarge {
                        what: "body",
                        limit: self.limits.max_body_bytes,
                    },
                    he.end,
                ));
            }
            self.pending = Some(he.end + body);
        }
        let total = self.pending.unwrap_or(0);
        if self.buf.len() < total {
            return Ok(None);
        }
        self.pending = None;
        let bytes = self.buf.split_to(total).freeze();
        Message::parse_with(bytes, Framing::Stream, &self.limits)
            .map(|m| Some(StreamItem::Message(m)))
    }
}

/// Finds Content-Length in a header section without building a message.
fn scan_content_length(head: &[u8]) -> Result<Option<usize>, ParseError> {
    let mut found = None;
    let mut pos = 0;
    while pos < head.len() {
        let nl = memchr::memchr(b'\n', &head[pos..]).map_or(head.len(), |i| pos + i);
        let line = &head[pos..nl];
        pos = nl + 1;
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let name = std::str::from_utf8(&line[..colon]).unwrap_or("").trim_end();
        if HeaderName::from_name(name) != HeaderName::ContentLength {
            continue;
        }
        let v = std::str::from_utf8(&line[colon + 1..]).unwrap_or("").trim();
        let n = crate::text::parse_decimal(v, u64::from(u32::MAX)).ok_or(ParseError::in_header(
            ParseErrorKind::InvalidContentLength,
            pos,
            "Content-Length",
        ))? as usize;
        if found.is_some_and(|f| f != n) {
            return Err(ParseError::in_header(
                ParseErrorKind::ConflictingContentLength,
                pos,
                "Content-Length",
            ));
        }
        found = Some(n);
    }
    Ok(found)
}
