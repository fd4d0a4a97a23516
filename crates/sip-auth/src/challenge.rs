//! Challenges: the values of WWW-Authenticate and Proxy-Authenticate
//! (RFC 7616 §3.3, RFC 3261 §20.27/§20.44).

use core::fmt::Write as _;

use crate::algorithm::{Algorithm, Qop};
use crate::error::ParseError;
use crate::lexer::{parse_auth_list, RawAuth, RawParam};
use crate::quote::push_quoted;

/// Which header a challenge came in, and so which header answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeHeader {
    /// `WWW-Authenticate` (401), answered by `Authorization`.
    WwwAuthenticate,
    /// `Proxy-Authenticate` (407), answered by `Proxy-Authorization`.
    ProxyAuthenticate,
}

impl ChallengeHeader {
    /// The header's name.
    pub fn name(self) -> &'static str {
        match self {
            ChallengeHeader::WwwAuthenticate => "WWW-Authenticate",
            ChallengeHeader::ProxyAuthenticate => "Proxy-Authenticate",
        }
    }

    /// The header that carries the answer.
    pub fn answer(self) -> AuthorizationHeader {
        match self {
            ChallengeHeader::WwwAuthenticate => AuthorizationHeader::Authorization,
            ChallengeHeader::ProxyAuthenticate => AuthorizationHeader::ProxyAuthorization,
        }
    }
}

/// Which header carries credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthorizationHeader {
    /// `Authorization`.
    Authorization,
    /// `Proxy-Authorization`.
    ProxyAuthorization,
}

impl AuthorizationHeader {
    /// The header's name.
    pub fn name(self) -> &'static str {
        match self {
            AuthorizationHeader::Authorization => "Authorization",
            AuthorizationHeader::ProxyAuthorization => "Proxy-Authorization",
        }
    }
}

/// One challenge from a header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// A Digest challenge this crate can answer (supported algorithm).
    Digest(DigestChallenge),
    /// Another scheme, or a Digest challenge with an algorithm this crate does
    /// not implement. Clients ignore these (RFC 8760 §2.4).
    Unsupported(UnsupportedChallenge),
}

/// A challenge this crate cannot answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedChallenge {
    /// The scheme as written.
    pub scheme: String,
    /// The realm, when the challenge had one.
    pub realm: Option<String>,
    /// Why it is not supported.
    pub reason: String,
}

/// A Digest challenge (RFC 7616 §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestChallenge {
    /// `realm`: which credentials to use.
    pub realm: String,
    /// `nonce`: the server's value the response is bound to.
    pub nonce: String,
    /// `opaque`: echoed unchanged in the response.
    pub opaque: Option<String>,
    /// `domain`: the protection space, as written (space-separated URIs).
    pub domain: Option<String>,
    /// `stale=true`: the previous response was right but its nonce had
    /// expired; answer again with the same credentials.
    pub stale: bool,
    /// `algorithm`; MD5 when absent.
    pub algorithm: Algorithm,
    /// Whether `algorithm` was written in the challenge (it is then echoed).
    pub algorithm_explicit: bool,
    /// `qop` options this crate knows. `None`: no `qop` parameter (RFC 2069
    /// style). `Some(empty)`: only unknown options were offered.
    pub qop: Option<Vec<Qop>>,
    /// `charset=UTF-8`.
    pub charset_utf8: bool,
    /// `userhash=true`: send H(username:realm) instead of the username.
    pub userhash: bool,
}

impl DigestChallenge {
    /// A challenge with the given realm and nonce, MD5, no qop; adjust the
    /// public fields for the rest.
    pub fn new(realm: impl Into<String>, nonce: impl Into<String>) -> Self {
        DigestChallenge {
            realm: realm.into(),
            nonce: nonce.into(),
            opaque: None,
            domain: None,
            stale: false,
            algorithm: Algorithm::MD5,
            algorithm_explicit: false,
            qop: None,
            charset_utf8: false,
            userhash: false,
        }
    }

    /// The header value, `Digest realm="...", nonce="...", ...`.
    pub fn to_header_value(&self) -> String {
        let mut s = String::with_capacity(128);
        s.push_str("Digest realm=");
        push_quoted(&mut s, &self.realm);
        if let Some(d) = &self.domain {
            s.push_str(", domain=");
            push_quoted(&mut s, d);
        }
        s.push_str(", nonce=");
        push_quoted(&mut s, &self.nonce);
        if let Some(o) = &self.opaque {
            s.push_str(", opaque=");
            push_quoted(&mut s, o);
        }
        if self.stale {
            s.push_str(", stale=true");
        }
        if self.algorithm_explicit || self.algorithm != Algorithm::MD5 {
            let _ = write!(s, ", algorithm={}", self.algorithm);
        }
        if let Some(q) = &self.qop {
            s.push_str(", qop=\"");
            for (i, q) in q.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str(q.name());
            }
            s.push('"');
        }
        if self.charset_utf8 {
            s.push_str(", charset=UTF-8");
        }
        if self.userhash {
            s.push_str(", userhash=true");
        }
        s
    }
}

/// Parse one WWW-Authenticate or Proxy-Authenticate header value.
///
/// A value may hold several challenges separated by commas (RFC 7235 §4.1),
/// of any scheme. Digest challenges with an unknown algorithm come back as
/// [`Challenge::Unsupported`]; syntax errors and Digest challenges without
/// `realm` or `nonce` are errors.
pub fn parse_challenges(value: &str) -> Result<Vec<Challenge>, ParseError> {
    parse_auth_list(value)?
        .into_iter()
        .map(challenge_from_raw)
        .collect()
}

fn challenge_from_raw(raw: RawAuth<'_>) -> Result<Challenge, ParseError> {
    if !raw.scheme.eq_ignore_ascii_case("digest") {
        let realm = raw
            .params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case("realm"))
            .map(|p| p.value.to_string());
        return Ok(Challenge::Unsupported(UnsupportedChallenge {
            scheme: raw.scheme.to_owned(),
            realm,
            reason: "not the Digest scheme".to_owned(),
        }));
    }
    let mut realm = None;
    let mut nonce = None;
    let mut opaque = None;
    let mut domain = None;
    let mut stale = None;
    let mut algorithm: Option<&RawParam<'_>> = None;
    let mut qop = None;
    let mut charset = None;
    let mut userhash = None;
    for p in &raw.params {
        let slot = match p.name.to_ascii_lowercase().as_str() {
            "realm" => &mut realm,
            "nonce" => &mut nonce,
            "opaque" => &mut opaque,
            "domain" => &mut domain,
            "stale" => &mut stale,
            "qop" => &mut qop,
            "charset" => &mut charset,
            "userhash" => &mut userhash,
            "algorithm" => {
                if algorithm.is_some() {
                    return Err(duplicate(p));
                }
                algorithm = Some(p);
                continue;
            }
            _ => continue,
        };
        if slot.is_some() {
            return Err(duplicate(p));
        }
        *slot = Some(p.value.to_string());
    }
    let realm = realm.ok_or(ParseError::MissingParameter {
        what: "challenge",
        name: "realm",
    })?;
    let nonce = nonce.ok_or(ParseError::MissingParameter {
        what: "challenge",
        name: "nonce",
    })?;
    let (algorithm, algorithm_explicit) = match algorithm {
        None => (Algorithm::MD5, false),
        Some(p) => match p.value.trim().parse::<Algorithm>() {
            Ok(a) => (a, true),
            Err(e) => {
                return Ok(Challenge::Unsupported(UnsupportedChallenge {
                    scheme: raw.scheme.to_owned(),
                    realm: Some(realm),
                    reason: e.to_string(),
                }))
            }
        },
    };
    let qop = qop.map(|q| {
        let mut list = Vec::new();
        for item in q.split(',') {
            if let Some(q) = Qop::parse(item.trim()) {
                if !list.contains(&q) {
                    list.push(q);
                }
            }
        }
        list
    });
    Ok(Challenge::Digest(DigestChallenge {
        realm,
        nonce,
        opaque,
        domain,
        stale: stale.is_some_and(|s| s.trim().eq_ignore_ascii_case("true")),
        algorithm,
        algorithm_explicit,
        qop,
        charset_utf8: charset.is_some_and(|c| c.trim().eq_ignore_ascii_case("utf-8")),
        userhash: userhash.is_some_and(|u| u.trim().eq_ignore_ascii_case("true")),
    }))
}

fn duplicate(p: &RawParam<'_>) -> ParseError {
    ParseError::DuplicateParameter {
        name: p.name.to_owned(),
        at: p.at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(v: &str) -> DigestChallenge {
        match parse_challenges(v).unwrap().remove(0) {
            Challenge::Digest(d) => d,
            other => panic!("not digest: {other:?}"),
        }
    }

    #[test]
    fn rfc7616_example() {
        let d = digest(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        );
        assert_eq!(d.realm, "http-auth@example.org");
        assert_eq!(d.algorithm, Algorithm::SHA_256);
        assert!(d.algorithm_explicit);
        assert_eq!(d.qop, Some(vec![Qop::Auth, Qop::AuthInt]));
        assert_eq!(
            d.opaque.as_deref(),
            Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        );
        assert!(!d.stale);
    }

    #[test]
    fn defaults_and_flags() {
        let d = digest(
            r#"DIGEST realm="r", nonce="n", stale=TRUE, userhash="true", charset=utf-8, qop="auth-conf""#,
        );
        assert_eq!(d.algorithm, Algorithm::MD5);
        assert!(!d.algorithm_explicit);
        assert!(d.stale && d.userhash && d.charset_utf8);
        assert_eq!(d.qop, Some(vec![]));
    }

    #[test]
    fn unknown_algorithm_is_unsupported_not_error() {
        let l = parse_challenges(
            r#"Digest realm="r", nonce="n", algorithm=SHA-1, Digest realm="r", nonce="m""#,
        )
        .unwrap();
        assert!(matches!(&l[0], Challenge::Unsupported(u) if u.realm.as_deref() == Some("r")));
        assert!(matches!(&l[1], Challenge::Digest(d) if d.nonce == "m"));
    }

    #[test]
    fn missing_and_duplicate() {
        assert_eq!(
            parse_challenges(r#"Digest nonce="n""#),
            Err(ParseError::MissingParameter {
                what: "challenge",
                name: "realm"
            })
        );
        assert!(matches!(
            parse_challenges(r#"Digest realm="a", realm="b", nonce="n""#),
            Err(ParseError::DuplicateParameter { .. })
        ));
    }

    #[test]
    fn header_value_round_trips() {
        let mut c = DigestChallenge::new("sip.example.com", "abc\"def");
        c.algorithm = Algorithm::SHA_512_256_SESS;
        c.qop = Some(vec![Qop::Auth, Qop::AuthInt]);
        c.opaque = Some("op".into());
        c.stale = true;
        c.userhash = true;
        c.charset_utf8 = true;
        c.domain = Some("sip:a sip:b".into());
        let v = c.to_header_value();
        let mut back = digest(&v);
        assert!(back.algorithm_explicit);
        back.algorithm_explicit = false;
        assert_eq!(back, c);
        assert_eq!(
            ChallengeHeader::ProxyAuthenticate.answer().name(),
            "Proxy-Authorization"
        );
    }
}
