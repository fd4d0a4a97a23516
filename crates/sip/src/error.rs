//! Errors: every failure names what was wrong, where (byte offset into the
//! message) and, when it concerns a header, which one.

use std::fmt;

/// Why a header value or URI could not be read; `at` is the byte offset
/// inside the value that was being parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{reason} (at byte {at} of the value)")]
pub struct ValueError {
    /// What was wrong, in words.
    pub reason: &'static str,
    /// Byte offset within the value.
    pub at: usize,
}

impl ValueError {
    pub(crate) fn new(reason: &'static str, at: usize) -> Self {
        ValueError { reason, at }
    }

    /// Moves the offset by `by`, for errors found in a sub-slice.
    pub(crate) fn shift(self, by: usize) -> Self {
        ValueError {
            reason: self.reason,
            at: self.at + by,
        }
    }
}

/// What kind of failure a [`ParseError`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input held nothing but empty lines.
    Empty,
    /// The header section is not valid UTF-8.
    NotUtf8,
    /// The start line is malformed.
    StartLine(&'static str),
    /// A header line is malformed (no colon, bad name, stray continuation).
    HeaderLine(&'static str),
    /// The empty line ending the header section is missing.
    UnterminatedHeaders,
    /// Content-Length is not a valid number.
    InvalidContentLength,
    /// Several Content-Length values disagree.
    ConflictingContentLength,
    /// Content-Length announces more bytes than the datagram holds.
    BodyTruncated {
        /// Bytes announced by Content-Length.
        declared: usize,
        /// Bytes present after the header section.
        available: usize,
    },
    /// A stream message has no Content-Length (RFC 3261 §18.3 requires one).
    MissingContentLength,
    /// The header section or body exceeds a configured limit.
    TooLarge {
        /// Which limit was hit.
        what: &'static str,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// A typed header value is malformed.
    InvalidHeader(ValueError),
    /// A header required by RFC 3261 §8.1.1 is missing.
    MissingHeader,
    /// A header that takes one value appears more than once.
    DuplicateHeader,
    /// The CSeq method differs from the request method.
    CSeqMethodMismatch,
    /// The SIP version is not 2.0 (a server answers 505).
    UnsupportedVersion,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::Empty => f.write_str("empty message"),
            ParseErrorKind::NotUtf8 => f.write_str("header section is not valid UTF-8"),
            ParseErrorKind::StartLine(why) => write!(f, "malformed start line: {why}"),
            ParseErrorKind::HeaderLine(why) => write!(f, "malformed header line: {why}"),
            ParseErrorKind::UnterminatedHeaders => {
                f.write_str("header section not terminated by an empty line")
            }
            ParseErrorKind::InvalidContentLength => f.write_str("invalid Content-Length"),
            ParseErrorKind::ConflictingContentLength => {
                f.write_str("conflicting Content-Length values")
            }
            ParseErrorKind::BodyTruncated {
                declared,
                available,
            } => write!(
                f,
                "Content-Length {declared} exceeds the {available} body bytes received"
            ),
            ParseErrorKind::MissingContentLength => {
                f.write_str("Content-Length is required on a stream transport")
            }
            ParseErrorKind::TooLarge { what, limit } => {
                write!(f, "{what} exceeds the limit of {limit} bytes")
            }
            ParseErrorKind::InvalidHeader(e) => write!(f, "{e}"),
            ParseErrorKind::MissingHeader => f.write_str("required header missing"),
            ParseErrorKind::DuplicateHeader => f.write_str("header allows one value only"),
            ParseErrorKind::CSeqMethodMismatch => {
                f.write_str("CSeq method does not match the request method")
            }
            ParseErrorKind::UnsupportedVersion => f.write_str("SIP version not supported"),
        }
    }
}

/// A message could not be parsed or failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Byte offset into the message where the problem is.
    pub offset: usize,
    /// The header concerned, by its full name, if any.
    pub header: Option<&'static str>,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, offset: usize) -> Self {
        ParseError {
            kind,
            offset,
            header: None,
        }
    }

    pub(crate) fn in_header(kind: ParseErrorKind, offset: usize, header: &'static str) -> Self {
        ParseError {
            kind,
            offset,
            header: Some(header),
        }
    }

    /// The status code a server should answer a request failing this way
    /// with (RFC 3261 §8.2, RFC 4475): 505 for another version, else 400.
    pub fn status_code(&self) -> u16 {
        match self.kind {
            ParseErrorKind::UnsupportedVersion => 505,
            _ => 400,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.header {
            Some(h) => write!(f, "{h}: {} (byte {})", self.kind, self.offset),
            None => write!(f, "{} (byte {})", self.kind, self.offset),
        }
    }
}
