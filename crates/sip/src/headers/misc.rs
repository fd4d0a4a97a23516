//! Scalar, token-list and token-with-parameters headers.

use super::TypedHeader;
use crate::error::ValueError;
use crate::name::HeaderName;
use crate::params::{ParamKind, Params};
use crate::text::{is_token, is_token_char, parse_decimal, trim_lws};
use std::borrow::Cow;
use std::fmt;

fn lead(value: &str) -> usize {
    value.len() - crate::text::trim_lws_start(value).len()
}

/// Splits `token *(LWS) params` at the first `;`, checking the token.
fn token_and_params<'a>(
    value: &'a str,
    what: &'static str,
) -> Result<(&'a str, Params<'a>), ValueError> {
    // The usual shape, a token directly followed by the end or by `;`,
    // reads as the general reading below would, in one pass.
    let b = value.as_bytes();
    let t = crate::text::class_run(&crate::text::TOKEN, b, 0);
    if t > 0 && (t == b.len() || b[t] == b';') {
        let tok = value.get(..t).unwrap_or("");
        return Params::parse(trim_lws(value.get(t..).unwrap_or("")), ParamKind::Header)
            .map(|params| (tok, params))
            .map_err(|e| e.shift(t));
    }
    token_and_params_general(value, what)
}

/// The one-pass reading of a `token params` list element at the start of
/// `list` (see [`TypedHeader::parse_list_prefix`]): the token, its
/// parameters and where the next element starts. `None` for anything
/// else, which the comma-cutting reading handles.
#[inline]
fn token_and_params_prefix(list: &str) -> Option<((&str, Params<'_>), Option<usize>)> {
    let b = list.as_bytes();
    let i = crate::text::skip_lws(b, 0);
    let t = crate::text::class_run(&crate::text::TOKEN, b, i);
    if t == i {
        return None;
    }
    let (params, used) = Params::lex(
        list.get(t..)?,
        ParamKind::ListElement,
        Some(b','),
        |_, _, _| Ok(()),
    )
    .ok()?;
    let next = super::after_element(b, t + used)?;
    Some(((list.get(i..t)?, params), next))
}

pub(super) fn token_and_params_general<'a>(
    value: &'a str,
    what: &'static str,
) -> Result<(&'a str, Params<'a>), ValueError> {
    let l = lead(value);
    let s = trim_lws(value);
    let end = crate::text::find_byte(s, b';').unwrap_or(s.len());
    let tok = trim_lws(&s[..end]);
    if !is_token(tok) {
        return Err(ValueError::new(what, l));
    }
    let params = Params::parse(&s[end..], ParamKind::Header).map_err(|e| e.shift(l + end))?;
    Ok((tok, params))
}

fn number(value: &str, max: u64, what: &'static str) -> Result<u64, ValueError> {
    // Values come trimmed from the message, so a bare digit run is the
    // usual case; anything else takes the trimming reading.
    if let Some((v, len)) = digit_run(value.as_bytes()) {
        if len == value.len() && v <= max {
            return Ok(v);
        }
    }
    parse_decimal(trim_lws(value), max).ok_or_else(|| ValueError::new(what, lead(value)))
}

/// The number written by the leading digits of `b` and how many there
/// are; `None` without a leading digit or with more than nine, which the
/// general reading handles.
#[inline]
fn digit_run(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        if i == 9 {
            return None;
        }
        v = v * 10 + u64::from(b[i] - b'0');
        i += 1;
    }
    (i > 0).then_some((v, i))
}

/// Call-ID (RFC 3261 §20.8): `word ["@" word]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallId<'a>(pub &'a str);

impl<'a> TypedHeader<'a> for CallId<'a> {
    const NAME: HeaderName = HeaderName::CallId;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        let s = trim_lws(value);
        // Word characters with at most one '@' between two non-empty words
        // ('@' is not a word character, so the first run stops at it).
        let b = s.as_bytes();
        let first = crate::text::class_run(&crate::text::WORD, b, 0);
        let ok = match b.get(first) {
            None => first > 0,
            Some(b'@') => {
                first > 0
                    && first + 1 < b.len()
                    && crate::text::class_run(&crate::text::WORD, b, first + 1) == b.len()
            }
            Some(_) => false,
        };
        if !ok {
            return Err(ValueError::new("invalid Call-ID", lead(value)));
        }
        Ok(CallId(s))
    }
}

/// CSeq (RFC 3261 §20.16): sequence number and method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// The sequence number (< 2**31 when we send, up to 2**32-1 accepted).
    pub seq: u32,
    /// The method token.
    pub method: &'a str,
}

impl<'a> TypedHeader<'a> for CSeq<'a> {
    const NAME: HeaderName = HeaderName::CSeq;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        Self::parse_usual(value).unwrap_or_else(|| Self::parse_general(value))
    }
}

impl<'a> CSeq<'a> {
    /// `digits SP token` with nothing around it, read in one pass; `None`
    /// for any other shape, which [`CSeq::parse_general`] reads.
    #[inline]
    fn parse_usual(value: &'a str) -> Option<Result<Self, ValueError>> {
        let b = value.as_bytes();
        let (seq, d) = digit_run(b)?;
        if b.get(d) != Some(&b' ') {
            return None;
        }
        let m = d + 1;
        if m == b.len() || crate::text::class_run(&crate::text::TOKEN, b, m) != b.len() {
            return None;
        }
        Some(Ok(CSeq {
            seq: seq as u32,
            method: value.get(m..)?,
        }))
    }

    fn parse_general(value: &'a str) -> Result<Self, ValueError> {
        let l = lead(value);
        let s = trim_lws(value);
        let sp = s
            .bytes()
            .position(|c| c.is_ascii_whitespace())
            .ok_or(ValueError::new("CSeq needs a number and a method", l))?;
        let seq = parse_decimal(&s[..sp], u64::from(u32::MAX))
            .ok_or(ValueError::new("CSeq number out of range", l))?;
        let method = trim_lws(&s[sp..]);
        if !is_token(method) {
            return Err(ValueError::new("invalid CSeq method", l + sp));
        }
        Ok(CSeq {
            seq: seq as u32,
            method,
        })
    }
}

macro_rules! number_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident, $int:ty, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty(pub $int);

        impl<'a> TypedHeader<'a> for $ty {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &'a str) -> Result<Self, ValueError> {
                number(value, u64::from(<$int>::MAX), $what).map(|v| $ty(v as $int))
            }
        }
    };
}

number_header!(
    /// Max-Forwards (0..=255).
    MaxForwards, MaxForwards, u8, "Max-Forwards must be 0 to 255"
);
number_header!(
    /// Expires in seconds.
    Expires, Expires, u32, "invalid Expires"
);
number_header!(
    /// Min-Expires in seconds.
    MinExpires, MinExpires, u32, "invalid Min-Expires"
);
number_header!(
    /// Content-Length in bytes.
    ContentLength, ContentLength, u32, "invalid Content-Length"
);
number_header!(
    /// RSeq (RFC 3262).
    RSeq, RSeq, u32, "invalid RSeq"
);

/// Min-SE (RFC 4028): seconds, with optional parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinSe<'a> {
    /// Seconds.
    pub seconds: u32,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> TypedHeader<'a> for MinSe<'a> {
    const NAME: HeaderName = HeaderName::MinSe;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        let (n, params) = token_and_params(value, "invalid Min-SE")?;
        let seconds = number(n, u64::from(u32::MAX), "invalid Min-SE")? as u32;
        Ok(MinSe { seconds, params })
    }
}

/// Session-Expires (RFC 4028): interval and `refresher=uac|uas`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionExpires<'a> {
    /// Session interval in seconds.
    pub seconds: u32,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> TypedHeader<'a> for SessionExpires<'a> {
    const NAME: HeaderName = HeaderName::SessionExpires;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        let (n, params) = token_and_params(value, "invalid Session-Expires")?;
        let seconds = number(n, u64::from(u32::MAX), "invalid Session-Expires")? as u32;
        Ok(SessionExpires { seconds, params })
    }
}

impl<'a> SessionExpires<'a> {
    /// The `refresher` parameter (`uac` or `uas`).
    pub fn refresher(&self) -> Option<&'a str> {
        self.params.get("refresher").flatten()
    }
}

/// RAck (RFC 3262): `rseq cseq method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RAck<'a> {
    /// The RSeq being acknowledged.
    pub rseq: u32,
    /// The CSeq number of the request the provisional answered.
    pub cseq: u32,
    /// That request's method.
    pub method: &'a str,
}

impl<'a> TypedHeader<'a> for RAck<'a> {
    const NAME: HeaderName = HeaderName::RAck;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        let mut it = trim_lws(value).split_ascii_whitespace();
        let bad = || ValueError::new("RAck needs rseq, cseq and method", lead(value));
        let rseq =
            parse_decimal(it.next().ok_or_else(bad)?, u64::from(u32::MAX)).ok_or_else(bad)?;
        let cseq =
            parse_decimal(it.next().ok_or_else(bad)?, u64::from(u32::MAX)).ok_or_else(bad)?;
        let method = it.next().filter(|m| is_token(m)).ok_or_else(bad)?;
        if it.next().is_some() {
            return Err(bad());
        }
        Ok(RAck {
            rseq: rseq as u32,
            cseq: cseq as u32,
            method,
        })
    }
}

/// A media type with parameters (`application/sdp`, `multipart/mixed;boundary=x`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType<'a> {
    /// The top-level type.
    pub mtype: &'a str,
    /// The subtype.
    pub subtype: &'a str,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> MediaType<'a> {
    /// Parses `type/subtype;params`.
    pub fn parse(value: &'a str) -> Result<MediaType<'a>, ValueError> {
        Self::parse_usual(value).unwrap_or_else(|| Self::parse_general(value))
    }

    /// `token/token` directly followed by the end or by `;` and the
    /// parameters, read in one pass; `None` for any other shape, which
    /// [`MediaType::parse_general`] reads.
    #[inline]
    fn parse_usual(value: &'a str) -> Option<Result<MediaType<'a>, ValueError>> {
        use crate::text::{class_run, TOKEN};
        let b = value.as_bytes();
        let slash = class_run(&TOKEN, b, 0);
        if slash == 0 || b.get(slash) != Some(&b'/') {
            return None;
        }
        let end = class_run(&TOKEN, b, slash + 1);
        if end == slash + 1 || (end < b.len() && b[end] != b';') {
            return None;
        }
        let params = if end == b.len() {
            Params::parse("", ParamKind::Header)
        } else {
            // As the general reading passes them: from the `;` to the end
            // of the trimmed value.
            Params::parse(trim_lws(value.get(end..)?), ParamKind::Header).map_err(|e| e.shift(end))
        };
        let (mtype, subtype) = (value.get(..slash)?, value.get(slash + 1..end)?);
        Some(params.map(|params| MediaType {
            mtype,
            subtype,
            params,
        }))
    }

    fn parse_general(value: &'a str) -> Result<MediaType<'a>, ValueError> {
        let l = lead(value);
        let s = trim_lws(value);
        let end = crate::text::find_byte(s, b';').unwrap_or(s.len());
        let (t, st) = s[..end]
            .split_once('/')
            .ok_or(ValueError::new("media type needs type/subtype", l))?;
        let (t, st) = (trim_lws(t), trim_lws(st));
        if !is_token(t) || !is_token(st) {
            return Err(ValueError::new("invalid media type", l));
        }
        let params = Params::parse(&s[end..], ParamKind::Header).map_err(|e| e.shift(l + end))?;
        Ok(MediaType {
            mtype: t,
            subtype: st,
            params,
        })
    }

    /// Whether this is `type/subtype` (case-insensitive).
    pub fn is(&self, mtype: &str, subtype: &str) -> bool {
        self.mtype.eq_ignore_ascii_case(mtype) && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

impl fmt::Display for MediaType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.mtype, self.subtype, self.params)
    }
}

/// Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentType<'a>(pub MediaType<'a>);

impl<'a> TypedHeader<'a> for ContentType<'a> {
    const NAME: HeaderName = HeaderName::ContentType;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        MediaType::parse(value).map(ContentType)
    }
}

/// One Accept value (an empty Accept header means "nothing").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accept<'a>(pub MediaType<'a>);

impl<'a> TypedHeader<'a> for Accept<'a> {
    const NAME: HeaderName = HeaderName::Accept;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        MediaType::parse(value).map(Accept)
    }
}

/// A header whose value is a token followed by parameters.
macro_rules! token_params_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident, $(#[$fdoc:meta])* $field:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty<'a> {
            $(#[$fdoc])*
            pub $field: &'a str,
            /// Parameters.
            pub params: Params<'a>,
        }

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &'a str) -> Result<Self, ValueError> {
                let ($field, params) = token_and_params(value, $what)?;
                Ok($ty { $field, params })
            }

            #[inline]
            fn parse_list_prefix(list: &'a str) -> Option<(Self, Option<usize>)> {
                token_and_params_prefix(list).map(|(($field, params), next)| ($ty { $field, params }, next))
            }
        }
    };
}

token_params_header!(
    /// Content-Disposition (`session`, `render;handling=optional`).
    ContentDisposition, ContentDisposition,
    /// The disposition type.
    disposition, "invalid Content-Disposition"
);
token_params_header!(
    /// Event (RFC 6665): package and parameters (`id`).
    Event, Event,
    /// The event package (`refer`, `presence`, `dialog`).
    package, "invalid Event package"
);
token_params_header!(
    /// Subscription-State (RFC 6665): state, `expires`, `reason`, `retry-after`.
    SubscriptionState, SubscriptionState,
    /// `active`, `pending`, `terminated` or an extension.
    state, "invalid Subscription-State"
);
token_params_header!(
    /// One Reason value (RFC 3326): `SIP;cause=200;text="Call completed elsewhere"`.
    Reason, Reason,
    /// `SIP`, `Q.850` or another protocol.
    protocol, "invalid Reason protocol"
);

macro_rules! token_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty<'a>(pub &'a str);

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &'a str) -> Result<Self, ValueError> {
                let s = trim_lws(value);
                if !is_token(s) {
                    return Err(ValueError::new("expected a token", lead(value)));
                }
                Ok($ty(s))
            }
        }
    };
}

token_header!(
    /// One method of Allow.
    Allow, Allow
);
token_header!(
    /// One option tag of Supported.
    Supported, Supported
);
token_header!(
    /// One option tag of Require.
    Require, Require
);
token_header!(
    /// One option tag of Unsupported.
    Unsupported, Unsupported
);
token_header!(
    /// One option tag of Proxy-Require.
    ProxyRequire, ProxyRequire
);

/// Privacy (RFC 3323): `;`-separated values (`id`, `header`, `user`, `none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Privacy<'a>(&'a str);

impl<'a> TypedHeader<'a> for Privacy<'a> {
    const NAME: HeaderName = HeaderName::Privacy;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        let s = trim_lws(value);
        if s.split(';').any(|v| !is_token(trim_lws(v))) {
            return Err(ValueError::new("invalid Privacy value", lead(value)));
        }
        Ok(Privacy(s))
    }
}

impl<'a> Privacy<'a> {
    /// The privacy values in order.
    pub fn values(&self) -> impl Iterator<Item = &'a str> {
        self.0.split(';').map(trim_lws)
    }

    /// Whether `value` is requested (case-insensitive).
    pub fn contains(&self, value: &str) -> bool {
        self.values().any(|v| v.eq_ignore_ascii_case(value))
    }
}

impl<'a> Event<'a> {
    /// The `id` parameter.
    pub fn id(&self) -> Option<&'a str> {
        self.params.get("id").flatten()
    }
}

impl<'a> SubscriptionState<'a> {
    /// The `expires` parameter.
    pub fn expires(&self) -> Option<u32> {
        self.params.get("expires").flatten()?.parse().ok()
    }

    /// The `reason` parameter.
    pub fn reason(&self) -> Option<&'a str> {
        self.params.get("reason").flatten()
    }
}

/// Replaces (RFC 3891): `call-id;to-tag=..;from-tag=..[;early-only]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaces<'a> {
    /// The Call-ID of the dialog to replace.
    pub call_id: &'a str,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> TypedHeader<'a> for Replaces<'a> {
    const NAME: HeaderName = HeaderName::Replaces;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        let l = lead(value);
        let s = trim_lws(value);
        let end = crate::text::find_byte(s, b';').unwrap_or(s.len());
        let call_id = trim_lws(&s[..end]);
        CallId::parse(call_id)?;
        let params = Params::parse(&s[end..], ParamKind::Header).map_err(|e| e.shift(l + end))?;
        if params.get("to-tag").flatten().is_none() || params.get("from-tag").flatten().is_none() {
            return Err(ValueError::new("Replaces needs to-tag and from-tag", l));
        }
        Ok(Replaces { call_id, params })
    }
}

/// The dialog identified by a Replaces header, owned (used when it comes
/// %-escaped inside a Refer-To URI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacesParams {
    /// Call-ID.
    pub call_id: String,
    /// to-tag.
    pub to_tag: String,
    /// from-tag.
    pub from_tag: String,
    /// Whether `early-only` was given.
    pub early_only: bool,
}

impl ReplacesParams {
    pub(crate) fn parse_owned(s: &str) -> Result<ReplacesParams, ValueError> {
        let r = Replaces::parse(s)?;
        Ok(r.to_params())
    }
}

impl Replaces<'_> {
    /// The owned form.
    pub fn to_params(&self) -> ReplacesParams {
        ReplacesParams {
            call_id: self.call_id.to_owned(),
            to_tag: self.params.get("to-tag").flatten().unwrap_or("").to_owned(),
            from_tag: self
                .params
                .get("from-tag")
                .flatten()
                .unwrap_or("")
                .to_owned(),
            early_only: self.params.contains("early-only"),
        }
    }
}

impl<'a> Reason<'a> {
    /// The `cause` parameter.
    pub fn cause(&self) -> Option<u16> {
        self.params.get("cause").flatten()?.parse().ok()
    }

    /// The `text` parameter without quotes.
    pub fn text(&self) -> Option<Cow<'a, str>> {
        self.params.get_unquoted("text")
    }
}

/// Retry-After (RFC 3261 §20.33): seconds, optional comment, `duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter<'a> {
    /// Seconds to wait.
    pub seconds: u32,
    /// The comment in parentheses, if any (without them).
    pub comment: Option<&'a str>,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> TypedHeader<'a> for RetryAfter<'a> {
    const NAME: HeaderName = HeaderName::RetryAfter;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        let l = lead(value);
        let s = trim_lws(value);
        let end = s
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(s.len());
        let seconds = parse_decimal(&s[..end], u64::from(u32::MAX))
            .ok_or(ValueError::new("invalid Retry-After", l))? as u32;
        let mut rest = trim_lws(&s[end..]);
        let mut comment = None;
        if let Some(r) = rest.strip_prefix('(') {
            let close = r
                .rfind(')')
                .ok_or(ValueError::new("unterminated comment", l + end))?;
            comment = Some(&r[..close]);
            rest = trim_lws(&r[close + 1..]);
        }
        let params = Params::parse(rest, ParamKind::Header).map_err(|e| e.shift(l + end))?;
        Ok(RetryAfter {
            seconds,
            comment,
            params,
        })
    }
}

impl RetryAfter<'_> {
    /// The `duration` parameter.
    pub fn duration(&self) -> Option<u32> {
        self.params.get("duration").flatten()?.parse().ok()
    }
}

macro_rules! text_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty<'a>(pub &'a str);

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &'a str) -> Result<Self, ValueError> {
                Ok($ty(trim_lws(value)))
            }
        }
    };
}

text_header!(
    /// User-Agent (product tokens and comments, kept as text).
    UserAgent, UserAgent
);
text_header!(
    /// Server (product tokens and comments, kept as text).
    Server, Server
);

/// Timestamp (RFC 3261 §20.38): a number and an optional delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp<'a> {
    /// The timestamp as written (`54.2`).
    pub value: &'a str,
    /// The delay, if written.
    pub delay: Option<&'a str>,
}

fn is_decimal_number(s: &str) -> bool {
    let (a, b) = s.split_once('.').unwrap_or((s, ""));
    !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit())
}

impl<'a> TypedHeader<'a> for Timestamp<'a> {
    const NAME: HeaderName = HeaderName::Timestamp;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        let mut it = trim_lws(value).split_ascii_whitespace();
        let v = it.next().filter(|v| is_decimal_number(v));
        let delay = it.next();
        match (v, delay, it.next()) {
            (Some(value), d, None) if d.is_none_or(is_decimal_number) => {
                Ok(Timestamp { value, delay: d })
            }
            _ => Err(ValueError::new("invalid Timestamp", lead(value))),
        }
    }
}

/// One Warning value (RFC 3261 §20.43): `code agent "text"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Warning<'a> {
    /// Three-digit warning code.
    pub code: u16,
    /// The warn-agent (host or pseudonym).
    pub agent: &'a str,
    /// The warning text, still quoted.
    pub text: &'a str,
}

impl<'a> TypedHeader<'a> for Warning<'a> {
    const NAME: HeaderName = HeaderName::Warning;
    fn parse(value: &'a str) -> Result<Self, ValueError> {
        let l = lead(value);
        let s = trim_lws(value);
        let bad = |why| ValueError::new(why, l);
        let (code, rest) = s
            .split_once(' ')
            .ok_or(bad("Warning needs code, agent, text"))?;
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("Warning code must be three digits"));
        }
        let rest = trim_lws(rest);
        let (agent, text) = rest
            .split_once(' ')
            .ok_or(bad("Warning needs code, agent, text"))?;
        let text = trim_lws(text);
        if agent.is_empty()
            || !agent
                .bytes()
                .all(|b| is_token_char(b) || b == b':' || b == b'[' || b == b']')
        {
            return Err(bad("invalid warn-agent"));
        }
        if crate::text::quoted_len(text) != Some(text.len()) {
            return Err(bad("Warning text must be one quoted string"));
        }
        Ok(Warning {
            code: code
                .parse()
                .map_err(|_| bad("Warning code must be three digits"))?,
            agent,
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_id_is_word_with_at_most_one_at() {
        for ok in ["a", "f81d4fae@foo.example.com", "x:y/[z]?{w}", " abc \r\n "] {
            assert!(CallId::parse(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", "@", "@x", "x@", "a@b@c", "a b", "a;b", "a,b", "\u{e9}"] {
            assert!(CallId::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(CallId::parse(" a@b ").unwrap().0, "a@b");
    }

    #[test]
    fn cseq_bounds() {
        assert_eq!(
            CSeq::parse("0009 INVITE").unwrap(),
            CSeq {
                seq: 9,
                method: "INVITE"
            }
        );
        assert!(CSeq::parse("36893488147419103232 REGISTER").is_err());
        assert!(CSeq::parse("4294967296 INVITE").is_err());
        assert!(CSeq::parse("INVITE").is_err());
    }

    #[test]
    fn scalars() {
        assert_eq!(MaxForwards::parse(" 0068 ").unwrap(), MaxForwards(68));
        assert!(MaxForwards::parse("300").is_err());
        assert!(ContentLength::parse("-999").is_err());
        let se = SessionExpires::parse("1800;refresher=uas").unwrap();
        assert_eq!((se.seconds, se.refresher()), (1800, Some("uas")));
        let r = RAck::parse("776656 1 INVITE").unwrap();
        assert_eq!((r.rseq, r.cseq, r.method), (776656, 1, "INVITE"));
    }

    #[test]
    fn reason_retry_warning_timestamp() {
        let r = Reason::parse("Q.850;cause=16;text=\"Terminated\"").unwrap();
        assert_eq!(r.cause(), Some(16));
        assert_eq!(r.text().unwrap(), "Terminated");
        let ra = RetryAfter::parse("18000;duration=3600").unwrap();
        assert_eq!((ra.seconds, ra.duration()), (18000, Some(3600)));
        let ra = RetryAfter::parse("120 (I'm in a meeting)").unwrap();
        assert_eq!(ra.comment, Some("I'm in a meeting"));
        assert!(RetryAfter::parse("949302838503028349304023988").is_err());
        let w = Warning::parse("370 devnull \"Choose a bigger pipe\"").unwrap();
        assert_eq!((w.code, w.agent), (370, "devnull"));
        assert!(Warning::parse("1812 overture \"In Progress\"").is_err());
        assert_eq!(Timestamp::parse("54.2 0.3").unwrap().delay, Some("0.3"));
    }

    #[test]
    fn replaces_and_privacy() {
        let r = Replaces::parse("425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only")
            .unwrap();
        assert!(r.to_params().early_only);
        assert!(Replaces::parse("abc;to-tag=1").is_err());
        let p = Privacy::parse("id; header").unwrap();
        assert!(p.contains("header") && p.contains("ID"));
    }

    #[test]
    fn media_types() {
        let m = MediaType::parse(
            "multipart/signed;protocol=\"application/pkcs7-signature\";micalg=sha1",
        )
        .unwrap();
        assert!(m.is("Multipart", "signed"));
        assert_eq!(
            m.params.get_unquoted("protocol").unwrap(),
            "application/pkcs7-signature"
        );
        assert!(MediaType::parse("application").is_err());
    }
}

#[cfg(test)]
mod shortcut_tests {
    use super::*;
    use proptest::prelude::*;

    /// Values built from the bytes that decide the shortcuts' shapes.
    fn value() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("0".to_string()),
            Just("9".to_string()),
            Just("1234567890".to_string()),
            Just("INVITE".to_string()),
            Just("application".to_string()),
            Just("sdp".to_string()),
            Just("/".to_string()),
            Just(";".to_string()),
            Just("=".to_string()),
            Just(" ".to_string()),
            Just("\t".to_string()),
            Just("\r\n ".to_string()),
            Just("\"q\"".to_string()),
            Just("@".to_string()),
            Just("\u{e9}".to_string()),
        ];
        proptest::collection::vec(piece, 0..8).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn cseq_shortcut_agrees(v in value()) {
            if let Some(fast) = CSeq::parse_usual(&v) {
                prop_assert_eq!(fast, CSeq::parse_general(&v), "{:?}", v);
            }
        }

        #[test]
        fn media_type_shortcut_agrees(v in value()) {
            if let Some(fast) = MediaType::parse_usual(&v) {
                prop_assert_eq!(fast, MediaType::parse_general(&v), "{:?}", v);
            }
        }

        #[test]
        fn number_shortcut_agrees(v in value(), max in prop_oneof![Just(255u64), Just(u64::from(u32::MAX))]) {
            let general = parse_decimal(trim_lws(&v), max).ok_or_else(|| ValueError::new("n", lead(&v)));
            prop_assert_eq!(number(&v, max, "n"), general, "{:?}", v);
        }
    }

    #[test]
    fn shortcuts_answer_the_usual_shapes() {
        assert!(CSeq::parse_usual("9776 INVITE").is_some());
        assert!(CSeq::parse_usual("9776  INVITE").is_none());
        assert!(MediaType::parse_usual("application/sdp").is_some());
        assert!(MediaType::parse_usual("multipart/mixed;boundary=x").is_some());
        assert!(MediaType::parse_usual("application / sdp").is_none());
        assert_eq!(
            MediaType::parse("multipart/mixed;boundary=\"x y\"")
                .unwrap()
                .params
                .get("boundary"),
            Some(Some("\"x y\""))
        );
    }
}
