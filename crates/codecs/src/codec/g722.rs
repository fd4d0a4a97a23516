//! G.722 behind the [`Codec`] interface, with concealment that keeps the
//! ADPCM state in step with the concealed audio.

use super::{Codec, CodecKind};
use crate::g722::{G722Decoder, G722Encoder};
use crate::{plc::Plc, CodecError};

/// G.722 at 64 kbit/s: 16 kHz PCM, one octet per two samples, RTP clock 8000.
#[derive(Clone, Debug)]
pub struct G722Codec {
    enc: G722Encoder,
    dec: G722Decoder,
    frame: usize,
    last_len: usize,
    plc: Plc,
    /// The last 24 samples played out (decoded or concealed), which seed
    /// the re-encoder that keeps the ADPCM state in step during a loss.
    tail: [i16; 24],
    /// Scratch for the re-encoder's input (grown only when a longer frame
    /// than ever before is concealed).
    scratch: Vec<i16>,
}

impl G722Codec {
    /// A codec for frames of `ptime_ms`.
    pub fn new(ptime_ms: u32) -> Self {
        let frame = 16 * ptime_ms as usize;
        G722Codec {
            enc: G722Encoder::new(),
            dec: G722Decoder::new(),
            frame,
            last_len: frame,
            plc: Plc::new(16000),
            tail: [0; 24],
            scratch: Vec::with_capacity(frame + 24),
        }
    }
}

fn too_small(needed: usize, got: usize) -> CodecError {
    CodecError::OutputTooSmall {
        codec: "G.722",
        needed,
        got,
    }
}

impl Codec for G722Codec {
    fn kind(&self) -> CodecKind {
        CodecKind::G722
    }

    fn sample_rate(&self) -> u32 {
        16000
    }

    fn frame_samples(&self) -> usize {
        self.frame
    }

    fn max_payload_len(&self) -> usize {
        self.frame / 2
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        if pcm.len() % 2 != 0 {
            return Err(CodecError::FrameLength {
                codec: "G.722",
                what: "PCM samples",
                len: pcm.len(),
            });
        }
        if out.len() < pcm.len() / 2 {
            return Err(too_small(pcm.len() / 2, out.len()));
        }
        Ok(self.enc.encode(pcm, out))
    }

    fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, CodecError> {
        if pcm.len() < 2 * payload.len() {
            return Err(too_small(2 * payload.len(), pcm.len()));
        }
        let n = self.dec.decode(payload, pcm);
        self.plc.good_frame(&mut pcm[..n]);
        self.last_len = n;
        self.keep_tail(&pcm[..n]);
        Ok(n)
    }

    fn conceal(&mut self, _next: Option<&[u8]>, pcm: &mut [i16]) -> Result<usize, CodecError> {
        let n = self.last_len;
        if pcm.len() < n {
            return Err(too_small(n, pcm.len()));
        }
        self.plc.conceal(&mut pcm[..n]);
        // The decoder's output lags the far encoder's input by the QMF
        // delay (22 samples): the lost codes encoded input that plays out 22
        // samples later. So the re-encoder gets the concealment from 22
        // samples on, continued 22 samples ahead, and its filter history is
        // what played out up to 22 samples into this frame.
        const DELAY: usize = 22;
        if n > DELAY {
            self.scratch.clear();
            self.scratch.extend_from_slice(&self.tail[DELAY..]);
            self.scratch.extend_from_slice(&pcm[..n]);
            let at = self.scratch.len();
            self.scratch.resize(at + DELAY, 0);
            self.plc.peek(&mut self.scratch[at..]);
            let (seed, input) = self.scratch.split_at(24);
            self.dec.advance_concealed(seed, input);
        }
        self.keep_tail(&pcm[..n]);
        Ok(n)
    }

    fn reset(&mut self) {
        self.enc.reset();
        self.dec.reset();
        self.plc.reset();
        self.last_len = self.frame;
        self.tail = [0; 24];
    }
}

impl G722Codec {
    fn keep_tail(&mut self, pcm: &[i16]) {
        if pcm.len() >= 24 {
            self.tail.copy_from_slice(&pcm[pcm.len() - 24..]);
        } else {
            self.tail.copy_within(pcm.len().., 0);
            self.tail[24 - pcm.len()..].copy_from_slice(pcm);
        }
    }
}
