//! The media pump: one call's negotiated stream between the network
//! (a heron-rtp [`MediaSession`]) and a [`VoicePipeline`], through a
//! heron-codecs codec and resamplers. Sans-IO like the session: feed it
//! datagrams and the time, take datagrams out.
//!
//! Every packet time ([`MediaPump::poll_timeout`]) it pulls one frame from
//! the jitter buffer, decodes it (or conceals a loss), runs in-band DTMF
//! detection, resamples it to the pipeline's rate and hands it over; then
//! it takes the pipeline's next frame, resamples, encodes and sends it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use heron_codecs::dtmf::{DtmfDetector, DtmfEvent as ToneEvent, DtmfGenerator, DtmfToneConfig};
use heron_codecs::{open_codec, Codec, CodecError, Resampler};
use heron_rtp::dtls::{DtlsConfig, DtlsError, DtlsEvent, DtlsIdentity, DtlsSrtp};

use crate::DtlsBackend;
use heron_rtp::jitter::Playout;
use heron_rtp::session::{Handled, MediaSession, SessionError, SessionEvent, SrtpKeys, Transmit};
use heron_sdp::NegotiatedMedia;
use rand_core::RngCore;

use crate::bridge::{self, BridgeError};
use crate::dtmf::{DtmfMerger, DtmfPress, DtmfSource};
use crate::pipeline::{MediaInfo, VoicePipeline};
use crate::summary::CallSummary;
use crate::DtmfMode;

/// Why the pump cannot start.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The negotiated parameters cannot be used.
    #[error(transparent)]
    Bridge(#[from] BridgeError),
    /// The codec or resampler refused.
    #[error("codec: {0}")]
    Codec(#[from] CodecError),
    /// The RTP session refused.
    #[error("RTP session: {0}")]
    Session(#[from] SessionError),
    /// DTLS-SRTP was negotiated but no certificate is configured, or the
    /// handshake could not start.
    #[error("DTLS-SRTP: {0}")]
    Dtls(String),
    /// The pipeline's rate is not one the resampler serves.
    #[error("pipeline rate {0} Hz is not supported (8000, 16000, 24000 or 48000)")]
    PipelineRate(u32),
}

/// Settings of a pump that do not come from the SDP.
#[derive(Clone)]
pub struct PumpConfig {
    /// Our RTP address (the driver binds it).
    pub local_addr: SocketAddr,
    /// DTMF methods accepted; the first usable one sends.
    pub dtmf: Vec<DtmfMode>,
    /// Follow the peer's media source address.
    pub symmetric_rtp: bool,
    /// Our DTLS certificate, for DTLS-SRTP calls.
    pub dtls: Option<DtlsIdentity>,
    /// The DTLS implementation.
    pub dtls_backend: DtlsBackend,
}

impl std::fmt::Debug for PumpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PumpConfig")
            .field("local_addr", &self.local_addr)
            .field(
                "dtls",
                &self.dtls.as_ref().map(|d| d.fingerprint().to_string()),
            )
            .finish_non_exhaustive()
    }
}

/// How a key press was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DtmfSent {
    /// As RFC 4733 events in RTP.
    Rfc4733,
    /// As tones in the audio.
    Inband,
    /// The caller must send the key as a SIP INFO (heron-sip-stack's
    /// `ua::dtmf` writes the `application/dtmf-relay` body), held for
    /// [`DTMF_DURATION`].
    Info,
}

/// Largest decoded frame: 120 ms at 48 kHz.
const MAX_FRAME: usize = 5760;

/// A digit press sent by RFC 4733 lasts this long.
pub const DTMF_DURATION: Duration = Duration::from_millis(160);

/// One call's media; see the module documentation.
pub struct MediaPump {
    session: MediaSession,
    dtls: Option<DtlsSrtp>,
    /// The RTCP port's association when RTCP is not multiplexed.
    dtls_rtcp: Option<DtlsSrtp>,
    failed: Option<String>,
    codec: Box<dyn Codec>,
    receive_pt: u8,
    rx_rs: Resampler,
    tx_rs: Resampler,
    dec: Vec<i16>,
    pipe_in: Vec<i16>,
    pipe_out: Vec<i16>,
    enc_in: Vec<i16>,
    enc: Vec<u8>,
    pipe_frame: usize,
    codec_frame: usize,
    ptime: Duration,
    next_tick: Instant,
    decoded_any: bool,
    detector: Option<DtmfDetector>,
    tone_begin: Option<(char, u64)>,
    tones: Option<DtmfGenerator>,
    dtmf: DtmfMerger,
    modes: Vec<DtmfMode>,
    info: MediaInfo,
    started: Instant,
    ended: Option<Instant>,
    concealed: u64,
    dtmf_received: String,
    dtmf_sent: String,
}

impl std::fmt::Debug for MediaPump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaPump")
            .field("session", &self.session)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl MediaPump {
    /// Starts media for a negotiated stream; the pipeline's rate is
    /// `pipeline_rate`. `ntp_now` is the wall clock as NTP (RTCP).
    pub fn new(
        media: &NegotiatedMedia,
        cfg: &PumpConfig,
        pipeline_rate: u32,
        now: Instant,
        ntp_now: u64,
        rng: Box<dyn RngCore + Send>,
    ) -> Result<Self, MediaError> {
        if ![8000, 16000, 24000, 48000].contains(&pipeline_rate) {
            return Err(MediaError::PipelineRate(pipeline_rate));
        }
        let session_cfg = bridge::session_config(media, cfg.local_addr, cfg.symmetric_rtp)?;
        let ptime = session_cfg.ptime;
        let remote = session_cfg.remote_addr;
        let remote_rtcp = session_cfg
            .remote_rtcp_addr
            .filter(|_| session_cfg.separate_rtcp_keys);
        let mut session = MediaSession::new(session_cfg, now, ntp_now, rng)?;
        let mut dtls_rtcp = None;
        let dtls = match &media.security {
            heron_sdp::MediaSecurity::Dtls(params) => {
                let id = cfg
                    .dtls
                    .clone()
                    .ok_or_else(|| MediaError::Dtls("no DTLS certificate".into()))?;
                let dcfg = DtlsConfig {
                    backend: match cfg.dtls_backend {
                        DtlsBackend::OpenSsl => heron_rtp::dtls::DtlsBackend::OpenSsl,
                        DtlsBackend::Dimpl => heron_rtp::dtls::DtlsBackend::Dimpl,
                    },
                    ..DtlsConfig::default()
                };
                if let Some(rtcp) = remote_rtcp {
                    let mut d = DtlsSrtp::new_rtcp(dcfg.clone(), id.clone(), rtcp);
                    d.set_remote(now, bridge::remote_dtls(params), &mut session)
                        .map_err(|e| MediaError::Dtls(format!("RTCP port: {e}")))?;
                    dtls_rtcp = Some(d);
                }
                let mut d = DtlsSrtp::new(dcfg, id, remote);
                d.set_remote(now, bridge::remote_dtls(params), &mut session)
                    .map_err(|e| MediaError::Dtls(e.to_string()))?;
                Some(d)
            }
            _ => None,
        };
        let mut fmtp = String::new();
        // Opus decodes at the pipeline's rate directly; the others at their own.
        let pcm_rate = (media.codec.codec == heron_sdp::Codec::Opus).then_some(pipeline_rate);
        let codec = open_codec(&bridge::codec_spec(media, &mut fmtp, pcm_rate))?;
        let codec_rate = codec.sample_rate();
        let codec_frame = codec.frame_samples();
        let pipe_frame = (pipeline_rate as u128 * ptime.as_nanos() / 1_000_000_000) as usize;
        let detector = if cfg.dtmf.contains(&DtmfMode::Inband) {
            Some(DtmfDetector::new(codec_rate)?)
        } else {
            None
        };
        let info = MediaInfo {
            sample_rate: pipeline_rate,
            frame_samples: pipe_frame,
            ptime,
            codec: media.codec.codec.encoding_name().to_owned(),
            srtp: bridge::srtp_name(media),
        };
        Ok(MediaPump {
            session,
            dtls,
            dtls_rtcp,
            failed: None,
            receive_pt: media.codec.receive_payload_type,
            rx_rs: Resampler::new(codec_rate, pipeline_rate)?,
            tx_rs: Resampler::new(pipeline_rate, codec_rate)?,
            dec: vec![0; MAX_FRAME],
            pipe_in: vec![0; MAX_FRAME * 6],
            pipe_out: vec![0; pipe_frame],
            enc_in: vec![0; codec_frame.max(MAX_FRAME)],
            enc: vec![0; codec.max_payload_len().max(1500)],
            pipe_frame,
            codec_frame,
            ptime,
            next_tick: now,
            decoded_any: false,
            detector,
            tone_begin: None,
            tones: None,
            dtmf: DtmfMerger::new(),
            modes: cfg.dtmf.clone(),
            info,
            started: now,
            ended: None,
            concealed: 0,
            dtmf_received: String::new(),
            dtmf_sent: String::new(),
            codec,
        })
    }

    /// What the pipeline is told at start.
    pub fn media_info(&self) -> &MediaInfo {
        &self.info
    }

    /// The RTP session (for its address and stats).
    pub fn session(&self) -> &MediaSession {
        &self.session
    }

    /// Applies a re-negotiation of the same stream (hold, resume, new
    /// address): direction and, for SDES, new keys. A codec change needs a
    /// new pump.
    pub fn update(&mut self, now: Instant, media: &NegotiatedMedia) -> Result<(), MediaError> {
        let cfg = bridge::session_config(media, self.session.config().local_addr, true)?;
        self.session.set_direction(cfg.direction);
        if let heron_rtp::session::MediaSecurity::Srtp(k) = &cfg.security {
            self.session.set_srtp_keys(k)?;
        }
        if let (Some(d), heron_sdp::MediaSecurity::Dtls(p)) = (self.dtls.as_mut(), &media.security)
        {
            d.set_remote(now, bridge::remote_dtls(p), &mut self.session)
                .map_err(|e| MediaError::Dtls(e.to_string()))?;
            if let Some(r) = self.dtls_rtcp.as_mut() {
                r.set_remote(now, bridge::remote_dtls(p), &mut self.session)
                    .map_err(|e| MediaError::Dtls(format!("RTCP port: {e}")))?;
            }
        }
        Ok(())
    }

    /// Whether RTCP shares the RTP port (RFC 5761); otherwise it leaves
    /// from, and arrives at, the port above.
    pub fn rtcp_mux(&self) -> bool {
        self.session.config().remote_rtcp_addr.is_none()
    }

    /// Why media failed for good (the DTLS handshake), if it did: the call
    /// should end.
    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Installs SRTP keys exported by a DTLS handshake.
    pub fn set_srtp_keys(&mut self, keys: &SrtpKeys) -> Result<(), MediaError> {
        self.session.set_srtp_keys(keys)?;
        Ok(())
    }

    /// A datagram received on the RTP socket (or, when the caller does not
    /// tell the sockets apart, on either: DTLS and RTCP from the RTCP
    /// association's peer then go to the RTCP port's association).
    pub fn handle_datagram(&mut self, now: Instant, src: SocketAddr, buf: &mut [u8]) -> Handled {
        if self.is_for_rtcp_port(src, buf) {
            return self.handle_rtcp_datagram(now, src, buf);
        }
        let h = match self.dtls.as_mut() {
            Some(d) => d.handle_datagram(now, src, buf, &mut self.session),
            None => self.session.handle_datagram(now, src, buf),
        };
        self.dtls_events();
        h
    }

    /// A datagram received on the RTCP socket (no rtcp-mux): with
    /// DTLS-SRTP it belongs to the RTCP port's own handshake and keys
    /// (RFC 5764 §4.1).
    pub fn handle_rtcp_datagram(
        &mut self,
        now: Instant,
        src: SocketAddr,
        buf: &mut [u8],
    ) -> Handled {
        let h = match (self.dtls_rtcp.as_mut(), self.dtls.as_mut()) {
            (Some(d), _) | (None, Some(d)) => d.handle_datagram(now, src, buf, &mut self.session),
            (None, None) => self.session.handle_datagram(now, src, buf),
        };
        self.dtls_events();
        h
    }

    /// A DTLS or RTCP datagram from the RTCP association's peer that is
    /// not also the RTP association's peer: it belongs to the RTCP port
    /// (held there until its keys are in, like the RTP port's media).
    fn is_for_rtcp_port(&self, src: SocketAddr, buf: &[u8]) -> bool {
        use heron_rtp::demux::{classify, PacketKind};
        let Some(r) = self.dtls_rtcp.as_ref() else {
            return false;
        };
        matches!(classify(buf), PacketKind::Dtls | PacketKind::Rtcp)
            && src == r.peer()
            && self.dtls.as_ref().is_none_or(|d| d.peer() != src)
    }

    fn dtls_events(&mut self) {
        if let Some(d) = self.dtls.as_mut() {
            while let Some(e) = d.poll_event() {
                match e {
                    DtlsEvent::Connected { profile, .. } => {
                        tracing::info!(profile = profile.name(), "DTLS-SRTP keys installed");
                        self.info.srtp = Some(format!("DTLS-SRTP {}", profile.name()));
                    }
                    DtlsEvent::Failed(err) => {
                        tracing::warn!(error = %err, "DTLS-SRTP failed");
                        self.failed = Some(format!("DTLS-SRTP: {err}"));
                    }
                    _ => {}
                }
            }
        }
        if let Some(d) = self.dtls_rtcp.as_mut() {
            while let Some(e) = d.poll_event() {
                match e {
                    DtlsEvent::Connected { profile, .. } => {
                        tracing::info!(
                            profile = profile.name(),
                            "SRTCP keys installed (RTCP port)"
                        );
                    }
                    // A certificate that does not match is an attack or a
                    // misconfiguration: the call ends as on the RTP port.
                    DtlsEvent::Failed(
                        err @ (DtlsError::FingerprintMismatch { .. } | DtlsError::NoFingerprint),
                    ) => {
                        tracing::warn!(error = %err, "DTLS-SRTP on the RTCP port failed");
                        self.failed = Some(format!("DTLS-SRTP (RTCP port): {err}"));
                    }
                    // Otherwise the audio goes on, without RTCP.
                    DtlsEvent::Failed(err) => {
                        tracing::warn!(error = %err, "DTLS-SRTP on the RTCP port failed; no RTCP");
                    }
                    _ => {}
                }
            }
        }
    }

    /// The next datagram to send (DTLS handshakes first).
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> Option<Transmit> {
        for d in [self.dtls.as_mut(), self.dtls_rtcp.as_mut()]
            .into_iter()
            .flatten()
        {
            if let Some(t) = d.poll_transmit(out) {
                return Some(t);
            }
        }
        self.session.poll_transmit(out)
    }

    /// When [`MediaPump::handle_timeout`] must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.ended.is_some() {
            return None;
        }
        let t = match self.session.poll_timeout() {
            Some(t) => t.min(self.next_tick),
            None => self.next_tick,
        };
        Some(
            [self.dtls.as_ref(), self.dtls_rtcp.as_ref()]
                .into_iter()
                .flatten()
                .filter_map(|d| d.poll_timeout())
                .fold(t, Instant::min),
        )
    }

    /// Runs due work: RTCP, DTMF timers and the packet-time tick.
    pub fn handle_timeout(&mut self, now: Instant, pipeline: &mut dyn VoicePipeline) {
        if self.ended.is_some() {
            return;
        }
        for d in [self.dtls.as_mut(), self.dtls_rtcp.as_mut()]
            .into_iter()
            .flatten()
        {
            d.handle_timeout(now, &mut self.session);
        }
        self.dtls_events();
        self.session.handle_timeout(now);
        let mut ticks = 0;
        while now >= self.next_tick {
            self.tick(now, pipeline);
            self.next_tick += self.ptime;
            ticks += 1;
            if ticks == 5 {
                // Far behind (the process stalled): resynchronise rather than burst.
                self.next_tick = now + self.ptime;
            }
        }
        self.drain_events(now, pipeline);
    }

    /// A key press that arrived by SIP INFO.
    pub fn on_info_dtmf(&mut self, now: Instant, digit: char, duration: Duration) {
        if self.modes.contains(&DtmfMode::Info) {
            self.dtmf.push(
                now,
                DtmfPress {
                    digit,
                    duration,
                    source: DtmfSource::Info,
                },
            );
        }
    }

    /// Sends a key press the first configured way that works for this call.
    pub fn send_dtmf(&mut self, digit: char) -> Result<DtmfSent, MediaError> {
        let mut last_err = None;
        for mode in self.modes.clone() {
            let r = match mode {
                DtmfMode::Rfc4733 => self
                    .session
                    .send_dtmf(digit, DTMF_DURATION, 10)
                    .map(|_| DtmfSent::Rfc4733)
                    .map_err(MediaError::from),
                DtmfMode::Info => Ok(DtmfSent::Info),
                DtmfMode::Inband => {
                    let rate = self.info.sample_rate;
                    let gen = match self.tones.as_mut() {
                        Some(g) => g,
                        None => self
                            .tones
                            .insert(DtmfGenerator::new(rate, DtmfToneConfig::default())?),
                    };
                    gen.push(digit)
                        .map(|_| DtmfSent::Inband)
                        .map_err(MediaError::from)
                }
            };
            match r {
                Ok(sent) => {
                    self.dtmf_sent.push(digit.to_ascii_uppercase());
                    return Ok(sent);
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or(MediaError::Session(SessionError::NoTelephoneEvent)))
    }

    fn tick(&mut self, now: Instant, pipeline: &mut dyn VoicePipeline) {
        // Receive: one packet time from the jitter buffer.
        let n = match self.session.pull_frame() {
            Playout::Frame(f) if f.payload_type == self.receive_pt => {
                if f.source_changed {
                    self.codec.reset();
                }
                match self.codec.decode(f.payload, &mut self.dec) {
                    Ok(n) => {
                        self.decoded_any = true;
                        n
                    }
                    Err(_) => {
                        self.concealed += 1;
                        self.codec.conceal(None, &mut self.dec).unwrap_or(0)
                    }
                }
            }
            Playout::Lost { .. } if self.decoded_any => {
                self.concealed += 1;
                self.codec.conceal(None, &mut self.dec).unwrap_or(0)
            }
            // Nothing yet, comfort noise, or another payload type: silence.
            _ => {
                self.dec[..self.codec_frame].fill(0);
                self.codec_frame
            }
        };
        let n = n.min(self.dec.len());
        if let Some(det) = self.detector.as_mut() {
            let rate = u64::from(self.codec.sample_rate());
            let (begin, merger) = (&mut self.tone_begin, &mut self.dtmf);
            det.process(&self.dec[..n], |e| match e {
                ToneEvent::Begin { digit, at } => *begin = Some((digit, at)),
                ToneEvent::End { digit, at } => {
                    let start = begin.take().map(|(_, a)| a).unwrap_or(at);
                    let duration =
                        Duration::from_micros(at.saturating_sub(start) * 1_000_000 / rate.max(1));
                    merger.push(
                        now,
                        DtmfPress {
                            digit,
                            duration,
                            source: DtmfSource::Inband,
                        },
                    );
                }
            });
        }
        let m = self
            .rx_rs
            .process(&self.dec[..n], &mut self.pipe_in)
            .unwrap_or(0);
        pipeline.on_audio(&self.pipe_in[..m]);

        // Send: one packet time from the pipeline.
        let frame = pipeline.next_audio();
        let k = frame.len().min(self.pipe_frame);
        self.pipe_out[..k].copy_from_slice(&frame[..k]);
        self.pipe_out[k..].fill(0);
        if let Some(g) = self.tones.as_mut() {
            if !g.is_idle() {
                g.fill(&mut self.pipe_out);
            }
        }
        let step = self.codec.rtp_timestamp_step(self.codec_frame);
        if !self.session.config().direction.sends() {
            self.session.skip(step);
            return;
        }
        let c = self
            .tx_rs
            .process(&self.pipe_out, &mut self.enc_in)
            .unwrap_or(0);
        // Whole 10 ms frames resample exactly; guard anyway.
        if c < self.codec_frame {
            self.enc_in[c..self.codec_frame].fill(0);
        }
        match self
            .codec
            .encode(&self.enc_in[..self.codec_frame], &mut self.enc)
        {
            Ok(len) => match self.session.send_frame(&self.enc[..len], step) {
                Ok(()) => {}
                Err(SessionError::KeysPending | SessionError::NotSending(_)) => {
                    self.session.skip(step)
                }
                Err(e) => tracing::debug!(error = %e, "RTP frame not sent"),
            },
            Err(e) => tracing::debug!(error = %e, "frame not encoded"),
        }
    }

    fn drain_events(&mut self, now: Instant, pipeline: &mut dyn VoicePipeline) {
        while let Some(e) = self.session.poll_event() {
            match e {
                SessionEvent::Dtmf(d) if self.modes.contains(&DtmfMode::Rfc4733) => {
                    self.dtmf.push(
                        now,
                        DtmfPress {
                            digit: d.digit,
                            duration: d.duration,
                            source: DtmfSource::Rfc4733,
                        },
                    );
                }
                SessionEvent::RemoteAddressChanged(a) => {
                    tracing::info!(remote = %a, "media now sent to where the peer's media comes from");
                }
                _ => {}
            }
        }
        while let Some(p) = self.dtmf.pop() {
            self.dtmf_received.push(p.digit);
            pipeline.on_dtmf(p);
        }
    }

    /// Ends media (RTCP BYE) and returns the summary.
    pub fn close(&mut self, now: Instant) -> CallSummary {
        if self.ended.is_none() {
            self.session.close(now);
            self.ended = Some(now);
        }
        self.summary(now)
    }

    /// The statistics so far.
    pub fn summary(&self, now: Instant) -> CallSummary {
        let s = self.session.stats();
        let end = self.ended.unwrap_or(now);
        let clock = self.codec.rtp_clock_rate().max(1);
        CallSummary {
            duration: end.saturating_duration_since(self.started),
            codec: self.info.codec.clone(),
            srtp: self.info.srtp.clone(),
            packets_sent: s.packets_sent,
            packets_received: s.packets_received,
            packets_lost: s.packets_lost,
            packets_dropped: s.packets_dropped,
            jitter: Duration::from_micros(u64::from(s.jitter) * 1_000_000 / u64::from(clock)),
            rtcp_sent: s.rtcp_sent,
            rtcp_received: s.rtcp_received,
            rtt: s.rtt,
            frames_concealed: self.concealed,
            dtmf_received: self.dtmf_received.clone(),
            dtmf_sent: self.dtmf_sent.clone(),
        }
    }
}
