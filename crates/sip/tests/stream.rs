//! Stream framing: arbitrary chunking, keep-alives, limits, broken framing.

mod common;

use heron_sip::{Limits, ParseErrorKind, StreamDecoder, StreamItem};

fn messages() -> Vec<Vec<u8>> {
    [
        "001-ast-d40-invite.sip",
        "002-ast-pjsip-401-invite.sip",
        "004-ast-d40-register.sip",
    ]
    .iter()
    .map(|f| common::read("vendor-sip", f).to_vec())
    .collect()
}

fn drain(d: &mut StreamDecoder, out: &mut Vec<String>) {
    while let Some(item) = d.next_item().expect("valid stream") {
        out.push(match item {
            StreamItem::Message(m) => format!("msg:{}", m.cseq().unwrap().seq),
            StreamItem::Ping => "ping".into(),
            StreamItem::Pong => "pong".into(),
        });
    }
}

#[test]
fn any_chunking_yields_the_same_items() {
    let mut stream = Vec::new();
    for m in messages() {
        stream.extend_from_slice(b"\r\n\r\n");
        stream.extend_from_slice(&m);
    }
    let mut expected = Vec::new();
    {
        let mut d = StreamDecoder::default();
        d.push(&stream).unwrap();
        drain(&mut d, &mut expected);
    }
    assert_eq!(expected.len(), 6);
    assert_eq!(expected.iter().filter(|i| *i == "ping").count(), 3);
    for chunk in [1, 2, 3, 7, 64, 500, 1499] {
        let mut d = StreamDecoder::default();
        let mut got = Vec::new();
        for c in stream.chunks(chunk) {
            d.push(c).unwrap();
            drain(&mut d, &mut got);
        }
        // A ping split after its first CRLF is seen as two pongs, which is
        // harmless: both are answered or ignored the same way.
        let normalise = |v: &[String]| -> Vec<String> {
            v.iter().filter(|i| i.starts_with("msg")).cloned().collect()
        };
        assert_eq!(normalise(&got), normalise(&expected), "chunk {chunk}");
        assert_eq!(d.buffered(), 0);
    }
}

#[test]
fn single_crlf_is_a_pong() {
    let mut d = StreamDecoder::default();
    d.push(b"\r\n").unwrap();
    assert!(matches!(d.next_item().unwrap(), Some(StreamItem::Pong)));
    assert!(d.next_item().unwrap().is_none());
}

#[test]
fn missing_content_length_on_a_stream_is_an_error() {
    let mut d = StreamDecoder::default();
    d.push(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n")
        .unwrap();
    let e = d.next_item().unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::MissingContentLength);
    // The connection is unusable afterwards.
    assert!(d.push(b"x").is_err());
}

#[test]
fn limits_bound_memory() {
    let limits = Limits {
        max_header_bytes: 256,
        max_body_bytes: 100,
        max_headers: 10,
    };
    let mut d = StreamDecoder::new(limits);
    d.push(&[b'A'; 300]).unwrap();
    let e = d.next_item().unwrap_err();
    assert!(matches!(
        e.kind,
        ParseErrorKind::TooLarge {
            what: "header section",
            ..
        }
    ));

    let mut d = StreamDecoder::new(limits);
    d.push(b"MESSAGE sip:a@b SIP/2.0\r\nl: 5000\r\n\r\n")
        .unwrap();
    let e = d.next_item().unwrap_err();
    assert!(matches!(
        e.kind,
        ParseErrorKind::TooLarge { what: "body", .. }
    ));

    let mut d = StreamDecoder::new(limits);
    assert!(
        d.push(&[b'x'; 400]).is_err(),
        "the buffer itself is bounded"
    );
}

#[test]
fn body_waits_for_all_bytes() {
    let msg = b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello";
    let mut d = StreamDecoder::default();
    d.push(&msg[..msg.len() - 2]).unwrap();
    assert!(d.next_item().unwrap().is_none());
    d.push(&msg[msg.len() - 2..]).unwrap();
    match d.next_item().unwrap() {
        Some(StreamItem::Message(m)) => assert_eq!(&m.body()[..], b"hello"),
        other => panic!("{other:?}"),
    }
}
