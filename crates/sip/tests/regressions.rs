//! Inputs the fuzzers found; each once made the parser panic or broke an
//! invariant.

use bytes::Bytes;
use heron_sip::{Message, Uri};

#[test]
fn multibyte_character_at_start_line_offset_four() {
    // A start line whose fourth byte is inside U+FEFF.
    let r = Message::parse(Bytes::from_static("~:\u{feff}大停電\r\n\r\n".as_bytes()));
    assert!(r.is_err());
    let r = Message::parse(Bytes::from_static(
        "SIP\u{e9}/2.0 200 OK\r\n\r\n".as_bytes(),
    ));
    assert!(r.is_err());
}

#[test]
fn repeated_uri_parameters_keep_equivalence_reflexive() {
    let u = Uri::parse("tel:+49-30-555;ext=1tel:+49-30-555;ext=1").unwrap();
    assert!(u.equivalent(&u));
}
