//! Media: heron-media's pump, pipeline trait and call summary (re-exported
//! here), plus the agent's own built-in pipelines and WAV files.
//!
//! - [`MediaPump`]: heron-rtp session + heron-codecs codec + resamplers,
//!   driven by time; DTMF from RFC 4733, SIP INFO and in-band detection
//!   merged into one stream;
//! - [`VoicePipeline`]: the trait the AI side implements;
//! - [`pipelines`]: `echo`, `play`, `ivr` for trying the agent out;
//! - [`CallSummary`]: duration, codec, SRTP, packets, loss, jitter;
//! - [`analysis`]: tone generation and frequency checks.

pub use heron_media::*;

pub mod pipelines;
pub mod wav;
