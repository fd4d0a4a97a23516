//! Registration in virtual time against a scripted registrar: digest
//! authentication, refresh at the granted expiry, 423, no loops on 403 or
//! rejected credentials, Retry-After and exponential back-off with
//! jitter, NAT address changes, contact replacement and unregistration.

#[path = "common/uasim.rs"]
mod uasim;

use heron_sip::{HeaderName, Message, Method};
use heron_sip_auth::{
    AuthorizationHeader, Credentials, DigestServer, ServerConfig, StaticCredentials,
};
use heron_sip_stack::registration::{
    ContactPolicy, RegistrationConfig, RegistrationFailure, RegistrationState,
};
use heron_sip_stack::ua::{RegistrationId, UaEvent};
use heron_sip_stack::Event;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use uasim::*;

#[derive(Default)]
struct Seen {
    requests: Vec<(Duration, Message)>,
}

/// What the registrar answers.
type Policy = Box<dyn FnMut(&Message, usize) -> Message>;

fn registrar(world: &mut World, seen: Rc<RefCell<Seen>>, mut policy: Policy) -> usize {
    let start = world.start;
    world.add_script(Box::new(move |ep, now, e| {
        if let Event::Request { key, request, .. } = e {
            let n = {
                let mut s = seen.borrow_mut();
                s.requests.push((now - start, request.clone()));
                s.requests.len()
            };
            let resp = policy(&request, n);
            ep.send_response(now, key, resp).unwrap();
        }
    }))
}

fn ok_with_contacts(req: &Message, expires: Option<u32>) -> Message {
    let mut r = Message::response_to(req, 200, Some("reg"));
    for c in req.header_values(HeaderName::Contact) {
        if c.trim() == "*" {
            continue;
        }
        let e = expires.unwrap_or(3600);
        if c.contains("expires=0") {
            continue;
        }
        r.append_header(HeaderName::Contact, &format!("{c};expires={e}"));
    }
    r
}

fn states(world: &World, ua: usize) -> Vec<(Duration, RegistrationState)> {
    world.peers[ua]
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            UaEvent::Registration { state, .. } => Some((*t, state.clone())),
            _ => None,
        })
        .collect()
}

fn config(world: &World, reg: usize) -> RegistrationConfig {
    let mut c = RegistrationConfig::new(
        format!("sip:{}", world.peers[reg].addr),
        "sip:1001@pbx.example.com",
    );
    c.credentials = Some(Credentials::new("auth1001", "secret"));
    c.expires = 600;
    c
}

fn start(world: &mut World, ua: usize, reg: usize, cfg: RegistrationConfig) -> RegistrationId {
    world.with(ua, |u, ep, now| u.register(ep, now, cfg, udp(reg)).unwrap())
}

fn digest_policy() -> Policy {
    let mut server = DigestServer::new(ServerConfig::new("pbx.example.com"), b"k3y");
    let store = StaticCredentials::new().with("auth1001", "secret");
    let mut rng = StdRng::seed_from_u64(3);
    Box::new(move |req, _| {
        let ok = heron_sip_auth::sip::verify(
            &mut server,
            req,
            AuthorizationHeader::Authorization,
            1000,
            &store,
        )
        .is_ok();
        if ok {
            return ok_with_contacts(req, Some(300));
        }
        let mut r = Message::response_to(req, 401, Some("reg"));
        for v in server.challenge_values(1000, false, &mut rng) {
            r.append_header(HeaderName::WwwAuthenticate, &v);
        }
        r
    })
}

#[test]
fn digest_then_refresh_before_the_granted_expiry() {
    let mut w = World::new(1);
    let ua = w.add_ua(None);
    let seen = Rc::new(RefCell::new(Seen::default()));
    let reg = registrar(&mut w, seen.clone(), digest_policy());
    let cfg = config(&w, reg);
    start(&mut w, ua, reg, cfg);
    w.run_for(Duration::from_secs(1000));
    let s = states(&w, ua);
    assert!(matches!(
        s[1].1,
        RegistrationState::Registered { expires: 300, .. }
    ));
    let reqs = &seen.borrow().requests;
    // Challenge + authorized per round; the registrar granted 300 s (not
    // the 600 asked for): refreshes every 270 s.
    let authorized: Vec<Duration> = reqs
        .iter()
        .filter(|(_, r)| r.has(HeaderName::Authorization))
        .map(|(t, _)| *t)
        .collect();
    assert!(authorized.len() >= 4, "{authorized:?}");
    let gap = authorized[2] - authorized[1];
    assert!(
        gap >= Duration::from_secs(269) && gap <= Duration::from_secs(271),
        "{gap:?}"
    );
    let first = &reqs[0].1;
    assert_eq!(first.header_values(HeaderName::Expires).next(), Some("600"));
    assert_eq!(
        first.to_header().unwrap().uri.to_string(),
        "sip:1001@pbx.example.com"
    );
    assert!(reqs[1]
        .1
        .header_values(HeaderName::Authorization)
        .next()
        .unwrap()
        .contains("username=\"auth1001\""));
    // One Call-ID, CSeq growing.
    let cid = first.call_id().unwrap().to_owned();
    let mut last = 0;
    for (_, r) in reqs.iter() {
        assert_eq!(r.call_id().unwrap(), cid);
        let n = r.cseq().unwrap().seq;
        assert!(n > last);
        last = n;
    }
}

#[test]
fn wrong_password_stops_after_one_retry() {
    let mut w = World::new(2);
    let ua = w.add_ua(None);
    let seen = Rc::new(RefCell::new(Seen::default()));
    let reg = registrar(&mut w, seen.clone(), digest_policy());
    let mut cfg = config(&w, reg);
    cfg.credentials = Some(Credentials::new("auth1001", "wrong"));
    start(&mut w, ua, reg, cfg);
    w.run_for(Duration::from_secs(7200));
    assert_eq!(seen.borrow().requests.len(), 2, "no storm against fail2ban");
    let s = states(&w, ua);
    assert!(matches!(
        s.last().unwrap().1,
        RegistrationState::Failed(RegistrationFailure::Auth(_))
    ));
}

#[test]
fn forbidden_is_final() {
    let mut w = World::new(3);
    let ua = w.add_ua(None);
    let seen = Rc::new(RefCell::new(Seen::default()));
    let reg = registrar(
        &mut w,
        seen.clone(),
        Box::new(|r, _| Message::response_to(r, 403, Some("x"))),
    );
    let cfg = config(&w, reg);
    start(&mut w, ua, reg, cfg);
    w.run_for(Duration::from_secs(7200));
    assert_eq!(seen.borrow().requests.len(), 1);
    assert!(matches!(
        states(&w, ua).last().unwrap().1,
        RegistrationState::Failed(RegistrationFailure::Rejected { code: 403, .. })
    ));
}

#[test]
fn interval_too_brief_retries_with_min_expires() {
    let mut w = World::new(4);
    let ua = w.add_ua(None);
    let seen = Rc::new(RefCell::new(Seen::default()));
    let reg = registrar(
        &mut w,
        seen.clone(),
        Box::new(|r, _| {
            let e: u32 = r
                .header_values(HeaderName::Expires)
                .next()
                .unwrap()
                .parse()
                .unwrap();
            if e < 1200 {
                let mut x = Message::response_to(r, 423, Some("x"));
                x.append_header(HeaderName::MinExpires, "1200");
                x
            } else {
                ok_with_contacts(r, Some(1200))
            }
        }),
    );
    let mut cfg = config(&w, reg);
    cfg.credentials = None;
    start(&mut w, ua, reg, cfg);
    w.run_for(Duration::from_secs(10));
    let reqs = &seen.borrow().requests;
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[1].1.header_values(HeaderName::Expires).next(),
        Some("1200")
    );
    assert!(matches!(
        states(&w, ua).last().unwrap().1,
        RegistrationState::Registered { expires: 1200, .. }
    ));
}

#[test]
fn retry_after_is_honoured_then_backoff_doubles_with_jitter() {
    let mut w = World::new(5);
    let ua = w.add_ua(None);
    let seen = Rc::new(RefCell::new(Seen::default()));
    let reg = registrar(
        &mut w,
        seen.clone(),
        Box::new(|r, n| {
            if n == 1 {
                let mut x = Message::response_to(r, 503, Some("x"));
                x.append_header(HeaderName::RetryAfter, "120");
                x
            } else {
                Message::response_to(r, 500, Some("x"))
            }
        }),
    );
    let mut cfg = config(&w, reg);
    cfg.credentials = None;
    start(&mut w, ua, reg, cfg);
    w.run_for(Duration::from_secs(3000));
    let t: Vec<Duration> = seen.borrow().requests.iter().map(|r| r.0).collect();
    let gap1 = t[1] - t[0];
    assert!(
        gap1 >= Duration::from_secs(120) && gap1 <= Duration::from_secs(133),
        "{gap1:?}"
    );
    // Then 30 s doubling (each wait in [50%, 100%] of its step).
    for (i, w) in t.windows(2).skip(1).take(4).enumerate() {
        let full = 30u64 << (i + 1);
        let gap = w[1] - w[0];
        assert!(
            gap >= Duration::from_secs(full / 2) && gap <= Duration::from_secs(full + 1),
            "attempt {i}: {gap:?} for step {full}"
        );
    }
}

#[test]
fn silence_backs_off_instead_of_hammering() {
    let mut w = World::new(6);
    let ua = w.add_ua(None);
    let seen = Rc::new(RefCell::new(Seen::default()));
    let reg = registrar(
        &mut w,
        seen.clone(),
        Box::new(|r, _| ok_with_contacts(r, None)),
    );
    w.drop = Some(Box::new(|_| true));
    let cfg = config(&w, reg);
    start(&mut w, ua, reg, cfg);
    w.run_for(Duration::from_secs(600));
    let s = states(&w, ua);
    assert!(s.iter().any(|(_, st)| matches!(
        st,
        RegistrationState::Retrying {
            failure: RegistrationFailure::Timeout,
            ..
        }
    )));
    // 32 s per attempt (Timer F) + back-off: few attempts in 10 minutes.
    let attempts = s
        .iter()
        .filter(|(_, st)| matches!(st, RegistrationState::Retrying { .. }))
        .count();
    assert!((2..=6).contains(&attempts), "{attempts}");
}

#[test]
fn nat_change_reregisters_with_public_contact_and_removes_the_old() {
    let mut w = World::new(7);
    let ua = w.add_ua(None);
    let seen = Rc::new(RefCell::new(Seen::default()));
    let reg = registrar(
        &mut w,
        seen.clone(),
        Box::new(|r, _| {
            let mut x = ok_with_contacts(r, None);
            // The registrar saw us behind a NAT.
            let via = r.header_values(HeaderName::Via).next().unwrap().to_owned();
            let via = via
                .replace(";rport=5060", ";rport=40000")
                .replace("received=10.0.0.1", "received=203.0.113.5");
            let via = if via.contains("received=") {
                via
            } else {
                format!("{via};received=203.0.113.5")
            };
            x.set_header(HeaderName::Via, &via);
            x
        }),
    );
    let mut cfg = config(&w, reg);
    cfg.credentials = None;
    start(&mut w, ua, reg, cfg);
    w.run_for(Duration::from_secs(5));
    let reqs = &seen.borrow().requests;
    assert_eq!(reqs.len(), 2);
    let contacts: Vec<&str> = reqs[1].1.header_values(HeaderName::Contact).collect();
    assert_eq!(
        contacts,
        vec![
            "<sip:1001@10.0.0.1:5060>;expires=0",
            "<sip:1001@203.0.113.5:40000>",
        ]
    );
    assert!(matches!(
        &states(&w, ua).last().unwrap().1,
        RegistrationState::Registered { contact, .. } if contact == "sip:1001@203.0.113.5:40000"
    ));
}

#[test]
fn replace_policy_clears_bindings_first_and_unregister_removes_ours() {
    let mut w = World::new(8);
    let ua = w.add_ua(None);
    let seen = Rc::new(RefCell::new(Seen::default()));
    let reg = registrar(
        &mut w,
        seen.clone(),
        Box::new(|r, _| ok_with_contacts(r, None)),
    );
    let mut cfg = config(&w, reg);
    cfg.credentials = None;
    cfg.policy = ContactPolicy::Replace;
    cfg.instance_id = Some("urn:uuid:00000000-0000-1000-8000-000000000001".into());
    cfg.reg_id = Some(1);
    let id = start(&mut w, ua, reg, cfg);
    w.run_for(Duration::from_secs(5));
    w.with(ua, |u, ep, now| u.unregister(ep, now, id).unwrap());
    w.run_for(Duration::from_secs(5));
    let reqs = &seen.borrow().requests;
    assert_eq!(reqs.len(), 3);
    assert_eq!(
        reqs[0].1.header_values(HeaderName::Contact).next(),
        Some("*")
    );
    assert_eq!(
        reqs[0].1.header_values(HeaderName::Expires).next(),
        Some("0")
    );
    let c = reqs[1].1.header_values(HeaderName::Contact).next().unwrap();
    assert!(
        c.contains("+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000000000001>\""),
        "{c}"
    );
    assert!(c.contains("reg-id=1"));
    assert_eq!(
        reqs[2].1.header_values(HeaderName::Expires).next(),
        Some("0")
    );
    assert!(reqs[2].1.method() == Some(&Method::Register));
    assert_eq!(
        states(&w, ua).last().unwrap().1,
        RegistrationState::Unregistered
    );
    // Nothing scheduled any more.
    w.run_for(Duration::from_secs(7200));
    assert_eq!(seen.borrow().requests.len(), 3);
}

#[test]
fn a_udp_flow_whose_stun_keepalives_go_unanswered_registers_again() {
    let mut w = World::new(11);
    let ua = w.add_ua(None);
    // The agent's endpoint keeps its UDP flow to the registrar alive with
    // STUN (RFC 5626 §4.4.2); the registrar's endpoint answers STUN.
    let cfg = heron_sip_stack::EndpointConfig {
        udp_keepalive: Some(heron_sip_stack::UdpKeepAlive {
            kind: heron_sip_stack::UdpKeepAliveKind::Stun,
            interval: Duration::from_secs(25),
            timeout: Duration::from_secs(8),
        }),
        ..Default::default()
    };
    let mut ep = heron_sip_stack::Endpoint::new(cfg, StdRng::seed_from_u64(77));
    ep.add_listener(heron_sip_stack::TransportKind::Udp, addr(ua), None);
    w.peers[ua].ep = ep;
    let seen = Rc::new(RefCell::new(Seen::default()));
    let reg = registrar(
        &mut w,
        seen.clone(),
        Box::new(|req, _| ok_with_contacts(req, Some(3600))),
    );
    let cfg = config(&w, reg);
    start(&mut w, ua, reg, cfg);
    w.run_for(Duration::from_secs(120));
    let registered = states(&w, ua)
        .iter()
        .filter(|(_, s)| matches!(s, RegistrationState::Registered { .. }))
        .count();
    assert_eq!(registered, 1);
    assert_eq!(
        seen.borrow().requests.len(),
        1,
        "no refresh yet (1 h granted)"
    );
    let stun_answers = w
        .log
        .iter()
        .filter(|x| x.from == addr(reg) && x.payload.first() == Some(&0x01))
        .count();
    assert!(
        stun_answers >= 4,
        "keep-alives were answered: {stun_answers}"
    );

    // From now on the registrar's STUN answers are lost (a NAT binding or
    // an SBC that forgot us): the flow is declared dead and the
    // registration is renewed long before its refresh time.
    let cut = w.elapsed();
    let reg_addr = addr(reg);
    w.drop = Some(Box::new(move |x: &Wire| {
        x.from == reg_addr && x.payload.first() == Some(&0x01)
    }));
    w.run_for(Duration::from_secs(120));
    let again: Vec<Duration> = seen
        .borrow()
        .requests
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| *t > cut)
        .collect();
    assert!(!again.is_empty(), "no REGISTER after the flow died");
    let within = again[0] - cut;
    assert!(
        within <= Duration::from_secs(25 + 8 + 5),
        "re-registered {within:?} after the cut"
    );
    let last = states(&w, ua).last().cloned().unwrap().1;
    assert!(
        matches!(last, RegistrationState::Registered { .. }),
        "{last:?}"
    );
}
