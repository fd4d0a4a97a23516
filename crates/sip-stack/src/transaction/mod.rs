//! The four transaction state machines of RFC 3261 §17 with RFC 6026's
//! Accepted states. A [`Transaction`] holds what one transaction needs to
//! retransmit and match; the endpoint's [`Core`] carries its outputs.

pub(crate) mod client;
pub(crate) mod server;

use crate::core::{Core, Route};
use crate::timer::{Deadlines, Owner, Timer};
use crate::types::{ClientKey, Event, ServerKey, Target, TransactionKey, TransportError};
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

/// What only a client transaction needs; boxed so that server
/// transactions, which linger by the thousand under load (Timer J), stay
/// small.
#[derive(Debug)]
pub(crate) struct ClientPart {
    /// The request with our Via, kept for failover, the ACK of a non-2xx
    /// final response and CANCEL.
    /// `None` once a non-INVITE transaction is Completed (nothing needs it
    /// then, and lingering transactions should hold little).
    pub(crate) request: Option<Message>,
    /// INVITE: our Via value, for the ACK of a non-2xx and the CANCEL
    /// (other methods keep only the branch).
    pub(crate) via: String,
    /// The branch of our Via.
    pub(crate) branch: Branch,
    /// INVITE: the ACK for a non-2xx final response.
    pub(crate) ack: Option<Bytes>,
    /// The key the user holds (stable across failover).
    pub(crate) user: u64,
    /// Targets left to try (RFC 3263 §4.3).
    pub(crate) targets: VecDeque<Target>,
    /// INVITE: a CANCEL waits for the first provisional response.
    pub(crate) pending_cancel: Option<u64>,
    /// An OPTIONS keep-alive probe of this UDP flow: its events go to the
    /// flow, not the user (flow 0, which never exists, once the flow is
    /// gone).
    pub(crate) probe: Option<u64>,
}

impl ClientPart {
    /// The branch of our Via.
    pub(crate) fn branch(&self) -> &str {
        self.branch.as_str()
    }
}

/// A branch we made, kept inline: the magic cookie, 16 random and up to
/// 16 id hex digits (see [`crate::via::build_client`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Branch {
    len: u8,
    buf: [u8; Branch::MAX],
}

impl Branch {
    const MAX: usize = 40;

    /// `s`, or an empty branch when it is longer than ours ever are.
    pub(crate) fn new(s: &str) -> Branch {
        let mut b = Branch::default();
        if s.len() <= Branch::MAX {
            b.buf[..s.len()].copy_from_slice(s.as_bytes());
            b.len = s.len() as u8;
        }
        b
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("")
    }
}

impl Default for Branch {
    fn default() -> Branch {
        Branch {
            len: 0,
            buf: [0; Branch::MAX],
        }
    }
}

/// What only a server transaction needs.
#[derive(Debug, Default)]
pub(crate) struct ServerPart {
    /// The key of the request's top Via branch in the endpoint's server
    /// index; `None` for RFC 2543 requests.
    pub(crate) branch: Option<u64>,
    /// A digest of the top Via's sent-by, for §17.2.3 matching.
    pub(crate) sent_by: u64,
    /// For a request without an RFC 3261 branch: how it is matched.
    pub(crate) rfc2543: Option<Box<Rfc2543>>,
    /// INVITE: the request as received, until the first response (the
    /// endpoint's own 100 Trying is built from it).
    pub(crate) request: Option<Box<Message>>,
}

/// RFC 2543 matching state (§17.2.3), rare enough to live apart.
#[derive(Debug)]
pub(crate) struct Rfc2543 {
    /// Request-URI, From tag, Call-ID, CSeq number and top Via.
    pub(crate) key: Box<str>,
    /// INVITE: the To tag of the last response (ACK matching).
    pub(crate) to_tag: Option<Box<str>>,
}

/// The role-specific part of a transaction.
#[derive(Debug)]
pub(crate) enum Role {
    Client(Box<ClientPart>),
    Server(ServerPart),
}

/// One transaction.
#[derive(Debug)]
pub(crate) struct Transaction {
    pub(crate) id: u64,
    pub(crate) kind: Kind,
    pub(crate) state: State,
    /// Client: a provisional response has been received.
    pub(crate) provisional: bool,
    /// Client: superseded by a failover attempt; no more events.
    pub(crate) superseded: bool,
    /// Client: ended by Timer B or F.
    pub(crate) timed_out: bool,
    /// Server: the status of the last response sent.
    pub(crate) last_status: u16,
    pub(crate) timers: Deadlines,
    pub(crate) route: Route,
    /// The method (the CSeq method).
    pub(crate) method: Method,
    /// Client: the request bytes. Server: the last response bytes, all
    /// that is kept for retransmissions once a final response is sent.
    pub(crate) wire: Bytes,
    /// Current retransmission interval (A, E, G).
    pub(crate) interval: Duration,
    pub(crate) role: Role,
}

impl Transaction {
    fn base(id: u64, kind: Kind, route: Route, method: Method, role: Role) -> Self {
        Transaction {
            id,
            kind,
            state: match kind {
                Kind::ClientInvite => State::Calling,
                Kind::ServerInvite => State::Proceeding,
                _ => State::Trying,
            },
            provisional: false,
            superseded: false,
            timed_out: false,
            last_status: 0,
            timers: Deadlines::default(),
            route,
            method,
            wire: Bytes::new(),
            interval: Duration::ZERO,
            role,
        }
    }

    /// A client transaction for `request` (Via not yet added).
    pub(crate) fn client(
        id: u64,
        kind: Kind,
        route: Route,
        method: Method,
        request: Message,
    ) -> Self {
        let part = ClientPart {
            request: Some(request),
            via: String::new(),
            branch: Branch::default(),
            ack: None,
            user: id,
            targets: VecDeque::new(),
            pending_cancel: None,
            probe: None,
        };
        Transaction::base(id, kind, route, method, Role::Client(Box::new(part)))
    }

    /// A server transaction.
    pub(crate) fn server(
        id: u64,
        kind: Kind,
        route: Route,
        method: Method,
        part: ServerPart,
    ) -> Self {
        Transaction::base(id, kind, route, method, Role::Server(part))
    }

    /// The client part, for client transactions.
    pub(crate) fn client_part(&self) -> Option<&ClientPart> {
        match &self.role {
            Role::Client(c) => Some(c),
            Role::Server(_) => None,
        }
    }

    pub(crate) fn client_mut(&mut self) -> Option<&mut ClientPart> {
        match &mut self.role {
            Role::Client(c) => Some(c),
            Role::Server(_) => None,
        }
    }

    pub(crate) fn server_part(&self) -> Option<&ServerPart> {
        match &self.role {
            Role::Server(s) => Some(s),
            Role::Client(_) => None,
        }
    }

    pub(crate) fn server_mut(&mut self) -> Option<&mut ServerPart> {
        match &mut self.role {
            Role::Server(s) => Some(s),
            Role::Client(_) => None,
        }
    }

    /// Client: the key the user holds; server: the transaction id.
    pub(crate) fn user(&self) -> u64 {
        match &self.role {
            Role::Client(c) => c.user,
            Role::Server(_) => self.id,
        }
    }

    /// The key the user sees.
    pub(crate) fn key(&self) -> TransactionKey {
        if self.kind.is_client() {
            TransactionKey::Client(ClientKey(self.user()))
        } else {
            TransactionKey::Server(ServerKey(self.id))
        }
    }

    pub(crate) fn reliable(&self) -> bool {
        self.route.transport.is_reliable()
    }

    /// Arms `timer` at `now + after`.
    pub(crate) fn arm(&mut self, core: &mut Core, timer: Timer, now: Instant, after: Duration) {
        self.timers.set(timer, now + after);
        core.timers
            .push(now, after, Owner::Transaction(self.id), timer);
    }

    /// Arms one of the wait timers D, I, J, K for `unreliable_wait`, or
    /// terminates at once over a reliable transport, where RFC 3261 §17 sets
    /// them to zero.
    pub(crate) fn linger(
        &mut self,
        core: &mut Core,
        timer: Timer,
        now: Instant,
        unreliable_wait: Duration,
    ) {
        let wait = if self.reliable() {
            Duration::ZERO
        } else {
            unreliable_wait
        };
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
        if self.superseded {
            return;
        }
        if let Some(flow) = self.client_part().and_then(|c| c.probe) {
            // A keep-alive probe: any answer means the flow is alive.
            let outcome = match e {
                Event::Response { .. } => Ok(()),
                Event::Timeout { .. } => Err(TransportError::KeepAliveTimeout(
                    self.route.remote,
                    core.cfg.timers.t1x64(),
                )),
                Event::TransportError { error, .. } => Err(error),
                _ => return,
            };
            core.probe_outcomes.push((flow, outcome));
            return;
        }
        core.events.push_back(e);
    }
}

#[cfg(test)]
mod tests {
    /// Server transactions linger by the thousand (Timer J, 32 s at 5,000
    /// requests/s is 160,000 of them): keep them small.
    #[test]
    fn transactions_stay_small() {
        assert!(std::mem::size_of::<super::Transaction>() <= 352);
        assert!(std::mem::size_of::<super::ServerPart>() <= 48);
    }
}
