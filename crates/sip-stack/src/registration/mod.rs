//! Registration (RFC 3261 §10) as a sans-IO state machine: REGISTER with
//! digest authentication (heron-sip-auth), refresh before the granted
//! expiry, 423 Min-Expires, removal of our stale bindings, NAT-driven
//! re-registration (RFC 3581 `received`/`rport`), unregistration, and
//! back-off with jitter that honours Retry-After and never loops on 403 or
//! on rejected credentials.
//!
//! [`Ua`](crate::ua::Ua) drives it; the state changes reach the
//! application as [`UaEvent::Registration`](crate::ua::UaEvent::Registration).

mod machine;

pub use machine::{ContactPolicy, RegistrationConfig, RegistrationFailure, RegistrationState};
pub(crate) use machine::{Registration, Step};
