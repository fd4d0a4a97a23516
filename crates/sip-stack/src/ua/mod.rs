//! The user-agent layer: registrations and calls on top of an
//! [`Endpoint`], sans-IO like it. Give it every [`Event`] the endpoint
//! reports ([`Ua::handle_event`]), call [`Ua::handle_timeout`] at
//! [`Ua::poll_timeout`], act on calls through its methods, and read
//! [`UaEvent`]s from [`Ua::poll_event`]. Each method takes the endpoint
//! and the current time; randomness comes from the injected RNG.
//!
//! ```
//! use heron_sip_stack::ua::{Ua, UaConfig, UaEvent};
//! use heron_sip_stack::{Endpoint, EndpointConfig, TransportKind};
//! use rand::{rngs::StdRng, SeedableRng};
//! use std::time::Instant;
//!
//! struct Side { ep: Endpoint, ua: Ua }
//! let side = |port: u16, seed| {
//!     let mut ep = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(seed));
//!     ep.add_listener(TransportKind::Udp, format!("127.0.0.1:{port}").parse().unwrap(), None);
//!     let cfg = UaConfig::new(format!("sip:u{port}@127.0.0.1"));
//!     Side { ep, ua: Ua::new(cfg, StdRng::seed_from_u64(seed)) }
//! };
//! // The "network": move datagrams both ways and feed endpoint events to
//! // each user agent until nothing moves.
//! fn pump(s: &mut [Side; 2], now: Instant) {
//!     loop {
//!         let mut moved = false;
//!         for i in 0..2 {
//!             while let Some(t) = s[i].ep.poll_transmit() {
//!                 s[1 - i].ep.handle_datagram(now, TransportKind::Udp, t.remote, t.local, t.payload);
//!                 moved = true;
//!             }
//!             while let Some(e) = s[i].ep.poll_event() {
//!                 let Side { ep, ua } = &mut s[i];
//!                 ua.handle_event(ep, now, e);
//!                 moved = true;
//!             }
//!         }
//!         if !moved { break; }
//!     }
//! }
//! let mut s = [side(5060, 1), side(5070, 2)];
//! let now = Instant::now();
//! let Side { ep, ua } = &mut s[0];
//! let call = ua.call(ep, now, "sip:u5070@127.0.0.1:5070", Some("v=0\r\n".into())).unwrap();
//! pump(&mut s, now);
//! let Some(UaEvent::IncomingCall { call: incoming, info }) = s[1].ua.poll_event() else { panic!() };
//! assert_eq!(info.from.uri, "sip:u5060@127.0.0.1");
//! assert_eq!(info.source.remote, "127.0.0.1:5060".parse().unwrap());
//! let Side { ep, ua } = &mut s[1];
//! ua.answer(ep, now, incoming, Some("v=0\r\n".into())).unwrap();
//! pump(&mut s, now);
//! assert!(matches!(s[0].ua.poll_event(), Some(UaEvent::Answered { .. })));
//! let Side { ep, ua } = &mut s[0];
//! ua.hangup(ep, now, call).unwrap();
//! pump(&mut s, now);
//! assert!(matches!(s[1].ua.poll_event(), Some(UaEvent::Confirmed { .. })));
//! assert!(matches!(s[1].ua.poll_event(), Some(UaEvent::Terminated { .. })));
//! assert_eq!(s[0].ua.call_count() + s[1].ua.call_count(), 0);
//! ```

mod config;
#[cfg(feature = "tokio")]
pub mod driver;
pub mod dtmf;
mod event;
mod registrations;
pub mod trace;

pub use crate::session::OutgoingCall;
pub use config::{Identity, PrackMode, SessionTimerConfig, UaConfig, ANONYMOUS_FROM};
pub(crate) use event::reason_of;
pub use event::{
    CallKey, DiversionEntry, EndReason, FailureKind, HistoryEntry, IncomingCall, OfferVia, Party,
    RegistrationId, UaEvent,
};

use crate::dialog::DialogId;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::resolve::UriTarget;
use crate::session::{Call, CallTimer};
use crate::types::{ClientKey, Event, ServerKey, Target, TransportKind};
use heron_sip::{HeaderName, Message, Method};
use rand_core::RngCore;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

/// Why a user-agent call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UaError {
    /// No such call or registration (or it has ended).
    #[error("no such call or registration")]
    Unknown,
    /// The call is not in a state that allows this.
    #[error("not possible in the call's state: {0}")]
    State(&'static str),
    /// No address to send to: the URI names a host and no proxy is set.
    #[error("cannot route to {0}: not an IP address and no proxy configured")]
    NoRoute(String),
    /// A URI or argument is invalid.
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// The endpoint refused.
    #[error(transparent)]
    Endpoint(#[from] Error),
}

/// What a client transaction we started is for.
#[derive(Debug)]
pub(crate) enum Pending {
    Register(u64),
    Invite(u64),
    InDialog {
        call: u64,
        request: Box<Message>,
        purpose: Purpose,
    },
}

/// Why an in-dialog request was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Nothing to do with the response.
    Plain,
    /// A re-INVITE or UPDATE carrying our offer.
    Offer,
    /// A session refresh (RFC 4028).
    Refresh,
    /// A REFER we sent.
    Refer,
    /// BYE to a forked 2xx's dialog (no call events).
    ForkBye,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum TimerRef {
    Reg(u64),
    Call(u64, CallTimer),
}

/// The user agent: registrations and calls over an [`Endpoint`].
pub struct Ua {
    pub(crate) cfg: UaConfig,
    pub(crate) rng: Box<dyn RngCore + Send>,
    pub(crate) regs: HashMap<u64, registrations::RegEntry>,
    pub(crate) calls: HashMap<u64, Box<Call>>,
    pub(crate) dialogs: HashMap<(String, String), u64>,
    pub(crate) invite_servers: HashMap<ServerKey, u64>,
    pub(crate) pending: HashMap<ClientKey, Pending>,
    timers: BinaryHeap<Reverse<(Instant, u64)>>,
    timer_refs: HashMap<u64, TimerRef>,
    pub(crate) events: VecDeque<UaEvent>,
    /// The public `host:port` the registrar saw, for Contact.
    pub(crate) public_contact: Option<String>,
    /// NOTIFYs owed to referrers: (the REFER's call, status).
    pub(crate) notify_queue: Vec<(u64, u16)>,
    /// re-INVITEs whose 2xx was handled (later 2xx are retransmissions).
    pub(crate) acked_reinvites: HashSet<ClientKey>,
    next_id: u64,
    /// Timer rounds since the tables were last checked for slack.
    rounds: u32,
}

impl std::fmt::Debug for Ua {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ua")
            .field("calls", &self.calls.len())
            .field("registrations", &self.regs.len())
            .finish()
    }
}

impl Ua {
    /// A user agent; `rng` gives jitter and digest cnonces.
    pub fn new(cfg: UaConfig, rng: impl RngCore + Send + 'static) -> Ua {
        Ua {
            cfg,
            rng: Box::new(rng),
            regs: HashMap::new(),
            calls: HashMap::new(),
            dialogs: HashMap::new(),
            invite_servers: HashMap::new(),
            pending: HashMap::new(),
            timers: BinaryHeap::new(),
            timer_refs: HashMap::new(),
            events: VecDeque::new(),
            public_contact: None,
            notify_queue: Vec::new(),
            acked_reinvites: HashSet::new(),
            next_id: 1,
            rounds: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &UaConfig {
        &self.cfg
    }

    /// Calls alive (for leak checks).
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// Entries held for calls, registrations, transactions and timers
    /// (zero when idle: for leak checks).
    pub fn state_size(&self) -> usize {
        self.calls.len()
            + self.regs.len()
            + self.dialogs.len()
            + self.invite_servers.len()
            + self.pending.len()
            + self.timer_refs.len()
            + self.timers.len()
            + self.acked_reinvites.len()
            + self.notify_queue.len()
    }

    pub(crate) fn alloc(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<UaEvent> {
        self.events.pop_front()
    }

    /// The earliest deadline: call [`Ua::handle_timeout`] then.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if self.timer_refs.contains_key(&id) {
                return Some(at);
            }
            self.timers.pop();
        }
        None
    }

    pub(crate) fn schedule(&mut self, at: Instant, r: TimerRef) -> u64 {
        let id = self.alloc();
        self.timers.push(Reverse((at, id)));
        self.timer_refs.insert(id, r);
        id
    }

    pub(crate) fn unschedule(&mut self, token: u64) {
        self.timer_refs.remove(&token);
        // The heap entry stays until it comes up (lazy deletion); with
        // long timers (session refresh, 900 s) the stale ones would pile
        // up behind any live timer, so drop them once they are the bulk.
        if self.timers.len() > 1024 && self.timers.len() > 4 * self.timer_refs.len() {
            let live = &self.timer_refs;
            self.timers.retain(|Reverse((_, id))| live.contains_key(id));
        }
    }

    /// Gives back the memory a burst of calls left in the tables (they
    /// keep their peak capacity otherwise).
    fn compact(&mut self) {
        fn map<K: std::hash::Hash + Eq, V>(m: &mut HashMap<K, V>) {
            if m.capacity() > 1024 && m.len() * 8 < m.capacity() {
                m.shrink_to(m.len() * 2);
            }
        }
        map(&mut self.calls);
        map(&mut self.dialogs);
        map(&mut self.invite_servers);
        map(&mut self.pending);
        map(&mut self.timer_refs);
        if self.acked_reinvites.capacity() > 1024
            && self.acked_reinvites.len() * 8 < self.acked_reinvites.capacity()
        {
            self.acked_reinvites
                .shrink_to(self.acked_reinvites.len() * 2);
        }
        if self.timers.capacity() > 4096 && self.timers.len() * 4 < self.timers.capacity() {
            self.timers.shrink_to(self.timers.len() * 2);
        }
        if self.events.capacity() > 1024 && self.events.len() * 8 < self.events.capacity() {
            self.events.shrink_to(self.events.len() * 2);
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, ep: &mut Endpoint, now: Instant) {
        self.rounds += 1;
        if self.rounds >= 4096 {
            self.rounds = 0;
            self.compact();
        }
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(r) = self.timer_refs.remove(&id) else {
                continue;
            };
            match r {
                TimerRef::Reg(reg) => self.reg_timer(ep, now, reg, id),
                TimerRef::Call(call, kind) => self.call_timer(ep, now, call, kind, id),
            }
        }
    }

    /// Handles one event of the endpoint.
    pub fn handle_event(&mut self, ep: &mut Endpoint, now: Instant, event: Event) {
        match event {
            Event::Request {
                key,
                request,
                source,
            } => self.on_request(ep, now, key, request, source),
            Event::Ack { request, .. } => self.on_ack(ep, now, request),
            Event::Cancelled { invite, cancel } => self.on_cancelled(ep, now, invite, &cancel),
            Event::Response { key, response, .. } => self.on_response(ep, now, key, response),
            Event::Timeout { key } => self.on_client_failure(ep, now, key, 408, "Request Timeout"),
            Event::TransportError { key, error } => {
                let text = error.to_string();
                self.on_client_failure(ep, now, key, 503, &text)
            }
            Event::Terminated(crate::types::TransactionKey::Client(k)) => {
                self.pending.remove(&k);
                self.acked_reinvites.remove(&k);
            }
            Event::Terminated(crate::types::TransactionKey::Server(k)) => {
                self.invite_servers.remove(&k);
            }
            Event::ResponseFailed { .. } => {}
            Event::ConnectionClosed {
                transport,
                remote,
                outbound,
                ..
            } => {
                if outbound {
                    self.flow_failed(ep, now, transport, remote);
                }
            }
        }
        self.flush_notifies(ep, now);
    }

    fn on_request(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        key: ServerKey,
        request: Message,
        source: crate::types::Source,
    ) {
        let method = request.method().cloned().unwrap_or(Method::Options);
        let in_dialog = request.to_header().ok().and_then(|t| t.tag()).is_some();
        if in_dialog {
            let id = DialogId::of_incoming(&request);
            let call = id.and_then(|id| self.dialogs.get(&(id.call_id, id.local_tag)).copied());
            match call {
                Some(c) => self.on_in_dialog(ep, now, c, key, request, source),
                None => {
                    let code = if method == Method::Options { 200 } else { 481 };
                    self.reply(ep, now, key, &request, code);
                }
            }
            return;
        }
        match method {
            Method::Invite => {
                let before = self.events.len();
                self.on_invite(ep, now, key, request, source);
                for e in self.events.iter_mut().skip(before) {
                    if let UaEvent::IncomingCall { info, .. } = e {
                        info.source = source;
                    }
                }
            }
            Method::Options => self.reply(ep, now, key, &request, 200),
            Method::Message => self.reply(ep, now, key, &request, 200),
            Method::Bye
            | Method::Prack
            | Method::Update
            | Method::Info
            | Method::Notify
            | Method::Refer => self.reply(ep, now, key, &request, 481),
            _ => self.reply(ep, now, key, &request, 405),
        }
    }

    /// A stateless-looking reply through the server transaction, with
    /// Allow, Accept and Supported on 200 to OPTIONS and on 405.
    pub(crate) fn reply(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        key: ServerKey,
        request: &Message,
        code: u16,
    ) {
        let tag = ep.new_tag();
        let mut r = Message::response_to(request, code, Some(&tag));
        if code == 405 || request.method() == Some(&Method::Options) {
            self.capabilities(ep, &mut r);
        }
        let _ = ep.send_response(now, key, r);
    }

    /// Allow, Accept and Supported.
    pub(crate) fn capabilities(&self, ep: &Endpoint, m: &mut Message) {
        m.append_header(HeaderName::Allow, &ep.config().allow_header());
        m.append_header(HeaderName::Accept, &ep.config().accept_header());
        m.append_header(HeaderName::Supported, &ep.config().supported_header());
    }

    /// Where a request for `uri` goes: the proxy, else the URI's IP
    /// address, else `fallback`.
    pub(crate) fn target_for(&self, uri: &str, fallback: Option<&Target>) -> Option<Target> {
        if let Some(p) = &self.cfg.proxy {
            return Some(p.clone());
        }
        if let Ok(t) = UriTarget::parse(uri) {
            if let Some(ip) = t.ip {
                let transport = t.default_transport();
                let port = t.port.unwrap_or(transport.default_port());
                let mut target = Target::new(transport, SocketAddr::new(ip, port));
                if t.transport.is_some() {
                    target = target.pinned();
                }
                return Some(target);
            }
        }
        fallback.cloned()
    }

    /// Our Contact value for requests and responses over `transport`.
    pub(crate) fn contact(&self, ep: &Endpoint, transport: TransportKind) -> String {
        let host = self.public_contact.clone().or_else(|| {
            ep.listener(transport)
                .or_else(|| ep.listener(self.cfg.transport))
                .map(|(_, s)| s.to_owned())
        });
        let host = host.unwrap_or_else(|| "127.0.0.1".into());
        let user = &self.cfg.contact_user;
        match transport {
            TransportKind::Udp => format!("<sip:{user}@{host}>"),
            TransportKind::Tcp => format!("<sip:{user}@{host};transport=tcp>"),
            TransportKind::Tls => format!("<sip:{user}@{host};transport=tls>"),
        }
    }
}
