//! Calls between user agents in virtual time: answer, BYE both ways,
//! loss, 2xx retransmission until ACK, CANCEL, delayed offer, forking,
//! failure mapping, 100rel/PRACK, session timers with 422, re-INVITE and
//! UPDATE, glare, INFO DTMF, OPTIONS, identity headers, and transfers.

#[path = "common/uasim.rs"]
mod uasim;

use bytes::Bytes;
use heron_sip::{HeaderName, Message};
use heron_sip_stack::ua::{
    CallKey, EndReason, FailureKind, OfferVia, PrackMode, SessionTimerConfig, UaConfig, UaEvent,
};
use heron_sip_stack::Event;
use std::time::Duration;
use uasim::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn incoming(w: &World, i: usize) -> Vec<CallKey> {
    w.peers[i]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            UaEvent::IncomingCall { call, .. } => Some(*call),
            _ => None,
        })
        .collect()
}

fn ended(w: &World, i: usize) -> Vec<(CallKey, EndReason)> {
    w.peers[i]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            UaEvent::Terminated { call, reason } => Some((*call, reason.clone())),
            _ => None,
        })
        .collect()
}

fn has(w: &World, i: usize, f: impl Fn(&UaEvent) -> bool) -> bool {
    w.peers[i].events.iter().any(|(_, e)| f(e))
}

/// An actor that rings and answers every call with `sdp("answer")`.
fn auto_answer(w: &mut World, i: usize, ring_sdp: bool) {
    w.peers[i].actor = Some(Box::new(move |ua, ep, now, e| match e {
        UaEvent::IncomingCall { call, info } => {
            ua.ring(ep, now, *call, ring_sdp.then(|| sdp("early")))
                .unwrap();
            let answer = if info.offer.is_some() {
                sdp("answer")
            } else {
                sdp("offer-in-200")
            };
            ua.answer(ep, now, *call, Some(answer)).unwrap();
        }
        UaEvent::OfferReceived { call, .. } => {
            ua.respond_offer(ep, now, *call, sdp_v("answer", 2))
                .unwrap();
        }
        _ => {}
    }));
}

fn call(w: &mut World, from: usize, to: usize, offer: Option<Bytes>) -> CallKey {
    let target = uri(to, &format!("u{to}"));
    w.with(from, |u, ep, now| u.call(ep, now, &target, offer).unwrap())
}

fn no_leaks(w: &mut World) {
    w.run_for(secs(300));
    for p in &w.peers {
        if let Some(ua) = &p.ua {
            assert_eq!(ua.call_count(), 0, "calls left at {}", p.addr);
            assert_eq!(ua.state_size(), 0, "state left at {}", p.addr);
        }
        assert_eq!(
            p.ep.transaction_count(),
            0,
            "transactions left at {}",
            p.addr
        );
    }
}

#[test]
fn basic_call_and_bye_from_either_side_with_loss() {
    for (seed, callee_hangs_up) in [(1, false), (2, true), (3, false), (4, true)] {
        let mut w = World::new(seed);
        w.loss = 0.25;
        let a = w.add_ua(None);
        let b = w.add_ua(None);
        auto_answer(&mut w, b, false);
        let c = call(&mut w, a, b, Some(sdp("offer")));
        w.run_for(secs(40));
        assert!(has(
            &w,
            a,
            |e| matches!(e, UaEvent::Answered { sdp: Some(s), .. } if s == &sdp("answer"))
        ));
        assert!(has(&w, b, |e| matches!(e, UaEvent::Confirmed { .. })));
        if callee_hangs_up {
            let k = incoming(&w, b)[0];
            w.with(b, |u, ep, now| u.hangup(ep, now, k).unwrap());
        } else {
            w.with(a, |u, ep, now| u.hangup(ep, now, c).unwrap());
        }
        w.run_for(secs(40));
        let (ea, eb) = (ended(&w, a), ended(&w, b));
        if callee_hangs_up {
            assert!(matches!(ea[0].1, EndReason::RemoteHangup { .. }), "{ea:?}");
            assert_eq!(eb[0].1, EndReason::LocalHangup);
        } else {
            assert_eq!(ea[0].1, EndReason::LocalHangup);
            assert!(matches!(eb[0].1, EndReason::RemoteHangup { .. }), "{eb:?}");
        }
        w.loss = 0.0;
        no_leaks(&mut w);
    }
}

#[test]
fn uas_retransmits_2xx_until_ack_then_gives_up_with_bye() {
    let mut w = World::new(5);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    auto_answer(&mut w, b, false);
    w.drop = Some(Box::new(|x| x.first_line().starts_with("ACK ")));
    call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(60));
    let oks = w.sent_responses(b, 200, "INVITE");
    // T1 doubling capped at T2: 0, .5, 1.5, 3.5, 7.5, 11.5, ... until 64·T1.
    let rel: Vec<u128> = oks.iter().map(|t| (*t - oks[0]).as_millis()).collect();
    assert_eq!(&rel[..6], &[0, 500, 1500, 3500, 7500, 11500], "{rel:?}");
    assert!(rel.last().unwrap() <= &32_000);
    assert!(ended(&w, b).iter().any(|(_, r)| *r == EndReason::NoAck));
    assert_eq!(w.sent(b, "BYE").len(), 1);
}

#[test]
fn ack_stops_2xx_retransmission_even_when_the_first_ack_is_lost() {
    let mut w = World::new(6);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    auto_answer(&mut w, b, false);
    let mut dropped = false;
    w.drop = Some(Box::new(move |x| {
        if x.first_line().starts_with("ACK ") && !dropped {
            dropped = true;
            return true;
        }
        false
    }));
    call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(40));
    assert_eq!(w.sent_responses(b, 200, "INVITE").len(), 2);
    assert_eq!(w.sent(a, "ACK").len(), 2, "the repeated 2xx is ACKed again");
    assert!(has(&w, b, |e| matches!(e, UaEvent::Confirmed { .. })));
    assert!(ended(&w, b).is_empty());
}

#[test]
fn cancel_before_answer_gives_487_both_sides() {
    let mut w = World::new(7);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    w.peers[b].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::IncomingCall { call, .. } = e {
            ua.ring(ep, now, *call, None).unwrap();
        }
    }));
    let c = call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(2));
    w.with(a, |u, ep, now| u.hangup(ep, now, c).unwrap());
    w.run_for(secs(40));
    assert_eq!(ended(&w, a)[0].1, EndReason::LocalCancel);
    assert!(matches!(ended(&w, b)[0].1, EndReason::RemoteCancel { .. }));
    assert_eq!(w.sent_responses(b, 487, "INVITE").len(), 1);
    no_leaks(&mut w);
}

#[test]
fn cancel_racing_a_200_ends_with_ack_and_bye() {
    let mut w = World::new(8);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    w.peers[b].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::IncomingCall { call, .. } = e {
            ua.ring(ep, now, *call, None).unwrap();
        }
    }));
    let c = call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(1));
    // Both at once: the 200 and the CANCEL cross on the wire.
    let k = incoming(&w, b)[0];
    w.with(b, |u, ep, now| {
        u.answer(ep, now, k, Some(sdp("answer"))).unwrap()
    });
    w.with(a, |u, ep, now| u.hangup(ep, now, c).unwrap());
    w.run_for(secs(40));
    assert_eq!(ended(&w, a)[0].1, EndReason::LocalCancel);
    assert_eq!(w.sent(a, "ACK").len(), 1);
    assert_eq!(w.sent(a, "BYE").len(), 1);
    assert!(matches!(ended(&w, b)[0].1, EndReason::RemoteHangup { .. }));
    no_leaks(&mut w);
}

#[test]
fn delayed_offer_answer_comes_in_the_ack() {
    let mut w = World::new(9);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    auto_answer(&mut w, b, false);
    w.peers[a].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::Answered {
            call,
            sdp: Some(offer),
        } = e
        {
            assert_eq!(offer, &sdp("offer-in-200"));
            ua.ack_answer(ep, now, *call, sdp("answer-in-ack")).unwrap();
        }
    }));
    call(&mut w, a, b, None);
    w.run_for(secs(5));
    assert!(has(
        &w,
        b,
        |e| matches!(e, UaEvent::IncomingCall { info, .. } if info.offer.is_none())
    ));
    assert!(has(
        &w,
        b,
        |e| matches!(e, UaEvent::Confirmed { sdp: Some(s), .. } if s == &sdp("answer-in-ack"))
    ));
}

#[test]
fn failures_map_to_typed_reasons() {
    for (code, kind) in [
        (486, FailureKind::Busy),
        (603, FailureKind::Declined),
        (404, FailureKind::NotFound),
        (480, FailureKind::Unavailable),
        (488, FailureKind::NotAcceptable),
        (503, FailureKind::ServerError),
    ] {
        let mut w = World::new(10);
        let a = w.add_ua(None);
        let b = w.add_ua(None);
        w.peers[b].actor = Some(Box::new(move |ua, ep, now, e| {
            if let UaEvent::IncomingCall { call, .. } = e {
                ua.reject(ep, now, *call, code).unwrap();
            }
        }));
        call(&mut w, a, b, Some(sdp("offer")));
        w.run_for(secs(40));
        let e = ended(&w, a);
        assert!(
            matches!(&e[0].1, EndReason::Rejected { kind: k, code: c, .. } if *k == kind && *c == code),
            "{code}: {e:?}"
        );
        no_leaks(&mut w);
    }
}

#[test]
fn no_answer_at_all_times_out() {
    let mut w = World::new(11);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    w.drop = Some(Box::new(|_| true));
    call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(60));
    assert_eq!(ended(&w, a)[0].1, EndReason::Timeout);
}

/// A scripted peer that answers an INVITE with two 2xx from different
/// forks (as a forking proxy relays them).
#[test]
fn forked_2xx_keeps_the_first_and_acks_and_byes_the_second() {
    let mut w = World::new(12);
    let a = w.add_ua(None);
    let f = w.add_script(Box::new(|ep, now, e| {
        if let Event::Request { key, request, .. } = e {
            let m = request.method().unwrap().clone();
            if m == heron_sip::Method::Invite {
                for tag in ["fork1", "fork2"] {
                    let mut r = Message::response_to(&request, 200, Some(tag));
                    r.append_header(HeaderName::Contact, &format!("<sip:{tag}@10.0.0.2:5060>"));
                    r.set_body(Some("application/sdp"), sdp(tag));
                    ep.send_response(now, key, r).unwrap();
                }
            } else {
                let r = Message::response_to(&request, 200, None);
                ep.send_response(now, key, r).unwrap();
            }
        }
    }));
    let _ = call(&mut w, a, f, Some(sdp("offer")));
    w.run_for(secs(5));
    let acks: Vec<String> = w
        .log
        .iter()
        .filter(|x| x.first_line().starts_with("ACK "))
        .map(|x| x.first_line())
        .collect();
    assert_eq!(
        acks,
        vec![
            "ACK sip:fork1@10.0.0.2:5060 SIP/2.0",
            "ACK sip:fork2@10.0.0.2:5060 SIP/2.0"
        ]
    );
    let byes: Vec<String> = w
        .log
        .iter()
        .filter(|x| x.first_line().starts_with("BYE "))
        .map(|x| x.first_line())
        .collect();
    assert_eq!(byes, vec!["BYE sip:fork2@10.0.0.2:5060 SIP/2.0"]);
    let answered: Vec<_> = w.peers[a]
        .events
        .iter()
        .filter(|(_, e)| matches!(e, UaEvent::Answered { .. }))
        .collect();
    assert_eq!(answered.len(), 1);
    assert!(matches!(&answered[0].1, UaEvent::Answered { sdp: Some(s), .. } if s == &sdp("fork1")));
    assert!(ended(&w, a).is_empty());
}

#[test]
fn reliable_183_is_retransmitted_until_prack_and_the_200_waits() {
    let mut w = World::new(13);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    auto_answer(&mut w, b, true);
    // Lose the first two PRACKs.
    let mut n = 0;
    w.drop = Some(Box::new(move |x| {
        if x.first_line().starts_with("PRACK ") && n < 2 {
            n += 1;
            return true;
        }
        false
    }));
    call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(40));
    let p183 = w.sent_responses(b, 183, "INVITE");
    assert!(p183.len() >= 2, "{p183:?}");
    let m = w
        .log
        .iter()
        .find(|x| x.first_line().starts_with("SIP/2.0 183"))
        .unwrap()
        .message();
    assert!(m
        .header_values(HeaderName::Require)
        .any(|v| v.contains("100rel")));
    assert_eq!(m.header_values(HeaderName::RSeq).next(), Some("1"));
    let prack = w
        .log
        .iter()
        .find(|x| x.first_line().starts_with("PRACK "))
        .unwrap()
        .message();
    assert!(prack
        .header_values(HeaderName::RAck)
        .next()
        .unwrap()
        .ends_with(" 1 INVITE"));
    let ok = w.sent_responses(b, 200, "INVITE")[0];
    let prack_ok = w.sent_responses(b, 200, "PRACK")[0];
    assert!(ok >= prack_ok, "the 2xx waited for the PRACK");
    assert!(has(&w, a, |e| matches!(
        e,
        UaEvent::Progress {
            code: 183,
            sdp: Some(_),
            ..
        }
    )));
    assert!(has(&w, b, |e| matches!(e, UaEvent::Confirmed { .. })));
}

#[test]
fn prack_off_sends_plain_provisionals() {
    let mut w = World::new(14);
    let a = w.add_ua(None);
    let mut cfg = UaConfig::new(uri(1, "u1"));
    cfg.prack = PrackMode::Off;
    let b = w.add_ua(Some(cfg));
    auto_answer(&mut w, b, true);
    call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(5));
    assert!(w.sent(a, "PRACK").is_empty());
    assert!(has(&w, b, |e| matches!(e, UaEvent::Confirmed { .. })));
}

fn timers(expires: u32, min_se: u32) -> SessionTimerConfig {
    SessionTimerConfig { expires, min_se }
}

#[test]
fn session_timer_422_then_refreshes_by_update() {
    let mut w = World::new(15);
    let mut ca = UaConfig::new(uri(0, "u0"));
    ca.session_timer = Some(timers(90, 90));
    let a = w.add_ua(Some(ca));
    let mut cb = UaConfig::new(uri(1, "u1"));
    cb.session_timer = Some(timers(1800, 120));
    let b = w.add_ua(Some(cb));
    auto_answer(&mut w, b, false);
    call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(600));
    assert_eq!(w.sent_responses(b, 422, "INVITE").len(), 1);
    let invites = w.sent(a, "INVITE");
    assert_eq!(invites.len(), 2);
    let second = w
        .log
        .iter()
        .filter(|x| x.first_line().starts_with("INVITE "))
        .nth(1)
        .unwrap()
        .message();
    assert_eq!(
        second.header_values(HeaderName::SessionExpires).next(),
        Some("120")
    );
    // The UAS names the UAC (which supports timers) refresher: UPDATE every 60 s.
    let updates = w.sent(a, "UPDATE");
    assert!((9..=11).contains(&updates.len()), "{updates:?}");
    assert!(ended(&w, a).is_empty() && ended(&w, b).is_empty());
}

#[test]
fn session_expires_without_refresh_and_the_other_side_sends_bye() {
    let mut w = World::new(16);
    let mut ca = UaConfig::new(uri(0, "u0"));
    ca.session_timer = Some(timers(90, 90));
    let a = w.add_ua(Some(ca));
    let b = w.add_ua(None);
    auto_answer(&mut w, b, false);
    // The refresher's UPDATEs never arrive.
    w.drop = Some(Box::new(|x| x.first_line().starts_with("UPDATE ")));
    call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(200));
    let eb = ended(&w, b);
    assert_eq!(eb[0].1, EndReason::SessionExpired);
    let bye_at = w.sent(b, "BYE")[0];
    // 90 - min(32, 30) = 60 s after the ACK.
    assert!(bye_at >= secs(60) && bye_at <= secs(61), "{bye_at:?}");
}

#[test]
fn hold_by_reinvite_and_codec_change_by_update() {
    let mut w = World::new(17);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    auto_answer(&mut w, b, false);
    let c = call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(2));
    w.with(a, |u, ep, now| {
        u.reinvite(ep, now, c, sdp_v("hold", 2)).unwrap()
    });
    w.run_for(secs(2));
    assert!(has(
        &w,
        b,
        |e| matches!(e, UaEvent::OfferReceived { via: OfferVia::ReInvite, sdp: Some(s), .. } if s == &sdp_v("hold", 2))
    ));
    assert!(has(
        &w,
        a,
        |e| matches!(e, UaEvent::MediaUpdate { sdp: s, .. } if s == &sdp_v("answer", 2))
    ));
    w.with(a, |u, ep, now| {
        u.update(ep, now, c, sdp_v("g722", 3)).unwrap()
    });
    w.run_for(secs(2));
    assert!(has(&w, b, |e| matches!(
        e,
        UaEvent::OfferReceived {
            via: OfferVia::Update,
            ..
        }
    )));
    assert_eq!(w.sent(a, "ACK").len(), 2);
    assert!(ended(&w, a).is_empty());
    w.with(a, |u, ep, now| u.hangup(ep, now, c).unwrap());
    no_leaks(&mut w);
}

#[test]
fn glare_gets_491_and_both_retry() {
    let mut w = World::new(18);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    auto_answer(&mut w, b, false);
    w.peers[a].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::OfferReceived { call, .. } = e {
            ua.respond_offer(ep, now, *call, sdp_v("a-answer", 9))
                .unwrap();
        }
    }));
    let c = call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(2));
    let k = incoming(&w, b)[0];
    w.with(a, |u, ep, now| {
        u.reinvite(ep, now, c, sdp_v("a", 2)).unwrap()
    });
    w.with(b, |u, ep, now| {
        u.reinvite(ep, now, k, sdp_v("b", 2)).unwrap()
    });
    w.run_for(secs(10));
    assert_eq!(w.sent_responses(a, 491, "INVITE").len(), 1);
    assert_eq!(w.sent_responses(b, 491, "INVITE").len(), 1);
    // Both offers went through in the end.
    assert!(has(&w, a, |e| matches!(e, UaEvent::MediaUpdate { .. })));
    assert!(has(&w, b, |e| matches!(e, UaEvent::MediaUpdate { .. })));
}

#[test]
fn info_dtmf_both_ways_and_options_in_and_out_of_dialog() {
    let mut w = World::new(19);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    auto_answer(&mut w, b, false);
    let c = call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(2));
    w.with(a, |u, ep, now| u.send_dtmf(ep, now, c, '5', 160).unwrap());
    let k = incoming(&w, b)[0];
    w.with(b, |u, ep, now| u.send_dtmf(ep, now, k, '#', 100).unwrap());
    w.run_for(secs(2));
    assert!(has(&w, b, |e| matches!(
        e,
        UaEvent::Dtmf {
            digit: '5',
            duration_ms: Some(160),
            ..
        }
    )));
    assert!(has(&w, a, |e| matches!(
        e,
        UaEvent::Dtmf { digit: '#', .. }
    )));
    assert!(w
        .with(a, |u, ep, now| u.send_dtmf(ep, now, c, 'x', 100))
        .is_err());
    // OPTIONS out of dialog from a raw endpoint.
    let mut opt = Message::request(heron_sip::Method::Options, &uri(1, "u1"));
    opt.append_header(HeaderName::From, "<sip:x@10.0.0.1>;tag=o1");
    opt.append_header(HeaderName::To, "<sip:u1@10.0.0.2>");
    opt.append_header(HeaderName::CallId, "opt-1");
    opt.append_header(HeaderName::CSeq, "1 OPTIONS");
    let now = w.now;
    w.peers[a].ep.send_request(now, opt, udp(b)).unwrap();
    w.run_for(secs(2));
    let ok = w
        .log
        .iter()
        .rev()
        .find(|x| {
            x.from == addr(b)
                && x.first_line().starts_with("SIP/2.0 200")
                && x.message().cseq().unwrap().method == "OPTIONS"
        })
        .unwrap()
        .message();
    assert!(ok
        .header_values(HeaderName::Allow)
        .next()
        .unwrap()
        .contains("INVITE"));
    assert!(ok
        .header_values(HeaderName::Supported)
        .next()
        .unwrap()
        .contains("100rel"));
    assert!(ok.has(HeaderName::Accept));
}

#[test]
fn identity_headers_reach_the_incoming_call_event() {
    let mut w = World::new(20);
    let mut ca = UaConfig::new("sip:+4930123456@pbx.example.com;user=phone");
    ca.identity.display_name = Some("Heron Agent".into());
    ca.identity.preferred = Some("<sip:+4930123456@pbx.example.com;user=phone>".into());
    ca.identity.privacy = vec!["id".into()];
    let a = w.add_ua(Some(ca));
    let b = w.add_ua(None);
    call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(1));
    let inv = w
        .log
        .iter()
        .find(|x| x.first_line().starts_with("INVITE "))
        .unwrap()
        .message();
    assert_eq!(inv.header_values(HeaderName::Privacy).next(), Some("id"));
    assert!(inv.has(HeaderName::PPreferredIdentity));
    let info = w.peers[b]
        .events
        .iter()
        .find_map(|(_, e)| match e {
            UaEvent::IncomingCall { info, .. } => Some(info.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(info.from.display_name.as_deref(), Some("Heron Agent"));
    assert_eq!(info.from.uri, "sip:+4930123456@pbx.example.com;user=phone");
    assert_eq!(info.privacy, vec!["id".to_owned()]);
}

#[test]
fn blind_transfer_with_notify_progress_ends_the_original_call() {
    let mut w = World::new(21);
    let a = w.add_ua(None); // transferee
    let b = w.add_ua(None); // transferor
    let c = w.add_ua(None); // target
    auto_answer(&mut w, b, false);
    auto_answer(&mut w, c, false);
    w.peers[a].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::TransferRequested { call, target, .. } = e {
            assert_eq!(target, "sip:u2@10.0.0.3:5060");
            ua.accept_transfer(ep, now, *call, Some(sdp("offer2")))
                .unwrap();
        }
    }));
    call(&mut w, a, b, Some(sdp("offer")));
    w.run_for(secs(2));
    let kb = incoming(&w, b)[0];
    let target = uri(c, "u2");
    w.with(b, |u, ep, now| {
        u.transfer(ep, now, kb, &target, None).unwrap()
    });
    w.run_for(secs(10));
    let progress: Vec<(u16, bool)> = w.peers[b]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            UaEvent::TransferProgress { status, done, .. } => Some((*status, *done)),
            _ => None,
        })
        .collect();
    // The 202 and the first NOTIFY may cross; the final NOTIFY comes last.
    assert_eq!(progress.len(), 3, "{progress:?}");
    assert!(progress.contains(&(202, false)) && progress.contains(&(100, false)));
    assert_eq!(progress[2], (200, true));
    let refer = w
        .log
        .iter()
        .find(|x| x.first_line().starts_with("REFER "))
        .unwrap()
        .message();
    assert!(refer.has(HeaderName::ReferredBy));
    // The transferor hung up the original call; the new call is up.
    assert_eq!(ended(&w, b)[0].1, EndReason::LocalHangup);
    assert!(matches!(ended(&w, a)[0].1, EndReason::RemoteHangup { .. }));
    assert_eq!(incoming(&w, c).len(), 1);
    assert!(has(&w, c, |e| matches!(e, UaEvent::Confirmed { .. })));
    let k = incoming(&w, c)[0];
    w.with(c, |u, ep, now| u.hangup(ep, now, k).unwrap());
    no_leaks(&mut w);
}

#[test]
fn attended_transfer_replaces_the_target_dialog() {
    let mut w = World::new(22);
    let a = w.add_ua(None); // transferee
    let b = w.add_ua(None); // transferor
    let c = w.add_ua(None); // target
    auto_answer(&mut w, b, false);
    auto_answer(&mut w, c, false);
    w.peers[a].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::TransferRequested { call, replaces, .. } = e {
            assert!(replaces.is_some());
            ua.accept_transfer(ep, now, *call, Some(sdp("offer2")))
                .unwrap();
        }
    }));
    call(&mut w, a, b, Some(sdp("offer")));
    let bc = call(&mut w, b, c, Some(sdp("consult")));
    w.run_for(secs(2));
    let ba = incoming(&w, b)[0];
    let target = uri(c, "u2");
    w.with(b, |u, ep, now| {
        u.transfer(ep, now, ba, &target, Some(bc)).unwrap()
    });
    w.run_for(secs(10));
    let inv = w
        .log
        .iter()
        .filter(|x| x.from == addr(a) && x.first_line().starts_with("INVITE "))
        .nth(1)
        .unwrap()
        .message();
    assert!(inv.has(HeaderName::Replaces));
    let replaced = w.peers[c].events.iter().find_map(|(_, e)| match e {
        UaEvent::IncomingCall { info, .. } if info.replaces.is_some() => info.replaces,
        _ => None,
    });
    let old = replaced.expect("target saw Replaces");
    assert!(ended(&w, c)
        .iter()
        .any(|(k, r)| *k == old && *r == EndReason::Replaced));
    // The transferor's consultation call was ended by the target's BYE.
    assert!(ended(&w, b)
        .iter()
        .any(|(k, r)| *k == bc && matches!(r, EndReason::RemoteHangup { .. })));
}
