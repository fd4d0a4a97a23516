//! Challenges and credentials as real servers and phones wrote them: the
//! 401/407 responses and Authorization headers of
//! `../shared/testdata/vendor-sip/*.sip` (Asterisk, FreeSWITCH, 3CX, Cisco,
//! Lucent, RingCentral, Yealink, Avaya; see MANIFEST.tsv), and challenges in
//! the documented formats of Kamailio, 3CX and Cisco CUCM.

mod common;

use common::{header_values, TestRng};
use heron_sip_auth::compute::{response, DigestInput};
use heron_sip_auth::{
    parse_challenges, parse_credentials, Algorithm, Challenge, ChallengeHeader, Challenges,
    Credentials, DigestChallenge, DigestClient, Qop, Request, Secret,
};

const CHALLENGE_HEADERS: [&str; 2] = ["WWW-Authenticate", "Proxy-Authenticate"];
const CREDENTIAL_HEADERS: [&str; 2] = ["Authorization", "Proxy-Authorization"];

fn read(name: &str) -> Vec<u8> {
    let path = common::testdata(&format!("vendor-sip/{name}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = common::testdata("vendor-sip");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sip"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn challenges_in(message: &[u8]) -> Challenges {
    let mut ch = Challenges::new();
    for (name, value) in header_values(message, &CHALLENGE_HEADERS) {
        let h = if name == "WWW-Authenticate" {
            ChallengeHeader::WwwAuthenticate
        } else {
            ChallengeHeader::ProxyAuthenticate
        };
        ch.add(h, &value).unwrap_or_else(|e| panic!("{value}: {e}"));
    }
    ch
}

fn only_digest(ch: &Challenges) -> DigestChallenge {
    let all: Vec<_> = ch.digest().collect();
    assert_eq!(all.len(), 1, "{ch:?}");
    all[0].1.clone()
}

fn request_line(message: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(message);
    let line = text.lines().next().unwrap();
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap().to_owned();
    let uri = parts.next().unwrap().to_owned();
    (method, uri)
}

/// Every auth header in the corpus parses.
#[test]
fn every_auth_header_in_the_corpus_parses() {
    let mut challenges = 0;
    let mut credentials = 0;
    for (name, msg) in corpus() {
        for (_, v) in header_values(&msg, &CHALLENGE_HEADERS) {
            let l = parse_challenges(&v).unwrap_or_else(|e| panic!("{name}: {v}: {e}"));
            assert!(
                l.iter().all(|c| matches!(c, Challenge::Digest(_))),
                "{name}"
            );
            challenges += 1;
        }
        for (_, v) in header_values(&msg, &CREDENTIAL_HEADERS) {
            let c = parse_credentials(&v).unwrap_or_else(|e| panic!("{name}: {v}: {e}"));
            // Writing and re-reading keeps every field.
            assert_eq!(
                parse_credentials(&c.to_header_value()).unwrap(),
                c,
                "{name}"
            );
            credentials += 1;
        }
    }
    assert_eq!(challenges, 6, "401/407 challenges in the corpus");
    assert_eq!(credentials, 9, "Authorization headers in the corpus");
}

#[test]
fn asterisk_pjsip_401() {
    let d = only_digest(&challenges_in(&read("002-ast-pjsip-401-invite.sip")));
    assert_eq!(d.realm, "asterisk");
    assert_eq!(d.nonce, "1413305427/8dd1b7f56aba97da45754f7052d8a688");
    assert_eq!(d.opaque.as_deref(), Some("3b9c806b61adf911"));
    assert_eq!(d.algorithm, Algorithm::MD5, "lowercase md5");
    assert_eq!(d.qop, Some(vec![Qop::Auth]));
}

#[test]
fn asterisk_chan_sip_401_without_qop() {
    let d = only_digest(&challenges_in(&read("006-ast-chansip-401-subscribe.sip")));
    assert_eq!(
        (d.realm.as_str(), d.nonce.as_str()),
        ("asterisk", "522456f4")
    );
    assert_eq!(d.qop, None, "RFC 2069 style");
}

#[test]
fn freeswitch_401_compact_without_space() {
    let d = only_digest(&challenges_in(&read(
        "012-freeswitch-401-register-compact.sip",
    )));
    assert_eq!(d.realm, "test21.example.com");
    assert_eq!(d.nonce, "ab84b282-99e9-41f2-87bd-e78aff5fdf07");
    assert_eq!(d.qop, Some(vec![Qop::Auth]));
}

#[test]
fn lucent_401_folded() {
    let d = only_digest(&challenges_in(&read("026-lucent-401-folded-auth.sip")));
    assert_eq!(d.realm, "aP3nFt10ziWg41Su4s8");
    assert_eq!(d.nonce, "d6cb083cced5583c140c5f99eb81feda");
    assert_eq!(
        d.opaque.as_deref(),
        Some("f2a62109ee6526c8760e4e7497861aac")
    );
}

#[test]
fn carrier_and_ringcentral_407() {
    let ch = challenges_in(&read("046-carrier-407-proxy-auth.sip"));
    let (h, d) = ch.digest().next().unwrap();
    assert_eq!(h, ChallengeHeader::ProxyAuthenticate);
    assert_eq!(d.realm, "example.net");
    assert!(!d.algorithm_explicit);
    let d = only_digest(&challenges_in(&read("054-ringcentral-407.sip")));
    assert_eq!(d.nonce, "Yd2PCmHdjd5fM72qyv1Ey8/15BPq8aRH");
}

/// Our answer to a recorded challenge has the same shape as the answer the
/// real phone sent: same realm, nonce, digest-uri, qop, nc, opaque, algorithm.
/// (The phones' `response` values no longer verify: the corpus was anonymised.)
#[test]
fn our_answers_match_what_real_phones_sent() {
    let pairs = [
        // (challenge, request with the phone's answer, header the answer goes in)
        (
            "002-ast-pjsip-401-invite.sip",
            "003-ast-d40-invite-auth.sip",
        ),
        (
            "012-freeswitch-401-register-compact.sip",
            "013-yealink-t27g-register-auth.sip",
        ),
        (
            "054-ringcentral-407.sip",
            "053-avaya-j169-invite-replaces-srtp.sip",
        ),
    ];
    for (challenge_file, request_file) in pairs {
        let ch = challenges_in(&read(challenge_file));
        let req_msg = read(request_file);
        let (method, uri) = request_line(&req_msg);
        let (header, phone_value) = header_values(&req_msg, &CREDENTIAL_HEADERS)
            .into_iter()
            .next()
            .unwrap();
        let phone = parse_credentials(&phone_value).unwrap();
        let mut client = DigestClient::new([Credentials::new(phone.username.clone(), "pw")]);
        let body = b"";
        let answers = client
            .respond(
                &ch,
                &Request::new(&method, &uri).with_body(body),
                &mut TestRng(1),
            )
            .unwrap();
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].header.name(), header, "{request_file}");
        let ours = parse_credentials(&answers[0].value).unwrap();
        assert_eq!(ours.username, phone.username, "{request_file}");
        assert_eq!(ours.realm, phone.realm, "{request_file}");
        assert_eq!(ours.nonce, phone.nonce, "{request_file}");
        assert_eq!(
            ours.uri, phone.uri,
            "{request_file}: digest-uri = Request-URI"
        );
        assert_eq!(ours.qop, phone.qop, "{request_file}");
        assert_eq!(ours.nc, phone.nc, "{request_file}");
        assert_eq!(ours.opaque, phone.opaque, "{request_file}");
        assert_eq!(ours.algorithm, phone.algorithm, "{request_file}");
        // And our response is the digest of what we sent.
        let input = DigestInput {
            algorithm: ours.algorithm,
            username: &ours.username,
            realm: &ours.realm,
            nonce: &ours.nonce,
            cnonce: ours.cnonce.as_deref(),
            nc: ours.nc,
            qop: ours.qop,
            method: &method,
            uri: &uri,
            body,
        };
        assert_eq!(
            Some(ours.response),
            response(&input, &Secret::password("pw"))
        );
    }
}

#[test]
fn recorded_3cx_and_cisco_credentials() {
    let c = parse_credentials(
        &header_values(&read("027-htek-invite-3cx-av.sip"), &CREDENTIAL_HEADERS)[0].1,
    )
    .unwrap();
    assert_eq!(c.realm, "3CXPhoneSystem");
    assert_eq!(
        c.nonce,
        "414d535c197c078b00:5f63503c2d8d814e5f902c768c300a5f"
    );
    assert_eq!(c.qop, None);
    let c = parse_credentials(
        &header_values(&read("019-cisco-7960-ack-rpid.sip"), &CREDENTIAL_HEADERS)[0].1,
    )
    .unwrap();
    assert_eq!(c.username, "alice");
    assert_eq!(c.algorithm, Algorithm::MD5);
}

/// Challenges in the formats the servers' documentation and source write.
#[test]
fn documented_server_formats() {
    // (who, header value, expected algorithm, expected qop, stale)
    type Case = (
        &'static str,
        &'static str,
        Algorithm,
        Option<Vec<Qop>>,
        bool,
    );
    let cases: [Case; 6] = [
        // Kamailio auth module: www_challenge("$td", "1"), then with stale=true
        // and with the SHA-256 algorithm setting.
        (
            "kamailio",
            r#"Digest realm="kamailio.example.com", nonce="Zb1r2mWNuh7l8zVjNjBuP0qoxL8AAiU6", qop="auth""#,
            Algorithm::MD5,
            Some(vec![Qop::Auth]),
            false,
        ),
        (
            "kamailio stale",
            r#"Digest realm="kamailio.example.com", nonce="Zb1sBmWNvM1RkMxuS/7mN3QqZs4AAiVB", stale=true, qop="auth", algorithm=MD5"#,
            Algorithm::MD5,
            Some(vec![Qop::Auth]),
            true,
        ),
        (
            "kamailio sha-256 auth-int",
            r#"Digest realm="kamailio.example.com", nonce="Zb1sBmWNvM1RkMxuS+7mN3QqZs4AAiVB", qop="auth,auth-int", algorithm=SHA-256"#,
            Algorithm::SHA_256,
            Some(vec![Qop::Auth, Qop::AuthInt]),
            false,
        ),
        // 3CX: nonce first, no spaces.
        (
            "3cx",
            r#"Digest nonce="414d535c0ab1e67f84:5c2c6b4bc41d2d8c5e7a63f0dbd6bc0c",algorithm=MD5,realm="3CXPhoneSystem""#,
            Algorithm::MD5,
            None,
            false,
        ),
        // Cisco CUCM SIP line.
        (
            "cucm",
            r#"Digest realm="ccmsipline", nonce="Xj1m3L0N6Ub9wM7R3b8jjyH2ngaP8bYW", algorithm=MD5"#,
            Algorithm::MD5,
            None,
            false,
        ),
        // FreeSWITCH offering RFC 8760 algorithms in one line.
        (
            "freeswitch sha",
            r#"Digest realm="fs.example.com", nonce="6e1c3b8e-5f41-4b6e-a1f0-0c5c4c1f2e0d", algorithm=SHA-512-256, qop="auth", Digest realm="fs.example.com", nonce="6e1c3b8e-5f41-4b6e-a1f0-0c5c4c1f2e0d", algorithm=MD5, qop="auth""#,
            Algorithm::SHA_512_256,
            Some(vec![Qop::Auth]),
            false,
        ),
    ];
    for (who, value, alg, qop, stale) in cases {
        let l = parse_challenges(value).unwrap_or_else(|e| panic!("{who}: {e}"));
        let Challenge::Digest(d) = &l[0] else {
            panic!("{who}")
        };
        assert_eq!(d.algorithm, alg, "{who}");
        assert_eq!(d.qop, qop, "{who}");
        assert_eq!(d.stale, stale, "{who}");
        let mut ch = Challenges::new();
        ch.add(ChallengeHeader::WwwAuthenticate, value).unwrap();
        let mut client = DigestClient::new([Credentials::new("beispiel_123456", "pw")]);
        let req = Request::new("REGISTER", "sip:pbx.example.com");
        let a = client.respond(&ch, &req, &mut TestRng(3)).unwrap();
        let ours = parse_credentials(&a[0].value).unwrap();
        assert_eq!(ours.algorithm, alg, "{who}: strongest offered");
        assert_eq!(ours.realm, d.realm, "{who}");
    }
}
