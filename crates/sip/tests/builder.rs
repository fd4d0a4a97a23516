//! Building requests and responses, changing headers, Content-Length.

use bytes::Bytes;
use heron_sip::headers::*;
use heron_sip::{HeaderName, Message, Method};

fn invite() -> Message {
    Message::parse(Bytes::from_static(
        b"INVITE sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKnashds8\r\n\
Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK77ef4c2312983.1\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@example.com>\r\n\
From: Alice <sip:alice@example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Timestamp: 54\r\n\
Contact: <sip:alice@pc33.example.com>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\n",
    ))
    .unwrap()
}

#[test]
fn response_copies_what_8_2_6_says() {
    let req = invite();
    let r = Message::response_to(&req, 180, Some("abc"));
    let r = Message::parse(r.to_bytes()).unwrap();
    r.validate().unwrap();
    assert_eq!(r.status(), Some(180));
    assert_eq!(r.reason(), Some("Ringing"));
    let vias: Vec<Via> = r.all::<Via>().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 2);
    assert_eq!(vias[0].branch(), Some("z9hG4bKnashds8"));
    assert_eq!(r.to_header().unwrap().tag(), Some("abc"));
    assert_eq!(r.from_header().unwrap().tag(), Some("1928301774"));
    assert_eq!(r.call_id().unwrap(), "a84b4c76e66710");
    assert_eq!(r.cseq().unwrap().method, "INVITE");
    assert!(!r.has(HeaderName::Timestamp), "Timestamp only on 100");
    assert!(!r.has(HeaderName::Contact));
    assert_eq!(r.get::<ContentLength>().unwrap().unwrap().0, 0);

    let trying = Message::parse(Message::response_to(&req, 100, Some("abc")).to_bytes()).unwrap();
    assert_eq!(trying.to_header().unwrap().tag(), None, "no tag on 100");
    assert!(trying.has(HeaderName::Timestamp));
}

#[test]
fn existing_to_tag_is_kept() {
    let mut req = invite();
    req.set_header(HeaderName::To, "Bob <sip:bob@example.com>;tag=xyz");
    let r = Message::response_to(&req, 200, Some("other"));
    assert_eq!(r.to_header().unwrap().tag(), Some("xyz"));
}

#[test]
fn build_request_with_body() {
    let mut m = Message::request(Method::Register, "sip:registrar.example.com");
    m.append_header(
        HeaderName::Via,
        "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport",
    );
    m.append_header(HeaderName::MaxForwards, "70");
    m.append_header(HeaderName::From, "<sip:123456@example.com>;tag=a");
    m.append_header(HeaderName::To, "<sip:123456@example.com>");
    m.append_header(HeaderName::CallId, "c1");
    m.append_header(HeaderName::CSeq, "1 REGISTER");
    m.append_other("X-Custom", "yes");
    m.set_body(Some("text/plain"), Bytes::from_static(b"hello"));
    let wire = m.to_bytes();
    let p = Message::parse(wire.clone()).unwrap();
    p.validate().unwrap();
    assert_eq!(&p.body()[..], b"hello");
    assert_eq!(p.get::<ContentLength>().unwrap().unwrap().0, 5);
    assert_eq!(p.header_str("x-custom"), Some("yes"));
    assert!(wire.starts_with(b"REGISTER sip:registrar.example.com SIP/2.0\r\n"));

    // Replacing the body updates Content-Length, once.
    let mut p2 = p.clone();
    p2.set_body(None, Bytes::new());
    let p3 = Message::parse(p2.to_bytes()).unwrap();
    assert_eq!(p3.header_values(HeaderName::ContentLength).count(), 1);
    assert_eq!(p3.get::<ContentLength>().unwrap().unwrap().0, 0);
    assert!(!p3.has(HeaderName::ContentType));
}

#[test]
fn header_editing() {
    let mut m = invite();
    m.prepend_header(
        HeaderName::Via,
        "SIP/2.0/TCP us.example.com;branch=z9hG4bKtop",
    );
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bKtop"));
    assert!(m.remove_first(HeaderName::Via));
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bKnashds8"));
    m.set_header(HeaderName::Via, "SIP/2.0/UDP only;branch=z9hG4bKx");
    assert_eq!(m.all::<Via>().count(), 1);
    assert_eq!(m.remove_header(HeaderName::Timestamp), 1);
    m.set_request_uri("sip:carol@example.com");
    let p = Message::parse(m.to_bytes()).unwrap();
    assert_eq!(p.request_uri_str(), Some("sip:carol@example.com"));
    assert_eq!(&p.body()[..], b"v=0\n");
}

#[test]
fn values_cannot_inject_header_lines() {
    let mut m = Message::request(Method::Options, "sip:a@b");
    m.append_header(HeaderName::Subject, "hi\r\nVia: SIP/2.0/UDP evil");
    let p = Message::parse(m.to_bytes()).unwrap();
    assert_eq!(p.all::<Via>().count(), 0);
}

#[test]
fn debug_hides_credentials() {
    let mut m = invite();
    m.append_header(
        HeaderName::Authorization,
        "Digest username=\"bob\", response=\"6629fae49393a05397450978507c4ef1\"",
    );
    let d = format!("{m:?}");
    assert!(!d.contains("6629fae4"));
    assert!(d.contains("INVITE"));
}

#[test]
fn canonical_form_ignores_spelling() {
    let a = Message::parse(Bytes::from_static(
        b"INVITE sip:Bob@EXAMPLE.com;transport=UDP;lr SIP/2.0\r\n\
Via: SIP/2.0/UDP host.example.com:5060;rport;branch=z9hG4bK1\r\n\
From: \"Alice\" <sip:alice@example.com>;tag=1\r\n\
To: <sip:bob@example.com>\r\n\
Call-ID: x@y\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:%61lice@host>;expires=60, <sip:b@c>\r\n\
Content-Length: 0\r\n\r\n",
    ))
    .unwrap();
    let b = Message::parse(Bytes::from_static(
        b"INVITE sip:Bob@example.COM;lr;transport=udp SIP/2.0\r\n\
v: SIP / 2.0 / udp HOST.example.com : 5060 ; branch=z9hG4bK1 ; rport\r\n\
f: Alice <sip:alice@example.com> ; tag = 1\r\n\
t: sip:bob@example.com\r\n\
i: x@y\r\n\
cseq:\r\n 1 INVITE\r\n\
m: <sip:alice@host>;expires=60\r\n\
M: <sip:b@c>\r\n\
l: 0\r\n\r\n",
    ))
    .unwrap();
    assert_eq!(a.canonical_lines(), b.canonical_lines());
    let c = Message::parse(Bytes::from_static(
        b"INVITE sip:Bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP host.example.com:5060;branch=z9hG4bK1\r\n\r\n",
    ))
    .unwrap();
    assert_ne!(a.canonical_lines(), c.canonical_lines());
}

#[test]
fn check_all_headers_finds_bad_optional_headers() {
    let m = Message::parse(Bytes::from_static(
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nRSeq: x\r\nSupported: timer, 100rel\r\n\r\n",
    ))
    .unwrap();
    m.validate().unwrap();
    let e = m.check_all_headers().unwrap_err();
    assert_eq!(e.header, Some("RSeq"));
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nRSeq: x\r\n\r\n";
    assert_eq!(&raw[e.offset..e.offset + 1], b"x");
}
