//! Tests of the writer and the builder.

use super::*;

#[test]
fn a_message_changed_over_and_over_stays_small_and_right() {
    let mut m = Message::request(Method::Register, "sip:pbx.example.com");
    m.append_header(HeaderName::From, "<sip:101@pbx.example.com>;tag=a");
    m.append_other("X-Note", "first");
    for i in 0..10_000 {
        m.set_header(HeaderName::CSeq, &format!("{i} REGISTER"));
        m.remove_header(HeaderName::Via);
        m.prepend_header(HeaderName::Via, &format!("SIP/2.0/UDP h;branch=z9hG4bK{i}"));
        m.set_request_uri("sip:pbx.example.com");
        assert!(
            m.extra.len() <= 2 * (m.fields.len() + 2) + 16,
            "{}",
            m.extra.len()
        );
    }
    let text = m.to_bytes();
    let again = Message::parse(text).unwrap();
    assert_eq!(again.cseq().unwrap().seq, 9_999);
    assert_eq!(again.top_via().unwrap().branch(), Some("z9hG4bK9999"));
    assert_eq!(again.request_uri_str(), Some("sip:pbx.example.com"));
    let note = again.headers().find(|h| h.name_str == "X-Note").unwrap();
    assert_eq!(note.value, "first");
}

#[test]
fn to_tag_is_found_as_the_parser_finds_it() {
    for v in [
        "<sip:a@b>",
        "<sip:a@b>;tag=x",
        "<sip:a@b> ; TAG = x ;foo",
        "<sip:a@b;tag=inuri>",
        "<sip:a@b;tag=inuri>;tag=out",
        "sip:a@b;tag=y",
        "sip:a@b",
        "Bob <sip:a@b>;tag=1",
        "\"B;tag=<o>\" <sip:a@b>",
        "\"B;tag=<o>\" <sip:a@b>;tag=2",
        "<sip:a@b>;tag",
        "<sip:a@b>;x=\"q;tag=1\"",
        "  <sip:a@b>;tag=z  ",
    ] {
        let full = headers::NameAddr::parse(v).unwrap();
        assert_eq!(to_has_tag(v), full.tag().is_some(), "{v}");
    }
    // Malformed parameters: no tag, as the parser says.
    assert!(!to_has_tag("<sip:a@b>;;tag=1"));
    assert!(!to_has_tag("<sip:a@b;tag=1"));
}

#[test]
fn response_to_adds_one_tag_and_writes_numbers() {
    let req = Message::parse(Bytes::from_static(
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
          From: <sip:x@y>;tag=1\r\nTo: <sip:a@b;tag=u>\r\nCall-ID: c\r\n\
          CSeq: 7 OPTIONS\r\nTimestamp: 5\r\nContent-Length: 0\r\n\r\n",
    ))
    .unwrap();
    let ok = Message::response_to(&req, 200, Some("t9"));
    assert_eq!(ok.to_header().unwrap().tag(), Some("t9"));
    let again = Message::response_to(&ok_as_request(&ok), 486, Some("zz"));
    assert_eq!(again.to_header().unwrap().tag(), Some("t9"));
    let text = String::from_utf8(ok.to_bytes().to_vec()).unwrap();
    assert!(text.starts_with("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"));
    assert!(text.ends_with("CSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n"));
    assert!(!text.contains("Timestamp"));
    let trying = Message::response_to(&req, 100, Some("t9"));
    assert_eq!(trying.to_header().unwrap().tag(), None);
    assert_eq!(trying.header_str("Timestamp"), Some("5"));
    let mut r = Message::response(699);
    r.set_body(None, Bytes::from(vec![b'x'; 12_345]));
    let text = r.to_bytes();
    assert!(text.starts_with(b"SIP/2.0 699 \r\nContent-Length: 12345\r\n\r\nx"));
}

#[test]
fn a_header_written_on_top_leaves_the_message_alone() {
    let mut m = Message::request(Method::Options, "sip:a@b");
    m.append_header(HeaderName::Via, "SIP/2.0/UDP old;branch=z9hG4bKold");
    m.append_header(HeaderName::CSeq, "1 OPTIONS");
    let wire = m.to_bytes_with_top_header(HeaderName::Via, "SIP/2.0/UDP new\r\n;x=1");
    assert_eq!(
        &wire[..],
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP new  ;x=1\r\n\
          Via: SIP/2.0/UDP old;branch=z9hG4bKold\r\nCSeq: 1 OPTIONS\r\n\
          Content-Length: 0\r\n\r\n"
    );
    assert_eq!(m.header_values(HeaderName::Via).count(), 1);
    assert_eq!(
        m.to_bytes_with_top_header(HeaderName::Other, "x"),
        m.to_bytes()
    );
    let parsed =
        Message::parse(m.to_bytes_with_top_header(HeaderName::Via, "SIP/2.0/TCP t")).unwrap();
    let vias: Vec<_> = parsed.header_values(HeaderName::Via).collect();
    assert_eq!(vias, ["SIP/2.0/TCP t", "SIP/2.0/UDP old;branch=z9hG4bKold"]);
}

#[test]
fn prefixed_names_are_the_canonical_names() {
    for n in [
        HeaderName::Via,
        HeaderName::From,
        HeaderName::To,
        HeaderName::CallId,
        HeaderName::CSeq,
        HeaderName::MaxForwards,
        HeaderName::Contact,
        HeaderName::ContentLength,
    ] {
        let prefix = name_and_colon(n).unwrap();
        assert_eq!(prefix, format!("{}: ", n.as_str()).as_bytes());
    }
    assert_eq!(name_and_colon(HeaderName::Subject), None);
    assert_eq!(name_and_colon(HeaderName::Other), None);
}

#[test]
fn static_values_are_appended_like_others() {
    let mut a = Message::request(Method::Options, "sip:a@b");
    let mut b = a.clone();
    a.append_header_static(HeaderName::MaxForwards, "70");
    a.append_header_static(HeaderName::Subject, "x\r\nVia: injected");
    b.append_header(HeaderName::MaxForwards, "70");
    b.append_header(HeaderName::Subject, "x\r\nVia: injected");
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(a.max_forwards(), Some(Ok(70)));
    assert!(!a.has(HeaderName::Via));
}

#[test]
fn replace_first_keeps_the_place_and_the_rest() {
    let mut m = Message::request(Method::Options, "sip:a@b");
    m.append_header(HeaderName::From, "<sip:x@y>");
    m.append_header(HeaderName::Via, "SIP/2.0/UDP a");
    m.append_header(HeaderName::Via, "SIP/2.0/UDP b");
    m.replace_first(HeaderName::Via, "SIP/2.0/UDP a;received=1.2.3.4\r\n");
    let names: Vec<_> = m.headers().map(|h| (h.name, h.value)).collect();
    assert_eq!(
        names,
        [
            (HeaderName::From, "<sip:x@y>"),
            (HeaderName::Via, "SIP/2.0/UDP a;received=1.2.3.4  "),
            (HeaderName::Via, "SIP/2.0/UDP b"),
        ]
    );
    m.replace_first(HeaderName::CSeq, "1 OPTIONS");
    assert_eq!(m.header_str("CSeq"), Some("1 OPTIONS"));
}

#[test]
fn the_written_length_is_exact() {
    let parsed = Message::parse(Bytes::from_static(
        b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
          v: SIP/2.0/UDP g\r\n  ;branch=z9hG4bK2\r\nContent-Length: 3\r\n\r\nabc",
    ))
    .unwrap();
    let mut changed = parsed.clone();
    changed.set_reason("ignored on a request");
    changed.append_other("X-Thing", "1");
    changed.set_request_uri("sips:b@c:5061");
    let mut with_body = Message::response(200);
    with_body.set_body(Some("application/sdp"), Bytes::from(vec![b'v'; 1234]));
    let mut no_length = Message::response(99);
    no_length.remove_header(HeaderName::ContentLength);
    for m in [
        parsed,
        changed,
        with_body,
        no_length,
        Message::response(100),
        Message::response(1000),
        Message::request(Method::Options, "sip:x"),
    ] {
        let bytes = m.to_bytes();
        assert_eq!(bytes.len(), m.written_len());
        let mut out = BytesMut::new();
        m.write_to(&mut out);
        assert_eq!(&out[..], &bytes[..]);
        let top = m.to_bytes_with_top_header(HeaderName::Via, "SIP/2.0/UDP t");
        assert_eq!(top.len(), bytes.len() + "Via: SIP/2.0/UDP t\r\n".len());
    }
    assert_eq!(decimal_len(0), 1);
    assert_eq!(decimal_len(9), 1);
    assert_eq!(decimal_len(10), 2);
    assert_eq!(decimal_len(u64::MAX), 20);
}

/// A request carrying the headers of response `r` (to answer again).
fn ok_as_request(r: &Message) -> Message {
    let mut m = Message::request(Method::Bye, "sip:a@b");
    for h in r.headers() {
        m.append_header(h.name, h.value);
    }
    m
}
