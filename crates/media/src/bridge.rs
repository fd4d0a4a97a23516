//! From what heron-sdp negotiated to what heron-rtp and heron-codecs need.
//!
//! This is glue every service embedding the crates writes; it belongs in
//! heron-rtp (behind an `sdp` feature) or a small bridge crate.

use std::net::SocketAddr;
use std::time::Duration;

use heron_codecs::CodecSpec;
use heron_rtp::session::{
    Direction, Latching, MediaSecurity, PayloadFormat, SessionConfig, SrtpKeys,
};
use heron_rtp::srtp::{MasterKey, SrtpConfig, SrtpProfile};
use heron_sdp::negotiate::RtcpTarget;
use heron_sdp::NegotiatedMedia;

/// Why negotiated media cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BridgeError {
    /// The peer's address is a host name, not an IP literal.
    #[error("the peer's media address {0} is not an IP address")]
    RemoteNotIp(String),
    /// An SRTP suite heron-rtp does not implement.
    #[error("SRTP suite {0} is not supported")]
    Suite(String),
    /// Keys of the wrong length or MKI.
    #[error("SRTP key: {0}")]
    Key(String),
}

/// heron-sdp's direction in heron-rtp's terms.
pub fn direction(d: heron_sdp::Direction) -> Direction {
    match d {
        heron_sdp::Direction::SendRecv => Direction::SendRecv,
        heron_sdp::Direction::SendOnly => Direction::SendOnly,
        heron_sdp::Direction::RecvOnly => Direction::RecvOnly,
        heron_sdp::Direction::Inactive => Direction::Inactive,
    }
}

fn master_key(
    profile: SrtpProfile,
    k: &heron_sdp::negotiate::SrtpKey,
) -> Result<MasterKey, BridgeError> {
    let mut key = MasterKey::from_key_salt(profile, k.key_salt.expose())
        .map_err(|e| BridgeError::Key(e.to_string()))?;
    if let Some(mki) = &k.mki {
        let len = usize::from(mki.length).min(8);
        let bytes = mki.value.to_be_bytes();
        key = key
            .with_mki(&bytes[8 - len..])
            .map_err(|e| BridgeError::Key(e.to_string()))?;
    }
    if let Some(l) = &k.lifetime {
        let packets = match l {
            heron_sdp::crypto::Lifetime::PowerOfTwo(n) => {
                1u64.checked_shl(u32::from(*n)).unwrap_or(u64::MAX)
            }
            heron_sdp::crypto::Lifetime::Packets(p) => *p,
        };
        key = key.with_lifetime(packets);
    }
    Ok(key)
}

/// The SRTP keys of an SDES negotiation.
pub fn sdes_keys(k: &heron_sdp::negotiate::SdesKeys) -> Result<SrtpKeys, BridgeError> {
    let profile = SrtpProfile::from_name(k.suite.name())
        .ok_or_else(|| BridgeError::Suite(k.suite.name().to_owned()))?;
    Ok(SrtpKeys {
        profile,
        local: vec![master_key(profile, &k.local)?],
        remote: vec![master_key(profile, &k.remote)?],
        config: SrtpConfig::default(),
    })
}

/// The media session configuration for a negotiated stream.
pub fn session_config(
    m: &NegotiatedMedia,
    local_addr: SocketAddr,
    symmetric_rtp: bool,
) -> Result<SessionConfig, BridgeError> {
    let remote = match m.remote_rtp() {
        Some(a) => a,
        None => return Err(BridgeError::RemoteNotIp(m.remote_address.to_string())),
    };
    let mut cfg = SessionConfig::new(local_addr, remote);
    cfg.remote_rtcp_addr = match &m.remote_rtcp {
        RtcpTarget::Mux => None,
        RtcpTarget::Separate { address, port } => {
            Some(SocketAddr::new(address.ip().unwrap_or(remote.ip()), *port))
        }
    };
    cfg.formats = m
        .receive_codecs
        .iter()
        .map(|c| PayloadFormat {
            payload_type: c.receive_payload_type,
            clock_rate: c.clock_rate,
        })
        .collect();
    cfg.send_payload_type = m.codec.payload_type;
    if !cfg
        .formats
        .iter()
        .any(|f| f.payload_type == m.codec.payload_type)
    {
        cfg.formats.push(PayloadFormat {
            payload_type: m.codec.payload_type,
            clock_rate: m.codec.clock_rate,
        });
    }
    cfg.telephone_event = m.telephone_event.as_ref().map(|t| PayloadFormat {
        payload_type: t.payload_type,
        clock_rate: t.clock_rate,
    });
    cfg.ptime = Duration::from_millis(u64::from(m.ptime.clamp(10, 60)));
    cfg.direction = if m.should_send() || !m.direction.sends() {
        direction(m.direction)
    } else {
        // `c=0.0.0.0` hold: receive only.
        direction(m.direction.intersect(heron_sdp::Direction::RecvOnly))
    };
    cfg.security = match &m.security {
        heron_sdp::MediaSecurity::None => MediaSecurity::None,
        heron_sdp::MediaSecurity::Sdes(k) => MediaSecurity::Srtp(sdes_keys(k)?),
        heron_sdp::MediaSecurity::Dtls(_) => MediaSecurity::Pending,
    };
    // DTLS-SRTP on separate ports: the RTCP port has its own handshake and
    // keys (RFC 5764 §4.1).
    cfg.separate_rtcp_keys =
        matches!(m.security, heron_sdp::MediaSecurity::Dtls(_)) && cfg.remote_rtcp_addr.is_some();
    cfg.latching = Latching {
        enabled: symmetric_rtp,
        ..Latching::default()
    };
    Ok(cfg)
}

/// Our DTLS certificate's fingerprint as heron-sdp writes it.
pub fn sdp_fingerprint(f: &heron_rtp::dtls::Fingerprint) -> Option<heron_sdp::Fingerprint> {
    heron_sdp::Fingerprint::parse(&f.to_string())
}

/// The peer's DTLS parameters from the SDP, for heron-rtp's handshake.
pub fn remote_dtls(p: &heron_sdp::negotiate::DtlsParams) -> heron_rtp::dtls::RemoteDtls {
    let role = match p.role {
        heron_sdp::DtlsRole::Client => heron_rtp::dtls::DtlsRole::Client,
        heron_sdp::DtlsRole::Server => heron_rtp::dtls::DtlsRole::Server,
    };
    let fingerprints = p
        .remote_fingerprints
        .iter()
        .filter_map(|f| f.to_string().parse().ok())
        .collect();
    heron_rtp::dtls::RemoteDtls::new(role, fingerprints)
}

/// The SRTP profile name of a negotiated stream, for summaries.
pub fn srtp_name(m: &NegotiatedMedia) -> Option<String> {
    match &m.security {
        heron_sdp::MediaSecurity::None => None,
        heron_sdp::MediaSecurity::Sdes(k) => Some(k.suite.name().to_owned()),
        heron_sdp::MediaSecurity::Dtls(_) => Some("DTLS-SRTP".to_owned()),
    }
}

/// The codec spec for heron-codecs; `fmtp` must outlive the spec.
pub fn codec_spec<'a>(
    m: &'a NegotiatedMedia,
    fmtp: &'a mut String,
    pcm_rate: Option<u32>,
) -> CodecSpec<'a> {
    fmtp.clear();
    if let Some(o) = &m.codec.opus {
        *fmtp = o.to_string();
    }
    let fmtp: &'a String = fmtp;
    CodecSpec {
        name: m.codec.codec.encoding_name(),
        clock_rate: m.codec.codec.clock_rate(),
        fmtp: (!fmtp.is_empty()).then_some(fmtp.as_str()),
        ptime_ms: m.ptime.clamp(10, 60),
        pcm_rate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_cross_between_the_crates() {
        let id = heron_rtp::dtls::DtlsIdentity::generate().unwrap();
        let sdp = sdp_fingerprint(id.fingerprint()).unwrap();
        assert_eq!(sdp.to_string(), id.fingerprint().to_string());
        let params = heron_sdp::negotiate::DtlsParams {
            role: heron_sdp::DtlsRole::Server,
            remote_fingerprints: vec![sdp],
        };
        let r = remote_dtls(&params);
        assert_eq!(r.role, heron_rtp::dtls::DtlsRole::Server);
        assert_eq!(r.fingerprints, vec![id.fingerprint().clone()]);
    }
}
