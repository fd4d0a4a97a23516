use super::*;
use proptest::prelude::*;

fn pats(list: &[&str]) -> Vec<Pattern> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

fn policy(allow: &[&str], deny: &[&str]) -> CallPolicy {
    CallPolicy::new(PolicyConfig {
        allow: pats(allow),
        deny: pats(deny),
        ..PolicyConfig::default()
    })
}

const MONDAY_10: WallTime = WallTime {
    weekday: 0,
    minute: 600,
    day: 19000,
};

#[test]
fn emergency_is_refused_even_when_everything_is_allowed() {
    let p = policy(
        &["*", "+*", "sip:*@*", "urn:*", "+49112", "112", "0112"],
        &[],
    );
    for s in [
        "112",
        "0112",
        "9112",
        "+49112",
        "0049 112",
        "911",
        "+1 911",
        "999",
        "000",
        "110",
        "118",
        "119",
        "*31#112",
        "tel:112",
        "sip:112@pbx",
        "urn:service:sos",
        "urn:service:sos.fire",
        "sip:sos@pbx",
    ] {
        assert_eq!(p.check_destination(s), Err(Refusal::Emergency), "{s}");
    }
}

#[test]
fn configured_emergency_numbers_add_to_the_builtin_ones() {
    let p = CallPolicy::new(PolicyConfig {
        allow: pats(&["*", "+*"]),
        emergency_extra: vec!["19222".into(), "116117".into()],
        ..PolicyConfig::default()
    });
    assert_eq!(p.check_destination("19222"), Err(Refusal::Emergency));
    assert_eq!(p.check_destination("0 116 117"), Err(Refusal::Emergency));
    assert_eq!(p.check_destination("112"), Err(Refusal::Emergency));
    assert!(p.emergency().numbers().iter().any(|n| n == "112"));
}

#[test]
fn deny_beats_allow() {
    let p = policy(&["+49*"], &["+4930*"]);
    assert_eq!(
        p.check_destination("030 5551234"),
        Err(Refusal::Denied {
            pattern: "+4930*".into()
        })
    );
    assert!(p.check_destination("089 5551234").is_ok());
}

#[test]
fn empty_allow_list_allows_nothing() {
    let p = policy(&[], &[]);
    assert_eq!(
        p.check_destination("+49 30 5551234"),
        Err(Refusal::NotAllowed)
    );
    assert_eq!(
        p.check_destination("sip:bob@example.com"),
        Err(Refusal::NotAllowed)
    );
}

#[test]
fn premium_needs_an_allow_pattern_inside_the_range() {
    let broad = policy(&["+49*", "+*"], &[]);
    assert_eq!(
        broad.check_destination("0900 1234567"),
        Err(Refusal::Premium {
            prefix: "+49900".into()
        })
    );
    assert!(matches!(
        broad.check_destination("+1 900 555 0100"),
        Err(Refusal::Premium { .. })
    ));
    assert!(matches!(
        broad.check_destination("+881 1234567"),
        Err(Refusal::Premium { .. })
    ));
    let narrow = policy(&["+49*", "+49900123*"], &[]);
    assert!(narrow.check_destination("0900 1234567").is_ok());
    assert_eq!(
        narrow.check_destination("0900 9999999"),
        Err(Refusal::Premium {
            prefix: "+49900".into()
        })
    );
    let extra = CallPolicy::new(PolicyConfig {
        allow: pats(&["+49*"]),
        premium_extra: vec!["+49700".into()],
        ..PolicyConfig::default()
    });
    assert!(matches!(
        extra.check_destination("0700 1234567"),
        Err(Refusal::Premium { .. })
    ));
}

#[test]
fn short_codes_need_a_dial_string_pattern() {
    let p = policy(&["+49*"], &[]);
    assert_eq!(
        p.check_destination("11880"),
        Err(Refusal::ShortCode("11880".into()))
    );
    assert_eq!(
        p.check_destination("201"),
        Err(Refusal::ShortCode("201".into()))
    );
    assert_eq!(
        p.check_destination("*21#"),
        Err(Refusal::ShortCode("*21#".into()))
    );
    let ext = policy(&["+49*", "2??"], &[]);
    assert!(ext.check_destination("201").is_ok());
    assert_eq!(
        ext.check_destination("11880"),
        Err(Refusal::ShortCode("11880".into()))
    );
}

#[test]
fn unreadable_destinations_are_refused() {
    let p = policy(&["*", "+*"], &[]);
    assert!(matches!(
        p.check_destination(""),
        Err(Refusal::Unreadable(_))
    ));
    assert!(matches!(
        p.check_destination("call mom"),
        Err(Refusal::Unreadable(_))
    ));
    assert!(matches!(
        p.check_destination(&"1".repeat(40)),
        Err(Refusal::Unreadable(_))
    ));
}

#[test]
fn sip_addresses_follow_uri_patterns() {
    let p = policy(&["sip:*@127.0.0.1"], &["sip:mallory@*"]);
    assert!(p.check_destination("sip:bob@127.0.0.1:5070").is_ok());
    assert_eq!(
        p.check_destination("sip:bob@10.0.0.1"),
        Err(Refusal::NotAllowed)
    );
    assert!(matches!(
        p.check_destination("sip:mallory@127.0.0.1"),
        Err(Refusal::Denied { .. })
    ));
}

#[test]
fn outside_line_prefix_is_understood() {
    let p = CallPolicy::new(PolicyConfig {
        allow: pats(&["+49*"]),
        outside_line: "0".into(),
        ..PolicyConfig::default()
    });
    let d = p.check_destination("0 030 5551234").unwrap();
    assert_eq!(d.e164().unwrap().as_str(), "+49305551234");
    assert_eq!(p.check_destination("0 110"), Err(Refusal::Emergency));
}

#[test]
fn concurrent_cap_counts_both_directions() {
    let mut p = CallPolicy::new(PolicyConfig {
        allow: pats(&["+49*"]),
        max_calls: 2,
        ..PolicyConfig::default()
    });
    let now = Instant::now();
    let src: IpAddr = "192.0.2.1".parse().unwrap();
    p.admit_inbound(src, MONDAY_10).unwrap();
    p.admit_outbound("+4930555", now, MONDAY_10).unwrap();
    assert_eq!(
        p.admit_inbound(src, MONDAY_10),
        Err(Refusal::TooManyCalls { max: 2 })
    );
    assert_eq!(
        p.admit_outbound("+4930555", now, MONDAY_10),
        Err(Refusal::TooManyCalls { max: 2 })
    );
    assert_eq!(p.active_calls(), 2);
    p.call_ended();
    assert!(p.admit_inbound(src, MONDAY_10).is_ok());
    p.call_ended();
    p.call_ended();
    p.call_ended();
    assert_eq!(p.active_calls(), 0, "never below zero");
}

#[test]
fn busy_status_is_configurable() {
    let r = Refusal::TooManyCalls { max: 1 };
    assert_eq!(r.sip_status(BusyStatus::BusyHere), 486);
    assert_eq!(r.sip_status(BusyStatus::ServiceUnavailable), 503);
    assert_eq!(Refusal::Emergency.sip_status(BusyStatus::BusyHere), 403);
    assert_eq!(
        Refusal::Unreadable(DestinationError::Empty).sip_status(BusyStatus::BusyHere),
        484
    );
    assert_eq!(Refusal::DailyCap.sip_status(BusyStatus::BusyHere), 503);
}

#[test]
fn rate_limit_and_refused_calls_do_not_use_tokens() {
    let mut p = CallPolicy::new(PolicyConfig {
        allow: pats(&["+49*"]),
        max_calls: 100,
        rate: Some(RateLimit {
            calls: 2,
            per: Duration::from_secs(60),
            burst: 2,
        }),
        ..PolicyConfig::default()
    });
    let t0 = Instant::now();
    // A refused destination costs nothing.
    assert_eq!(
        p.admit_outbound("112", t0, MONDAY_10),
        Err(Refusal::Emergency)
    );
    p.admit_outbound("+4930555", t0, MONDAY_10).unwrap();
    p.admit_outbound("+4930555", t0, MONDAY_10).unwrap();
    match p.admit_outbound("+4930555", t0, MONDAY_10) {
        Err(Refusal::RateLimited { retry_after }) => {
            assert!(retry_after <= Duration::from_secs(30) + Duration::from_millis(1));
            assert!(retry_after >= Duration::from_secs(29));
        }
        other => panic!("{other:?}"),
    }
    assert!(p
        .admit_outbound("+4930555", t0 + Duration::from_secs(30), MONDAY_10)
        .is_ok());
}

#[test]
fn daily_cap_resets_on_the_next_day() {
    let mut p = CallPolicy::new(PolicyConfig {
        allow: pats(&["+49*"]),
        max_calls: 100,
        max_calls_per_day: Some(1),
        ..PolicyConfig::default()
    });
    let t0 = Instant::now();
    p.admit_outbound("+4930555", t0, MONDAY_10).unwrap();
    assert_eq!(
        p.admit_outbound("+4930555", t0, MONDAY_10),
        Err(Refusal::DailyCap)
    );
    let tuesday = WallTime {
        weekday: 1,
        minute: 600,
        day: MONDAY_10.day + 1,
    };
    assert!(p.admit_outbound("+4930555", t0, tuesday).is_ok());
}

#[test]
fn time_windows_apply_to_outbound_and_optionally_inbound() {
    let mut cfg = PolicyConfig {
        allow: pats(&["+49*"]),
        max_calls: 100,
        hours: vec![TimeWindow::parse("Mon-Fri 08:00-18:00").unwrap()],
        ..PolicyConfig::default()
    };
    let saturday = WallTime {
        weekday: 5,
        minute: 600,
        day: 19005,
    };
    let src: IpAddr = "192.0.2.1".parse().unwrap();
    let t0 = Instant::now();
    let mut p = CallPolicy::new(cfg.clone());
    assert_eq!(
        p.admit_outbound("+4930555", t0, saturday),
        Err(Refusal::OutsideHours)
    );
    assert!(p.admit_outbound("+4930555", t0, MONDAY_10).is_ok());
    assert!(
        p.admit_inbound(src, saturday).is_ok(),
        "inbound not limited by default"
    );
    cfg.hours_inbound = true;
    let mut p = CallPolicy::new(cfg);
    assert_eq!(p.admit_inbound(src, saturday), Err(Refusal::OutsideHours));
}

#[test]
fn allowed_sources_with_v4_mapped_addresses() {
    let mut p = CallPolicy::new(PolicyConfig {
        allowed_sources: vec![
            "192.0.2.0/24".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ],
        ..PolicyConfig::default()
    });
    assert!(p.source_allowed("192.0.2.77".parse().unwrap()));
    assert!(p.source_allowed("::ffff:192.0.2.77".parse().unwrap()));
    assert!(p.source_allowed("2001:db8::5".parse().unwrap()));
    assert!(!p.source_allowed("198.51.100.1".parse().unwrap()));
    let bad: IpAddr = "198.51.100.1".parse().unwrap();
    assert_eq!(
        p.admit_inbound(bad, MONDAY_10),
        Err(Refusal::SourceNotAllowed(bad))
    );
    assert_eq!(p.active_calls(), 0);
    let open = CallPolicy::new(PolicyConfig::default());
    assert!(open.source_allowed(bad));
}

fn emergency_number() -> impl Strategy<Value = String> {
    prop::sample::select(emergency::BUILTIN_EMERGENCY_NUMBERS.to_vec()).prop_map(str::to_owned)
}

fn prefix_chain() -> impl Strategy<Value = String> {
    let service = prop::option::of(prop::sample::select(vec!["*31#", "#31#"]));
    let outside = prop::collection::vec(prop::sample::select(vec!["0", "9"]), 0..=2);
    let international = prop_oneof![
        Just(String::new()),
        (1u32..999).prop_map(|cc| format!("+{cc}")),
        (1u32..999).prop_map(|cc| format!("00{cc}")),
        (1u32..999).prop_map(|cc| format!("011{cc}")),
        Just("+".to_owned()),
        Just("49".to_owned()),
    ];
    let trunk = prop::option::of(Just("0"));
    (service, outside, international, trunk).prop_map(|(s, o, i, t)| {
        // Nobody dials `+` after an outside-line digit.
        let o = if i.starts_with('+') {
            String::new()
        } else {
            o.concat()
        };
        format!("{}{}{}{}", s.unwrap_or(""), o, i, t.unwrap_or(""))
    })
}

proptest! {
    #[test]
    fn no_prefix_chain_hides_an_emergency_number(n in emergency_number(), pre in prefix_chain(), sep in prop::sample::select(vec!["", " ", "-"])) {
        let p = policy(&["*", "+*"], &[]);
        let dialled = format!("{pre}{sep}{n}");
        prop_assert_eq!(p.check_destination(&dialled), Err(Refusal::Emergency), "{}", dialled);
        let uri = format!("sip:{}@pbx.example.com", dialled.replace(' ', ""));
        prop_assert_eq!(p.check_destination(&uri), Err(Refusal::Emergency), "{}", uri);
    }

    #[test]
    fn check_destination_never_panics(s in ".{0,64}") {
        let p = policy(&["*", "+*", "sip:*@*"], &["+4930*"]);
        let _ = p.check_destination(&s);
    }
}
