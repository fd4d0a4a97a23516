//! Answering an offer (RFC 3264 §6).

use rand_core::RngCore;

use crate::attribute::{Attribute, Fmtp, RtpMap, Setup};
use crate::crypto::{Crypto, Fingerprint, KeyParam, SrtpSuite};
use crate::model::{Connection, MediaDescription, MediaType, Origin, SessionDescription};
use crate::negotiate::caps::{LocalCapabilities, SrtpPolicy};
use crate::negotiate::common::{self, Format};
use crate::negotiate::error::NegotiationError;
use crate::negotiate::result::{
    DtlsParams, DtlsRole, MediaSecurity, NegotiatedCodec, NegotiatedMedia, SdesKeys,
    TelephoneEventFormat,
};
use crate::secret::Secret;

/// Our SDES master keys by suite, kept for a dialog so that re-offers and
/// re-answers do not re-key needlessly.
#[derive(Debug, Clone, Default)]
pub(crate) struct LocalKeys(Vec<(SrtpSuite, Secret<Vec<u8>>)>);

impl LocalKeys {
    pub fn get_or_create<R: RngCore + ?Sized>(
        &mut self,
        suite: &SrtpSuite,
        rng: &mut R,
    ) -> Secret<Vec<u8>> {
        if let Some((_, k)) = self.0.iter().find(|(s, _)| s == suite) {
            return k.clone();
        }
        let k = common::fresh_key(suite, rng);
        self.0.push((suite.clone(), k.clone()));
        k
    }
}

/// How an accepted stream is keyed.
enum Keying<'a> {
    Plain,
    Sdes(&'a Crypto),
    Dtls(Vec<Fingerprint>, DtlsRole),
}

fn policy_name(p: SrtpPolicy) -> &'static str {
    match p {
        SrtpPolicy::Off => "off",
        SrtpPolicy::Sdes => "sdes",
        SrtpPolicy::Dtls => "dtls",
        SrtpPolicy::Optional => "optional",
    }
}

fn keying<'a>(
    offer: &'a SessionDescription,
    index: usize,
    caps: &LocalCapabilities,
) -> Result<Keying<'a>, NegotiationError> {
    let m = &offer.media[index];
    let proto = &m.protocol;
    let protocol = || proto.as_str().to_owned();
    if !proto.is_rtp() {
        return Err(NegotiationError::UnsupportedTransport {
            index,
            protocol: protocol(),
        });
    }
    let not_allowed = || NegotiationError::ProtocolNotAllowed {
        index,
        protocol: protocol(),
        policy: policy_name(caps.srtp),
    };
    let sdes = || {
        common::pick_crypto(m, &caps.crypto_suites)
            .map(Keying::Sdes)
            .ok_or_else(|| NegotiationError::NoAcceptableCrypto {
                index,
                offered: common::describe_cryptos(m),
            })
    };
    let dtls = || {
        let fps = common::fingerprints(offer, index);
        if fps.is_empty() {
            return Err(NegotiationError::MissingFingerprint { index });
        }
        if caps.dtls_fingerprint.is_none() {
            return Err(NegotiationError::NoLocalFingerprint);
        }
        // RFC 4145 §4: no a=setup means active.
        let role = match common::setup(offer, index) {
            None | Some(Setup::Active) => DtlsRole::Server,
            Some(Setup::Passive) | Some(Setup::ActPass) => DtlsRole::Client,
            Some(Setup::HoldConn) => {
                return Err(NegotiationError::UnusableSetup {
                    index,
                    setup: "holdconn",
                })
            }
        };
        Ok(Keying::Dtls(fps, role))
    };
    match caps.srtp {
        SrtpPolicy::Off if proto.is_plain_rtp() => Ok(Keying::Plain),
        SrtpPolicy::Off => Err(not_allowed()),
        SrtpPolicy::Sdes if proto.is_sdes_srtp() => sdes(),
        SrtpPolicy::Dtls if proto.is_dtls_srtp() => dtls(),
        SrtpPolicy::Sdes | SrtpPolicy::Dtls if proto.is_plain_rtp() => {
            Err(NegotiationError::SrtpRequired {
                index,
                protocol: protocol(),
            })
        }
        SrtpPolicy::Sdes | SrtpPolicy::Dtls => Err(not_allowed()),
        SrtpPolicy::Optional if proto.is_sdes_srtp() => sdes(),
        SrtpPolicy::Optional if proto.is_dtls_srtp() => {
            if caps.dtls_fingerprint.is_some() {
                dtls()
            } else {
                Err(not_allowed())
            }
        }
        SrtpPolicy::Optional => {
            Ok(common::pick_crypto(m, &caps.crypto_suites).map_or(Keying::Plain, Keying::Sdes))
        }
    }
}

fn negotiated_codec(f: &Format<'_>, codec: crate::negotiate::caps::Codec) -> NegotiatedCodec {
    use crate::negotiate::caps::Codec;
    NegotiatedCodec {
        codec,
        payload_type: f.pt,
        receive_payload_type: f.pt,
        clock_rate: f.clock_rate,
        channels: match codec {
            Codec::Opus => 2,
            _ => 1,
        },
        opus: (codec == Codec::Opus).then(|| f.fmtp.map(Fmtp::opus).unwrap_or_default()),
    }
}

/// Adds `a=rtpmap` (and our fmtp) lines for the codecs and telephone-event.
pub(crate) fn format_attributes(
    attrs: &mut Vec<Attribute>,
    codecs: &[NegotiatedCodec],
    te: Option<&TelephoneEventFormat>,
    caps: &LocalCapabilities,
) {
    for c in codecs {
        attrs.push(Attribute::RtpMap(RtpMap {
            payload_type: c.payload_type,
            encoding: c.codec.encoding_name().to_owned(),
            clock_rate: c.clock_rate,
            channels: c.codec.rtpmap_channels(),
        }));
        if c.codec == crate::negotiate::caps::Codec::Opus {
            let params = caps.opus.to_string();
            if !params.is_empty() {
                attrs.push(Attribute::Fmtp(Fmtp::new(c.payload_type, params)));
            }
        }
    }
    if let Some(te) = te {
        attrs.push(Attribute::RtpMap(RtpMap::new(
            te.payload_type,
            "telephone-event",
            te.clock_rate,
        )));
        attrs.push(Attribute::Fmtp(Fmtp::new(
            te.payload_type,
            te.events.to_string(),
        )));
    }
}

/// Answers one offered audio section, or says why it cannot be accepted.
fn answer_section<R: RngCore + ?Sized>(
    offer: &SessionDescription,
    index: usize,
    caps: &LocalCapabilities,
    keys: &mut LocalKeys,
    rng: &mut R,
) -> Result<(MediaDescription, NegotiatedMedia), NegotiationError> {
    let m = &offer.media[index];
    let conn: &Connection = offer
        .connection_for(index)
        .ok_or(NegotiationError::NoConnectionAddress { index })?;
    let keying = keying(offer, index, caps)?;

    let formats = common::formats(m);
    let mut matched: Vec<NegotiatedCodec> = Vec::new();
    for &codec in &caps.codecs {
        if let Some(f) = formats.iter().find(|f| f.codec(&[codec]).is_some()) {
            matched.push(negotiated_codec(f, codec));
        }
    }
    let Some(chosen) = matched.first().cloned() else {
        return Err(NegotiationError::NoCommonCodec {
            index,
            offered: common::describe(m),
        });
    };
    if !caps.answer_all_codecs {
        matched.truncate(1);
    }
    let te = if caps.telephone_event {
        common::telephone_event(&formats, chosen.clock_rate)
    } else {
        None
    };

    let peer = common::peer_direction(offer, index, conn);
    let direction = peer.reversed().intersect(caps.direction);
    let mux = caps.rtcp_mux && common::has_rtcp_mux(offer, index);

    let mut section = MediaDescription::new(MediaType::Audio, caps.port, m.protocol.clone());
    section.formats = matched
        .iter()
        .map(|c| c.payload_type)
        .chain(te.as_ref().map(|t| t.payload_type))
        .map(|pt| pt.to_string())
        .collect();
    let attrs = &mut section.attributes;
    format_attributes(attrs, &matched, te.as_ref(), caps);
    attrs.push(Attribute::Ptime(caps.ptime));
    attrs.push(Attribute::Direction(direction));
    if mux {
        attrs.push(Attribute::RtcpMux);
    }
    let security = match keying {
        Keying::Plain => MediaSecurity::None,
        Keying::Sdes(offered) => {
            let key = keys.get_or_create(&offered.suite, rng);
            attrs.push(Attribute::Crypto(Crypto {
                tag: offered.tag,
                suite: offered.suite.clone(),
                keys: vec![KeyParam::inline(key.expose().clone())],
                session_params: Vec::new(),
            }));
            MediaSecurity::Sdes(SdesKeys {
                suite: offered.suite.clone(),
                tag: offered.tag,
                local: common::local_key(&offered.suite, &key),
                remote: common::key_of(offered),
            })
        }
        Keying::Dtls(remote_fingerprints, role) => {
            attrs.push(Attribute::Setup(match role {
                DtlsRole::Client => Setup::Active,
                DtlsRole::Server => Setup::Passive,
            }));
            if let Some(fp) = &caps.dtls_fingerprint {
                attrs.push(Attribute::Fingerprint(fp.clone()));
            }
            MediaSecurity::Dtls(DtlsParams {
                role,
                remote_fingerprints,
            })
        }
    };

    let media = NegotiatedMedia {
        media_index: index,
        remote_address: conn.address.clone(),
        remote_port: m.port,
        remote_rtcp: common::rtcp_target(offer, index, conn, mux),
        codec: chosen,
        receive_codecs: matched,
        telephone_event: te,
        ptime: common::send_ptime(offer, index, caps.ptime),
        direction,
        security,
    };
    Ok((section, media))
}

/// A rejected copy of an offered section (port 0, RFC 3264 §6).
pub(crate) fn rejected(m: &MediaDescription) -> MediaDescription {
    let mut r = MediaDescription::new(m.media_type.clone(), 0, m.protocol.clone());
    r.formats = m.formats.clone();
    if r.formats.is_empty() {
        r.formats.push("0".to_owned());
    }
    r
}

/// Builds the answer to `offer`: the first acceptable audio section is
/// accepted, every other section is rejected with port 0 so the m-line count
/// matches the offer.
pub(crate) fn build_answer<R: RngCore + ?Sized>(
    offer: &SessionDescription,
    caps: &LocalCapabilities,
    origin: Origin,
    keys: &mut LocalKeys,
    rng: &mut R,
) -> Result<(SessionDescription, NegotiatedMedia), NegotiationError> {
    let mut sections = Vec::with_capacity(offer.media.len());
    let mut accepted: Option<NegotiatedMedia> = None;
    let mut first_error: Option<NegotiationError> = None;
    for (index, m) in offer.media.iter().enumerate() {
        if accepted.is_none() && m.media_type == MediaType::Audio && m.port != 0 {
            match answer_section(offer, index, caps, keys, rng) {
                Ok((section, media)) => {
                    sections.push(section);
                    accepted = Some(media);
                    continue;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        sections.push(rejected(m));
    }
    let media = accepted.ok_or_else(|| first_error.unwrap_or(NegotiationError::NoAudio))?;
    let mut sdp = SessionDescription::new(origin);
    sdp.connection = Some(Connection::new(caps.address));
    // RFC 3264 §6: the answer's t= equals the offer's.
    sdp.timings = offer.timings.clone();
    sdp.media = sections;
    Ok((sdp, media))
}
