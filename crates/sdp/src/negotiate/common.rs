//! Pieces shared by answering offers and processing answers.

use rand_core::RngCore;

use crate::attribute::{Attribute, Direction, Fmtp, Setup};
use crate::crypto::{Crypto, Fingerprint, SrtpSuite};
use crate::fmtp::TelephoneEvents;
use crate::model::{Connection, MediaDescription, SessionDescription};
use crate::negotiate::caps::Codec;
use crate::negotiate::result::{RtcpTarget, SrtpKey, TelephoneEventFormat};
use crate::secret::Secret;

/// The events we send and receive: the 16 DTMF events and flash (RFC 4733 §3.2).
pub(crate) fn our_events() -> TelephoneEvents {
    TelephoneEvents::from_ranges(&[(0, 16)])
}

/// An RTP format of a media section: payload type with its rtpmap (or the
/// RFC 3551 static assignment when there is none).
#[derive(Debug, Clone)]
pub(crate) struct Format<'a> {
    pub pt: u8,
    pub encoding: &'a str,
    pub clock_rate: u32,
    pub channels: Option<u16>,
    pub fmtp: Option<&'a Fmtp>,
}

/// What a payload type number stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PtKey {
    Codec(Codec),
    TelephoneEvent(u32),
}

impl Format<'_> {
    /// The codec or telephone-event rate this format is, among `codecs`.
    pub fn key(&self, codecs: &[Codec]) -> Option<PtKey> {
        if self.is_telephone_event() {
            Some(PtKey::TelephoneEvent(self.clock_rate))
        } else {
            self.codec(codecs).map(PtKey::Codec)
        }
    }

    pub fn is_telephone_event(&self) -> bool {
        self.encoding.eq_ignore_ascii_case("telephone-event")
    }

    pub fn codec(&self, among: &[Codec]) -> Option<Codec> {
        among
            .iter()
            .copied()
            .find(|c| c.matches(self.encoding, self.clock_rate, self.channels))
    }
}

fn static_format(pt: u8) -> Option<(&'static str, u32)> {
    Some(match pt {
        0 => ("PCMU", 8000),
        3 => ("GSM", 8000),
        4 => ("G723", 8000),
        8 => ("PCMA", 8000),
        9 => ("G722", 8000),
        13 => ("CN", 8000),
        15 => ("G728", 8000),
        18 => ("G729", 8000),
        _ => return None,
    })
}

/// The formats of a media section in m-line order; dynamic payload types
/// without an rtpmap are skipped (they cannot be identified).
pub(crate) fn formats(m: &MediaDescription) -> Vec<Format<'_>> {
    m.payload_types()
        .into_iter()
        .filter_map(|pt| {
            let fmtp = m.fmtp(pt);
            if let Some(map) = m.rtpmap(pt) {
                Some(Format {
                    pt,
                    encoding: &map.encoding,
                    clock_rate: map.clock_rate,
                    channels: map.channels,
                    fmtp,
                })
            } else {
                let (encoding, clock_rate) = static_format(pt)?;
                Some(Format {
                    pt,
                    encoding,
                    clock_rate,
                    channels: None,
                    fmtp,
                })
            }
        })
        .collect()
}

/// `PCMU/8000, G729/8000` for error messages.
pub(crate) fn describe(m: &MediaDescription) -> String {
    let f = formats(m);
    if f.is_empty() {
        return if m.formats.is_empty() {
            "none".to_owned()
        } else {
            m.formats.join(" ")
        };
    }
    f.iter()
        .map(|f| format!("{}/{}", f.encoding, f.clock_rate))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The telephone-event format to use with an audio codec at `clock_rate`:
/// the one at the same rate (RFC 4733 §2.1), else the first one offered.
pub(crate) fn telephone_event(
    formats: &[Format<'_>],
    clock_rate: u32,
) -> Option<TelephoneEventFormat> {
    let te: Vec<&Format<'_>> = formats.iter().filter(|f| f.is_telephone_event()).collect();
    let f = te
        .iter()
        .find(|f| f.clock_rate == clock_rate)
        .or_else(|| te.first())?;
    let offered = f.fmtp.and_then(Fmtp::telephone_events).unwrap_or_default();
    let events = offered.intersect(&our_events());
    if events.is_empty() {
        return None;
    }
    Some(TelephoneEventFormat {
        payload_type: f.pt,
        receive_payload_type: f.pt,
        clock_rate: f.clock_rate,
        events,
    })
}

/// The direction the peer declares for media section `index`, with the
/// `c=0.0.0.0` hold form (RFC 3264 §8.4) read as "do not send to me".
pub(crate) fn peer_direction(
    sdp: &SessionDescription,
    index: usize,
    conn: &Connection,
) -> Direction {
    let d = sdp.direction_for(index);
    if conn.address.is_unspecified() {
        Direction::from_flags(d.sends(), false)
    } else {
        d
    }
}

/// The packetization time to send with: the peer's `a=ptime`, else ours,
/// never above the peer's `a=maxptime`.
pub(crate) fn send_ptime(sdp: &SessionDescription, index: usize, ours: u32) -> u32 {
    let mut ptime = None;
    let mut maxptime = None;
    for a in sdp.attributes_for(index) {
        match a {
            Attribute::Ptime(p) if ptime.is_none() && *p > 0 => ptime = Some(*p),
            Attribute::MaxPtime(p) if maxptime.is_none() && *p > 0 => maxptime = Some(*p),
            _ => {}
        }
    }
    let p = ptime.unwrap_or(ours);
    maxptime.map_or(p, |m| p.min(m))
}

/// Whether the peer's section carries `a=rtcp-mux`.
pub(crate) fn has_rtcp_mux(sdp: &SessionDescription, index: usize) -> bool {
    sdp.attributes_for(index)
        .any(|a| matches!(a, Attribute::RtcpMux))
}

/// Where the peer wants RTCP: muxed, its `a=rtcp`, or RTP port + 1.
pub(crate) fn rtcp_target(
    sdp: &SessionDescription,
    index: usize,
    conn: &Connection,
    mux: bool,
) -> RtcpTarget {
    if mux {
        return RtcpTarget::Mux;
    }
    let port = sdp.media[index].port;
    let explicit = sdp.media[index].attributes.iter().find_map(|a| match a {
        Attribute::Rtcp(r) => Some(r),
        _ => None,
    });
    match explicit {
        Some(r) => RtcpTarget::Separate {
            address: r
                .address
                .as_ref()
                .map_or_else(|| conn.address.clone(), |a| a.address.clone()),
            port: r.port,
        },
        None => RtcpTarget::Separate {
            address: conn.address.clone(),
            port: port.saturating_add(1),
        },
    }
}

/// The peer's fingerprints for section `index`: media level, else session level.
pub(crate) fn fingerprints(sdp: &SessionDescription, index: usize) -> Vec<Fingerprint> {
    let pick = |attrs: &[Attribute]| -> Vec<Fingerprint> {
        attrs
            .iter()
            .filter_map(|a| match a {
                Attribute::Fingerprint(f) => Some(f.clone()),
                _ => None,
            })
            .collect()
    };
    let media = pick(&sdp.media[index].attributes);
    if media.is_empty() {
        pick(&sdp.attributes)
    } else {
        media
    }
}

/// The peer's `a=setup` for section `index` (media level, else session level).
pub(crate) fn setup(sdp: &SessionDescription, index: usize) -> Option<Setup> {
    sdp.attributes_for(index).find_map(|a| match a {
        Attribute::Setup(s) => Some(*s),
        _ => None,
    })
}

/// The media-level `a=crypto` lines of a section.
pub(crate) fn cryptos(m: &MediaDescription) -> impl Iterator<Item = &Crypto> {
    m.attributes.iter().filter_map(|a| match a {
        Attribute::Crypto(c) => Some(c),
        _ => None,
    })
}

/// `AES_CM_128_HMAC_SHA1_80, ...` or `none`.
pub(crate) fn describe_cryptos(m: &MediaDescription) -> String {
    let names: Vec<&str> = cryptos(m).map(|c| c.suite.name()).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// Session parameters we can honour (RFC 4568 §6.3): the defaults spelled out.
fn session_param_ok(p: &str) -> bool {
    let upper = p.to_ascii_uppercase();
    upper == "FEC_ORDER=FEC_SRTP" || upper == "KDR=0" || upper.starts_with("WSH=")
}

/// Whether an offered or answered crypto line is one we can use: a suite we
/// are configured for, one key of the right length, harmless session parameters.
pub(crate) fn crypto_usable(c: &Crypto, suites: &[SrtpSuite]) -> bool {
    suites.contains(&c.suite)
        && c.keys.len() == 1
        && c.suite.key_salt_len() == Some(c.keys[0].key_salt.expose().len())
        && c.session_params.iter().all(|p| session_param_ok(p))
}

/// The first usable offered crypto line in our suite preference order.
pub(crate) fn pick_crypto<'a>(m: &'a MediaDescription, suites: &[SrtpSuite]) -> Option<&'a Crypto> {
    suites
        .iter()
        .find_map(|s| cryptos(m).find(|c| &c.suite == s && crypto_usable(c, suites)))
}

/// The peer's key from a usable crypto line.
pub(crate) fn key_of(c: &Crypto) -> SrtpKey {
    let k = &c.keys[0];
    SrtpKey {
        key_salt: k.key_salt.clone(),
        key_len: c.suite.master_key_len().unwrap_or(0),
        mki: k.mki,
        lifetime: k.lifetime,
    }
}

/// A fresh master key and salt for `suite` from the injected RNG.
pub(crate) fn fresh_key<R: RngCore + ?Sized>(suite: &SrtpSuite, rng: &mut R) -> Secret<Vec<u8>> {
    let mut bytes = vec![0u8; suite.key_salt_len().unwrap_or(30)];
    rng.fill_bytes(&mut bytes);
    Secret::new(bytes)
}

/// Our key as an [`SrtpKey`].
pub(crate) fn local_key(suite: &SrtpSuite, key_salt: &Secret<Vec<u8>>) -> SrtpKey {
    SrtpKey {
        key_salt: key_salt.clone(),
        key_len: suite.master_key_len().unwrap_or(0),
        mki: None,
        lifetime: None,
    }
}
