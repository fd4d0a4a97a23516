//! heron-codecs: G.711, G.722, Opus, resampling and DTMF tones.
//!
//! The voice pipeline speaks and listens in PCM at its own rate; this crate
//! turns that into what the PBX negotiated and back. [`open_codec`] picks a
//! [`Codec`] by SDP encoding name and clock rate.
//!
//! - [`g711`]: A-law and µ-law, bit-exact with ITU-T G.711 (table lookups);
//! - [`g722`]: G.722 at 64 kbit/s, bit-exact with the ITU algorithm; RTP
//!   clock 8000 at 16 kHz sampling ([`Codec::rtp_timestamp_step`]);
//! - [`OpusCodec`]: Opus on the system libopus, configured from the fmtp,
//!   with FEC recovery of a lost packet from the next one;
//! - [`plc`]: concealment of lost frames for G.711 and G.722;
//! - [`Resampler`]: 8/16/24/48 kHz conversion, polyphase FIR (70 dB);
//! - [`dtmf`]: Q.23 tone generation and Goertzel detection.
//!
//! Nothing allocates per frame, nothing reads the clock. To check an
//! encoding against another implementation:
//! `cargo run -p heron-codecs --example codec -- encode|decode pcmu|pcma|g722|opus IN OUT [--rate HZ]`.
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
