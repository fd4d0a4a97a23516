//! G.711 behind the [`Codec`] interface, with PCM concealment.

use super::{Codec, CodecKind};
use crate::{g711, plc::Plc, CodecError};

/// G.711 A-law or µ-law at 8 kHz, one octet per sample.
#[derive(Clone, Debug)]
pub struct G711Codec {
    alaw: bool,
    frame: usize,
    last_len: usize,
    plc: Plc,
}

impl G711Codec {
    /// A-law when `alaw`, else µ-law; frames of `ptime_ms`.
    pub fn new(alaw: bool, ptime_ms: u32) -> Self {
        let frame = 8 * ptime_ms as usize;
        G711Codec {
            alaw,
            frame,
            last_len: frame,
            plc: Plc::new(8000),
        }
    }
}

fn check_out(needed: usize, got: usize) -> Result<(), CodecError> {
    if got < needed {
        return Err(CodecError::OutputTooSmall {
            codec: "G.711",
            needed,
            got,
        });
    }
    Ok(())
}

impl Codec for G711Codec {
    fn kind(&self) -> CodecKind {
        if self.alaw {
            CodecKind::Pcma
        } else {
            CodecKind::Pcmu
        }
    }

    fn sample_rate(&self) -> u32 {
        8000
    }

    fn frame_samples(&self) -> usize {
        self.frame
    }

    fn max_payload_len(&self) -> usize {
        self.frame
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        check_out(pcm.len(), out.len())?;
        Ok(if self.alaw {
            g711::encode_alaw(pcm, out)
        } else {
            g711::encode_ulaw(pcm, out)
        })
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, CodecError> {
        check_out(payload.len(), pcm.len())?;
        let n = if self.alaw {
            g711::decode_alaw(payload, pcm)
        } else {
            g711::decode_ulaw(payload, pcm)
        };
        self.plc.good_frame(&mut pcm[..n]);
        self.last_len = n;
        Ok(n)
    }

    fn conceal(&mut self, _next: Option<&[u8]>, pcm: &mut [i16]) -> Result<usize, CodecError> {
        let n = self.last_len;
        check_out(n, pcm.len())?;
        self.plc.conceal(&mut pcm[..n]);
        Ok(n)
    }

    fn reset(&mut self) {
        self.plc.reset();
        self.last_len = self.frame;
    }
}
