//! Timers: each transaction and connection owns a small table indexed by
//! [`Timer`]; the endpoint keeps one queue of deadlines over all owners and
//! drops stale entries lazily (an entry is live only while the owner's
//! table still holds the same deadline for that timer).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Every timer of RFC 3261 §17 and RFC 6026, plus the endpoint's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// INVITE client: request retransmission (unreliable transports).
    A,
    /// INVITE client: transaction timeout.
    B,
    /// INVITE client: wait time for response retransmissions (Completed).
    D,
    /// Non-INVITE client: request retransmission.
    E,
    /// Non-INVITE client: transaction timeout.
    F,
    /// INVITE server: response retransmission.
    G,
    /// INVITE server: wait time for ACK receipt.
    H,
    /// INVITE server: wait time for ACK retransmissions (Confirmed).
    I,
    /// Non-INVITE server: wait time for request retransmissions.
    J,
    /// Non-INVITE client: wait time for response retransmissions.
    K,
    /// INVITE server (RFC 6026): wait time in Accepted for INVITE
    /// retransmissions.
    L,
    /// INVITE client (RFC 6026): wait time in Accepted for 2xx
    /// retransmissions.
    M,
    /// INVITE server: send 100 Trying if the user has not answered
    /// (§17.2.1).
    Trying,
    /// Connection: send the next CRLF keep-alive.
    KeepAlive,
    /// Connection: the keep-alive pong is overdue.
    KeepAliveTimeout,
}

impl Timer {
    const COUNT: usize = 15;

    fn index(self) -> usize {
        self as usize
    }
}

/// Deadlines of one owner, one slot per [`Timer`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TimerTable {
    data: [Option<Instant>; Timer::COUNT],
}

impl TimerTable {
    /// Arms `timer` at `at`, replacing any earlier setting.
    pub fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer.index()] = Some(at);
    }

    /// The deadline of `timer`, if armed.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        self.data[timer.index()]
    }

    /// Disarms `timer`.
    pub fn stop(&mut self, timer: Timer) {
        self.data[timer.index()] = None;
    }

    /// Disarms every timer.
    pub fn stop_all(&mut self) {
        self.data = [None; Timer::COUNT];
    }

    /// Whether `timer` is armed and due at `now`; disarms it if so.
    pub fn take_expired(&mut self, timer: Timer, now: Instant) -> bool {
        match self.data[timer.index()] {
            Some(at) if at <= now => {
                self.data[timer.index()] = None;
                true
            }
            _ => false,
        }
    }

    /// The earliest armed deadline.
    pub fn next(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }

    /// Whether any timer is armed.
    pub fn any(&self) -> bool {
        self.data.iter().any(Option::is_some)
    }
}

/// Who owns a timer in the endpoint's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Owner {
    Transaction(u64),
    Connection(u64),
}

/// The endpoint-wide deadline queue.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<(Instant, Owner, Timer)>>,
}

impl TimerQueue {
    pub(crate) fn push(&mut self, at: Instant, owner: Owner, timer: Timer) {
        self.heap.push(Reverse((at, owner, timer)));
    }

    /// The earliest entry, stale or not.
    pub(crate) fn peek(&self) -> Option<(Instant, Owner, Timer)> {
        self.heap.peek().map(|Reverse(e)| *e)
    }

    /// Removes the earliest entry if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, Owner, Timer)> {
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    /// Removes the earliest entry.
    pub(crate) fn pop(&mut self) {
        self.heap.pop();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn table_tracks_each_timer_separately() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::A, t0 + Duration::from_millis(500));
        t.set(Timer::B, t0 + Duration::from_secs(32));
        assert_eq!(t.next(), Some(t0 + Duration::from_millis(500)));
        assert!(!t.take_expired(Timer::A, t0));
        assert!(t.take_expired(Timer::A, t0 + Duration::from_secs(1)));
        assert_eq!(t.get(Timer::A), None);
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(32)));
        t.stop_all();
        assert!(!t.any());
    }

    #[test]
    fn queue_pops_in_deadline_order() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        q.push(t0 + Duration::from_secs(2), Owner::Transaction(1), Timer::B);
        q.push(t0 + Duration::from_secs(1), Owner::Transaction(2), Timer::A);
        assert_eq!(q.peek().map(|e| e.0), Some(t0 + Duration::from_secs(1)));
        assert!(q.pop_due(t0).is_none());
        let e = q.pop_due(t0 + Duration::from_secs(5)).unwrap();
        assert_eq!(e.1, Owner::Transaction(2));
        let e = q.pop_due(t0 + Duration::from_secs(5)).unwrap();
        assert_eq!(e.2, Timer::B);
        assert_eq!(q.len(), 0);
    }
}
