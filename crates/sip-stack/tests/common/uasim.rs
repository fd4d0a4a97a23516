#![allow(dead_code)]

//! A virtual-time world of user agents (and scripted peers) exchanging UDP
//! datagrams with configurable loss, delay and targeted drops. The clock
//! jumps to the next delivery or deadline of any endpoint or user agent.

use bytes::Bytes;
use heron_sip::Message;
use heron_sip_stack::ua::{Ua, UaConfig, UaEvent};
use heron_sip_stack::{Endpoint, EndpointConfig, Event, Target, TransportKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A scripted peer: sees every endpoint event.
pub type Script = Box<dyn FnMut(&mut Endpoint, Instant, Event)>;
/// Reacts to a user agent's events (auto-answer and the like).
pub type Actor = Box<dyn FnMut(&mut Ua, &mut Endpoint, Instant, &UaEvent)>;

pub struct Peer {
    pub ep: Endpoint,
    pub addr: SocketAddr,
    pub ua: Option<Ua>,
    pub script: Option<Script>,
    pub actor: Option<Actor>,
    /// Every user-agent event with its time since the start.
    pub events: Vec<(Duration, UaEvent)>,
}

/// One datagram put on the wire.
#[derive(Debug, Clone)]
pub struct Wire {
    pub at: Duration,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub payload: Bytes,
}

impl Wire {
    pub fn first_line(&self) -> String {
        String::from_utf8_lossy(&self.payload)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    }
    pub fn message(&self) -> Message {
        Message::parse(self.payload.clone()).unwrap()
    }
}

pub type Drop = Box<dyn FnMut(&Wire) -> bool>;

pub struct World {
    pub start: Instant,
    pub now: Instant,
    pub peers: Vec<Peer>,
    pub log: Vec<Wire>,
    queue: BinaryHeap<Reverse<(Instant, u64)>>,
    flights: HashMap<u64, (usize, SocketAddr, Bytes)>,
    seq: u64,
    rng: StdRng,
    pub loss: f64,
    pub delay: Duration,
    pub drop: Option<Drop>,
}

pub fn addr(i: usize) -> SocketAddr {
    format!("10.0.0.{}:5060", i + 1).parse().unwrap()
}

pub fn uri(i: usize, user: &str) -> String {
    format!("sip:{user}@10.0.0.{}:5060", i + 1)
}

impl World {
    pub fn new(seed: u64) -> World {
        let start = Instant::now();
        World {
            start,
            now: start,
            peers: Vec::new(),
            log: Vec::new(),
            queue: BinaryHeap::new(),
            flights: HashMap::new(),
            seq: 0,
            rng: StdRng::seed_from_u64(seed),
            loss: 0.0,
            delay: Duration::from_millis(10),
            drop: None,
        }
    }

    fn endpoint(&self, i: usize) -> Endpoint {
        let mut cfg = EndpointConfig::default();
        cfg.allow.push(heron_sip::Method::Register);
        let mut ep = Endpoint::new(cfg, StdRng::seed_from_u64(500 + i as u64));
        ep.add_listener(TransportKind::Udp, addr(i), None);
        ep
    }

    /// A user agent with `cfg` (its AOR is user@its address when `None`).
    pub fn add_ua(&mut self, cfg: Option<UaConfig>) -> usize {
        let i = self.peers.len();
        let cfg = cfg.unwrap_or_else(|| UaConfig::new(uri(i, &format!("u{i}"))));
        let ep = self.endpoint(i);
        self.peers.push(Peer {
            ep,
            addr: addr(i),
            ua: Some(Ua::new(cfg, StdRng::seed_from_u64(900 + i as u64))),
            script: None,
            actor: None,
            events: Vec::new(),
        });
        i
    }

    /// A scripted peer.
    pub fn add_script(&mut self, script: Script) -> usize {
        let i = self.peers.len();
        let ep = self.endpoint(i);
        self.peers.push(Peer {
            ep,
            addr: addr(i),
            ua: None,
            script: Some(script),
            actor: None,
            events: Vec::new(),
        });
        i
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Runs `f` on a user agent with its endpoint and the current time.
    pub fn with<R>(&mut self, i: usize, f: impl FnOnce(&mut Ua, &mut Endpoint, Instant) -> R) -> R {
        let now = self.now;
        let p = &mut self.peers[i];
        f(p.ua.as_mut().unwrap(), &mut p.ep, now)
    }

    fn flush(&mut self) {
        loop {
            let mut progress = false;
            for i in 0..self.peers.len() {
                while let Some(t) = self.peers[i].ep.poll_transmit() {
                    progress = true;
                    let w = Wire {
                        at: self.elapsed(),
                        from: self.peers[i].addr,
                        to: t.remote,
                        payload: t.payload.clone(),
                    };
                    self.log.push(w.clone());
                    let Some(to) = self.peers.iter().position(|p| p.addr == t.remote) else {
                        continue;
                    };
                    if let Some(d) = self.drop.as_mut() {
                        if d(&w) {
                            continue;
                        }
                    }
                    if self.loss > 0.0 && self.rng.gen_bool(self.loss) {
                        continue;
                    }
                    self.seq += 1;
                    let jitter = Duration::from_micros(self.rng.gen_range(0..2000));
                    self.queue
                        .push(Reverse((self.now + self.delay + jitter, self.seq)));
                    self.flights.insert(self.seq, (to, w.from, t.payload));
                }
                let now = self.now;
                let elapsed = self.elapsed();
                let p = &mut self.peers[i];
                while let Some(e) = p.ep.poll_event() {
                    progress = true;
                    if let Some(ua) = p.ua.as_mut() {
                        ua.handle_event(&mut p.ep, now, e);
                    } else if let Some(s) = p.script.as_mut() {
                        s(&mut p.ep, now, e);
                    }
                }
                if let Some(ua) = p.ua.as_mut() {
                    while let Some(e) = ua.poll_event() {
                        progress = true;
                        if let Some(a) = p.actor.as_mut() {
                            a(ua, &mut p.ep, now, &e);
                        }
                        p.events.push((elapsed, e));
                    }
                }
            }
            if !progress {
                break;
            }
        }
    }

    /// Runs until nothing is left to do or `limit` of virtual time passed.
    pub fn run_for(&mut self, limit: Duration) {
        let end = self.now + limit;
        loop {
            self.flush();
            let mut next = self.queue.peek().map(|Reverse((at, _))| *at);
            for p in &mut self.peers {
                for t in [
                    p.ep.poll_timeout(),
                    p.ua.as_mut().and_then(|u| u.poll_timeout()),
                ]
                .into_iter()
                .flatten()
                {
                    next = Some(next.map_or(t, |n| n.min(t)));
                }
            }
            let Some(next) = next else { break };
            if next > end {
                self.now = end;
                break;
            }
            self.now = self.now.max(next);
            while let Some(Reverse((at, seq))) = self.queue.peek().copied() {
                if at > self.now {
                    break;
                }
                self.queue.pop();
                let (to, from, payload) = self.flights.remove(&seq).unwrap();
                let p = &mut self.peers[to];
                p.ep.handle_datagram(self.now, TransportKind::Udp, p.addr, from, payload);
            }
            let now = self.now;
            for p in &mut self.peers {
                if p.ep.poll_timeout().is_some_and(|t| t <= now) {
                    p.ep.handle_timeout(now);
                }
                if let Some(ua) = p.ua.as_mut() {
                    if ua.poll_timeout().is_some_and(|t| t <= now) {
                        ua.handle_timeout(&mut p.ep, now);
                    }
                }
            }
        }
        self.flush();
    }

    /// Requests (by method) sent from peer `i`, with their times.
    pub fn sent(&self, i: usize, method: &str) -> Vec<Duration> {
        let a = self.peers[i].addr;
        self.log
            .iter()
            .filter(|w| w.from == a && w.first_line().starts_with(&format!("{method} ")))
            .map(|w| w.at)
            .collect()
    }

    /// Responses with `code` to `method` sent from peer `i`.
    pub fn sent_responses(&self, i: usize, code: u16, method: &str) -> Vec<Duration> {
        let a = self.peers[i].addr;
        self.log
            .iter()
            .filter(|w| w.from == a && w.first_line().starts_with(&format!("SIP/2.0 {code} ")))
            .filter(|w| w.message().cseq().is_ok_and(|c| c.method == method))
            .map(|w| w.at)
            .collect()
    }
}

pub fn udp(i: usize) -> Target {
    Target::new(TransportKind::Udp, addr(i))
}

pub fn sdp(tag: &str) -> Bytes {
    Bytes::from(format!(
        "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns={tag}\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
    ))
}

pub fn sdp_v(tag: &str, version: u32) -> Bytes {
    Bytes::from(format!(
        "v=0\r\no=- 1 {version} IN IP4 10.0.0.1\r\ns={tag}\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
    ))
}
