//! Errors of the endpoint's user-facing calls.

use crate::transaction::State;
use crate::types::{TransportError, TransportKind};

/// Why an endpoint call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No listener exists for the transport the target needs.
    #[error("no local {0} transport")]
    NoTransport(TransportKind),
    /// The key names no live transaction.
    #[error("no such transaction")]
    UnknownTransaction,
    /// A request was given where a response belongs, or the status code is
    /// outside 100–699.
    #[error("not a response with a status code from 100 to 699")]
    NotAResponse,
    /// A response was given where a request belongs, or the request is an
    /// ACK (sent with `send_stateless`) or CANCEL (sent with `cancel`).
    #[error("not a request this call can send")]
    NotARequest,
    /// The transaction cannot take this in its current state (a second
    /// final response, say).
    #[error("the transaction is in state {0:?}")]
    WrongState(State),
    /// The request was sent to no target.
    #[error("no target to send to")]
    NoTargets,
    /// The message lacks what a transaction needs (CSeq, Call-ID, ...).
    #[error("invalid message: {0}")]
    Invalid(String),
    /// The transport refused it.
    #[error(transparent)]
    Transport(#[from] TransportError),
}
