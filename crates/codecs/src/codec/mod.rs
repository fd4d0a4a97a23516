//! The codec interface: one encoder/decoder pair per negotiated payload,
//! chosen by SDP encoding name and RTP clock rate.

mod g711;
mod g722;

pub use self::g711::G711Codec;
pub use self::g722::G722Codec;
pub use crate::opus::{OpusCodec, OpusConfig};

use crate::CodecError;

/// The codecs this crate implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodecKind {
    /// G.711 µ-law (`PCMU/8000`, static payload type 0).
    Pcmu,
    /// G.711 A-law (`PCMA/8000`, static payload type 8).
    Pcma,
    /// G.722 at 64 kbit/s (`G722/8000`, static payload type 9).
    G722,
    /// Opus (`opus/48000/2`, dynamic payload type).
    Opus,
}

impl CodecKind {
    /// The encoding name as written in SDP `a=rtpmap`.
    pub fn sdp_name(self) -> &'static str {
        match self {
            CodecKind::Pcmu => "PCMU",
            CodecKind::Pcma => "PCMA",
            CodecKind::G722 => "G722",
            CodecKind::Opus => "opus",
        }
    }

    /// The RTP clock rate the SDP names (8000 for G.722 despite its 16 kHz
    /// sampling, RFC 3551 §4.5.2; 48000 for Opus whatever it samples at,
    /// RFC 7587).
    pub fn rtp_clock_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma | CodecKind::G722 => 8000,
            CodecKind::Opus => 48000,
        }
    }

    /// The static RTP payload type, if the codec has one (RFC 3551).
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            CodecKind::Pcmu => Some(0),
            CodecKind::Pcma => Some(8),
            CodecKind::G722 => Some(9),
            CodecKind::Opus => None,
        }
    }

    /// The codec for an SDP encoding name (case-insensitive) and clock rate.
    pub fn from_sdp(name: &str, clock_rate: u32) -> Result<Self, CodecError> {
        let kind = [
            CodecKind::Pcmu,
            CodecKind::Pcma,
            CodecKind::G722,
            CodecKind::Opus,
        ]
        .into_iter()
        .find(|k| k.sdp_name().eq_ignore_ascii_case(name) && k.rtp_clock_rate() == clock_rate);
        kind.ok_or_else(|| CodecError::Unsupported {
            name: name.to_string(),
            clock_rate,
        })
    }
}

/// What the SDP negotiated for one payload, plus the PCM rate wanted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodecSpec<'a> {
    /// Encoding name from `a=rtpmap` (or the static payload type's name).
    pub name: &'a str,
    /// Clock rate from `a=rtpmap`.
    pub clock_rate: u32,
    /// The `a=fmtp` parameters of the payload, if any (`k=v; k=v`).
    pub fmtp: Option<&'a str>,
    /// Packet time in ms (10..=60); 20 when the SDP says nothing.
    pub ptime_ms: u32,
    /// PCM sample rate on the pipeline side. G.711 runs at 8000 and G.722 at
    /// 16000 only; Opus at 8000, 12000, 16000, 24000 or 48000. `None` picks
    /// the codec's natural rate (48000 for Opus).
    pub pcm_rate: Option<u32>,
}

impl<'a> CodecSpec<'a> {
    /// A spec with no fmtp, 20 ms packets and the codec's natural PCM rate.
    pub fn new(name: &'a str, clock_rate: u32) -> Self {
        CodecSpec {
            name,
            clock_rate,
            fmtp: None,
            ptime_ms: 20,
            pcm_rate: None,
        }
    }
}

/// An encoder/decoder pair for one RTP payload format, working on mono
/// 16-bit PCM frames of the packet time.
///
/// Encoding and decoding never allocate; buffers are the caller's.
pub trait Codec: Send {
    /// Which codec this is.
    fn kind(&self) -> CodecKind;

    /// PCM sample rate on the pipeline side, in Hz.
    fn sample_rate(&self) -> u32;

    /// RTP clock rate, in Hz.
    fn rtp_clock_rate(&self) -> u32 {
        self.kind().rtp_clock_rate()
    }

    /// PCM samples in one frame of the configured packet time.
    fn frame_samples(&self) -> usize;

    /// An upper bound of the payload octets of one encoded frame.
    fn max_payload_len(&self) -> usize;

    /// RTP timestamp increment for a frame of `samples` PCM samples: the
    /// sample count scaled from the PCM rate to the RTP clock rate (half of
    /// it for G.722, six times it for Opus at 8 kHz).
    fn rtp_timestamp_step(&self, samples: usize) -> u32 {
        (samples as u64 * self.rtp_clock_rate() as u64 / self.sample_rate() as u64) as u32
    }

    /// Encodes one frame of PCM into `out`; returns the payload length.
    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError>;

    /// Decodes one payload into `pcm`; returns the number of samples.
    fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, CodecError>;

    /// Fills `pcm` with the concealment of one lost frame, as long as the
    /// last decoded one (or the configured frame before any), and returns
    /// its length. `next` is the packet after the lost one when the jitter
    /// buffer already holds it: Opus recovers the lost frame from its
    /// in-band FEC data; the others ignore it.
    fn conceal(&mut self, next: Option<&[u8]>, pcm: &mut [i16]) -> Result<usize, CodecError>;

    /// Resets encoder and decoder, as for a new SSRC.
    fn reset(&mut self);
}

/// Opens the codec the SDP negotiated.
///
/// ```
/// use heron_codecs::{open_codec, CodecKind, CodecSpec};
///
/// let mut g722 = open_codec(&CodecSpec::new("G722", 8000)).unwrap();
/// assert_eq!(g722.kind(), CodecKind::G722);
/// assert_eq!(g722.frame_samples(), 320); // 20 ms at 16 kHz
/// assert_eq!(g722.rtp_timestamp_step(320), 160); // RTP clock is 8000
/// ```
pub fn open_codec(spec: &CodecSpec<'_>) -> Result<Box<dyn Codec>, CodecError> {
    let kind = CodecKind::from_sdp(spec.name, spec.clock_rate)?;
    if !(10..=60).contains(&spec.ptime_ms) {
        return Err(CodecError::Ptime {
            codec: kind.sdp_name(),
            ptime_ms: spec.ptime_ms,
        });
    }
    let fixed_rate = |rate: u32| match spec.pcm_rate {
        None => Ok(()),
        Some(r) if r == rate => Ok(()),
        Some(r) => Err(CodecError::UnsupportedRate {
            codec: kind.sdp_name(),
            rate: r,
        }),
    };
    Ok(match kind {
        CodecKind::Pcmu | CodecKind::Pcma => {
            fixed_rate(8000)?;
            Box::new(G711Codec::new(kind == CodecKind::Pcma, spec.ptime_ms))
        }
        CodecKind::G722 => {
            fixed_rate(16000)?;
            Box::new(G722Codec::new(spec.ptime_ms))
        }
        CodecKind::Opus => {
            let mut config = OpusConfig::from_fmtp(spec.fmtp.unwrap_or(""))?;
            if let Some(rate) = spec.pcm_rate {
                config.sample_rate = rate;
            }
            config.ptime_ms = spec.ptime_ms;
            Box::new(OpusCodec::new(&config)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_by_name_and_clock_rate() {
        assert_eq!(CodecKind::from_sdp("pcmu", 8000), Ok(CodecKind::Pcmu));
        assert_eq!(CodecKind::from_sdp("PCMA", 8000), Ok(CodecKind::Pcma));
        assert_eq!(CodecKind::from_sdp("g722", 8000), Ok(CodecKind::G722));
        assert_eq!(CodecKind::from_sdp("OPUS", 48000), Ok(CodecKind::Opus));
        // G.722 at its sampling rate is the classic mistake: not a match.
        assert!(CodecKind::from_sdp("G722", 16000).is_err());
        assert!(CodecKind::from_sdp("opus", 16000).is_err());
        assert!(matches!(
            CodecKind::from_sdp("telephone-event", 8000),
            Err(CodecError::Unsupported { .. })
        ));
    }

    #[test]
    fn timestamp_steps() {
        let c = open_codec(&CodecSpec::new("PCMU", 8000)).unwrap();
        assert_eq!(c.rtp_timestamp_step(160), 160);
        let c = open_codec(&CodecSpec::new("G722", 8000)).unwrap();
        assert_eq!(c.rtp_timestamp_step(320), 160);
        let mut spec = CodecSpec::new("opus", 48000);
        spec.pcm_rate = Some(16000);
        let c = open_codec(&spec).unwrap();
        assert_eq!(c.frame_samples(), 320);
        assert_eq!(c.rtp_timestamp_step(320), 960);
    }

    #[test]
    fn rates_and_ptimes_are_checked() {
        let mut spec = CodecSpec::new("PCMA", 8000);
        spec.pcm_rate = Some(16000);
        assert!(matches!(
            open_codec(&spec),
            Err(CodecError::UnsupportedRate { rate: 16000, .. })
        ));
        let mut spec = CodecSpec::new("G722", 8000);
        spec.ptime_ms = 70;
        assert!(matches!(open_codec(&spec), Err(CodecError::Ptime { .. })));
        let mut spec = CodecSpec::new("PCMU", 8000);
        spec.ptime_ms = 30;
        assert_eq!(open_codec(&spec).unwrap().frame_samples(), 240);
    }
}
