//! Criterion benchmarks: parsing a challenge, answering it, parsing the answer.
#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use heron_sip_auth::{
    parse_challenges, parse_credentials, Algorithm, ChallengeHeader, Challenges, Credentials,
    DigestClient, DigestServer, Request, ServerConfig, StaticCredentials,
};
use rand_core::{impls, RngCore};

/// A fixed-sequence RNG so runs are comparable.
struct Counter(u64);

impl RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        impls::fill_bytes_via_next(self, dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

const ASTERISK: &str = r#"Digest realm="asterisk",nonce="1413305427/8dd1b7f56aba97da45754f7052d8a688",opaque="3b9c806b61adf911",algorithm=md5,qop="auth""#;

fn bench(c: &mut Criterion) {
    c.bench_function("parse_challenge_asterisk", |b| {
        b.iter(|| parse_challenges(black_box(ASTERISK)).unwrap())
    });
    for alg in [Algorithm::MD5, Algorithm::SHA_256, Algorithm::SHA_512_256] {
        let value = format!(
            r#"Digest realm="asterisk", nonce="1413305427/8dd1b7f56aba97da45754f7052d8a688", algorithm={alg}, qop="auth""#
        );
        let mut ch = Challenges::new();
        ch.add(ChallengeHeader::WwwAuthenticate, &value).unwrap();
        let mut client = DigestClient::new([Credentials::new("1001", "secret")]);
        let mut rng = Counter(1);
        let req = Request::new("REGISTER", "sip:pbx.example.com");
        c.bench_function(&format!("answer_{alg}"), |b| {
            b.iter(|| client.respond(black_box(&ch), &req, &mut rng).unwrap())
        });
        let answer = client.respond(&ch, &req, &mut rng).unwrap().remove(0).value;
        c.bench_function(&format!("parse_credentials_{alg}"), |b| {
            b.iter(|| parse_credentials(black_box(&answer)).unwrap())
        });
    }
    let mut cfg = ServerConfig::new("pbx.example.com");
    cfg.algorithms = vec![Algorithm::SHA_256];
    let mut server = DigestServer::new(cfg, b"bench key material");
    let users = StaticCredentials::new().with("1001", "secret");
    let req = Request::new("REGISTER", "sip:pbx.example.com");
    let mut rng = Counter(7);
    // Time advances a second per round, so the nonce table stays at its
    // steady-state size (one nonce lifetime) instead of filling up.
    let mut now = 1_700_000_000u64;
    c.bench_function("server_challenge_and_verify_SHA-256", |b| {
        b.iter(|| {
            now += 1;
            let mut ch = Challenges::new();
            for v in server.challenge_values(now, false, &mut rng) {
                ch.add(ChallengeHeader::WwwAuthenticate, &v).unwrap();
            }
            let mut client = DigestClient::new([Credentials::new("1001", "secret")]);
            let a = client.respond(&ch, &req, &mut rng).unwrap();
            server.verify(&req, &a[0].value, now, &users).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
