//! heron-sip: the SIP message model.
#![forbid(unsafe_code)]
