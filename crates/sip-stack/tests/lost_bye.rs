//! A call whose BYE never arrives must not live on (memory held for ever):
//! with session timers on, our UAS runs one even when the caller neither
//! asked for nor supports them (RFC 4028 §9, `refresher=uas`), so the
//! refresh finds the dialog gone (481) and the call ends; and ended calls
//! leave no pile of stale timers behind a long one. Virtual time.

#[path = "common/uasim.rs"]
mod uasim;

use heron_sip::HeaderName;
use heron_sip_stack::ua::{EndReason, UaConfig, UaEvent};
use heron_sip_stack::{Endpoint, EndpointConfig, TransportKind};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::Duration;
use uasim::*;

#[test]
fn lost_bye_ends_the_call_at_the_uas_refresh() {
    let mut w = World::new(41);
    // The caller knows nothing of session timers.
    let mut cfg = UaConfig::new(uri(0, "u0"));
    cfg.session_timer = None;
    let a = w.add_ua(Some(cfg));
    let mut ep_cfg = EndpointConfig::default();
    ep_cfg.supported.retain(|t| t != "timer");
    let mut ep = Endpoint::new(ep_cfg, StdRng::seed_from_u64(7));
    ep.add_listener(TransportKind::Udp, addr(a), None);
    w.peers[a].ep = ep;
    let b = w.add_ua(None);
    w.peers[b].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::IncomingCall { call, .. } = e {
            ua.answer(ep, now, *call, Some(sdp("answer"))).unwrap();
        }
    }));
    // Every BYE from the caller is lost.
    w.drop = Some(Box::new(|x| x.first_line().starts_with("BYE ")));
    let target = uri(b, "u1");
    let c = w.with(a, |u, ep, now| {
        u.call(ep, now, &target, Some(sdp("offer"))).unwrap()
    });
    w.run_for(Duration::from_secs(5));
    let ok = w
        .log
        .iter()
        .find(|x| x.first_line().starts_with("SIP/2.0 200"))
        .unwrap()
        .message();
    assert_eq!(
        ok.header_values(HeaderName::SessionExpires).next(),
        Some("1800;refresher=uas")
    );
    assert!(
        !ok.header_values(HeaderName::Require)
            .any(|v| v.contains("timer")),
        "a caller without timer support is not required to use it"
    );
    w.with(a, |u, ep, now| u.hangup(ep, now, c).unwrap());
    w.run_for(Duration::from_secs(60));
    // The caller gave up on its BYE; the callee still has the call.
    assert_eq!(w.peers[a].ua.as_ref().unwrap().call_count(), 0);
    assert_eq!(w.peers[b].ua.as_ref().unwrap().call_count(), 1);
    // Half the interval later the callee refreshes, learns the dialog is
    // gone and ends the call.
    w.run_for(Duration::from_secs(900));
    let ended: Vec<_> = w.peers[b]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            UaEvent::Terminated { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ended, vec![EndReason::DialogLost(481)]);
    w.run_for(Duration::from_secs(300));
    for p in &w.peers {
        assert_eq!(p.ua.as_ref().unwrap().state_size(), 0);
        assert_eq!(p.ep.transaction_count(), 0);
    }
}

#[test]
fn ended_calls_leave_no_pile_of_stale_timers_behind_a_long_call() {
    let mut w = World::new(42);
    let a = w.add_ua(None);
    let b = w.add_ua(None);
    w.peers[b].actor = Some(Box::new(|ua, ep, now, e| {
        if let UaEvent::IncomingCall { call, .. } = e {
            ua.answer(ep, now, *call, Some(sdp("answer"))).unwrap();
        }
    }));
    let target = uri(b, "u1");
    // One call stays up: its session timer (900 s away) is the earliest
    // live timer all along.
    let long = w.with(a, |u, ep, now| {
        u.call(ep, now, &target, Some(sdp("offer"))).unwrap()
    });
    w.run_for(Duration::from_secs(2));
    // 1,500 short calls, each leaving timers it no longer needs (2xx
    // retransmission, ACK wait, session refresh or expiry).
    for _ in 0..1500 {
        let c = w.with(a, |u, ep, now| {
            u.call(ep, now, &target, Some(sdp("offer"))).unwrap()
        });
        w.run_for(Duration::from_millis(200));
        w.with(a, |u, ep, now| u.hangup(ep, now, c).unwrap());
        w.run_for(Duration::from_millis(200));
    }
    for p in &w.peers {
        let ua = p.ua.as_ref().unwrap();
        assert_eq!(ua.call_count(), 1);
        // Without purging: about 1,600 entries, nearly all stale timers.
        assert!(ua.state_size() < 1100, "{}", ua.state_size());
    }
    w.with(a, |u, ep, now| u.hangup(ep, now, long).unwrap());
    w.run_for(Duration::from_secs(300));
    for p in &w.peers {
        assert_eq!(p.ua.as_ref().unwrap().state_size(), 0);
    }
}
