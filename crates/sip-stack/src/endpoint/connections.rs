//! Stream connections: what the driver reports about them, their bytes,
//! CRLF keep-alives (RFC 5626 §4.4.1) and what a closed flow means for the
//! transactions on it.

use super::Endpoint;
use crate::core::Connection;
use crate::timer::Timer;
use crate::types::{
    ConnectionCommand, ConnectionId, Event, PeerCertificate, ServerKey, Source, Transmit,
    TransportError, TransportKind,
};
use bytes::Bytes;
use heron_sip::{StreamDecoder, StreamItem};
use std::net::SocketAddr;
use std::time::Instant;

impl Endpoint {
    /// The driver accepted a connection from `remote` on `local`.
    pub fn connection_opened(
        &mut self,
        _now: Instant,
        transport: TransportKind,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> ConnectionId {
        let id = self.core.alloc_id();
        self.core.conns.insert(
            id,
            Connection {
                transport,
                local,
                remote,
                outbound: false,
                decoder: StreamDecoder::default(),
                timers: Default::default(),
                peer: None,
            },
        );
        self.core
            .conn_by_remote
            .entry((transport, remote))
            .or_insert(id);
        ConnectionId(id)
    }

    /// Records the certificate the TLS peer on `id` presented and the TLS
    /// layer verified (the driver calls this once the handshake is done,
    /// before any bytes of the connection are handed in).
    pub fn set_peer_certificate(&mut self, id: ConnectionId, cert: PeerCertificate) {
        if let Some(c) = self.core.conns.get_mut(&id.0) {
            c.peer = Some(Box::new(cert));
        }
    }

    /// The verified certificate of the TLS peer on connection `id`: for a
    /// request, look up [`Source::connection`]. `None` for TCP, for a
    /// client that showed none (when the listener only requests one), and
    /// once the connection has closed.
    pub fn peer_certificate(&self, id: ConnectionId) -> Option<&PeerCertificate> {
        self.core.conns.get(&id.0).and_then(|c| c.peer.as_deref())
    }

    /// A connection the endpoint asked for is up: keep-alives start.
    pub fn connection_established(&mut self, now: Instant, id: ConnectionId) {
        let outbound = self.core.conns.get(&id.0).is_some_and(|c| c.outbound);
        if let (true, Some(ka)) = (outbound, self.core.cfg.keepalive) {
            self.core.arm_conn(id.0, Timer::KeepAlive, now, ka.interval);
        }
    }

    /// A connection could not be opened or broke.
    pub fn connection_failed(&mut self, now: Instant, id: ConnectionId, reason: &str) {
        let err = TransportError::ConnectionFailed(id, reason.to_owned());
        self.close_connection(now, id, Some(err), false);
    }

    /// The peer closed the connection.
    pub fn connection_closed(&mut self, now: Instant, id: ConnectionId) {
        self.close_connection(now, id, None, false);
    }

    /// Bytes arrived on a stream connection.
    pub fn handle_stream_data(&mut self, now: Instant, id: ConnectionId, data: &[u8]) {
        let mut items = Vec::new();
        let mut failed = None;
        let Some(conn) = self.core.conns.get_mut(&id.0) else {
            return;
        };
        let source = Source {
            transport: conn.transport,
            local: conn.local,
            remote: conn.remote,
            connection: Some(id),
        };
        if let Err(e) = conn.decoder.push(data) {
            failed = Some(e);
        } else {
            loop {
                match conn.decoder.next_item() {
                    Ok(Some(item)) => items.push(item),
                    Ok(None) => break,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
        }
        for item in items {
            match item {
                StreamItem::Message(m) => self.handle_message(now, m, source),
                StreamItem::Ping => self.core.transmits.push_back(Transmit {
                    transport: source.transport,
                    local: source.local,
                    remote: source.remote,
                    connection: Some(id),
                    payload: Bytes::from_static(b"\r\n"),
                    multicast_ttl: None,
                }),
                StreamItem::Pong => self.on_pong(now, id),
            }
        }
        if let Some(e) = failed {
            // §18.3: framing cannot be recovered; drop the connection.
            let err = TransportError::ConnectionFailed(id, format!("framing error: {e}"));
            self.close_connection(now, id, Some(err), true);
        }
    }

    fn on_pong(&mut self, now: Instant, id: ConnectionId) {
        let Some(ka) = self.core.cfg.keepalive else {
            return;
        };
        if let Some(c) = self.core.conns.get_mut(&id.0) {
            if c.timers.get(Timer::KeepAliveTimeout).is_some() {
                c.timers.stop(Timer::KeepAliveTimeout);
                self.core.arm_conn(id.0, Timer::KeepAlive, now, ka.interval);
            }
        }
    }

    pub(super) fn on_connection_timer(&mut self, now: Instant, id: u64, at: Instant, timer: Timer) {
        let Some(c) = self.core.conns.get_mut(&id) else {
            self.on_flow_timer(now, id, at, timer);
            return;
        };
        if c.timers.get(timer) != Some(at) {
            return;
        }
        c.timers.stop(timer);
        let Some(ka) = self.core.cfg.keepalive else {
            return;
        };
        match timer {
            Timer::KeepAlive => {
                let t = Transmit {
                    transport: c.transport,
                    local: c.local,
                    remote: c.remote,
                    connection: Some(ConnectionId(id)),
                    payload: Bytes::from_static(b"\r\n\r\n"),
                    multicast_ttl: None,
                };
                self.core.transmits.push_back(t);
                self.core
                    .arm_conn(id, Timer::KeepAliveTimeout, now, ka.timeout);
            }
            Timer::KeepAliveTimeout => {
                let err = TransportError::KeepAliveTimeout(c.remote, ka.timeout);
                self.close_connection(now, ConnectionId(id), Some(err), true);
            }
            _ => {}
        }
    }

    /// Forgets a connection, tells the driver (when `command`) and the user,
    /// and fails the pending client transactions that used it; server
    /// transactions will open a new connection for their next response.
    fn close_connection(
        &mut self,
        now: Instant,
        id: ConnectionId,
        error: Option<TransportError>,
        command: bool,
    ) {
        let Some(conn) = self.core.conns.remove(&id.0) else {
            return;
        };
        if self.core.conn_by_remote.get(&(conn.transport, conn.remote)) == Some(&id.0) {
            self.core
                .conn_by_remote
                .remove(&(conn.transport, conn.remote));
        }
        if command {
            self.core
                .commands
                .push_back(ConnectionCommand::Close { id });
        }
        self.core.events.push_back(Event::ConnectionClosed {
            id,
            transport: conn.transport,
            remote: conn.remote,
            outbound: conn.outbound,
            error: error.clone(),
        });
        let err = error.unwrap_or_else(|| TransportError::ConnectionFailed(id, "closed".into()));
        let mut clients = Vec::new();
        let mut servers = Vec::new();
        for tx in self.txs.values_mut() {
            if tx.route.connection != Some(id) {
                continue;
            }
            if tx.kind.is_client() {
                clients.push(tx.id);
            } else if conn.outbound {
                // The connection opened to deliver a response failed too.
                servers.push(tx.id);
            } else {
                tx.route.connection = None;
            }
        }
        for cid in clients {
            self.fail_client(now, cid, err.clone());
        }
        for sid in servers {
            if let Some(tx) = self.txs.get_mut(&sid) {
                tx.terminate();
            }
            self.core.events.push_back(Event::ResponseFailed {
                key: ServerKey(sid),
                error: err.clone(),
            });
            self.reap(sid);
        }
    }
}
