//! Errors of this crate.

/// What went wrong in a codec operation, and where.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// No codec here answers to this SDP encoding name and clock rate.
    #[error("unsupported codec {name}/{clock_rate}")]
    Unsupported {
        /// The SDP encoding name as given.
        name: String,
        /// The RTP clock rate as given.
        clock_rate: u32,
    },
    /// The codec does not run at this PCM sample rate.
    #[error("{codec} does not run at a PCM rate of {rate} Hz")]
    UnsupportedRate {
        /// Codec name.
        codec: &'static str,
        /// The sample rate asked for.
        rate: u32,
    },
    /// A frame of PCM or payload has a length the codec cannot take.
    #[error("{codec}: {what} of {len} is not a valid frame length")]
    FrameLength {
        /// Codec name.
        codec: &'static str,
        /// "PCM samples" or "payload octets".
        what: &'static str,
        /// The length given.
        len: usize,
    },
    /// The output buffer is too small for the result.
    #[error("{codec}: output buffer holds {got}, needs {needed}")]
    OutputTooSmall {
        /// Codec name.
        codec: &'static str,
        /// Length needed.
        needed: usize,
        /// Length given.
        got: usize,
    },
    /// A parameter of the SDP `a=fmtp` line is malformed or out of range.
    #[error("fmtp parameter {param}: invalid value {value:?}")]
    Fmtp {
        /// The parameter name.
        param: String,
        /// Its value as given.
        value: String,
    },
    /// The packet time is outside 10..=60 ms or not a whole number of codec frames.
    #[error("{codec}: unsupported packet time {ptime_ms} ms")]
    Ptime {
        /// Codec name.
        codec: &'static str,
        /// The packet time in milliseconds.
        ptime_ms: u32,
    },
    /// Not a DTMF digit (`0-9 * # A-D`).
    #[error("{0:?} is not a DTMF digit")]
    DtmfDigit(char),
    /// The Opus library reported an error.
    #[error("opus: {0}")]
    Opus(String),
}
