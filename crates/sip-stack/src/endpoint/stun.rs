//! The part of STUN (RFC 5389) that SIP keep-alives need (RFC 5626
//! §4.4.2, §8.4): Binding requests and success responses with
//! XOR-MAPPED-ADDRESS, told apart from SIP on the same port by their first
//! bits and the magic cookie (RFC 7983 §7: a SIP message never starts with
//! a byte below 4).

use bytes::{BufMut, Bytes, BytesMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const MAGIC: u32 = 0x2112_A442;
const HEADER: usize = 20;
const BINDING_REQUEST: u16 = 0x0001;
const BINDING_SUCCESS: u16 = 0x0101;
const MAPPED_ADDRESS: u16 = 0x0001;
const XOR_MAPPED_ADDRESS: u16 = 0x0020;

/// A STUN transaction id.
pub(crate) type TxId = [u8; 12];

/// What a STUN datagram is, as far as keep-alives care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stun {
    /// A Binding request: answer it with our view of the source.
    BindingRequest(TxId),
    /// A Binding success response and the address it says we have.
    BindingSuccess(TxId, Option<SocketAddr>),
    /// Any other STUN message (ignored).
    Other,
}

/// Whether `b` looks like a STUN message: first two bits zero, the magic
/// cookie, a length that is a multiple of 4 and fits the datagram.
pub(crate) fn is_stun(b: &[u8]) -> bool {
    b.len() >= HEADER
        && b[0] < 4
        && b[4..8] == MAGIC.to_be_bytes()
        && usize::from(u16::from_be_bytes([b[2], b[3]])) % 4 == 0
        && usize::from(u16::from_be_bytes([b[2], b[3]])) + HEADER <= b.len()
}

/// Reads a STUN message (call [`is_stun`] first). Malformed attributes
/// end the walk; nothing here panics on any input.
pub(crate) fn parse(b: &[u8]) -> Option<Stun> {
    if !is_stun(b) {
        return None;
    }
    let kind = u16::from_be_bytes([b[0], b[1]]);
    let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
    let mut txid = [0u8; 12];
    txid.copy_from_slice(&b[8..20]);
    match kind {
        BINDING_REQUEST => Some(Stun::BindingRequest(txid)),
        BINDING_SUCCESS => {
            let mut mapped = None;
            let mut attrs = &b[HEADER..HEADER + len];
            while attrs.len() >= 4 {
                let t = u16::from_be_bytes([attrs[0], attrs[1]]);
                let l = usize::from(u16::from_be_bytes([attrs[2], attrs[3]]));
                let Some(v) = attrs.get(4..4 + l) else {
                    break;
                };
                match t {
                    XOR_MAPPED_ADDRESS => mapped = address(v, Some(&txid)).or(mapped),
                    MAPPED_ADDRESS if mapped.is_none() => mapped = address(v, None),
                    _ => {}
                }
                let padded = (4 + l).div_ceil(4) * 4;
                attrs = attrs.get(padded..).unwrap_or(&[]);
            }
            Some(Stun::BindingSuccess(txid, mapped))
        }
        _ => Some(Stun::Other),
    }
}

/// A (XOR-)MAPPED-ADDRESS value; `xor` holds the transaction id for the
/// XOR form.
fn address(v: &[u8], xor: Option<&TxId>) -> Option<SocketAddr> {
    let family = *v.get(1)?;
    let mut port = u16::from_be_bytes([*v.get(2)?, *v.get(3)?]);
    let mut mask = [0u8; 16];
    mask[..4].copy_from_slice(&MAGIC.to_be_bytes());
    if let Some(id) = xor {
        port ^= (MAGIC >> 16) as u16;
        mask[4..].copy_from_slice(id);
    } else {
        mask = [0; 16];
    }
    let ip = match family {
        0x01 => {
            let a = v.get(4..8)?;
            IpAddr::V4(Ipv4Addr::new(
                a[0] ^ mask[0],
                a[1] ^ mask[1],
                a[2] ^ mask[2],
                a[3] ^ mask[3],
            ))
        }
        0x02 => {
            let a = v.get(4..20)?;
            let mut o = [0u8; 16];
            for i in 0..16 {
                o[i] = a[i] ^ mask[i];
            }
            IpAddr::V6(Ipv6Addr::from(o))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// A Binding request with no attributes.
pub(crate) fn binding_request(txid: &TxId) -> Bytes {
    let mut out = BytesMut::with_capacity(HEADER);
    out.put_u16(BINDING_REQUEST);
    out.put_u16(0);
    out.put_u32(MAGIC);
    out.put_slice(txid);
    out.freeze()
}

/// A Binding success response telling the requester `mapped`.
pub(crate) fn binding_success(txid: &TxId, mapped: SocketAddr) -> Bytes {
    let (family, addr_len) = if mapped.is_ipv4() {
        (1u8, 4)
    } else {
        (2u8, 16)
    };
    let mut out = BytesMut::with_capacity(HEADER + 8 + 16);
    out.put_u16(BINDING_SUCCESS);
    out.put_u16(4 + 4 + addr_len as u16);
    out.put_u32(MAGIC);
    out.put_slice(txid);
    out.put_u16(XOR_MAPPED_ADDRESS);
    out.put_u16(4 + addr_len as u16);
    out.put_u8(0);
    out.put_u8(family);
    out.put_u16(mapped.port() ^ (MAGIC >> 16) as u16);
    let mut mask = [0u8; 16];
    mask[..4].copy_from_slice(&MAGIC.to_be_bytes());
    mask[4..].copy_from_slice(txid);
    match mapped.ip() {
        IpAddr::V4(a) => {
            for (i, o) in a.octets().iter().enumerate() {
                out.put_u8(o ^ mask[i]);
            }
        }
        IpAddr::V6(a) => {
            for (i, o) in a.octets().iter().enumerate() {
                out.put_u8(o ^ mask[i]);
            }
        }
    }
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5769_ipv4_response_vector() {
        // RFC 5769 §2.2 (sample IPv4 response), the XOR-MAPPED-ADDRESS
        // part with the header length adjusted to the attributes kept
        // (SOFTWARE, then XOR-MAPPED-ADDRESS; integrity and fingerprint
        // dropped).
        let txid: TxId = [
            0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
        ];
        let mut m = vec![0x01, 0x01, 0x00, 0x1c, 0x21, 0x12, 0xa4, 0x42];
        m.extend_from_slice(&txid);
        m.extend_from_slice(&[
            0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f,
            0x72, 0x20, // SOFTWARE "test vector "
            0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
        ]);
        assert!(is_stun(&m));
        assert_eq!(
            parse(&m),
            Some(Stun::BindingSuccess(
                txid,
                Some("192.0.2.1:32853".parse().unwrap())
            ))
        );
    }

    #[test]
    fn requests_and_responses_round_trip() {
        let id = [7u8; 12];
        let req = binding_request(&id);
        assert_eq!(req.len(), 20);
        assert_eq!(parse(&req), Some(Stun::BindingRequest(id)));
        for a in ["203.0.113.9:5060", "[2001:db8::42]:40000"] {
            let a: SocketAddr = a.parse().unwrap();
            let resp = binding_success(&id, a);
            assert_eq!(parse(&resp), Some(Stun::BindingSuccess(id, Some(a))));
        }
    }

    #[test]
    fn sip_and_junk_are_not_stun() {
        assert!(!is_stun(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n"));
        assert!(!is_stun(b"\r\n\r\n"));
        let mut bad = binding_request(&[1; 12]).to_vec();
        bad[3] = 8; // length past the end
        assert!(!is_stun(&bad));
        // Truncated attributes end the walk without a panic.
        let mut m = binding_success(&[2; 12], "192.0.2.1:1".parse().unwrap()).to_vec();
        m[23] = 200;
        assert_eq!(parse(&m), Some(Stun::BindingSuccess([2; 12], None)));
        for n in 0..40 {
            let mut v = vec![0u8; n];
            v.iter_mut()
                .enumerate()
                .for_each(|(i, b)| *b = (i * 37) as u8);
            let _ = parse(&v);
        }
    }
}
