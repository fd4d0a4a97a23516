//! Fuzz the RFC 4733 telephone-event decoder and receiver state machine.
#![no_main]

use heron_rtp::dtmf::{DtmfReceiver, TelephoneEvent};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let _ = TelephoneEvent::parse(data);
    let now = Instant::now();
    let mut rx = DtmfReceiver::new(8000);
    for (i, chunk) in data.chunks(8).enumerate() {
        if chunk.len() < 4 {
            break;
        }
        let ts = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let _ = rx.on_packet(now + Duration::from_millis(20 * i as u64), ts, &chunk[4..]);
    }
    let _ = rx.handle_timeout(now + Duration::from_secs(5));
});
