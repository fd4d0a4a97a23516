//! heron-sip-stack: SIP transports, RFC 3263 resolution and the
//! transactions of RFC 3261 §17 (with RFC 6026), for heron-voip.
//!
//! The core is [`Endpoint`], a sans-IO state machine: it owns no socket and
//! reads no clock. Feed it what arrived ([`Endpoint::handle_datagram`],
//! [`Endpoint::handle_stream_data`], [`Endpoint::handle_timeout`]), give
//! it requests and responses ([`Endpoint::send_request`],
//! [`Endpoint::send_response`]) and poll it for bytes to send
//! ([`Endpoint::poll_transmit`]), connections to open or close
//! ([`Endpoint::poll_command`]), [`Event`]s and the next deadline
//! ([`Endpoint::poll_timeout`]). The `tokio` feature (default) adds
//! [`driver`], which binds it to UDP, TCP and TLS sockets, and
//! [`resolve`]'s DNS resolver.
//!
//! On top of the endpoint, equally sans-IO, sits the user-agent layer
//! that makes it a PBX extension: [`ua::Ua`] (registrations and calls,
//! with a [`ua::UaEvent`] stream), built from [`dialog`] (RFC 3261 §12),
//! [`registration`] (§10 with digest, back-off and NAT handling),
//! [`session`] (INVITE sessions, 100rel/PRACK, UPDATE, session timers,
//! INFO DTMF) and [`refer`] (transfers). [`ua::driver::UaStack`] runs it
//! on tokio with one [`ua::driver::Call`] handle per call.
//!
//! ```
//! use bytes::Bytes;
//! use heron_sip::{HeaderName, Message, Method};
//! use heron_sip_stack::{Endpoint, EndpointConfig, Event, Target, TransportKind};
//! use rand::{rngs::StdRng, SeedableRng};
//! use std::time::Instant;
//!
//! let (a_addr, b_addr) = ("127.0.0.1:5060".parse().unwrap(), "127.0.0.1:5070".parse().unwrap());
//! let mut alice = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(1));
//! alice.add_listener(TransportKind::Udp, a_addr, None);
//! let mut bob = Endpoint::new(EndpointConfig::default(), StdRng::seed_from_u64(2));
//! bob.add_listener(TransportKind::Udp, b_addr, None);
//! let now = Instant::now();
//!
//! // Alice sends OPTIONS; the endpoint adds Via and Max-Forwards.
//! let mut options = Message::request(Method::Options, "sip:bob@127.0.0.1:5070");
//! options.append_header(HeaderName::From, "<sip:alice@example.com>;tag=a1");
//! options.append_header(HeaderName::To, "<sip:bob@example.com>");
//! options.append_header(HeaderName::CallId, "call-1");
//! options.append_header(HeaderName::CSeq, "1 OPTIONS");
//! let key = alice.send_request(now, options, Target::new(TransportKind::Udp, b_addr)).unwrap();
//!
//! // The "network": hand Alice's datagram to Bob.
//! let t = alice.poll_transmit().unwrap();
//! bob.handle_datagram(now, TransportKind::Udp, t.remote, t.local, t.payload);
//! let Some(Event::Request { key: skey, request, .. }) = bob.poll_event() else { panic!() };
//! let ok = Message::response_to(&request, 200, Some("b1"));
//! bob.send_response(now, skey, ok).unwrap();
//!
//! let t = bob.poll_transmit().unwrap();
//! assert_eq!(t.remote, a_addr);
//! alice.handle_datagram(now, TransportKind::Udp, t.remote, t.local, t.payload);
//! match alice.poll_event() {
//!     Some(Event::Response { key: k, response, .. }) => {
//!         assert_eq!(k, key);
//!         assert_eq!(response.status(), Some(200));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! // Over UDP the client lingers in Completed for T4 (Timer K), then ends.
//! let deadline = alice.poll_timeout().unwrap();
//! alice.handle_timeout(deadline);
//! assert_eq!(alice.transaction_count(), 0);
//! ```
#![forbid(unsafe_code)]

mod config;
mod core;
pub mod dialog;
mod endpoint;
mod error;
mod hash;
pub mod refer;
pub mod registration;
pub mod session;
pub mod stateless;
pub mod timer;
pub mod transaction;
mod types;
pub mod ua;
mod via;

#[cfg(feature = "tokio")]
pub mod driver;
pub mod resolve;

pub use config::{EndpointConfig, KeepAlive, Timers, UdpKeepAlive, UdpKeepAliveKind};
pub use endpoint::Endpoint;
pub use error::Error;
pub use transaction::{Kind as TransactionKind, State as TransactionState};
pub use types::{
    ClientKey, ConnectionCommand, ConnectionId, Event, PeerCertificate, ServerKey, Source, Target,
    TransactionKey, Transmit, TransportError, TransportKind,
};
