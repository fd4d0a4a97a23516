//! Fuzz SRTP and SRTCP unprotect with a fixed key, for a CM and a GCM profile.
#![no_main]

use heron_rtp::srtp::{MasterKey, SrtpConfig, SrtpContext, SrtpProfile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let profile = SrtpProfile::ALL[usize::from(sel) % SrtpProfile::ALL.len()];
    let m: Vec<u8> = (0..profile.key_len() + profile.salt_len()).map(|i| i as u8).collect();
    let key = MasterKey::from_key_salt(profile, &m).expect("fixed key fits");
    let mut ctx = SrtpContext::new(profile, &[key], SrtpConfig::default()).expect("context");
    let mut a = rest.to_vec();
    let _ = ctx.unprotect_rtp(&mut a);
    let mut b = rest.to_vec();
    let _ = ctx.unprotect_rtcp(&mut b);
});
