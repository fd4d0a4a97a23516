//! Fuzz target: URI and name-addr parsing, comparison and canonical form.
#![no_main]

use heron_sip::headers::NameAddr;
use heron_sip::{canonical_uri, Uri};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(u) = Uri::parse(s) {
        assert!(u.equivalent(&u), "equivalence is reflexive");
        let _ = canonical_uri(&u);
        let printed = u.to_string();
        let again = Uri::parse(&printed).expect("printed URI parses");
        assert!(again.equivalent(&u), "printing keeps the meaning");
    }
    if let Ok(a) = NameAddr::parse(s) {
        let _ = a.display_name();
        let _ = a.to_string();
    }
    let _ = heron_sip::e164::normalize(s, None);
});
