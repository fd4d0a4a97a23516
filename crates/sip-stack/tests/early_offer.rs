//! Offers in reliable provisional responses (RFC 3262 §5, RFC 6337 §2.2
//! pattern 4) in virtual time: our INVITE without SDP gets the peer's
//! offer in a reliable 183 and our answer goes in the PRACK; as the
//! callee of such an INVITE we offer in the 183 and take the answer from
//! the PRACK. With loss of the 183 and of the PRACK, a slow application,
//! a peer that sends its 2xx too early or repeats the SDP in it, and the
//! early-media session usable before the 200.

#[path = "common/uasim.rs"]
mod uasim;

use bytes::Bytes;
use heron_sip::{HeaderName, Message, Method};
use heron_sip_stack::ua::{CallKey, EndReason, PrackMode, UaConfig, UaError, UaEvent};
use heron_sip_stack::{Endpoint, Event, ServerKey};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};
use uasim::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn has(w: &World, i: usize, f: impl Fn(&UaEvent) -> bool) -> bool {
    w.peers[i].events.iter().any(|(_, e)| f(e))
}

fn count(w: &World, i: usize, f: impl Fn(&UaEvent) -> bool) -> usize {
    w.peers[i].events.iter().filter(|(_, e)| f(e)).count()
}

fn call(w: &mut World, from: usize, to: usize, offer: Option<Bytes>) -> CallKey {
    let target = uri(to, &format!("u{to}"));
    w.with(from, |u, ep, now| u.call(ep, now, &target, offer).unwrap())
}

/// Datagrams sent from `i` whose first line starts with `prefix`.
fn wires(w: &World, i: usize, prefix: &str) -> Vec<Wire> {
    let a = w.peers[i].addr;
    w.log
        .iter()
        .filter(|x| x.from == a && x.first_line().starts_with(prefix))
        .cloned()
        .collect()
}

fn body(m: &Message) -> Option<Bytes> {
    (!m.body().is_empty()).then(|| m.body().clone())
}

fn no_leaks(w: &mut World) {
    w.run_for(secs(300));
    for p in &w.peers {
        if let Some(ua) = &p.ua {
            assert_eq!(ua.state_size(), 0, "state left at {}", p.addr);
        }
        assert_eq!(p.ep.transaction_count(), 0, "transactions at {}", p.addr);
    }
}

/// The callee: offers `sdp("early-offer")` in a reliable 183 to an INVITE
/// without SDP and answers at once (the 200 waits for the PRACK).
fn offer_in_183(w: &mut World, i: usize) {
    w.peers[i].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::IncomingCall { call, info } = e {
            assert!(info.offer.is_none());
            assert!(ua.reliable_provisionals(*call));
            ua.ring(ep, now, *call, Some(sdp("early-offer"))).unwrap();
            ua.answer(ep, now, *call, Some(sdp("ignored"))).unwrap();
        }
    }));
}

/// The caller: answers every early offer at once, checking it is the
/// callee's.
fn answer_early_offer(w: &mut World, i: usize) {
    w.peers[i].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::EarlyOffer { call, code, sdp: o } = e {
            assert_eq!(*code, 183);
            assert_eq!(o, &sdp("early-offer"));
            ua.prack_answer(ep, now, *call, sdp("answer-in-prack"))
                .unwrap();
        }
    }));
}

/// The 200 responses to INVITE sent by `i`, in order.
fn invite_oks(w: &World, i: usize) -> Vec<(Duration, Message)> {
    wires(w, i, "SIP/2.0 200")
        .into_iter()
        .map(|x| (x.at, x.message()))
        .filter(|(_, m)| m.cseq().is_ok_and(|c| c.method == "INVITE"))
        .collect()
}

/// Both sides hold the early offer/answer as their session: a re-INVITE
/// repeating the current SDP (same o= version, a refresh per RFC 3264
/// §8) is answered from it without asking the application.
fn session_is_the_early_one(w: &mut World, a: usize, b: usize, c: CallKey, kb: CallKey) {
    let before = invite_oks(w, a).len();
    w.with(b, |u, ep, now| {
        u.reinvite(ep, now, kb, sdp("early-offer")).unwrap()
    });
    w.run_for(secs(3));
    let oks = invite_oks(w, a);
    assert_eq!(oks.len(), before + 1, "one 200 from the caller");
    assert_eq!(body(&oks[before].1), Some(sdp("answer-in-prack")));
    assert!(!has(w, a, |e| matches!(e, UaEvent::OfferReceived { .. })));
    let before = invite_oks(w, b).len();
    w.with(a, |u, ep, now| {
        u.reinvite(ep, now, c, sdp("answer-in-prack")).unwrap()
    });
    w.run_for(secs(3));
    let oks = invite_oks(w, b);
    assert_eq!(body(&oks[before].1), Some(sdp("early-offer")));
    assert!(!has(w, b, |e| matches!(e, UaEvent::OfferReceived { .. })));
}

fn incoming(w: &World, i: usize) -> CallKey {
    w.peers[i]
        .events
        .iter()
        .find_map(|(_, e)| match e {
            UaEvent::IncomingCall { call, .. } => Some(*call),
            _ => None,
        })
        .unwrap()
}

fn hang_up(w: &mut World, a: usize, b: usize, c: CallKey) {
    w.with(a, |u, ep, now| u.hangup(ep, now, c).unwrap());
    w.run_for(secs(5));
    assert!(has(w, b, |e| matches!(
        e,
        UaEvent::Terminated {
            reason: EndReason::RemoteHangup { .. },
            ..
        }
    )));
    no_leaks(w);
}

#[test]
fn offer_in_reliable_183_answer_in_prack_with_183_and_prack_lost() {
    let mut w = World::new(31);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    offer_in_183(&mut w, b);
    answer_early_offer(&mut w, a);
    // Lose the first 183 and the first two PRACKs.
    let (mut n183, mut nprack) = (0, 0);
    w.drop = Some(Box::new(move |x| {
        let l = x.first_line();
        if l.starts_with("SIP/2.0 183") && n183 < 1 {
            n183 += 1;
            return true;
        }
        if l.starts_with("PRACK ") && nprack < 2 {
            nprack += 1;
            return true;
        }
        false
    }));
    let c = call(&mut w, a, b, None);
    w.run_for(secs(10));

    // The 183 was retransmitted (first copy lost), reliably, with the offer.
    let r183 = wires(&w, b, "SIP/2.0 183");
    assert!(r183.len() >= 2, "{}", r183.len());
    let m = r183[0].message();
    assert!(m
        .header_values(HeaderName::Require)
        .any(|v| v.contains("100rel")));
    assert_eq!(body(&m), Some(sdp("early-offer")));
    // One EarlyOffer however often the 183 came; no Progress for it.
    assert_eq!(count(&w, a, |e| matches!(e, UaEvent::EarlyOffer { .. })), 1);
    assert!(!has(&w, a, |e| matches!(
        e,
        UaEvent::Progress { code: 183, .. }
    )));
    // The PRACK (retransmitted by its transaction) carries the answer.
    let pracks = wires(&w, a, "PRACK ");
    assert!(pracks.len() >= 3, "{}", pracks.len());
    for p in &pracks {
        let m = p.message();
        assert_eq!(body(&m), Some(sdp("answer-in-prack")));
        assert!(m
            .header_values(HeaderName::RAck)
            .next()
            .unwrap()
            .starts_with("1 "));
    }
    // The callee got the answer from the PRACK.
    assert!(has(
        &w,
        b,
        |e| matches!(e, UaEvent::MediaUpdate { sdp: s, .. } if s == &sdp("answer-in-prack"))
    ));
    // Its 200 waited for the PRACK and carries no SDP (RFC 6337 §3.1.2).
    let ok = invite_oks(&w, b);
    let prack_ok = w.sent_responses(b, 200, "PRACK")[0];
    assert!(ok[0].0 >= prack_ok);
    assert!(ok.iter().all(|(_, m)| m.body().is_empty()));
    // Answered without SDP (already negotiated); the ACK has none either.
    assert!(has(
        &w,
        a,
        |e| matches!(e, UaEvent::Answered { call, sdp: None } if *call == c)
    ));
    let acks = wires(&w, a, "ACK ");
    assert!(!acks.is_empty());
    assert!(acks.iter().all(|x| x.message().body().is_empty()));
    assert!(has(&w, b, |e| matches!(
        e,
        UaEvent::Confirmed { sdp: None, .. }
    )));

    let kb = incoming(&w, b);
    session_is_the_early_one(&mut w, a, b, c, kb);
    hang_up(&mut w, a, b, c);
}
#[test]
fn slow_answer_to_the_early_offer_holds_the_prack_and_the_200() {
    let mut w = World::new(32);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    offer_in_183(&mut w, b);
    // The caller's application does not answer by itself.
    w.peers[a].actor = None;
    let c = call(&mut w, a, b, None);
    w.run_for(secs(3));
    // 183 retransmitted meanwhile; no PRACK yet, no 200 yet.
    assert!(wires(&w, b, "SIP/2.0 183").len() >= 3);
    assert!(w.sent(a, "PRACK").is_empty());
    assert!(w.sent_responses(b, 200, "INVITE").is_empty());
    assert_eq!(count(&w, a, |e| matches!(e, UaEvent::EarlyOffer { .. })), 1);
    // No other offer may start while the early one waits for its answer.
    let busy = w.with(a, |u, ep, now| u.update(ep, now, c, sdp("x")));
    assert!(matches!(busy, Err(UaError::State(_))), "{busy:?}");
    // Nor on the callee's side while its offer waits for the PRACK.
    let kb = incoming(&w, b);
    let busy = w.with(b, |u, ep, now| u.update(ep, now, kb, sdp("y")));
    assert!(matches!(busy, Err(UaError::State(_))), "{busy:?}");
    w.with(a, |u, ep, now| {
        u.prack_answer(ep, now, c, sdp("answer-in-prack")).unwrap()
    });
    // A second answer has nothing to answer.
    let again = w.with(a, |u, ep, now| {
        u.prack_answer(ep, now, c, sdp("answer-in-prack"))
    });
    assert!(matches!(again, Err(UaError::State(_))), "{again:?}");
    w.run_for(secs(3));
    assert_eq!(w.sent(a, "PRACK").len(), 1);
    assert!(has(&w, a, |e| matches!(
        e,
        UaEvent::Answered { sdp: None, .. }
    )));
    assert!(has(&w, b, |e| matches!(e, UaEvent::Confirmed { .. })));
    session_is_the_early_one(&mut w, a, b, c, kb);
    hang_up(&mut w, a, b, c);
}

#[test]
fn an_offer_in_a_provisional_needs_100rel_else_it_goes_in_the_200() {
    let mut w = World::new(33);
    let a = w.add_ua(None);
    let mut cfg = UaConfig::new(uri(1, "u1"));
    cfg.prack = PrackMode::Off;
    let b = w.add_ua(Some(cfg));
    w.peers[b].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::IncomingCall { call, .. } = e {
            assert!(!ua.reliable_provisionals(*call));
            let r = ua.ring(ep, now, *call, Some(sdp("early-offer")));
            assert!(matches!(r, Err(UaError::State(_))), "{r:?}");
            ua.ring(ep, now, *call, None).unwrap();
            ua.answer(ep, now, *call, Some(sdp("offer-in-200")))
                .unwrap();
        }
    }));
    w.peers[a].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::Answered { call, sdp: Some(o) } = e {
            assert_eq!(o, &sdp("offer-in-200"));
            ua.ack_answer(ep, now, *call, sdp("answer-in-ack")).unwrap();
        }
    }));
    let c = call(&mut w, a, b, None);
    w.run_for(secs(5));
    assert!(wires(&w, b, "SIP/2.0 183").is_empty());
    assert!(w.sent(a, "PRACK").is_empty());
    assert!(!has(&w, a, |e| matches!(e, UaEvent::EarlyOffer { .. })));
    assert!(has(
        &w,
        b,
        |e| matches!(e, UaEvent::Confirmed { sdp: Some(s), .. } if s == &sdp("answer-in-ack"))
    ));
    hang_up(&mut w, a, b, c);
}

/// What a scripted peer received: method and body, in order.
type Received = Rc<RefCell<Vec<(String, Option<Bytes>)>>>;

/// A scripted callee: a reliable 183 (RSeq 7) with `sdp("early-offer")`
/// to the INVITE, then a 200 repeating that SDP, sent at once
/// (`ok_early`, before any PRACK, which RFC 3262 forbids but peers do) or
/// after the PRACK. It records the PRACK and ACK bodies it gets.
fn scripted_callee(ok_early: bool, got: Received) -> Script {
    let mut invite: Option<(ServerKey, Message)> = None;
    let ok = |ep: &mut Endpoint, now: Instant, key: ServerKey, req: &Message| {
        let mut r = Message::response_to(req, 200, Some("callee"));
        r.append_header(HeaderName::Contact, "<sip:callee@10.0.0.2:5060>");
        r.set_body(Some("application/sdp"), sdp("early-offer"));
        ep.send_response(now, key, r).unwrap();
    };
    Box::new(move |ep, now, e| match e {
        Event::Request { key, request, .. } => match request.method() {
            Some(Method::Invite) => {
                let mut r = Message::response_to(&request, 183, Some("callee"));
                r.append_header(HeaderName::Contact, "<sip:callee@10.0.0.2:5060>");
                r.append_header(HeaderName::Require, "100rel");
                r.append_header(HeaderName::RSeq, "7");
                r.set_body(Some("application/sdp"), sdp("early-offer"));
                ep.send_response(now, key, r).unwrap();
                if ok_early {
                    ok(ep, now, key, &request);
                }
                invite = Some((key, request));
            }
            Some(m) => {
                got.borrow_mut().push((m.to_string(), body(&request)));
                let r = Message::response_to(&request, 200, None);
                ep.send_response(now, key, r).unwrap();
                if *m == Method::Prack && !ok_early {
                    if let Some((k, inv)) = invite.take() {
                        ok(ep, now, k, &inv);
                    }
                }
            }
            None => {}
        },
        Event::Ack { request, .. } => {
            got.borrow_mut().push(("ACK".into(), body(&request)));
        }
        _ => {}
    })
}

#[test]
fn sdp_repeated_in_the_200_after_the_early_answer_is_ignored() {
    let mut w = World::new(34);
    let a = w.add_ua(None);
    let got = Received::default();
    let b = w.add_script(scripted_callee(false, got.clone()));
    answer_early_offer(&mut w, a);
    let c = call(&mut w, a, b, None);
    w.run_for(secs(5));
    assert!(has(&w, a, |e| matches!(
        e,
        UaEvent::Answered { sdp: None, .. }
    )));
    let prack = w.sent(a, "PRACK");
    assert_eq!(prack.len(), 1);
    let p = wires(&w, a, "PRACK ")[0].message();
    assert_eq!(p.header_values(HeaderName::RAck).next(), Some("7 1 INVITE"));
    assert_eq!(
        got.borrow().clone(),
        vec![
            ("PRACK".to_owned(), Some(sdp("answer-in-prack"))),
            ("ACK".to_owned(), None)
        ]
    );
    w.with(a, |u, ep, now| u.hangup(ep, now, c).unwrap());
    w.run_for(secs(5));
    assert_eq!(got.borrow().last().unwrap().0, "BYE");
    no_leaks(&mut w);
}

#[test]
fn a_200_before_the_early_answer_takes_the_answer_in_the_ack() {
    let mut w = World::new(35);
    let a = w.add_ua(None);
    let got = Received::default();
    let b = w.add_script(scripted_callee(true, got.clone()));
    // The application sees the offer, then the 200 with it, and answers
    // late through prack_answer: the answer goes in the ACK.
    w.peers[a].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::Answered { call, sdp: Some(o) } = e {
            assert_eq!(o, &sdp("early-offer"));
            ua.prack_answer(ep, now, *call, sdp("late-answer")).unwrap();
        }
    }));
    let c = call(&mut w, a, b, None);
    w.run_for(secs(5));
    assert!(has(&w, a, |e| matches!(e, UaEvent::EarlyOffer { .. })));
    assert!(w.sent(a, "PRACK").is_empty(), "moot after the 2xx");
    assert_eq!(
        got.borrow().clone(),
        vec![("ACK".to_owned(), Some(sdp("late-answer")))]
    );
    w.with(a, |u, ep, now| u.hangup(ep, now, c).unwrap());
    w.run_for(secs(5));
    no_leaks(&mut w);
}
