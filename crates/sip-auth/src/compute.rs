//! The digest computation (RFC 7616 §3.4.1–§3.4.3, RFC 2617 §3.2.2,
//! RFC 2069 when no qop):
//!
//! ```text
//! A1       = username ":" realm ":" password
//! H(A1)'   = H( H(A1) ":" nonce ":" cnonce )         ; -sess algorithms
//! A2       = method ":" digest-uri                   ; qop absent or auth
//! A2       = method ":" digest-uri ":" H(body)       ; qop=auth-int
//! response = H( H(A1) ":" nonce ":" nc ":" cnonce ":" qop ":" H(A2) )
//! response = H( H(A1) ":" nonce ":" H(A2) )          ; no qop
//! ```

use zeroize::Zeroizing;

use crate::algorithm::{Algorithm, HashAlgorithm, Qop};
use crate::secret::Secret;

/// Everything a response is computed from, except the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestInput<'a> {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The username that goes into A1 (the real one, also with `userhash`).
    pub username: &'a str,
    /// The realm.
    pub realm: &'a str,
    /// The server's nonce.
    pub nonce: &'a str,
    /// The client's nonce; required with a qop and with `-sess` algorithms.
    pub cnonce: Option<&'a str>,
    /// The nonce count; required with a qop.
    pub nc: Option<u32>,
    /// The qop, or `None` for an RFC 2069 response.
    pub qop: Option<Qop>,
    /// The request method (`REGISTER`, `INVITE`, ...).
    pub method: &'a str,
    /// The digest-uri: the Request-URI exactly as sent.
    pub uri: &'a str,
    /// The message body, used with `auth-int` only.
    pub body: &'a [u8],
}

/// Format a nonce count as the 8 hex digits the `nc` parameter carries.
pub fn format_nc(nc: u32) -> String {
    format!("{nc:08x}")
}

/// H(A1) in hex for `input`, including the `-sess` step.
///
/// `None` when the secret is a stored H(A1) for another hash function.
pub fn ha1(input: &DigestInput<'_>, secret: &Secret) -> Option<Zeroizing<String>> {
    let hash = input.algorithm.hash;
    let base = secret.ha1_hex(hash, input.username, input.realm)?;
    if input.algorithm.session {
        let cnonce = input.cnonce.unwrap_or("");
        Some(Zeroizing::new(hash.hex_joined(&[
            base.as_bytes(),
            input.nonce.as_bytes(),
            cnonce.as_bytes(),
        ])))
    } else {
        Some(base)
    }
}

/// H(A2) in hex for `input`.
pub fn ha2(input: &DigestInput<'_>) -> String {
    let hash = input.algorithm.hash;
    match input.qop {
        Some(Qop::AuthInt) => {
            let body = hash.hex(&[input.body]);
            hash.hex_joined(&[
                input.method.as_bytes(),
                input.uri.as_bytes(),
                body.as_bytes(),
            ])
        }
        _ => hash.hex_joined(&[input.method.as_bytes(), input.uri.as_bytes()]),
    }
}

/// The `response` value in lowercase hex.
///
/// `None` when the secret is a stored H(A1) for another hash function.
pub fn response(input: &DigestInput<'_>, secret: &Secret) -> Option<String> {
    let ha1 = ha1(input, secret)?;
    Some(response_from_ha1(input, &ha1))
}

pub(crate) fn response_from_ha1(input: &DigestInput<'_>, ha1: &str) -> String {
    let hash = input.algorithm.hash;
    let ha2 = ha2(input);
    match input.qop {
        Some(q) => {
            let nc = format_nc(input.nc.unwrap_or(0));
            hash.hex_joined(&[
                ha1.as_bytes(),
                input.nonce.as_bytes(),
                nc.as_bytes(),
                input.cnonce.unwrap_or("").as_bytes(),
                q.name().as_bytes(),
                ha2.as_bytes(),
            ])
        }
        None => hash.hex_joined(&[ha1.as_bytes(), input.nonce.as_bytes(), ha2.as_bytes()]),
    }
}

/// The `userhash` form of a username: H(username ":" realm) (RFC 7616 §3.4.4).
pub fn userhash(hash: HashAlgorithm, username: &str, realm: &str) -> String {
    hash.hex_joined(&[username.as_bytes(), realm.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2069_style_without_qop() {
        let input = DigestInput {
            algorithm: Algorithm::MD5,
            username: "Mufasa",
            realm: "testrealm@host.com",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            cnonce: None,
            nc: None,
            qop: None,
            method: "GET",
            uri: "/dir/index.html",
            body: b"",
        };
        let secret = Secret::password("Circle Of Life");
        let ha1 = "939e7578ed9e3c518a452acee763bce9";
        let ha2 = "39aff3a2bab6126f332b942af96d3366";
        let expected = HashAlgorithm::Md5
            .hex(&[format!("{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:{ha2}").as_bytes()]);
        assert_eq!(response(&input, &secret).unwrap(), expected);
    }

    #[test]
    fn auth_int_hashes_the_body() {
        let mut input = DigestInput {
            algorithm: Algorithm::SHA_256,
            username: "u",
            realm: "r",
            nonce: "n",
            cnonce: Some("c"),
            nc: Some(1),
            qop: Some(Qop::AuthInt),
            method: "INVITE",
            uri: "sip:bob@example.com",
            body: b"v=0\r\n",
        };
        let body_hash = HashAlgorithm::Sha256.hex(&[b"v=0\r\n"]);
        assert_eq!(
            ha2(&input),
            HashAlgorithm::Sha256
                .hex(&[format!("INVITE:sip:bob@example.com:{body_hash}").as_bytes()])
        );
        let a = response(&input, &Secret::password("p")).unwrap();
        input.body = b"v=1\r\n";
        let b = response(&input, &Secret::password("p")).unwrap();
        assert_ne!(a, b);
        input.qop = Some(Qop::Auth);
        let c = response(&input, &Secret::password("p")).unwrap();
        input.body = b"";
        assert_eq!(c, response(&input, &Secret::password("p")).unwrap());
    }

    #[test]
    fn sess_rekeys_ha1() {
        let input = DigestInput {
            algorithm: Algorithm::MD5_SESS,
            username: "u",
            realm: "r",
            nonce: "n",
            cnonce: Some("c"),
            nc: Some(1),
            qop: Some(Qop::Auth),
            method: "REGISTER",
            uri: "sip:r",
            body: b"",
        };
        let plain = HashAlgorithm::Md5.hex(&[b"u:r:p"]);
        let sess = HashAlgorithm::Md5.hex(&[format!("{plain}:n:c").as_bytes()]);
        assert_eq!(ha1(&input, &Secret::password("p")).unwrap().as_str(), sess);
        assert_eq!(format_nc(255), "000000ff");
        assert_eq!(
            userhash(HashAlgorithm::Md5, "u", "r"),
            HashAlgorithm::Md5.hex(&[b"u:r"])
        );
    }
}
