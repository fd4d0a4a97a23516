//! Authentication headers as raw scheme + parameters. Interpreting digest
//! parameters is heron-sip-auth's job; here they are only split correctly
//! (commas inside quoted strings, odd spacing, folded lines).

use super::TypedHeader;
use crate::error::ValueError;
use crate::name::HeaderName;
use crate::params::unquote_value;
use crate::text::{is_lws, is_token_char, quoted_len, trim_lws, CommaList};
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

/// Checks `name=value` items separated by commas in one pass: names are
/// tokens, values are not empty, quoted strings are closed. Items without
/// `=` (as some schemes write a bare token) and empty items are allowed,
/// as [`AuthParams::iter`] skips them. Returns the reason and the offset.
fn check_auth_params(raw: &str) -> Result<(), (&'static str, usize)> {
    let b = raw.as_bytes();
    let n = b.len();
    let mut i = 0;
    loop {
        while i < n && (b[i] == b',' || is_lws(b[i])) {
            i += 1;
        }
        if i == n {
            return Ok(());
        }
        let item = i;
        while i < n && is_token_char(b[i]) {
            i += 1;
        }
        let name_end = i;
        while i < n && is_lws(b[i]) {
            i += 1;
        }
        let has_eq = i < n && b[i] == b'=';
        if has_eq {
            if name_end == item {
                return Err(("invalid auth-param name", item));
            }
            i += 1;
            while i < n && is_lws(b[i]) {
                i += 1;
            }
            if i == n || b[i] == b',' {
                return Err(("empty auth-param value", i));
            }
        }
        // The rest of the item, up to a comma outside quotes and <...>.
        let rest = i;
        loop {
            if i == n || b[i] == b',' {
                break;
            }
            match b[i] {
                b'"' => {
                    i += quoted_len(&raw[i..]).ok_or(("unterminated quoted string", i))?;
                }
                b'<' => match crate::text::find_in(&b[i..], b'>') {
                    Some(r) => i += r + 1,
                    None => i = n,
                },
                _ => i += 1,
            }
        }
        // An `=` after anything but a token name makes the name invalid.
        if !has_eq && crate::text::find_in(&b[rest..i], b'=').is_some() {
            return Err(("invalid auth-param name", item));
        }
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
    let raw_at = lead + (raw.as_ptr() as usize - s.as_ptr() as usize);
    check_auth_params(raw).map_err(|(why, at)| ValueError::new(why, raw_at + at))?;
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

    /// The item-by-item reading the one-pass check replaced: split at
    /// commas outside quotes and brackets, then look at the first `=`.
    fn check_by_items(raw: &str) -> bool {
        CommaList::new(raw).all(|item| {
            let Ok(item) = item else { return false };
            match crate::text::find_byte(item, b'=') {
                None => true,
                Some(eq) => {
                    let n = trim_lws(&item[..eq]);
                    !n.is_empty()
                        && n.bytes().all(is_token_char)
                        && !trim_lws(&item[eq + 1..]).is_empty()
                }
            }
        })
    }

    proptest::proptest! {
        #[test]
        fn one_pass_check_agrees_with_item_reading(raw in "[a-c=,\" <>\\\\]{0,24}") {
            proptest::prop_assert_eq!(check_auth_params(&raw).is_ok(), check_by_items(&raw), "{:?}", raw);
        }
    }

    #[test]
    fn malformed() {
        assert!(Authorization::parse("").is_err());
        assert!(Authorization::parse("Digest realm=\"x").is_err());
        assert!(Authorization::parse("Digest =x").is_err());
    }
}
