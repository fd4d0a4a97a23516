//! Fuzz the DTLS-SRTP endpoint (dimpl backend) with arbitrary datagrams in
//! both roles, and the SDP fingerprint parser. The first octet picks the
//! role; the rest is split into datagrams by one-octet length prefixes.
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use heron_rtp::dtls::{DtlsConfig, DtlsIdentity, DtlsRole, DtlsSrtp, Fingerprint, RemoteDtls};
use libfuzzer_sys::fuzz_target;

fn identity() -> &'static DtlsIdentity {
    static ID: OnceLock<DtlsIdentity> = OnceLock::new();
    ID.get_or_init(|| DtlsIdentity::generate().expect("certificate"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Fingerprint::parse(text);
    }
    let Some((&sel, mut rest)) = data.split_first() else { return };
    let role = if sel & 1 == 0 { DtlsRole::Client } else { DtlsRole::Server };
    let peer: SocketAddr = "192.0.2.1:5000".parse().expect("address");
    let mut dtls = DtlsSrtp::new(DtlsConfig::default(), identity().clone(), peer);
    let now = Instant::now();
    let remote = RemoteDtls::new(role, vec![identity().fingerprint().clone()]);
    let _ = dtls.set_remote(now, remote, &mut ());
    let mut out = [0u8; 2048];
    let mut t = now;
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len).min(tail.len());
        let mut d = tail[..n].to_vec();
        rest = &tail[n..];
        t += Duration::from_millis(u64::from(len));
        dtls.handle_datagram(t, peer, &mut d, &mut ());
        dtls.handle_timeout(t, &mut ());
        while dtls.poll_transmit(&mut out).is_some() {}
        while dtls.poll_event().is_some() {}
    }
});
