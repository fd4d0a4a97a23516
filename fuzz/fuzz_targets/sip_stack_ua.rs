//! Arbitrary datagrams into a heron-sip-stack user agent over its endpoint:
//! the agent answers every call, offer and transfer; nothing may panic and
//! time runs on so every timer fires.
#![no_main]

use bytes::Bytes;
use heron_sip_stack::ua::{Ua, UaConfig, UaEvent};
use heron_sip_stack::{Endpoint, EndpointConfig, TransportKind};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

/// A fixed xorshift generator for tags, branches and jitter.
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

fn act(ua: &mut Ua, ep: &mut Endpoint, now: Instant) {
    while let Some(e) = ua.poll_event() {
        let sdp = Bytes::from_static(b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n");
        let _ = match e {
            UaEvent::IncomingCall { call, .. } => ua
                .ring(ep, now, call, None)
                .and_then(|_| ua.answer(ep, now, call, Some(sdp))),
            UaEvent::OfferReceived { call, .. } => ua.respond_offer(ep, now, call, sdp),
            UaEvent::TransferRequested { call, .. } => {
                ua.accept_transfer(ep, now, call, Some(sdp)).map(|_| ())
            }
            UaEvent::Answered { call, sdp: Some(_) } => ua.ack_answer(ep, now, call, sdp),
            _ => Ok(()),
        };
    }
}

fuzz_target!(|data: &[u8]| {
    let local = "192.0.2.1:5060".parse().unwrap();
    let remote = "192.0.2.2:5070".parse().unwrap();
    let mut ep = Endpoint::new(EndpointConfig::default(), Xorshift(0x9e37_79b9_7f4a_7c15));
    ep.add_listener(TransportKind::Udp, local, None);
    let mut ua = Ua::new(UaConfig::new("sip:agent@192.0.2.1"), Xorshift(7));
    let start = Instant::now();
    // Chunks separated by 0xff are datagrams, 200 ms apart.
    for (i, chunk) in data.split(|b| *b == 0xff).enumerate() {
        let now = start + Duration::from_millis(200 * i as u64);
        ep.handle_datagram(now, TransportKind::Udp, local, remote, Bytes::copy_from_slice(chunk));
        ep.handle_timeout(now);
        ua.handle_timeout(&mut ep, now);
        while let Some(e) = ep.poll_event() {
            ua.handle_event(&mut ep, now, e);
            act(&mut ua, &mut ep, now);
        }
        while ep.poll_transmit().is_some() {}
    }
    // Let every timer run out.
    let mut now = start;
    for _ in 0..200 {
        let next = [ep.poll_timeout(), ua.poll_timeout()].into_iter().flatten().min();
        let Some(t) = next else { break };
        now = now.max(t);
        ep.handle_timeout(now);
        ua.handle_timeout(&mut ep, now);
        while let Some(e) = ep.poll_event() {
            ua.handle_event(&mut ep, now, e);
            act(&mut ua, &mut ep, now);
        }
        while ep.poll_transmit().is_some() {}
    }
});
