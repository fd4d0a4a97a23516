//! Fuzz target: the TCP/TLS stream decoder fed in chunks whose sizes come
//! from the input itself.
#![no_main]

use heron_sip::{Limits, StreamDecoder, StreamItem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    let step = usize::from(step).max(1);
    let mut d = StreamDecoder::new(Limits {
        max_header_bytes: 4096,
        max_body_bytes: 4096,
        max_headers: 64,
    });
    for chunk in rest.chunks(step) {
        if d.push(chunk).is_err() {
            return;
        }
        loop {
            match d.next_item() {
                Ok(Some(StreamItem::Message(m))) => {
                    let _ = m.validate();
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
    assert!(d.buffered() <= 8192);
});
