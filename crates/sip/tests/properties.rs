//! Property tests: generated messages survive write → parse with the same
//! typed values; arbitrary bytes and truncations never panic.

mod common;

use bytes::Bytes;
use heron_sip::headers::*;
use heron_sip::{HeaderName, Message, Method, StreamDecoder};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Spec {
    method: &'static str,
    user: String,
    host: String,
    port: Option<u16>,
    display: Option<String>,
    tag: String,
    branch: String,
    call_id: String,
    cseq: u32,
    expires: Option<u32>,
    unknown: Vec<(String, String)>,
    body: Vec<u8>,
    compact: bool,
    fold: bool,
    upper: bool,
}

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.!%*_+`'~-]{0,12}"
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        (
            prop::sample::select(vec![
                "INVITE", "REGISTER", "OPTIONS", "BYE", "MESSAGE", "NOTIFY",
            ]),
            "[a-z0-9_.+-]{1,12}",
            "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9]{0,6}){0,2}",
            proptest::option::of(1u16..),
            proptest::option::of("[ -~&&[^\"\\\\]]{0,12}|[a-z ]{0,5}\\\\\"x"),
            token(),
        ),
        (
            "[a-zA-Z0-9]{1,20}",
            "[a-zA-Z0-9]{1,16}(@[a-z0-9.]{1,10})?",
            0u32..,
            proptest::option::of(0u32..100_000),
            prop::collection::vec(("X-[A-Za-z]{1,8}", "[ -~]{0,20}"), 0..4),
            prop::collection::vec(any::<u8>(), 0..300),
            (any::<bool>(), any::<bool>(), any::<bool>()),
        ),
    )
        .prop_map(
            |(
                (method, user, host, port, display, tag),
                (branch, call_id, cseq, expires, unknown, body, (compact, fold, upper)),
            )| Spec {
                method,
                user,
                host,
                port,
                display,
                tag,
                branch,
                call_id,
                cseq,
                expires,
                unknown,
                body,
                compact,
                fold,
                upper,
            },
        )
}

fn render(s: &Spec) -> Vec<u8> {
    let name = |full: &str, c: &str| -> String {
        let n = if s.compact {
            c.to_owned()
        } else {
            full.to_owned()
        };
        if s.upper {
            n.to_uppercase()
        } else {
            n
        }
    };
    let sep = if s.fold { " :\r\n  " } else { ": " };
    let hostport = match s.port {
        Some(p) => format!("{}:{p}", s.host),
        None => s.host.clone(),
    };
    let mut out = format!("{} sip:{}@{} SIP/2.0\r\n", s.method, s.user, hostport);
    out += &format!(
        "{}{sep}SIP/2.0/UDP {hostport};branch=z9hG4bK{};rport\r\n",
        name("Via", "v"),
        s.branch
    );
    out += &format!("Max-Forwards{sep}70\r\n");
    let disp = match &s.display {
        Some(d) => format!("\"{d}\" "),
        None => String::new(),
    };
    out += &format!(
        "{}{sep}{disp}<sip:{}@{}>;tag={}\r\n",
        name("From", "f"),
        s.user,
        s.host,
        s.tag
    );
    out += &format!("{}{sep}<sip:{}@{}>\r\n", name("To", "t"), s.user, s.host);
    out += &format!("{}{sep}{}\r\n", name("Call-ID", "i"), s.call_id);
    out += &format!("CSeq{sep}{} {}\r\n", s.cseq, s.method);
    if let Some(e) = s.expires {
        out += &format!(
            "{}{sep}<sip:{}@{hostport}>;expires={e}\r\n",
            name("Contact", "m"),
            s.user
        );
    }
    for (n, v) in &s.unknown {
        out += &format!("{n}{sep}{v}\r\n");
    }
    out += &format!(
        "{}{sep}{}\r\n\r\n",
        name("Content-Length", "l"),
        s.body.len()
    );
    let mut v = out.into_bytes();
    v.extend_from_slice(&s.body);
    v
}

fn check(s: &Spec, m: &Message) {
    m.validate().unwrap();
    assert_eq!(m.method().unwrap(), &Method::from_token(s.method));
    let ruri = m.request_uri().unwrap();
    let sip = ruri.as_sip().unwrap();
    assert_eq!(sip.user, Some(s.user.as_str()));
    assert_eq!(sip.port, s.port);
    let via = m.top_via().unwrap();
    assert_eq!(via.branch().unwrap(), format!("z9hG4bK{}", s.branch));
    assert_eq!(via.rport(), Some(None));
    let from = m.from_header().unwrap();
    assert_eq!(from.tag(), Some(s.tag.as_str()));
    let expect_display = s.display.as_ref().map(|d| d.replace("\\\"", "\""));
    assert_eq!(from.display_name().map(|d| d.into_owned()), expect_display);
    assert_eq!(m.call_id().unwrap(), s.call_id);
    assert_eq!(m.cseq().unwrap().seq, s.cseq);
    assert_eq!(
        m.contacts().next().map(|c| c.unwrap().expires().unwrap()),
        s.expires
    );
    for (n, v) in &s.unknown {
        assert!(m
            .headers()
            .any(|h| h.name_str.eq_ignore_ascii_case(n) && h.value == v.trim()));
    }
    assert_eq!(&m.body()[..], &s.body[..]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_messages_round_trip(s in spec()) {
        let wire = Bytes::from(render(&s));
        let m = Message::parse(wire.clone()).unwrap();
        check(&s, &m);
        // Unchanged: byte-identical.
        prop_assert_eq!(m.to_bytes(), wire);
        // Rebuilt field by field: same meaning.
        let mut rebuilt = Message::request(m.method().unwrap().clone(), m.request_uri_str().unwrap());
        for h in m.headers() {
            match h.name {
                HeaderName::Other => rebuilt.append_other(h.name_str, h.value),
                HeaderName::ContentLength => {}
                n => rebuilt.append_header(n, h.value),
            }
        }
        rebuilt.set_body(None, m.body().clone());
        let again = Message::parse(rebuilt.to_bytes()).unwrap();
        check(&s, &again);
        let strip_len = |v: Vec<String>| -> Vec<String> {
            v.into_iter().filter(|l| !l.starts_with("content-length")).collect()
        };
        prop_assert_eq!(strip_len(again.canonical_lines()), strip_len(m.canonical_lines()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        exercise(Bytes::from(data));
    }

    #[test]
    fn sip_like_text_never_panics(text in "[ -~\r\n\t]{0,600}") {
        let with_start = format!("INVITE sip:a@b SIP/2.0\r\n{text}");
        exercise(Bytes::from(with_start));
        exercise(Bytes::from(text));
    }

    #[test]
    fn truncations_never_panic(idx in 0usize..68, cut in 0usize..4096) {
        let rows = common::manifest("vendor-sip");
        let raw = common::read("vendor-sip", &rows[idx % rows.len()][0]);
        let cut = cut.min(raw.len());
        exercise(raw.slice(..cut));
        exercise(raw.slice(cut..));
    }
}

/// Drives every entry point that reads untrusted bytes.
fn exercise(data: Bytes) {
    if let Ok(m) = Message::parse(data.clone()) {
        let _ = m.validate();
        let _ = m.canonical_lines();
        let _ = m.to_bytes();
        let _ = format!("{m:?}");
        for _ in m.all::<Via>() {}
        for _ in m.all::<Contact>() {}
        let _ = m.get::<ReferTo>().map(|r| r.map(|r| r.replaces()));
        let _ = m
            .get::<WwwAuthenticate>()
            .map(|r| r.map(|a| a.params.iter().count()));
    }
    let mut d = StreamDecoder::default();
    for chunk in data.chunks(97) {
        if d.push(chunk).is_err() {
            break;
        }
        while let Ok(Some(_)) = d.next_item() {}
    }
    if let Ok(s) = std::str::from_utf8(&data) {
        let _ = heron_sip::Uri::parse(s);
        let _ = NameAddr::parse(s);
        let _ = heron_sip::e164::normalize(s, None);
    }
}
