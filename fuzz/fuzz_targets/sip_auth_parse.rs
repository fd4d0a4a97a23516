//! Fuzz the Digest challenge and credentials parsers of heron-sip-auth, and
//! the client answering whatever challenges parse.
#![no_main]

use heron_sip_auth::{
    parse_challenges, parse_credentials, ChallengeHeader, Challenges, Credentials, DigestClient,
    Request,
};
use libfuzzer_sys::fuzz_target;

struct Zero;

impl rand_core::RngCore for Zero {
    fn next_u32(&mut self) -> u32 {
        0
    }
    fn next_u64(&mut self) -> u64 {
        0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(0);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        dest.fill(0);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    let _ = parse_credentials(s);
    if parse_challenges(s).is_ok() {
        let mut ch = Challenges::new();
        if ch.add(ChallengeHeader::WwwAuthenticate, s).is_ok() {
            let mut client = DigestClient::new([Credentials::new("u", "p")]);
            if let Ok(answers) = client.respond(&ch, &Request::new("REGISTER", "sip:x"), &mut Zero) {
                for a in answers {
                    // What we write, we must read back.
                    assert!(parse_credentials(&a.value).is_ok(), "{}", a.value);
                }
            }
        }
    }
});
