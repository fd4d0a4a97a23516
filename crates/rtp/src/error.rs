//! Typed errors of the packet parsers and builders.

use thiserror::Error;

/// An RTP or RTCP packet could not be parsed or built.
///
/// Every variant says what was wrong and at which octet offset of the packet.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketError {
    /// The packet ends before a field that must be present.
    #[error("{what} truncated: needs {needed} octets at offset {offset}, packet has {len}")]
    Truncated {
        /// The field or structure that did not fit.
        what: &'static str,
        /// Offset where the field starts.
        offset: usize,
        /// Octets the field needs.
        needed: usize,
        /// Octets available in the whole packet.
        len: usize,
    },
    /// The version field is not 2.
    #[error("unsupported version {version} at offset {offset} (expected 2)")]
    BadVersion {
        /// The version found.
        version: u8,
        /// Offset of the header.
        offset: usize,
    },
    /// The padding count is zero or larger than the payload.
    #[error("invalid padding count {count} at offset {offset}: {available} octets available")]
    BadPadding {
        /// The padding count (last octet of the packet).
        count: u8,
        /// Offset of the padding count octet.
        offset: usize,
        /// Octets available for padding.
        available: usize,
    },
    /// A header extension element is malformed.
    #[error("malformed header extension element at offset {offset}: {reason}")]
    BadExtension {
        /// Offset of the element.
        offset: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A field value is out of its allowed range when building a packet.
    #[error("invalid {what}: {reason}")]
    InvalidField {
        /// The field.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The output buffer is too small for the packet being built.
    #[error("output buffer too small: need {needed} octets, have {capacity}")]
    BufferTooSmall {
        /// Octets needed.
        needed: usize,
        /// Octets available.
        capacity: usize,
    },
}

pub(crate) fn need(
    what: &'static str,
    buf: &[u8],
    offset: usize,
    n: usize,
) -> Result<(), PacketError> {
    if offset.checked_add(n).is_some_and(|end| end <= buf.len()) {
        Ok(())
    } else {
        Err(PacketError::Truncated {
            what,
            offset,
            needed: n,
            len: buf.len(),
        })
    }
}

pub(crate) fn room(buf: &[u8], needed: usize) -> Result<(), PacketError> {
    if needed <= buf.len() {
        Ok(())
    } else {
        Err(PacketError::BufferTooSmall {
            needed,
            capacity: buf.len(),
        })
    }
}
