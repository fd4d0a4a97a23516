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
                return Err(ParseError::in_header(
                    ParseErrorKind::CSeqMethodMismatch,
                    0,
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
