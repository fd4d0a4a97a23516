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
use crate::negotiate::common::{self, PtKey};
use crate::negotiate::error::NegotiationError;
use crate::negotiate::result::{
    DtlsParams, DtlsRole, MediaSecurity, NegotiatedCodec, NegotiatedMedia, SdesKeys,
    TelephoneEventFormat,
};

/// Payload type numbers in use for the session, so that a dynamic number
/// keeps its meaning across offers and answers (RFC 3264 §8.3.2).
#[derive(Debug, Clone, Default)]
pub(crate) struct PtMap {
    /// Our numbers.
    map: Vec<(PtKey, u8)>,
    /// The peer's numbers and what they mean (`None`: a format we do not know).
    peer: Vec<(u8, Option<PtKey>)>,
}

impl PtMap {
    pub fn remember(&mut self, key: PtKey, pt: u8) {
        if self.lookup(key).is_none() && !self.map.iter().any(|&(_, p)| p == pt) {
            self.map.push((key, pt));
        }
    }

    /// Records the numbers of the peer's media section, so that new numbers
    /// of ours do not clash with them.
    pub fn remember_peer(&mut self, m: &MediaDescription) {
        let known = common::formats(m);
        for pt in m.payload_types() {
            let key = known
                .iter()
                .find(|f| f.pt == pt)
                .and_then(|f| f.key(&Codec::ALL));
            self.peer.retain(|&(p, _)| p != pt);
            self.peer.push((pt, key));
        }
    }

    fn lookup(&self, key: PtKey) -> Option<u8> {
        self.map.iter().find(|(k, _)| *k == key).map(|&(_, p)| p)
    }

    /// Whether `pt` already means something other than `key`.
    fn clashes(&self, pt: u8, key: PtKey) -> bool {
        self.map.iter().any(|&(k, p)| p == pt && k != key)
            || self.peer.iter().any(|&(p, k)| p == pt && k != Some(key))
    }

    /// The number for `key`: as used before, else the static or preferred
    /// one, else the first free dynamic one.
    fn assign(&mut self, key: PtKey) -> u8 {
        if let Some(pt) = self.lookup(key) {
            return pt;
        }
        let preferred = match key {
            PtKey::Codec(c) => c.static_payload_type().unwrap_or(111),
            PtKey::TelephoneEvent(48000) => 110,
            PtKey::TelephoneEvent(_) => 101,
        };
        let pt = std::iter::once(preferred)
            .chain(96..=127)
            .find(|&p| !self.clashes(p, key))
            .unwrap_or(127);
        self.map.push((key, pt));
        pt
    }
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
        .map(|&codec| {
            let pt = pts.assign(PtKey::Codec(codec));
            NegotiatedCodec {
                codec,
                payload_type: pt,
                receive_payload_type: pt,
                clock_rate: codec.clock_rate(),
                channels: if codec == Codec::Opus { 2 } else { 1 },
                opus: None,
            }
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
            .map(|&rate| {
                let pt = pts.assign(PtKey::TelephoneEvent(rate));
                TelephoneEventFormat {
                    payload_type: pt,
                    receive_payload_type: pt,
                    clock_rate: rate,
                    events: common::our_events(),
                }
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

    // Formats, in the answer's order. The answer should reuse our numbers
    // (RFC 3264 §6.1); a renumbered format is matched by name and clock rate,
    // and we then send with the answer's number and receive with ours.
    let ours = common::formats(om);
    let theirs = common::formats(am);
    let mut receive_codecs: Vec<NegotiatedCodec> = Vec::new();
    // (send pt, receive pt, format as answered)
    let mut te_formats: Vec<(u8, common::Format<'_>)> = Vec::new();
    for pt in am.payload_types() {
        let answered = theirs.iter().find(|f| f.pt == pt);
        let (key, receive_pt) = match ours.iter().find(|f| f.pt == pt) {
            Some(o) => (o.key(&caps.codecs), pt),
            None => {
                let Some(key) = answered.and_then(|f| f.key(&caps.codecs)) else {
                    continue;
                };
                let Some(o) = ours.iter().find(|o| o.key(&caps.codecs) == Some(key)) else {
                    continue;
                };
                (Some(key), o.pt)
            }
        };
        match key {
            Some(PtKey::Codec(codec)) => receive_codecs.push(NegotiatedCodec {
                codec,
                payload_type: pt,
                receive_payload_type: receive_pt,
                clock_rate: ours
                    .iter()
                    .find(|o| o.pt == receive_pt)
                    .map_or(codec.clock_rate(), |o| o.clock_rate),
                channels: if codec == Codec::Opus { 2 } else { 1 },
                opus: (codec == Codec::Opus).then(|| {
                    am.fmtp(pt)
                        .map(crate::attribute::Fmtp::opus)
                        .unwrap_or_default()
                }),
            }),
            Some(PtKey::TelephoneEvent(rate)) => te_formats.push((
                receive_pt,
                common::Format {
                    pt,
                    encoding: "telephone-event",
                    clock_rate: rate,
                    channels: None,
                    fmtp: am.fmtp(pt),
                },
            )),
            None => {}
        }
    }
    let Some(codec) = receive_codecs.first().cloned() else {
        return Err(NegotiationError::NoCommonCodec {
            index,
            offered: common::describe(am),
        });
    };
    let telephone_event = if caps.telephone_event {
        let formats: Vec<common::Format<'_>> = te_formats.iter().map(|(_, f)| f.clone()).collect();
        common::telephone_event(&formats, codec.clock_rate).map(|mut te| {
            if let Some((recv, _)) = te_formats.iter().find(|(_, f)| f.pt == te.payload_type) {
                te.receive_payload_type = *recv;
            }
            te
        })
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
