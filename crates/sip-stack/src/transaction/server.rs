//! Server transactions: INVITE (§17.2.1 with RFC 6026's Accepted state)
//! and non-INVITE (§17.2.2).

use super::{Kind, State, Transaction};
use crate::core::Core;
use crate::error::Error;
use crate::timer::Timer;
use crate::types::{Event, Source};
use bytes::Bytes;
use heron_sip::{Message, Method};
use std::time::Instant;

/// A new server transaction: arms the 100 Trying timer for INVITE.
pub(crate) fn start(tx: &mut Transaction, core: &mut Core, now: Instant) {
    if tx.kind == Kind::ServerInvite {
        let wait = core.cfg.timers.trying;
        if wait.is_zero() {
            send_trying(tx, core);
        } else {
            tx.arm(core, Timer::Trying, now, wait);
        }
    }
}

fn send_trying(tx: &mut Transaction, core: &mut Core) {
    let Some(req) = tx.server_part().and_then(|s| s.request.as_deref()) else {
        return;
    };
    tx.wire = Message::response_to(req, 100, None).to_bytes();
    tx.last_status = 100;
    tx.send(core, tx.wire.clone());
}

/// A retransmitted request (or the ACK) matched this transaction.
pub(crate) fn on_request(
    tx: &mut Transaction,
    core: &mut Core,
    now: Instant,
    req: Message,
    source: Source,
) {
    let is_ack = req.method() == Some(&Method::Ack);
    match (tx.kind, tx.state, is_ack) {
        (Kind::ServerInvite, State::Completed, true) => {
            tx.timers.stop(Timer::G);
            tx.timers.stop(Timer::H);
            tx.state = State::Confirmed;
            tx.linger(core, Timer::I, now, core.cfg.timers.t4);
        }
        (Kind::ServerInvite, State::Accepted, true) => {
            core.events.push_back(Event::Ack {
                request: req,
                source,
            });
        }
        (Kind::ServerInvite, State::Proceeding | State::Completed, false)
        | (Kind::ServerNonInvite, State::Proceeding | State::Completed, false)
            if !tx.wire.is_empty() =>
        {
            tx.send(core, tx.wire.clone());
        }
        _ => {}
    }
}

/// The user (or the endpoint's own checks) answers.
pub(crate) fn respond(
    tx: &mut Transaction,
    core: &mut Core,
    now: Instant,
    resp: &Message,
) -> Result<(), Error> {
    let code = resp.status().ok_or(Error::NotAResponse)?;
    if !(100..700).contains(&code) {
        return Err(Error::NotAResponse);
    }
    let t = core.cfg.timers;
    let state = tx.state;
    let ok = match (tx.kind, state) {
        (Kind::ServerInvite, State::Proceeding) => true,
        (Kind::ServerInvite, State::Accepted) => (200..300).contains(&code),
        (Kind::ServerNonInvite, State::Trying | State::Proceeding) => true,
        _ => false,
    };
    if !ok {
        return Err(Error::WrongState(state));
    }
    let kind = tx.kind;
    if let Some(part) = tx.server_mut() {
        // Only an RFC 2543 INVITE needs the To tag (its ACK is matched
        // by it); the request was kept for our own 100 Trying.
        if let (Kind::ServerInvite, Some(r)) = (kind, part.rfc2543.as_mut()) {
            if let Some(tag) = resp.to_header().ok().and_then(|t| t.tag()) {
                if r.to_tag.as_deref() != Some(tag) {
                    r.to_tag = Some(tag.into());
                }
            }
        }
        part.request = None;
    }
    let wire = resp.to_bytes();
    tx.last_status = code;
    tx.timers.stop(Timer::Trying);
    tx.send(core, wire.clone());
    // RFC 6026: in Accepted the user retransmits its 2xx and the
    // transaction only absorbs INVITE retransmissions, so it keeps no
    // copy; otherwise the bytes are all a retransmission needs.
    tx.wire = if tx.kind == Kind::ServerInvite && (200..300).contains(&code) {
        Bytes::new()
    } else {
        wire
    };
    match tx.kind {
        Kind::ServerInvite if code < 200 => {}
        Kind::ServerInvite if code < 300 => {
            if state == State::Proceeding {
                tx.state = State::Accepted;
                tx.arm(core, Timer::L, now, t.t1x64());
            }
        }
        Kind::ServerInvite => {
            tx.state = State::Completed;
            if !tx.reliable() {
                tx.interval = t.t1;
                tx.arm(core, Timer::G, now, t.t1);
            }
            tx.arm(core, Timer::H, now, t.t1x64());
        }
        _ if code < 200 => tx.state = State::Proceeding,
        _ => {
            tx.state = State::Completed;
            tx.linger(core, Timer::J, now, t.t1x64());
        }
    }
    Ok(())
}

/// A timer fired (already checked as due and disarmed).
pub(crate) fn on_timer(tx: &mut Transaction, core: &mut Core, now: Instant, timer: Timer) {
    match timer {
        Timer::Trying if tx.state == State::Proceeding && tx.last_status == 0 => {
            send_trying(tx, core);
        }
        Timer::G if tx.state == State::Completed => {
            tx.send(core, tx.wire.clone());
            tx.interval = (tx.interval * 2).min(core.cfg.timers.t2);
            tx.arm(core, Timer::G, now, tx.interval);
        }
        Timer::H | Timer::I | Timer::J | Timer::L => tx.terminate(),
        _ => {}
    }
}
