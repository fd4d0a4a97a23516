//! Fuzz the compound RTCP parser and every packet view.
#![no_main]

use heron_rtp::rtcp::{RtcpCompound, RtcpPacket};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for p in RtcpCompound::new(data) {
        match p {
            Ok(RtcpPacket::SenderReport(s)) => s.report_blocks().for_each(drop),
            Ok(RtcpPacket::ReceiverReport(r)) => r.report_blocks().for_each(drop),
            Ok(RtcpPacket::SourceDescription(s)) => {
                for c in s.chunks() {
                    c.items().for_each(drop);
                }
            }
            Ok(RtcpPacket::Bye(b)) => b.ssrcs().for_each(drop),
            _ => {}
        }
    }
});
