//! Timers: each transaction and connection owns a small table indexed by
//! [`Timer`]; the endpoint keeps one queue of deadlines over all owners and
//! drops stale entries lazily (an entry is live only while the owner's
//! table still holds the same deadline for that timer).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

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
    /// UDP flow: retransmit the STUN keep-alive request.
    StunRetransmit,
}

impl Timer {
    const COUNT: usize = 16;

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

/// Armed timers one owner can hold in a [`Deadlines`].
const SLOTS: usize = 3;

/// The deadlines of one transaction or connection: a compact form of
/// [`TimerTable`] with room for three armed timers at once. No owner needs
/// more than two (a retransmission timer and a timeout), so the table
/// stays under a third of the full one's size.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Deadlines {
    slots: [Option<(Timer, Instant)>; SLOTS],
}

impl Deadlines {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        let mut free = None;
        for (i, s) in self.slots.iter_mut().enumerate() {
            match s {
                Some((t, d)) if *t == timer => {
                    *d = at;
                    return;
                }
                None if free.is_none() => free = Some(i),
                _ => {}
            }
        }
        match free {
            Some(i) => self.slots[i] = Some((timer, at)),
            None => {
                // Unreachable by construction (see the type's doc); keep
                // the earliest deadlines rather than lose the new one.
                debug_assert!(false, "more than {SLOTS} timers armed at once");
                if let Some(s) = self.slots.iter_mut().max_by_key(|s| s.map(|(_, d)| d)) {
                    *s = Some((timer, at));
                }
            }
        }
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.slots
            .iter()
            .flatten()
            .find(|(t, _)| *t == timer)
            .map(|(_, d)| *d)
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        for s in &mut self.slots {
            if matches!(s, Some((t, _)) if *t == timer) {
                *s = None;
            }
        }
    }

    pub(crate) fn stop_all(&mut self) {
        self.slots = [None; SLOTS];
    }

    /// Whether `timer` is armed and due at `now`; disarms it if so.
    pub(crate) fn take_expired(&mut self, timer: Timer, now: Instant) -> bool {
        for s in &mut self.slots {
            if let Some((t, d)) = s {
                if *t == timer {
                    if *d <= now {
                        *s = None;
                        return true;
                    }
                    return false;
                }
            }
        }
        false
    }
}

/// Who owns a timer in the endpoint's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Owner {
    Transaction(u64),
    Connection(u64),
}

impl Owner {
    fn pack(self) -> u64 {
        match self {
            Owner::Transaction(id) => id << 1,
            Owner::Connection(id) => (id << 1) | 1,
        }
    }

    fn unpack(v: u64) -> Owner {
        if v & 1 == 0 {
            Owner::Transaction(v >> 1)
        } else {
            Owner::Connection(v >> 1)
        }
    }
}

/// One queued deadline (32 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    at: Instant,
    owner: u64,
    timer: Timer,
}

impl Entry {
    fn out(self) -> (Instant, Owner, Timer) {
        (self.at, Owner::unpack(self.owner), self.timer)
    }
}

/// Deadlines armed with the same delay, in the order they were armed: as
/// time only moves forward they are also in deadline order, so a FIFO
/// replaces a heap.
#[derive(Debug)]
struct Lane {
    after: Duration,
    queue: VecDeque<Entry>,
}

/// Distinct delays given their own lane; the RFC 3261 timers use about a
/// dozen (T1·2ⁿ, T2, T4, 64·T1, D, the 100 Trying wait, keep-alives).
const MAX_LANES: usize = 24;

/// Where the earliest entry is.
#[derive(Debug, Clone, Copy)]
enum Head {
    Lane(usize),
    Heap,
}

/// The endpoint-wide deadline queue: one FIFO lane per delay, so arming
/// and popping cost O(1) with a scan over a few lane heads; a heap takes
/// what does not fit a lane (a deadline earlier than its lane's last,
/// when `now` went backwards, or more delays than lanes). Stale entries
/// are dropped lazily: one is live only while its owner's table still
/// holds the same deadline for that timer.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    lanes: Vec<Lane>,
    heap: BinaryHeap<Reverse<Entry>>,
}

impl TimerQueue {
    /// Queues `timer` of `owner`, due at `now + after`.
    pub(crate) fn push(&mut self, now: Instant, after: Duration, owner: Owner, timer: Timer) {
        let e = Entry {
            at: now + after,
            owner: owner.pack(),
            timer,
        };
        let lane = match self.lanes.iter().position(|l| l.after == after) {
            Some(i) => Some(i),
            None if self.lanes.len() < MAX_LANES => {
                self.lanes.push(Lane {
                    after,
                    queue: VecDeque::new(),
                });
                Some(self.lanes.len() - 1)
            }
            None => None,
        };
        if let Some(l) = lane.map(|i| &mut self.lanes[i]) {
            if l.queue.back().is_none_or(|b| b.at <= e.at) {
                l.queue.push_back(e);
                return;
            }
        }
        self.heap.push(Reverse(e));
    }

    fn head(&self) -> Option<(Entry, Head)> {
        let mut best: Option<(Entry, Head)> = self.heap.peek().map(|Reverse(e)| (*e, Head::Heap));
        for (i, l) in self.lanes.iter().enumerate() {
            if let Some(e) = l.queue.front() {
                if best.is_none_or(|(b, _)| e.at < b.at) {
                    best = Some((*e, Head::Lane(i)));
                }
            }
        }
        best
    }

    fn remove(&mut self, h: Head) {
        match h {
            Head::Lane(i) => {
                self.lanes[i].queue.pop_front();
            }
            Head::Heap => {
                self.heap.pop();
            }
        }
    }

    /// The earliest entry, stale or not.
    pub(crate) fn peek(&self) -> Option<(Instant, Owner, Timer)> {
        self.head().map(|(e, _)| e.out())
    }

    /// Removes the earliest entry if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, Owner, Timer)> {
        match self.head() {
            Some((e, h)) if e.at <= now => {
                self.remove(h);
                Some(e.out())
            }
            _ => None,
        }
    }

    /// Removes the earliest entry.
    pub(crate) fn pop(&mut self) {
        if let Some((_, h)) = self.head() {
            self.remove(h);
        }
    }

    /// Queued entries, stale ones included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(|l| l.queue.len()).sum::<usize>()
    }

    /// Gives back memory the lanes no longer need after a burst.
    pub(crate) fn shrink(&mut self) {
        for l in &mut self.lanes {
            if l.queue.capacity() > 64 && l.queue.len() * 4 < l.queue.capacity() {
                l.queue.shrink_to(l.queue.len() * 2);
            }
        }
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
        q.push(t0, Duration::from_secs(2), Owner::Transaction(1), Timer::B);
        q.push(t0, Duration::from_secs(1), Owner::Transaction(2), Timer::A);
        assert_eq!(q.peek().map(|e| e.0), Some(t0 + Duration::from_secs(1)));
        assert!(q.pop_due(t0).is_none());
        let e = q.pop_due(t0 + Duration::from_secs(5)).unwrap();
        assert_eq!(e.1, Owner::Transaction(2));
        let e = q.pop_due(t0 + Duration::from_secs(5)).unwrap();
        assert_eq!(e.2, Timer::B);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn lanes_and_heap_pop_in_deadline_order_even_when_time_goes_back() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut q = TimerQueue::default();
        // Same delay, armed at decreasing times: the second goes to the heap.
        q.push(t0 + ms(10), ms(100), Owner::Transaction(1), Timer::E);
        q.push(t0, ms(100), Owner::Transaction(2), Timer::E);
        // More delays than lanes: the rest go to the heap.
        for i in 0..(MAX_LANES as u64 + 8) {
            q.push(t0, ms(200 + i), Owner::Connection(i + 10), Timer::KeepAlive);
        }
        q.push(t0, ms(50), Owner::Transaction(3), Timer::K);
        assert_eq!(q.len(), MAX_LANES + 11);
        let mut last = t0;
        let mut order = Vec::new();
        while let Some((at, owner, _)) = q.pop_due(t0 + ms(10_000)) {
            assert!(at >= last);
            last = at;
            order.push(owner);
        }
        assert_eq!(
            &order[..3],
            &[
                Owner::Transaction(3),
                Owner::Transaction(2),
                Owner::Transaction(1)
            ]
        );
        assert_eq!(
            order.last(),
            Some(&Owner::Connection(MAX_LANES as u64 + 17))
        );
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn deadlines_hold_each_timer_once() {
        let t0 = Instant::now();
        let mut d = Deadlines::default();
        d.set(Timer::E, t0 + Duration::from_millis(500));
        d.set(Timer::F, t0 + Duration::from_secs(32));
        d.set(Timer::E, t0 + Duration::from_secs(1));
        assert_eq!(d.get(Timer::E), Some(t0 + Duration::from_secs(1)));
        assert!(!d.take_expired(Timer::E, t0));
        assert!(d.take_expired(Timer::E, t0 + Duration::from_secs(1)));
        assert_eq!(d.get(Timer::E), None);
        d.stop(Timer::F);
        assert_eq!(d.get(Timer::F), None);
        d.set(Timer::K, t0);
        d.stop_all();
        assert_eq!(d.get(Timer::K), None);
    }
}
