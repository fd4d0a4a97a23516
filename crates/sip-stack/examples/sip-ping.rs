//! sip-ping: placeholder replaced below.
fn main() {}
