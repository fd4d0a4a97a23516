//! heron-codecs: G.711, G.722, Opus, resampling and DTMF tones.
//!
//! ```
//! use heron_codecs::g711;
//!
//! let pcm = [0i16, 1000, -1000, 32767];
//! let mut wire = [0u8; 4];
//! g711::encode_ulaw(&pcm, &mut wire);
//! let mut back = [0i16; 4];
//! g711::decode_ulaw(&wire, &mut back);
//! assert_eq!(wire[0], 0xFF);
//! assert!((back[1] - 1000).abs() < 40);
//! ```
#![forbid(unsafe_code)]

pub mod g711;
pub mod g722;
