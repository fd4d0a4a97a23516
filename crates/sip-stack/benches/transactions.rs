//! Non-INVITE transactions per second through two sans-IO endpoints on an
//! in-memory network (no sockets): client sends OPTIONS, server parses,
//! validates, answers 200, client matches the response. Virtual time moves
//! 1 ms per transaction so Timers J and K run and lingering transactions
//! are reaped as in real life.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use heron_sip::{HeaderName, Message, Method};
use heron_sip_stack::{Endpoint, EndpointConfig, Event, Target, TransportKind};
use rand::{rngs::StdRng, SeedableRng};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

struct Pair {
    a: Endpoint,
    b: Endpoint,
    b_addr: SocketAddr,
    now: Instant,
    n: u64,
}

fn pair() -> Pair {
    let a_addr: SocketAddr = "10.0.0.1:5060".parse().unwrap();
    let b_addr: SocketAddr = "10.0.0.2:5060".parse().unwrap();
    let mut a = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(1));
    a.add_listener(TransportKind::Udp, a_addr, None);
    let mut b = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(2));
    b.add_listener(TransportKind::Udp, b_addr, None);
    Pair {
        a,
        b,
        b_addr,
        now: Instant::now(),
        n: 0,
    }
}

impl Pair {
    fn transaction(&mut self) {
        self.n += 1;
        self.now += Duration::from_millis(1);
        let now = self.now;
        let mut req = Message::request(Method::Options, "sip:svc@10.0.0.2:5060");
        req.append_header(HeaderName::From, "<sip:bench@example.com>;tag=b1");
        req.append_header(HeaderName::To, "<sip:svc@example.com>");
        req.append_header(HeaderName::CallId, "bench-call-id");
        req.append_header(HeaderName::CSeq, &format!("{} OPTIONS", self.n));
        let target = Target::new(TransportKind::Udp, self.b_addr);
        self.a.send_request(now, req, target).unwrap();
        while let Some(t) = self.a.poll_transmit() {
            self.b
                .handle_datagram(now, t.transport, t.remote, t.local, t.payload);
        }
        while let Some(e) = self.b.poll_event() {
            if let Event::Request { key, request, .. } = e {
                let ok = Message::response_to(&request, 200, Some("srv"));
                self.b.send_response(now, key, ok).unwrap();
            }
        }
        while let Some(t) = self.b.poll_transmit() {
            self.a
                .handle_datagram(now, t.transport, t.remote, t.local, t.payload);
        }
        let mut got = false;
        while let Some(e) = self.a.poll_event() {
            got |= matches!(e, Event::Response { .. });
        }
        assert!(got);
        for ep in [&mut self.a, &mut self.b] {
            if ep.poll_timeout().is_some_and(|t| t <= now) {
                ep.handle_timeout(now);
            }
            while ep.poll_event().is_some() {}
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sans-io");
    g.throughput(Throughput::Elements(1));
    let mut p = pair();
    // Warm up to the steady state: 32 s of lingering server transactions.
    for _ in 0..40_000 {
        p.transaction();
    }
    g.bench_function("non-invite transaction (udp, in memory)", |b| {
        b.iter(|| p.transaction())
    });
    g.bench_function("endpoint setup", |b| {
        b.iter_batched(|| (), |_| pair(), BatchSize::SmallInput)
    });
    g.finish();
}

criterion_group!(benches, bench);

/// `TX_PROFILE=N` runs 40,000 warm-up transactions and then N more with no
/// criterion around them, for `valgrind --tool=callgrind` (deterministic
/// instruction counts: subtract a run with N=0 to get the per-transaction
/// cost).
fn main() {
    if let Some(n) = std::env::var("TX_PROFILE")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        let mut p = pair();
        for _ in 0..40_000 + n {
            p.transaction();
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
