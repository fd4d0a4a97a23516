//! Opus (RFC 6716, RTP payload RFC 7587) on the system libopus.
//!
//! This is the only file that touches the binding (`audiopus`), so it can be
//! replaced here alone.

use audiopus::coder::{Decoder, Encoder};
use audiopus::packet::Packet;
use audiopus::{Application, Bandwidth, Bitrate, Channels, MutSignals, SampleRate};

use crate::codec::{Codec, CodecKind};
use crate::CodecError;

/// Encoder settings, mostly from the SDP `a=fmtp` of the peer (what it wants
/// to receive, RFC 7587 §6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpusConfig {
    /// PCM sample rate: 8000, 12000, 16000, 24000 or 48000.
    pub sample_rate: u32,
    /// Frame duration in ms (10, 20, 40 or 60).
    pub ptime_ms: u32,
    /// Target bitrate in bit/s (`maxaveragebitrate`); `None` lets libopus choose.
    pub bitrate: Option<u32>,
    /// Encoder complexity 0..=10.
    pub complexity: u8,
    /// Send in-band FEC (`useinbandfec=1`).
    pub inband_fec: bool,
    /// Discontinuous transmission (`usedtx=1`).
    pub dtx: bool,
    /// Constant bitrate (`cbr=1`).
    pub cbr: bool,
    /// The peer's highest useful playback rate (`maxplaybackrate`): caps the
    /// coded bandwidth.
    pub max_playback_rate: u32,
    /// Expected packet loss in percent, which sizes the FEC data (libopus
    /// sends none at 0).
    pub expected_loss_percent: u8,
}

impl Default for OpusConfig {
    fn default() -> Self {
        OpusConfig {
            sample_rate: 48000,
            ptime_ms: 20,
            bitrate: None,
            complexity: 5,
            inband_fec: false,
            dtx: false,
            cbr: false,
            max_playback_rate: 48000,
            expected_loss_percent: 10,
        }
    }
}

fn fmtp_error(param: &str, value: &str) -> CodecError {
    CodecError::Fmtp {
        param: param.to_string(),
        value: value.to_string(),
    }
}

fn flag(param: &str, value: &str) -> Result<bool, CodecError> {
    match value {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(fmtp_error(param, value)),
    }
}

impl OpusConfig {
    /// Settings from the fmtp parameters (`useinbandfec=1; usedtx=1;
    /// maxplaybackrate=16000; maxaveragebitrate=24000; cbr=0`). Unknown
    /// parameters are ignored; known ones with a bad value are errors.
    pub fn from_fmtp(fmtp: &str) -> Result<Self, CodecError> {
        let mut c = OpusConfig::default();
        for item in fmtp.split(';') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let (k, v) = item.split_once('=').unwrap_or((item, ""));
            let (k, v) = (k.trim(), v.trim());
            let num = || v.parse::<u32>().map_err(|_| fmtp_error(k, v));
            match k.to_ascii_lowercase().as_str() {
                "useinbandfec" => c.inband_fec = flag(k, v)?,
                "usedtx" => c.dtx = flag(k, v)?,
                "cbr" => c.cbr = flag(k, v)?,
                "maxplaybackrate" => {
                    let r = num()?;
                    if !(8000..=48000).contains(&r) {
                        return Err(fmtp_error(k, v));
                    }
                    c.max_playback_rate = r;
                }
                "maxaveragebitrate" => {
                    let r = num()?;
                    if !(6000..=510_000).contains(&r) {
                        return Err(fmtp_error(k, v));
                    }
                    c.bitrate = Some(r);
                }
                _ => {}
            }
        }
        Ok(c)
    }
}

fn opus_err(e: audiopus::Error) -> CodecError {
    CodecError::Opus(e.to_string())
}

/// Mono Opus, VOIP application, at a fixed PCM rate and frame size.
///
/// With DTX on, the encoder returns payloads of at most 2 octets during
/// silence: those need not be sent (the RTP timestamp still advances).
pub struct OpusCodec {
    enc: Encoder,
    dec: Decoder,
    config: OpusConfig,
    rate_hz: u32,
    frame: usize,
    last_len: usize,
}

impl std::fmt::Debug for OpusCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusCodec")
            .field("rate", &self.rate_hz)
            .field("frame", &self.frame)
            .finish_non_exhaustive()
    }
}

impl OpusCodec {
    /// An encoder/decoder pair with these settings.
    pub fn new(config: &OpusConfig) -> Result<Self, CodecError> {
        let rate = match config.sample_rate {
            8000 => SampleRate::Hz8000,
            12000 => SampleRate::Hz12000,
            16000 => SampleRate::Hz16000,
            24000 => SampleRate::Hz24000,
            48000 => SampleRate::Hz48000,
            r => {
                return Err(CodecError::UnsupportedRate {
                    codec: "opus",
                    rate: r,
                })
            }
        };
        if ![10, 20, 40, 60].contains(&config.ptime_ms) {
            return Err(CodecError::Ptime {
                codec: "opus",
                ptime_ms: config.ptime_ms,
            });
        }
        let mut enc = Encoder::new(rate, Channels::Mono, Application::Voip).map_err(opus_err)?;
        enc.set_complexity(config.complexity.min(10))
            .map_err(opus_err)?;
        enc.set_bitrate(match config.bitrate {
            Some(b) => Bitrate::BitsPerSecond(b as i32),
            None => Bitrate::Auto,
        })
        .map_err(opus_err)?;
        enc.set_inband_fec(config.inband_fec).map_err(opus_err)?;
        if config.inband_fec {
            enc.set_packet_loss_perc(config.expected_loss_percent.min(100))
                .map_err(opus_err)?;
        }
        enc.set_dtx(config.dtx).map_err(opus_err)?;
        enc.set_vbr(!config.cbr).map_err(opus_err)?;
        let bw = match config.max_playback_rate {
            0..=8000 => Bandwidth::Narrowband,
            8001..=12000 => Bandwidth::Mediumband,
            12001..=16000 => Bandwidth::Wideband,
            16001..=24000 => Bandwidth::Superwideband,
            _ => Bandwidth::Fullband,
        };
        enc.set_max_bandwidth(bw).map_err(opus_err)?;
        let dec = Decoder::new(rate, Channels::Mono).map_err(opus_err)?;
        let frame = (config.sample_rate * config.ptime_ms / 1000) as usize;
        Ok(OpusCodec {
            enc,
            dec,
            config: config.clone(),
            rate_hz: config.sample_rate,
            frame,
            last_len: frame,
        })
    }

    fn decode_into(
        &mut self,
        packet: Option<&[u8]>,
        pcm: &mut [i16],
        fec: bool,
    ) -> Result<usize, CodecError> {
        let packet = match packet {
            Some(p) => Some(Packet::try_from(p).map_err(opus_err)?),
            None => None,
        };
        let out = MutSignals::try_from(pcm).map_err(opus_err)?;
        self.dec.decode(packet, out, fec).map_err(opus_err)
    }
}

impl Codec for OpusCodec {
    fn kind(&self) -> CodecKind {
        CodecKind::Opus
    }

    fn sample_rate(&self) -> u32 {
        self.rate_hz
    }

    fn frame_samples(&self) -> usize {
        self.frame
    }

    fn max_payload_len(&self) -> usize {
        // RFC 6716 §3.2.1: at most 1275 octets per frame.
        1275 * (self.frame / (self.rate_hz as usize / 50)).max(1)
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        self.enc.encode(pcm, out).map_err(|e| match e {
            audiopus::Error::Opus(audiopus::ErrorCode::BadArgument) => CodecError::FrameLength {
                codec: "opus",
                what: "PCM samples",
                len: pcm.len(),
            },
            e => opus_err(e),
        })
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, CodecError> {
        if payload.is_empty() {
            return Err(CodecError::FrameLength {
                codec: "opus",
                what: "payload octets",
                len: 0,
            });
        }
        let n = self.decode_into(Some(payload), pcm, false)?;
        self.last_len = n;
        Ok(n)
    }

    fn conceal(&mut self, next: Option<&[u8]>, pcm: &mut [i16]) -> Result<usize, CodecError> {
        let n = self.last_len;
        if pcm.len() < n {
            return Err(CodecError::OutputTooSmall {
                codec: "opus",
                needed: n,
                got: pcm.len(),
            });
        }
        // With the next packet, decode the FEC data it carries for this one
        // (libopus falls back to PLC when it has none).
        let next = next.filter(|p| !p.is_empty());
        let fec = next.is_some();
        self.decode_into(next, &mut pcm[..n], fec)
    }

    fn reset(&mut self) {
        // The settings were accepted once, so building them again succeeds;
        // if libopus still failed (out of memory), keep the old pair.
        if let Ok(fresh) = OpusCodec::new(&self.config) {
            *self = fresh;
        }
    }
}
