//! Fuzz the decoders and the fmtp parser: arbitrary payloads through every
//! codec (with concealment and FEC from the same bytes), and the DTMF
//! detector and resampler over the decoded PCM. None may panic.
#![no_main]

use heron_codecs::dtmf::DtmfDetector;
use heron_codecs::{open_codec, CodecSpec, OpusConfig, Resampler};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let (name, clock) = match selector % 4 {
        0 => ("PCMU", 8000),
        1 => ("PCMA", 8000),
        2 => ("G722", 8000),
        _ => ("opus", 48000),
    };
    let mut spec = CodecSpec::new(name, clock);
    if name == "opus" {
        spec.pcm_rate = Some([8000, 16000, 24000, 48000][(selector as usize >> 2) % 4]);
        // The fmtp parser gets the payload as text too.
        let _ = OpusConfig::from_fmtp(&String::from_utf8_lossy(payload));
    }
    let Ok(mut codec) = open_codec(&spec) else {
        return;
    };
    let mut pcm = vec![0i16; 5760];
    let mut n = codec.decode(payload, &mut pcm).unwrap_or(0);
    if selector & 0x80 != 0 {
        n = codec.conceal(Some(payload), &mut pcm).unwrap_or(0);
    }
    let rate = codec.sample_rate();
    if let Ok(mut det) = DtmfDetector::new(rate) {
        det.process(&pcm[..n], |_| {});
    }
    let to = if rate == 8000 { 48000 } else { 8000 };
    if let Ok(mut r) = Resampler::new(rate, to) {
        let mut out = vec![0i16; r.max_output_len(n)];
        let _ = r.process(&pcm[..n], &mut out);
    }
});
