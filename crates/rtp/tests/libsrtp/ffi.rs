//! libsrtp2's C API as the libsrtp round-trip test and the libsrtp bench
//! use it (dev-only FFI; Debian package libsrtp2-dev). Included by both with
//! `#[path]`; each uses part of it.
#![allow(dead_code, unsafe_code)]

use heron_rtp::srtp::SrtpProfile;
use std::os::raw::{c_int, c_uint, c_ulong, c_void};

#[repr(C)]
#[derive(Default, Clone, Copy)]
pub struct CryptoPolicy {
    cipher_type: u32,
    cipher_key_len: c_int,
    auth_type: u32,
    auth_key_len: c_int,
    auth_tag_len: c_int,
    sec_serv: c_int,
}

#[repr(C)]
pub struct SsrcSpec {
    kind: c_int,
    value: c_uint,
}

#[repr(C)]
pub struct CMasterKey {
    key: *mut u8,
    mki_id: *mut u8,
    mki_size: c_uint,
}

#[repr(C)]
pub struct Policy {
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

pub type Session = *mut c_void;

#[link(name = "srtp2")]
extern "C" {
    pub fn srtp_init() -> c_int;
    pub fn srtp_create(session: *mut Session, policy: *const Policy) -> c_int;
    pub fn srtp_dealloc(session: Session) -> c_int;
    pub fn srtp_protect(ctx: Session, hdr: *mut c_void, len: *mut c_int) -> c_int;
    pub fn srtp_unprotect(ctx: Session, hdr: *mut c_void, len: *mut c_int) -> c_int;
    pub fn srtp_protect_rtcp(ctx: Session, hdr: *mut c_void, len: *mut c_int) -> c_int;
    pub fn srtp_unprotect_rtcp(ctx: Session, hdr: *mut c_void, len: *mut c_int) -> c_int;
    pub fn srtp_protect_mki(
        ctx: Session,
        hdr: *mut c_void,
        len: *mut c_int,
        use_mki: c_uint,
        idx: c_uint,
    ) -> c_int;
    pub fn srtp_unprotect_mki(
        ctx: Session,
        hdr: *mut c_void,
        len: *mut c_int,
        use_mki: c_uint,
    ) -> c_int;
    pub fn srtp_crypto_policy_set_rtp_default(p: *mut CryptoPolicy);
    pub fn srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(p: *mut CryptoPolicy);
    pub fn srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(p: *mut CryptoPolicy);
    pub fn srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(p: *mut CryptoPolicy);
    pub fn srtp_crypto_policy_set_aes_gcm_128_16_auth(p: *mut CryptoPolicy);
    pub fn srtp_crypto_policy_set_aes_gcm_256_16_auth(p: *mut CryptoPolicy);
}

pub const SSRC_ANY_INBOUND: c_int = 2;
pub const SSRC_ANY_OUTBOUND: c_int = 3;

pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: srtp_init takes no arguments and is called once.
    ONCE.call_once(|| assert_eq!(unsafe { srtp_init() }, 0));
}

pub fn policies(profile: SrtpProfile) -> (CryptoPolicy, CryptoPolicy) {
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
pub struct Lib {
    pub session: Session,
    _key: Box<[u8]>,
    _mki: Box<[u8]>,
    _mk: Box<CMasterKey>,
    _keys: Box<[*mut CMasterKey; 1]>,
}

impl Lib {
    pub fn new(profile: SrtpProfile, key_salt: &[u8], inbound: bool, mki: Option<&[u8]>) -> Lib {
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

    pub fn call(
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
