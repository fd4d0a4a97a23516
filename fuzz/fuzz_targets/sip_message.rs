//! Fuzz target: the datagram message parser, validation, typed headers,
//! canonical form and writer.
#![no_main]

use bytes::Bytes;
use heron_sip::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::parse(Bytes::copy_from_slice(data)) {
        let _ = m.validate();
        let _ = m.check_all_headers();
        let _ = m.canonical_lines();
        let out = m.to_bytes();
        // What we write must parse again.
        let again = Message::parse(out).expect("written message parses");
        assert_eq!(again.canonical_lines(), m.canonical_lines());
    }
});
