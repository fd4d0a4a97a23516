//! The session's outgoing datagrams and their reusable buffers. A session
//! usually holds one datagram between building it and the driver sending
//! it, so the first queued datagram and one spare buffer are stored inline
//! (in the session's per-packet lines); more go to a queue and a pool.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::Transmit;

/// A datagram waiting to be sent.
pub(super) struct Pending {
    pub(super) dest: SocketAddr,
    pub(super) len: usize,
    pub(super) rtcp: bool,
    pub(super) buf: Vec<u8>,
}

impl Pending {
    fn transmit(&self) -> Transmit {
        Transmit {
            destination: self.dest,
            len: self.len,
            rtcp: self.rtcp,
        }
    }
}

/// Outgoing datagrams, oldest first, and free buffers, most recently
/// freed first (still in the cache when reused).
#[derive(Default)]
pub(super) struct TxQueue {
    /// The oldest datagram; `None` only when `rest` is empty too, or after
    /// the oldest was taken (then `rest` holds the older ones than any
    /// datagram queued later).
    first: Option<Pending>,
    rest: VecDeque<Pending>,
    spare: Option<Vec<u8>>,
    pool: Vec<Vec<u8>>,
}

impl TxQueue {
    /// A free buffer of `size` octets (zeroed only when new).
    pub(super) fn take_buf(&mut self, size: usize) -> Vec<u8> {
        match self.spare.take().or_else(|| self.pool.pop()) {
            Some(b) if b.len() == size => b,
            _ => vec![0u8; size],
        }
    }

    /// Gives a buffer back.
    pub(super) fn recycle(&mut self, b: Vec<u8>) {
        if self.spare.is_none() {
            self.spare = Some(b);
        } else {
            self.pool.push(b);
        }
    }

    pub(super) fn push(&mut self, p: Pending) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(p);
        } else {
            self.rest.push_back(p);
        }
    }

    pub(super) fn pop(&mut self) -> Option<Pending> {
        self.first.take().or_else(|| self.rest.pop_front())
    }

    /// Pops the next datagram and recycles its buffer, which stays
    /// unchanged while the returned borrow lives.
    pub(super) fn pop_datagram(&mut self) -> Option<(Transmit, &[u8])> {
        let p = self.pop()?;
        let t = p.transmit();
        let buf: &Vec<u8> = if self.spare.is_none() {
            self.spare.insert(p.buf)
        } else {
            self.pool.push(p.buf);
            self.pool.last()?
        };
        Some((t, buf.get(..t.len)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(n: u8) -> Pending {
        Pending {
            dest: SocketAddr::from(([127, 0, 0, 1], u16::from(n))),
            len: 1,
            rtcp: false,
            buf: vec![n; 4],
        }
    }

    #[test]
    fn datagrams_leave_in_order_and_buffers_are_reused() {
        let mut q = TxQueue::default();
        for n in 1..=3 {
            q.push(pending(n));
        }
        assert_eq!(
            q.pop_datagram()
                .map(|(t, d)| (t.destination.port(), d.to_vec())),
            Some((1, vec![1]))
        );
        // Queued after the oldest left: still behind 2 and 3.
        q.push(pending(4));
        let order: Vec<u16> = std::iter::from_fn(|| q.pop().map(|p| p.dest.port())).collect();
        assert_eq!(order, [2, 3, 4]);
        assert!(q.pop_datagram().is_none());
        // The last buffer freed comes back first; a wrong size is replaced.
        q.recycle(vec![9; 4]);
        assert_eq!(q.take_buf(4), vec![1; 4]);
        assert_eq!(q.take_buf(4), vec![9; 4]);
        assert_eq!(q.take_buf(4), vec![0; 4]);
        q.recycle(vec![7; 8]);
        assert_eq!(q.take_buf(4), vec![0; 4]);
    }
}
