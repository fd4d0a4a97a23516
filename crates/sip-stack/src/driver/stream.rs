//! TCP and TLS connections: accepting, opening on the endpoint's command,
//! one reader and one writer task per connection.

use super::peer::from_chain;
use super::{ConnHandle, Shared};
use crate::types::{ConnectionId, PeerCertificate, TransportKind};
use bytes::Bytes;
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

pub(super) async fn accept_loop(shared: Arc<Shared>, kind: TransportKind, listener: TcpListener) {
    let Ok(local) = listener.local_addr() else {
        return;
    };
    loop {
        let (tcp, remote) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(%local, error = %e, "accept failed");
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let (io, peer): (Box<dyn Io>, _) = match kind {
                TransportKind::Tls => {
                    let Some(cfg) = shared.tls_server.clone() else {
                        return;
                    };
                    match tokio_rustls::TlsAcceptor::from(cfg).accept(tcp).await {
                        Ok(s) => {
                            let peer = s.get_ref().1.peer_certificates().and_then(from_chain);
                            (Box::new(s), peer)
                        }
                        Err(e) => {
                            tracing::debug!(%remote, error = %e, "TLS accept failed");
                            return;
                        }
                    }
                }
                _ => (Box::new(tcp), None),
            };
            let (tx, rx) = mpsc::unbounded_channel();
            let id = shared.with(|ep, now| {
                let id = ep.connection_opened(now, kind, local, remote);
                if let Some(p) = peer {
                    ep.set_peer_certificate(id, p);
                }
                id
            });
            run(shared, id, io, tx, rx).await;
        });
    }
}

/// Opens a connection the endpoint asked for. Writes queue until it is up.
pub(super) fn open(
    shared: Arc<Shared>,
    id: ConnectionId,
    kind: TransportKind,
    remote: SocketAddr,
    server_name: Option<String>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    lock(&shared).insert(
        id,
        ConnHandle {
            tx: tx.clone(),
            reader: None,
        },
    );
    tokio::spawn(async move {
        match connect(&shared, kind, remote, server_name).await {
            Ok((io, peer)) => {
                shared.with(|ep, now| {
                    if let Some(p) = peer {
                        ep.set_peer_certificate(id, p);
                    }
                    ep.connection_established(now, id)
                });
                run(shared, id, io, tx, rx).await;
            }
            Err(e) => {
                lock(&shared).remove(&id);
                tracing::debug!(%remote, error = %e, "connect failed");
                shared.with(|ep, now| ep.connection_failed(now, id, &e));
            }
        }
    });
}

async fn connect(
    shared: &Shared,
    kind: TransportKind,
    remote: SocketAddr,
    server_name: Option<String>,
) -> Result<(Box<dyn Io>, Option<PeerCertificate>), String> {
    let tcp = TcpStream::connect(remote)
        .await
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    if kind != TransportKind::Tls {
        return Ok((Box::new(tcp), None));
    }
    let cfg = shared
        .tls_client
        .clone()
        .ok_or_else(|| "TLS is not configured".to_owned())?;
    let name = match server_name {
        Some(n) => ServerName::try_from(n).map_err(|e| e.to_string())?,
        None => ServerName::IpAddress(remote.ip().into()),
    };
    let s = tokio_rustls::TlsConnector::from(cfg)
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS handshake: {e}"))?;
    let peer = s.get_ref().1.peer_certificates().and_then(from_chain);
    Ok((Box::new(s), peer))
}

fn lock(
    shared: &Shared,
) -> std::sync::MutexGuard<'_, std::collections::HashMap<ConnectionId, ConnHandle>> {
    shared.conns.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads into the endpoint and writes what it queues until either side
/// ends.
async fn run(
    shared: Arc<Shared>,
    id: ConnectionId,
    io: Box<dyn Io>,
    tx: mpsc::UnboundedSender<Bytes>,
    mut rx: mpsc::UnboundedReceiver<Bytes>,
) {
    let (mut rd, mut wr) = tokio::io::split(io);
    let reader_shared = shared.clone();
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) => {
                    reader_shared.with(|ep, now| ep.connection_closed(now, id));
                    break;
                }
                Ok(n) => reader_shared.with(|ep, now| ep.handle_stream_data(now, id, &buf[..n])),
                Err(e) => {
                    let msg = e.to_string();
                    reader_shared.with(|ep, now| ep.connection_failed(now, id, &msg));
                    break;
                }
            }
        }
        lock(&reader_shared).remove(&id);
    });
    lock(&shared).insert(
        id,
        ConnHandle {
            tx,
            reader: Some(reader.abort_handle()),
        },
    );
    while let Some(chunk) = rx.recv().await {
        if let Err(e) = wr.write_all(&chunk).await {
            let msg = e.to_string();
            shared.with(|ep, now| ep.connection_failed(now, id, &msg));
            break;
        }
    }
    let _ = wr.shutdown().await;
    reader.abort();
    lock(&shared).remove(&id);
}

/// Queues bytes on a connection.
pub(super) fn write(shared: &Shared, id: ConnectionId, payload: Bytes) {
    let failed = match lock(shared).get(&id) {
        Some(h) => h.tx.send(payload).is_err(),
        None => true,
    };
    if failed {
        let now = Instant::now();
        shared.ep().connection_failed(now, id, "connection gone");
        shared.wake.notify_one();
    }
}

/// Drops a connection the endpoint gave up on.
pub(super) fn close(shared: &Shared, id: ConnectionId) {
    if let Some(h) = lock(shared).remove(&id) {
        if let Some(r) = h.reader {
            r.abort();
        }
        // Dropping the sender ends the writer, which shuts the stream down.
    }
}
