//! Fuzz the RTP packet view: parsing, header fields and RFC 8285 elements.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = heron_rtp::rtp::RtpPacket::parse(data) {
        let _ = (p.sequence_number(), p.timestamp(), p.payload().len(), p.csrcs().count());
        if let Some(ext) = p.extension() {
            for e in ext.elements() {
                let _ = e;
            }
        }
    }
    let _ = heron_rtp::demux::classify(data);
});
