//! Two media pumps against each other, in process and in virtual time:
//! each sends a tone whose frequency the other checks.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use heron_sdp::{Codec, LocalCapabilities, NegotiatedMedia, Negotiator, SrtpPolicy};
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::*;
use crate::analysis::{dominant_frequency, ToneGenerator};
use crate::DtmfMode;

pub(super) struct TestPipe {
    rate: u32,
    gen: ToneGenerator,
    frame: Vec<i16>,
    pub(super) received: Vec<i16>,
    presses: Vec<DtmfPress>,
    started: Option<MediaInfo>,
}

impl TestPipe {
    pub(super) fn new(rate: u32, freq: f64) -> Self {
        TestPipe {
            rate,
            gen: ToneGenerator::new(freq, rate, 8000),
            frame: Vec::new(),
            received: Vec::new(),
            presses: Vec::new(),
            started: None,
        }
    }

    /// The frequency heard over the last `secs` seconds.
    pub(super) fn heard(&self, secs: f64) -> Option<f64> {
        let n = (f64::from(self.rate) * secs) as usize;
        let tail = &self.received[self.received.len().saturating_sub(n)..];
        dominant_frequency(tail, self.rate)
    }
}

impl VoicePipeline for TestPipe {
    fn sample_rate(&self) -> u32 {
        self.rate
    }
    fn on_start(&mut self, info: &MediaInfo) {
        self.frame = vec![0; info.frame_samples];
        self.started = Some(info.clone());
    }
    fn on_audio(&mut self, frame: &[i16]) {
        self.received.extend_from_slice(frame);
    }
    fn next_audio(&mut self) -> &[i16] {
        self.gen.fill(&mut self.frame);
        &self.frame
    }
    fn on_dtmf(&mut self, press: DtmfPress) {
        self.presses.push(press);
    }
}

struct Side {
    pump: MediaPump,
    pipe: TestPipe,
    addr: SocketAddr,
    neg: Negotiator,
}

struct Pair {
    a: Side,
    b: Side,
    now: Instant,
    rng: StdRng,
    /// Datagrams moved A→B and B→A.
    moved: [u64; 2],
    /// Drop every n-th A→B datagram (0: none).
    drop_every: u64,
}

pub(super) fn caps(port: u16, codecs: &[Codec], srtp: SrtpPolicy) -> LocalCapabilities {
    let mut c = LocalCapabilities::new("127.0.0.1".parse().unwrap(), port);
    c.codecs = codecs.to_vec();
    c.srtp = srtp;
    c
}

fn pump_for(
    m: &NegotiatedMedia,
    addr: SocketAddr,
    pipe: &mut TestPipe,
    dtmf: &[DtmfMode],
    now: Instant,
    seed: u64,
) -> MediaPump {
    let cfg = PumpConfig {
        local_addr: addr,
        dtmf: dtmf.to_vec(),
        symmetric_rtp: true,
        dtls: None,
        dtls_backend: crate::DtlsBackend::OpenSsl,
    };
    let pump = MediaPump::new(
        m,
        &cfg,
        pipe.rate,
        now,
        0,
        Box::new(StdRng::seed_from_u64(seed)),
    )
    .unwrap();
    pipe.on_start(pump.media_info());
    pump
}

impl Pair {
    #[allow(clippy::too_many_arguments)]
    fn new(
        codecs_a: &[Codec],
        codecs_b: &[Codec],
        srtp: SrtpPolicy,
        rates: (u32, u32),
        tones: (f64, f64),
        dtmf: (&[DtmfMode], &[DtmfMode]),
    ) -> Pair {
        let mut rng = StdRng::seed_from_u64(42);
        let now = Instant::now();
        let (addr_a, addr_b): (SocketAddr, SocketAddr) = (
            "127.0.0.1:40000".parse().unwrap(),
            "127.0.0.1:40002".parse().unwrap(),
        );
        let mut neg_a = Negotiator::new(caps(40000, codecs_a, srtp), &mut rng);
        let mut neg_b = Negotiator::new(caps(40002, codecs_b, srtp), &mut rng);
        let offer = neg_a.create_offer(&mut rng).unwrap();
        let answer = neg_b.receive_offer(&offer, &mut rng).unwrap();
        let media_a = neg_a.receive_answer(&answer.sdp).unwrap().clone();
        let mut pipe_a = TestPipe::new(rates.0, tones.0);
        let mut pipe_b = TestPipe::new(rates.1, tones.1);
        let pump_a = pump_for(&media_a, addr_a, &mut pipe_a, dtmf.0, now, 1);
        let pump_b = pump_for(&answer.media, addr_b, &mut pipe_b, dtmf.1, now, 2);
        Pair {
            a: Side {
                pump: pump_a,
                pipe: pipe_a,
                addr: addr_a,
                neg: neg_a,
            },
            b: Side {
                pump: pump_b,
                pipe: pipe_b,
                addr: addr_b,
                neg: neg_b,
            },
            now,
            rng,
            moved: [0, 0],
            drop_every: 0,
        }
    }

    fn deliver(&mut self) {
        let mut buf = vec![0u8; 2048];
        for dir in 0..2 {
            loop {
                let (from, to) = if dir == 0 {
                    (&mut self.a, &mut self.b)
                } else {
                    (&mut self.b, &mut self.a)
                };
                let Some(t) = from.pump.poll_transmit(&mut buf) else {
                    break;
                };
                self.moved[dir] += 1;
                if dir == 0 && self.drop_every > 0 && self.moved[0] % self.drop_every == 0 {
                    continue;
                }
                if t.destination.ip() == to.addr.ip() {
                    to.pump
                        .handle_datagram(self.now, from.addr, &mut buf[..t.len]);
                }
            }
        }
    }

    /// Runs both pumps for `d` of virtual time.
    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            let next = [self.a.pump.poll_timeout(), self.b.pump.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(end);
            if next > end {
                self.now = end;
                break;
            }
            self.now = next.max(self.now);
            self.a.pump.handle_timeout(self.now, &mut self.a.pipe);
            self.b.pump.handle_timeout(self.now, &mut self.b.pipe);
            self.deliver();
        }
    }
}

pub(super) fn close(f: Option<f64>, want: f64) -> bool {
    f.is_some_and(|f| (f - want).abs() <= 5.0)
}

#[test]
fn g722_over_sdes_srtp_carries_both_tones() {
    let mut p = Pair::new(
        &[Codec::G722],
        &[Codec::G722],
        SrtpPolicy::Sdes,
        (16000, 16000),
        (1000.0, 600.0),
        (&[DtmfMode::Rfc4733], &[DtmfMode::Rfc4733]),
    );
    p.run(Duration::from_secs(1));
    assert!(
        close(p.b.pipe.heard(0.5), 1000.0),
        "B heard {:?}",
        p.b.pipe.heard(0.5)
    );
    assert!(
        close(p.a.pipe.heard(0.5), 600.0),
        "A heard {:?}",
        p.a.pipe.heard(0.5)
    );
    let info = p.a.pipe.started.clone().unwrap();
    assert_eq!(info.codec, "G722");
    assert_eq!(info.frame_samples, 320);
    assert!(info.srtp.unwrap().contains("AEAD") || p.a.pump.media_info().srtp.is_some());
    let s = p.b.pump.summary(p.now);
    assert_eq!(s.codec, "G722");
    assert!(s.packets_received >= 45 && s.packets_sent >= 45, "{s:?}");
    assert_eq!(s.packets_dropped, 0);
    assert_eq!(s.packets_lost, 0);
}

#[test]
fn resampling_between_pipeline_and_codec_rates() {
    // The pipelines run at 48 kHz and 8 kHz over G.711 and G.722.
    for (codec, rates, tones) in [
        (Codec::Pcmu, (48000, 16000), (700.0, 1200.0)),
        (Codec::Pcma, (8000, 24000), (450.0, 2000.0)),
        (Codec::G722, (48000, 8000), (3000.0, 300.0)),
    ] {
        let mut p = Pair::new(
            &[codec],
            &[codec],
            SrtpPolicy::Off,
            rates,
            tones,
            (&[DtmfMode::Rfc4733], &[DtmfMode::Rfc4733]),
        );
        p.run(Duration::from_millis(800));
        assert!(
            close(p.b.pipe.heard(0.4), tones.0),
            "{codec}: B heard {:?}",
            p.b.pipe.heard(0.4)
        );
        assert!(
            close(p.a.pipe.heard(0.4), tones.1),
            "{codec}: A heard {:?}",
            p.a.pipe.heard(0.4)
        );
        assert_eq!(p.a.pump.media_info().srtp, None);
    }
}

#[test]
fn opus_at_the_pipeline_rate() {
    let mut p = Pair::new(
        &[Codec::Opus],
        &[Codec::Opus],
        SrtpPolicy::Sdes,
        (16000, 48000),
        (800.0, 1500.0),
        (&[DtmfMode::Rfc4733], &[DtmfMode::Rfc4733]),
    );
    p.run(Duration::from_secs(1));
    assert_eq!(p.a.pump.media_info().codec, "opus");
    assert!(
        close(p.b.pipe.heard(0.4), 800.0),
        "B heard {:?}",
        p.b.pipe.heard(0.4)
    );
    assert!(
        close(p.a.pipe.heard(0.4), 1500.0),
        "A heard {:?}",
        p.a.pipe.heard(0.4)
    );
}

#[test]
fn rfc4733_dtmf_both_ways() {
    let mut p = Pair::new(
        &[Codec::Pcmu],
        &[Codec::Pcmu],
        SrtpPolicy::Sdes,
        (8000, 8000),
        (500.0, 500.0),
        (
            &[DtmfMode::Rfc4733, DtmfMode::Inband],
            &[DtmfMode::Rfc4733, DtmfMode::Inband],
        ),
    );
    p.run(Duration::from_millis(200));
    assert_eq!(p.a.pump.send_dtmf('5').unwrap(), DtmfSent::Rfc4733);
    p.run(Duration::from_millis(400));
    assert_eq!(p.b.pump.send_dtmf('#').unwrap(), DtmfSent::Rfc4733);
    p.run(Duration::from_millis(400));
    let got_b: Vec<(char, DtmfSource)> =
        p.b.pipe
            .presses
            .iter()
            .map(|x| (x.digit, x.source))
            .collect();
    let got_a: Vec<(char, DtmfSource)> =
        p.a.pipe
            .presses
            .iter()
            .map(|x| (x.digit, x.source))
            .collect();
    assert_eq!(got_b, [('5', DtmfSource::Rfc4733)]);
    assert_eq!(got_a, [('#', DtmfSource::Rfc4733)]);
    let d = p.b.pipe.presses[0].duration;
    assert!(
        d >= Duration::from_millis(150) && d <= Duration::from_millis(180),
        "{d:?}"
    );
    assert_eq!(p.a.pump.summary(p.now).dtmf_sent, "5");
    assert_eq!(p.b.pump.summary(p.now).dtmf_received, "5");
}

#[test]
fn inband_dtmf_is_detected_and_info_is_merged() {
    let mut p = Pair::new(
        &[Codec::Pcma],
        &[Codec::Pcma],
        SrtpPolicy::Off,
        (8000, 16000),
        (0.0, 0.0),
        (&[DtmfMode::Inband], &[DtmfMode::Inband, DtmfMode::Info]),
    );
    p.run(Duration::from_millis(200));
    assert_eq!(p.a.pump.send_dtmf('7').unwrap(), DtmfSent::Inband);
    for _ in 0..50 {
        if !p.b.pipe.presses.is_empty() {
            break;
        }
        p.run(Duration::from_millis(20));
    }
    let got: Vec<(char, DtmfSource)> =
        p.b.pipe
            .presses
            .iter()
            .map(|x| (x.digit, x.source))
            .collect();
    assert_eq!(got, [('7', DtmfSource::Inband)]);
    let d = p.b.pipe.presses[0].duration;
    assert!(
        d >= Duration::from_millis(70) && d <= Duration::from_millis(130),
        "{d:?}"
    );
    // The same digit arriving by INFO right after is the same press; a
    // later one is a new press.
    let now = p.now;
    p.b.pump.on_info_dtmf(now, '7', Duration::from_millis(100));
    p.b.pump.on_info_dtmf(
        now + Duration::from_secs(1),
        '8',
        Duration::from_millis(100),
    );
    p.run(Duration::from_millis(100));
    let got: String = p.b.pipe.presses.iter().map(|x| x.digit).collect();
    assert_eq!(got, "78");
    // B sends by INFO only when asked to and RFC 4733 is not configured.
    match p.b.pump.send_dtmf('3').unwrap() {
        DtmfSent::Inband => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn info_is_the_fallback_without_telephone_events() {
    let mut p = Pair::new(
        &[Codec::Pcmu],
        &[Codec::Pcmu],
        SrtpPolicy::Off,
        (8000, 8000),
        (0.0, 0.0),
        (&[DtmfMode::Info], &[DtmfMode::Rfc4733, DtmfMode::Info]),
    );
    match p.a.pump.send_dtmf('4').unwrap() {
        DtmfSent::Info => {}
        other => panic!("{other:?}"),
    }
    // With RFC 4733 not negotiated the next configured method is used.
    p.run(Duration::from_millis(40));
}

#[test]
fn hold_and_resume_by_reoffer() {
    let mut p = Pair::new(
        &[Codec::G722],
        &[Codec::G722],
        SrtpPolicy::Sdes,
        (16000, 16000),
        (1000.0, 600.0),
        (&[DtmfMode::Rfc4733], &[DtmfMode::Rfc4733]),
    );
    p.run(Duration::from_millis(500));
    // A holds B: A sends only, B receives only.
    let offer =
        p.a.neg
            .hold(heron_sdp::HoldMode::SendOnly, &mut p.rng)
            .unwrap();
    let answer = p.b.neg.receive_offer(&offer, &mut p.rng).unwrap();
    let media_a = p.a.neg.receive_answer(&answer.sdp).unwrap().clone();
    p.a.pump.update(p.now, &media_a).unwrap();
    p.b.pump.update(p.now, &answer.media).unwrap();
    let sent_b = p.b.pump.summary(p.now).packets_sent;
    let got_a = p.a.pipe.received.len();
    p.run(Duration::from_millis(500));
    assert_eq!(
        p.b.pump.summary(p.now).packets_sent,
        sent_b,
        "B is on hold: it sends nothing"
    );
    assert!(
        close(p.b.pipe.heard(0.4), 1000.0),
        "A keeps sending (music on hold)"
    );
    assert!(
        p.a.pipe.received.len() > got_a,
        "A's pipeline keeps its clock"
    );
    // Resume.
    let offer = p.a.neg.resume(&mut p.rng).unwrap();
    let answer = p.b.neg.receive_offer(&offer, &mut p.rng).unwrap();
    let media_a = p.a.neg.receive_answer(&answer.sdp).unwrap().clone();
    p.a.pump.update(p.now, &media_a).unwrap();
    p.b.pump.update(p.now, &answer.media).unwrap();
    p.run(Duration::from_millis(600));
    assert!(p.b.pump.summary(p.now).packets_sent > sent_b + 20);
    assert!(
        close(p.a.pipe.heard(0.4), 600.0),
        "A heard {:?}",
        p.a.pipe.heard(0.4)
    );
}

#[test]
fn losses_are_concealed_and_counted() {
    let mut p = Pair::new(
        &[Codec::Pcmu],
        &[Codec::Pcmu],
        SrtpPolicy::Off,
        (8000, 8000),
        (1000.0, 600.0),
        (&[DtmfMode::Rfc4733], &[DtmfMode::Rfc4733]),
    );
    p.drop_every = 10;
    p.run(Duration::from_secs(2));
    let s = p.b.pump.summary(p.now);
    assert!(s.packets_lost >= 5, "{s:?}");
    assert!(s.frames_concealed >= 5, "{s:?}");
    assert!(close(p.b.pipe.heard(0.5), 1000.0));
    let closed = p.b.pump.close(p.now);
    assert_eq!(closed.packets_lost, s.packets_lost);
    assert_eq!(p.b.pump.poll_timeout(), None);
}

#[test]
fn unsupported_pipeline_rate_is_refused() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut a = Negotiator::new(caps(40000, &[Codec::Pcmu], SrtpPolicy::Off), &mut rng);
    let mut b = Negotiator::new(caps(40002, &[Codec::Pcmu], SrtpPolicy::Off), &mut rng);
    let offer = a.create_offer(&mut rng).unwrap();
    let answer = b.receive_offer(&offer, &mut rng).unwrap();
    let cfg = PumpConfig {
        local_addr: "127.0.0.1:40002".parse().unwrap(),
        dtmf: vec![DtmfMode::Rfc4733],
        symmetric_rtp: true,
        dtls: None,
        dtls_backend: crate::DtlsBackend::OpenSsl,
    };
    let e = MediaPump::new(
        &answer.media,
        &cfg,
        11025,
        Instant::now(),
        0,
        Box::new(StdRng::seed_from_u64(1)),
    )
    .unwrap_err();
    assert!(e.to_string().contains("11025"));
}
