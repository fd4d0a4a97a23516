//! heron-codecs: G.711, G.722, Opus, resampling and DTMF tones.
//!
//! The voice pipeline speaks and listens in PCM at its own rate; this crate
//! turns that into what the PBX negotiated and back. [`open_codec`] picks a
//! [`Codec`] by SDP encoding name and clock rate.
//!
//! ```
//! use heron_codecs::{open_codec, CodecSpec};
//!
//! let mut pcmu = open_codec(&CodecSpec::new("PCMU", 8000))?;
//! let pcm = [0i16, 1000, -1000, 32767];
//! let mut wire = [0u8; 4];
//! assert_eq!(pcmu.encode(&pcm, &mut wire)?, 4);
//! assert_eq!(wire[0], 0xFF);
//! let mut back = [0i16; 4];
//! pcmu.decode(&wire, &mut back)?;
//! assert!((back[1] - 1000).abs() < 40);
//! # Ok::<(), heron_codecs::CodecError>(())
//! ```
#![forbid(unsafe_code)]

mod codec;
pub mod dtmf;
mod error;
pub mod g711;
pub mod g722;
mod opus;
pub mod plc;
mod resample;

pub use codec::{
    open_codec, Codec, CodecKind, CodecSpec, G711Codec, G722Codec, OpusCodec, OpusConfig,
};
pub use error::CodecError;
pub use resample::Resampler;
