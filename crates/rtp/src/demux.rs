//! Demultiplexing of one UDP port: RTP vs RTCP (RFC 5761 §4) and STUN, DTLS,
//! TURN channel data and RTP/RTCP by the first octet (RFC 7983 §7).

/// What a datagram received on a shared media port is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    /// STUN (first octet 0..=3).
    Stun,
    /// ZRTP (first octet 16..=19).
    Zrtp,
    /// DTLS (first octet 20..=63).
    Dtls,
    /// TURN channel data (first octet 64..=79).
    TurnChannel,
    /// RTP (first octet 128..=191, second octet's payload type not 64..=95).
    Rtp,
    /// RTCP (first octet 128..=191, packet type 192..=223).
    Rtcp,
    /// Anything else, including empty datagrams: drop it.
    Unknown,
}

/// Classifies a datagram by RFC 7983's first-octet ranges and, for RTP/RTCP,
/// by RFC 5761's packet-type rule.
pub fn classify(datagram: &[u8]) -> PacketKind {
    let Some(&b0) = datagram.first() else {
        return PacketKind::Unknown;
    };
    match b0 {
        0..=3 => PacketKind::Stun,
        16..=19 => PacketKind::Zrtp,
        20..=63 => PacketKind::Dtls,
        64..=79 => PacketKind::TurnChannel,
        128..=191 => match datagram.get(1) {
            Some(&b1) if (192..=223).contains(&b1) => PacketKind::Rtcp,
            Some(_) => PacketKind::Rtp,
            None => PacketKind::Unknown,
        },
        _ => PacketKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_octet_ranges() {
        assert_eq!(classify(&[0x00, 0x01]), PacketKind::Stun);
        assert_eq!(classify(&[22, 0xfe]), PacketKind::Dtls);
        assert_eq!(classify(&[17]), PacketKind::Zrtp);
        assert_eq!(classify(&[0x40, 0]), PacketKind::TurnChannel);
        assert_eq!(classify(&[0x80, 0x00]), PacketKind::Rtp);
        assert_eq!(classify(&[0x80, 0xe0]), PacketKind::Rtp); // PT 96 with marker
        assert_eq!(classify(&[0x80, 0x7f]), PacketKind::Rtp);
        assert_eq!(classify(&[0x81, 200]), PacketKind::Rtcp);
        assert_eq!(classify(&[0x80, 223]), PacketKind::Rtcp);
        assert_eq!(classify(&[0x80, 224]), PacketKind::Rtp);
        assert_eq!(classify(&[0x80]), PacketKind::Unknown);
        assert_eq!(classify(&[]), PacketKind::Unknown);
        assert_eq!(classify(&[0xff, 0]), PacketKind::Unknown);
    }
}
