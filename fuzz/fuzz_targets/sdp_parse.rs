//! Fuzz the SDP parser, the writer and the offer/answer engine: parsing never
//! panics; whatever parses writes back to the same model; answering it as an
//! offer never panics and keeps the offer's m-line count; processing it as
//! the answer to our offer never panics.
#![no_main]

use heron_sdp::testing::StepRng;
use heron_sdp::{answer, Codec, Fingerprint, LocalCapabilities, Negotiator, SrtpPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = heron_sdp::parse_bytes(data) else {
        return;
    };
    let text = sdp.to_string();
    let again = heron_sdp::parse(&text).expect("written SDP parses");
    assert_eq!(again, sdp, "write → parse is identity");

    let mut caps = LocalCapabilities::new([192, 0, 2, 1].into(), 4000);
    caps.codecs = Codec::ALL.to_vec();
    caps.rtcp_mux = true;
    caps.dtls_fingerprint = Fingerprint::parse("sha-256 01:02:03");
    for policy in [
        SrtpPolicy::Off,
        SrtpPolicy::Sdes,
        SrtpPolicy::Dtls,
        SrtpPolicy::Optional,
    ] {
        caps.srtp = policy;
        if let Ok(a) = answer(&sdp, &caps, &mut StepRng::new(1)) {
            assert_eq!(a.sdp.media.len(), sdp.media.len());
            let written = a.sdp.to_string();
            assert_eq!(heron_sdp::parse(&written).as_ref(), Ok(&a.sdp));
        }
        let mut rng = StepRng::new(2);
        let mut n = Negotiator::new(caps.clone(), &mut rng);
        if n.create_offer(&mut rng).is_ok() {
            let _ = n.receive_answer(&sdp);
        }
    }
});
