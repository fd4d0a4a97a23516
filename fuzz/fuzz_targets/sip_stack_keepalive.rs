//! UDP keep-alives of a heron-sip-stack endpoint under arbitrary input:
//! raw datagrams from the registrar, STUN answers built around the
//! endpoint's own transaction ids (so the mapped-address logic is
//! reached), and jumps of time. Nothing may panic; at most one flow
//! exists; once the flow is reported dead nothing more is sent to it.
#![no_main]

use bytes::Bytes;
use heron_sip_stack::{
    Endpoint, EndpointConfig, Event, TransportKind, UdpKeepAlive, UdpKeepAliveKind,
};
use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A fixed xorshift generator: the endpoint's tags, branches and STUN ids.
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

/// A STUN Binding success for `txid` whose attribute section is `attrs`
/// (arbitrary; the length field says what the fuzzer chose, capped).
fn stun_answer(txid: &[u8], attrs: &[u8]) -> Bytes {
    let attrs = &attrs[..attrs.len().min(256) & !3];
    let mut m = vec![0x01, 0x01];
    m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
    m.extend_from_slice(txid);
    m.extend_from_slice(attrs);
    Bytes::from(m)
}

fuzz_target!(|data: &[u8]| {
    let local: SocketAddr = "192.0.2.1:5060".parse().unwrap();
    let registrar: SocketAddr = "192.0.2.9:5060".parse().unwrap();
    let kind = match data.first().copied().unwrap_or(0) % 3 {
        0 => UdpKeepAliveKind::Stun,
        1 => UdpKeepAliveKind::Options,
        _ => UdpKeepAliveKind::Crlf,
    };
    let cfg = EndpointConfig {
        udp_keepalive: Some(UdpKeepAlive {
            kind,
            interval: Duration::from_secs(25),
            timeout: Duration::from_secs(10),
        }),
        ..EndpointConfig::default()
    };
    let mut ep = Endpoint::new(cfg, Xorshift(0x9e37_79b9_7f4a_7c15));
    ep.add_listener(TransportKind::Udp, local, None);
    let mut now = Instant::now();
    ep.keep_alive_udp(now, registrar).unwrap();
    let mut last_txid: Option<[u8; 12]> = None;
    let mut dead = false;
    // Chunks separated by 0xff; the first byte says what to do with the rest.
    for chunk in data.get(1..).unwrap_or(&[]).split(|b| *b == 0xff) {
        let (op, rest) = match chunk.split_first() {
            Some((op, rest)) => (*op, rest),
            None => continue,
        };
        match op % 3 {
            0 => ep.handle_datagram(
                now,
                TransportKind::Udp,
                local,
                registrar,
                Bytes::copy_from_slice(rest),
            ),
            1 => {
                if let Some(id) = last_txid {
                    ep.handle_datagram(
                        now,
                        TransportKind::Udp,
                        local,
                        registrar,
                        stun_answer(&id, rest),
                    );
                }
            }
            _ => {
                let secs = rest.first().copied().unwrap_or(1);
                now += Duration::from_millis(u64::from(secs) * 250);
            }
        }
        if ep.poll_timeout().is_some_and(|t| t <= now) {
            ep.handle_timeout(now);
        }
        while let Some(t) = ep.poll_transmit() {
            let keepalive = &t.payload[..] == b"\r\n\r\n"
                || (t.payload.len() == 20 && t.payload[..2] == [0x00, 0x01])
                || t.payload.starts_with(b"OPTIONS ");
            if t.remote == registrar && keepalive {
                assert!(!dead, "keep-alive sent on a flow reported dead");
            }
            if t.payload.len() == 20 && t.payload[..2] == [0x00, 0x01] {
                let mut id = [0u8; 12];
                id.copy_from_slice(&t.payload[8..20]);
                last_txid = Some(id);
            }
        }
        while let Some(e) = ep.poll_event() {
            if let Event::ConnectionClosed { remote, .. } = e {
                assert_eq!(remote, registrar);
                assert!(!dead, "a flow reported dead twice");
                dead = true;
            }
        }
        assert!(ep.udp_flow_count() <= 1);
    }
});
