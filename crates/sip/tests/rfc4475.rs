//! Every RFC 4475 torture message: valid ones parse, validate and carry the
//! values the RFC calls out; invalid ones fail with the error that makes a
//! server send the response the RFC names.

mod common;

use bytes::Bytes;
use heron_sip::headers::*;
use heron_sip::{HeaderName, Message, Method, ParseError, ParseErrorKind, Uri};

const SUB: &str = "rfc4475";

fn load(file: &str) -> Bytes {
    common::read(SUB, file)
}

fn parse_and_validate(buf: Bytes) -> Result<Message, ParseError> {
    let m = Message::parse(buf)?;
    m.validate()?;
    Ok(m)
}

/// What each invalid message must fail with: (file, header concerned or
/// None, check on the kind). Tolerated ones are listed separately.
type Expectation = (Option<&'static str>, fn(&ParseErrorKind) -> bool);

fn expected_failure(file: &str) -> Option<Expectation> {
    use ParseErrorKind as K;
    Some(match file {
        "badinv01.dat" => (Some("Via"), |k| matches!(k, K::InvalidHeader(_))),
        "clerr.dat" => (None, |k| {
            matches!(k, K::BodyTruncated { declared: 9999, .. })
        }),
        "ncl.dat" => (Some("Content-Length"), |k| {
            matches!(k, K::InvalidContentLength)
        }),
        "scalar02.dat" => (Some("CSeq"), |k| matches!(k, K::InvalidHeader(_))),
        "scalarlg.dat" => (Some("CSeq"), |k| matches!(k, K::InvalidHeader(_))),
        "quotbal.dat" => (Some("To"), |k| matches!(k, K::InvalidHeader(_))),
        "ltgtruri.dat" | "lwsruri.dat" | "lwsstart.dat" | "trws.dat" | "bigcode.dat"
        | "test.dat" => (None, |k| matches!(k, K::StartLine(_))),
        "escruri.dat" => (None, |k| matches!(k, K::StartLine(_))),
        "regbadct.dat" => (Some("Contact"), |k| matches!(k, K::InvalidHeader(_))),
        "badaspec.dat" => (Some("To"), |k| matches!(k, K::InvalidHeader(_))),
        // As archived the message lacks its final empty line.
        "baddn.dat" => (None, |k| matches!(k, K::UnterminatedHeaders)),
        "badvers.dat" => (None, |k| matches!(k, K::UnsupportedVersion)),
        "mismatch01.dat" | "mismatch02.dat" => {
            (Some("CSeq"), |k| matches!(k, K::CSeqMethodMismatch))
        }
        "insuf.dat" => (None, |k| matches!(k, K::MissingHeader)),
        "multi01.dat" => (None, |k| matches!(k, K::DuplicateHeader)),
        "mcl01.dat" => (Some("Content-Length"), |k| {
            matches!(k, K::ConflictingContentLength)
        }),
        _ => return None,
    })
}

/// Invalid per the manifest, but RFC 4475 allows a liberal element to
/// accept them; the reason is given.
const TOLERATED: &[(&str, &str)] = &[(
    "baddate.dat",
    "RFC 4475 §3.1.2.12: only an element that uses Date must reject; nothing here \
     interprets Date, so the request is processed",
)];

#[test]
fn every_torture_message_has_the_expected_outcome() {
    let rows = common::manifest(SUB);
    assert!(rows.len() >= 50, "manifest lists {} messages", rows.len());
    for row in rows {
        let (file, validity) = (row[0].as_str(), row[2].as_str());
        let result = parse_and_validate(load(file));
        match validity {
            "valid" => {
                let m = result.unwrap_or_else(|e| panic!("{file} must be accepted: {e}"));
                assert!(m.to_bytes().len() <= load(file).len(), "{file}");
            }
            "invalid" if TOLERATED.iter().any(|(f, _)| *f == file) => {
                result.unwrap_or_else(|e| panic!("{file} is tolerated but failed: {e}"));
            }
            "invalid" => {
                let (header, kind_ok) =
                    expected_failure(file).unwrap_or_else(|| panic!("no expectation for {file}"));
                let err = match result {
                    Ok(_) => panic!("{file} must be rejected"),
                    Err(e) => e,
                };
                assert!(kind_ok(&err.kind), "{file}: unexpected error {err:?}");
                if let Some(h) = header {
                    assert_eq!(err.header, Some(h), "{file}: {err}");
                }
                // The error names something a human can act on.
                assert!(!err.to_string().is_empty());
            }
            other => panic!("unknown validity {other} for {file}"),
        }
    }
}

#[test]
fn baddn_completed_is_rejected_for_the_display_name() {
    let mut v = load("baddn.dat").to_vec();
    v.extend_from_slice(b"\r\n");
    let err = parse_and_validate(Bytes::from(v)).unwrap_err();
    assert_eq!(err.header, Some("From"));
    assert_eq!(err.status_code(), 400);
}

#[test]
fn badvers_maps_to_505() {
    let err = parse_and_validate(load("badvers.dat")).unwrap_err();
    assert_eq!(err.status_code(), 505);
}

#[test]
fn wsinv_values() {
    let m = parse_and_validate(load("wsinv.dat")).unwrap();
    assert_eq!(m.max_forwards().unwrap().unwrap(), 68);
    assert_eq!(
        m.cseq().unwrap(),
        CSeq {
            seq: 9,
            method: "INVITE"
        }
    );
    assert_eq!(m.to_header().unwrap().tag(), Some("1918181833n"));
    let from = m.from_header().unwrap();
    assert_eq!(from.display_name().unwrap(), "J Rosenberg \\\"");
    assert_eq!(from.tag(), Some("98asjd8"));
    let vias: Vec<Via> = m.all::<Via>().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].branch(), Some("390skdjuw"));
    assert_eq!(vias[1].transport, "TCP");
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(
        m.header_str("UnknownHeaderWithUnusualValue"),
        Some(";;,,;;,;"),
        "unknown header kept opaque"
    );
    assert_eq!(
        m.header_str("newfangledheader"),
        Some("newfangled value\r\n continued newfangled value")
    );
    let c = m.contacts().next().unwrap().unwrap();
    assert_eq!(c.q(), Some(330));
    assert_eq!(
        c.address().unwrap().display_name().unwrap(),
        "Quoted string \"\""
    );
    assert_eq!(m.body().len(), 150);
    let route: Route = m.get().unwrap().unwrap();
    assert!(route.uri.as_sip().unwrap().is_loose_route());
}

#[test]
fn esc01_escapes_are_equivalent_to_their_characters() {
    let m = parse_and_validate(load("esc01.dat")).unwrap();
    let ruri = m.request_uri().unwrap();
    let sip = ruri.as_sip().unwrap();
    assert_eq!(sip.user_unescaped().unwrap(), "sips:user@example.com");
    let to = m.to_header().unwrap();
    assert!(to
        .uri
        .equivalent(&Uri::parse("sip:user@example.com").unwrap()));
    let contact = m.contacts().next().unwrap().unwrap();
    let uri = contact.address().unwrap().uri;
    assert!(uri.equivalent(&Uri::parse("sip:caller@host5.example.net;lr;name=value%2541").unwrap()));
    assert_eq!(
        heron_sip::uri::unescape(uri.as_sip().unwrap().params.get("n%61me").unwrap().unwrap()),
        "value%41"
    );
}

#[test]
fn escnull_keeps_two_distinct_contacts() {
    let m = parse_and_validate(load("escnull.dat")).unwrap();
    let c: Vec<Contact> = m.contacts().map(Result::unwrap).collect();
    assert_eq!(c.len(), 2);
    let users: Vec<String> = c
        .iter()
        .map(|c| {
            c.address()
                .unwrap()
                .uri
                .as_sip()
                .unwrap()
                .user_unescaped()
                .unwrap()
                .into_owned()
        })
        .collect();
    assert_eq!(users, vec!["\0".to_owned(), "\0\0".to_owned()]);
    assert_eq!(
        m.to_header()
            .unwrap()
            .uri
            .as_sip()
            .unwrap()
            .user_unescaped()
            .unwrap(),
        "null-\0-null"
    );
}

#[test]
fn esc02_percent_is_not_an_escape_in_methods() {
    let m = parse_and_validate(load("esc02.dat")).unwrap();
    assert_eq!(m.method(), Some(&Method::from_token("RE%47IST%45R")));
    assert!(!m.method().unwrap().is_known());
    assert_eq!(m.to_header().unwrap().display_name().unwrap(), "%Z%45");
    assert_eq!(m.contacts().count(), 2);
    assert_eq!(
        m.header_str("C%6Fntact"),
        Some("<sip:alias2@host2.example.com>")
    );
}

#[test]
fn lwsdisp_semiuri_transports_mpart() {
    let m = parse_and_validate(load("lwsdisp.dat")).unwrap();
    assert_eq!(m.from_header().unwrap().display.unwrap(), "caller");

    let m = parse_and_validate(load("semiuri.dat")).unwrap();
    let uri = m.request_uri().unwrap();
    assert_eq!(
        uri.as_sip().unwrap().user_unescaped().unwrap(),
        "user;par=u@example.net"
    );
    assert_eq!(m.all::<Accept>().count(), 6);

    let m = parse_and_validate(load("transports.dat")).unwrap();
    let t: Vec<&str> = m.all::<Via>().map(|v| v.unwrap().transport).collect();
    assert_eq!(t, vec!["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);

    let m = parse_and_validate(load("mpart01.dat")).unwrap();
    assert_eq!(m.body().len(), 553);
    assert!(m.content_type().unwrap().unwrap().is("multipart", "mixed"));
}

#[test]
fn intmeth_longreq_unreason_noreason() {
    let m = parse_and_validate(load("intmeth.dat")).unwrap();
    assert_eq!(
        m.method().unwrap().as_str(),
        "!interesting-Method0123456789_*+`.%indeed'~"
    );
    let sip = *m.request_uri().unwrap().as_sip().unwrap();
    assert_eq!(
        sip.password,
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert!(m
        .to_header()
        .unwrap()
        .display_name()
        .unwrap()
        .contains('\0'));

    let m = parse_and_validate(load("longreq.dat")).unwrap();
    assert_eq!(m.all::<Via>().count(), 34);

    let m = parse_and_validate(load("unreason.dat")).unwrap();
    assert_eq!(m.status(), Some(200));
    assert!(!m.reason().unwrap().is_ascii());

    let m = parse_and_validate(load("noreason.dat")).unwrap();
    assert_eq!(m.reason(), Some(""));
}

#[test]
fn dblreq_ignores_trailing_octets() {
    let raw = load("dblreq.dat");
    let m = parse_and_validate(raw.clone()).unwrap();
    assert_eq!(m.method(), Some(&Method::Register));
    assert!(m.body().is_empty());
    let written = m.to_bytes();
    assert!(written.len() < raw.len());
    assert_eq!(&raw[..written.len()], &written[..]);
}

#[test]
fn section_3_2_to_3_4_are_parseable() {
    let m = parse_and_validate(load("badbranch.dat")).unwrap();
    assert!(!m.top_via().unwrap().has_rfc3261_branch());

    let m = parse_and_validate(load("unkscm.dat")).unwrap();
    assert!(matches!(m.request_uri().unwrap(), Uri::Other(_)));

    let m = parse_and_validate(load("unksm2.dat")).unwrap();
    assert!(matches!(m.to_header().unwrap().uri, Uri::Other(_)));

    let m = parse_and_validate(load("bext01.dat")).unwrap();
    let req: Vec<&str> = m.all::<Require>().map(|r| r.unwrap().0).collect();
    let preq: Vec<&str> = m.all::<ProxyRequire>().map(|r| r.unwrap().0).collect();
    assert!(!req.is_empty() && !preq.is_empty());

    let m = parse_and_validate(load("regaut01.dat")).unwrap();
    let a: Authorization = m.get().unwrap().unwrap();
    assert_eq!(a.scheme, "NoOneKnowsThisScheme");

    let m = parse_and_validate(load("bcast.dat")).unwrap();
    let second = m.all::<Via>().nth(1).unwrap().unwrap();
    assert_eq!(
        second.host,
        heron_sip::Host::V4("255.255.255.255".parse().unwrap())
    );

    let m = parse_and_validate(load("zeromf.dat")).unwrap();
    assert_eq!(m.max_forwards().unwrap().unwrap(), 0);

    let m = parse_and_validate(load("cparam01.dat")).unwrap();
    let c = m.contacts().next().unwrap().unwrap();
    // addr-spec form: unknownparam is a header parameter, not a URI one.
    assert!(c.address().unwrap().params.contains("unknownparam"));
    let m = parse_and_validate(load("cparam02.dat")).unwrap();
    let c = m.contacts().next().unwrap().unwrap();
    assert!(c
        .address()
        .unwrap()
        .uri
        .as_sip()
        .unwrap()
        .params
        .contains("unknownparam"));

    let m = parse_and_validate(load("regescrt.dat")).unwrap();
    let c = m.contacts().next().unwrap().unwrap();
    assert!(c.address().unwrap().uri.as_sip().unwrap().headers.is_some());

    let m = parse_and_validate(load("inv2543.dat")).unwrap();
    assert!(m.top_via().unwrap().branch().is_none());
    assert!(m.from_header().unwrap().tag().is_none());
    assert!(m.max_forwards().is_none());
    assert!(!m.has(HeaderName::ContentLength));
    assert!(!m.body().is_empty(), "body is the rest of the datagram");
}

#[test]
fn unchanged_messages_round_trip_byte_for_byte() {
    for row in common::manifest(SUB) {
        let raw = load(&row[0]);
        if let Ok(m) = Message::parse(raw.clone()) {
            let out = m.to_bytes();
            let start = raw
                .iter()
                .position(|b| *b != b'\r' && *b != b'\n')
                .unwrap_or(0);
            assert_eq!(&raw[start..start + out.len()], &out[..], "{}", row[0]);
            // And the output parses to the same canonical meaning.
            let again = Message::parse(out).unwrap();
            assert_eq!(again.canonical_lines(), m.canonical_lines(), "{}", row[0]);
        }
    }
}
