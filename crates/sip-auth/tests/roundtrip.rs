//! Client against server: every algorithm × qop, stale nonces, replays,
//! expiry, wrong passwords, userhash, several realms and challenges.

mod common;

use common::TestRng;
use heron_sip_auth::{
    parse_credentials, Algorithm, AlgorithmPolicy, Answer, AuthorizationHeader, ChallengeHeader,
    Challenges, ClientError, Credentials, DigestClient, DigestServer, HashAlgorithm, Qop, Request,
    Secret, ServerConfig, StaticCredentials, VerifyError,
};

const NOW: u64 = 1_700_000_000;
const KEY: &[u8] = b"test key, 32 bytes long........!";

fn server(algorithms: Vec<Algorithm>, qop: Vec<Qop>) -> DigestServer {
    let mut cfg = ServerConfig::new("pbx.example.com");
    cfg.algorithms = algorithms;
    cfg.qop = qop;
    DigestServer::new(cfg, KEY)
}

fn store() -> StaticCredentials {
    StaticCredentials::new().with("beispiel_123456", "s3cr3t")
}

fn challenges_of(server: &DigestServer, now: u64, stale: bool, rng: &mut TestRng) -> Challenges {
    let mut ch = Challenges::new();
    for v in server.challenge_values(now, stale, rng) {
        ch.add(ChallengeHeader::WwwAuthenticate, &v).unwrap();
    }
    ch
}

#[test]
fn every_algorithm_and_qop() {
    let qops: [Vec<Qop>; 3] = [vec![Qop::Auth], vec![Qop::AuthInt], vec![]];
    let body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n";
    let mut count: u32 = 0;
    for alg in Algorithm::ALL {
        for qop in &qops {
            let mut rng = TestRng(u64::from(count));
            let mut srv = server(vec![alg], qop.clone());
            let ch = challenges_of(&srv, NOW, false, &mut rng);
            let mut client = DigestClient::new([Credentials::new("beispiel_123456", "s3cr3t")]);
            let req =
                Request::new("INVITE", "sip:123456@pbx.example.com;transport=tcp").with_body(body);
            let answers = client.respond(&ch, &req, &mut rng).unwrap();
            assert_eq!(answers.len(), 1);
            let a = &answers[0];
            assert_eq!(a.header, AuthorizationHeader::Authorization);
            let creds = parse_credentials(&a.value).unwrap();
            assert_eq!(creds.algorithm, alg);
            assert_eq!(creds.qop, qop.first().copied());
            assert_eq!(creds.response.len(), alg.hash.hex_len());
            let ok = srv.verify(&req, &a.value, NOW + 1, &store()).unwrap();
            assert_eq!(ok.username, "beispiel_123456");
            assert_eq!(ok.algorithm, alg);
            // A wrong password fails with every combination.
            let mut bad = DigestClient::new([Credentials::new("beispiel_123456", "wrong")]);
            let b = bad.respond(&ch, &req, &mut rng).unwrap();
            assert_eq!(
                srv.verify(&req, &b[0].value, NOW + 1, &store()),
                Err(VerifyError::BadResponse),
                "{alg} {qop:?}"
            );
            if qop.first() == Some(&Qop::AuthInt) {
                // auth-int covers the body.
                let tampered = req.with_body(b"v=0\r\n");
                let a2 = client.preemptive(&req, &mut rng).unwrap();
                assert_eq!(
                    srv.verify(&tampered, &a2[0].value, NOW + 1, &store()),
                    Err(VerifyError::BadResponse)
                );
            }
            count += 1;
        }
    }
    assert_eq!(count, 18);
}

#[test]
fn digest_uri_is_the_request_uri_exactly() {
    let mut rng = TestRng(7);
    let mut srv = server(vec![Algorithm::MD5], vec![Qop::Auth]);
    let ch = challenges_of(&srv, NOW, false, &mut rng);
    let mut client = DigestClient::new([Credentials::new("beispiel_123456", "s3cr3t")]);
    let uri = "sip:PBX.example.com:5060;transport=UDP";
    let req = Request::new("REGISTER", uri);
    let a = client.respond(&ch, &req, &mut rng).unwrap();
    assert_eq!(parse_credentials(&a[0].value).unwrap().uri, uri);
    assert!(srv.verify(&req, &a[0].value, NOW, &store()).is_ok());
    let other = Request::new("REGISTER", "sip:pbx.example.com");
    assert!(matches!(
        srv.verify(&other, &a[0].value, NOW, &store()),
        Err(VerifyError::UriMismatch { .. })
    ));
}

#[test]
fn nonce_count_replay_and_reuse() {
    let mut rng = TestRng(1);
    let mut srv = server(vec![Algorithm::SHA_256], vec![Qop::Auth]);
    let ch = challenges_of(&srv, NOW, false, &mut rng);
    let mut client = DigestClient::new([Credentials::new("beispiel_123456", "s3cr3t")]);
    let req = Request::new("REGISTER", "sip:pbx.example.com");
    let first = client.respond(&ch, &req, &mut rng).unwrap();
    assert!(first[0].value.contains("nc=00000001"));
    srv.verify(&req, &first[0].value, NOW, &store()).unwrap();
    // The same header again is a replay.
    assert_eq!(
        srv.verify(&req, &first[0].value, NOW, &store()),
        Err(VerifyError::Replay(1))
    );
    // The client reuses the nonce with nc counted up.
    let second = client.preemptive(&req, &mut rng).unwrap();
    assert!(second[0].value.contains("nc=00000002"));
    srv.verify(&req, &second[0].value, NOW + 10, &store())
        .unwrap();
    let third = client.preemptive(&req, &mut rng).unwrap();
    assert!(third[0].value.contains("nc=00000003"));
    assert_eq!(srv.tracked_nonces(), 1);
    srv.verify(&req, &third[0].value, NOW + 10, &store())
        .unwrap();
}

#[test]
fn stale_nonce_is_answered_again_without_asking() {
    let mut rng = TestRng(2);
    let mut srv = server(vec![Algorithm::MD5], vec![Qop::Auth]);
    let life = srv.config().nonce_lifetime;
    let ch = challenges_of(&srv, NOW, false, &mut rng);
    let mut client = DigestClient::new([Credentials::new("beispiel_123456", "s3cr3t")]);
    let req = Request::new("REGISTER", "sip:pbx.example.com");
    srv.verify(
        &req,
        &client.respond(&ch, &req, &mut rng).unwrap()[0].value,
        NOW,
        &store(),
    )
    .unwrap();
    // An hour later the refresh reuses the old nonce: right password, stale nonce.
    let later = NOW + life + 3600;
    let refresh: Vec<Answer> = client.preemptive(&req, &mut rng).unwrap();
    let err = srv
        .verify(&req, &refresh[0].value, later, &store())
        .unwrap_err();
    assert!(err.is_stale());
    // The server challenges with stale=true; the client answers on its own.
    let ch2 = challenges_of(&srv, later, true, &mut rng);
    let retry = client
        .respond(&ch2, &req.retrying(&refresh), &mut rng)
        .unwrap();
    assert!(
        retry[0].value.contains("nc=00000001"),
        "new nonce, nc restarts"
    );
    srv.verify(&req, &retry[0].value, later, &store()).unwrap();
    // The same, without stale=true, means the password is wrong.
    let ch3 = challenges_of(&srv, later, false, &mut rng);
    assert_eq!(
        client.respond(&ch3, &req.retrying(&retry), &mut rng),
        Err(ClientError::CredentialsRejected {
            realm: "pbx.example.com".into()
        })
    );
    // A wrong password is never reported stale, even with an old nonce.
    let mut bad = DigestClient::new([Credentials::new("beispiel_123456", "nope")]);
    let old = challenges_of(&srv, NOW, false, &mut rng);
    let b = bad.respond(&old, &req, &mut rng).unwrap();
    assert_eq!(
        srv.verify(&req, &b[0].value, later, &store()),
        Err(VerifyError::BadResponse)
    );
}

#[test]
fn expired_nonces_are_pruned() {
    let mut rng = TestRng(3);
    let mut srv = server(vec![Algorithm::MD5], vec![Qop::Auth]);
    let req = Request::new("OPTIONS", "sip:pbx.example.com");
    for i in 0..5 {
        let ch = challenges_of(&srv, NOW + i, false, &mut rng);
        let mut client = DigestClient::new([Credentials::new("beispiel_123456", "s3cr3t")]);
        let a = client.respond(&ch, &req, &mut rng).unwrap();
        srv.verify(&req, &a[0].value, NOW + i, &store()).unwrap();
    }
    assert_eq!(srv.tracked_nonces(), 5);
    // Lifetime 300 s: those issued at NOW, NOW+1, NOW+2 have expired at NOW+302.
    srv.prune(NOW + 302);
    assert_eq!(srv.tracked_nonces(), 2);
    srv.prune(NOW + 10_000);
    assert_eq!(srv.tracked_nonces(), 0);
}

#[test]
fn table_overflow_makes_old_nonces_stale_not_replayable() {
    let mut rng = TestRng(4);
    let mut cfg = ServerConfig::new("pbx.example.com");
    cfg.max_tracked_nonces = 2;
    let mut srv = DigestServer::new(cfg, KEY);
    let req = Request::new("OPTIONS", "sip:pbx.example.com");
    let mut first = None;
    for i in 0..3 {
        let mut ch = Challenges::new();
        for v in srv.challenge_values(NOW + i, false, &mut rng) {
            ch.add(ChallengeHeader::WwwAuthenticate, &v).unwrap();
        }
        let mut client = DigestClient::new([Credentials::new("beispiel_123456", "s3cr3t")]);
        let a = client.respond(&ch, &req, &mut rng).unwrap();
        srv.verify(&req, &a[0].value, NOW + i, &store()).unwrap();
        first.get_or_insert(a[0].value.clone());
    }
    assert_eq!(srv.tracked_nonces(), 2);
    // The evicted first nonce is stale now, so its nc=1 cannot be replayed.
    assert_eq!(
        srv.verify(&req, first.as_ref().unwrap(), NOW + 3, &store()),
        Err(VerifyError::Stale)
    );
}

#[test]
fn forged_or_foreign_nonces_are_invalid() {
    let mut rng = TestRng(5);
    let mut srv = server(vec![Algorithm::MD5], vec![Qop::Auth]);
    let other = DigestServer::new(ServerConfig::new("pbx.example.com"), b"another secret key");
    let mut ch = Challenges::new();
    for v in other.challenge_values(NOW, false, &mut rng) {
        ch.add(ChallengeHeader::WwwAuthenticate, &v).unwrap();
    }
    let mut client = DigestClient::new([Credentials::new("beispiel_123456", "s3cr3t")])
        .with_policy(AlgorithmPolicy::ServerOrder);
    let req = Request::new("REGISTER", "sip:pbx.example.com");
    let a = client.respond(&ch, &req, &mut rng).unwrap();
    // other offers SHA-256 first; our server only MD5.
    assert_eq!(
        srv.verify(&req, &a[0].value, NOW, &store()),
        Err(VerifyError::AlgorithmNotOffered("SHA-256".into()))
    );
    let mut client = DigestClient::new([Credentials::new("beispiel_123456", "s3cr3t")]);
    let mut md5_only = Challenges::new();
    for d in other.challenges(NOW, false, &mut rng) {
        if d.algorithm == Algorithm::MD5 {
            md5_only.push(
                ChallengeHeader::WwwAuthenticate,
                heron_sip_auth::Challenge::Digest(d),
            );
        }
    }
    let a = client.respond(&md5_only, &req, &mut rng).unwrap();
    assert_eq!(
        srv.verify(&req, &a[0].value, NOW, &store()),
        Err(VerifyError::InvalidNonce)
    );
    // A nonce from the future is refused too.
    let ch = challenges_of(&srv, NOW + 3600, false, &mut rng);
    let a = client.respond(&ch, &req, &mut rng).unwrap();
    assert_eq!(
        srv.verify(&req, &a[0].value, NOW, &store()),
        Err(VerifyError::InvalidNonce)
    );
}

#[test]
fn strongest_or_topmost_challenge() {
    let mut rng = TestRng(6);
    let mut ch = Challenges::new();
    ch.add(
        ChallengeHeader::WwwAuthenticate,
        r#"Digest realm="r", nonce="a", algorithm=MD5, qop="auth""#,
    )
    .unwrap();
    ch.add(
        ChallengeHeader::WwwAuthenticate,
        r#"Digest realm="r", nonce="b", algorithm=SHA-256-sess, qop="auth", Digest realm="r", nonce="c", algorithm=SHA-512-256, qop="auth", Digest realm="r", nonce="d", algorithm=SHA3-512, qop="auth""#,
    )
    .unwrap();
    let req = Request::new("REGISTER", "sip:r");
    let mut strongest = DigestClient::new([Credentials::new("u", "p")]);
    let a = strongest.respond(&ch, &req, &mut rng).unwrap();
    assert_eq!(a.len(), 1, "one answer per realm");
    assert_eq!(
        parse_credentials(&a[0].value).unwrap().algorithm,
        Algorithm::SHA_512_256
    );
    let mut topmost =
        DigestClient::new([Credentials::new("u", "p")]).with_policy(AlgorithmPolicy::ServerOrder);
    let a = topmost.respond(&ch, &req, &mut rng).unwrap();
    assert_eq!(
        parse_credentials(&a[0].value).unwrap().algorithm,
        Algorithm::MD5
    );
    // A stored MD5 H(A1) can only answer the MD5 challenge.
    let ha1 = HashAlgorithm::Md5.hex_joined(&[b"u", b"r", b"p"]);
    let mut stored =
        DigestClient::new([Credentials::new("u", Secret::ha1(HashAlgorithm::Md5, ha1))]);
    let a = stored.respond(&ch, &req, &mut rng).unwrap();
    assert_eq!(
        parse_credentials(&a[0].value).unwrap().algorithm,
        Algorithm::MD5
    );
}

#[test]
fn several_realms_proxy_and_uas() {
    let mut rng = TestRng(8);
    let mut ch = Challenges::new();
    ch.add(
        ChallengeHeader::ProxyAuthenticate,
        r#"Digest realm="proxy.example.net", nonce="p1", qop="auth""#,
    )
    .unwrap();
    ch.add(
        ChallengeHeader::WwwAuthenticate,
        r#"Digest realm="pbx.example.com", nonce="u1", qop="auth""#,
    )
    .unwrap();
    ch.add(
        ChallengeHeader::WwwAuthenticate,
        r#"Digest realm="elsewhere", nonce="x""#,
    )
    .unwrap();
    let mut client = DigestClient::new([
        Credentials::new("trunk", "t").for_realm("proxy.example.net"),
        Credentials::new("beispiel_123456", "s").for_realm("pbx.example.com"),
    ]);
    let req = Request::new("INVITE", "sip:+4930555000@pbx.example.com");
    let a = client.respond(&ch, &req, &mut rng).unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].header, AuthorizationHeader::ProxyAuthorization);
    assert!(a[0].value.starts_with(r#"Digest username="trunk""#));
    assert_eq!(a[1].header, AuthorizationHeader::Authorization);
    assert!(a[1]
        .value
        .starts_with(r#"Digest username="beispiel_123456""#));
    // Only the UAS challenges again (stale): the proxy's answer is renewed too.
    let mut ch2 = Challenges::new();
    ch2.add(
        ChallengeHeader::WwwAuthenticate,
        r#"Digest realm="pbx.example.com", nonce="u2", qop="auth", stale=true"#,
    )
    .unwrap();
    let b = client.respond(&ch2, &req.retrying(&a), &mut rng).unwrap();
    assert_eq!(b.len(), 2);
    assert!(b[0].value.contains(r#"nonce="u2""#) && b[0].value.contains("nc=00000001"));
    assert_eq!(b[1].header, AuthorizationHeader::ProxyAuthorization);
    assert!(b[1].value.contains(r#"nonce="p1""#) && b[1].value.contains("nc=00000002"));
    // Only a realm we have no credentials for.
    let mut ch3 = Challenges::new();
    ch3.add(
        ChallengeHeader::WwwAuthenticate,
        r#"Digest realm="elsewhere", nonce="x""#,
    )
    .unwrap();
    assert_eq!(
        client.respond(&ch3, &req, &mut rng),
        Err(ClientError::NoCredentials {
            realms: vec!["elsewhere".into()]
        })
    );
    // Nothing Digest at all.
    let mut ch4 = Challenges::new();
    ch4.add(
        ChallengeHeader::WwwAuthenticate,
        r#"Basic realm="x", Bearer"#,
    )
    .unwrap();
    assert_eq!(
        client.respond(&ch4, &req, &mut rng),
        Err(ClientError::NoSupportedChallenge)
    );
}

#[test]
fn userhash_and_opaque() {
    let mut rng = TestRng(9);
    let mut cfg = ServerConfig::new("pbx.example.com");
    cfg.algorithms = vec![Algorithm::SHA_512_256];
    cfg.userhash = true;
    cfg.opaque = Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS".into());
    let mut srv = DigestServer::new(cfg, KEY);
    let ch = challenges_of(&srv, NOW, false, &mut rng);
    let mut client =
        DigestClient::new([Credentials::new("J\u{e4}s\u{f8}n Doe", "Secret, or not?")]);
    let req = Request::new("REGISTER", "sip:pbx.example.com");
    let a = client.respond(&ch, &req, &mut rng).unwrap();
    let creds = parse_credentials(&a[0].value).unwrap();
    assert!(creds.userhash);
    assert!(!a[0].value.contains("J\u{e4}s"), "the username is hidden");
    assert_eq!(
        creds.opaque.as_deref(),
        Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
    );
    let users = StaticCredentials::new()
        .with("someone else", "x")
        .with("J\u{e4}s\u{f8}n Doe", "Secret, or not?");
    let ok = srv.verify(&req, &a[0].value, NOW, &users).unwrap();
    assert_eq!(ok.username, "J\u{e4}s\u{f8}n Doe");
    // A missing opaque is refused.
    let stripped = a[0].value.replace(
        r#", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        "",
    );
    assert_eq!(
        srv.verify(&req, &stripped, NOW, &users),
        Err(VerifyError::OpaqueMismatch)
    );
}

#[test]
fn qop_downgrade_and_unknown_user_are_refused() {
    let mut rng = TestRng(10);
    let mut srv = server(vec![Algorithm::MD5], vec![Qop::Auth]);
    let nonce = srv.nonce(NOW, &mut rng);
    let mut ch = Challenges::new();
    ch.add(
        ChallengeHeader::WwwAuthenticate,
        &format!(r#"Digest realm="pbx.example.com", nonce="{nonce}""#),
    )
    .unwrap();
    let mut client = DigestClient::new([Credentials::new("beispiel_123456", "s3cr3t")]);
    let req = Request::new("REGISTER", "sip:pbx.example.com");
    let a = client.respond(&ch, &req, &mut rng).unwrap();
    assert_eq!(
        srv.verify(&req, &a[0].value, NOW, &store()),
        Err(VerifyError::QopNotOffered("(none)".into()))
    );
    let ch = challenges_of(&srv, NOW, false, &mut rng);
    let mut stranger = DigestClient::new([Credentials::new("nobody", "x")]);
    let a = stranger.respond(&ch, &req, &mut rng).unwrap();
    assert_eq!(
        srv.verify(&req, &a[0].value, NOW, &store()),
        Err(VerifyError::UnknownUser)
    );
    assert!(matches!(
        srv.verify(&req, "Digest username=\"x\"", NOW, &store()),
        Err(VerifyError::Malformed(_))
    ));
}

#[test]
fn header_injection_is_refused() {
    let mut rng = TestRng(11);
    let mut ch = Challenges::new();
    ch.add(
        ChallengeHeader::WwwAuthenticate,
        r#"Digest realm="r", nonce="n""#,
    )
    .unwrap();
    let mut client = DigestClient::new([Credentials::new("u\r\nVia: evil", "p")]);
    assert_eq!(
        client.respond(&ch, &Request::new("REGISTER", "sip:r"), &mut rng),
        Err(ClientError::InvalidValue { what: "username" })
    );
    let mut client = DigestClient::new([Credentials::new("u", "p")]);
    assert_eq!(
        client.respond(&ch, &Request::new("REGISTER", "sip:r\n"), &mut rng),
        Err(ClientError::InvalidValue {
            what: "request URI"
        })
    );
    let mut folded = Challenges::new();
    folded
        .add(
            ChallengeHeader::WwwAuthenticate,
            "Digest realm=\"r\", nonce=\"a\r\nb\"",
        )
        .unwrap();
    assert_eq!(
        client.respond(&folded, &Request::new("REGISTER", "sip:r"), &mut rng),
        Err(ClientError::InvalidValue { what: "nonce" })
    );
}

#[test]
fn secrets_never_in_debug() {
    let client = DigestClient::new([
        Credentials::new("u", "hunter2hunter2"),
        Credentials::new(
            "v",
            Secret::ha1(HashAlgorithm::Md5, "aabbccddeeff00112233445566778899"),
        ),
    ]);
    let d = format!("{client:?}");
    assert!(!d.contains("hunter2"), "{d}");
    assert!(!d.contains("aabbccdd"), "{d}");
    let srv = DigestServer::new(ServerConfig::new("r"), b"server-secret-key-material");
    assert!(!format!("{srv:?}").contains("server-secret"));
    let users = StaticCredentials::new().with("u", "hunter2hunter2");
    assert!(!format!("{users:?}").contains("hunter2"));
}
