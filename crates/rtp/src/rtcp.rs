//! RTCP packets (RFC 3550 §6): zero-copy views of compound packets (SR, RR,
//! SDES, BYE, APP; other types are passed over as [`RtcpPacket::Other`]) and a
//! writer that builds compound packets into a caller's buffer.

use crate::error::{need, room, PacketError};
use crate::rtp::{be16, be32};

/// RTCP packet type: sender report.
pub const PT_SR: u8 = 200;
/// RTCP packet type: receiver report.
pub const PT_RR: u8 = 201;
/// RTCP packet type: source description.
pub const PT_SDES: u8 = 202;
/// RTCP packet type: goodbye.
pub const PT_BYE: u8 = 203;
/// RTCP packet type: application-defined.
pub const PT_APP: u8 = 204;

/// SDES item type CNAME.
pub const SDES_CNAME: u8 = 1;

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the last report, in 1/256 units.
    pub fraction_lost: u8,
    /// Cumulative number of packets lost (24-bit signed).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received.
    pub last_sr: u32,
    /// Delay since the last SR, in 1/65536 s.
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    /// Octets of one report block.
    pub const LEN: usize = 24;

    fn parse(b: &[u8]) -> Self {
        let lost = (u32::from(b[5]) << 16) | (u32::from(b[6]) << 8) | u32::from(b[7]);
        // Sign-extend the 24-bit value.
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        ReportBlock {
            ssrc: be32(b, 0),
            fraction_lost: b[4],
            cumulative_lost,
            highest_seq: be32(b, 8),
            jitter: be32(b, 12),
            last_sr: be32(b, 16),
            delay_since_last_sr: be32(b, 20),
        }
    }

    fn write(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.ssrc.to_be_bytes());
        let lost = self.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32;
        out[4] = self.fraction_lost;
        out[5..8].copy_from_slice(&lost.to_be_bytes()[1..]);
        out[8..12].copy_from_slice(&self.highest_seq.to_be_bytes());
        out[12..16].copy_from_slice(&self.jitter.to_be_bytes());
        out[16..20].copy_from_slice(&self.last_sr.to_be_bytes());
        out[20..24].copy_from_slice(&self.delay_since_last_sr.to_be_bytes());
    }
}

/// Sender information of an SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// 64-bit NTP timestamp (seconds since 1900 in the upper 32 bits).
    pub ntp_timestamp: u64,
    /// RTP timestamp corresponding to the NTP timestamp.
    pub rtp_timestamp: u32,
    /// Packets sent.
    pub packet_count: u32,
    /// Payload octets sent.
    pub octet_count: u32,
}

/// Iterator over report blocks.
#[derive(Debug, Clone)]
pub struct ReportBlocks<'a> {
    data: &'a [u8],
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;
    fn next(&mut self) -> Option<ReportBlock> {
        if self.data.len() < ReportBlock::LEN {
            return None;
        }
        let (b, rest) = self.data.split_at(ReportBlock::LEN);
        self.data = rest;
        Some(ReportBlock::parse(b))
    }
}

/// A sender report view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    /// SSRC of the sender.
    pub ssrc: u32,
    /// The sender information.
    pub info: SenderInfo,
    blocks: &'a [u8],
}

impl<'a> SenderReport<'a> {
    /// The reception report blocks.
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        ReportBlocks { data: self.blocks }
    }
}

/// A receiver report view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    /// SSRC of the packet sender.
    pub ssrc: u32,
    blocks: &'a [u8],
}

impl<'a> ReceiverReport<'a> {
    /// The reception report blocks.
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        ReportBlocks { data: self.blocks }
    }
}

/// A source description view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceDescription<'a> {
    count: u8,
    body: &'a [u8],
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    /// The source described.
    pub ssrc: u32,
    items: &'a [u8],
}

impl<'a> SdesChunk<'a> {
    /// The (type, value) items of the chunk.
    pub fn items(&self) -> impl Iterator<Item = (u8, &'a [u8])> + 'a {
        let mut d = self.items;
        std::iter::from_fn(move || {
            let (&t, rest) = d.split_first()?;
            if t == 0 {
                return None;
            }
            let (&l, rest) = rest.split_first()?;
            let l = usize::from(l);
            if l > rest.len() {
                return None;
            }
            let (v, rest) = rest.split_at(l);
            d = rest;
            Some((t, v))
        })
    }
    /// The CNAME item, if present.
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.items().find(|(t, _)| *t == SDES_CNAME).map(|(_, v)| v)
    }
}

impl<'a> SourceDescription<'a> {
    /// The chunks; parsing stops at the first malformed chunk.
    pub fn chunks(&self) -> impl Iterator<Item = SdesChunk<'a>> + 'a {
        let mut d = self.body;
        let mut left = self.count;
        std::iter::from_fn(move || {
            if left == 0 || d.len() < 4 {
                return None;
            }
            left -= 1;
            let ssrc = be32(d, 0);
            // Items end with a zero octet, then padding to a word boundary.
            let mut i = 4;
            while i < d.len() {
                if d[i] == 0 {
                    break;
                }
                if i + 1 >= d.len() {
                    i = d.len();
                    break;
                }
                i += 2 + usize::from(d[i + 1]);
            }
            let items = &d[4..i.min(d.len())];
            let end = (i + 1).div_ceil(4) * 4;
            d = if end <= d.len() { &d[end..] } else { &[] };
            Some(SdesChunk { ssrc, items })
        })
    }
}

/// A BYE view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<'a> {
    ssrcs: &'a [u8],
    /// The reason for leaving, if given.
    pub reason: Option<&'a [u8]>,
}

impl<'a> Bye<'a> {
    /// The sources that leave.
    pub fn ssrcs(&self) -> impl Iterator<Item = u32> + 'a {
        self.ssrcs.chunks_exact(4).map(|c| be32(c, 0))
    }
}

/// An APP packet view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App<'a> {
    /// The 5-bit subtype.
    pub subtype: u8,
    /// The sender SSRC.
    pub ssrc: u32,
    /// The 4-character name.
    pub name: [u8; 4],
    /// Application-dependent data.
    pub data: &'a [u8],
}

/// One packet of a compound RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    /// Sender report.
    SenderReport(SenderReport<'a>),
    /// Receiver report.
    ReceiverReport(ReceiverReport<'a>),
    /// Source description.
    SourceDescription(SourceDescription<'a>),
    /// Goodbye.
    Bye(Bye<'a>),
    /// Application-defined.
    App(App<'a>),
    /// A type this crate does not interpret (e.g. feedback, XR).
    Other {
        /// The packet type.
        packet_type: u8,
        /// The 5-bit count / format field.
        count: u8,
        /// The body after the 4-octet header, without padding.
        body: &'a [u8],
    },
}

/// Iterator over the packets of a compound RTCP packet. After the first
/// error it stops.
#[derive(Debug, Clone)]
pub struct RtcpCompound<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> RtcpCompound<'a> {
    /// Starts iterating `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        RtcpCompound {
            buf,
            pos: 0,
            failed: false,
        }
    }

    /// Parses the whole compound packet, returning the first error if any.
    pub fn validate(buf: &'a [u8]) -> Result<usize, PacketError> {
        if buf.is_empty() {
            return Err(PacketError::Truncated {
                what: "RTCP header",
                offset: 0,
                needed: 4,
                len: 0,
            });
        }
        let mut n = 0;
        for p in RtcpCompound::new(buf) {
            p?;
            n += 1;
        }
        Ok(n)
    }
}

impl<'a> Iterator for RtcpCompound<'a> {
    type Item = Result<RtcpPacket<'a>, PacketError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let r = parse_one(self.buf, self.pos);
        match r {
            Ok((p, next)) => {
                self.pos = next;
                Some(Ok(p))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

fn parse_one(buf: &[u8], at: usize) -> Result<(RtcpPacket<'_>, usize), PacketError> {
    need("RTCP header", buf, at, 4)?;
    let version = buf[at] >> 6;
    if version != 2 {
        return Err(PacketError::BadVersion {
            version,
            offset: at,
        });
    }
    let count = buf[at] & 0x1f;
    let pt = buf[at + 1];
    let len = 4 * (usize::from(be16(buf, at + 2)) + 1);
    need("RTCP packet (length field)", buf, at, len)?;
    let pkt = &buf[at..at + len];
    let mut body_end = len;
    if pkt[0] & 0x20 != 0 {
        let c = pkt[len - 1];
        if c == 0 || usize::from(c) > len - 4 {
            return Err(PacketError::BadPadding {
                count: c,
                offset: at + len - 1,
                available: len - 4,
            });
        }
        body_end -= usize::from(c);
    }
    let body = &pkt[4..body_end];
    // Field checks are against the packet without its padding.
    let unpadded = &pkt[..body_end];
    let blocks = |off: usize, what: &'static str| -> Result<&[u8], PacketError> {
        let n = usize::from(count) * ReportBlock::LEN;
        need(what, unpadded, 4 + off, n)?;
        Ok(&body[off..off + n])
    };
    let p = match pt {
        PT_SR => {
            need("RTCP SR sender info", unpadded, 4, 24)?;
            RtcpPacket::SenderReport(SenderReport {
                ssrc: be32(body, 0),
                info: SenderInfo {
                    ntp_timestamp: (u64::from(be32(body, 4)) << 32) | u64::from(be32(body, 8)),
                    rtp_timestamp: be32(body, 12),
                    packet_count: be32(body, 16),
                    octet_count: be32(body, 20),
                },
                blocks: blocks(24, "RTCP SR report blocks")?,
            })
        }
        PT_RR => {
            need("RTCP RR SSRC", unpadded, 4, 4)?;
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: be32(body, 0),
                blocks: blocks(4, "RTCP RR report blocks")?,
            })
        }
        PT_SDES => RtcpPacket::SourceDescription(SourceDescription { count, body }),
        PT_BYE => {
            let n = 4 * usize::from(count);
            need("RTCP BYE SSRC list", unpadded, 4, n)?;
            let reason = body
                .get(n)
                .and_then(|&l| body.get(n + 1..n + 1 + usize::from(l)));
            RtcpPacket::Bye(Bye {
                ssrcs: &body[..n],
                reason,
            })
        }
        PT_APP => {
            need("RTCP APP header", unpadded, 4, 8)?;
            RtcpPacket::App(App {
                subtype: count,
                ssrc: be32(body, 0),
                name: [body[4], body[5], body[6], body[7]],
                data: &body[8..],
            })
        }
        _ => RtcpPacket::Other {
            packet_type: pt,
            count,
            body,
        },
    };
    Ok((p, at + len))
}

/// Builds a compound RTCP packet into a caller's buffer.
#[derive(Debug)]
pub struct RtcpWriter<'b> {
    out: &'b mut [u8],
    len: usize,
}

impl<'b> RtcpWriter<'b> {
    /// Starts an empty compound packet in `out`.
    pub fn new(out: &'b mut [u8]) -> Self {
        RtcpWriter { out, len: 0 }
    }

    fn header(&mut self, count: u8, pt: u8, body_len: usize) -> Result<usize, PacketError> {
        let total = 4 + body_len.div_ceil(4) * 4;
        room(self.out, self.len + total)?;
        let at = self.len;
        self.out[at] = 0x80 | (count & 0x1f);
        self.out[at + 1] = pt;
        self.out[at + 2..at + 4].copy_from_slice(&((total / 4 - 1) as u16).to_be_bytes());
        self.out[at + 4..at + total].fill(0);
        self.len += total;
        Ok(at + 4)
    }

    fn check_blocks(blocks: &[ReportBlock]) -> Result<(), PacketError> {
        if blocks.len() > 31 {
            return Err(PacketError::InvalidField {
                what: "report blocks",
                reason: "more than 31",
            });
        }
        Ok(())
    }

    /// Appends a sender report.
    pub fn sender_report(
        &mut self,
        ssrc: u32,
        info: &SenderInfo,
        blocks: &[ReportBlock],
    ) -> Result<&mut Self, PacketError> {
        Self::check_blocks(blocks)?;
        let at = self.header(blocks.len() as u8, PT_SR, 24 + 24 * blocks.len())?;
        let o = &mut self.out[at..];
        o[0..4].copy_from_slice(&ssrc.to_be_bytes());
        o[4..12].copy_from_slice(&info.ntp_timestamp.to_be_bytes());
        o[12..16].copy_from_slice(&info.rtp_timestamp.to_be_bytes());
        o[16..20].copy_from_slice(&info.packet_count.to_be_bytes());
        o[20..24].copy_from_slice(&info.octet_count.to_be_bytes());
        for (i, b) in blocks.iter().enumerate() {
            b.write(&mut o[24 + 24 * i..]);
        }
        Ok(self)
    }

    /// Appends a receiver report.
    pub fn receiver_report(
        &mut self,
        ssrc: u32,
        blocks: &[ReportBlock],
    ) -> Result<&mut Self, PacketError> {
        Self::check_blocks(blocks)?;
        let at = self.header(blocks.len() as u8, PT_RR, 4 + 24 * blocks.len())?;
        let o = &mut self.out[at..];
        o[0..4].copy_from_slice(&ssrc.to_be_bytes());
        for (i, b) in blocks.iter().enumerate() {
            b.write(&mut o[4 + 24 * i..]);
        }
        Ok(self)
    }

    /// Appends an SDES packet with one chunk carrying a CNAME.
    pub fn sdes_cname(&mut self, ssrc: u32, cname: &[u8]) -> Result<&mut Self, PacketError> {
        if cname.len() > 255 {
            return Err(PacketError::InvalidField {
                what: "CNAME",
                reason: "longer than 255 octets",
            });
        }
        // ssrc + type + len + value + at least one terminating zero.
        let at = self.header(1, PT_SDES, 4 + 2 + cname.len() + 1)?;
        let o = &mut self.out[at..];
        o[0..4].copy_from_slice(&ssrc.to_be_bytes());
        o[4] = SDES_CNAME;
        o[5] = cname.len() as u8;
        o[6..6 + cname.len()].copy_from_slice(cname);
        Ok(self)
    }

    /// Appends a BYE for `ssrcs` with an optional reason.
    pub fn bye(&mut self, ssrcs: &[u32], reason: Option<&[u8]>) -> Result<&mut Self, PacketError> {
        if ssrcs.len() > 31 || reason.is_some_and(|r| r.len() > 255) {
            return Err(PacketError::InvalidField {
                what: "BYE",
                reason: "over 31 SSRCs or reason over 255 octets",
            });
        }
        let rlen = reason.map_or(0, |r| 1 + r.len());
        let at = self.header(ssrcs.len() as u8, PT_BYE, 4 * ssrcs.len() + rlen)?;
        let o = &mut self.out[at..];
        for (i, s) in ssrcs.iter().enumerate() {
            o[4 * i..4 * i + 4].copy_from_slice(&s.to_be_bytes());
        }
        if let Some(r) = reason {
            let b = 4 * ssrcs.len();
            o[b] = r.len() as u8;
            o[b + 1..b + 1 + r.len()].copy_from_slice(r);
        }
        Ok(self)
    }

    /// Appends an APP packet; `data` must be a multiple of 4 octets.
    pub fn app(
        &mut self,
        subtype: u8,
        ssrc: u32,
        name: [u8; 4],
        data: &[u8],
    ) -> Result<&mut Self, PacketError> {
        if subtype > 31 || data.len() % 4 != 0 {
            return Err(PacketError::InvalidField {
                what: "APP",
                reason: "subtype over 31 or data not word-aligned",
            });
        }
        let at = self.header(subtype, PT_APP, 8 + data.len())?;
        let o = &mut self.out[at..];
        o[0..4].copy_from_slice(&ssrc.to_be_bytes());
        o[4..8].copy_from_slice(&name);
        o[8..8 + data.len()].copy_from_slice(data);
        Ok(self)
    }

    /// Octets written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compound_round_trip() {
        let mut buf = [0u8; 300];
        let rb = ReportBlock {
            ssrc: 9,
            fraction_lost: 12,
            cumulative_lost: -3,
            highest_seq: 70000,
            jitter: 44,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65536,
        };
        let info = SenderInfo {
            ntp_timestamp: 0x0102_0304_0506_0708,
            rtp_timestamp: 5,
            packet_count: 6,
            octet_count: 7,
        };
        let mut w = RtcpWriter::new(&mut buf);
        w.sender_report(1, &info, &[rb]).unwrap();
        w.sdes_cname(1, b"agent@heron").unwrap();
        w.app(3, 1, *b"HRON", &[1, 2, 3, 4]).unwrap();
        w.bye(&[1], Some(b"bye")).unwrap();
        let n = w.len();
        let pkts: Vec<_> = RtcpCompound::new(&buf[..n])
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(pkts.len(), 4);
        match pkts[0] {
            RtcpPacket::SenderReport(sr) => {
                assert_eq!(sr.ssrc, 1);
                assert_eq!(sr.info, info);
                assert_eq!(sr.report_blocks().collect::<Vec<_>>(), vec![rb]);
            }
            other => panic!("not an SR: {other:?}"),
        }
        match pkts[1] {
            RtcpPacket::SourceDescription(s) => {
                let c: Vec<_> = s.chunks().collect();
                assert_eq!(c.len(), 1);
                assert_eq!(c[0].ssrc, 1);
                assert_eq!(c[0].cname(), Some(&b"agent@heron"[..]));
            }
            other => panic!("not SDES: {other:?}"),
        }
        assert!(matches!(
            pkts[2],
            RtcpPacket::App(App {
                subtype: 3,
                ssrc: 1,
                name: [b'H', b'R', b'O', b'N'],
                data: [1, 2, 3, 4]
            })
        ));
        match pkts[3] {
            RtcpPacket::Bye(b) => {
                assert_eq!(b.ssrcs().collect::<Vec<_>>(), vec![1]);
                assert_eq!(b.reason, Some(&b"bye"[..]));
            }
            other => panic!("not BYE: {other:?}"),
        }
    }

    #[test]
    fn unknown_types_are_skipped_over() {
        let mut buf = [0u8; 64];
        // RTPFB (205) with 8 octets of body, then an RR.
        buf[..12].copy_from_slice(&[0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
        let mut w = RtcpWriter::new(&mut buf[12..]);
        w.receiver_report(5, &[]).unwrap();
        let n = 12 + w.len();
        let pkts: Vec<_> = RtcpCompound::new(&buf[..n])
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(matches!(
            pkts[0],
            RtcpPacket::Other {
                packet_type: 205,
                count: 1,
                ..
            }
        ));
        assert!(matches!(
            pkts[1],
            RtcpPacket::ReceiverReport(ReceiverReport { ssrc: 5, .. })
        ));
    }

    #[test]
    fn fields_are_checked_against_the_unpadded_body() {
        // Found by fuzzing: an RR whose padding eats into its SSRC.
        let pkt = [0xbc, 0xc9, 0, 1, 0, 0xd8, 0, 1];
        assert!(matches!(
            RtcpCompound::validate(&pkt),
            Err(PacketError::Truncated {
                what: "RTCP RR SSRC",
                ..
            })
        ));
        let sr = [
            0xa0, 200, 0, 6, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4,
        ];
        assert!(RtcpCompound::validate(&sr).is_err());
    }

    #[test]
    fn truncated_and_bad_length_are_errors() {
        assert!(RtcpCompound::validate(&[]).is_err());
        assert!(matches!(
            RtcpCompound::validate(&[0x80, 201, 0, 5, 0, 0, 0, 0]),
            Err(PacketError::Truncated { .. })
        ));
        // RR claiming one report block with none present.
        assert!(matches!(
            RtcpCompound::validate(&[0x81, 201, 0, 1, 0, 0, 0, 0]),
            Err(PacketError::Truncated {
                what: "RTCP RR report blocks",
                ..
            })
        ));
        assert!(matches!(
            RtcpCompound::validate(&[0x40, 201, 0, 0]),
            Err(PacketError::BadVersion { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn compound_parse_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..120)) {
            for p in RtcpCompound::new(&data) {
                match p {
                    Ok(RtcpPacket::SenderReport(s)) => { let _ = s.report_blocks().count(); }
                    Ok(RtcpPacket::ReceiverReport(s)) => { let _ = s.report_blocks().count(); }
                    Ok(RtcpPacket::SourceDescription(s)) => { for c in s.chunks() { let _ = c.items().count(); } }
                    Ok(RtcpPacket::Bye(b)) => { let _ = b.ssrcs().count(); }
                    _ => {}
                }
            }
        }
    }
}
