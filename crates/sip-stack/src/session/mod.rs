//! INVITE sessions (RFC 3261 §13–§15): the state of one call, incoming
//! (`uas`) and outgoing (`uac`), what happens inside its dialog
//! (`mid`: re-INVITE, UPDATE, BYE, INFO, REFER, NOTIFY, PRACK),
//! session timers ([`timer`], RFC 4028) and INFO DTMF ([`info`]).
//! The methods live on [`Ua`](crate::ua::Ua).

mod control;
pub mod info;
mod mid;
pub mod timer;
mod uac;
mod uas;

use crate::dialog::Dialog;
use crate::types::{ClientKey, ServerKey, Target};
use crate::ua::EndReason;
use bytes::Bytes;
use heron_sip::{HeaderName, Message};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

pub use timer::SessionTimer;
pub use uac::OutgoingCall;

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallState {
    /// Outgoing: INVITE sent, no final response.
    Calling,
    /// Outgoing: CANCEL sent or waiting for a provisional to send it.
    Cancelling,
    /// Incoming: reported, not answered.
    Incoming,
    /// Incoming: 2xx sent, waiting for the ACK.
    Answered,
    /// ACK sent or received.
    Confirmed,
    /// BYE sent; waiting for its response.
    Ending,
}

/// The call's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CallTimer {
    /// Retransmit our 2xx (Timer G's doubling, capped at T2).
    Retransmit2xx,
    /// Give up on the ACK (64·T1) and send BYE.
    AckTimeout,
    /// Retransmit the unacknowledged reliable provisional.
    Retransmit1xx,
    /// Give up on the PRACK (64·T1) and reject the INVITE with 504.
    PrackTimeout,
    /// Send a session refresh.
    SessionRefresh,
    /// The session expires without refresh.
    SessionExpiry,
    /// Retry our re-INVITE after a 491 (§14.1).
    Glare,
}

/// A reliable provisional response waiting for its PRACK (RFC 3262).
#[derive(Debug, Clone)]
pub(crate) struct Reliable {
    pub(crate) response: Message,
    pub(crate) rseq: u32,
    pub(crate) interval: Duration,
    /// It carried our offer: the PRACK carries the answer.
    pub(crate) offer: bool,
}

/// Outgoing: the peer's offer in a reliable provisional of one early
/// dialog, when our INVITE carried none (RFC 3262 §5, RFC 6337 §2.2
/// pattern 4), and our answer once the application gave it.
#[derive(Debug, Clone)]
pub(crate) struct EarlyOffer {
    pub(crate) remote: Bytes,
    pub(crate) local: Option<Bytes>,
}

/// Outgoing: a PRACK not sent yet because the reliable provisional it
/// acknowledges carried an offer the application has not answered (or
/// an earlier one of the same dialog is still waiting).
#[derive(Debug, Clone)]
pub(crate) struct HeldPrack {
    pub(crate) tag: String,
    pub(crate) rseq: u32,
    pub(crate) invite_seq: u32,
    /// This provisional carried the offer: the PRACK carries the answer.
    pub(crate) offer: bool,
}

/// A REFER we received (RFC 3515).
#[derive(Debug)]
pub(crate) struct ReferIn {
    /// Its transaction while unanswered.
    pub(crate) key: Option<ServerKey>,
    /// The REFER.
    pub(crate) request: Message,
    /// NOTIFYs are wanted (no `Refer-Sub: false`, RFC 4488).
    pub(crate) subscription: bool,
}

/// One call.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) outgoing: bool,
    pub(crate) state: CallState,
    /// The dialog (early or confirmed).
    pub(crate) dialog: Option<Dialog>,
    /// Outgoing: early dialogs of other forks, by remote tag.
    pub(crate) forks: HashMap<String, Dialog>,
    /// Outgoing: the INVITE as built (without Via). Incoming: as received.
    pub(crate) invite: Message,
    /// Its key in the user agent's dialog table (Call-ID, our tag).
    pub(crate) dialog_key: Option<(String, String)>,
    pub(crate) invite_client: Option<ClientKey>,
    pub(crate) invite_server: Option<ServerKey>,
    /// Where the initial request went or came from.
    pub(crate) peer: Option<Target>,
    pub(crate) local_sdp: Option<Bytes>,
    pub(crate) remote_sdp: Option<Bytes>,
    /// The INVITE carried an offer.
    pub(crate) offer_in_invite: bool,
    /// The 2xx (to the INVITE or a re-INVITE) retransmitted until its ACK.
    pub(crate) final_2xx: Option<(ServerKey, Message)>,
    pub(crate) retransmit_interval: Duration,
    /// Incoming: reliable provisionals (RFC 3262).
    pub(crate) reliable: bool,
    pub(crate) next_rseq: u32,
    pub(crate) unacked: Option<Reliable>,
    pub(crate) queued_1xx: Vec<(Message, bool)>,
    /// A 2xx held back until the PRACK arrives.
    pub(crate) deferred_2xx: Option<Message>,
    /// Outgoing: the ACK sent per remote tag (repeated on 2xx
    /// retransmissions), and the last RSeq acknowledged per remote tag.
    pub(crate) acks: HashMap<String, Message>,
    pub(crate) rseqs: HashMap<String, u32>,
    /// Outgoing: a 2xx with an offer waits for the application's answer.
    pub(crate) ack_pending: Option<u32>,
    /// Outgoing: offers that came in reliable provisionals, by remote tag.
    pub(crate) early_offers: HashMap<String, EarlyOffer>,
    /// Outgoing: PRACKs held until the application answers an early offer.
    pub(crate) held_pracks: VecDeque<HeldPrack>,
    /// Incoming: our offer went in a reliable provisional (the INVITE had
    /// none); the answer comes in the PRACK and the 2xx carries no SDP.
    pub(crate) offer_in_1xx: bool,
    /// Digest state for challenged requests.
    pub(crate) digest: Option<heron_sip_auth::DigestClient>,
    pub(crate) answers: Vec<heron_sip_auth::Answer>,
    pub(crate) auth_rounds: u32,
    /// Session-Expires to ask for (raised by 422).
    pub(crate) se_request: Option<u32>,
    pub(crate) min_se: u32,
    pub(crate) session_timer: Option<SessionTimer>,
    /// The peer allows UPDATE.
    pub(crate) peer_update: bool,
    /// The peer's offer in a re-INVITE or UPDATE waiting for our answer.
    pub(crate) offer_in: Option<(ServerKey, Message)>,
    /// Our re-INVITE or UPDATE in progress, and the offer to retry on 491.
    pub(crate) offer_out: Option<ClientKey>,
    pub(crate) glare_retry: Option<(heron_sip::Method, Bytes)>,
    /// A REFER we received.
    pub(crate) refer_in: Option<ReferIn>,
    /// The call that asked us to place this one (REFER), whose
    /// subscription gets our progress.
    pub(crate) referred_by_call: Option<u64>,
    /// The call this one replaces (RFC 3891).
    pub(crate) replaces: Option<u64>,
    /// Our REFER is in progress.
    pub(crate) refer_out: bool,
    pub(crate) timers: HashMap<CallTimer, u64>,
    pub(crate) end: Option<EndReason>,
}

impl Call {
    pub(crate) fn new(outgoing: bool, invite: Message) -> Call {
        Call {
            outgoing,
            state: if outgoing {
                CallState::Calling
            } else {
                CallState::Incoming
            },
            dialog: None,
            forks: HashMap::new(),
            invite,
            dialog_key: None,
            invite_client: None,
            invite_server: None,
            peer: None,
            local_sdp: None,
            remote_sdp: None,
            offer_in_invite: false,
            final_2xx: None,
            retransmit_interval: Duration::ZERO,
            reliable: false,
            next_rseq: 1,
            unacked: None,
            queued_1xx: Vec::new(),
            deferred_2xx: None,
            acks: HashMap::new(),
            rseqs: HashMap::new(),
            ack_pending: None,
            early_offers: HashMap::new(),
            held_pracks: VecDeque::new(),
            offer_in_1xx: false,
            digest: None,
            answers: Vec::new(),
            auth_rounds: 0,
            se_request: None,
            min_se: 90,
            session_timer: None,
            peer_update: false,
            offer_in: None,
            offer_out: None,
            glare_retry: None,
            refer_in: None,
            referred_by_call: None,
            replaces: None,
            refer_out: false,
            timers: HashMap::new(),
            end: None,
        }
    }
}

/// The SDP body of a message, if it has one.
pub(crate) fn sdp_body(msg: &Message) -> Option<Bytes> {
    let is_sdp = msg
        .content_type()
        .and_then(Result::ok)
        .is_some_and(|t| t.is("application", "sdp"));
    (is_sdp && !msg.body().is_empty()).then(|| msg.body().clone())
}

/// Whether a comma-separated list header (Supported, Require, Allow)
/// holds `token`.
pub(crate) fn lists(msg: &Message, name: HeaderName, token: &str) -> bool {
    msg.header_values(name)
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The `o=` line of an SDP body (its version tells a refresh from a new
/// offer, RFC 3264 §8).
pub(crate) fn origin_line(sdp: &[u8]) -> Option<&[u8]> {
    sdp.split(|b| *b == b'\n')
        .find(|l| l.starts_with(b"o="))
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}
