//! Headers whose values are a name-addr or addr-spec with parameters: From,
//! To, Contact, Route, Record-Route, P-Asserted-Identity, Refer-To, ...

use super::misc::ReplacesParams;
use super::TypedHeader;
use crate::error::ValueError;
use crate::name::HeaderName;
use crate::params::{ParamKind, Params};
use crate::text::{is_lws, is_token_char, quoted_len, trim_lws, unquote};
use crate::uri::{unescape, Uri};
use std::borrow::Cow;
use std::fmt;

/// `[display-name] <URI>;params` or `URI;params` (RFC 3261 §20.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The display name as written (quoted strings keep their quotes).
    pub display: Option<&'a str>,
    /// The URI.
    pub uri: Uri<'a>,
    /// Header parameters after the URI (`;tag=...`).
    pub params: Params<'a>,
    /// Whether the URI was written in angle brackets.
    pub bracketed: bool,
}

impl<'a> NameAddr<'a> {
    /// Parses a name-addr or addr-spec followed by header parameters.
    pub fn parse(value: &'a str) -> Result<NameAddr<'a>, ValueError> {
        // The one-pass reading answers for the usual `[display] <URI>;params`;
        // when it read the whole value, the general reading would give the
        // same (see `list_prefix`).
        if let Some((a, None)) = Self::list_prefix(value, |_, _, _| Ok(())) {
            return Ok(a);
        }
        Self::parse_visit(value, |_, _, _| Ok(()))
    }

    /// [`NameAddr::parse`] that shows each header parameter to `visit` as
    /// it is read (see [`Params::parse_visit`]).
    #[inline]
    pub(crate) fn parse_visit(
        value: &'a str,
        visit: impl FnMut(&'a [u8], Option<&'a [u8]>, usize) -> Result<(), ValueError>,
    ) -> Result<NameAddr<'a>, ValueError> {
        let lead = value.len() - crate::text::trim_lws_start(value).len();
        let s = trim_lws(value);
        let b = s.as_bytes();
        if b.is_empty() {
            return Err(ValueError::new("empty address", lead));
        }
        let (display, open) = if b[0] == b'"' {
            let len =
                quoted_len(s).ok_or(ValueError::new("unterminated quoted display name", lead))?;
            let after = &s[len..];
            let skipped = after.len() - crate::text::trim_lws_start(after).len();
            if s.as_bytes().get(len + skipped) != Some(&b'<') {
                return Err(ValueError::new(
                    "expected '<' after display name",
                    lead + len,
                ));
            }
            (Some(&s[..len]), len + skipped)
        } else if let Some(lt) = crate::text::find_byte(s, b'<') {
            let name = trim_lws(&s[..lt]);
            if let Some(i) = name.bytes().position(|c| !(is_token_char(c) || is_lws(c))) {
                return Err(ValueError::new(
                    "display name is not a token list",
                    lead + i,
                ));
            }
            (if name.is_empty() { None } else { Some(name) }, lt)
        } else {
            // addr-spec: the URI ends at the first ';' and may not hold '?' or ','
            let end = crate::text::find_byte(s, b';').unwrap_or(s.len());
            let uri_text = trim_lws(&s[..end]);
            if let Some(i) = uri_text
                .bytes()
                .position(|c| matches!(c, b'?' | b',' | b' ' | b'\t'))
            {
                return Err(ValueError::new(
                    "URI with '?', ',' or space must be enclosed in <>",
                    lead + i,
                ));
            }
            let uri = Uri::parse(uri_text).map_err(|e| e.shift(lead))?;
            let params = Params::parse_visit(&s[end..], ParamKind::Header, visit)
                .map_err(|e| e.shift(lead + end))?;
            return Ok(NameAddr {
                display: None,
                uri,
                params,
                bracketed: false,
            });
        };
        let inner_start = open + 1;
        let close = crate::text::find_byte(&s[inner_start..], b'>')
            .ok_or(ValueError::new("missing '>'", lead + open))?
            + inner_start;
        let inner = &s[inner_start..close];
        if inner.bytes().next().is_some_and(is_lws) || inner.bytes().last().is_some_and(is_lws) {
            return Err(ValueError::new("white space inside <>", lead + inner_start));
        }
        let uri = Uri::parse(inner).map_err(|e| e.shift(lead + inner_start))?;
        let rest = trim_lws(&s[close + 1..]);
        let params = Params::parse_visit(rest, ParamKind::Header, visit)
            .map_err(|e| e.shift(lead + close + 1))?;
        Ok(NameAddr {
            display,
            uri,
            params,
            bracketed: true,
        })
    }

    /// The common list-element shape, `[display] <URI> [;params]` followed
    /// by a comma or the end, read in one pass (see
    /// [`TypedHeader::parse_list_prefix`]). `None` for anything else,
    /// including every error, which the general reading reports.
    #[inline]
    pub(crate) fn list_prefix(
        list: &'a str,
        visit: impl FnMut(&'a [u8], Option<&'a [u8]>, usize) -> Result<(), ValueError>,
    ) -> Option<(NameAddr<'a>, Option<usize>)> {
        let b = list.as_bytes();
        let skip = |i: usize| crate::text::skip_lws(b, i);
        let mut i = skip(0);
        let display = match *b.get(i)? {
            b'"' => {
                let len = quoted_len(&list[i..])?;
                let d = &list[i..i + len];
                i = skip(i + len);
                Some(d)
            }
            b'<' => None,
            _ => {
                // A display name of tokens; anything else is left to the
                // general reading (an addr-spec, or an error).
                let start = i;
                while i < b.len() && (is_token_char(b[i]) || is_lws(b[i])) {
                    i += 1;
                }
                Some(trim_lws(&list[start..i]))
            }
        };
        if b.get(i) != Some(&b'<') {
            return None;
        }
        let open = i;
        let close = open + 1 + crate::text::find_byte(&list[open + 1..], b'>')?;
        let inner = &list[open + 1..close];
        if inner.bytes().next().is_none_or(is_lws) || inner.bytes().last().is_some_and(is_lws) {
            return None;
        }
        let uri = Uri::parse(inner).ok()?;
        let k = skip(close + 1);
        // A '<' in a parameter value would make the comma-cutting reading
        // skip to its '>'; the list-element grammar leaves such values to it.
        let (params, used) =
            Params::lex(&list[k..], ParamKind::ListElement, Some(b','), visit).ok()?;
        let next = super::after_element(b, k + used)?;
        Some((
            NameAddr {
                display,
                uri,
                params,
                bracketed: true,
            },
            next,
        ))
    }

    /// The display name without quotes and escapes.
    pub fn display_name(&self) -> Option<Cow<'a, str>> {
        let d = self.display?;
        Some(if d.len() >= 2 && d.starts_with('"') {
            unquote(&d[1..d.len() - 1])
        } else {
            Cow::Borrowed(d)
        })
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&'a str> {
        self.params.get("tag").flatten()
    }
}

impl fmt::Display for NameAddr<'_> {
    /// Writes the value in name-addr form (always with angle brackets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = self.display_name() {
            crate::text::write_quoted(f, &d)?;
            f.write_str(" ")?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

macro_rules! name_addr_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty<'a>(pub NameAddr<'a>);

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &'a str) -> Result<Self, ValueError> {
                NameAddr::parse(value).map($ty)
            }

            #[inline]
            fn parse_list_prefix(list: &'a str) -> Option<(Self, Option<usize>)> {
                NameAddr::list_prefix(list, |_, _, _| Ok(())).map(|(a, next)| ($ty(a), next))
            }
        }

        impl<'a> std::ops::Deref for $ty<'a> {
            type Target = NameAddr<'a>;
            fn deref(&self) -> &NameAddr<'a> {
                &self.0
            }
        }

        impl fmt::Display for $ty<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

name_addr_header!(
    /// From (RFC 3261 §20.20).
    From, From
);
name_addr_header!(
    /// To (RFC 3261 §20.39).
    To, To
);
name_addr_header!(
    /// One Route value (RFC 3261 §20.34).
    Route, Route
);
name_addr_header!(
    /// One Record-Route value (RFC 3261 §20.30).
    RecordRoute, RecordRoute
);
name_addr_header!(
    /// One P-Asserted-Identity value (RFC 3325).
    PAssertedIdentity, PAssertedIdentity
);
name_addr_header!(
    /// One P-Preferred-Identity value (RFC 3325).
    PPreferredIdentity, PPreferredIdentity
);
name_addr_header!(
    /// Referred-By (RFC 3892).
    ReferredBy, ReferredBy
);
name_addr_header!(
    /// Reply-To (RFC 3261 §20.31).
    ReplyTo, ReplyTo
);
name_addr_header!(
    /// One Path value (RFC 3327).
    Path, Path
);
name_addr_header!(
    /// One Service-Route value (RFC 3608).
    ServiceRoute, ServiceRoute
);
name_addr_header!(
    /// One Diversion value (RFC 5806): `reason`, `counter`, `privacy` params.
    Diversion, Diversion
);
name_addr_header!(
    /// One History-Info entry (RFC 7044): `index` and `rc`/`mp`/`np` params.
    HistoryInfo, HistoryInfo
);
name_addr_header!(
    /// Refer-To (RFC 3515), possibly with an embedded Replaces (RFC 3891).
    ReferTo, ReferTo
);

impl Diversion<'_> {
    /// The `reason` parameter (`unconditional`, `user-busy`, ...).
    pub fn reason(&self) -> Option<Cow<'_, str>> {
        self.params.get_unquoted("reason")
    }

    /// The `counter` parameter.
    pub fn counter(&self) -> Option<u32> {
        self.params.get("counter").flatten()?.parse().ok()
    }
}

impl HistoryInfo<'_> {
    /// The `index` parameter (`1.1.2`).
    pub fn index(&self) -> Option<&str> {
        self.params.get("index").flatten()
    }
}

impl ReferTo<'_> {
    /// The Replaces header embedded in the URI's headers component
    /// (`?Replaces=callid%3Bto-tag%3D...`), for attended transfer.
    pub fn replaces(&self) -> Option<Result<ReplacesParams, ValueError>> {
        let headers = self.uri.as_sip()?.headers?;
        headers.split('&').find_map(|h| {
            let (n, v) = h.split_once('=')?;
            if !unescape(n).eq_ignore_ascii_case("replaces") {
                return None;
            }
            let decoded = unescape(v);
            Some(ReplacesParams::parse_owned(&decoded))
        })
    }
}

/// One Contact value: an address or `*` (RFC 3261 §20.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `*`, used to remove all bindings.
    Wildcard,
    /// An address with its parameters.
    Address(NameAddr<'a>),
}

impl<'a> TypedHeader<'a> for Contact<'a> {
    const NAME: HeaderName = HeaderName::Contact;

    fn parse(value: &'a str) -> Result<Self, ValueError> {
        if trim_lws(value) == "*" {
            return Ok(Contact::Wildcard);
        }
        if let Some((a, None)) = NameAddr::list_prefix(value, contact_param_check()) {
            return Ok(Contact::Address(a));
        }
        let a = NameAddr::parse_visit(value, contact_param_check())?;
        Ok(Contact::Address(a))
    }

    #[inline]
    fn parse_list_prefix(list: &'a str) -> Option<(Self, Option<usize>)> {
        NameAddr::list_prefix(list, contact_param_check())
            .map(|(a, next)| (Contact::Address(a), next))
    }
}

/// Checks a Contact's `expires` and `q` as its parameters are read. Readers
/// take the first of each, so only those are checked.
pub(super) fn contact_param_check<'a>(
) -> impl FnMut(&'a [u8], Option<&'a [u8]>, usize) -> Result<(), ValueError> {
    let (mut seen_expires, mut seen_q) = (false, false);
    move |name, v, off| {
        if name.len() == 7 && !seen_expires && name.eq_ignore_ascii_case(b"expires") {
            seen_expires = true;
            if let Some(e) = v {
                crate::text::parse_decimal(e, u64::from(u32::MAX))
                    .ok_or(ValueError::new("invalid Contact expires", off))?;
            }
        } else if name.len() == 1 && !seen_q && name.eq_ignore_ascii_case(b"q") {
            seen_q = true;
            if let Some(q) = v {
                std::str::from_utf8(q)
                    .ok()
                    .and_then(parse_qvalue)
                    .ok_or(ValueError::new("invalid Contact q-value", off))?;
            }
        }
        Ok(())
    }
}

/// Parses a q-value (0 to 1 with up to three decimals) into thousandths.
pub(crate) fn parse_qvalue(q: &str) -> Option<u16> {
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: u16 = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut scale = 100;
    for b in frac.bytes() {
        v += u16::from(b - b'0') * scale;
        scale /= 10;
    }
    (v <= 1000).then_some(v)
}

impl<'a> Contact<'a> {
    /// The address, unless this is `*`.
    pub fn address(&self) -> Option<&NameAddr<'a>> {
        match self {
            Contact::Wildcard => None,
            Contact::Address(a) => Some(a),
        }
    }

    /// The `expires` parameter in seconds.
    pub fn expires(&self) -> Option<u32> {
        self.address()?
            .params
            .get("expires")
            .flatten()
            .and_then(|e| crate::text::parse_decimal(e, u64::from(u32::MAX)))
            .map(|e| e as u32)
    }

    /// The `q` parameter in thousandths (0..=1000).
    pub fn q(&self) -> Option<u16> {
        parse_qvalue(self.address()?.params.get("q").flatten()?)
    }

    /// The `+sip.instance` parameter (RFC 5626), quotes removed.
    pub fn sip_instance(&self) -> Option<Cow<'a, str>> {
        self.address()?.params.get_unquoted("+sip.instance")
    }

    /// The `reg-id` parameter (RFC 5626).
    pub fn reg_id(&self) -> Option<u32> {
        self.address()?.params.get("reg-id").flatten()?.parse().ok()
    }
}

impl fmt::Display for Contact<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Wildcard => f.write_str("*"),
            Contact::Address(a) => a.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_addr_forms() {
        let a =
            NameAddr::parse(r#""J Rosenberg \\\"" <sip:jdrosen@example.com>;tag=98asjd8"#).unwrap();
        assert_eq!(a.display_name().unwrap(), r#"J Rosenberg \""#);
        assert_eq!(a.tag(), Some("98asjd8"));
        let b = NameAddr::parse("sip:caller@example.net;tag=134161461246").unwrap();
        assert_eq!(b.tag(), Some("134161461246"));
        assert!(!b.bracketed);
        let c = NameAddr::parse("caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(c.display, Some("caller"));
        let d = NameAddr::parse("Bob Smith <sip:bob@x>").unwrap();
        assert_eq!(d.display_name().unwrap(), "Bob Smith");
    }

    #[test]
    fn name_addr_errors() {
        assert!(NameAddr::parse(r#""Mr. J. User <sip:j.user@example.com>"#).is_err());
        assert!(NameAddr::parse("< sip:t.watson@example.org >").is_err());
        assert!(NameAddr::parse("Watson, Thomas <sip:t.watson@example.org>").is_err());
        assert!(NameAddr::parse("sip:user@example.com?Route=%3Csip:sip.example.com%3E").is_err());
        assert!(NameAddr::parse("<sip:x@y").is_err());
        assert!(NameAddr::parse("").is_err());
    }

    #[test]
    fn contact_params() {
        let c = Contact::parse(r#"<sip:a@192.0.2.1:5060;ob>;expires=600;q=0.7;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1"#).unwrap();
        assert_eq!(c.expires(), Some(600));
        assert_eq!(c.q(), Some(700));
        assert_eq!(
            c.sip_instance().unwrap(),
            "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"
        );
        assert_eq!(c.reg_id(), Some(1));
        assert_eq!(Contact::parse(" * ").unwrap(), Contact::Wildcard);
        assert!(Contact::parse("<sip:a@b>;expires=99999999999").is_err());
        assert!(Contact::parse("<sip:a@b>;q=1.5").is_err());
    }

    #[test]
    fn refer_to_with_replaces() {
        let r = ReferTo::parse("<sip:bob@example.com?Replaces=12345%40192.0.2.1%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>").unwrap();
        let rep = r.replaces().unwrap().unwrap();
        assert_eq!(rep.call_id, "12345@192.0.2.1");
        assert_eq!(rep.to_tag, "12345");
        assert_eq!(rep.from_tag, "5FFE-3994");
        assert!(!rep.early_only);
    }
}
