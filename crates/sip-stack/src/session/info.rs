//! DTMF in INFO requests: moved to [`crate::ua::dtmf`] (typed errors,
//! tests); re-exported here for the session code and existing users.
//!
//! ```
//! use heron_sip_stack::session::info::{dtmf_relay_body, parse_dtmf};
//! let body = dtmf_relay_body('5', 160);
//! assert_eq!(parse_dtmf("application/dtmf-relay", body.as_bytes()), Some(('5', Some(160))));
//! ```

pub use crate::ua::dtmf::{dtmf_relay_body, is_dtmf, parse_dtmf};
