//! A deterministic network simulation in virtual time: endpoints exchange
//! datagrams (with configurable loss, duplication and random delay, so
//! also reordering) and stream bytes (reliable, in order); the clock jumps
//! to the next delivery or timer deadline. Nothing sleeps.

#![allow(dead_code)]

use bytes::Bytes;
use heron_sip::{HeaderName, Message, Method};
use heron_sip_stack::{
    ConnectionCommand, ConnectionId, Endpoint, EndpointConfig, Event, Target, TransportKind,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What the simulated user does on each event of its endpoint.
pub type Tu = Box<dyn FnMut(&mut Endpoint, Instant, &Event)>;

pub struct Node {
    pub ep: Endpoint,
    pub addr: SocketAddr,
    /// Every event with the time it was polled (relative to the start).
    pub events: Vec<(Duration, Event)>,
    pub tu: Option<Tu>,
}

/// One message put on the wire.
#[derive(Debug, Clone)]
pub struct Sent {
    pub at: Duration,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub transport: TransportKind,
    pub payload: Bytes,
}

impl Sent {
    /// The first line of the payload.
    pub fn first_line(&self) -> String {
        let s = String::from_utf8_lossy(&self.payload);
        s.lines().next().unwrap_or("").to_owned()
    }
}

struct InFlight {
    to: usize,
    from: SocketAddr,
    transport: TransportKind,
    conn: Option<ConnectionId>,
    payload: Bytes,
}

/// A filter deciding whether a datagram is lost on purpose.
pub type DropRule = Box<dyn FnMut(&Sent) -> bool>;

pub struct Sim {
    pub start: Instant,
    pub now: Instant,
    pub nodes: Vec<Node>,
    pub log: Vec<Sent>,
    queue: BinaryHeap<Reverse<(Instant, u64)>>,
    flights: HashMap<u64, InFlight>,
    seq: u64,
    rng: StdRng,
    pub loss: f64,
    pub dup: f64,
    pub delay: (Duration, Duration),
    pub drop_rule: Option<DropRule>,
    /// (node, its connection id) -> (peer node, the peer's connection id)
    links: HashMap<(usize, u64), (usize, u64)>,
    /// Deliveries on a stream keep their order: the last arrival per link.
    stream_tail: HashMap<(usize, u64), Instant>,
}

pub fn addr(i: usize) -> SocketAddr {
    format!("10.0.0.{}:5060", i + 1).parse().unwrap()
}

impl Sim {
    pub fn new(seed: u64) -> Sim {
        let start = Instant::now();
        Sim {
            start,
            now: start,
            nodes: Vec::new(),
            log: Vec::new(),
            queue: BinaryHeap::new(),
            flights: HashMap::new(),
            seq: 0,
            rng: StdRng::seed_from_u64(seed),
            loss: 0.0,
            dup: 0.0,
            delay: (Duration::from_millis(10), Duration::from_millis(10)),
            drop_rule: None,
            links: HashMap::new(),
            stream_tail: HashMap::new(),
        }
    }

    /// Adds an endpoint listening on UDP and TCP at `addr(index)`.
    pub fn add(&mut self, cfg: EndpointConfig) -> usize {
        let i = self.nodes.len();
        let a = addr(i);
        let mut ep = Endpoint::new(cfg, StdRng::seed_from_u64(1000 + i as u64));
        ep.add_listener(TransportKind::Udp, a, None);
        ep.add_listener(TransportKind::Tcp, a, None);
        self.nodes.push(Node {
            ep,
            addr: a,
            events: Vec::new(),
            tu: None,
        });
        i
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    fn node_at(&self, a: SocketAddr) -> Option<usize> {
        self.nodes.iter().position(|n| n.addr == a)
    }

    fn schedule(&mut self, at: Instant, f: InFlight) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq)));
        self.flights.insert(self.seq, f);
    }

    /// Moves every node's output onto the network and runs the users.
    fn flush(&mut self) {
        loop {
            let mut progress = false;
            for i in 0..self.nodes.len() {
                while let Some(cmd) = self.nodes[i].ep.poll_command() {
                    progress = true;
                    self.command(i, cmd);
                }
                while let Some(t) = self.nodes[i].ep.poll_transmit() {
                    progress = true;
                    let sent = Sent {
                        at: self.elapsed(),
                        from: self.nodes[i].addr,
                        to: t.remote,
                        transport: t.transport,
                        payload: t.payload.clone(),
                    };
                    self.log.push(sent.clone());
                    let Some(to) = self.node_at(t.remote).or_else(|| {
                        t.connection
                            .and_then(|c| self.links.get(&(i, c.0)).map(|l| l.0))
                    }) else {
                        continue;
                    };
                    if t.transport.is_stream() {
                        let Some(c) = t.connection else { continue };
                        let Some(&(peer, peer_conn)) = self.links.get(&(i, c.0)) else {
                            continue;
                        };
                        let mut at = self.now + self.delay.0;
                        if let Some(tail) = self.stream_tail.get(&(i, c.0)) {
                            at = at.max(*tail);
                        }
                        self.stream_tail.insert((i, c.0), at);
                        self.schedule(
                            at,
                            InFlight {
                                to: peer,
                                from: sent.from,
                                transport: t.transport,
                                conn: Some(ConnectionId(peer_conn)),
                                payload: t.payload,
                            },
                        );
                        continue;
                    }
                    if let Some(rule) = self.drop_rule.as_mut() {
                        if rule(&sent) {
                            continue;
                        }
                    }
                    if self.rng.gen_bool(self.loss) {
                        continue;
                    }
                    let copies = if self.rng.gen_bool(self.dup) { 2 } else { 1 };
                    for _ in 0..copies {
                        let d = self.rng.gen_range(self.delay.0..=self.delay.1);
                        self.schedule(
                            self.now + d,
                            InFlight {
                                to,
                                from: sent.from,
                                transport: t.transport,
                                conn: None,
                                payload: t.payload.clone(),
                            },
                        );
                    }
                }
                while let Some(e) = self.nodes[i].ep.poll_event() {
                    progress = true;
                    let node = &mut self.nodes[i];
                    if let Some(tu) = node.tu.as_mut() {
                        tu(&mut node.ep, self.now, &e);
                    }
                    node.events.push((self.now - self.start, e));
                }
            }
            if !progress {
                break;
            }
        }
    }

    fn command(&mut self, i: usize, cmd: ConnectionCommand) {
        match cmd {
            ConnectionCommand::Open {
                id,
                transport,
                remote,
                ..
            } => {
                let Some(peer) = self.node_at(remote) else {
                    self.nodes[i].ep.connection_failed(self.now, id, "refused");
                    return;
                };
                let from = self.nodes[i].addr;
                let local = self.nodes[peer].addr;
                let pid = self.nodes[peer]
                    .ep
                    .connection_opened(self.now, transport, local, from);
                self.links.insert((i, id.0), (peer, pid.0));
                self.links.insert((peer, pid.0), (i, id.0));
                self.nodes[i].ep.connection_established(self.now, id);
            }
            ConnectionCommand::Close { id } => {
                if let Some((peer, pid)) = self.links.remove(&(i, id.0)) {
                    self.links.remove(&(peer, pid));
                    self.nodes[peer]
                        .ep
                        .connection_closed(self.now, ConnectionId(pid));
                }
            }
        }
    }

    /// Runs until nothing is scheduled or `limit` of virtual time passed.
    pub fn run_for(&mut self, limit: Duration) {
        let end = self.now + limit;
        loop {
            self.flush();
            let next_net = self.queue.peek().map(|Reverse((at, _))| *at);
            let next_timer = (0..self.nodes.len())
                .filter_map(|i| self.nodes[i].ep.poll_timeout())
                .min();
            let Some(next) = [next_net, next_timer].into_iter().flatten().min() else {
                break;
            };
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
                let f = self.flights.remove(&seq).unwrap();
                let node = &mut self.nodes[f.to];
                match f.conn {
                    Some(c) => node.ep.handle_stream_data(self.now, c, &f.payload),
                    None => {
                        node.ep
                            .handle_datagram(self.now, f.transport, node.addr, f.from, f.payload)
                    }
                }
            }
            for i in 0..self.nodes.len() {
                if self.nodes[i]
                    .ep
                    .poll_timeout()
                    .is_some_and(|t| t <= self.now)
                {
                    self.nodes[i].ep.handle_timeout(self.now);
                }
            }
        }
        self.flush();
    }

    /// Datagrams sent from node `from` whose first line starts with `prefix`.
    pub fn sent_times(&self, from: usize, prefix: &str) -> Vec<Duration> {
        self.log
            .iter()
            .filter(|s| s.from == self.nodes[from].addr && s.first_line().starts_with(prefix))
            .map(|s| s.at)
            .collect()
    }
}

/// A request from node `from` to node `to`.
pub fn request(method: Method, to: SocketAddr, call: &str, seq: u32) -> Message {
    let mut m = Message::request(method.clone(), &format!("sip:svc@{to}"));
    m.append_header(HeaderName::From, "<sip:alice@example.com>;tag=ft1");
    m.append_header(HeaderName::To, "<sip:svc@example.com>");
    m.append_header(HeaderName::CallId, call);
    m.append_header(HeaderName::CSeq, &format!("{seq} {method}"));
    m.append_header(HeaderName::Contact, "<sip:alice@10.0.0.1>");
    m
}

pub fn udp(to: SocketAddr) -> Target {
    Target::new(TransportKind::Udp, to)
}

/// A user that answers every request with `code` at once.
pub fn answer_all(code: u16) -> Tu {
    Box::new(move |ep, now, e| {
        if let Event::Request { key, request, .. } = e {
            let tag = ep.new_tag();
            let resp = Message::response_to(request, code, Some(&tag));
            ep.send_response(now, *key, resp).unwrap();
        }
    })
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}
