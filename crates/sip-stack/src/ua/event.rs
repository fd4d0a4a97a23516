//! What the user agent reports: registration changes and the life of each
//! call, with the caller's identity and why a call ended.

use crate::registration::RegistrationState;
use crate::types::Source;
use bytes::Bytes;
use heron_sip::headers::{
    Diversion, From, HistoryInfo, PAssertedIdentity, Reason, ReplacesParams, To,
};
use heron_sip::{Message, TypedHeader};
use std::fmt;
use std::net::SocketAddr;

/// A call, as the [`Ua`](crate::ua::Ua) knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallKey(pub(crate) u64);

impl fmt::Display for CallKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call#{}", self.0)
    }
}

/// A registration, as the [`Ua`](crate::ua::Ua) knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrationId(pub(crate) u64);

/// A name and URI from an identity header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// The display name, unquoted.
    pub display_name: Option<String>,
    /// The URI (`sip:+4930123@pbx;user=phone`, `tel:+4930123`).
    pub uri: String,
}

impl Party {
    fn of(na: &heron_sip::headers::NameAddr<'_>) -> Party {
        Party {
            display_name: na.display_name().map(|d| d.into_owned()),
            uri: na.uri.to_string(),
        }
    }
}

/// One Diversion entry (RFC 5806).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiversionEntry {
    /// Who diverted the call.
    pub party: Party,
    /// Why (`unconditional`, `user-busy`, `no-answer`, ...).
    pub reason: Option<String>,
    /// How many times.
    pub counter: Option<u32>,
}

/// One History-Info entry (RFC 7044).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The target at that step (its URI may carry `?Reason=...`).
    pub party: Party,
    /// The `index` parameter.
    pub index: Option<String>,
}

/// An incoming call's identity headers and offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    /// From.
    pub from: Party,
    /// To.
    pub to: Party,
    /// The Request-URI.
    pub request_uri: String,
    /// P-Asserted-Identity values.
    pub asserted: Vec<Party>,
    /// Privacy values requested by the caller.
    pub privacy: Vec<String>,
    /// Diversion entries, most recent first.
    pub diversion: Vec<DiversionEntry>,
    /// History-Info entries in order.
    pub history: Vec<HistoryEntry>,
    /// The SDP offer, when the INVITE carried one (else the offer is
    /// ours: in the 200, with the answer in the ACK, or in a reliable
    /// 18x through [`Ua::ring`](crate::ua::Ua::ring), with the answer in
    /// the PRACK as [`UaEvent::MediaUpdate`]).
    pub offer: Option<Bytes>,
    /// The call this one replaces (RFC 3891), ended when it is answered.
    pub replaces: Option<CallKey>,
    /// Where the INVITE came from: transport, our address, the sender's
    /// address (for source policies) and the connection.
    pub source: Source,
}

impl IncomingCall {
    pub(crate) fn from_invite(invite: &Message) -> IncomingCall {
        let party = |v: Option<&str>, to: bool| -> Party {
            let parsed = v.and_then(|v| {
                if to {
                    To::parse(v).ok().map(|t| Party::of(&t.0))
                } else {
                    From::parse(v).ok().map(|f| Party::of(&f.0))
                }
            });
            parsed.unwrap_or(Party {
                display_name: None,
                uri: String::new(),
            })
        };
        let from = party(
            invite.header_values(heron_sip::HeaderName::From).next(),
            false,
        );
        let to = party(invite.header_values(heron_sip::HeaderName::To).next(), true);
        let asserted = invite
            .all::<PAssertedIdentity>()
            .filter_map(Result::ok)
            .map(|p| Party::of(&p.0))
            .collect();
        let privacy = invite
            .header_values(heron_sip::HeaderName::Privacy)
            .flat_map(|v| v.split(';'))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let diversion = invite
            .all::<Diversion>()
            .filter_map(Result::ok)
            .map(|d| DiversionEntry {
                party: Party::of(&d.0),
                reason: d.reason().map(|r| r.into_owned()),
                counter: d.counter(),
            })
            .collect();
        let history = invite
            .all::<HistoryInfo>()
            .filter_map(Result::ok)
            .map(|h| HistoryEntry {
                party: Party::of(&h.0),
                index: h.index().map(str::to_owned),
            })
            .collect();
        let offer = crate::session::sdp_body(invite);
        IncomingCall {
            from,
            to,
            request_uri: invite.request_uri_str().unwrap_or("").to_owned(),
            asserted,
            privacy,
            diversion,
            history,
            offer,
            replaces: None,
            // Set by the Ua from the transaction's source.
            source: Source {
                transport: crate::types::TransportKind::Udp,
                local: SocketAddr::from(([0, 0, 0, 0], 0)),
                remote: SocketAddr::from(([0, 0, 0, 0], 0)),
                connection: None,
            },
        }
    }
}

/// A final failure response, sorted by what it means to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// 3xx: redirected elsewhere.
    Redirected,
    /// 401/407 we could not answer.
    Unauthorized,
    /// 403.
    Forbidden,
    /// 404, 604: no such user.
    NotFound,
    /// 408 or Timer B: no answer from the network.
    Timeout,
    /// 480: temporarily unavailable (not registered, do not disturb).
    Unavailable,
    /// 486, 600: busy.
    Busy,
    /// 487: the request was cancelled.
    Cancelled,
    /// 488, 606: no common media.
    NotAcceptable,
    /// 603: declined.
    Declined,
    /// Another 4xx.
    ClientError,
    /// 5xx.
    ServerError,
    /// Another 6xx.
    GlobalFailure,
}

impl FailureKind {
    /// The kind of a final status code of 300 or more.
    pub fn of(code: u16) -> FailureKind {
        match code {
            300..=399 => FailureKind::Redirected,
            401 | 407 => FailureKind::Unauthorized,
            403 => FailureKind::Forbidden,
            404 | 604 => FailureKind::NotFound,
            408 => FailureKind::Timeout,
            480 => FailureKind::Unavailable,
            486 | 600 => FailureKind::Busy,
            487 => FailureKind::Cancelled,
            488 | 606 => FailureKind::NotAcceptable,
            603 => FailureKind::Declined,
            400..=499 => FailureKind::ClientError,
            500..=599 => FailureKind::ServerError,
            _ => FailureKind::GlobalFailure,
        }
    }
}

/// Why a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// We hung up (BYE sent).
    LocalHangup,
    /// The peer sent BYE; its Reason header (RFC 3326), if any.
    RemoteHangup {
        /// `SIP;cause=...;text=...` or `Q.850;cause=16`.
        reason: Option<String>,
    },
    /// We cancelled our INVITE (or rejected the incoming one).
    LocalCancel,
    /// The caller cancelled before we answered; its Reason, if any.
    RemoteCancel {
        /// The CANCEL's Reason header.
        reason: Option<String>,
    },
    /// Our INVITE got a final failure.
    Rejected {
        /// What the code means.
        kind: FailureKind,
        /// Status code.
        code: u16,
        /// Reason phrase.
        phrase: String,
        /// The response's Reason header, if any.
        reason: Option<String>,
    },
    /// No final response to our INVITE (Timer B).
    Timeout,
    /// The request could not be sent.
    Transport(String),
    /// Our 2xx was never acknowledged (64·T1).
    NoAck,
    /// The session timer expired without refresh (RFC 4028).
    SessionExpired,
    /// Replaced by another call (RFC 3891).
    Replaced,
    /// The dialog vanished at the peer (481 or 408 to a mid-call request).
    DialogLost(u16),
}

/// How the peer's offer reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferVia {
    /// A re-INVITE.
    ReInvite,
    /// An UPDATE (RFC 3311).
    Update,
}

/// What the user agent reports.
#[derive(Debug, Clone)]
pub enum UaEvent {
    /// A registration changed state.
    Registration {
        /// Which one.
        id: RegistrationId,
        /// Its new state.
        state: RegistrationState,
    },
    /// A new incoming call: ring, answer or reject it.
    IncomingCall {
        /// The call.
        call: CallKey,
        /// Identity and offer.
        info: Box<IncomingCall>,
    },
    /// Our INVITE got a provisional response (early media when it
    /// carries SDP).
    Progress {
        /// The call.
        call: CallKey,
        /// 180, 183, ...
        code: u16,
        /// The early answer.
        sdp: Option<Bytes>,
    },
    /// A reliable provisional response (RFC 3262) to our INVITE, which
    /// carried no offer, brought the peer's offer (RFC 6337 §2.2, pattern
    /// 4). Answer it with [`Ua::prack_answer`](crate::ua::Ua::prack_answer):
    /// the answer goes in the PRACK. This offer and that answer govern
    /// the early media and, unless an UPDATE or re-INVITE changes them,
    /// the call after the 2xx (whose [`UaEvent::Answered`] then carries no
    /// SDP). Reported instead of [`UaEvent::Progress`] for that response.
    EarlyOffer {
        /// The call.
        call: CallKey,
        /// 183, 180, ...
        code: u16,
        /// The peer's offer.
        sdp: Bytes,
    },
    /// Our INVITE was answered. When we sent no offer and no
    /// [`UaEvent::EarlyOffer`] was answered, `sdp` is the peer's offer:
    /// answer it with [`Ua::ack_answer`](crate::ua::Ua::ack_answer). After
    /// an answered early offer it is `None` (the session was negotiated).
    Answered {
        /// The call.
        call: CallKey,
        /// The 2xx's SDP.
        sdp: Option<Bytes>,
    },
    /// The ACK for our 2xx arrived; `sdp` is the answer when the INVITE
    /// had no offer (delayed offer).
    Confirmed {
        /// The call.
        call: CallKey,
        /// The ACK's SDP.
        sdp: Option<Bytes>,
    },
    /// The peer sent a new offer (hold, resume, codec change) or asks for
    /// one (`sdp` is `None`): reply with
    /// [`Ua::respond_offer`](crate::ua::Ua::respond_offer).
    OfferReceived {
        /// The call.
        call: CallKey,
        /// The offer.
        sdp: Option<Bytes>,
        /// re-INVITE or UPDATE.
        via: OfferVia,
    },
    /// The answer to our re-INVITE or UPDATE (or the peer's answer in an
    /// ACK or PRACK): the media must follow it.
    MediaUpdate {
        /// The call.
        call: CallKey,
        /// The SDP.
        sdp: Bytes,
    },
    /// A DTMF digit arrived in an INFO.
    Dtmf {
        /// The call.
        call: CallKey,
        /// `0-9`, `*`, `#`, `A-D`, or `F` for flash.
        digit: char,
        /// Duration in milliseconds, if given.
        duration_ms: Option<u32>,
    },
    /// The peer asks us to transfer (REFER): accept with
    /// [`Ua::accept_transfer`](crate::ua::Ua::accept_transfer) or reject.
    TransferRequested {
        /// The call the REFER came in.
        call: CallKey,
        /// The Refer-To URI (without its embedded headers).
        target: String,
        /// The embedded Replaces (attended transfer).
        replaces: Option<ReplacesParams>,
        /// Referred-By.
        referred_by: Option<String>,
    },
    /// Progress of a transfer we asked for (NOTIFY `message/sipfrag`, or
    /// the REFER's own response).
    TransferProgress {
        /// The call we sent REFER in.
        call: CallKey,
        /// The status line's code (100, 180, 200, 486, ...), or the
        /// REFER's failure code.
        status: u16,
        /// No more progress will follow.
        done: bool,
    },
    /// The call ended.
    Terminated {
        /// The call.
        call: CallKey,
        /// Why.
        reason: EndReason,
    },
}

/// The first Reason header of a message, as written.
pub(crate) fn reason_of(msg: &Message) -> Option<String> {
    msg.get::<Reason>().and_then(Result::ok).map(|_| {
        msg.header_values(heron_sip::HeaderName::Reason)
            .next()
            .unwrap_or("")
            .to_owned()
    })
}
