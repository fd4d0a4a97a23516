//! Round trips against Debian's libsrtp2 (apt `libsrtp2-dev`), linked as a
//! dev-only FFI: our protect → libsrtp unprotect and libsrtp protect → our
//! unprotect, RTP and RTCP, for every profile, across the sequence-number
//! wrap, and with an MKI.

// This test calls libsrtp's C API, which needs `unsafe`; it is the only
// place in the crate that does, and it never ships in the library.
#![allow(unsafe_code)]

use heron_rtp::srtp::{MasterKey, SrtpConfig, SrtpContext, SrtpProfile};

#[path = "libsrtp/ffi.rs"]
mod ffi;

use ffi::*;
use std::os::raw::c_int;
fn key_salt(profile: SrtpProfile) -> Vec<u8> {
    (0..profile.key_len() + profile.salt_len())
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(5))
        .collect()
}

fn rtp(seq: u16, buf: &mut [u8]) -> usize {
    buf[..12].copy_from_slice(&[0x80, 0x08, 0, 0, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44]);
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    for (i, b) in buf[12..172].iter_mut().enumerate() {
        *b = (i as u8) ^ (seq as u8);
    }
    172
}

fn rtcp(n: u8, buf: &mut [u8]) -> usize {
    let mut w = heron_rtp::rtcp::RtcpWriter::new(buf);
    w.receiver_report(0x11223344, &[]).unwrap();
    w.sdes_cname(0x11223344, &[b'a' + n; 12]).unwrap();
    w.len()
}

#[test]
fn every_profile_both_directions_across_the_wrap() {
    for profile in SrtpProfile::ALL {
        let ks = key_salt(profile);
        let mk = MasterKey::from_key_salt(profile, &ks).unwrap();
        let mut ours_tx =
            SrtpContext::new(profile, std::slice::from_ref(&mk), SrtpConfig::default()).unwrap();
        let mut ours_rx = SrtpContext::new(profile, &[mk], SrtpConfig::default()).unwrap();
        let lib_rx = Lib::new(profile, &ks, true, None);
        let lib_tx = Lib::new(profile, &ks, false, None);
        for seq in (65530u32..65550).map(|s| s as u16) {
            let mut plain = [0u8; 512];
            let len = rtp(seq, &mut plain);

            let mut buf = plain;
            let n = ours_tx.protect_rtp(&mut buf, len).unwrap();
            let m = lib_rx
                .call(srtp_unprotect, &mut buf, n)
                .unwrap_or_else(|e| panic!("{profile} seq {seq}: libsrtp unprotect status {e}"));
            assert_eq!(
                buf[..m],
                plain[..len],
                "{profile} seq {seq}: ours → libsrtp"
            );

            let mut buf = plain;
            let n = lib_tx.call(srtp_protect, &mut buf, len).unwrap();
            let m = ours_rx
                .unprotect_rtp(&mut buf[..n])
                .unwrap_or_else(|e| panic!("{profile} seq {seq}: {e}"));
            assert_eq!(
                buf[..m],
                plain[..len],
                "{profile} seq {seq}: libsrtp → ours"
            );
        }
        for i in 0..3u8 {
            let mut plain = [0u8; 512];
            let len = rtcp(i, &mut plain);

            let mut buf = plain;
            let n = ours_tx.protect_rtcp(&mut buf, len).unwrap();
            let m = lib_rx
                .call(srtp_unprotect_rtcp, &mut buf, n)
                .unwrap_or_else(|e| panic!("{profile}: libsrtp unprotect_rtcp status {e}"));
            assert_eq!(buf[..m], plain[..len], "{profile}: SRTCP ours → libsrtp");

            let mut buf = plain;
            let n = lib_tx.call(srtp_protect_rtcp, &mut buf, len).unwrap();
            let m = ours_rx
                .unprotect_rtcp(&mut buf[..n])
                .unwrap_or_else(|e| panic!("{profile}: {e}"));
            assert_eq!(buf[..m], plain[..len], "{profile}: SRTCP libsrtp → ours");
        }
        assert_eq!(ours_rx.stats().auth_failures, 0);
    }
}

#[test]
fn mki_both_directions() {
    for profile in [SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::AeadAes128Gcm] {
        let ks = key_salt(profile);
        let mki = [0u8, 0, 0, 1];
        let mk = MasterKey::from_key_salt(profile, &ks)
            .unwrap()
            .with_mki(&mki)
            .unwrap();
        let mut ours_tx =
            SrtpContext::new(profile, std::slice::from_ref(&mk), SrtpConfig::default()).unwrap();
        let mut ours_rx = SrtpContext::new(profile, &[mk], SrtpConfig::default()).unwrap();
        let lib_rx = Lib::new(profile, &ks, true, Some(&mki));
        let lib_tx = Lib::new(profile, &ks, false, Some(&mki));
        for seq in 1..4u16 {
            let mut plain = [0u8; 512];
            let len = rtp(seq, &mut plain);

            let mut buf = plain;
            let n = ours_tx.protect_rtp(&mut buf, len).unwrap();
            let mut l = n as c_int;
            // SAFETY: 512-octet buffer, valid session.
            let rc =
                unsafe { srtp_unprotect_mki(lib_rx.session, buf.as_mut_ptr().cast(), &mut l, 1) };
            assert_eq!(rc, 0, "{profile}: libsrtp unprotect_mki");
            assert_eq!(buf[..l as usize], plain[..len]);

            let mut buf = plain;
            let mut l = len as c_int;
            // SAFETY: as above.
            let rc =
                unsafe { srtp_protect_mki(lib_tx.session, buf.as_mut_ptr().cast(), &mut l, 1, 0) };
            assert_eq!(rc, 0, "{profile}: libsrtp protect_mki");
            let m = ours_rx
                .unprotect_rtp(&mut buf[..l as usize])
                .unwrap_or_else(|e| panic!("{profile}: {e}"));
            assert_eq!(buf[..m], plain[..len]);
        }
    }
}
