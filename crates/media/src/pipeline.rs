//! The voice pipeline interface: what the AI side implements.
//!
//! Audio is mono 16-bit PCM at the pipeline's own rate, one packet time
//! per call: the media pump decodes, resamples and hands the caller's
//! audio to [`VoicePipeline::on_audio`], and takes what to say from
//! [`VoicePipeline::next_audio`]. DTMF arrives as one stream whatever the
//! method ([`VoicePipeline::on_dtmf`]); the pipeline asks for transfers,
//! calls and hang-ups through [`VoicePipeline::poll_action`].

use std::time::Duration;

use crate::dtmf::DtmfPress;
use crate::summary::CallSummary;

/// What the pipeline is told when a call's media starts or changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    /// The pipeline's sample rate.
    pub sample_rate: u32,
    /// Samples per frame (one packet time at `sample_rate`).
    pub frame_samples: usize,
    /// Packet time.
    pub ptime: Duration,
    /// The negotiated codec (`PCMU`, `G722`, ...).
    pub codec: String,
    /// The SRTP profile, when media is encrypted.
    pub srtp: Option<String>,
}

/// Something the pipeline wants done with the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipelineAction {
    /// Blind transfer to a destination (policy-checked first).
    Transfer(String),
    /// Place a new call (policy-checked first).
    Call(String),
    /// Send a key press to the peer.
    SendDtmf(char),
    /// Put the peer on hold.
    Hold,
    /// Take the peer off hold.
    Resume,
    /// End the call.
    Hangup,
}

/// Call state changes the pipeline may care about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// The peer put us on hold (no audio flows to us).
    HeldByPeer,
    /// The peer took us off hold.
    ResumedByPeer,
    /// A transfer we asked for finished (`true`) or failed.
    TransferResult(bool),
    /// An action was refused (policy, state); the text says why.
    Refused(String),
}

/// A voice pipeline: one instance per call.
pub trait VoicePipeline: Send {
    /// The PCM sample rate the pipeline works at: 8000, 16000, 24000 or 48000.
    fn sample_rate(&self) -> u32;

    /// Media started (or changed, after a re-INVITE).
    fn on_start(&mut self, info: &MediaInfo) {
        let _ = info;
    }

    /// One frame of the caller's audio (silence or concealment when
    /// packets are missing).
    fn on_audio(&mut self, frame: &[i16]);

    /// The next frame to send; shorter frames are padded with silence,
    /// longer ones cut to one packet time.
    fn next_audio(&mut self) -> &[i16];

    /// A key press, from whatever DTMF method the peer used.
    fn on_dtmf(&mut self, press: DtmfPress) {
        let _ = press;
    }

    /// A change of call state.
    fn on_event(&mut self, event: &CallEvent) {
        let _ = event;
    }

    /// What the pipeline wants done next.
    fn poll_action(&mut self) -> Option<PipelineAction> {
        None
    }

    /// The call ended; last chance to flush recordings.
    fn on_end(&mut self, summary: &CallSummary) {
        let _ = summary;
    }
}
