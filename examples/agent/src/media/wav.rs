//! Minimal RIFF/WAVE for the `play` pipeline: 16-bit PCM, mono (stereo is
//! mixed down on reading). Reading never panics; errors say what and where.

use std::path::Path;

/// Why a WAV file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    /// I/O.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not RIFF/WAVE or truncated.
    #[error("not a WAV file: {0}")]
    Format(&'static str),
    /// A format we do not read.
    #[error("unsupported WAV: {0}")]
    Unsupported(String),
}

/// PCM samples and their rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    /// Sample rate, Hz.
    pub rate: u32,
    /// Mono samples.
    pub samples: Vec<i16>,
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

impl Wav {
    /// Parses WAV bytes.
    pub fn parse(b: &[u8]) -> Result<Self, WavError> {
        if b.get(0..4) != Some(b"RIFF") || b.get(8..12) != Some(b"WAVE") {
            return Err(WavError::Format("no RIFF/WAVE header"));
        }
        let mut pos = 12;
        let mut fmt: Option<(u16, u16, u32, u16)> = None;
        while pos + 8 <= b.len() {
            let id = &b[pos..pos + 4];
            let len =
                u32_at(b, pos + 4).ok_or(WavError::Format("truncated chunk header"))? as usize;
            let body_start = pos + 8;
            let body_end = body_start
                .checked_add(len)
                .ok_or(WavError::Format("chunk too long"))?;
            if id == b"fmt " {
                let f = b
                    .get(body_start..body_end.min(b.len()))
                    .ok_or(WavError::Format("truncated fmt chunk"))?;
                fmt = Some((
                    u16_at(f, 0).ok_or(WavError::Format("truncated fmt chunk"))?,
                    u16_at(f, 2).ok_or(WavError::Format("truncated fmt chunk"))?,
                    u32_at(f, 4).ok_or(WavError::Format("truncated fmt chunk"))?,
                    u16_at(f, 14).ok_or(WavError::Format("truncated fmt chunk"))?,
                ));
            } else if id == b"data" {
                let (format, channels, rate, bits) =
                    fmt.ok_or(WavError::Format("data before fmt"))?;
                if format != 1 && format != 0xfffe {
                    return Err(WavError::Unsupported(format!(
                        "format tag {format} (only PCM)"
                    )));
                }
                if bits != 16 {
                    return Err(WavError::Unsupported(format!(
                        "{bits}-bit samples (only 16-bit)"
                    )));
                }
                if channels == 0 || channels > 8 {
                    return Err(WavError::Unsupported(format!("{channels} channels")));
                }
                // A writer that was stopped early leaves 0 (or too much)
                // as the data length: take what is there.
                let end = if len == 0 || body_end > b.len() {
                    b.len()
                } else {
                    body_end
                };
                let data = &b[body_start.min(b.len())..end];
                let ch = usize::from(channels);
                let samples = data
                    .chunks_exact(2 * ch)
                    .map(|frame| {
                        let sum: i32 = frame
                            .chunks_exact(2)
                            .map(|s| i32::from(i16::from_le_bytes([s[0], s[1]])))
                            .sum();
                        (sum / ch as i32) as i16
                    })
                    .collect();
                return Ok(Wav { rate, samples });
            }
            pos = body_end + (len & 1);
        }
        Err(WavError::Format("no data chunk"))
    }

    /// Reads a file.
    pub fn read(path: &Path) -> Result<Self, WavError> {
        Self::parse(&std::fs::read(path)?)
    }

    /// The file bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let data_len = (self.samples.len() * 2) as u32;
        let mut b = Vec::with_capacity(44 + data_len as usize);
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(36 + data_len).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&self.rate.to_le_bytes());
        b.extend_from_slice(&(self.rate * 2).to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&data_len.to_le_bytes());
        for s in &self.samples {
            b.extend_from_slice(&s.to_le_bytes());
        }
        b
    }

    /// Writes a file.
    pub fn write(&self, path: &Path) -> Result<(), WavError> {
        std::fs::write(path, self.to_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip() {
        let w = Wav {
            rate: 16000,
            samples: vec![0, 1, -1, i16::MAX, i16::MIN],
        };
        assert_eq!(Wav::parse(&w.to_bytes()).unwrap(), w);
    }

    #[test]
    fn stereo_is_mixed_down_and_errors_are_typed() {
        let mut b = Wav {
            rate: 8000,
            samples: vec![100, 300],
        }
        .to_bytes();
        // Turn it into one stereo frame: channels = 2, block align 4.
        b[22] = 2;
        b[32] = 4;
        assert_eq!(Wav::parse(&b).unwrap().samples, vec![200]);
        assert!(matches!(Wav::parse(b"RIFX"), Err(WavError::Format(_))));
        let mut eight = Wav {
            rate: 8000,
            samples: vec![1],
        }
        .to_bytes();
        eight[34] = 8;
        assert!(matches!(Wav::parse(&eight), Err(WavError::Unsupported(_))));
        let header_only = &Wav {
            rate: 8000,
            samples: vec![],
        }
        .to_bytes()[..36];
        assert!(matches!(
            Wav::parse(header_only),
            Err(WavError::Format("no data chunk"))
        ));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = Wav::parse(&bytes);
            let mut with_header = b"RIFF\0\0\0\0WAVE".to_vec();
            with_header.extend_from_slice(&bytes);
            let _ = Wav::parse(&with_header);
        }
    }
}
