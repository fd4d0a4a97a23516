//! Keep-alives on UDP flows to the registrar or outbound proxy: STUN
//! Binding requests (RFC 5626 §4.4.2), bare CRLF CRLF datagrams, or
//! OPTIONS probes, with dead-flow detection where the kind allows it,
//! reported as [`Event::ConnectionClosed`] like a dead TCP/TLS flow. Also
//! the other side: STUN Binding requests arriving on our UDP ports are
//! answered (RFC 5626 §5.4).

use super::stun::{self, Stun};
use super::Endpoint;
use crate::config::UdpKeepAliveKind;
use crate::core::UdpFlow;
use crate::timer::{Deadlines, Timer};
use crate::transaction::{Kind, Transaction};
use crate::types::{ConnectionId, Event, Target, Transmit, TransportError, TransportKind};
use bytes::Bytes;
use heron_sip::{HeaderName, Message, Method};
use rand_core::RngCore;
use std::net::SocketAddr;
use std::time::Instant;

impl Endpoint {
    /// Starts keep-alives (of the configured
    /// [`udp_keepalive`](crate::EndpointConfig::udp_keepalive) kind) on the
    /// UDP flow to `remote`, or returns the flow that has them already.
    /// The endpoint does this by itself for the first REGISTER sent over
    /// UDP to an address, and stops when a REGISTER with `Expires: 0`
    /// goes there. A dead flow is reported with
    /// [`Event::ConnectionClosed`] (transport UDP, `outbound`, the error)
    /// and forgotten. `None` when UDP keep-alives are off or there is no
    /// UDP listener.
    pub fn keep_alive_udp(&mut self, now: Instant, remote: SocketAddr) -> Option<ConnectionId> {
        let ka = self.core.cfg.udp_keepalive?;
        if let Some(id) = self.core.flow_by_remote.get(&remote) {
            return Some(ConnectionId(*id));
        }
        let local = self.core.listener_for(TransportKind::Udp, remote)?.local;
        let id = self.core.alloc_id();
        self.core.flows.insert(
            id,
            UdpFlow {
                local,
                remote,
                timers: Deadlines::default(),
                stun: None,
                mapped: None,
                probe: None,
                cseq: 0,
                interval: ka.interval,
            },
        );
        self.core.flow_by_remote.insert(remote, id);
        self.core.arm_conn(id, Timer::KeepAlive, now, ka.interval);
        Some(ConnectionId(id))
    }

    /// Stops the keep-alives on the UDP flow to `remote` without reporting
    /// anything. False when there were none.
    pub fn stop_keep_alive_udp(&mut self, remote: SocketAddr) -> bool {
        let Some(id) = self.core.flow_by_remote.remove(&remote) else {
            return false;
        };
        if let Some(f) = self.core.flows.remove(&id) {
            if let Some(p) = f.probe {
                self.drop_probe(p);
            }
        }
        true
    }

    /// UDP flows with keep-alives.
    pub fn udp_flow_count(&self) -> usize {
        self.core.flows.len()
    }

    /// The address the far end of a STUN-kept flow last saw us at (the
    /// XOR-MAPPED-ADDRESS of its answer): our public address behind NAT.
    pub fn udp_flow_mapped_address(&self, flow: ConnectionId) -> Option<SocketAddr> {
        self.core.flows.get(&flow.0).and_then(|f| f.mapped)
    }

    /// A REGISTER left over UDP on `route`: keep that flow alive, or stop
    /// when it unregisters everything (`Expires: 0`).
    pub(super) fn note_register(&mut self, now: Instant, remote: SocketAddr, request: &Message) {
        if self.core.cfg.udp_keepalive.is_none() {
            return;
        }
        let expires_zero = request
            .header_values(HeaderName::Expires)
            .next()
            .is_some_and(|v| v.trim() == "0");
        if expires_zero {
            self.stop_keep_alive_udp(remote);
        } else {
            self.keep_alive_udp(now, remote);
        }
    }

    /// A 2xx to a REGISTER sent over UDP to `remote`: a `Flow-Timer`
    /// (RFC 5626 §4.4.1) sets the flow's keep-alive interval to a random
    /// 80–100 % of it.
    pub(super) fn note_register_response(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        resp: &Message,
    ) {
        if !resp.status().is_some_and(|c| (200..300).contains(&c)) {
            return;
        }
        let Some(secs) = resp
            .header_str("Flow-Timer")
            .and_then(|v| v.trim().parse::<u32>().ok())
            .filter(|s| *s > 0)
        else {
            return;
        };
        let Some(&id) = self.core.flow_by_remote.get(&remote) else {
            return;
        };
        let full = std::time::Duration::from_secs(u64::from(secs));
        // 80 % plus a random share of the remaining 20 %, in milliseconds.
        let spread = full.as_millis() as u64 / 5;
        let jitter = if spread == 0 {
            0
        } else {
            self.core.rng.next_u64() % (spread + 1)
        };
        let interval = full - std::time::Duration::from_millis(spread - jitter);
        let Some(f) = self.core.flows.get_mut(&id) else {
            return;
        };
        if f.interval == interval {
            return;
        }
        f.interval = interval;
        let due = f.timers.get(Timer::KeepAlive);
        if due.is_none_or(|d| d > now + interval) {
            self.core.arm_conn(id, Timer::KeepAlive, now, interval);
        }
    }

    /// A timer of UDP flow `id` fired.
    pub(super) fn on_flow_timer(&mut self, now: Instant, id: u64, at: Instant, timer: Timer) {
        let Some(ka) = self.core.cfg.udp_keepalive else {
            return;
        };
        let Some(f) = self.core.flows.get_mut(&id) else {
            return;
        };
        if f.timers.get(timer) != Some(at) {
            return;
        }
        f.timers.stop(timer);
        let (local, remote, interval) = (f.local, f.remote, f.interval);
        match timer {
            Timer::KeepAlive => {
                self.core.arm_conn(id, Timer::KeepAlive, now, interval);
                self.send_keepalive(now, id, ka.kind, ka.timeout);
            }
            Timer::StunRetransmit => {
                let Some((txid, interval)) = f.stun else {
                    return;
                };
                let next = interval * 2;
                f.stun = Some((txid, next));
                self.core
                    .transmits
                    .push_back(udp(local, remote, stun::binding_request(&txid)));
                self.core.arm_conn(id, Timer::StunRetransmit, now, next);
            }
            Timer::KeepAliveTimeout if f.stun.is_some() => {
                let err = TransportError::KeepAliveTimeout(remote, ka.timeout);
                self.fail_flow(id, err);
            }
            _ => {}
        }
    }

    fn send_keepalive(
        &mut self,
        now: Instant,
        id: u64,
        kind: UdpKeepAliveKind,
        timeout: std::time::Duration,
    ) {
        let Some(f) = self.core.flows.get(&id) else {
            return;
        };
        let (local, remote) = (f.local, f.remote);
        match kind {
            UdpKeepAliveKind::Crlf => {
                self.core
                    .transmits
                    .push_back(udp(local, remote, Bytes::from_static(b"\r\n\r\n")));
            }
            UdpKeepAliveKind::Stun => {
                if f.stun.is_some() {
                    // The last request is still waiting for its answer.
                    return;
                }
                let mut txid = [0u8; 12];
                self.core.rng.fill_bytes(&mut txid);
                let t1 = self.core.cfg.timers.t1;
                if let Some(f) = self.core.flows.get_mut(&id) {
                    f.stun = Some((txid, t1));
                }
                self.core
                    .transmits
                    .push_back(udp(local, remote, stun::binding_request(&txid)));
                self.core.arm_conn(id, Timer::StunRetransmit, now, t1);
                self.core
                    .arm_conn(id, Timer::KeepAliveTimeout, now, timeout);
            }
            UdpKeepAliveKind::Options => {
                if f.probe.is_some() {
                    return;
                }
                self.send_probe(now, id);
            }
        }
    }

    /// An OPTIONS probe on flow `id`, as an internal client transaction
    /// whose outcome comes back through [`crate::core::Core::probe_outcomes`].
    fn send_probe(&mut self, now: Instant, id: u64) {
        let Some(f) = self.core.flows.get_mut(&id) else {
            return;
        };
        f.cseq += 1;
        let (remote, cseq) = (f.remote, f.cseq);
        let Some(listener) = self.core.listener_for(TransportKind::Udp, remote) else {
            return;
        };
        let sent_by = listener.sent_by.clone();
        let tag = self.core.new_tag();
        let mut call_id = String::with_capacity(24);
        self.core.random_hex(&mut call_id, 24);
        let mut req = Message::request(Method::Options, &format!("sip:{remote}"));
        req.append_header(
            HeaderName::From,
            &format!("<sip:keepalive@{sent_by}>;tag={tag}"),
        );
        req.append_header(HeaderName::To, &format!("<sip:{remote}>"));
        req.append_header(HeaderName::CallId, &call_id);
        req.append_header(HeaderName::CSeq, &format!("{cseq} OPTIONS"));
        req.append_header(HeaderName::MaxForwards, "70");
        let tx_id = self.core.alloc_id();
        let target = Target::new(TransportKind::Udp, remote).pinned();
        let mut tx = Transaction::client(
            tx_id,
            Kind::ClientNonInvite,
            self.placeholder_route(&target),
            Method::Options,
            req,
        );
        if let Some(c) = tx.client_mut() {
            c.probe = Some(id);
        }
        match self.launch(now, tx, target) {
            Ok(()) => {
                if let Some(f) = self.core.flows.get_mut(&id) {
                    f.probe = Some(tx_id);
                }
            }
            Err(b) => {
                let (_, e) = *b;
                self.fail_flow(id, e);
            }
        }
    }

    /// Ends an OPTIONS probe whose flow is gone, silently (its events go
    /// to flow 0, which never exists).
    fn drop_probe(&mut self, tx: u64) {
        if let Some(t) = self.txs.get_mut(&tx) {
            if let Some(c) = t.client_mut() {
                c.probe = Some(0);
            }
            t.terminate();
        }
        self.reap(tx);
    }

    /// Acts on what OPTIONS probes reported.
    pub(super) fn drain_probes(&mut self) {
        while let Some((flow, outcome)) = self.core.probe_outcomes.pop() {
            let Some(f) = self.core.flows.get_mut(&flow) else {
                continue;
            };
            f.probe = None;
            if let Err(e) = outcome {
                self.fail_flow(flow, e);
            }
        }
    }

    /// A STUN message arrived on a UDP port.
    pub(super) fn handle_stun(&mut self, local: SocketAddr, remote: SocketAddr, bytes: &[u8]) {
        match stun::parse(bytes) {
            Some(Stun::BindingRequest(txid)) if self.core.cfg.answer_stun => {
                let resp = stun::binding_success(&txid, remote);
                self.core.transmits.push_back(udp(local, remote, resp));
            }
            Some(Stun::BindingSuccess(txid, mapped)) => {
                let Some(&id) = self.core.flow_by_remote.get(&remote) else {
                    return;
                };
                let Some(f) = self.core.flows.get_mut(&id) else {
                    return;
                };
                if f.stun.map(|s| s.0) != Some(txid) {
                    return;
                }
                f.stun = None;
                f.timers.stop(Timer::StunRetransmit);
                f.timers.stop(Timer::KeepAliveTimeout);
                match (f.mapped, mapped) {
                    // RFC 5626 §4.4.2: a changed address means the NAT
                    // binding (and so the registered flow) is gone.
                    (Some(old), Some(new)) if old != new => {
                        let why = format!("NAT binding changed from {old} to {new}");
                        self.fail_flow(id, TransportError::ConnectionFailed(ConnectionId(id), why));
                    }
                    (_, Some(new)) => f.mapped = Some(new),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Reports flow `id` dead and forgets it.
    fn fail_flow(&mut self, id: u64, error: TransportError) {
        let Some(f) = self.core.flows.remove(&id) else {
            return;
        };
        if self.core.flow_by_remote.get(&f.remote) == Some(&id) {
            self.core.flow_by_remote.remove(&f.remote);
        }
        if let Some(p) = f.probe {
            self.drop_probe(p);
        }
        self.core.events.push_back(Event::ConnectionClosed {
            id: ConnectionId(id),
            transport: TransportKind::Udp,
            remote: f.remote,
            outbound: true,
            error: Some(error),
        });
    }
}

fn udp(local: SocketAddr, remote: SocketAddr, payload: Bytes) -> Transmit {
    Transmit {
        transport: TransportKind::Udp,
        local,
        remote,
        connection: None,
        payload,
        multicast_ttl: None,
    }
}
