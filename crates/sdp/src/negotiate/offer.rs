//! Building offers (RFC 3264 §5, §8) and processing the answers to them (§7).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rand_core::RngCore;

use crate::attribute::{Attribute, Direction, Setup};
use crate::crypto::{Crypto, KeyParam};
use crate::model::{
    Connection, MediaDescription, MediaType, SessionDescription, TransportProtocol,
};
use crate::negotiate::answer::{format_attributes, rejected, LocalKeys};
use crate::negotiate::caps::{Codec, LocalCapabilities, SrtpPolicy};
use crate::negotiate::common;
use crate::negotiate::error::NegotiationError;
use crate::negotiate::result::{
    DtlsParams, DtlsRole, MediaSecurity, NegotiatedCodec, NegotiatedMedia, SdesKeys,
    TelephoneEventFormat,
};

/// What a payload type number stands for in this session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PtKey {
    Codec(Codec),
    TelephoneEvent(u32),
}

/// Payload type numbers in use for the session, so that a dynamic number
/// keeps its meaning across offers and answers (RFC 3264 §8.3.2).
#[derive(Debug, Clone, Default)]
pub(crate) struct PtMap {
    map: Vec<(PtKey, u8)>,
    /// Numbers the peer uses for formats we did not take: avoided for new mappings.
    reserved: Vec<u8>,
}

impl PtMap {
    pub fn remember(&mut self, key: PtKey, pt: u8) {
        if self.lookup(key).is_none() && !self.map.iter().any(|&(_, p)| p == pt) {
            self.map.push((key, pt));
        }
    }

    pub fn reserve_peer(&mut self, m: &MediaDescription) {
        for pt in m.payload_types() {
            if !self.map.iter().any(|&(_, p)| p == pt) && !self.reserved.contains(&pt) {
                self.reserved.push(pt);
            }
        }
    }

    fn lookup(&self, key: PtKey) -> Option<u8> {
        self.map.iter().find(|(k, _)| *k == key).map(|&(_, p)| p)
    }

    fn taken(&self, pt: u8) -> bool {
        self.map.iter().any(|&(_, p)| p == pt) || self.reserved.contains(&pt)
    }

    /// The number for `key`: as used before, else the static one, else a
    /// preferred dynamic one, else the first free dynamic one.
    fn assign(&mut self, key: PtKey) -> u8 {
        if let Some(pt) = self.lookup(key) {
            return pt;
        }
        let preferred = match key {
            PtKey::Codec(c) => c.static_payload_type().or(Some(111)),
            PtKey::TelephoneEvent(8000) => Some(101),
            PtKey::TelephoneEvent(48000) => Some(110),
            PtKey::TelephoneEvent(_) => None,
        };
        let pt = preferred
            .filter(|&p| !self.taken(p) || key_is_static(key))
            .or_else(|| (96..=127).find(|&p| !self.taken(p)))
            .unwrap_or(127);
        self.map.push((key, pt));
        pt
    }
}

fn key_is_static(key: PtKey) -> bool {
    matches!(key, PtKey::Codec(c) if c.static_payload_type().is_some())
}

/// How the offer is built.
pub(crate) struct OfferPlan<'a> {
    pub caps: &'a LocalCapabilities,
    pub direction: Direction,
    /// Write `c=0.0.0.0` (RFC 2543 hold form).
    pub zero_address: bool,
    /// DTLS role already established in the dialog.
    pub dtls_role: Option<DtlsRole>,
    /// The previous local SDP and its audio index, for re-offers.
    pub previous: Option<(&'a SessionDescription, usize)>,
}

fn offer_protocol(plan: &OfferPlan<'_>) -> TransportProtocol {
    let fresh = match plan.caps.srtp {
        SrtpPolicy::Off | SrtpPolicy::Optional => TransportProtocol::RtpAvp,
        SrtpPolicy::Sdes => TransportProtocol::RtpSavp,
        SrtpPolicy::Dtls => TransportProtocol::UdpTlsRtpSavp,
    };
    // Keep the feedback variant a previous exchange settled on.
    match plan.previous.map(|(sdp, i)| &sdp.media[i].protocol) {
        Some(p @ TransportProtocol::RtpAvpf) if fresh == TransportProtocol::RtpAvp => p.clone(),
        Some(p @ TransportProtocol::RtpSavpf) if fresh == TransportProtocol::RtpSavp => p.clone(),
        Some(p @ TransportProtocol::UdpTlsRtpSavpf)
            if fresh == TransportProtocol::UdpTlsRtpSavp =>
        {
            p.clone()
        }
        _ => fresh,
    }
}

/// Builds the media sections of an offer; returns them and the audio index.
pub(crate) fn build_offer<R: RngCore + ?Sized>(
    plan: &OfferPlan<'_>,
    pts: &mut PtMap,
    keys: &mut LocalKeys,
    rng: &mut R,
) -> Result<(SessionDescription, usize), NegotiationError> {
    let caps = plan.caps;
    let mut audio = MediaDescription::new(MediaType::Audio, caps.port, offer_protocol(plan));
    let codecs: Vec<NegotiatedCodec> = caps
        .codecs
        .iter()
        .map(|&codec| NegotiatedCodec {
            codec,
            payload_type: pts.assign(PtKey::Codec(codec)),
            clock_rate: codec.clock_rate(),
            channels: if codec == Codec::Opus { 2 } else { 1 },
            opus: None,
        })
        .collect();
    let mut rates: Vec<u32> = Vec::new();
    for c in &codecs {
        if !rates.contains(&c.clock_rate) {
            rates.push(c.clock_rate);
        }
    }
    let te: Vec<TelephoneEventFormat> = if caps.telephone_event {
        rates
            .iter()
            .map(|&rate| TelephoneEventFormat {
                payload_type: pts.assign(PtKey::TelephoneEvent(rate)),
                clock_rate: rate,
                events: common::our_events(),
            })
            .collect()
    } else {
        Vec::new()
    };
    audio.formats = codecs
        .iter()
        .map(|c| c.payload_type)
        .chain(te.iter().map(|t| t.payload_type))
        .map(|p| p.to_string())
        .collect();
    let attrs = &mut audio.attributes;
    format_attributes(attrs, &codecs, None, caps);
    for t in &te {
        format_attributes(attrs, &[], Some(t), caps);
    }
    attrs.push(Attribute::Ptime(caps.ptime));
    attrs.push(Attribute::Direction(plan.direction));
    if caps.rtcp_mux {
        attrs.push(Attribute::RtcpMux);
    }
    match caps.srtp {
        SrtpPolicy::Off => {}
        SrtpPolicy::Sdes | SrtpPolicy::Optional => {
            for (i, suite) in caps.crypto_suites.iter().enumerate() {
                let key = keys.get_or_create(suite, rng);
                attrs.push(Attribute::Crypto(Crypto {
                    tag: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    suite: suite.clone(),
                    keys: vec![KeyParam::inline(key.expose().clone())],
                    session_params: Vec::new(),
                }));
            }
        }
        SrtpPolicy::Dtls => {
            let fp = caps
                .dtls_fingerprint
                .clone()
                .ok_or(NegotiationError::NoLocalFingerprint)?;
            attrs.push(Attribute::Setup(match plan.dtls_role {
                None => Setup::ActPass,
                Some(DtlsRole::Client) => Setup::Active,
                Some(DtlsRole::Server) => Setup::Passive,
            }));
            attrs.push(Attribute::Fingerprint(fp));
        }
    }

    // A re-offer keeps every m-line of the previous SDP (RFC 3264 §8).
    let (mut media, audio_index) = match plan.previous {
        Some((prev, index)) => (
            prev.media
                .iter()
                .map(|m| if m.port == 0 { m.clone() } else { rejected(m) })
                .collect::<Vec<_>>(),
            index,
        ),
        None => (vec![audio.clone()], 0),
    };
    media[audio_index] = audio;

    let address = if plan.zero_address {
        match caps.address {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    } else {
        caps.address
    };
    let mut sdp = SessionDescription::new(crate::model::Origin::new(0, 0, caps.address));
    sdp.connection = Some(Connection::new(address));
    sdp.media = media;
    Ok((sdp, audio_index))
}

/// Processes the answer to our offer.
pub(crate) fn process_answer(
    offer: &SessionDescription,
    index: usize,
    answer: &SessionDescription,
    caps: &LocalCapabilities,
) -> Result<NegotiatedMedia, NegotiationError> {
    if answer.media.len() != offer.media.len() {
        return Err(NegotiationError::MediaCountMismatch {
            expected: offer.media.len(),
            found: answer.media.len(),
        });
    }
    let om = &offer.media[index];
    let am = &answer.media[index];
    if am.port == 0 {
        return Err(NegotiationError::Rejected { index });
    }
    let conn = answer
        .connection_for(index)
        .ok_or(NegotiationError::NoConnectionAddress { index })?;
    let proto = &am.protocol;
    let protocol = || proto.as_str().to_owned();
    let policy_ok = match caps.srtp {
        SrtpPolicy::Off => proto.is_plain_rtp(),
        SrtpPolicy::Sdes => proto.is_sdes_srtp(),
        SrtpPolicy::Dtls => proto.is_dtls_srtp(),
        SrtpPolicy::Optional => proto.is_plain_rtp() || proto.is_sdes_srtp(),
    };
    if !policy_ok {
        return Err(if proto.is_plain_rtp() {
            NegotiationError::SrtpRequired {
                index,
                protocol: protocol(),
            }
        } else {
            NegotiationError::ProtocolNotAllowed {
                index,
                protocol: protocol(),
                policy: match caps.srtp {
                    SrtpPolicy::Off => "off",
                    SrtpPolicy::Sdes => "sdes",
                    SrtpPolicy::Dtls => "dtls",
                    SrtpPolicy::Optional => "optional",
                },
            }
        });
    }

    let security = if proto.is_dtls_srtp() {
        let remote_fingerprints = common::fingerprints(answer, index);
        if remote_fingerprints.is_empty() {
            return Err(NegotiationError::MissingFingerprint { index });
        }
        let role = match common::setup(answer, index) {
            None | Some(Setup::Active) => DtlsRole::Server,
            Some(Setup::Passive) => DtlsRole::Client,
            Some(s @ (Setup::ActPass | Setup::HoldConn)) => {
                return Err(NegotiationError::UnusableSetup {
                    index,
                    setup: s.as_str(),
                })
            }
        };
        MediaSecurity::Dtls(DtlsParams {
            role,
            remote_fingerprints,
        })
    } else {
        let answered = common::cryptos(am).next();
        match answered {
            None if proto.is_plain_rtp() => MediaSecurity::None,
            None => {
                return Err(NegotiationError::NoAcceptableCrypto {
                    index,
                    offered: "none".to_owned(),
                })
            }
            Some(a) => {
                let ours = common::cryptos(om)
                    .find(|o| o.tag == a.tag && o.suite == a.suite)
                    .ok_or(NegotiationError::CryptoMismatch { index })?;
                if !common::crypto_usable(a, &caps.crypto_suites) {
                    return Err(NegotiationError::CryptoMismatch { index });
                }
                MediaSecurity::Sdes(SdesKeys {
                    suite: a.suite.clone(),
                    tag: a.tag,
                    local: common::key_of(ours),
                    remote: common::key_of(a),
                })
            }
        }
    };

    // Formats: the answer's numbers must be ones we offered; read them
    // through our own rtpmaps (RFC 3264 §6.1: the answer reuses our numbers).
    let ours = common::formats(om);
    let answered: Vec<&common::Format<'_>> = am
        .payload_types()
        .into_iter()
        .filter_map(|pt| ours.iter().find(|f| f.pt == pt))
        .collect();
    let answer_formats = common::formats(am);
    let receive_codecs: Vec<NegotiatedCodec> = answered
        .iter()
        .filter_map(|f| {
            let codec = f.codec(&caps.codecs)?;
            let opus = (codec == Codec::Opus).then(|| {
                am.fmtp(f.pt)
                    .map(crate::attribute::Fmtp::opus)
                    .unwrap_or_default()
            });
            Some(NegotiatedCodec {
                codec,
                payload_type: f.pt,
                clock_rate: f.clock_rate,
                channels: if codec == Codec::Opus { 2 } else { 1 },
                opus,
            })
        })
        .collect();
    let Some(codec) = receive_codecs.first().cloned() else {
        return Err(NegotiationError::NoCommonCodec {
            index,
            offered: common::describe(am),
        });
    };
    let telephone_event = if caps.telephone_event {
        let te_formats: Vec<common::Format<'_>> = answered
            .iter()
            .filter(|f| f.is_telephone_event())
            .map(|f| common::Format {
                fmtp: answer_formats
                    .iter()
                    .find(|a| a.pt == f.pt)
                    .and_then(|a| a.fmtp),
                ..(*f).clone()
            })
            .collect();
        common::telephone_event(&te_formats, codec.clock_rate)
    } else {
        None
    };
    let offered_direction = om.direction().unwrap_or(Direction::SendRecv);
    let peer = common::peer_direction(answer, index, conn);
    let mux = om.attributes.contains(&Attribute::RtcpMux) && common::has_rtcp_mux(answer, index);
    Ok(NegotiatedMedia {
        media_index: index,
        remote_address: conn.address.clone(),
        remote_port: am.port,
        remote_rtcp: common::rtcp_target(answer, index, conn, mux),
        codec,
        receive_codecs,
        telephone_event,
        ptime: common::send_ptime(answer, index, caps.ptime),
        direction: peer.reversed().intersect(offered_direction),
        security,
    })
}
