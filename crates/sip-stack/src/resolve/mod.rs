//! RFC 3263 resolution.
