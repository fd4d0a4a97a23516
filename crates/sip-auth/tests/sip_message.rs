//! The heron-sip convenience layer: a REGISTER challenged by a 401 that
//! heron-sip parsed, answered, and verified from the parsed retry.
#![cfg(feature = "sip")]

mod common;

use bytes::Bytes;
use common::TestRng;
use heron_sip::{HeaderName, Message, Method};
use heron_sip_auth::sip::{challenges, request, set_answers, verify};
use heron_sip_auth::{
    AuthorizationHeader, Credentials, DigestClient, DigestServer, ServerConfig, StaticCredentials,
    VerifyError,
};

const NOW: u64 = 1_700_000_000;

#[test]
fn register_401_retry_verified_through_heron_sip() {
    let mut rng = TestRng(42);
    let mut server = DigestServer::new(ServerConfig::new("pbx.example.com"), b"k3y-material-16b");
    let users = StaticCredentials::new().with("beispiel_123456", "geheim");

    let mut register = Message::request(Method::Register, "sip:pbx.example.com;transport=tcp");
    register.append_header(HeaderName::To, "<sip:123456@pbx.example.com>");
    register.append_header(HeaderName::From, "<sip:123456@pbx.example.com>;tag=a1");

    // The server answers 401 with its challenges (one line per algorithm).
    let mut unauthorized = Message::response(401);
    for v in server.challenge_values(NOW, false, &mut rng) {
        unauthorized.append_header(HeaderName::WwwAuthenticate, &v);
    }
    let unauthorized = Message::parse(unauthorized.to_bytes()).unwrap();
    let (ch, errors) = challenges(&unauthorized);
    assert!(errors.is_empty());
    assert_eq!(ch.len(), 2);

    // The client answers; the AOR user (123456) differs from the auth user.
    let mut client = DigestClient::new([Credentials::new("beispiel_123456", "geheim")]);
    let answers = client
        .respond(&ch, &request(&register).unwrap(), &mut rng)
        .unwrap();
    set_answers(&mut register, &answers);
    let wire = register.to_bytes();
    let received = Message::parse(wire).unwrap();
    let ok = verify(
        &mut server,
        &received,
        AuthorizationHeader::Authorization,
        NOW,
        &users,
    )
    .unwrap();
    assert_eq!(ok.username, "beispiel_123456");

    // Without credentials, or in the other header, there is nothing to check.
    assert_eq!(
        verify(
            &mut server,
            &received,
            AuthorizationHeader::ProxyAuthorization,
            NOW,
            &users
        ),
        Err(VerifyError::MissingCredentials)
    );
}

#[test]
fn recorded_asterisk_401_through_heron_sip() {
    let path = common::testdata("vendor-sip/002-ast-pjsip-401-invite.sip");
    let msg = Message::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let (ch, errors) = challenges(&msg);
    assert!(errors.is_empty());
    let d: Vec<_> = ch.digest().collect();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].1.realm, "asterisk");
    assert!(request(&msg).is_none(), "a response has no Request-URI");
}

#[test]
fn recorded_folded_lucent_401_through_heron_sip() {
    let path = common::testdata("vendor-sip/026-lucent-401-folded-auth.sip");
    let msg = Message::parse(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let (ch, errors) = challenges(&msg);
    assert!(errors.is_empty(), "{errors:?}");
    let d: Vec<_> = ch.digest().collect();
    assert_eq!(
        d[0].1.opaque.as_deref(),
        Some("f2a62109ee6526c8760e4e7497861aac")
    );
}
