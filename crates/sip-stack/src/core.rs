//! The endpoint's shared state apart from the transactions: configuration,
//! RNG, output queues, the timer queue, listeners and stream connections.
//! Transactions write their effects here.

use crate::config::EndpointConfig;
use crate::hash::FxMap;
use crate::timer::{Deadlines, Owner, Timer, TimerQueue};
use crate::types::{
    ConnectionCommand, ConnectionId, Event, PeerCertificate, Transmit, TransportError,
    TransportKind,
};
use bytes::Bytes;
use heron_sip::StreamDecoder;
use rand_core::RngCore;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Where a transaction's messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) transport: TransportKind,
    /// Our address (the listener's) for UDP.
    pub(crate) local: SocketAddr,
    /// The peer for UDP; for streams the address to connect to when
    /// there is no open connection.
    pub(crate) remote: SocketAddr,
    pub(crate) connection: Option<ConnectionId>,
    pub(crate) server_name: Option<String>,
    /// The multicast TTL for UDP to a multicast address.
    pub(crate) ttl: Option<u8>,
}

/// A local transport address.
#[derive(Debug, Clone)]
pub(crate) struct Listener {
    pub(crate) transport: TransportKind,
    pub(crate) local: SocketAddr,
    /// `host:port` for Via sent-by.
    pub(crate) sent_by: String,
}

/// A stream connection.
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) transport: TransportKind,
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
    pub(crate) outbound: bool,
    pub(crate) decoder: StreamDecoder,
    pub(crate) timers: Deadlines,
    /// The TLS peer's verified certificate, when it showed one.
    pub(crate) peer: Option<Box<PeerCertificate>>,
}

/// A UDP flow to a registrar or outbound proxy that gets keep-alives
/// (RFC 5626 §4.4 and the common CRLF/OPTIONS variants).
#[derive(Debug)]
pub(crate) struct UdpFlow {
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
    pub(crate) timers: Deadlines,
    /// STUN: the outstanding request and its current retransmit interval.
    pub(crate) stun: Option<([u8; 12], Duration)>,
    /// STUN: the address the last answer reported (RFC 5626 §4.4.2).
    pub(crate) mapped: Option<SocketAddr>,
    /// OPTIONS: the outstanding probe's transaction id.
    pub(crate) probe: Option<u64>,
    /// OPTIONS: the CSeq of the last probe.
    pub(crate) cseq: u32,
    /// Time between keep-alives: the configured one, or 80–100 % of the
    /// registrar's Flow-Timer (RFC 5626 §4.4.1).
    pub(crate) interval: Duration,
}

/// How an internal OPTIONS probe ended: alive, or the error that fails
/// its flow.
pub(crate) type ProbeOutcome = (u64, Result<(), TransportError>);

pub(crate) struct Core {
    pub(crate) cfg: EndpointConfig,
    pub(crate) rng: Box<dyn RngCore + Send>,
    pub(crate) timers: TimerQueue,
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<Event>,
    pub(crate) commands: VecDeque<ConnectionCommand>,
    pub(crate) listeners: Vec<Listener>,
    pub(crate) conns: FxMap<u64, Connection>,
    pub(crate) conn_by_remote: HashMap<(TransportKind, SocketAddr), u64>,
    /// UDP flows with keep-alives, by id (ids shared with connections).
    pub(crate) flows: FxMap<u64, UdpFlow>,
    pub(crate) flow_by_remote: HashMap<SocketAddr, u64>,
    /// Outcomes of OPTIONS keep-alive probes, for the endpoint to act on.
    pub(crate) probe_outcomes: Vec<ProbeOutcome>,
    /// A reused buffer for building the Via of a client transaction.
    pub(crate) scratch_via: String,
    /// A reused buffer for building a stamped Via.
    pub(crate) scratch_text: String,
    pub(crate) next_id: u64,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Core {
    pub(crate) fn new(cfg: EndpointConfig, rng: Box<dyn RngCore + Send>) -> Core {
        Core {
            cfg,
            rng,
            timers: TimerQueue::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            commands: VecDeque::new(),
            listeners: Vec::new(),
            conns: FxMap::default(),
            conn_by_remote: HashMap::new(),
            flows: FxMap::default(),
            flow_by_remote: HashMap::new(),
            probe_outcomes: Vec::new(),
            scratch_via: String::new(),
            scratch_text: String::new(),
            next_id: 1,
        }
    }

    pub(crate) fn alloc_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// `n` random hex digits appended to `out`.
    pub(crate) fn random_hex(&mut self, out: &mut String, n: usize) {
        let mut left = n;
        while left > 0 {
            let mut v = self.rng.next_u64();
            for _ in 0..left.min(16) {
                out.push(HEX[(v & 15) as usize] as char);
                v >>= 4;
            }
            left = left.saturating_sub(16);
        }
    }

    pub(crate) fn new_branch(&mut self) -> String {
        let mut s = String::with_capacity(23);
        s.push_str("z9hG4bK");
        self.random_hex(&mut s, 16);
        s
    }

    pub(crate) fn new_tag(&mut self) -> String {
        let mut s = String::with_capacity(12);
        self.random_hex(&mut s, 12);
        s
    }

    pub(crate) fn listener(&self, transport: TransportKind) -> Option<&Listener> {
        self.listeners.iter().find(|l| l.transport == transport)
    }

    /// The listener for `transport` whose address family matches `remote`.
    pub(crate) fn listener_for(
        &self,
        transport: TransportKind,
        remote: SocketAddr,
    ) -> Option<&Listener> {
        self.listeners
            .iter()
            .find(|l| l.transport == transport && l.local.is_ipv4() == remote.is_ipv4())
            .or_else(|| self.listener(transport))
    }

    /// Finds or opens a stream connection to `remote`.
    pub(crate) fn connect(
        &mut self,
        transport: TransportKind,
        remote: SocketAddr,
        server_name: Option<String>,
    ) -> Result<ConnectionId, TransportError> {
        if let Some(id) = self.conn_by_remote.get(&(transport, remote)) {
            return Ok(ConnectionId(*id));
        }
        let local = self
            .listener_for(transport, remote)
            .map(|l| l.local)
            .ok_or(TransportError::NoTransport(transport))?;
        let id = self.alloc_id();
        self.conns.insert(
            id,
            Connection {
                transport,
                local,
                remote,
                outbound: true,
                decoder: StreamDecoder::default(),
                timers: Deadlines::default(),
                peer: None,
            },
        );
        self.conn_by_remote.insert((transport, remote), id);
        self.commands.push_back(ConnectionCommand::Open {
            id: ConnectionId(id),
            transport,
            remote,
            server_name,
        });
        Ok(ConnectionId(id))
    }

    /// Queues `payload` on `route`, opening a connection when needed.
    pub(crate) fn send(&mut self, route: &mut Route, payload: Bytes) -> Result<(), TransportError> {
        if !route.transport.is_stream() {
            self.transmits.push_back(Transmit {
                transport: route.transport,
                local: route.local,
                remote: route.remote,
                connection: None,
                payload,
                multicast_ttl: route.ttl,
            });
            return Ok(());
        }
        let id = match route.connection.filter(|c| self.conns.contains_key(&c.0)) {
            Some(c) => c,
            None => {
                let c = self.connect(route.transport, route.remote, route.server_name.clone())?;
                route.connection = Some(c);
                c
            }
        };
        let conn = &self.conns[&id.0];
        self.transmits.push_back(Transmit {
            transport: conn.transport,
            local: conn.local,
            remote: conn.remote,
            connection: Some(id),
            payload,
            multicast_ttl: None,
        });
        Ok(())
    }

    pub(crate) fn arm_conn(&mut self, id: u64, timer: Timer, now: Instant, after: Duration) {
        if let Some(c) = self.conns.get_mut(&id) {
            c.timers.set(timer, now + after);
            self.timers.push(now, after, Owner::Connection(id), timer);
        } else if let Some(f) = self.flows.get_mut(&id) {
            f.timers.set(timer, now + after);
            self.timers.push(now, after, Owner::Connection(id), timer);
        }
    }

    /// The deadline of `timer` on connection or flow `id`, if armed.
    pub(crate) fn conn_timer(&self, id: u64, timer: Timer) -> Option<Instant> {
        match self.conns.get(&id) {
            Some(c) => c.timers.get(timer),
            None => self.flows.get(&id).and_then(|f| f.timers.get(timer)),
        }
    }
}
