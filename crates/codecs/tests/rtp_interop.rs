//! Where the codecs meet heron-rtp: the RTP timestamp advances by the
//! codec's RTP clock, not its sampling rate. G.722 samples at 16 kHz but its
//! RTP clock is 8000 (RFC 3551 §4.5.2), so a 20 ms frame of 320 samples
//! advances the timestamp by 160; Opus always counts at 48 kHz (RFC 7587).

use heron_codecs::{open_codec, Codec, CodecSpec};
use heron_rtp::rtp::RtpPacket;
use heron_rtp::session::{MediaSession, PayloadFormat, SessionConfig};
use std::time::Instant;

/// A counter as the session's RNG: deterministic.
struct Counter(u64);

impl rand_core::RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1);
        self.0 >> 11
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.next_u32() as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// Sends `frames` frames of a tone through `codec` and a media session
/// with payload type `pt`; returns the RTP packets' (timestamp, payload).
fn send(codec: &mut dyn Codec, pt: u8, frames: usize) -> Vec<(u32, Vec<u8>)> {
    let mut cfg = SessionConfig::new(
        "127.0.0.1:4000".parse().unwrap(),
        "127.0.0.1:5000".parse().unwrap(),
    );
    cfg.formats = vec![PayloadFormat {
        payload_type: pt,
        clock_rate: codec.rtp_clock_rate(),
    }];
    cfg.send_payload_type = pt;
    let mut session = MediaSession::new(cfg, Instant::now(), 0, Box::new(Counter(7))).unwrap();
    let n = codec.frame_samples();
    let rate = codec.sample_rate() as f64;
    let mut payload = vec![0u8; codec.max_payload_len()];
    let mut out = Vec::new();
    let mut datagram = [0u8; 2048];
    for k in 0..frames {
        let pcm: Vec<i16> = (k * n..(k + 1) * n)
            .map(|i| (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / rate).sin()) as i16)
            .collect();
        let len = codec.encode(&pcm, &mut payload).unwrap();
        session
            .send_frame(&payload[..len], codec.rtp_timestamp_step(n))
            .unwrap();
        while let Some(t) = session.poll_transmit(&mut datagram) {
            if t.rtcp {
                continue;
            }
            if let Ok(p) = RtpPacket::parse(&datagram[..t.len]) {
                if p.payload_type() == pt {
                    out.push((p.timestamp(), p.payload().to_vec()));
                }
            }
        }
    }
    out
}

fn steps(packets: &[(u32, Vec<u8>)]) -> Vec<u32> {
    packets
        .windows(2)
        .map(|w| w[1].0.wrapping_sub(w[0].0))
        .collect()
}

#[test]
fn g722_timestamps_advance_by_half_the_sample_count() {
    let mut g722 = open_codec(&CodecSpec::new("G722", 8000)).unwrap();
    let packets = send(g722.as_mut(), 9, 6);
    assert_eq!(packets.len(), 6);
    for (_, p) in &packets {
        assert_eq!(p.len(), 160, "20 ms of G.722 is 160 octets");
    }
    // 320 samples per frame, but 160 RTP clock ticks: one per octet.
    assert_eq!(steps(&packets), vec![160; 5]);

    // And the receiver, decoding those payloads, gets back 320 samples each.
    let mut rx = open_codec(&CodecSpec::new("G722", 8000)).unwrap();
    let mut pcm = [0i16; 320];
    for (_, p) in &packets {
        assert_eq!(rx.decode(p, &mut pcm).unwrap(), 320);
    }
}

#[test]
fn g711_and_opus_timestamps() {
    let mut pcmu = open_codec(&CodecSpec::new("PCMU", 8000)).unwrap();
    assert_eq!(steps(&send(pcmu.as_mut(), 0, 4)), vec![160; 3]);
    for rate in [8000, 16000, 48000] {
        let mut spec = CodecSpec::new("opus", 48000);
        spec.pcm_rate = Some(rate);
        let mut opus = open_codec(&spec).unwrap();
        // 20 ms is 960 ticks of the 48 kHz RTP clock at any sampling rate.
        assert_eq!(
            steps(&send(opus.as_mut(), 111, 4)),
            vec![960; 3],
            "opus at {rate}"
        );
    }
}
