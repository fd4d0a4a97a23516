//! Batched UDP I/O for the shared media port: `recvmmsg(2)` takes up to
//! [`BATCH`] datagrams from many peers in one system call and
//! `sendmmsg(2)` sends up to [`BATCH`] datagrams to as many destinations in
//! one. quinn-udp batches receives but sends to one destination per call
//! (its batching is GSO), so both calls are made here through `libc`.
//! Other systems fall back to one `recv_from`/`send_to` per datagram.
//!
//! The buffers are owned here and reused: nothing is allocated per
//! datagram. Every length the kernel reports is checked against the
//! buffer it was given before it is used.

use std::io;
use std::net::{SocketAddr, UdpSocket};

/// Datagrams per system call.
pub(crate) const BATCH: usize = 32;

/// Octets per datagram buffer: an Ethernet MTU's payload and more; a
/// longer datagram is truncated by the kernel and dropped here.
pub(crate) const SLOT: usize = 2048;

/// Receive buffers for one batch and what the last call put in them.
pub(crate) struct RecvBatch {
    bufs: Box<[u8]>,
    /// Per slot: source and length, `None` for a truncated datagram or an
    /// address family other than IPv4/IPv6.
    meta: Vec<Option<(SocketAddr, usize)>>,
}

impl RecvBatch {
    pub(crate) fn new() -> Self {
        RecvBatch {
            bufs: vec![0u8; BATCH * SLOT].into_boxed_slice(),
            meta: Vec::with_capacity(BATCH),
        }
    }

    /// Datagram `i` of the last [`recv`](Self::recv): its source and its
    /// octets, or `None` when it was dropped (truncated, unknown family).
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<(SocketAddr, &mut [u8])> {
        let (src, len) = (*self.meta.get(i)?)?;
        let slot = self.bufs.get_mut(i * SLOT..(i + 1) * SLOT)?;
        Some((src, &mut slot[..len.min(SLOT)]))
    }
}

/// Datagrams queued for one `sendmmsg` call.
pub(crate) struct SendBatch {
    bufs: Box<[u8]>,
    meta: Vec<(SocketAddr, usize)>,
}

impl SendBatch {
    pub(crate) fn new() -> Self {
        SendBatch {
            bufs: vec![0u8; BATCH * SLOT].into_boxed_slice(),
            meta: Vec::with_capacity(BATCH),
        }
    }

    /// Datagrams queued.
    pub(crate) fn len(&self) -> usize {
        self.meta.len()
    }

    /// True when no more datagrams fit: [`send`](Self::send) first.
    pub(crate) fn is_full(&self) -> bool {
        self.meta.len() >= BATCH
    }

    /// The next free buffer, to be filled and then committed with
    /// [`commit`](Self::commit); `None` when the batch is full.
    pub(crate) fn next_buf(&mut self) -> Option<&mut [u8]> {
        let i = self.meta.len();
        if i >= BATCH {
            return None;
        }
        self.bufs.get_mut(i * SLOT..(i + 1) * SLOT)
    }

    /// Queues the `len` octets written into the buffer
    /// [`next_buf`](Self::next_buf) returned, for `dest`.
    pub(crate) fn commit(&mut self, dest: SocketAddr, len: usize) {
        if self.meta.len() < BATCH && len <= SLOT {
            self.meta.push((dest, len));
        }
    }

    fn datagram(&self, i: usize) -> (SocketAddr, &[u8]) {
        let (dest, len) = self.meta[i];
        (dest, &self.bufs[i * SLOT..i * SLOT + len])
    }
}

/// What one [`SendBatch::send`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sent {
    pub(crate) sent: u64,
    pub(crate) dropped: u64,
    pub(crate) calls: u64,
}

#[cfg(target_os = "linux")]
mod sys {
    //! The system calls. `unsafe` is needed for the FFI calls and for
    //! reading the kernel-filled socket addresses; each block says what
    //! it relies on.
    #![allow(unsafe_code)]

    use super::{RecvBatch, SendBatch, Sent, BATCH, SLOT};
    use std::io;
    use std::mem::{size_of, zeroed};
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
    use std::os::fd::AsRawFd;

    /// Room for an IPv4 or IPv6 socket address.
    #[repr(C)]
    #[derive(Clone, Copy)]
    union RawAddr {
        v4: libc::sockaddr_in,
        v6: libc::sockaddr_in6,
    }

    fn empty_addr() -> RawAddr {
        RawAddr {
            v6: libc::sockaddr_in6 {
                sin6_family: 0,
                sin6_port: 0,
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr { s6_addr: [0; 16] },
                sin6_scope_id: 0,
            },
        }
    }

    fn to_raw(addr: &SocketAddr) -> (RawAddr, libc::socklen_t) {
        match addr {
            SocketAddr::V4(a) => (
                RawAddr {
                    v4: libc::sockaddr_in {
                        sin_family: libc::AF_INET as libc::sa_family_t,
                        sin_port: a.port().to_be(),
                        sin_addr: libc::in_addr {
                            s_addr: u32::from(*a.ip()).to_be(),
                        },
                        sin_zero: [0; 8],
                    },
                },
                size_of::<libc::sockaddr_in>() as libc::socklen_t,
            ),
            SocketAddr::V6(a) => (
                RawAddr {
                    v6: libc::sockaddr_in6 {
                        sin6_family: libc::AF_INET6 as libc::sa_family_t,
                        sin6_port: a.port().to_be(),
                        sin6_flowinfo: a.flowinfo(),
                        sin6_addr: libc::in6_addr {
                            s6_addr: a.ip().octets(),
                        },
                        sin6_scope_id: a.scope_id(),
                    },
                },
                size_of::<libc::sockaddr_in6>() as libc::socklen_t,
            ),
        }
    }

    fn from_raw(raw: &RawAddr, len: libc::socklen_t) -> Option<SocketAddr> {
        let len = len as usize;
        if len < size_of::<libc::sa_family_t>() {
            return None;
        }
        // SAFETY: both union members are plain C structs whose first field
        // is the address family, and `empty_addr` initialised every octet
        // of the largest one, so reading the family is reading initialised
        // memory.
        let family = unsafe { raw.v4.sin_family };
        match i32::from(family) {
            libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
                // SAFETY: the kernel wrote a sockaddr_in (family AF_INET,
                // length checked); every octet was initialised before.
                let a = unsafe { raw.v4 };
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                    u16::from_be(a.sin_port),
                )))
            }
            libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
                // SAFETY: as above, for a sockaddr_in6.
                let a = unsafe { raw.v6 };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(a.sin6_addr.s6_addr),
                    u16::from_be(a.sin6_port),
                    a.sin6_flowinfo,
                    a.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }

    fn header(
        name: *mut RawAddr,
        namelen: libc::socklen_t,
        iov: *mut libc::iovec,
    ) -> libc::mmsghdr {
        // SAFETY: mmsghdr is a plain C struct for which all-zero is a valid
        // value (null pointers, zero lengths); the fields are set below.
        let mut h: libc::mmsghdr = unsafe { zeroed() };
        h.msg_hdr.msg_name = name.cast();
        h.msg_hdr.msg_namelen = namelen;
        h.msg_hdr.msg_iov = iov;
        h.msg_hdr.msg_iovlen = 1;
        h
    }

    pub(super) fn recv(batch: &mut RecvBatch, sock: &UdpSocket) -> io::Result<usize> {
        batch.meta.clear();
        let mut names = [empty_addr(); BATCH];
        let base = batch.bufs.as_mut_ptr();
        let mut iovs: [libc::iovec; BATCH] = std::array::from_fn(|i| libc::iovec {
            // In bounds: `bufs` holds BATCH slots of SLOT octets.
            iov_base: base.wrapping_add(i * SLOT).cast(),
            iov_len: SLOT,
        });
        let mut hdrs: [libc::mmsghdr; BATCH] = std::array::from_fn(|i| {
            header(
                &mut names[i],
                size_of::<RawAddr>() as libc::socklen_t,
                &mut iovs[i],
            )
        });
        // SAFETY: every header points at a live iovec describing SLOT
        // octets inside `batch.bufs` and at a live RawAddr of the length
        // given; all of them outlive the call, which writes only there and
        // into the headers (at most BATCH of them).
        let n = unsafe {
            libc::recvmmsg(
                sock.as_raw_fd(),
                hdrs.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = (n as usize).min(BATCH);
        for (h, name) in hdrs.iter().zip(&names).take(n) {
            let len = h.msg_len as usize;
            let truncated = h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0 || len > SLOT;
            let src = from_raw(name, h.msg_hdr.msg_namelen);
            batch
                .meta
                .push(src.filter(|_| !truncated).map(|s| (s, len)));
        }
        Ok(n)
    }

    pub(super) fn send(batch: &mut SendBatch, sock: &UdpSocket) -> Sent {
        let mut out = Sent::default();
        let total = batch.meta.len();
        let mut names = [empty_addr(); BATCH];
        let mut lens = [0 as libc::socklen_t; BATCH];
        let mut iovs: [libc::iovec; BATCH] = std::array::from_fn(|_| libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        });
        for i in 0..total {
            let (dest, data) = batch.datagram(i);
            (names[i], lens[i]) = to_raw(&dest);
            // The kernel only reads through this pointer (sendmmsg).
            iovs[i] = libc::iovec {
                iov_base: data.as_ptr().cast_mut().cast(),
                iov_len: data.len(),
            };
        }
        let mut hdrs: [libc::mmsghdr; BATCH] =
            std::array::from_fn(|i| header(&mut names[i], lens[i], &mut iovs[i]));
        let mut start = 0;
        while start < total {
            out.calls += 1;
            // SAFETY: headers start..total point at live addresses and at
            // iovecs over `batch.bufs`, which is not touched while the call
            // runs; the kernel reads them and writes only `msg_len`.
            let r = unsafe {
                libc::sendmmsg(
                    sock.as_raw_fd(),
                    hdrs[start..total].as_mut_ptr(),
                    (total - start) as libc::c_uint,
                    libc::MSG_DONTWAIT,
                )
            };
            if r > 0 {
                let r = (r as usize).min(total - start);
                out.sent += r as u64;
                start += r;
            } else if r < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            } else {
                // The first datagram failed (a full buffer, an ICMP error
                // reported on this socket, an unreachable destination):
                // drop it and go on with the next.
                out.dropped += 1;
                start += 1;
            }
        }
        batch.meta.clear();
        out
    }
}

#[cfg(not(target_os = "linux"))]
mod sys {
    //! One datagram per system call where `recvmmsg`/`sendmmsg` are not
    //! available.

    use super::{RecvBatch, SendBatch, Sent, BATCH, SLOT};
    use std::io;
    use std::net::UdpSocket;

    pub(super) fn recv(batch: &mut RecvBatch, sock: &UdpSocket) -> io::Result<usize> {
        batch.meta.clear();
        while batch.meta.len() < BATCH {
            let i = batch.meta.len();
            match sock.recv_from(&mut batch.bufs[i * SLOT..(i + 1) * SLOT]) {
                Ok((len, src)) => batch.meta.push(Some((src, len.min(SLOT)))),
                Err(e) if batch.meta.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
        Ok(batch.meta.len())
    }

    pub(super) fn send(batch: &mut SendBatch, sock: &UdpSocket) -> Sent {
        let mut out = Sent::default();
        for i in 0..batch.meta.len() {
            let (dest, data) = batch.datagram(i);
            out.calls += 1;
            match sock.send_to(data, dest) {
                Ok(_) => out.sent += 1,
                Err(_) => out.dropped += 1,
            }
        }
        batch.meta.clear();
        out
    }
}

impl RecvBatch {
    /// Receives up to [`BATCH`] datagrams without blocking (`WouldBlock`
    /// when there are none); returns how many slots were filled (see
    /// [`get_mut`](Self::get_mut)).
    pub(crate) fn recv(&mut self, sock: &UdpSocket) -> io::Result<usize> {
        sys::recv(self, sock)
    }
}

impl SendBatch {
    /// Sends every queued datagram (several calls if the kernel takes
    /// part of the batch; a datagram the kernel refuses is dropped and
    /// counted) and empties the batch.
    pub(crate) fn send(&mut self, sock: &UdpSocket) -> Sent {
        sys::send(self, sock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_goes_to_several_destinations_and_comes_back_with_sources() {
        let lo = "127.0.0.1:0";
        let hub = UdpSocket::bind(lo).unwrap();
        let peers: Vec<UdpSocket> = (0..3).map(|_| UdpSocket::bind(lo).unwrap()).collect();
        // Blocking peers with a bound wait: a lost loopback datagram fails
        // the test instead of hanging it.
        for p in &peers {
            p.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
        }
        let mut out = SendBatch::new();
        for (i, p) in peers.iter().enumerate() {
            for k in 0..2u8 {
                let b = out.next_buf().unwrap();
                b[..3].copy_from_slice(&[i as u8, k, 0xaa]);
                out.commit(p.local_addr().unwrap(), 3);
            }
        }
        assert_eq!(out.len(), 6);
        let s = out.send(&hub);
        assert_eq!((s.sent, s.dropped), (6, 0));
        assert!(s.calls >= 1);
        assert_eq!(out.len(), 0);
        let mut buf = [0u8; 16];
        for (i, p) in peers.iter().enumerate() {
            for k in 0..2u8 {
                let (n, from) = p.recv_from(&mut buf).unwrap();
                assert_eq!(from, hub.local_addr().unwrap());
                assert_eq!(buf[..n], [i as u8, k, 0xaa]);
                p.send_to(&buf[..n], from).unwrap();
            }
        }
        // Everything the peers echoed, with their addresses.
        hub.set_nonblocking(true).unwrap();
        let mut got = Vec::new();
        let mut batch = RecvBatch::new();
        let mut empty_reads = 0;
        while got.len() < 6 {
            match batch.recv(&hub) {
                Ok(n) => {
                    for i in 0..n {
                        let (src, data) = batch.get_mut(i).unwrap();
                        got.push((src, data.to_vec()));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Loopback delivers synchronously; bound the loop anyway.
                    empty_reads += 1;
                    assert!(empty_reads < 1_000_000, "echoes lost");
                    std::thread::yield_now();
                }
                Err(e) => panic!("{e}"),
            }
        }
        for (i, p) in peers.iter().enumerate() {
            for k in 0..2u8 {
                assert!(got.contains(&(p.local_addr().unwrap(), vec![i as u8, k, 0xaa])));
            }
        }
        assert!(matches!(batch.recv(&hub), Err(e) if e.kind() == io::ErrorKind::WouldBlock));
    }

    #[test]
    fn an_oversized_datagram_is_dropped_not_cut() {
        let hub = UdpSocket::bind("127.0.0.1:0").unwrap();
        hub.set_nonblocking(true).unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.send_to(&[1u8; SLOT + 100], hub.local_addr().unwrap())
            .unwrap();
        peer.send_to(&[2u8; 10], hub.local_addr().unwrap()).unwrap();
        let mut batch = RecvBatch::new();
        let mut seen = Vec::new();
        let mut spins = 0;
        while seen.len() < 2 {
            match batch.recv(&hub) {
                Ok(n) => seen.extend((0..n).map(|i| batch.get_mut(i).map(|(_, d)| d.to_vec()))),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    spins += 1;
                    assert!(spins < 1_000_000, "datagrams lost");
                    std::thread::yield_now();
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(seen, vec![None, Some(vec![2u8; 10])]);
    }

    #[test]
    fn a_refused_datagram_is_dropped_and_the_rest_sent() {
        let hub = UdpSocket::bind("127.0.0.1:0").unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut out = SendBatch::new();
        // An IPv6 destination from an IPv4 socket fails (EAFNOSUPPORT or
        // EINVAL) whatever the network.
        let b = out.next_buf().unwrap();
        b[0] = 1;
        out.commit("[::1]:9".parse().unwrap(), 1);
        let b = out.next_buf().unwrap();
        b[0] = 2;
        out.commit(peer.local_addr().unwrap(), 1);
        let s = out.send(&hub);
        assert_eq!((s.sent, s.dropped), (1, 1));
        let mut buf = [0u8; 4];
        let (n, _) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(buf[..n], [2]);
    }
}
