//! Media: from the negotiated SDP to the voice pipeline and back.
//!
//! - [`MediaPump`]: heron-rtp session + heron-codecs codec + resamplers,
//!   driven by time; DTMF from RFC 4733, SIP INFO and in-band detection
//!   merged into one stream;
//! - [`VoicePipeline`]: the trait the AI side implements;
//! - [`pipelines`]: `echo`, `play`, `ivr` for trying the agent out;
//! - [`CallSummary`]: duration, codec, SRTP, packets, loss, jitter;
//! - [`analysis`]: tone generation and frequency checks.

pub mod analysis;
pub mod bridge;
pub mod dtmf;
mod pipeline;
pub mod pipelines;
mod pump;
mod summary;
pub mod wav;

pub use dtmf::{DtmfPress, DtmfSource};
pub use pipeline::{CallEvent, MediaInfo, PipelineAction, VoicePipeline};
pub use pump::{DtmfSent, MediaError, MediaPump, PumpConfig, DTMF_DURATION};
pub use summary::CallSummary;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dtls;
