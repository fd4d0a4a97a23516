//! The same protect/unprotect measurements through Debian's libsrtp2
//! (dev-only FFI), for comparison with `benches/srtp.rs` in one harness.

// criterion's macros generate undocumented items; the libsrtp calls need
// `unsafe` (C API), confined to this dev-only benchmark.
#![allow(missing_docs, unsafe_code)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use heron_rtp::srtp::SrtpProfile;
use std::hint::black_box;
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

fn packet(seq: u16, buf: &mut [u8]) -> usize {
    buf[..12].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe]);
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[12..172].fill(0xd5);
    172
}

fn libsrtp(c: &mut Criterion) {
    for profile in [
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::AeadAes256Gcm,
    ] {
        let ks: Vec<u8> = (0..profile.key_len() + profile.salt_len())
            .map(|i| i as u8 * 7)
            .collect();
        let mut g = c.benchmark_group(format!("libsrtp/{}", profile.name()));
        let tx = Lib::new(profile, &ks, false, None);
        let mut buf = [0u8; 512];
        let mut seq = 0u16;
        g.bench_function("protect_rtp_172", |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                let n = packet(seq, &mut buf);
                black_box(tx.call(srtp_protect, &mut buf, n).unwrap())
            })
        });
        let tx = Lib::new(profile, &ks, false, None);
        let rx = Lib::new(profile, &ks, true, None);
        let mut seq = 0u16;
        g.bench_function("unprotect_rtp_172", |b| {
            b.iter_batched_ref(
                || {
                    seq = seq.wrapping_add(1);
                    let mut p = [0u8; 512];
                    let n = packet(seq, &mut p);
                    let n = tx.call(srtp_protect, &mut p, n).unwrap();
                    (p, n)
                },
                |(p, n)| black_box(rx.call(srtp_unprotect, p, *n).is_ok()),
                BatchSize::SmallInput,
            )
        });
        g.bench_function("session_create", |b| {
            b.iter(|| black_box(Lib::new(profile, &ks, true, None)))
        });
        g.finish();
    }
}

criterion_group!(benches, libsrtp);
criterion_main!(benches);
