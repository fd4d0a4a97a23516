//! Arbitrary datagrams and stream chunks into a heron-sip-stack endpoint:
//! nothing may panic, and whatever is answered must parse.
#![no_main]

use bytes::Bytes;
use heron_sip_stack::{ConnectionId, Endpoint, EndpointConfig, TransportKind};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

/// A fixed xorshift generator: the endpoint's tags and branches.
struct Xorshift(u64);

impl rand_core::RngCore for Xorshift {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand_core::impls::fill_bytes_via_next(self, dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let local = "192.0.2.1:5060".parse().unwrap();
    let remote = "192.0.2.2:5070".parse().unwrap();
    let mut ep = Endpoint::new(EndpointConfig::default(), Xorshift(0x9e37_79b9_7f4a_7c15));
    ep.add_listener(TransportKind::Udp, local, None);
    ep.add_listener(TransportKind::Tcp, local, None);
    let start = Instant::now();
    let conn: ConnectionId = ep.connection_opened(start, TransportKind::Tcp, local, remote);
    // Chunks separated by 0xff: even ones as datagrams, odd ones as stream
    // bytes; time moves 100 ms per chunk.
    for (i, chunk) in data.split(|b| *b == 0xff).enumerate() {
        let now = start + Duration::from_millis(100 * i as u64);
        if i % 2 == 0 {
            ep.handle_datagram(now, TransportKind::Udp, local, remote, Bytes::copy_from_slice(chunk));
        } else {
            ep.handle_stream_data(now, conn, chunk);
        }
        ep.handle_timeout(now);
        while let Some(t) = ep.poll_transmit() {
            if t.payload.len() > 4 {
                let _ = heron_sip::Message::parse(t.payload);
            }
        }
        while ep.poll_event().is_some() {}
        while ep.poll_command().is_some() {}
    }
    ep.handle_timeout(start + Duration::from_secs(3600));
    assert!(ep.poll_timeout().is_none() || ep.transaction_count() > 0);
});
