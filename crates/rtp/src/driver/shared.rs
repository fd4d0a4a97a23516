//! The shared media port: one UDP socket carries the media of many
//! sessions, read with `recvmmsg` and written with `sendmmsg` in batches.
//!
//! A datagram goes to the session whose peer address (where it sends to,
//! which follows latching) is the datagram's source. From an address no
//! session sends to, it goes to the session that knows its SSRC: learned
//! from the packets that session accepted, or announced with
//! [`Driver::expect_ssrc`](super::Driver::expect_ssrc) (for example from
//! the SDP's `a=ssrc`). Anything else is dropped and counted
//! ([`DriverStats::unknown_source`](super::DriverStats::unknown_source)).
//! Routing never changes a session's peer address: the session latches
//! (RFC 4961) on its own rules, only after a packet from the new address
//! passed SRTP authentication (or, for plain RTP, after the configured
//! number of consecutive packets); the driver then routes that address to
//! it. A forged packet with a known SSRC from another address thus reaches
//! the session, fails authentication there and changes nothing.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use tokio::io::Interest;
use tokio::net::UdpSocket;

use super::mmsg::{RecvBatch, SendBatch};
use super::{DriverStats, Entry};
use crate::demux::{classify, PacketKind};
use crate::session::Handled;

/// A fast, unkeyed hash for the routing tables. Only the driver inserts
/// keys (configured and authenticated addresses, SSRCs), so a peer choosing
/// colliding lookups cannot make a table degrade.
#[derive(Default)]
pub(super) struct RouteHasher(u64);

impl Hasher for RouteHasher {
    fn finish(&self) -> u64 {
        // A final mix so the table's low bits depend on every input bit.
        let h = self.0 ^ (self.0 >> 29);
        h.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

type Table<K> = HashMap<K, Route, BuildHasherDefault<RouteHasher>>;

/// The sessions a key routes to (several when peers share an address,
/// e.g. an SBC sending every call from one port: then the SSRC decides).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    One(usize),
    Many(Vec<usize>),
}

fn add<K: std::hash::Hash + Eq>(t: &mut Table<K>, k: K, i: usize) {
    let Some(r) = t.get_mut(&k) else {
        t.insert(k, Route::One(i));
        return;
    };
    match r {
        Route::One(j) if *j == i => {}
        Route::One(j) => {
            let j = *j;
            *r = Route::Many(vec![j, i]);
        }
        Route::Many(v) => {
            if !v.contains(&i) {
                v.push(i);
            }
        }
    }
}

fn remove<K: std::hash::Hash + Eq>(t: &mut Table<K>, k: &K, i: usize) {
    let Some(r) = t.get_mut(k) else {
        return;
    };
    match r {
        Route::One(j) => {
            if *j == i {
                t.remove(k);
            }
        }
        Route::Many(v) => {
            v.retain(|&j| j != i);
            if let [only] = v[..] {
                *r = Route::One(only);
            }
        }
    }
}

fn retarget<K: std::hash::Hash + Eq>(t: &mut Table<K>, k: &K, from: usize, to: usize) {
    match t.get_mut(k) {
        Some(Route::One(j)) if *j == from => *j = to,
        Some(Route::Many(v)) => {
            for j in v.iter_mut().filter(|j| **j == from) {
                *j = to;
            }
        }
        _ => {}
    }
}

/// The keys one session is routed by.
#[derive(Debug, Default)]
pub(super) struct Keys {
    /// The peer address the session sends to, as registered.
    addr: Option<SocketAddr>,
    /// The peer SSRC learned from accepted packets.
    learned: Option<u32>,
    /// SSRCs announced by the application.
    expected: Vec<u32>,
}

impl Keys {
    fn ssrcs(&self) -> impl Iterator<Item = u32> + '_ {
        self.learned
            .into_iter()
            .chain(self.expected.iter().copied())
    }
}

/// The shared socket, its routing tables and batch buffers.
pub(super) struct SharedPort {
    socket: UdpSocket,
    /// The same socket as a std handle for the batch calls (sending never
    /// waits for tokio's write readiness).
    raw: std::net::UdpSocket,
    local: SocketAddr,
    by_addr: Table<SocketAddr>,
    by_ssrc: Table<u32>,
    rx: RecvBatch,
    tx: SendBatch,
}

/// The SSRC of an RTP or RTCP packet (RFC 5761: the sender's SSRC follows
/// the first word in both).
fn ssrc_of(data: &[u8]) -> Option<u32> {
    let at = match classify(data) {
        PacketKind::Rtp => 8,
        PacketKind::Rtcp => 4,
        _ => return None,
    };
    let b = data.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn pick(route: &Route, by_ssrc: &Table<u32>, data: &[u8]) -> Option<usize> {
    match route {
        Route::One(i) => Some(*i),
        Route::Many(v) => match by_ssrc.get(&ssrc_of(data)?)? {
            Route::One(i) if v.contains(i) => Some(*i),
            _ => None,
        },
    }
}

/// The session a datagram from `src` belongs to.
fn route(
    by_addr: &Table<SocketAddr>,
    by_ssrc: &Table<u32>,
    src: SocketAddr,
    data: &[u8],
) -> Option<usize> {
    if let Some(r) = by_addr.get(&src) {
        return pick(r, by_ssrc, data);
    }
    match by_ssrc.get(&ssrc_of(data)?)? {
        Route::One(i) => Some(*i),
        Route::Many(_) => None,
    }
}

impl SharedPort {
    pub(super) fn bind(addr: SocketAddr) -> io::Result<Self> {
        let (socket, raw) = super::open_udp(addr)?;
        // A shared port takes the traffic of many calls: larger buffers.
        let s = socket2::SockRef::from(&raw);
        let _ = s.set_recv_buffer_size(8 << 20);
        let _ = s.set_send_buffer_size(8 << 20);
        let local = socket.local_addr()?;
        Ok(SharedPort {
            socket,
            raw,
            local,
            by_addr: Table::default(),
            by_ssrc: Table::default(),
            rx: RecvBatch::new(),
            tx: SendBatch::new(),
        })
    }

    pub(super) fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub(super) fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// Routes the session at `i` by its peer address.
    pub(super) fn register(&mut self, i: usize, keys: &mut Keys, remote: SocketAddr) {
        add(&mut self.by_addr, remote, i);
        keys.addr = Some(remote);
    }

    /// Routes packets with `ssrc` to the session at `i`.
    pub(super) fn expect_ssrc(&mut self, i: usize, keys: &mut Keys, ssrc: u32) {
        if !keys.expected.contains(&ssrc) {
            keys.expected.push(ssrc);
            add(&mut self.by_ssrc, ssrc, i);
        }
    }

    /// Forgets the session at `i`'s keys.
    pub(super) fn unregister(&mut self, i: usize, keys: &Keys) {
        if let Some(a) = keys.addr {
            remove(&mut self.by_addr, &a, i);
        }
        for s in keys.ssrcs() {
            remove(&mut self.by_ssrc, &s, i);
        }
    }

    /// The session at `from` moved to `to` (after a swap-remove).
    pub(super) fn moved(&mut self, from: usize, to: usize, keys: &Keys) {
        if let Some(a) = keys.addr {
            retarget(&mut self.by_addr, &a, from, to);
        }
        for s in keys.ssrcs() {
            retarget(&mut self.by_ssrc, &s, from, to);
        }
    }

    /// Follows what the session at `i` learned from a datagram: a latched
    /// peer address, a new peer SSRC.
    fn learn(&mut self, i: usize, e: &mut Entry) {
        let remote = e.session.remote_addr();
        if e.keys.addr != Some(remote) {
            if let Some(old) = e.keys.addr {
                remove(&mut self.by_addr, &old, i);
            }
            add(&mut self.by_addr, remote, i);
            e.keys.addr = Some(remote);
        }
        let ssrc = e.session.remote_ssrc();
        if ssrc.is_some() && ssrc != e.keys.learned {
            if let Some(old) = e.keys.learned.filter(|o| !e.keys.expected.contains(o)) {
                remove(&mut self.by_ssrc, &old, i);
            }
            if let Some(s) = ssrc {
                add(&mut self.by_ssrc, s, i);
            }
            e.keys.learned = ssrc;
        }
    }

    /// Receives everything the socket holds, a batch per system call, and
    /// feeds each datagram to its session. Returns the datagrams received.
    pub(super) fn drain(
        &mut self,
        entries: &mut [Entry],
        now: Instant,
        stats: &mut DriverStats,
    ) -> usize {
        let mut n = 0;
        let mut errors = 0;
        loop {
            let (rx, raw) = (&mut self.rx, &self.raw);
            let got = match self.socket.try_io(Interest::READABLE, || rx.recv(raw)) {
                Ok(got) => {
                    stats.receive_calls += 1;
                    got
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // ICMP errors (port unreachable) surface here; a few are
                // skipped, a persistent one waits for the next wake-up.
                Err(_) => {
                    errors += 1;
                    if errors > 8 {
                        break;
                    }
                    continue;
                }
            };
            for k in 0..got {
                n += 1;
                let Some((src, data)) = self.rx.get_mut(k) else {
                    stats.oversized += 1;
                    continue;
                };
                let Some(i) = route(&self.by_addr, &self.by_ssrc, src, data) else {
                    stats.unknown_source += 1;
                    continue;
                };
                let Some(e) = entries.get_mut(i) else {
                    stats.unknown_source += 1;
                    continue;
                };
                if let Handled::Other(_) = e.session.handle_datagram(now, src, data) {
                    stats.other += 1;
                }
                self.learn(i, e);
            }
        }
        stats.received += n as u64;
        n
    }

    /// Sends every session's queued datagrams, a batch per system call.
    pub(super) fn flush(&mut self, entries: &mut [Entry], stats: &mut DriverStats) {
        for e in entries {
            loop {
                if self.tx.is_full() {
                    self.send(stats);
                }
                let Some(buf) = self.tx.next_buf() else {
                    break;
                };
                match e.session.poll_transmit(buf) {
                    Some(t) => self.tx.commit(t.destination, t.len),
                    None => break,
                }
            }
        }
        if self.tx.len() > 0 {
            self.send(stats);
        }
    }

    fn send(&mut self, stats: &mut DriverStats) {
        let s = self.tx.send(&self.raw);
        stats.sent += s.sent;
        stats.send_dropped += s.dropped;
        stats.send_calls += s.calls;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn rtp(ssrc: u32) -> Vec<u8> {
        let mut p = vec![0x80, 0, 0, 1, 0, 0, 0, 0];
        p.extend(ssrc.to_be_bytes());
        p.extend([0u8; 20]);
        p
    }

    #[test]
    fn routes_by_address_then_by_ssrc() {
        let mut by_addr = Table::default();
        let mut by_ssrc = Table::default();
        add(&mut by_addr, a("10.0.0.1:4000"), 0);
        add(&mut by_addr, a("10.0.0.2:4000"), 1);
        add(&mut by_ssrc, 77, 1);
        // The address decides, whatever the SSRC.
        assert_eq!(
            route(&by_addr, &by_ssrc, a("10.0.0.1:4000"), &rtp(77)),
            Some(0)
        );
        // An unknown address: the SSRC decides.
        assert_eq!(
            route(&by_addr, &by_ssrc, a("10.9.9.9:1"), &rtp(77)),
            Some(1)
        );
        assert_eq!(route(&by_addr, &by_ssrc, a("10.9.9.9:1"), &rtp(78)), None);
        // RTCP: the sender SSRC follows the first word.
        let rr = [0x80, 201, 0, 1, 0, 0, 0, 77];
        assert_eq!(route(&by_addr, &by_ssrc, a("10.9.9.9:1"), &rr), Some(1));
        // STUN or garbage from an unknown address: nothing to route by.
        assert_eq!(
            route(&by_addr, &by_ssrc, a("10.9.9.9:1"), &[0, 1, 0, 0]),
            None
        );
        assert_eq!(route(&by_addr, &by_ssrc, a("10.9.9.9:1"), &[]), None);
    }

    #[test]
    fn a_shared_address_is_split_by_ssrc() {
        let mut by_addr = Table::default();
        let mut by_ssrc = Table::default();
        let sbc = a("192.0.2.1:5004");
        add(&mut by_addr, sbc, 3);
        add(&mut by_addr, sbc, 5);
        add(&mut by_ssrc, 30, 3);
        add(&mut by_ssrc, 50, 5);
        assert_eq!(route(&by_addr, &by_ssrc, sbc, &rtp(30)), Some(3));
        assert_eq!(route(&by_addr, &by_ssrc, sbc, &rtp(50)), Some(5));
        // An SSRC that belongs to a session not behind this address.
        add(&mut by_ssrc, 60, 6);
        assert_eq!(route(&by_addr, &by_ssrc, sbc, &rtp(60)), None);
        assert_eq!(route(&by_addr, &by_ssrc, sbc, &rtp(99)), None);
        // One session leaves: the address is that of the other alone.
        remove(&mut by_addr, &sbc, 3);
        assert_eq!(by_addr.get(&sbc), Some(&Route::One(5)));
        assert_eq!(route(&by_addr, &by_ssrc, sbc, &rtp(99)), Some(5));
        retarget(&mut by_addr, &sbc, 5, 2);
        assert_eq!(by_addr.get(&sbc), Some(&Route::One(2)));
        remove(&mut by_addr, &sbc, 2);
        assert!(by_addr.is_empty());
    }
}
