//! The vocabulary shared by the sans-IO endpoint and its drivers: transports,
//! targets, message sources, keys, what the endpoint asks a driver to do and
//! what it reports to its user.

use bytes::Bytes;
use heron_sip::Message;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// A SIP transport (RFC 3261 §18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportKind {
    /// UDP: unreliable, retransmissions by the transactions.
    Udp,
    /// TCP: reliable stream.
    Tcp,
    /// TLS over TCP: reliable, encrypted stream.
    Tls,
}

impl TransportKind {
    /// Whether the transport is reliable (no retransmission timers).
    pub fn is_reliable(self) -> bool {
        !matches!(self, TransportKind::Udp)
    }

    /// Whether the transport is a byte stream (TCP or TLS).
    pub fn is_stream(self) -> bool {
        self.is_reliable()
    }

    /// The token used in Via (`UDP`, `TCP`, `TLS`).
    pub fn via_token(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
            TransportKind::Tls => "TLS",
        }
    }

    /// The default port (5060, or 5061 for TLS).
    pub fn default_port(self) -> u16 {
        match self {
            TransportKind::Tls => 5061,
            _ => 5060,
        }
    }

    /// Reads a Via transport token or a `transport=` URI parameter.
    pub fn from_token(token: &str) -> Option<TransportKind> {
        if token.eq_ignore_ascii_case("udp") {
            Some(TransportKind::Udp)
        } else if token.eq_ignore_ascii_case("tcp") {
            Some(TransportKind::Tcp)
        } else if token.eq_ignore_ascii_case("tls") {
            Some(TransportKind::Tls)
        } else {
            None
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.via_token())
    }
}

/// Where a request goes: one address on one transport, as RFC 3263
/// resolution yields it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The transport to use.
    pub transport: TransportKind,
    /// The peer's address.
    pub addr: SocketAddr,
    /// The host name the target was resolved from: the TLS server name
    /// (SNI and certificate check) for TLS targets.
    pub server_name: Option<String>,
    /// The transport was chosen explicitly (a `transport=` parameter), so
    /// a large request must not be moved from UDP to TCP (§18.1.1).
    pub transport_pinned: bool,
}

impl Target {
    /// A target on `transport` at `addr`, with no server name.
    pub fn new(transport: TransportKind, addr: SocketAddr) -> Target {
        Target {
            transport,
            addr,
            server_name: None,
            transport_pinned: false,
        }
    }

    /// Sets the TLS server name.
    pub fn with_server_name(mut self, name: impl Into<String>) -> Target {
        self.server_name = Some(name.into());
        self
    }

    /// Marks the transport as explicitly chosen.
    pub fn pinned(mut self) -> Target {
        self.transport_pinned = true;
        self
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.transport, self.addr)
    }
}

/// A stream connection known to the endpoint (TCP or TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// The certificate a TLS peer presented, already verified by the TLS layer
/// (against the configured CA, for client certificates on a listener that
/// asks for them; against the trust anchors and the server name, for
/// servers we connect to). Read it with
/// [`Endpoint::peer_certificate`](crate::Endpoint::peer_certificate) for
/// the connection a message came on ([`Source::connection`]).
#[derive(Clone, PartialEq, Eq)]
pub struct PeerCertificate {
    /// The chain as presented, leaf first, each certificate in DER.
    pub chain: Vec<Bytes>,
    /// SHA-256 of the leaf certificate's DER.
    pub sha256: [u8; 32],
    /// The leaf's subject distinguished name (RFC 4514 text).
    pub subject: String,
    /// The leaf's subjectAltName dNSName entries.
    pub dns_names: Vec<String>,
    /// The leaf's subjectAltName URI entries (RFC 5922 puts SIP domain
    /// identities here: `sip:example.com`).
    pub uris: Vec<String>,
}

impl PeerCertificate {
    /// The SHA-256 fingerprint as colon-separated upper-case hex, the form
    /// of SDP's `a=fingerprint` and of `openssl x509 -fingerprint`.
    pub fn fingerprint(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut s = String::with_capacity(32 * 3);
        for (i, b) in self.sha256.iter().enumerate() {
            if i > 0 {
                s.push(':');
            }
            s.push(HEX[usize::from(b >> 4)] as char);
            s.push(HEX[usize::from(b & 15)] as char);
        }
        s
    }

    /// Whether the certificate names the SIP domain `domain` as RFC 5922
    /// §7.1 reads it: when it has `sip:` URI entries, one of them must be
    /// `sip:domain`; otherwise a dNSName entry must equal the domain
    /// (ASCII case-insensitive, no wildcards, as §7.2 asks).
    pub fn names_sip_domain(&self, domain: &str) -> bool {
        let domain = domain.trim_end_matches('.');
        let sip: Vec<&str> = self
            .uris
            .iter()
            .filter_map(|u| {
                u.get(..4)
                    .filter(|p| p.eq_ignore_ascii_case("sip:"))
                    .map(|_| &u[4..])
            })
            .collect();
        if !sip.is_empty() {
            return sip.iter().any(|d| d.eq_ignore_ascii_case(domain));
        }
        self.dns_names
            .iter()
            .any(|d| d.trim_end_matches('.').eq_ignore_ascii_case(domain))
    }
}

impl fmt::Debug for PeerCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerCertificate")
            .field("subject", &self.subject)
            .field("dns_names", &self.dns_names)
            .field("uris", &self.uris)
            .field("sha256", &self.fingerprint())
            .field("chain_len", &self.chain.len())
            .finish()
    }
}

/// Where a received message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The transport it arrived on.
    pub transport: TransportKind,
    /// Our local address it arrived at.
    pub local: SocketAddr,
    /// The peer's address.
    pub remote: SocketAddr,
    /// The connection, for stream transports.
    pub connection: Option<ConnectionId>,
}

/// The key of a client transaction: the handle returned by
/// [`Endpoint::send_request`](crate::Endpoint::send_request). It stays the
/// same when the endpoint fails over to the next target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey(pub(crate) u64);

/// The key of a server transaction, given with each incoming request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerKey(pub(crate) u64);

/// Either kind of transaction key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionKey {
    /// A client transaction.
    Client(ClientKey),
    /// A server transaction.
    Server(ServerKey),
}

/// Bytes the driver must send.
#[derive(Debug, Clone)]
pub struct Transmit {
    /// The transport.
    pub transport: TransportKind,
    /// The local address to send from (the listener's address).
    pub local: SocketAddr,
    /// The peer.
    pub remote: SocketAddr,
    /// For stream transports: the connection to write to. A connection the
    /// driver has not seen yet was announced by a
    /// [`ConnectionCommand::Open`] just before.
    pub connection: Option<ConnectionId>,
    /// The bytes.
    pub payload: Bytes,
    /// For UDP to an IPv4 multicast address: the TTL to send with
    /// (RFC 3261 §18.1.1 and §18.2.2: a Via `ttl`, or 1).
    pub multicast_ttl: Option<u8>,
}

/// What the endpoint asks the driver to do with stream connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionCommand {
    /// Open a connection to `remote`; writes for `id` follow. Report the
    /// outcome with [`Endpoint::connection_established`](crate::Endpoint::connection_established)
    /// or [`Endpoint::connection_failed`](crate::Endpoint::connection_failed).
    Open {
        /// The id the endpoint gave the connection.
        id: ConnectionId,
        /// TCP or TLS.
        transport: TransportKind,
        /// The peer.
        remote: SocketAddr,
        /// TLS server name (SNI and certificate check).
        server_name: Option<String>,
    },
    /// Close the connection (framing error, dead flow).
    Close {
        /// Which one.
        id: ConnectionId,
    },
}

/// Why a transaction or flow failed at the transport level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The connection could not be opened or broke.
    #[error("connection {0} failed: {1}")]
    ConnectionFailed(ConnectionId, String),
    /// No listener exists for the transport.
    #[error("no local {0} transport to send from")]
    NoTransport(TransportKind),
    /// The keep-alive got no answer in time (RFC 5626 §4.4.1).
    #[error("no keep-alive answer from {0} within {1:?}")]
    KeepAliveTimeout(SocketAddr, Duration),
}

/// What the endpoint reports to its user (the transaction user: dialogs,
/// registration, or an application).
#[derive(Debug)]
pub enum Event {
    /// A new request created a server transaction: answer it with
    /// [`Endpoint::send_response`](crate::Endpoint::send_response). The
    /// top Via already carries `received`/`rport` as RFC 3581 asks.
    Request {
        /// The transaction.
        key: ServerKey,
        /// The request.
        request: Message,
        /// Where it came from.
        source: Source,
    },
    /// An ACK that matched no INVITE server transaction in Completed state:
    /// the ACK for a 2xx, handled by the dialog (RFC 3261 §13.3.1.4).
    Ack {
        /// The ACK.
        request: Message,
        /// Where it came from.
        source: Source,
    },
    /// A CANCEL matched an INVITE server transaction that has not sent a
    /// final response; the endpoint answered the CANCEL with 200. The user
    /// should answer the INVITE with 487 (RFC 3261 §9.2).
    Cancelled {
        /// The INVITE's transaction.
        invite: ServerKey,
        /// The CANCEL request.
        cancel: Message,
    },
    /// A response for a client transaction. For an INVITE, 2xx
    /// retransmissions are passed up too (RFC 6026 Accepted state) so the
    /// dialog can repeat its ACK.
    Response {
        /// The transaction.
        key: ClientKey,
        /// The response.
        response: Message,
        /// Where it came from.
        source: Source,
    },
    /// Timer B or F fired: no final response arrived (treat as 408), after
    /// every target was tried.
    Timeout {
        /// The transaction.
        key: ClientKey,
    },
    /// The request could not be sent to any target (RFC 3261 §17.1.4; treat
    /// as 503).
    TransportError {
        /// The transaction.
        key: ClientKey,
        /// The last error.
        error: TransportError,
    },
    /// A server transaction's response could not be delivered.
    ResponseFailed {
        /// The transaction.
        key: ServerKey,
        /// Why.
        error: TransportError,
    },
    /// A transaction has ended; its key is no longer valid.
    Terminated(TransactionKey),
    /// A stream connection closed or failed. For flows we opened (to the
    /// registrar or proxy) this is how a dead flow is reported, so
    /// registration can recover (RFC 5626 §4.4.1).
    ConnectionClosed {
        /// The connection.
        id: ConnectionId,
        /// TCP or TLS.
        transport: TransportKind,
        /// The peer.
        remote: SocketAddr,
        /// Whether we opened it.
        outbound: bool,
        /// Why, when it failed rather than closed normally.
        error: Option<TransportError>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(dns: &[&str], uris: &[&str]) -> PeerCertificate {
        PeerCertificate {
            chain: Vec::new(),
            sha256: [0xab; 32],
            subject: "CN=x".into(),
            dns_names: dns.iter().map(|s| s.to_string()).collect(),
            uris: uris.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn fingerprint_and_rfc5922_domain_rules() {
        let c = cert(&["pbx.example.com"], &[]);
        assert!(c.fingerprint().starts_with("AB:AB:"));
        assert_eq!(c.fingerprint().len(), 32 * 3 - 1);
        assert!(c.names_sip_domain("PBX.example.com."));
        assert!(!c.names_sip_domain("example.com"));
        // With sip: URIs present, dNSName no longer counts (§7.1).
        let c = cert(&["pbx.example.com"], &["sip:example.com", "https://x"]);
        assert!(c.names_sip_domain("example.com"));
        assert!(!c.names_sip_domain("pbx.example.com"));
        assert!(!cert(&["*.example.com"], &[]).names_sip_domain("a.example.com"));
    }
}
