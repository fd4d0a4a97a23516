//! Properties: no header value makes the parsers panic; arbitrary credentials
//! survive client → header → server; challenges survive write → parse.

mod common;

use common::TestRng;
use heron_sip_auth::{
    parse_challenges, parse_credentials, Algorithm, Challenge, ChallengeHeader, Challenges,
    Credentials, DigestChallenge, DigestClient, DigestServer, Qop, Request, ServerConfig,
    StaticCredentials,
};
use proptest::prelude::*;

/// Strings made of the characters that matter to the grammar, so the parser's
/// branches are reached far more often than with uniform Unicode.
fn grammar_soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("Digest ".to_owned()),
            Just("realm".to_owned()),
            Just("nonce".to_owned()),
            Just("username*".to_owned()),
            Just("UTF-8''%C3%A4".to_owned()),
            Just("nc=0000000".to_owned()),
            Just("qop".to_owned()),
            Just("algorithm=SHA-512-256".to_owned()),
            Just("=".to_owned()),
            Just(",".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            Just(" ".to_owned()),
            Just("\r\n ".to_owned()),
            Just("%".to_owned()),
            Just("'".to_owned()),
            "[a-zA-Z0-9/+=.:@-]{0,6}",
            "\\PC{0,3}",
        ],
        0..24,
    )
    .prop_map(|v| v.concat())
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    proptest::sample::select(Algorithm::ALL.to_vec())
}

fn qops() -> impl Strategy<Value = Vec<Qop>> {
    prop_oneof![
        Just(vec![]),
        Just(vec![Qop::Auth]),
        Just(vec![Qop::AuthInt]),
        Just(vec![Qop::Auth, Qop::AuthInt]),
    ]
}

/// Header-safe text: anything but control characters.
fn text() -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{1,24}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_unicode_never_panics(s in "\\PC{0,200}") {
        let _ = parse_challenges(&s);
        let _ = parse_credentials(&s);
    }

    #[test]
    fn arbitrary_grammar_soup_never_panics(s in grammar_soup()) {
        let _ = parse_challenges(&s);
        let _ = parse_credentials(&s);
        let mut ch = Challenges::new();
        if ch.add(ChallengeHeader::ProxyAuthenticate, &s).is_ok() {
            let mut client = DigestClient::new([Credentials::new("u", "p")]);
            if let Ok(answers) = client.respond(&ch, &Request::new("INVITE", "sip:x"), &mut TestRng(0)) {
                // What we write, we read back.
                for a in answers {
                    prop_assert!(parse_credentials(&a.value).is_ok(), "{}", a.value);
                }
            }
        }
    }

    #[test]
    fn arbitrary_bytes_as_lossy_text_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let s = String::from_utf8_lossy(&b);
        let _ = parse_challenges(&s);
        let _ = parse_credentials(&s);
    }

    #[test]
    fn credentials_round_trip_client_to_server(
        username in text(),
        password in "\\PC{0,24}",
        realm in text(),
        alg in algorithm(),
        qop in qops(),
        userhash in any::<bool>(),
        method in "[A-Z]{3,9}",
        uri in "sip:[a-z0-9.@;=+_-]{1,40}",
        body in proptest::collection::vec(any::<u8>(), 0..64),
        seed in any::<u64>(),
        now in 0u64..(1u64 << 40),
    ) {
        let mut cfg = ServerConfig::new(realm.clone());
        cfg.algorithms = vec![alg];
        cfg.qop = qop.clone();
        cfg.userhash = userhash;
        let mut server = DigestServer::new(cfg, b"proptest key material");
        let mut rng = TestRng(seed);
        let mut ch = Challenges::new();
        for v in server.challenge_values(now, false, &mut rng) {
            ch.add(ChallengeHeader::WwwAuthenticate, &v).unwrap();
        }
        let mut client = DigestClient::new([Credentials::new(username.clone(), password.clone())]);
        let req = Request::new(&method, &uri).with_body(&body);
        let answers = client.respond(&ch, &req, &mut rng).unwrap();
        prop_assert_eq!(answers.len(), 1);
        let store = StaticCredentials::new().with(username.clone(), password);
        let ok = server.verify(&req, &answers[0].value, now, &store).unwrap();
        prop_assert_eq!(ok.username, username);
        prop_assert_eq!(ok.algorithm, alg);
        prop_assert_eq!(ok.qop, qop.first().copied());
    }

    #[test]
    fn challenges_round_trip(
        realm in text(),
        nonce in text(),
        opaque in proptest::option::of(text()),
        alg in algorithm(),
        qop in proptest::option::of(qops()),
        stale in any::<bool>(),
        userhash in any::<bool>(),
    ) {
        let mut c = DigestChallenge::new(realm, nonce);
        c.opaque = opaque;
        c.algorithm = alg;
        c.algorithm_explicit = true;
        c.qop = qop;
        c.stale = stale;
        c.userhash = userhash;
        let l = parse_challenges(&c.to_header_value()).unwrap();
        prop_assert_eq!(l, vec![Challenge::Digest(c)]);
    }
}
