//! Credentials: the values of Authorization and Proxy-Authorization
//! (RFC 7616 §3.4, RFC 3261 §20.7/§20.28).

use core::fmt::Write as _;

use crate::algorithm::{Algorithm, Qop};
use crate::compute::format_nc;
use crate::error::ParseError;
use crate::lexer::{parse_auth_list, RawParam};
use crate::quote::push_quoted;

/// Digest credentials, as sent in Authorization or Proxy-Authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    /// The username, or H(username:realm) when `userhash` is set. Decoded from
    /// `username*` (RFC 8187 ext-value) when that form was used.
    pub username: String,
    /// The realm.
    pub realm: String,
    /// The server nonce being answered.
    pub nonce: String,
    /// The digest-uri: the Request-URI as the client sent it.
    pub uri: String,
    /// The response digest, lowercase hex as sent.
    pub response: String,
    /// The algorithm; MD5 when absent.
    pub algorithm: Algorithm,
    /// Whether `algorithm` is written in the header value.
    pub algorithm_explicit: bool,
    /// The client nonce.
    pub cnonce: Option<String>,
    /// The opaque value echoed from the challenge.
    pub opaque: Option<String>,
    /// The qop in use; `None` for an RFC 2069 response.
    pub qop: Option<Qop>,
    /// The nonce count.
    pub nc: Option<u32>,
    /// `userhash=true`: `username` is H(username:realm).
    pub userhash: bool,
}

impl DigestCredentials {
    /// The header value, `Digest username="...", realm="...", ...`.
    pub fn to_header_value(&self) -> String {
        let mut s = String::with_capacity(256);
        s.push_str("Digest username=");
        push_quoted(&mut s, &self.username);
        s.push_str(", realm=");
        push_quoted(&mut s, &self.realm);
        s.push_str(", nonce=");
        push_quoted(&mut s, &self.nonce);
        s.push_str(", uri=");
        push_quoted(&mut s, &self.uri);
        s.push_str(", response=");
        push_quoted(&mut s, &self.response);
        if self.algorithm_explicit || self.algorithm != Algorithm::MD5 {
            let _ = write!(s, ", algorithm={}", self.algorithm);
        }
        if let Some(c) = &self.cnonce {
            s.push_str(", cnonce=");
            push_quoted(&mut s, c);
        }
        if let Some(o) = &self.opaque {
            s.push_str(", opaque=");
            push_quoted(&mut s, o);
        }
        if let Some(q) = self.qop {
            let _ = write!(s, ", qop={q}");
        }
        if let Some(nc) = self.nc {
            s.push_str(", nc=");
            s.push_str(&format_nc(nc));
        }
        if self.userhash {
            s.push_str(", userhash=true");
        }
        s
    }
}

/// Parse one Authorization or Proxy-Authorization header value holding
/// Digest credentials.
pub fn parse_credentials(value: &str) -> Result<DigestCredentials, ParseError> {
    let mut list = parse_auth_list(value)?;
    if list.len() != 1 {
        return Err(ParseError::MultipleCredentials);
    }
    let raw = list.remove(0);
    if !raw.scheme.eq_ignore_ascii_case("digest") {
        return Err(ParseError::NotDigest {
            scheme: raw.scheme.to_owned(),
        });
    }
    let mut fields: [Option<&RawParam<'_>>; 12] = [None; 12];
    const NAMES: [&str; 12] = [
        "username",
        "username*",
        "realm",
        "nonce",
        "uri",
        "response",
        "algorithm",
        "cnonce",
        "opaque",
        "qop",
        "nc",
        "userhash",
    ];
    for p in &raw.params {
        let Some(i) = NAMES.iter().position(|n| n.eq_ignore_ascii_case(p.name)) else {
            continue;
        };
        if fields[i].is_some() {
            return Err(ParseError::DuplicateParameter {
                name: p.name.to_owned(),
                at: p.at,
            });
        }
        fields[i] = Some(p);
    }
    let [username, username_ext, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc, userhash] =
        fields;
    let missing = |name| ParseError::MissingParameter {
        what: "credentials",
        name,
    };
    let username = match (username, username_ext) {
        (Some(u), None) => u.value.to_string(),
        (None, Some(u)) => decode_ext_value(u)?,
        (Some(_), Some(u)) => {
            return Err(ParseError::InvalidValue {
                name: u.name.to_owned(),
                at: u.at,
                reason: "both username and username* given",
            })
        }
        (None, None) => return Err(missing("username")),
    };
    let text = |p: Option<&RawParam<'_>>| p.map(|p| p.value.to_string());
    let (algorithm, algorithm_explicit) = match algorithm {
        None => (Algorithm::MD5, false),
        Some(p) => (
            p.value
                .trim()
                .parse::<Algorithm>()
                .map_err(|_| invalid(p, "unsupported algorithm"))?,
            true,
        ),
    };
    let qop = match qop {
        None => None,
        Some(p) => Some(Qop::parse(p.value.trim()).ok_or_else(|| invalid(p, "unknown qop"))?),
    };
    let nc = match nc {
        None => None,
        Some(p) => Some(parse_nc(p)?),
    };
    let creds = DigestCredentials {
        username,
        realm: text(realm).ok_or_else(|| missing("realm"))?,
        nonce: text(nonce).ok_or_else(|| missing("nonce"))?,
        uri: text(uri).ok_or_else(|| missing("uri"))?,
        response: text(response).ok_or_else(|| missing("response"))?,
        algorithm,
        algorithm_explicit,
        cnonce: text(cnonce),
        opaque: text(opaque),
        qop,
        nc,
        userhash: userhash.is_some_and(|u| u.value.trim().eq_ignore_ascii_case("true")),
    };
    if creds.qop.is_some() {
        if creds.cnonce.is_none() {
            return Err(missing("cnonce"));
        }
        if creds.nc.is_none() {
            return Err(missing("nc"));
        }
    }
    Ok(creds)
}

fn invalid(p: &RawParam<'_>, reason: &'static str) -> ParseError {
    ParseError::InvalidValue {
        name: p.name.to_owned(),
        at: p.at,
        reason,
    }
}

fn parse_nc(p: &RawParam<'_>) -> Result<u32, ParseError> {
    let v = p.value.trim();
    if v.is_empty() || v.len() > 8 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(p, "nc must be 1 to 8 hex digits"));
    }
    u32::from_str_radix(v, 16).map_err(|_| invalid(p, "nc must be 1 to 8 hex digits"))
}

/// Decode an RFC 8187 ext-value (`UTF-8''J%C3%A4s%C3%B8n`).
fn decode_ext_value(p: &RawParam<'_>) -> Result<String, ParseError> {
    let v = p.value.as_ref();
    let mut parts = v.splitn(3, '\'');
    let (Some(charset), Some(_lang), Some(encoded)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(p, "ext-value needs charset'language'value"));
    };
    if !charset.eq_ignore_ascii_case("utf-8") {
        return Err(invalid(p, "only the UTF-8 charset is supported"));
    }
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| core::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| invalid(p, "bad percent-encoding"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| invalid(p, "not UTF-8 after decoding"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7616_authorization() {
        let v = r#"Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
        let c = parse_credentials(v).unwrap();
        assert_eq!(c.username, "Mufasa");
        assert_eq!(c.nc, Some(1));
        assert_eq!(c.qop, Some(Qop::Auth));
        assert_eq!(c.response, "8ca523f5e9506fed4657c9700eebdbec");
        assert!(c.algorithm_explicit);
        assert_eq!(parse_credentials(&c.to_header_value()).unwrap(), c);
    }

    #[test]
    fn username_star() {
        let v = r#"Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="r", nonce="n", uri="/", response="x""#;
        assert_eq!(
            parse_credentials(v).unwrap().username,
            "J\u{e4}s\u{f8}n Doe"
        );
        let bad = r#"Digest username*=UTF-8''%C3, realm="r", nonce="n", uri="/", response="x""#;
        assert!(matches!(
            parse_credentials(bad),
            Err(ParseError::InvalidValue { .. })
        ));
        let bad = r#"Digest username*=UTF-8''%zz, realm="r", nonce="n", uri="/", response="x""#;
        assert!(matches!(
            parse_credentials(bad),
            Err(ParseError::InvalidValue { .. })
        ));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            parse_credentials(r#"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="#),
            Err(ParseError::NotDigest { .. })
        ));
        assert_eq!(
            parse_credentials(r#"Digest realm="r", nonce="n", uri="/", response="x""#),
            Err(ParseError::MissingParameter {
                what: "credentials",
                name: "username"
            })
        );
        assert_eq!(
            parse_credentials(
                r#"Digest username="u", realm="r", nonce="n", uri="/", response="x", qop=auth, cnonce="c""#
            ),
            Err(ParseError::MissingParameter {
                what: "credentials",
                name: "nc"
            })
        );
        assert!(matches!(
            parse_credentials(
                r#"Digest username="u", realm="r", nonce="n", uri="/", response="x", qop=auth, cnonce="c", nc=123456789"#
            ),
            Err(ParseError::InvalidValue { .. })
        ));
        assert_eq!(
            parse_credentials(
                r#"Digest username="u", realm="r", nonce="n", uri="/", response="x", Digest username="v""#
            ),
            Err(ParseError::MultipleCredentials)
        );
    }
}
