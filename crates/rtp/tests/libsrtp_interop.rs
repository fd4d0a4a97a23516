//! Round trips against Debian's libsrtp2 (apt `libsrtp2-dev`), linked as a
//! dev-only FFI: our protect → libsrtp unprotect and libsrtp protect → our
//! unprotect, RTP and RTCP, for every profile, across the sequence-number
//! wrap, and with an MKI.

// This test calls libsrtp's C API, which needs `unsafe`; it is the only
// place in the crate that does, and it never ships in the library.
#![allow(unsafe_code)]

use heron_rtp::srtp::{MasterKey, SrtpConfig, SrtpContext, SrtpProfile};
use std::os::raw::{c_int, c_uint, c_ulong, c_void};

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct CryptoPolicy {
    cipher_type: u32,
    cipher_key_len: c_int,
    auth_type: u32,
    auth_key_len: c_int,
    auth_tag_len: c_int,
    sec_serv: c_int,
}

#[repr(C)]
struct SsrcSpec {
    kind: c_int,
    value: c_uint,
}

#[repr(C)]
struct CMasterKey {
    key: *mut u8,
    mki_id: *mut u8,
    mki_size: c_uint,
}

#[repr(C)]
struct Policy {
    ssrc: SsrcSpec,
    rtp: CryptoPolicy,
    rtcp: CryptoPolicy,
    key: *mut u8,
    keys: *mut *mut CMasterKey,
    num_master_keys: c_ulong,
    deprecated_ekt: *mut c_void,
    window_size: c_ulong,
    allow_repeat_tx: c_int,
    enc_xtn_hdr: *mut c_int,
    enc_xtn_hdr_count: c_int,
    next: *mut Policy,
}

type Session = *mut c_void;

#[link(name = "srtp2")]
extern "C" {
    fn srtp_init() -> c_int;
    fn srtp_create(session: *mut Session, policy: *const Policy) -> c_int;
    fn srtp_dealloc(session: Session) -> c_int;
    fn srtp_protect(ctx: Session, hdr: *mut c_void, len: *mut c_int) -> c_int;
    fn srtp_unprotect(ctx: Session, hdr: *mut c_void, len: *mut c_int) -> c_int;
    fn srtp_protect_rtcp(ctx: Session, hdr: *mut c_void, len: *mut c_int) -> c_int;
    fn srtp_unprotect_rtcp(ctx: Session, hdr: *mut c_void, len: *mut c_int) -> c_int;
    fn srtp_protect_mki(
        ctx: Session,
        hdr: *mut c_void,
        len: *mut c_int,
        use_mki: c_uint,
        idx: c_uint,
    ) -> c_int;
    fn srtp_unprotect_mki(
        ctx: Session,
        hdr: *mut c_void,
        len: *mut c_int,
        use_mki: c_uint,
    ) -> c_int;
    fn srtp_crypto_policy_set_rtp_default(p: *mut CryptoPolicy);
    fn srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(p: *mut CryptoPolicy);
    fn srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(p: *mut CryptoPolicy);
    fn srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(p: *mut CryptoPolicy);
    fn srtp_crypto_policy_set_aes_gcm_128_16_auth(p: *mut CryptoPolicy);
    fn srtp_crypto_policy_set_aes_gcm_256_16_auth(p: *mut CryptoPolicy);
}

const SSRC_ANY_INBOUND: c_int = 2;
const SSRC_ANY_OUTBOUND: c_int = 3;

fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: srtp_init takes no arguments and is called once.
    ONCE.call_once(|| assert_eq!(unsafe { srtp_init() }, 0));
}

fn policies(profile: SrtpProfile) -> (CryptoPolicy, CryptoPolicy) {
    let mut rtp = CryptoPolicy::default();
    let mut rtcp = CryptoPolicy::default();
    // SAFETY: each setter only writes the fields of the struct it is given.
    unsafe {
        match profile {
            SrtpProfile::Aes128CmHmacSha1_80 => {
                srtp_crypto_policy_set_rtp_default(&mut rtp);
                srtp_crypto_policy_set_rtp_default(&mut rtcp);
            }
            SrtpProfile::Aes128CmHmacSha1_32 => {
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&mut rtp);
                srtp_crypto_policy_set_rtp_default(&mut rtcp);
            }
            SrtpProfile::Aes256CmHmacSha1_80 => {
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&mut rtp);
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&mut rtcp);
            }
            SrtpProfile::Aes256CmHmacSha1_32 => {
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&mut rtp);
                srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&mut rtcp);
            }
            SrtpProfile::AeadAes128Gcm => {
                srtp_crypto_policy_set_aes_gcm_128_16_auth(&mut rtp);
                srtp_crypto_policy_set_aes_gcm_128_16_auth(&mut rtcp);
            }
            SrtpProfile::AeadAes256Gcm => {
                srtp_crypto_policy_set_aes_gcm_256_16_auth(&mut rtp);
                srtp_crypto_policy_set_aes_gcm_256_16_auth(&mut rtcp);
            }
        }
    }
    (rtp, rtcp)
}

/// A libsrtp session; owns the key buffers the policy points at.
struct Lib {
    session: Session,
    _key: Box<[u8]>,
    _mki: Box<[u8]>,
    _mk: Box<CMasterKey>,
    _keys: Box<[*mut CMasterKey; 1]>,
}

impl Lib {
    fn new(profile: SrtpProfile, key_salt: &[u8], inbound: bool, mki: Option<&[u8]>) -> Lib {
        init();
        let (rtp, rtcp) = policies(profile);
        let mut key: Box<[u8]> = key_salt.into();
        let mut mki_buf: Box<[u8]> = mki.unwrap_or(&[]).into();
        let mut mk = Box::new(CMasterKey {
            key: key.as_mut_ptr(),
            mki_id: mki_buf.as_mut_ptr(),
            mki_size: mki_buf.len() as c_uint,
        });
        let mut keys = Box::new([&mut *mk as *mut CMasterKey]);
        let policy = Policy {
            ssrc: SsrcSpec {
                kind: if inbound {
                    SSRC_ANY_INBOUND
                } else {
                    SSRC_ANY_OUTBOUND
                },
                value: 0,
            },
            rtp,
            rtcp,
            key: if mki.is_some() {
                std::ptr::null_mut()
            } else {
                key.as_mut_ptr()
            },
            keys: if mki.is_some() {
                keys.as_mut_ptr()
            } else {
                std::ptr::null_mut()
            },
            num_master_keys: if mki.is_some() { 1 } else { 0 },
            deprecated_ekt: std::ptr::null_mut(),
            window_size: 128,
            allow_repeat_tx: 0,
            enc_xtn_hdr: std::ptr::null_mut(),
            enc_xtn_hdr_count: 0,
            next: std::ptr::null_mut(),
        };
        let mut session: Session = std::ptr::null_mut();
        // SAFETY: the policy and every buffer it points at outlive the call;
        // libsrtp copies the keys into the session.
        let rc = unsafe { srtp_create(&mut session, &policy) };
        assert_eq!(rc, 0, "srtp_create for {profile} failed with status {rc}");
        Lib {
            session,
            _key: key,
            _mki: mki_buf,
            _mk: mk,
            _keys: keys,
        }
    }

    fn call(
        &self,
        f: unsafe extern "C" fn(Session, *mut c_void, *mut c_int) -> c_int,
        buf: &mut [u8],
        len: usize,
    ) -> Result<usize, c_int> {
        let mut n = len as c_int;
        // SAFETY: `buf` is valid for its whole length, which leaves libsrtp
        // room for its trailer (callers pass 512-octet buffers).
        let rc = unsafe { f(self.session, buf.as_mut_ptr().cast(), &mut n) };
        if rc == 0 {
            Ok(n as usize)
        } else {
            Err(rc)
        }
    }
}

impl Drop for Lib {
    fn drop(&mut self) {
        // SAFETY: the session was created by srtp_create and is freed once.
        unsafe { srtp_dealloc(self.session) };
    }
}

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
