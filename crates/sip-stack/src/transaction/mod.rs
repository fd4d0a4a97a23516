//! The four transaction state machines of RFC 3261 §17 with RFC 6026's
//! Accepted states. A [`Transaction`] holds what one transaction needs to
//! retransmit and match; the endpoint's [`Core`] carries its outputs.

pub(crate) mod client;
pub(crate) mod server;

use crate::core::{Core, Route};
use crate::timer::{Owner, Timer, TimerTable};
use crate::types::{ClientKey, Event, ServerKey, Target, TransactionKey};
use bytes::Bytes;
use heron_sip::{Message, Method};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Which of the four machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// INVITE client (§17.1.1).
    ClientInvite,
    /// Non-INVITE client (§17.1.2).
    ClientNonInvite,
    /// INVITE server (§17.2.1).
    ServerInvite,
    /// Non-INVITE server (§17.2.2).
    ServerNonInvite,
}

impl Kind {
    /// Whether this is a client transaction.
    pub fn is_client(self) -> bool {
        matches!(self, Kind::ClientInvite | Kind::ClientNonInvite)
    }
}

/// Transaction states of RFC 3261 §17 and RFC 6026.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// INVITE client: request sent, nothing heard.
    Calling,
    /// Non-INVITE client or server: nothing heard / nothing answered yet.
    Trying,
    /// A provisional response was received or sent.
    Proceeding,
    /// RFC 6026: a 2xx to an INVITE was received or sent.
    Accepted,
    /// A final non-2xx (INVITE) or any final (non-INVITE) response.
    Completed,
    /// INVITE server: the ACK arrived.
    Confirmed,
    /// Done; removed by the endpoint.
    Terminated,
}

/// One transaction.
#[derive(Debug)]
pub(crate) struct Transaction {
    pub(crate) id: u64,
    pub(crate) kind: Kind,
    pub(crate) state: State,
    pub(crate) timers: TimerTable,
    pub(crate) route: Route,
    /// The method (the CSeq method).
    pub(crate) method: Method,
    /// The branch of the top Via (ours for clients, the peer's for servers;
    /// empty for RFC 2543 server transactions).
    pub(crate) branch: String,
    /// Client: the request with our Via, kept for retransmission,
    /// failover, ACK and CANCEL. INVITE server: the request as received,
    /// for 100 Trying. Non-INVITE server: an empty placeholder.
    pub(crate) request: Message,
    /// Client: our Via value.
    pub(crate) via: String,
    /// Client: the request bytes. Server: the last response bytes.
    pub(crate) wire: Bytes,
    /// INVITE client: the ACK for a non-2xx final response.
    pub(crate) ack: Option<Bytes>,
    /// Current retransmission interval (A, E, G).
    pub(crate) interval: Duration,
    /// Client: the key the user holds (stable across failover).
    pub(crate) user: u64,
    /// Client: targets left to try (RFC 3263 §4.3).
    pub(crate) targets: VecDeque<Target>,
    /// Client: a provisional response has been received.
    pub(crate) provisional: bool,
    /// INVITE client: a CANCEL waits for the first provisional response.
    pub(crate) pending_cancel: Option<u64>,
    /// Client: superseded by a failover attempt; no more events.
    pub(crate) superseded: bool,
    /// Server: the To tag of the last response (RFC 2543 ACK matching).
    pub(crate) to_tag: Option<String>,
    /// Server: the sent-by of the top Via, for §17.2.3 matching.
    pub(crate) sent_by: String,
    /// Server: the RFC 2543 matching key, when used.
    pub(crate) key2543: Option<String>,
    /// Server: the status of the last response sent.
    pub(crate) last_status: u16,
    /// Client: ended by Timer B or F.
    pub(crate) timed_out: bool,
}

impl Transaction {
    pub(crate) fn new(id: u64, kind: Kind, route: Route, method: Method, request: Message) -> Self {
        Transaction {
            id,
            kind,
            state: match kind {
                Kind::ClientInvite => State::Calling,
                Kind::ServerInvite => State::Proceeding,
                _ => State::Trying,
            },
            timers: TimerTable::default(),
            route,
            method,
            branch: String::new(),
            request,
            via: String::new(),
            wire: Bytes::new(),
            ack: None,
            interval: Duration::ZERO,
            user: id,
            targets: VecDeque::new(),
            provisional: false,
            pending_cancel: None,
            superseded: false,
            to_tag: None,
            sent_by: String::new(),
            key2543: None,
            last_status: 0,
            timed_out: false,
        }
    }

    /// The key the user sees.
    pub(crate) fn key(&self) -> TransactionKey {
        if self.kind.is_client() {
            TransactionKey::Client(ClientKey(self.user))
        } else {
            TransactionKey::Server(ServerKey(self.id))
        }
    }

    pub(crate) fn reliable(&self) -> bool {
        self.route.transport.is_reliable()
    }

    /// Arms `timer` at `now + after`.
    pub(crate) fn arm(&mut self, core: &mut Core, timer: Timer, now: Instant, after: Duration) {
        let at = now + after;
        self.timers.set(timer, at);
        core.timers.push(at, Owner::Transaction(self.id), timer);
    }

    /// Arms a wait timer, or terminates at once when the wait is zero (the
    /// reliable-transport case of Timers D, I, J, K).
    pub(crate) fn linger(&mut self, core: &mut Core, timer: Timer, now: Instant, wait: Duration) {
        if wait.is_zero() {
            self.terminate();
        } else {
            self.arm(core, timer, now, wait);
        }
    }

    pub(crate) fn terminate(&mut self) {
        self.state = State::Terminated;
        self.timers.stop_all();
    }

    /// Sends `payload` on the transaction's route; false on a transport
    /// failure (already reported by the caller's handling).
    pub(crate) fn send(&mut self, core: &mut Core, payload: Bytes) -> bool {
        core.send(&mut self.route, payload).is_ok()
    }

    /// Handles an expired timer.
    pub(crate) fn on_timer(&mut self, core: &mut Core, now: Instant, timer: Timer) {
        if !self.timers.take_expired(timer, now) {
            return;
        }
        if self.kind.is_client() {
            client::on_timer(self, core, now, timer);
        } else {
            server::on_timer(self, core, now, timer);
        }
    }

    pub(crate) fn event(&self, core: &mut Core, e: Event) {
        if !self.superseded {
            core.events.push_back(e);
        }
    }
}
