//! Client transactions: INVITE (§17.1.1 with RFC 6026's Accepted state)
//! and non-INVITE (§17.1.2).

use super::{ClientPart, Kind, State, Transaction};
use crate::core::Core;
use crate::timer::Timer;
use crate::types::{ClientKey, Event, Source, TransportError};
use heron_sip::{HeaderName, Message, Method};
use std::time::Instant;

/// What the endpoint must do after a client transaction handled an input.
#[derive(Debug)]
pub(crate) enum Next {
    Nothing,
    /// Try the next target (RFC 3263 §4.3); the failure was not reported.
    Failover,
    /// A provisional response arrived: send the waiting CANCEL.
    SendCancel(u64),
    /// A final response arrived first: the waiting CANCEL is moot.
    DropCancel(u64),
}

/// Sends the request for the first time and arms the timers.
pub(crate) fn start(
    tx: &mut Transaction,
    core: &mut Core,
    now: Instant,
) -> Result<(), TransportError> {
    let t = core.cfg.timers;
    core.send(&mut tx.route, tx.wire.clone())?;
    let (retransmit, timeout) = match tx.kind {
        Kind::ClientInvite => (Timer::A, Timer::B),
        _ => (Timer::E, Timer::F),
    };
    if !tx.reliable() {
        tx.interval = t.t1;
        tx.arm(core, retransmit, now, t.t1);
    }
    tx.arm(core, timeout, now, t.t1x64());
    Ok(())
}

fn has_more_targets(tx: &Transaction) -> bool {
    tx.client_part().is_some_and(|c| !c.targets.is_empty())
}

fn take_pending_cancel(tx: &mut Transaction) -> Option<u64> {
    tx.client_mut().and_then(|c| c.pending_cancel.take())
}

/// A response matched this transaction.
pub(crate) fn on_response(
    tx: &mut Transaction,
    core: &mut Core,
    now: Instant,
    resp: Message,
    source: Source,
) -> Next {
    let code = resp.status().unwrap_or(0);
    let key = ClientKey(tx.user());
    match (tx.kind, tx.state) {
        (Kind::ClientInvite, State::Calling | State::Proceeding) => {
            tx.timers.stop(Timer::A);
            tx.timers.stop(Timer::B);
            if code < 200 {
                tx.state = State::Proceeding;
                tx.provisional = true;
                tx.event(
                    core,
                    Event::Response {
                        key,
                        response: resp,
                        source,
                    },
                );
                return match take_pending_cancel(tx) {
                    Some(c) => Next::SendCancel(c),
                    None => Next::Nothing,
                };
            }
            let cancel = take_pending_cancel(tx);
            if code < 300 {
                tx.state = State::Accepted;
                tx.arm(core, Timer::M, now, core.cfg.timers.t1x64());
                tx.event(
                    core,
                    Event::Response {
                        key,
                        response: resp,
                        source,
                    },
                );
            } else {
                let ack = build_ack(tx, &resp);
                if let Some(c) = tx.client_mut() {
                    c.ack = Some(ack.clone());
                }
                tx.send(core, ack);
                tx.state = State::Completed;
                tx.linger(core, Timer::D, now, core.cfg.timers.d);
                if code == 503 && has_more_targets(tx) {
                    return Next::Failover;
                }
                tx.event(
                    core,
                    Event::Response {
                        key,
                        response: resp,
                        source,
                    },
                );
            }
            match cancel {
                Some(c) => Next::DropCancel(c),
                None => Next::Nothing,
            }
        }
        (Kind::ClientInvite, State::Accepted) if (200..300).contains(&code) => {
            tx.event(
                core,
                Event::Response {
                    key,
                    response: resp,
                    source,
                },
            );
            Next::Nothing
        }
        (Kind::ClientInvite, State::Completed) if code >= 300 => {
            if let Some(ack) = tx.client_part().and_then(|c| c.ack.clone()) {
                tx.send(core, ack);
            }
            Next::Nothing
        }
        (Kind::ClientNonInvite, State::Trying | State::Proceeding) => {
            if code < 200 {
                tx.state = State::Proceeding;
                tx.provisional = true;
                tx.event(
                    core,
                    Event::Response {
                        key,
                        response: resp,
                        source,
                    },
                );
                return Next::Nothing;
            }
            tx.timers.stop(Timer::E);
            tx.timers.stop(Timer::F);
            tx.state = State::Completed;
            tx.linger(core, Timer::K, now, core.cfg.timers.t4);
            if code == 503 && has_more_targets(tx) {
                return Next::Failover;
            }
            // Completed only absorbs response retransmissions (Timer K):
            // the request and its bytes are not needed any more, so a
            // burst of lingering transactions holds little memory.
            tx.wire = bytes::Bytes::new();
            if let Some(c) = tx.client_mut() {
                c.request = None;
            }
            tx.event(
                core,
                Event::Response {
                    key,
                    response: resp,
                    source,
                },
            );
            Next::Nothing
        }
        _ => Next::Nothing,
    }
}

/// A timer fired (already checked as due and disarmed).
pub(crate) fn on_timer(tx: &mut Transaction, core: &mut Core, now: Instant, timer: Timer) {
    let t = core.cfg.timers;
    match timer {
        Timer::A if tx.state == State::Calling => {
            tx.send(core, tx.wire.clone());
            tx.interval *= 2;
            tx.arm(core, Timer::A, now, tx.interval);
        }
        Timer::E if matches!(tx.state, State::Trying | State::Proceeding) => {
            tx.send(core, tx.wire.clone());
            tx.interval = if tx.state == State::Proceeding {
                t.t2
            } else {
                (tx.interval * 2).min(t.t2)
            };
            tx.arm(core, Timer::E, now, tx.interval);
        }
        Timer::B | Timer::F => {
            // The endpoint turns this into failover or a Timeout event.
            tx.terminate();
            tx.timed_out = true;
        }
        Timer::D | Timer::K | Timer::M => tx.terminate(),
        _ => {}
    }
}

/// The transport failed under a transaction. True when it had no final
/// response yet, so the failure matters (failover or report).
pub(crate) fn transport_failed(tx: &mut Transaction) -> bool {
    let pending = matches!(tx.state, State::Calling | State::Trying | State::Proceeding);
    tx.terminate();
    pending
}

/// The ACK for a non-2xx final response (§17.1.1.3).
fn build_ack(tx: &Transaction, resp: &Message) -> bytes::Bytes {
    let Some((c, req)) = tx
        .client_part()
        .and_then(|c| c.request.as_ref().map(|r| (c, r)))
    else {
        return bytes::Bytes::new();
    };
    let mut ack = Message::request(Method::Ack, req.request_uri_str().unwrap_or(""));
    ack.append_header(HeaderName::Via, &c.via);
    for h in req.headers() {
        match h.name {
            HeaderName::Route | HeaderName::From | HeaderName::CallId => {
                ack.append_header(h.name, h.value)
            }
            _ => {}
        }
    }
    if let Some(to) = resp.header_values(HeaderName::To).next() {
        ack.append_header(HeaderName::To, to);
    }
    let seq = req.cseq().map(|c| c.seq).unwrap_or(0);
    ack.append_header(HeaderName::CSeq, &format!("{seq} ACK"));
    ack.append_header(HeaderName::MaxForwards, "70");
    ack.to_bytes()
}

/// The CANCEL for an INVITE (§9.1): same Request-URI, Call-ID, From, To,
/// CSeq number, top Via and Route.
pub(crate) fn build_cancel(invite: &ClientPart) -> Message {
    let Some(req) = &invite.request else {
        // An INVITE keeps its request for as long as it lives.
        return Message::request(Method::Cancel, "");
    };
    let mut c = Message::request(Method::Cancel, req.request_uri_str().unwrap_or(""));
    for h in req.headers() {
        match h.name {
            HeaderName::Route
            | HeaderName::From
            | HeaderName::To
            | HeaderName::CallId
            | HeaderName::MaxForwards => c.append_header(h.name, h.value),
            _ => {}
        }
    }
    let seq = req.cseq().map(|c| c.seq).unwrap_or(0);
    c.append_header(HeaderName::CSeq, &format!("{seq} CANCEL"));
    c
}
