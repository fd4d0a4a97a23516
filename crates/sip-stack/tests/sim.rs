//! Deterministic simulations in virtual time: every transaction kind, the
//! RFC 3261 timer schedules, loss, duplication and reordering, CANCEL,
//! failover, reliable transports and keep-alives. At the end of each run no
//! transaction is left.

mod common;

use common::*;
use heron_sip::{HeaderName, Message, Method};
use heron_sip_stack::{
    ClientKey, EndpointConfig, Event, KeepAlive, Target, TransactionKey, TransportError,
    TransportKind,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

fn responses(node: &Node) -> Vec<(Duration, u16)> {
    node.events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Response { response, .. } => Some((*t, response.status().unwrap())),
            _ => None,
        })
        .collect()
}

fn terminated_at(node: &Node, key: TransactionKey) -> Option<Duration> {
    node.events.iter().find_map(|(t, e)| match e {
        Event::Terminated(k) if *k == key => Some(*t),
        _ => None,
    })
}

fn server_keys(node: &Node) -> Vec<TransactionKey> {
    node.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Request { key, .. } => Some(TransactionKey::Server(*key)),
            _ => None,
        })
        .collect()
}

fn two_nodes() -> (Sim, usize, usize) {
    let mut sim = Sim::new(7);
    let a = sim.add(EndpointConfig::default());
    let b = sim.add(EndpointConfig::default());
    (sim, a, b)
}

fn send(sim: &mut Sim, from: usize, req: Message, to: usize) -> ClientKey {
    let target = udp(sim.nodes[to].addr);
    let now = sim.now;
    sim.nodes[from].ep.send_request(now, req, target).unwrap()
}

fn assert_no_leak(sim: &mut Sim) {
    sim.run_for(secs(120));
    for n in &sim.nodes {
        assert_eq!(
            n.ep.transaction_count(),
            0,
            "transactions left at {}",
            n.addr
        );
    }
}

#[test]
fn non_invite_udp_timers_k_and_j() {
    let (mut sim, a, b) = two_nodes();
    sim.nodes[b].tu = Some(answer_all(200));
    let to = sim.nodes[b].addr;
    let key = send(&mut sim, a, request(Method::Options, to, "c1", 1), b);
    sim.run_for(secs(60));
    assert_eq!(responses(&sim.nodes[a]), vec![(ms(20), 200)]);
    assert_eq!(sim.sent_times(a, "OPTIONS"), vec![ms(0)]);
    // Timer K = T4 after the response; Timer J = 64*T1 after the answer.
    assert_eq!(
        terminated_at(&sim.nodes[a], TransactionKey::Client(key)),
        Some(ms(5020))
    );
    let skey = server_keys(&sim.nodes[b])[0];
    assert_eq!(terminated_at(&sim.nodes[b], skey), Some(ms(32_010)));
    assert_no_leak(&mut sim);
}

#[test]
fn non_invite_retransmissions_follow_timer_e_until_f() {
    let (mut sim, a, b) = two_nodes();
    sim.drop_rule = Some(Box::new(|_| true));
    let to = sim.nodes[b].addr;
    let key = send(&mut sim, a, request(Method::Options, to, "c2", 1), b);
    sim.run_for(secs(60));
    let expect: Vec<Duration> = [
        0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
    ]
    .into_iter()
    .map(ms)
    .collect();
    assert_eq!(sim.sent_times(a, "OPTIONS"), expect);
    let timeout = sim.nodes[a]
        .events
        .iter()
        .find_map(|(t, e)| matches!(e, Event::Timeout { key: k } if *k == key).then_some(*t));
    assert_eq!(timeout, Some(secs(32)));
    assert_eq!(
        terminated_at(&sim.nodes[a], TransactionKey::Client(key)),
        Some(secs(32))
    );
    assert_no_leak(&mut sim);
}

#[test]
fn non_invite_proceeding_retransmits_every_t2() {
    let (mut sim, a, b) = two_nodes();
    // The server says 100 at once and answers 200 only after 10 s; the
    // 200 is lost once.
    let pending = Rc::new(RefCell::new(None));
    let p = pending.clone();
    sim.nodes[b].tu = Some(Box::new(move |ep, now, e| {
        if let Event::Request { key, request, .. } = e {
            ep.send_response(now, *key, Message::response_to(request, 100, None))
                .unwrap();
            *p.borrow_mut() = Some((*key, request.clone()));
        }
    }));
    let to = sim.nodes[b].addr;
    send(&mut sim, a, request(Method::Message, to, "c3", 1), b);
    sim.run_for(secs(10));
    // Trying at 0, E at 0.5 (still Trying: 100 arrives at 20 ms so E is
    // reset to T2 after the first retransmission in Proceeding).
    let times = sim.sent_times(a, "MESSAGE");
    assert_eq!(times, vec![ms(0), ms(500), ms(4500), ms(8500)]);
    let (key, req) = pending.borrow_mut().take().unwrap();
    let now = sim.now;
    sim.nodes[b]
        .ep
        .send_response(now, key, Message::response_to(&req, 200, Some("x")))
        .unwrap();
    sim.run_for(secs(1));
    // Provisional responses are passed up each time in Proceeding
    // (§17.1.2.2): one per retransmission the server answered with its 100.
    assert_eq!(
        responses(&sim.nodes[a])
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
        vec![100, 100, 100, 100, 200]
    );
    assert_no_leak(&mut sim);
}

#[test]
fn invite_retransmissions_follow_timer_a_until_b() {
    let (mut sim, a, b) = two_nodes();
    sim.drop_rule = Some(Box::new(|_| true));
    let to = sim.nodes[b].addr;
    let key = send(&mut sim, a, request(Method::Invite, to, "c4", 1), b);
    sim.run_for(secs(60));
    let expect: Vec<Duration> = [0, 500, 1500, 3500, 7500, 15_500, 31_500]
        .into_iter()
        .map(ms)
        .collect();
    assert_eq!(sim.sent_times(a, "INVITE"), expect);
    assert!(sim.nodes[a]
        .events
        .iter()
        .any(|(t, e)| *t == secs(32) && matches!(e, Event::Timeout { key: k } if *k == key)));
    assert_no_leak(&mut sim);
}

#[test]
fn invite_failure_retransmitted_on_timer_g_until_h_when_ack_lost() {
    let (mut sim, a, b) = two_nodes();
    sim.nodes[b].tu = Some(answer_all(486));
    sim.drop_rule = Some(Box::new(|s| s.first_line().starts_with("ACK")));
    let to = sim.nodes[b].addr;
    let key = send(&mut sim, a, request(Method::Invite, to, "c5", 1), b);
    sim.run_for(secs(60));
    let expect: Vec<Duration> = [
        10, 510, 1510, 3510, 7510, 11_510, 15_510, 19_510, 23_510, 27_510, 31_510,
    ]
    .into_iter()
    .map(ms)
    .collect();
    assert_eq!(sim.sent_times(b, "SIP/2.0 486"), expect);
    // The user saw the 486 once; every copy was ACKed.
    assert_eq!(responses(&sim.nodes[a]), vec![(ms(20), 486)]);
    assert_eq!(sim.sent_times(a, "ACK").len(), expect.len());
    let skey = server_keys(&sim.nodes[b])[0];
    assert_eq!(terminated_at(&sim.nodes[b], skey), Some(ms(32_010)));
    // Timer D: 32 s after the 486 reached the client.
    assert_eq!(
        terminated_at(&sim.nodes[a], TransactionKey::Client(key)),
        Some(ms(32_020))
    );
    assert_no_leak(&mut sim);
}

#[test]
fn invite_failure_ack_confirms_and_timer_i_ends() {
    let (mut sim, a, b) = two_nodes();
    sim.nodes[b].tu = Some(answer_all(603));
    let to = sim.nodes[b].addr;
    send(&mut sim, a, request(Method::Invite, to, "c6", 1), b);
    sim.run_for(secs(60));
    assert_eq!(sim.sent_times(b, "SIP/2.0 603"), vec![ms(10)]);
    assert_eq!(sim.sent_times(a, "ACK"), vec![ms(20)]);
    let skey = server_keys(&sim.nodes[b])[0];
    // ACK arrives at 30 ms; Timer I = T4.
    assert_eq!(terminated_at(&sim.nodes[b], skey), Some(ms(5030)));
    // The ACK was absorbed by the transaction, not passed up.
    assert!(!sim.nodes[b]
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::Ack { .. })));
    assert_no_leak(&mut sim);
}

#[test]
fn invite_2xx_accepted_states_timers_l_and_m() {
    let (mut sim, a, b) = two_nodes();
    sim.nodes[b].tu = Some(answer_all(200));
    let to = sim.nodes[b].addr;
    // The caller's user ACKs each 2xx it sees, outside the transaction.
    sim.nodes[a].tu = Some(Box::new(move |ep, now, e| {
        if let Event::Response { response, .. } = e {
            if response.status() == Some(200) {
                let mut ack = Message::request(Method::Ack, &format!("sip:svc@{to}"));
                for h in ["From", "To", "Call-ID"] {
                    ack.append_other(h, response.header_str(h).unwrap());
                }
                ack.append_header(HeaderName::CSeq, "1 ACK");
                ep.send_stateless(now, ack, udp(to)).unwrap();
            }
        }
    }));
    let key = send(&mut sim, a, request(Method::Invite, to, "c7", 1), b);
    sim.run_for(secs(60));
    assert_eq!(responses(&sim.nodes[a]), vec![(ms(20), 200)]);
    let acks: Vec<_> = sim.nodes[b]
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Ack { .. }))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(acks, vec![ms(30)]);
    let skey = server_keys(&sim.nodes[b])[0];
    assert_eq!(terminated_at(&sim.nodes[b], skey), Some(ms(32_010)));
    assert_eq!(
        terminated_at(&sim.nodes[a], TransactionKey::Client(key)),
        Some(ms(32_020))
    );
    assert_no_leak(&mut sim);
}

#[test]
fn invite_server_sends_100_trying_after_200ms() {
    let (mut sim, a, b) = two_nodes();
    let pending = Rc::new(RefCell::new(None));
    let p = pending.clone();
    sim.nodes[b].tu = Some(Box::new(move |_, _, e| {
        if let Event::Request { key, request, .. } = e {
            *p.borrow_mut() = Some((*key, request.clone()));
        }
    }));
    let to = sim.nodes[b].addr;
    send(&mut sim, a, request(Method::Invite, to, "c8", 1), b);
    sim.run_for(secs(3));
    assert_eq!(sim.sent_times(b, "SIP/2.0 100"), vec![ms(210)]);
    // The 100 stopped Timer A: a single INVITE was sent.
    assert_eq!(sim.sent_times(a, "INVITE"), vec![ms(0)]);
    let (key, req) = pending.borrow_mut().take().unwrap();
    let now = sim.now;
    sim.nodes[b]
        .ep
        .send_response(now, key, Message::response_to(&req, 480, Some("t")))
        .unwrap();
    assert_no_leak(&mut sim);
    assert_eq!(
        responses(&sim.nodes[a])
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
        vec![100, 480]
    );
}

#[test]
fn cancel_before_and_after_provisional() {
    for early in [true, false] {
        let mut sim = Sim::new(11);
        let a = sim.add(EndpointConfig::default());
        // No automatic 100 Trying, so the first provisional is the 180.
        let mut cfg = EndpointConfig::default();
        cfg.timers.trying = secs(600);
        let b = sim.add(cfg);
        // The callee rings (after 1 s) and answers 487 when cancelled.
        let ringing: Rc<RefCell<Vec<_>>> = Rc::default();
        let r = ringing.clone();
        sim.nodes[b].tu = Some(Box::new(move |ep, now, e| match e {
            Event::Request { key, request, .. } if request.method() == Some(&Method::Invite) => {
                r.borrow_mut().push((*key, request.clone()));
            }
            Event::Cancelled { invite, .. } => {
                let req = r
                    .borrow()
                    .iter()
                    .find(|x| x.0 == *invite)
                    .unwrap()
                    .1
                    .clone();
                ep.send_response(now, *invite, Message::response_to(&req, 487, Some("z")))
                    .unwrap();
            }
            _ => {}
        }));
        let to = sim.nodes[b].addr;
        let key = send(&mut sim, a, request(Method::Invite, to, "c9", 1), b);
        let cancel = if early {
            // Before any provisional: the CANCEL waits.
            let now = sim.now;
            let c = sim.nodes[a].ep.cancel(now, key).unwrap();
            sim.run_for(ms(100));
            assert!(sim.sent_times(a, "CANCEL").is_empty());
            c
        } else {
            ClientKey::clone(&key)
        };
        sim.run_for(ms(900));
        let (skey, req) = ringing.borrow()[0].clone();
        let now = sim.now;
        sim.nodes[b]
            .ep
            .send_response(now, skey, Message::response_to(&req, 180, Some("z")))
            .unwrap();
        sim.run_for(ms(50));
        let cancel = if early {
            cancel
        } else {
            let now = sim.now;
            sim.nodes[a].ep.cancel(now, key).unwrap()
        };
        sim.run_for(secs(1));
        assert_eq!(sim.sent_times(a, "CANCEL").len(), 1, "early={early}");
        let codes: Vec<u16> = responses(&sim.nodes[a]).iter().map(|r| r.1).collect();
        assert_eq!(codes, vec![180, 200, 487], "early={early}");
        // The 200 belongs to the CANCEL's key.
        assert!(sim.nodes[a].events.iter().any(|(_, e)| matches!(e,
            Event::Response { key: k, response, .. } if *k == cancel && response.status() == Some(200))));
        assert_no_leak(&mut sim);
    }
}

#[test]
fn cancel_for_unknown_invite_gets_481() {
    let (mut sim, a, b) = two_nodes();
    let to = sim.nodes[b].addr;
    // Send an INVITE whose packets are all lost, then cancel it after a
    // (fake) provisional: build the CANCEL by hand instead.
    let mut c = request(Method::Cancel, to, "c10", 1);
    c.remove_header(HeaderName::Contact);
    let now = sim.now;
    // CANCEL cannot be sent as a transaction of its own.
    assert!(sim.nodes[a]
        .ep
        .send_request(now, c.clone(), udp(to))
        .is_err());
    let mut opts = request(Method::Options, to, "c10", 1);
    opts.set_header(HeaderName::CSeq, "1 OPTIONS");
    let wire = {
        let mut m = Message::request(Method::Cancel, &format!("sip:svc@{to}"));
        m.append_header(
            HeaderName::Via,
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnothere;rport",
        );
        m.append_header(HeaderName::From, "<sip:a@x>;tag=1");
        m.append_header(HeaderName::To, "<sip:b@y>");
        m.append_header(HeaderName::CallId, "zz");
        m.append_header(HeaderName::CSeq, "1 CANCEL");
        m.to_bytes()
    };
    let from = sim.nodes[a].addr;
    sim.nodes[b]
        .ep
        .handle_datagram(now, TransportKind::Udp, to, from, wire);
    sim.run_for(ms(100));
    assert_eq!(sim.sent_times(b, "SIP/2.0 481").len(), 1);
    assert_no_leak(&mut sim);
}

#[test]
fn lossy_network_every_transaction_completes_once() {
    for seed in 1..=4u64 {
        let mut sim = Sim::new(seed);
        let a = sim.add(EndpointConfig::default());
        let b = sim.add(EndpointConfig::default());
        sim.loss = 0.2;
        sim.dup = 0.1;
        sim.delay = (ms(5), ms(400));
        let to = sim.nodes[b].addr;
        sim.nodes[b].tu = Some(Box::new(|ep, now, e| {
            if let Event::Request { key, request, .. } = e {
                let code = if request.method() == Some(&Method::Invite) {
                    486
                } else {
                    200
                };
                ep.send_response(now, *key, Message::response_to(request, code, Some("t")))
                    .unwrap();
            }
        }));
        let mut keys = Vec::new();
        for i in 0..40u32 {
            let m = if i % 3 == 0 {
                Method::Invite
            } else {
                Method::Options
            };
            keys.push(send(
                &mut sim,
                a,
                request(m, to, &format!("call-{seed}-{i}"), i + 1),
                b,
            ));
            sim.run_for(ms(50));
        }
        sim.run_for(secs(200));
        for key in &keys {
            let finals: Vec<_> = sim.nodes[a]
                .events
                .iter()
                .filter(|(_, e)| match e {
                    Event::Response {
                        key: k, response, ..
                    } => k == key && response.status().unwrap() >= 200,
                    Event::Timeout { key: k } => k == key,
                    _ => false,
                })
                .collect();
            assert_eq!(finals.len(), 1, "seed {seed} key {key:?}: {finals:?}");
        }
        // With 20 % loss a transaction fails only if 7 to 11 copies are
        // all lost: none of these 40 does.
        assert!(!sim.nodes[a]
            .events
            .iter()
            .any(|(_, e)| matches!(e, Event::Timeout { .. })));
        // Each request reached the user once, retransmissions absorbed.
        assert_eq!(server_keys(&sim.nodes[b]).len(), 40, "seed {seed}");
        assert_no_leak(&mut sim);
    }
}

#[test]
fn failover_to_next_target_on_timeout_and_503() {
    let mut sim = Sim::new(3);
    let a = sim.add(EndpointConfig::default());
    let dead = sim.add(EndpointConfig::default());
    let busy = sim.add(EndpointConfig::default());
    let good = sim.add(EndpointConfig::default());
    let dead_addr = sim.nodes[dead].addr;
    sim.drop_rule = Some(Box::new(move |s| s.to == dead_addr));
    sim.nodes[busy].tu = Some(answer_all(503));
    sim.nodes[good].tu = Some(answer_all(200));
    let targets: Vec<Target> = [dead, busy, good]
        .iter()
        .map(|n| udp(sim.nodes[*n].addr))
        .collect();
    let req = request(Method::Options, sim.nodes[good].addr, "fo", 1);
    let now = sim.now;
    let key = sim.nodes[a].ep.send_request_to(now, req, targets).unwrap();
    sim.run_for(secs(40));
    // One answer for the user: the 200 from the third target, after the
    // first timed out at 32 s and the second said 503.
    let r: Vec<_> = sim.nodes[a]
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Response {
                key: k, response, ..
            } if *k == key => Some((*t, response.status().unwrap())),
            Event::Timeout { .. } => Some((*t, 408)),
            _ => None,
        })
        .collect();
    assert_eq!(r, vec![(ms(32_040), 200)]);
    let branches: Vec<String> = sim
        .log
        .iter()
        .filter(|s| s.from == sim.nodes[a].addr && s.first_line().starts_with("OPTIONS"))
        .map(|s| {
            let m = Message::parse(s.payload.clone()).unwrap();
            m.top_via().unwrap().branch().unwrap().to_owned()
        })
        .collect();
    let mut uniq = branches.clone();
    uniq.dedup();
    assert_eq!(uniq.len(), 3, "a new branch per target");
    assert_no_leak(&mut sim);
    let terms = sim.nodes[a]
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Terminated(TransactionKey::Client(k)) if *k == key))
        .count();
    assert_eq!(terms, 1);
}

#[test]
fn tcp_transactions_have_no_retransmissions_and_end_at_once() {
    let (mut sim, a, b) = two_nodes();
    sim.nodes[b].tu = Some(answer_all(404));
    let to = sim.nodes[b].addr;
    let now = sim.now;
    let ikey = sim.nodes[a]
        .ep
        .send_request(
            now,
            request(Method::Invite, to, "t1", 1),
            Target::new(TransportKind::Tcp, to),
        )
        .unwrap();
    let okey = sim.nodes[a]
        .ep
        .send_request(
            now,
            request(Method::Options, to, "t2", 1),
            Target::new(TransportKind::Tcp, to),
        )
        .unwrap();
    sim.run_for(secs(1));
    assert_eq!(sim.sent_times(a, "INVITE").len(), 1);
    assert_eq!(sim.sent_times(a, "ACK").len(), 1);
    // Both client transactions end as the final response arrives (D = K = 0),
    // the server INVITE when the ACK arrives (I = 0), the OPTIONS at once (J = 0).
    assert_eq!(
        terminated_at(&sim.nodes[a], TransactionKey::Client(okey)),
        Some(ms(20))
    );
    assert_eq!(
        terminated_at(&sim.nodes[a], TransactionKey::Client(ikey)),
        Some(ms(20))
    );
    assert_eq!(sim.nodes[b].ep.transaction_count(), 0);
    // One connection carried everything.
    assert_eq!(sim.nodes[a].ep.connection_count(), 1);
    let vias = sim
        .log
        .iter()
        .filter(|s| s.from == sim.nodes[a].addr)
        .all(|s| s.transport == TransportKind::Tcp);
    assert!(vias);
}

#[test]
fn large_request_moves_from_udp_to_tcp() {
    let (mut sim, a, b) = two_nodes();
    sim.nodes[b].tu = Some(answer_all(200));
    let to = sim.nodes[b].addr;
    let mut req = request(Method::Message, to, "big", 1);
    req.set_body(Some("text/plain"), bytes::Bytes::from(vec![b'x'; 2000]));
    let key = send(&mut sim, a, req, b);
    sim.run_for(secs(1));
    let first = sim
        .log
        .iter()
        .find(|s| s.first_line().starts_with("MESSAGE"))
        .unwrap();
    assert_eq!(first.transport, TransportKind::Tcp);
    assert!(String::from_utf8_lossy(&first.payload).contains("SIP/2.0/TCP"));
    assert_eq!(responses(&sim.nodes[a]), vec![(ms(20), 200)]);
    assert_eq!(
        terminated_at(&sim.nodes[a], TransactionKey::Client(key)),
        Some(ms(20))
    );
}

#[test]
fn keepalive_pings_and_dead_flow_detection() {
    let cfg = EndpointConfig {
        keepalive: Some(KeepAlive {
            interval: secs(30),
            timeout: secs(10),
        }),
        ..EndpointConfig::default()
    };
    let mut sim = Sim::new(5);
    let a = sim.add(cfg.clone());
    let b = sim.add(cfg);
    sim.nodes[b].tu = Some(answer_all(200));
    let to = sim.nodes[b].addr;
    let now = sim.now;
    sim.nodes[a]
        .ep
        .send_request(
            now,
            request(Method::Options, to, "k1", 1),
            Target::new(TransportKind::Tcp, to),
        )
        .unwrap();
    sim.run_for(secs(95));
    // Pings every 30 s after each pong (sent at 30, 60.02, 90.04 s).
    let pings: Vec<Duration> = sim
        .log
        .iter()
        .filter(|s| s.from == sim.nodes[a].addr && &s.payload[..] == b"\r\n\r\n")
        .map(|s| s.at)
        .collect();
    assert_eq!(pings, vec![secs(30), ms(60_020), ms(90_040)]);
    let pongs = sim
        .log
        .iter()
        .filter(|s| s.from == to && &s.payload[..] == b"\r\n")
        .count();
    assert_eq!(pongs, 3);
    // Now the peer goes silent: its pongs vanish.
    sim.nodes[b].ep = {
        let mut ep = heron_sip_stack::Endpoint::new(
            EndpointConfig::default(),
            <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(9),
        );
        ep.add_listener(TransportKind::Tcp, to, None);
        ep
    };
    sim.run_for(secs(60));
    let closed: Vec<_> = sim.nodes[a]
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::ConnectionClosed {
                outbound: true,
                error: Some(TransportError::KeepAliveTimeout(..)),
                ..
            } => Some(*t),
            _ => None,
        })
        .collect();
    assert_eq!(closed, vec![ms(130_060)]);
    assert_eq!(sim.nodes[a].ep.connection_count(), 0);
}

#[test]
fn closed_connection_fails_pending_transaction() {
    let (mut sim, a, b) = two_nodes();
    let to = sim.nodes[b].addr;
    let now = sim.now;
    let key = sim.nodes[a]
        .ep
        .send_request(
            now,
            request(Method::Options, to, "x1", 1),
            Target::new(TransportKind::Tcp, to),
        )
        .unwrap();
    sim.run_for(ms(100));
    // The connection breaks before an answer. The client's connection got
    // the id after the transaction's (ids are shared and start at 1).
    assert_eq!(sim.nodes[b].ep.transaction_count(), 1);
    let now = sim.now;
    sim.nodes[a]
        .ep
        .connection_failed(now, heron_sip_stack::ConnectionId(2), "reset");
    sim.run_for(ms(100));
    let got = sim.nodes[a]
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::TransportError { key: k, .. } if *k == key));
    assert!(got, "{:?}", sim.nodes[a].events);
    assert_eq!(sim.nodes[a].ep.transaction_count(), 0);
}

#[test]
fn outbound_proxy_takes_every_request_even_without_targets() {
    let mut sim = Sim::new(11);
    let a = sim.add(EndpointConfig::default());
    let proxy = sim.add(EndpointConfig::default());
    let elsewhere = sim.add(EndpointConfig::default());
    sim.nodes[proxy].tu = Some(answer_all(200));
    let proxy_addr = sim.nodes[proxy].addr;
    sim.nodes[a]
        .ep
        .set_outbound_proxy(Some(vec![udp(proxy_addr)]));
    let now = sim.now;
    let to = sim.nodes[elsewhere].addr;
    let k1 = sim.nodes[a]
        .ep
        .send_request_to(now, request(Method::Options, to, "p1", 1), vec![])
        .unwrap();
    let k2 = sim.nodes[a]
        .ep
        .send_request(now, request(Method::Options, to, "p2", 1), udp(to))
        .unwrap();
    assert_ne!(k1, k2);
    sim.run_for(secs(1));
    assert_eq!(server_keys(&sim.nodes[proxy]).len(), 2);
    assert!(server_keys(&sim.nodes[elsewhere]).is_empty());
    assert_eq!(responses(&sim.nodes[a]).len(), 2);
    assert_no_leak(&mut sim);
}
