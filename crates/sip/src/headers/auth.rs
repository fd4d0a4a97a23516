//! Authentication headers as raw scheme + parameters. Interpreting digest
//! parameters is heron-sip-auth's job; here they are only split correctly
//! (commas inside quoted strings, odd spacing, folded lines).

use super::TypedHeader;
use crate::error::ValueError;
use crate::name::HeaderName;
use crate::params::unquote_value;
use crate::text::{is_token_char, trim_lws, CommaList};
use std::borrow::Cow;
use std::fmt;

/// The comma-separated `name=value` parameters of a challenge or credentials.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AuthParams<'a> {
    raw: &'a str,
}

impl<'a> AuthParams<'a> {
    /// The raw parameter text after the scheme.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// Iterates `(name, raw value)` pairs; quoted values keep their quotes.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        CommaList::new(self.raw).filter_map(|item| {
            let item = item.ok()?;
            if item.is_empty() {
                return None;
            }
            let eq = crate::text::find_byte(item, b'=')?;
            Some((trim_lws(&item[..eq]), trim_lws(&item[eq + 1..])))
        })
    }

    /// The value of `name` (case-insensitive) with quotes removed.
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| unquote_value(v))
    }
}

impl fmt::Debug for AuthParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials carry a response hash; keep only names in debug output.
        f.debug_list().entries(self.iter().map(|(n, _)| n)).finish()
    }
}

fn parse_auth(value: &str) -> Result<(&str, AuthParams<'_>), ValueError> {
    let lead = value.len() - crate::text::trim_lws_start(value).len();
    let s = trim_lws(value);
    let end = s.bytes().position(|b| !is_token_char(b)).unwrap_or(s.len());
    let scheme = &s[..end];
    if scheme.is_empty() {
        return Err(ValueError::new("missing authentication scheme", lead));
    }
    let raw = trim_lws(&s[end..]);
    if end < s.len() && !s.as_bytes()[end].is_ascii_whitespace() {
        return Err(ValueError::new(
            "expected white space after scheme",
            lead + end,
        ));
    }
    for item in CommaList::new(raw) {
        let item = item.map_err(|_| ValueError::new("unterminated quoted string", lead + end))?;
        if item.is_empty() {
            continue;
        }
        if let Some(eq) = crate::text::find_byte(item, b'=') {
            let n = trim_lws(&item[..eq]);
            let v = trim_lws(&item[eq + 1..]);
            if n.is_empty() || !n.bytes().all(is_token_char) {
                return Err(ValueError::new("invalid auth-param name", lead + end));
            }
            if v.is_empty() {
                return Err(ValueError::new("empty auth-param value", lead + end));
            }
        }
    }
    Ok((scheme, AuthParams { raw }))
}

macro_rules! auth_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty<'a> {
            /// The scheme (`Digest`).
            pub scheme: &'a str,
            /// The parameters.
            pub params: AuthParams<'a>,
        }

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            fn parse(value: &'a str) -> Result<Self, ValueError> {
                let (scheme, params) = parse_auth(value)?;
                Ok($ty { scheme, params })
            }
        }

        impl<'a> $ty<'a> {
            /// Whether the scheme is `Digest`.
            pub fn is_digest(&self) -> bool {
                self.scheme.eq_ignore_ascii_case("digest")
            }
        }
    };
}

auth_header!(
    /// A WWW-Authenticate challenge.
    WwwAuthenticate, WwwAuthenticate
);
auth_header!(
    /// A Proxy-Authenticate challenge.
    ProxyAuthenticate, ProxyAuthenticate
);
auth_header!(
    /// Authorization credentials.
    Authorization, Authorization
);
auth_header!(
    /// Proxy-Authorization credentials.
    ProxyAuthorization, ProxyAuthorization
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_with_commas_in_quotes() {
        let c = WwwAuthenticate::parse(
            "Digest realm=\"a,b\",nonce=\"x\" , algorithm=MD5,\r\n qop=\"auth,auth-int\"",
        )
        .unwrap();
        assert!(c.is_digest());
        assert_eq!(c.params.get("realm").unwrap(), "a,b");
        assert_eq!(c.params.get("QOP").unwrap(), "auth,auth-int");
        assert_eq!(c.params.get("algorithm").unwrap(), "MD5");
        assert_eq!(c.params.iter().count(), 4);
    }

    #[test]
    fn debug_hides_values() {
        let c = Authorization::parse("Digest username=\"bob\", response=\"deadbeef\"").unwrap();
        let dbg = format!("{:?}", c.params);
        assert!(!dbg.contains("deadbeef"));
    }

    #[test]
    fn malformed() {
        assert!(Authorization::parse("").is_err());
        assert!(Authorization::parse("Digest realm=\"x").is_err());
        assert!(Authorization::parse("Digest =x").is_err());
    }
}
