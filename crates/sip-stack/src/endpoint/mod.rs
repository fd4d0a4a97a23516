//! The sans-IO [`Endpoint`]: transactions, matching, stateless checks and
//! stream connections, driven by inputs with their time and polled for
//! outputs.

mod connections;
mod inbound;
mod keepalive;
mod stun;

use crate::config::EndpointConfig;
use crate::core::{Core, Listener, Route};
use crate::error::Error;
use crate::hash::FxMap;
use crate::timer::Owner;
use crate::transaction::client::{self, Next};
use crate::transaction::{server, Branch, Kind, Role, State, Transaction};
use crate::types::{
    ClientKey, ConnectionCommand, Event, ServerKey, Target, TransactionKey, Transmit,
    TransportError, TransportKind,
};
use crate::via;
use heron_sip::{HeaderName, Message, Method};
use rand_core::RngCore;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

/// Up to two transaction ids sharing a branch (an INVITE and its CANCEL);
/// 0 marks a free slot.
type Slots = [u64; 2];

/// The RFC 2543 server transactions by their matching key. Peers choose
/// these keys, so the map keeps the standard, randomly keyed hasher.
type ServerIndex<K> = HashMap<K, Slots>;

fn slot_add<K, S>(map: &mut HashMap<K, Slots, S>, key: K, id: u64)
where
    K: std::hash::Hash + Eq,
    S: std::hash::BuildHasher,
{
    let s = map.entry(key).or_insert([0, 0]);
    if let Some(free) = s.iter_mut().find(|x| **x == 0) {
        *free = id;
    }
}

fn slot_remove<K, Q, S>(map: &mut HashMap<K, Slots, S>, key: &Q, id: u64)
where
    K: std::hash::Hash + Eq + std::borrow::Borrow<Q>,
    Q: std::hash::Hash + Eq + ?Sized,
    S: std::hash::BuildHasher,
{
    if let Some(s) = map.get_mut(key) {
        for x in s.iter_mut() {
            if *x == id {
                *x = 0;
            }
        }
        if s == &[0, 0] {
            map.remove(key);
        }
    }
}

/// Shrinks a map that a burst left mostly empty.
fn shrink_map<K: std::hash::Hash + Eq, V, S: std::hash::BuildHasher>(m: &mut HashMap<K, V, S>) {
    if m.capacity() > 4096 && m.len() * 8 < m.capacity() {
        m.shrink_to(m.len() * 2);
    }
}

/// Shrinks a queue that a backlog left mostly empty.
fn shrink_queue<T>(q: &mut VecDeque<T>) {
    if q.capacity() > 1024 && q.len() * 8 < q.capacity() {
        q.shrink_to(q.len() * 2);
    }
}

/// A SIP endpoint's transaction and transport layer with no I/O: feed it
/// datagrams, stream bytes, connection news and timeouts; send requests
/// and responses through it; poll it for bytes to send, connection
/// commands, events and the next deadline.
///
/// See the crate documentation for a complete exchange.
pub struct Endpoint {
    core: Core,
    /// Every live transaction by id. Client transactions are found from
    /// a response's branch, which carries the id (see
    /// [`via::build_client`]).
    txs: FxMap<u64, Box<Transaction>>,
    /// INVITE client transaction id → its CANCEL's (they share a branch).
    cancels: FxMap<u64, u64>,
    /// Server transactions by the keyed hash of their branch (see
    /// [`Endpoint::branch_key`]).
    server_by_branch: FxMap<u64, Slots>,
    /// The secret keys of that hash: peers choose branches, so the hash
    /// must be one they cannot aim collisions at (SipHash with random
    /// keys, as std's maps use).
    branch_keys: std::collections::hash_map::RandomState,
    server_2543: ServerIndex<Box<str>>,
    /// Client keys whose current attempt has another id (failover).
    redirect: FxMap<u64, u64>,
    outbound_proxy: Option<Vec<Target>>,
    /// Reaped transactions since the maps were last checked for slack.
    reaped: u32,
    /// Sees every message sent and received (SIP trace).
    observer: Option<Box<dyn crate::ua::trace::SipObserver>>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("transactions", &self.txs.len())
            .field("connections", &self.core.conns.len())
            .field("listeners", &self.core.listeners)
            .finish()
    }
}

impl Endpoint {
    /// A new endpoint. `rng` makes branches and tags: the OS RNG in
    /// production, a seeded one in tests.
    pub fn new(config: EndpointConfig, rng: impl RngCore + Send + 'static) -> Endpoint {
        Endpoint {
            core: Core::new(config, Box::new(rng)),
            txs: FxMap::default(),
            cancels: FxMap::default(),
            server_by_branch: FxMap::default(),
            branch_keys: std::collections::hash_map::RandomState::new(),
            server_2543: HashMap::new(),
            redirect: FxMap::default(),
            outbound_proxy: None,
            reaped: 0,
            observer: None,
        }
    }

    /// Installs (or with `None` removes) the observer that sees every
    /// message sent and received: see [`crate::ua::trace`].
    pub fn set_observer(&mut self, observer: Option<Box<dyn crate::ua::trace::SipObserver>>) {
        self.observer = observer;
    }

    /// Tells the observer about a received message.
    pub(crate) fn observe_received(
        &mut self,
        msg: &heron_sip::Message,
        source: crate::types::Source,
    ) {
        if let Some(o) = self.observer.as_mut() {
            let bytes = msg.to_bytes();
            o.on_message(&crate::ua::trace::TracedMessage {
                direction: crate::ua::trace::TraceDirection::Received,
                transport: source.transport,
                local: source.local,
                remote: source.remote,
                bytes: &bytes,
            });
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.core.cfg
    }

    /// Declares a local transport address (a bound UDP socket or a TCP/TLS
    /// listener). `advertised` is the `host:port` to put in Via sent-by
    /// instead of `local` (a public name or address).
    pub fn add_listener(
        &mut self,
        transport: TransportKind,
        local: SocketAddr,
        advertised: Option<String>,
    ) {
        let sent_by = advertised.unwrap_or_else(|| local.to_string());
        self.core.listeners.push(Listener {
            transport,
            local,
            sent_by,
        });
    }

    /// The first listener of `transport`: its bound address and the
    /// `host:port` it advertises (for Contact headers).
    pub fn listener(&self, transport: TransportKind) -> Option<(SocketAddr, &str)> {
        self.core
            .listener(transport)
            .map(|l| (l.local, l.sent_by.as_str()))
    }

    /// Sends every request to these targets (the outbound proxy, resolved)
    /// instead of the ones given; `None` turns it off. Route headers are
    /// the caller's (the dialog layer's pre-existing route set).
    pub fn set_outbound_proxy(&mut self, targets: Option<Vec<Target>>) {
        self.outbound_proxy = targets.filter(|t| !t.is_empty());
    }

    /// The key of an RFC 3261 branch in the server index: a 64-bit SipHash
    /// under this endpoint's random keys, computed once per request. Two
    /// branches with the same key would also need the same sent-by and
    /// method to be taken for one another, and nobody without the keys
    /// can aim at that.
    fn branch_key(&self, branch: &str) -> u64 {
        use std::hash::BuildHasher;
        self.branch_keys.hash_one(branch)
    }

    /// A fresh tag for From or To (48 random bits, RFC 3261 §19.3).
    pub fn new_tag(&mut self) -> String {
        self.core.new_tag()
    }

    /// A fresh Call-ID.
    pub fn new_call_id(&mut self) -> String {
        let mut s = String::with_capacity(24);
        self.core.random_hex(&mut s, 24);
        s
    }

    /// A fresh branch with the magic cookie.
    pub fn new_branch(&mut self) -> String {
        self.core.new_branch()
    }

    /// Live transactions (for leak checks).
    pub fn transaction_count(&self) -> usize {
        self.txs.len()
    }

    /// Open stream connections.
    pub fn connection_count(&self) -> usize {
        self.core.conns.len()
    }

    /// The state of a transaction, if it is alive.
    pub fn transaction_state(&self, key: TransactionKey) -> Option<State> {
        let id = match key {
            TransactionKey::Client(k) => self.client_id(k),
            TransactionKey::Server(k) => k.0,
        };
        self.txs.get(&id).map(|t| t.state)
    }

    fn client_id(&self, key: ClientKey) -> u64 {
        self.redirect.get(&key.0).copied().unwrap_or(key.0)
    }

    /// Starts a client transaction for `request` to `target`. The endpoint
    /// adds the top Via (new branch, `rport`) and Max-Forwards when absent.
    pub fn send_request(
        &mut self,
        now: Instant,
        request: Message,
        target: Target,
    ) -> Result<ClientKey, Error> {
        self.start_client(now, request, target, VecDeque::new())
    }

    /// Like [`Endpoint::send_request`] with targets in order of preference
    /// (RFC 3263): on timeout, transport error or 503 the next is tried
    /// with a new branch (§4.3). The key stays the same.
    pub fn send_request_to(
        &mut self,
        now: Instant,
        request: Message,
        targets: Vec<Target>,
    ) -> Result<ClientKey, Error> {
        let mut targets = VecDeque::from(targets);
        // With an outbound proxy the targets given do not matter.
        let first = match (targets.pop_front(), &self.outbound_proxy) {
            (Some(t), _) => t,
            (None, Some(p)) => p[0].clone(),
            (None, None) => return Err(Error::NoTargets),
        };
        self.start_client(now, request, first, targets)
    }

    fn start_client(
        &mut self,
        now: Instant,
        mut request: Message,
        first: Target,
        mut targets: VecDeque<Target>,
    ) -> Result<ClientKey, Error> {
        let method = request.method().cloned().ok_or(Error::NotARequest)?;
        if matches!(method, Method::Ack | Method::Cancel) {
            return Err(Error::NotARequest);
        }
        request
            .check_cseq()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        if !request.has(HeaderName::MaxForwards) {
            request.append_header_static(HeaderName::MaxForwards, "70");
        }
        // Ours replaces a Via the caller put on top.
        request.remove_first(HeaderName::Via);
        let first = match &self.outbound_proxy {
            Some(p) => {
                targets = p[1..].iter().cloned().collect();
                p[0].clone()
            }
            None => first,
        };
        if targets.is_empty() {
            // Nothing to fail over to: drop the spare capacity.
            targets = VecDeque::new();
        }
        let kind = if method == Method::Invite {
            Kind::ClientInvite
        } else {
            Kind::ClientNonInvite
        };
        let id = self.core.alloc_id();
        let mut tx = Transaction::client(id, kind, self.placeholder_route(&first), method, request);
        if let Some(c) = tx.client_mut() {
            c.targets = targets;
        }
        match self.launch(now, tx, first) {
            Ok(()) => Ok(ClientKey(id)),
            Err(b) => {
                let (tx, e) = *b;
                // Try the remaining targets before giving up.
                let user = tx.user();
                self.txs.insert(tx.id, Box::new(tx));
                if self.retry(now, id) {
                    Ok(ClientKey(user))
                } else {
                    self.txs.remove(&id);
                    Err(e.into())
                }
            }
        }
    }

    fn placeholder_route(&self, target: &Target) -> Route {
        Route {
            transport: target.transport,
            local: target.addr,
            remote: target.addr,
            connection: None,
            server_name: target.server_name.clone(),
            ttl: None,
        }
    }

    /// Puts our Via on the transaction's request for `target`, sends it
    /// and registers the transaction. On failure the transaction is
    /// handed back.
    fn launch(
        &mut self,
        now: Instant,
        mut tx: Transaction,
        target: Target,
    ) -> Result<(), Box<(Transaction, TransportError)>> {
        let mut transport = target.transport;
        loop {
            let random = self.core.rng.next_u64();
            let mut via = std::mem::take(&mut self.core.scratch_via);
            let Some(listener) = self.core.listener_for(transport, target.addr) else {
                self.core.scratch_via = via;
                return Err(Box::new((tx, TransportError::NoTransport(transport))));
            };
            let branch_at =
                via::build_client(&mut via, transport, &listener.sent_by, random, tx.id);
            let ttl = if transport.is_stream() {
                None
            } else {
                via::add_multicast(&mut via, target.addr.ip())
            };
            tx.route = Route {
                transport,
                local: listener.local,
                remote: target.addr,
                connection: None,
                server_name: target.server_name.clone(),
                ttl,
            };
            let invite = tx.kind == Kind::ClientInvite;
            let Some(c) = tx.client_mut() else {
                self.core.scratch_via = via;
                return Err(Box::new((tx, TransportError::NoTransport(transport))));
            };
            // The request stays without our Via (a failover attempt gets
            // another); the bytes get it as their first header, written
            // once into the wire bytes.
            let wire = c
                .request
                .as_ref()
                .map(|r| r.to_bytes_with_top_header(HeaderName::Via, &via))
                .unwrap_or_default();
            c.branch = Branch::new(
                via.get(usize::from(branch_at.0)..usize::from(branch_at.1))
                    .unwrap_or(""),
            );
            c.via = if invite { via.clone() } else { String::new() };
            self.core.scratch_via = via;
            tx.wire = wire;
            // §18.1.1: a request too large for UDP goes over TCP when the
            // target's transport was not pinned.
            if transport == TransportKind::Udp
                && !target.transport_pinned
                && tx.wire.len() > self.core.cfg.udp_max_request
                && self.core.listener(TransportKind::Tcp).is_some()
            {
                transport = TransportKind::Tcp;
                continue;
            }
            break;
        }
        if let Err(e) = client::start(&mut tx, &mut self.core, now) {
            return Err(Box::new((tx, e)));
        }
        if tx.method == Method::Register && transport == TransportKind::Udp {
            let remote = tx.route.remote;
            if let Some(r) = tx.client_part().and_then(|c| c.request.as_ref()) {
                self.note_register(now, remote, r);
            }
        }
        self.txs.insert(tx.id, Box::new(tx));
        Ok(())
    }

    /// Moves the client transaction `old` to its next target. False when
    /// none is left.
    fn retry(&mut self, now: Instant, old: u64) -> bool {
        loop {
            let Some(o) = self.txs.get_mut(&old) else {
                return false;
            };
            let (kind, route, method) = (o.kind, o.route.clone(), o.method.clone());
            let Some(oc) = o.client_mut() else {
                return false;
            };
            let Some(target) = oc.targets.pop_front() else {
                return false;
            };
            let id = self.core.alloc_id();
            let Some(request) = oc.request.clone() else {
                return false;
            };
            let mut tx = Transaction::client(id, kind, route, method, request);
            let user = oc.user;
            if let Some(c) = tx.client_mut() {
                c.user = user;
                c.targets = std::mem::take(&mut oc.targets);
                c.pending_cancel = oc.pending_cancel.take();
            }
            o.superseded = true;
            match self.launch(now, tx, target) {
                Ok(()) => {
                    if user == id {
                        self.redirect.remove(&user);
                    } else {
                        self.redirect.insert(user, id);
                    }
                    return true;
                }
                Err(b) => {
                    let (mut tx, _) = *b;
                    // Hand the rest back to the old attempt and go on.
                    if let (Some(o), Some(c)) = (
                        self.txs.get_mut(&old).and_then(|o| o.client_mut()),
                        tx.client_mut(),
                    ) {
                        o.targets = std::mem::take(&mut c.targets);
                        o.pending_cancel = c.pending_cancel;
                    }
                }
            }
        }
    }

    /// Cancels an INVITE client transaction (RFC 3261 §9.1). If no
    /// provisional response has arrived yet the CANCEL waits for one; if a
    /// final response comes first it is never sent and its key is
    /// terminated.
    pub fn cancel(&mut self, now: Instant, invite: ClientKey) -> Result<ClientKey, Error> {
        let id = self.client_id(invite);
        let tx = self.txs.get_mut(&id).ok_or(Error::UnknownTransaction)?;
        if tx.kind != Kind::ClientInvite {
            return Err(Error::NotARequest);
        }
        match tx.state {
            State::Calling => {
                let Some(part) = tx.client_mut() else {
                    return Err(Error::UnknownTransaction);
                };
                if let Some(c) = part.pending_cancel {
                    return Ok(ClientKey(c));
                }
                let c = self.core.alloc_id();
                part.pending_cancel = Some(c);
                Ok(ClientKey(c))
            }
            State::Proceeding => {
                let c = self.core.alloc_id();
                self.start_cancel(now, id, c)?;
                Ok(ClientKey(c))
            }
            s => Err(Error::WrongState(s)),
        }
    }

    fn start_cancel(&mut self, now: Instant, invite: u64, id: u64) -> Result<(), Error> {
        let inv = self.txs.get(&invite).ok_or(Error::UnknownTransaction)?;
        let ic = inv.client_part().ok_or(Error::UnknownTransaction)?;
        let mut msg = client::build_cancel(ic);
        msg.prepend_header(HeaderName::Via, &ic.via);
        let branch = ic.branch;
        let mut tx = Transaction::client(
            id,
            Kind::ClientNonInvite,
            inv.route.clone(),
            Method::Cancel,
            msg,
        );
        if let Some(c) = tx.client_mut() {
            c.branch = branch;
            tx.wire = c
                .request
                .as_ref()
                .map(Message::to_bytes)
                .unwrap_or_default();
        }
        client::start(&mut tx, &mut self.core, now)?;
        self.cancels.insert(invite, id);
        self.txs.insert(id, Box::new(tx));
        Ok(())
    }

    /// Sends a request outside any transaction: the ACK for a 2xx (RFC 3261
    /// §13.2.2.4) and its repetitions. A top Via with a new branch is added.
    pub fn send_stateless(
        &mut self,
        _now: Instant,
        mut request: Message,
        target: Target,
    ) -> Result<(), Error> {
        if !request.is_request() {
            return Err(Error::NotARequest);
        }
        let target = match &self.outbound_proxy {
            Some(p) => p[0].clone(),
            None => target,
        };
        let branch = self.core.new_branch();
        let listener = self
            .core
            .listener_for(target.transport, target.addr)
            .ok_or(Error::NoTransport(target.transport))?;
        let local = listener.local;
        let mut our_via = via::build(target.transport, &listener.sent_by, &branch);
        let ttl = if target.transport.is_stream() {
            None
        } else {
            via::add_multicast(&mut our_via, target.addr.ip())
        };
        request.remove_first(HeaderName::Via);
        request.prepend_header(HeaderName::Via, &our_via);
        if !request.has(HeaderName::MaxForwards) {
            request.append_header_static(HeaderName::MaxForwards, "70");
        }
        let mut route = Route {
            transport: target.transport,
            local,
            remote: target.addr,
            connection: None,
            server_name: target.server_name,
            ttl,
        };
        self.core.send(&mut route, request.to_bytes())?;
        Ok(())
    }

    /// Answers a request the endpoint reported with [`Event::Request`].
    /// Build the response with [`Message::response_to`] from that request
    /// (it carries the Via the response must go back along).
    pub fn send_response(
        &mut self,
        now: Instant,
        key: ServerKey,
        response: Message,
    ) -> Result<(), Error> {
        let tx = self.txs.get_mut(&key.0).ok_or(Error::UnknownTransaction)?;
        if tx.kind.is_client() {
            return Err(Error::UnknownTransaction);
        }
        server::respond(tx, &mut self.core, now, &response)?;
        self.reap(key.0);
        Ok(())
    }

    /// Reports that datagrams to `remote` cannot be delivered (an ICMP
    /// error from the socket): pending client transactions to it fail over
    /// or report [`Event::TransportError`] (§17.1.4).
    pub fn transport_failed(
        &mut self,
        now: Instant,
        transport: TransportKind,
        remote: SocketAddr,
        reason: &str,
    ) {
        let hit: Vec<u64> = self
            .txs
            .values()
            .filter(|t| {
                t.kind.is_client() && t.route.transport == transport && t.route.remote == remote
            })
            .map(|t| t.id)
            .collect();
        let err =
            TransportError::ConnectionFailed(crate::types::ConnectionId(0), reason.to_owned());
        for id in hit {
            self.fail_client(now, id, err.clone());
        }
        if !self.core.probe_outcomes.is_empty() {
            self.drain_probes();
        }
    }

    /// A client transaction's transport failed.
    fn fail_client(&mut self, now: Instant, id: u64, error: TransportError) {
        let Some(tx) = self.txs.get_mut(&id) else {
            return;
        };
        if client::transport_failed(tx) && !self.retry(now, id) {
            if let Some(tx) = self.txs.get(&id) {
                let key = ClientKey(tx.user());
                tx.event(&mut self.core, Event::TransportError { key, error });
            }
        }
        self.reap(id);
    }

    /// Processes every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((at, owner, timer)) = self.core.timers.pop_due(now) {
            match owner {
                Owner::Transaction(id) => {
                    let Some(tx) = self.txs.get_mut(&id) else {
                        continue;
                    };
                    if tx.timers.get(timer) != Some(at) {
                        continue;
                    }
                    tx.on_timer(&mut self.core, now, timer);
                    if tx.timed_out && !self.retry(now, id) {
                        if let Some(tx) = self.txs.get(&id) {
                            let key = ClientKey(tx.user());
                            tx.event(&mut self.core, Event::Timeout { key });
                        }
                    }
                    self.reap(id);
                }
                Owner::Connection(id) => self.on_connection_timer(now, id, at, timer),
            }
        }
        if !self.core.probe_outcomes.is_empty() {
            self.drain_probes();
        }
    }

    /// Removes a terminated transaction and reports it.
    fn reap(&mut self, id: u64) {
        let done = self
            .txs
            .get(&id)
            .is_some_and(|t| t.state == State::Terminated);
        if !done {
            return;
        }
        let Some(tx) = self.txs.remove(&id) else {
            return;
        };
        match &tx.role {
            Role::Client(c) => {
                if tx.method == Method::Cancel {
                    if let Some(inv) = via::client_id(c.branch()) {
                        if self.cancels.get(&inv) == Some(&id) {
                            self.cancels.remove(&inv);
                        }
                    }
                }
                if !tx.superseded {
                    self.redirect.remove(&c.user);
                }
                if let Some(p) = c.pending_cancel {
                    self.core
                        .events
                        .push_back(Event::Terminated(TransactionKey::Client(ClientKey(p))));
                }
            }
            Role::Server(s) => {
                if let Some(b) = s.branch {
                    slot_remove(&mut self.server_by_branch, &b, id);
                }
                if let Some(r) = &s.rfc2543 {
                    slot_remove(&mut self.server_2543, &r.key, id);
                }
            }
        }
        tx.event(&mut self.core, Event::Terminated(tx.key()));
        self.reaped += 1;
        if self.reaped >= 4096 || (self.txs.is_empty() && self.reaped >= 64) {
            self.reaped = 0;
            shrink_map(&mut self.txs);
            shrink_map(&mut self.server_by_branch);
            shrink_map(&mut self.cancels);
            self.core.timers.shrink();
            // The output queues keep the capacity of the largest backlog
            // otherwise (measured: 15 MB after a 4,000 calls/s run).
            shrink_queue(&mut self.core.transmits);
            shrink_queue(&mut self.core.events);
        }
    }

    /// Handles what a client transaction asked for after a response.
    fn after_client(&mut self, now: Instant, id: u64, next: Next) {
        match next {
            Next::Nothing => {}
            Next::Failover => {
                self.retry(now, id);
            }
            Next::SendCancel(c) => {
                if self.start_cancel(now, id, c).is_err() {
                    self.core
                        .events
                        .push_back(Event::Terminated(TransactionKey::Client(ClientKey(c))));
                }
            }
            Next::DropCancel(c) => self
                .core
                .events
                .push_back(Event::Terminated(TransactionKey::Client(ClientKey(c)))),
        }
        self.reap(id);
    }

    /// The next bytes to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let t = self.core.transmits.pop_front()?;
        if let Some(o) = self.observer.as_mut() {
            let m = crate::ua::trace::TracedMessage {
                direction: crate::ua::trace::TraceDirection::Sent,
                transport: t.transport,
                local: t.local,
                remote: t.remote,
                bytes: &t.payload,
            };
            if !m.is_keepalive() {
                o.on_message(&m);
            }
        }
        Some(t)
    }

    /// The next connection command (open, close); handle these before the
    /// transmits that follow them.
    pub fn poll_command(&mut self) -> Option<ConnectionCommand> {
        self.core.commands.pop_front()
    }

    /// The next event for the user.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.core.events.pop_front()
    }

    /// The earliest deadline: call [`Endpoint::handle_timeout`] then.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some((at, owner, timer)) = self.core.timers.peek() {
            let live = match owner {
                Owner::Transaction(id) => self.txs.get(&id).and_then(|t| t.timers.get(timer)),
                Owner::Connection(id) => self.core.conn_timer(id, timer),
            } == Some(at);
            if live {
                return Some(at);
            }
            self.core.timers.pop();
        }
        None
    }
}
