//! heron-media: the media of one SIP call, from the negotiated SDP to a
//! voice pipeline and back, sans-IO (the caller owns the sockets and the
//! clock).
//!
//! - [`MediaPump`]: a heron-rtp session (RTP/RTCP, SRTP with SDES keys or
//!   DTLS-SRTP, on one port or two) with a heron-codecs codec and
//!   resamplers, driven by time; DTMF from RFC 4733 events, SIP INFO and
//!   in-band tones merged into one stream of [`DtmfPress`]es;
//! - [`bridge`]: heron-sdp's [`heron_sdp::NegotiatedMedia`] as heron-rtp
//!   session parameters;
//! - [`VoicePipeline`]: the trait the AI side implements (`on_audio`,
//!   `next_audio` at its own sample rate);
//! - [`CallSummary`]: duration, codec, SRTP profile, packets, loss, jitter;
//! - [`analysis`]: tone generation and frequency checks for tests and
//!   demos.
//!
//! ```
//! use heron_media::analysis::{dominant_frequency, ToneGenerator};
//! use heron_media::dtmf::DtmfMerger;
//! use heron_media::{DtmfPress, DtmfSource};
//! use std::time::{Duration, Instant};
//!
//! // A 440 Hz tone at 16 kHz is found again by the analysis.
//! let mut pcm = vec![0i16; 3200];
//! ToneGenerator::new(440.0, 16_000, 8000).fill(&mut pcm);
//! let f = dominant_frequency(&pcm, 16_000).unwrap();
//! assert!((f - 440.0).abs() < 5.0);
//!
//! // A key signalled as an RFC 4733 event and again as SIP INFO is one press.
//! let mut presses = DtmfMerger::new();
//! let t0 = Instant::now();
//! let press = |source| DtmfPress { digit: '5', duration: Duration::from_millis(100), source };
//! assert!(presses.push(t0, press(DtmfSource::Rfc4733)));
//! assert!(!presses.push(t0 + Duration::from_millis(50), press(DtmfSource::Info)));
//! assert_eq!(presses.pop().map(|p| p.digit), Some('5'));
//! assert!(presses.pop().is_none());
//! ```

pub mod analysis;
pub mod bridge;
pub mod dtmf;
mod pipeline;
mod pump;
mod summary;

pub use dtmf::{DtmfPress, DtmfSource};
pub use pipeline::{CallEvent, MediaInfo, PipelineAction, VoicePipeline};
pub use pump::{DtmfSent, MediaError, MediaPump, PumpConfig, DTMF_DURATION};
pub use summary::CallSummary;

/// The DTLS implementation used for DTLS-SRTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtlsBackend {
    /// OpenSSL: talks to peers with RSA certificates (most SIP phones).
    OpenSsl,
    /// dimpl: pure Rust, ECDSA certificates only.
    Dimpl,
}

/// A way of sending and receiving DTMF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfMode {
    /// RFC 4733 telephone-events.
    Rfc4733,
    /// SIP INFO (RFC 6086, `application/dtmf-relay`), sent by the caller's
    /// signalling.
    Info,
    /// In-band tones.
    Inband,
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dtls;
