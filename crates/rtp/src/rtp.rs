//! RTP packets (RFC 3550 §5.1) with header extensions (RFC 8285): a zero-copy
//! view for received packets and a builder that writes into a caller's buffer.

use crate::error::{need, room, PacketError};

/// Length of the fixed RTP header.
pub const RTP_FIXED_HEADER_LEN: usize = 12;

/// "defined by profile" value of a one-byte header extension block (RFC 8285 §4.2).
pub const ONE_BYTE_EXTENSION_PROFILE: u16 = 0xBEDE;
/// "defined by profile" value (upper 12 bits) of a two-byte header extension block (RFC 8285 §4.3).
pub const TWO_BYTE_EXTENSION_PROFILE: u16 = 0x1000;

#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline]
pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A parsed RTP packet borrowing the received octets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    buf: &'a [u8],
    header_len: usize,
    payload_end: usize,
}

impl std::fmt::Debug for RtpPacket<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtpPacket")
            .field("marker", &self.marker())
            .field("payload_type", &self.payload_type())
            .field("sequence_number", &self.sequence_number())
            .field("timestamp", &self.timestamp())
            .field("ssrc", &format_args!("{:08x}", self.ssrc()))
            .field("payload_len", &self.payload().len())
            .finish()
    }
}

impl<'a> RtpPacket<'a> {
    /// Parses `buf` as one RTP packet: fixed header, CSRC list, header
    /// extension and padding are validated against the length.
    pub fn parse(buf: &'a [u8]) -> Result<Self, PacketError> {
        let header_len = rtp_header_len(buf)?;
        let mut payload_end = buf.len();
        if buf[0] & 0x20 != 0 {
            let count = buf[buf.len() - 1];
            let available = buf.len() - header_len;
            if count == 0 || usize::from(count) > available {
                return Err(PacketError::BadPadding {
                    count,
                    offset: buf.len() - 1,
                    available,
                });
            }
            payload_end -= usize::from(count);
        }
        Ok(RtpPacket {
            buf,
            header_len,
            payload_end,
        })
    }

    /// The whole packet as received.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
    /// The padding bit (P).
    pub fn has_padding(&self) -> bool {
        self.buf[0] & 0x20 != 0
    }
    /// Number of padding octets at the end (0 when P is clear).
    pub fn padding_len(&self) -> usize {
        self.buf.len() - self.payload_end
    }
    /// The marker bit (M).
    pub fn marker(&self) -> bool {
        self.buf[1] & 0x80 != 0
    }
    /// The payload type (7 bits).
    pub fn payload_type(&self) -> u8 {
        self.buf[1] & 0x7f
    }
    /// The sequence number.
    pub fn sequence_number(&self) -> u16 {
        be16(self.buf, 2)
    }
    /// The RTP timestamp.
    pub fn timestamp(&self) -> u32 {
        be32(self.buf, 4)
    }
    /// The synchronisation source.
    pub fn ssrc(&self) -> u32 {
        be32(self.buf, 8)
    }
    /// Number of CSRCs (CC).
    pub fn csrc_count(&self) -> usize {
        usize::from(self.buf[0] & 0x0f)
    }
    /// The contributing sources.
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let buf = self.buf;
        (0..usize::from(buf[0] & 0x0f)).map(move |i| be32(buf, 12 + 4 * i))
    }
    /// The header extension block, when the X bit is set.
    pub fn extension(&self) -> Option<HeaderExtension<'a>> {
        if self.buf[0] & 0x10 == 0 {
            return None;
        }
        let at = RTP_FIXED_HEADER_LEN + 4 * self.csrc_count();
        Some(HeaderExtension {
            profile: be16(self.buf, at),
            data: &self.buf[at + 4..self.header_len],
            offset: at + 4,
        })
    }
    /// Length of the header including CSRCs and extension.
    pub fn header_len(&self) -> usize {
        self.header_len
    }
    /// The payload, without padding.
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[self.header_len..self.payload_end]
    }
}

/// Validates the fixed header, CSRC list and extension of `buf` and returns
/// the total header length. Used by the packet view and by SRTP, which must
/// know where the payload starts before the padding can be checked.
pub(crate) fn rtp_header_len(buf: &[u8]) -> Result<usize, PacketError> {
    need("RTP fixed header", buf, 0, RTP_FIXED_HEADER_LEN)?;
    let version = buf[0] >> 6;
    if version != 2 {
        return Err(PacketError::BadVersion { version, offset: 0 });
    }
    let cc = usize::from(buf[0] & 0x0f);
    let mut len = RTP_FIXED_HEADER_LEN;
    need("RTP CSRC list", buf, len, 4 * cc)?;
    len += 4 * cc;
    if buf[0] & 0x10 != 0 {
        need("RTP header extension header", buf, len, 4)?;
        let words = usize::from(be16(buf, len + 2));
        need("RTP header extension", buf, len + 4, 4 * words)?;
        len += 4 + 4 * words;
    }
    Ok(len)
}

/// An RTP header extension block (RFC 3550 §5.3.1, RFC 8285).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderExtension<'a> {
    profile: u16,
    data: &'a [u8],
    offset: usize,
}

impl<'a> HeaderExtension<'a> {
    /// The 16-bit "defined by profile" field.
    pub fn profile(&self) -> u16 {
        self.profile
    }
    /// The extension data (after the 4-octet extension header).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
    /// Iterates the RFC 8285 elements of a one-byte (0xBEDE) or two-byte
    /// (0x100X) extension block. Other profiles yield nothing.
    pub fn elements(&self) -> ExtensionElements<'a> {
        let form = if self.profile == ONE_BYTE_EXTENSION_PROFILE {
            Some(ExtensionForm::OneByte)
        } else if self.profile & 0xfff0 == TWO_BYTE_EXTENSION_PROFILE {
            Some(ExtensionForm::TwoByte)
        } else {
            None
        };
        ExtensionElements {
            data: self.data,
            pos: 0,
            form,
            base: self.offset,
        }
    }
}

/// Which RFC 8285 header form an extension block uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionForm {
    /// One-byte headers: ID 1..=14, 1..=16 octets of data.
    OneByte,
    /// Two-byte headers: ID 1..=255, 0..=255 octets of data.
    TwoByte,
}

/// One RFC 8285 header extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionElement<'a> {
    /// The local identifier negotiated with `a=extmap`.
    pub id: u8,
    /// The element data.
    pub data: &'a [u8],
}

/// Iterator over RFC 8285 elements; yields an error once on malformed data.
#[derive(Debug, Clone)]
pub struct ExtensionElements<'a> {
    data: &'a [u8],
    pos: usize,
    form: Option<ExtensionForm>,
    base: usize,
}

impl<'a> Iterator for ExtensionElements<'a> {
    type Item = Result<ExtensionElement<'a>, PacketError>;

    fn next(&mut self) -> Option<Self::Item> {
        let form = self.form?;
        loop {
            let b = *self.data.get(self.pos)?;
            if b == 0 {
                // Padding octet between elements.
                self.pos += 1;
                continue;
            }
            let at = self.pos;
            let (id, len, hdr) = match form {
                ExtensionForm::OneByte => {
                    let id = b >> 4;
                    if id == 15 {
                        // RFC 8285 §4.2: ID 15 stops processing of the block.
                        self.form = None;
                        return None;
                    }
                    (id, usize::from(b & 0x0f) + 1, 1)
                }
                ExtensionForm::TwoByte => {
                    let Some(&l) = self.data.get(at + 1) else {
                        self.form = None;
                        return Some(Err(PacketError::BadExtension {
                            offset: self.base + at,
                            reason: "two-byte element header cut off",
                        }));
                    };
                    (b, usize::from(l), 2)
                }
            };
            let start = at + hdr;
            if start + len > self.data.len() {
                self.form = None;
                return Some(Err(PacketError::BadExtension {
                    offset: self.base + at,
                    reason: "element data runs past the extension block",
                }));
            }
            self.pos = start + len;
            return Some(Ok(ExtensionElement {
                id,
                data: &self.data[start..start + len],
            }));
        }
    }
}

/// Fields of an RTP header to write; borrows CSRCs and extension elements.
#[derive(Debug, Clone, Copy, Default)]
pub struct RtpHeader<'a> {
    /// The marker bit.
    pub marker: bool,
    /// The payload type (0..=127).
    pub payload_type: u8,
    /// The sequence number.
    pub sequence_number: u16,
    /// The RTP timestamp.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
    /// Contributing sources (at most 15).
    pub csrcs: &'a [u32],
    /// Header extension elements and the form to write them in.
    pub extensions: Option<(ExtensionForm, &'a [ExtensionElement<'a>])>,
}

impl RtpHeader<'_> {
    /// Octets the header occupies when written.
    pub fn len(&self) -> usize {
        let mut n = RTP_FIXED_HEADER_LEN + 4 * self.csrcs.len();
        if let Some((form, elems)) = self.extensions {
            let hdr = match form {
                ExtensionForm::OneByte => 1,
                ExtensionForm::TwoByte => 2,
            };
            let body: usize = elems.iter().map(|e| hdr + e.data.len()).sum();
            n += 4 + body.div_ceil(4) * 4;
        }
        n
    }

    /// Always false: a header has at least 12 octets.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Writes the header into `out` and returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, PacketError> {
        if self.payload_type > 127 {
            return Err(PacketError::InvalidField {
                what: "payload type",
                reason: "above 127",
            });
        }
        if self.csrcs.len() > 15 {
            return Err(PacketError::InvalidField {
                what: "CSRC list",
                reason: "more than 15 CSRCs",
            });
        }
        let len = self.len();
        room(out, len)?;
        out[0] = 0x80 | (self.csrcs.len() as u8) | if self.extensions.is_some() { 0x10 } else { 0 };
        out[1] = self.payload_type | if self.marker { 0x80 } else { 0 };
        out[2..4].copy_from_slice(&self.sequence_number.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        let mut at = RTP_FIXED_HEADER_LEN;
        for c in self.csrcs {
            out[at..at + 4].copy_from_slice(&c.to_be_bytes());
            at += 4;
        }
        if let Some((form, elems)) = self.extensions {
            let words = (len - at - 4) / 4;
            let profile = match form {
                ExtensionForm::OneByte => ONE_BYTE_EXTENSION_PROFILE,
                ExtensionForm::TwoByte => TWO_BYTE_EXTENSION_PROFILE,
            };
            out[at..at + 2].copy_from_slice(&profile.to_be_bytes());
            out[at + 2..at + 4].copy_from_slice(&(words as u16).to_be_bytes());
            at += 4;
            for e in elems {
                match form {
                    ExtensionForm::OneByte => {
                        if !(1..=14).contains(&e.id) || e.data.is_empty() || e.data.len() > 16 {
                            return Err(PacketError::InvalidField {
                                what: "one-byte extension element",
                                reason: "ID must be 1..=14 and data 1..=16 octets",
                            });
                        }
                        out[at] = (e.id << 4) | (e.data.len() as u8 - 1);
                        at += 1;
                    }
                    ExtensionForm::TwoByte => {
                        if e.id == 0 || e.data.len() > 255 {
                            return Err(PacketError::InvalidField {
                                what: "two-byte extension element",
                                reason: "ID must be 1..=255 and data at most 255 octets",
                            });
                        }
                        out[at] = e.id;
                        out[at + 1] = e.data.len() as u8;
                        at += 2;
                    }
                }
                out[at..at + e.data.len()].copy_from_slice(e.data);
                at += e.data.len();
            }
            out[at..len].fill(0);
        }
        Ok(len)
    }
}

/// Writes a whole RTP packet (header, payload, optional padding to a
/// multiple of `pad_to` octets) into `out` and returns its length.
pub fn write_rtp_packet(
    header: &RtpHeader<'_>,
    payload: &[u8],
    pad_to: Option<u8>,
    out: &mut [u8],
) -> Result<usize, PacketError> {
    let hlen = header.len();
    let unpadded = hlen + payload.len();
    let pad = match pad_to {
        Some(0) => {
            return Err(PacketError::InvalidField {
                what: "padding",
                reason: "block size 0",
            })
        }
        Some(b) => {
            let b = usize::from(b);
            let p = (b - unpadded % b) % b;
            // A padded packet needs at least the count octet.
            if p == 0 {
                b
            } else {
                p
            }
        }
        None => 0,
    };
    room(out, unpadded + pad)?;
    header.write(out)?;
    out[hlen..unpadded].copy_from_slice(payload);
    if pad > 0 {
        out[0] |= 0x20;
        out[unpadded..unpadded + pad - 1].fill(0);
        out[unpadded + pad - 1] = pad as u8;
    }
    Ok(unpadded + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_and_parse_with_csrcs_extension_and_padding() {
        let elems = [
            ExtensionElement {
                id: 1,
                data: &[0xaa],
            },
            ExtensionElement {
                id: 3,
                data: &[1, 2, 3, 4, 5],
            },
        ];
        let h = RtpHeader {
            marker: true,
            payload_type: 111,
            sequence_number: 0xfffe,
            timestamp: 0xdead_beef,
            ssrc: 0x0102_0304,
            csrcs: &[7, 8],
            extensions: Some((ExtensionForm::OneByte, &elems)),
        };
        let mut buf = [0u8; 200];
        let n = write_rtp_packet(&h, b"hello", Some(4), &mut buf).unwrap();
        assert_eq!(n % 4, 0);
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        assert!(p.marker());
        assert_eq!(p.payload_type(), 111);
        assert_eq!(p.sequence_number(), 0xfffe);
        assert_eq!(p.timestamp(), 0xdead_beef);
        assert_eq!(p.ssrc(), 0x0102_0304);
        assert_eq!(p.csrcs().collect::<Vec<_>>(), vec![7, 8]);
        assert_eq!(p.payload(), b"hello");
        let ext = p.extension().unwrap();
        assert_eq!(ext.profile(), ONE_BYTE_EXTENSION_PROFILE);
        let got: Vec<_> = ext.elements().collect::<Result<_, _>>().unwrap();
        assert_eq!(got, elems);
    }

    #[test]
    fn two_byte_extension_round_trip() {
        let elems = [
            ExtensionElement { id: 200, data: &[] },
            ExtensionElement {
                id: 5,
                data: &[9; 20],
            },
        ];
        let h = RtpHeader {
            payload_type: 0,
            extensions: Some((ExtensionForm::TwoByte, &elems)),
            ..Default::default()
        };
        let mut buf = [0u8; 100];
        let n = write_rtp_packet(&h, &[1], None, &mut buf).unwrap();
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        let got: Vec<_> = p
            .extension()
            .unwrap()
            .elements()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, elems);
        assert_eq!(p.payload(), &[1]);
    }

    #[test]
    fn rejects_bad_version_truncation_and_padding() {
        assert!(matches!(
            RtpPacket::parse(&[0x80; 11]),
            Err(PacketError::Truncated { .. })
        ));
        let mut p = [0u8; 12];
        p[0] = 0x40;
        assert_eq!(
            RtpPacket::parse(&p),
            Err(PacketError::BadVersion {
                version: 1,
                offset: 0
            })
        );
        p[0] = 0x83; // 3 CSRCs missing
        assert!(matches!(
            RtpPacket::parse(&p),
            Err(PacketError::Truncated { offset: 12, .. })
        ));
        let mut q = [0u8; 14];
        q[0] = 0xa0;
        q[13] = 3;
        assert!(matches!(
            RtpPacket::parse(&q),
            Err(PacketError::BadPadding { count: 3, .. })
        ));
        q[13] = 0;
        assert!(matches!(
            RtpPacket::parse(&q),
            Err(PacketError::BadPadding { count: 0, .. })
        ));
    }

    #[test]
    fn malformed_extension_element_is_an_error() {
        // One-byte element claiming 16 octets inside a 4-octet block.
        let pkt = [
            0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 1, 0x1f, 0, 0, 0,
        ];
        let p = RtpPacket::parse(&pkt).unwrap();
        let mut it = p.extension().unwrap().elements();
        assert!(matches!(
            it.next(),
            Some(Err(PacketError::BadExtension { offset: 16, .. }))
        ));
        assert!(it.next().is_none());
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            if let Ok(p) = RtpPacket::parse(&data) {
                let _ = p.payload();
                let _ = p.csrcs().count();
                if let Some(e) = p.extension() { for x in e.elements() { let _ = x; } }
            }
        }
    }
}
