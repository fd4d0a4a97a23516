//! The offer/answer state of one dialog: offers, answers, re-offers (hold,
//! resume, codec change) and the `o=` version that goes with them.

use rand_core::RngCore;

use crate::attribute::Direction;
use crate::model::{Origin, SessionDescription};
use crate::negotiate::answer::{build_answer, LocalKeys};
use crate::negotiate::caps::{Codec, LocalCapabilities};
use crate::negotiate::common::PtKey;
use crate::negotiate::error::NegotiationError;
use crate::negotiate::offer::{build_offer, process_answer, OfferPlan, PtMap};
use crate::negotiate::result::{DtlsRole, MediaSecurity, NegotiatedMedia};

/// How to put the peer on hold (RFC 3264 §8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HoldMode {
    /// `a=sendonly` (`inactive` if we were only receiving): the recommended form.
    SendOnly,
    /// `a=inactive`: no media either way.
    Inactive,
    /// The RFC 2543 form some old PBXs expect: `c=0.0.0.0`, with `a=sendonly`.
    ZeroAddress,
}

/// An SDP answer and what it negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The answer to send.
    pub sdp: SessionDescription,
    /// The stream parameters for the media layer.
    pub media: NegotiatedMedia,
}

#[derive(Debug, Clone)]
struct Pending {
    sdp: SessionDescription,
    audio_index: usize,
}

/// Offer/answer state for one dialog. Sans-IO: it only turns SDP into SDP and
/// [`NegotiatedMedia`]; randomness (session id, SRTP keys) comes from the
/// caller's RNG.
///
/// ```
/// use heron_sdp::{LocalCapabilities, Negotiator, SrtpPolicy};
/// # struct Counter(u64);
/// # impl rand_core::RngCore for Counter {
/// #     fn next_u32(&mut self) -> u32 { self.next_u64() as u32 }
/// #     fn next_u64(&mut self) -> u64 { self.0 += 1; self.0 }
/// #     fn fill_bytes(&mut self, d: &mut [u8]) { for b in d { *b = self.next_u64() as u8 } }
/// #     fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), rand_core::Error> { self.fill_bytes(d); Ok(()) }
/// # }
/// let mut rng = Counter(0);
/// let mut caps = LocalCapabilities::new("192.0.2.1".parse().unwrap(), 4000);
/// caps.srtp = SrtpPolicy::Sdes;
/// let mut alice = Negotiator::new(caps.clone(), &mut rng);
/// caps.port = 5000;
/// let mut bob = Negotiator::new(caps, &mut rng);
///
/// let offer = alice.create_offer(&mut rng).unwrap();
/// let answer = bob.receive_offer(&offer, &mut rng).unwrap();
/// let media = alice.receive_answer(&answer.sdp).unwrap();
/// assert_eq!(media.remote_port, 5000);
/// assert_eq!(media.codec.codec.encoding_name(), "opus");
/// ```
#[derive(Debug, Clone)]
pub struct Negotiator {
    caps: LocalCapabilities,
    session_id: u64,
    version: u64,
    last_local: Option<(SessionDescription, usize)>,
    pending: Option<Pending>,
    current: Option<NegotiatedMedia>,
    hold: Option<HoldMode>,
    pts: PtMap,
    keys: LocalKeys,
    dtls_role: Option<DtlsRole>,
}

impl Negotiator {
    /// A negotiator with a random session id.
    pub fn new<R: RngCore + ?Sized>(caps: LocalCapabilities, rng: &mut R) -> Self {
        Self {
            caps,
            // Keep it well inside the 63 bits that every SDP parser takes.
            session_id: rng.next_u64() >> 2,
            version: 0,
            last_local: None,
            pending: None,
            current: None,
            hold: None,
            pts: PtMap::default(),
            keys: LocalKeys::default(),
            dtls_role: None,
        }
    }

    /// The capabilities in use.
    pub fn capabilities(&self) -> &LocalCapabilities {
        &self.caps
    }

    /// Changes capabilities (e.g. codec order, port); used from the next offer or answer.
    pub fn capabilities_mut(&mut self) -> &mut LocalCapabilities {
        &mut self.caps
    }

    /// Replaces the codec list; call [`Negotiator::create_offer`] to re-offer.
    pub fn set_codecs(&mut self, codecs: Vec<Codec>) {
        self.caps.codecs = codecs;
    }

    /// The parameters of the last completed exchange.
    pub fn current(&self) -> Option<&NegotiatedMedia> {
        self.current.as_ref()
    }

    /// Whether an offer of ours awaits its answer.
    pub fn has_pending_offer(&self) -> bool {
        self.pending.is_some()
    }

    /// The session version we wrote last.
    pub fn session_version(&self) -> u64 {
        self.version
    }

    /// Forgets an outstanding offer (it was rejected, e.g. 488): the previous
    /// parameters stay in force (RFC 3264 §8).
    pub fn cancel_offer(&mut self) {
        self.pending = None;
    }

    fn direction(&self) -> Direction {
        match self.hold {
            None => self.caps.direction,
            Some(HoldMode::SendOnly | HoldMode::ZeroAddress) => {
                self.caps.direction.intersect(Direction::SendOnly)
            }
            Some(HoldMode::Inactive) => Direction::Inactive,
        }
    }

    /// Sets `o=` on a new local SDP: same session id, version incremented
    /// when the SDP differs from the previous one (RFC 3264 §8).
    fn stamp(&mut self, sdp: &mut SessionDescription) {
        let changed = match &self.last_local {
            Some((prev, _)) => {
                let mut probe = sdp.clone();
                probe.origin = prev.origin.clone();
                probe != *prev
            }
            None => true,
        };
        if changed {
            self.version += 1;
        }
        sdp.origin = Origin::new(self.session_id, self.version, self.caps.address);
    }

    /// Creates an offer: the initial one, or a re-offer that keeps the
    /// m-lines, payload type numbers and SRTP keys of the dialog.
    pub fn create_offer<R: RngCore + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<SessionDescription, NegotiationError> {
        let plan = OfferPlan {
            caps: &self.caps,
            direction: self.direction(),
            zero_address: self.hold == Some(HoldMode::ZeroAddress),
            dtls_role: self.dtls_role,
            previous: self.last_local.as_ref().map(|(s, i)| (s, *i)),
        };
        let (mut sdp, audio_index) = build_offer(&plan, &mut self.pts, &mut self.keys, rng)?;
        self.stamp(&mut sdp);
        self.last_local = Some((sdp.clone(), audio_index));
        self.pending = Some(Pending {
            sdp: sdp.clone(),
            audio_index,
        });
        Ok(sdp)
    }

    /// Re-offers with the stream on hold.
    pub fn hold<R: RngCore + ?Sized>(
        &mut self,
        mode: HoldMode,
        rng: &mut R,
    ) -> Result<SessionDescription, NegotiationError> {
        self.hold = Some(mode);
        self.create_offer(rng)
    }

    /// Re-offers with the configured direction again.
    pub fn resume<R: RngCore + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<SessionDescription, NegotiationError> {
        self.hold = None;
        self.create_offer(rng)
    }

    /// Processes the answer to our outstanding offer.
    pub fn receive_answer(
        &mut self,
        answer: &SessionDescription,
    ) -> Result<&NegotiatedMedia, NegotiationError> {
        let pending = self
            .pending
            .take()
            .ok_or(NegotiationError::NoPendingOffer)?;
        let media = process_answer(&pending.sdp, pending.audio_index, answer, &self.caps)?;
        self.learn(&media, answer);
        Ok(self.current.insert(media))
    }

    /// Answers an offer (initial or re-offer). On error nothing changes and
    /// the caller rejects the offer (488 with a `Warning`).
    pub fn receive_offer<R: RngCore + ?Sized>(
        &mut self,
        offer: &SessionDescription,
        rng: &mut R,
    ) -> Result<Answer, NegotiationError> {
        let mut caps = self.caps.clone();
        caps.direction = self.direction();
        let mut keys = self.keys.clone();
        let (mut sdp, media) = build_answer(
            offer,
            &caps,
            Origin::new(0, 0, caps.address),
            &mut keys,
            rng,
        )?;
        if self.hold == Some(HoldMode::ZeroAddress) {
            if let Some(c) = sdp.connection.as_mut() {
                c.address = crate::model::ConnectionAddress::Ip(match caps.address {
                    std::net::IpAddr::V4(_) => std::net::Ipv4Addr::UNSPECIFIED.into(),
                    std::net::IpAddr::V6(_) => std::net::Ipv6Addr::UNSPECIFIED.into(),
                });
            }
        }
        self.keys = keys;
        self.pending = None;
        self.stamp(&mut sdp);
        self.last_local = Some((sdp.clone(), media.media_index));
        self.learn(&media, offer);
        self.current = Some(media.clone());
        Ok(Answer { sdp, media })
    }

    fn learn(&mut self, media: &NegotiatedMedia, peer: &SessionDescription) {
        for c in &media.receive_codecs {
            self.pts
                .remember(PtKey::Codec(c.codec), c.receive_payload_type);
        }
        if let Some(te) = &media.telephone_event {
            self.pts.remember(
                PtKey::TelephoneEvent(te.clock_rate),
                te.receive_payload_type,
            );
        }
        if let Some(m) = peer.media.get(media.media_index) {
            self.pts.remember_peer(m);
        }
        if let MediaSecurity::Dtls(d) = &media.security {
            self.dtls_role = Some(d.role);
        }
    }
}

/// Answers an offer once, outside a dialog (a fresh [`Negotiator`]).
pub fn answer<R: RngCore + ?Sized>(
    offer: &SessionDescription,
    caps: &LocalCapabilities,
    rng: &mut R,
) -> Result<Answer, NegotiationError> {
    Negotiator::new(caps.clone(), rng).receive_offer(offer, rng)
}
