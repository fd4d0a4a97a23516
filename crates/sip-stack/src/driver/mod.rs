//! The tokio driver: binds an [`Endpoint`] to UDP sockets, TCP and TLS
//! listeners and connections, and the clock. One task flushes the
//! endpoint's outputs and fires its timers; socket tasks feed it input.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use heron_sip_stack::driver::{Stack, StackConfig};
//! use heron_sip_stack::{Event, TransportKind};
//! let cfg = StackConfig {
//!     udp: vec!["127.0.0.1:0".parse()?],
//!     ..StackConfig::default()
//! };
//! let (stack, mut events) = Stack::start(cfg).await?;
//! let addr = stack.local_addr(TransportKind::Udp).unwrap();
//! while let Some(e) = events.recv().await {
//!     if let Event::Request { key, request, .. } = e {
//!         let ok = heron_sip::Message::response_to(&request, 200, Some("x"));
//!         stack.send_response(key, ok)?;
//!     }
//! }
//! # Ok(()) }
//! ```

mod peer;
mod stream;
pub mod tls;

use crate::config::EndpointConfig;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::types::{
    ClientKey, ConnectionCommand, ConnectionId, Event, ServerKey, Target, TransportKind,
};
use bytes::Bytes;
use heron_sip::Message;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, Notify};
use tokio::task::AbortHandle;

pub use tls::{ClientAuth, Identity, TlsConfig, TlsError, TlsVersion};

/// What to bind and how.
#[derive(Debug, Clone, Default)]
pub struct StackConfig {
    /// The endpoint's settings.
    pub endpoint: EndpointConfig,
    /// UDP addresses to bind (port 0 picks a free one).
    pub udp: Vec<SocketAddr>,
    /// TCP addresses to listen on.
    pub tcp: Vec<SocketAddr>,
    /// TLS addresses to listen on (needs `tls.identity`). With no TLS
    /// listener, outgoing TLS connections still work when `tls` is set.
    pub tls_listen: Vec<SocketAddr>,
    /// TLS settings; `None` disables TLS.
    pub tls: Option<TlsConfig>,
    /// Via sent-by to advertise instead of the bound address.
    pub advertised: Option<String>,
}

/// Why the stack could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A socket could not be bound.
    #[error("cannot bind {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// TLS set-up failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A TLS listener was asked for without a certificate.
    #[error("a TLS listener needs tls.identity")]
    NoIdentity,
}

pub(crate) struct ConnHandle {
    pub(crate) tx: mpsc::UnboundedSender<Bytes>,
    pub(crate) reader: Option<AbortHandle>,
}

pub(crate) struct Shared {
    pub(crate) ep: Mutex<Endpoint>,
    pub(crate) wake: Notify,
    pub(crate) conns: Mutex<HashMap<ConnectionId, ConnHandle>>,
    pub(crate) udp: Vec<(SocketAddr, Arc<UdpSocket>)>,
    pub(crate) tls_client: Option<Arc<rustls::ClientConfig>>,
    pub(crate) tls_server: Option<Arc<rustls::ServerConfig>>,
}

impl Shared {
    pub(crate) fn ep(&self) -> MutexGuard<'_, Endpoint> {
        self.ep.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the endpoint and wakes the flushing task.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Endpoint, Instant) -> R) -> R {
        let r = f(&mut self.ep(), Instant::now());
        self.wake.notify_one();
        r
    }
}

/// A running SIP stack: the endpoint plus its sockets. Dropping every
/// clone of it stops the tasks.
#[derive(Clone)]
pub struct Stack {
    shared: Arc<Shared>,
    locals: Vec<(TransportKind, SocketAddr)>,
    _tasks: Arc<TaskGuard>,
}

struct TaskGuard(Vec<AbortHandle>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("locals", &self.locals)
            .finish()
    }
}

impl Stack {
    /// Binds the sockets and starts the tasks. Events arrive on the
    /// returned receiver.
    pub async fn start(
        cfg: StackConfig,
    ) -> Result<(Stack, mpsc::UnboundedReceiver<Event>), StartError> {
        let mut ep = Endpoint::new(cfg.endpoint.clone(), StdRng::from_entropy());
        let mut locals = Vec::new();
        let mut udp = Vec::new();
        for a in &cfg.udp {
            let s = UdpSocket::bind(a)
                .await
                .map_err(|e| StartError::Bind(*a, e))?;
            let local = s.local_addr().map_err(|e| StartError::Bind(*a, e))?;
            udp.push((local, Arc::new(s)));
            locals.push((TransportKind::Udp, local));
        }
        let mut listeners = Vec::new();
        for (kind, addrs) in [
            (TransportKind::Tcp, &cfg.tcp),
            (TransportKind::Tls, &cfg.tls_listen),
        ] {
            for a in addrs {
                let l = TcpListener::bind(a)
                    .await
                    .map_err(|e| StartError::Bind(*a, e))?;
                let local = l.local_addr().map_err(|e| StartError::Bind(*a, e))?;
                listeners.push((kind, l));
                locals.push((kind, local));
            }
        }
        let (tls_client, tls_server) = match &cfg.tls {
            Some(t) => (Some(t.client_config()?), t.server_config()?),
            None => (None, None),
        };
        if !cfg.tls_listen.is_empty() && tls_server.is_none() {
            return Err(StartError::NoIdentity);
        }
        for (kind, local) in &locals {
            let adv = cfg.advertised.as_ref().map(|a| a.to_string());
            ep.add_listener(*kind, *local, adv);
        }
        // Outgoing TLS without a TLS listener: connections come from an
        // ephemeral port, Via names the first local address.
        if tls_client.is_some() && !locals.iter().any(|l| l.0 == TransportKind::Tls) {
            if let Some((_, a)) = locals.first() {
                ep.add_listener(TransportKind::Tls, *a, cfg.advertised.clone());
            }
        }
        let shared = Arc::new(Shared {
            ep: Mutex::new(ep),
            wake: Notify::new(),
            conns: Mutex::new(HashMap::new()),
            udp,
            tls_client,
            tls_server,
        });
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        for (local, sock) in &shared.udp {
            let t = tokio::spawn(udp_reader(shared.clone(), *local, sock.clone()));
            tasks.push(t.abort_handle());
        }
        for (kind, l) in listeners {
            let t = tokio::spawn(stream::accept_loop(shared.clone(), kind, l));
            tasks.push(t.abort_handle());
        }
        let t = tokio::spawn(flush_loop(shared.clone(), events_tx));
        tasks.push(t.abort_handle());
        Ok((
            Stack {
                shared,
                locals,
                _tasks: Arc::new(TaskGuard(tasks)),
            },
            events_rx,
        ))
    }

    /// The bound address of the first listener of `transport`.
    pub fn local_addr(&self, transport: TransportKind) -> Option<SocketAddr> {
        self.locals.iter().find(|l| l.0 == transport).map(|l| l.1)
    }

    /// Runs `f` with the endpoint (and the current time), then lets the
    /// stack send what it produced.
    pub fn with_endpoint<R>(&self, f: impl FnOnce(&mut Endpoint, Instant) -> R) -> R {
        self.shared.with(f)
    }

    /// [`Endpoint::send_request_to`].
    pub fn send_request(&self, request: Message, targets: Vec<Target>) -> Result<ClientKey, Error> {
        self.with_endpoint(|ep, now| ep.send_request_to(now, request, targets))
    }

    /// [`Endpoint::send_response`].
    pub fn send_response(&self, key: ServerKey, response: Message) -> Result<(), Error> {
        self.with_endpoint(|ep, now| ep.send_response(now, key, response))
    }

    /// [`Endpoint::cancel`].
    pub fn cancel(&self, invite: ClientKey) -> Result<ClientKey, Error> {
        self.with_endpoint(|ep, now| ep.cancel(now, invite))
    }

    /// [`Endpoint::send_stateless`].
    pub fn send_stateless(&self, request: Message, target: Target) -> Result<(), Error> {
        self.with_endpoint(|ep, now| ep.send_stateless(now, request, target))
    }

    /// The verified certificate of the TLS peer on `connection` (see
    /// [`Endpoint::peer_certificate`]): the client certificate on a TLS
    /// listener with [`ClientAuth`], the server's on connections we open.
    pub fn peer_certificate(
        &self,
        connection: ConnectionId,
    ) -> Option<crate::types::PeerCertificate> {
        self.shared.ep().peer_certificate(connection).cloned()
    }

    /// Uses these targets (the resolved outbound proxy) for every request.
    pub fn set_outbound_proxy(&self, targets: Option<Vec<Target>>) {
        self.with_endpoint(|ep, _| ep.set_outbound_proxy(targets));
    }
}

async fn udp_reader(shared: Arc<Shared>, local: SocketAddr, sock: Arc<UdpSocket>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        match sock.recv_from(&mut buf).await {
            Ok((n, remote)) => {
                let bytes = Bytes::copy_from_slice(&buf[..n]);
                shared.with(|ep, now| {
                    ep.handle_datagram(now, TransportKind::Udp, local, remote, bytes)
                });
            }
            Err(e) => {
                // ICMP port unreachable shows up here on some systems.
                tracing::debug!(%local, error = %e, "udp receive error");
            }
        }
    }
}

/// Drains the endpoint's outputs and fires its timers, forever.
async fn flush_loop(shared: Arc<Shared>, events: mpsc::UnboundedSender<Event>) {
    let mut cmds = Vec::new();
    let mut transmits = Vec::new();
    let mut evs = Vec::new();
    loop {
        let deadline = {
            let mut ep = shared.ep();
            let now = Instant::now();
            if ep.poll_timeout().is_some_and(|t| t <= now) {
                ep.handle_timeout(now);
            }
            while let Some(c) = ep.poll_command() {
                cmds.push(c);
            }
            while let Some(t) = ep.poll_transmit() {
                transmits.push(t);
            }
            while let Some(e) = ep.poll_event() {
                evs.push(e);
            }
            ep.poll_timeout()
        };
        for c in cmds.drain(..) {
            match c {
                ConnectionCommand::Open {
                    id,
                    transport,
                    remote,
                    server_name,
                } => stream::open(shared.clone(), id, transport, remote, server_name),
                ConnectionCommand::Close { id } => stream::close(&shared, id),
            }
        }
        for t in transmits.drain(..) {
            match t.connection {
                None => {
                    let sock = shared
                        .udp
                        .iter()
                        .find(|(a, _)| *a == t.local)
                        .or_else(|| {
                            shared
                                .udp
                                .iter()
                                .find(|(a, _)| a.is_ipv4() == t.remote.is_ipv4())
                        })
                        .map(|(_, s)| s.clone());
                    if let Some(s) = sock {
                        if let (Some(ttl), true) = (t.multicast_ttl, t.remote.is_ipv4()) {
                            // Only multicast destinations use this TTL.
                            let _ = s.set_multicast_ttl_v4(u32::from(ttl));
                        }
                        if let Err(e) = s.send_to(&t.payload, t.remote).await {
                            tracing::debug!(remote = %t.remote, error = %e, "udp send failed");
                            let now = Instant::now();
                            shared.ep().transport_failed(
                                now,
                                TransportKind::Udp,
                                t.remote,
                                &e.to_string(),
                            );
                        }
                    }
                }
                Some(id) => stream::write(&shared, id, t.payload),
            }
        }
        for e in evs.drain(..) {
            let _ = events.send(e);
        }
        match deadline {
            Some(d) => {
                let at = tokio::time::Instant::from_std(d);
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    _ = shared.wake.notified() => {}
                }
            }
            None => shared.wake.notified().await,
        }
    }
}
