//! Convenience over [`heron_sip::Message`] (feature `sip`, on by default):
//! read the challenges of a 401/407, view a request for the client or the
//! server, add the answers to the retried request.

use heron_sip::{HeaderName, Message};

use crate::challenge::{AuthorizationHeader, ChallengeHeader};
use crate::client::{Answer, Challenges, Request};
use crate::credentials::parse_credentials;
use crate::error::{ParseError, VerifyError};
use crate::server::{CredentialStore, DigestServer, Verified};

/// The challenges of a 401/407 response: every WWW-Authenticate and
/// Proxy-Authenticate line, in order. Lines that do not parse are skipped and
/// returned with the error, so one bad line does not hide the good ones.
pub fn challenges(response: &Message) -> (Challenges, Vec<ParseError>) {
    let mut out = Challenges::new();
    let mut errors = Vec::new();
    for h in response.headers() {
        let kind = match h.name {
            HeaderName::WwwAuthenticate => ChallengeHeader::WwwAuthenticate,
            HeaderName::ProxyAuthenticate => ChallengeHeader::ProxyAuthenticate,
            _ => continue,
        };
        if let Err(e) = out.add(kind, h.value) {
            errors.push(e);
        }
    }
    (out, errors)
}

/// The method, Request-URI (exactly as sent) and body of a request; `None`
/// for a response.
pub fn request(message: &Message) -> Option<Request<'_>> {
    let method = message.method()?.as_str();
    let uri = message.request_uri_str()?;
    Some(Request::new(method, uri).with_body(message.body()))
}

/// Replace the request's Authorization / Proxy-Authorization headers with
/// `answers` (for the retried request; its CSeq is the caller's business).
pub fn set_answers(message: &mut Message, answers: &[Answer]) {
    message.remove_header(HeaderName::Authorization);
    message.remove_header(HeaderName::ProxyAuthorization);
    for a in answers {
        message.append_header(header_name(a.header), &a.value);
    }
}

fn header_name(h: AuthorizationHeader) -> HeaderName {
    match h {
        AuthorizationHeader::Authorization => HeaderName::Authorization,
        AuthorizationHeader::ProxyAuthorization => HeaderName::ProxyAuthorization,
    }
}

/// Verify a request's credentials in `header` for `server`'s realm at `now`.
///
/// Among several credentials in that header (one per realm), the one for the
/// server's realm is checked; [`VerifyError::MissingCredentials`] when there
/// is none.
pub fn verify<S: CredentialStore + ?Sized>(
    server: &mut DigestServer,
    message: &Message,
    header: AuthorizationHeader,
    now: u64,
    store: &S,
) -> Result<Verified, VerifyError> {
    let req = request(message).ok_or(VerifyError::MissingCredentials)?;
    let realm = server.config().realm.clone();
    let mut first_error = None;
    for value in message.header_values(header_name(header)) {
        match parse_credentials(value) {
            Ok(c) if c.realm == realm => return server.verify_credentials(&req, &c, now, store),
            Ok(_) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.map_or(VerifyError::MissingCredentials, VerifyError::Malformed))
}
