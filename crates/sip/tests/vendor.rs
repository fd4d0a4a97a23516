//! The real messages of `../shared/testdata/vendor-sip/` (Asterisk,
//! FreeSWITCH, 3CX, Cisco, Avaya, Teams, Polycom, Yealink, carriers...):
//! each parses, validates, reads every known header as its typed value,
//! and round-trips.

mod common;

use heron_sip::headers::*;
use heron_sip::{HeaderName, Message};

const SUB: &str = "vendor-sip";

/// Messages that parse but are not complete SIP messages, with why.
const NOT_VALID: &[(&str, &str)] = &[(
    "064-avaya-attendant-update-pai.sip",
    "captured inside Avaya Session Manager before a Via was added: no Via at all",
)];

/// Parses every known header of `m` with its typed parser; returns the
/// failures as text.
fn typed_failures(m: &Message) -> Vec<String> {
    let mut bad = Vec::new();
    macro_rules! check {
        ($($t:ty),*) => {$(
            for v in m.all::<$t>() {
                if let Err(e) = v {
                    bad.push(e.to_string());
                }
            }
        )*};
    }
    check!(
        Via,
        From,
        To,
        CallId,
        CSeq,
        MaxForwards,
        Contact,
        Route,
        RecordRoute,
        ContentType,
        ContentLength,
        ContentDisposition,
        Expires,
        MinExpires,
        WwwAuthenticate,
        ProxyAuthenticate,
        Authorization,
        ProxyAuthorization,
        Allow,
        Supported,
        Require,
        Unsupported,
        ProxyRequire,
        RSeq,
        RAck,
        SessionExpires,
        MinSe,
        Event,
        SubscriptionState,
        ReferTo,
        ReferredBy,
        Replaces,
        PAssertedIdentity,
        PPreferredIdentity,
        Privacy,
        Diversion,
        HistoryInfo,
        Reason,
        RetryAfter,
        UserAgent,
        Server,
        Accept,
        Timestamp,
        Warning
    );
    bad
}

#[test]
fn all_vendor_messages_parse_validate_and_round_trip() {
    let rows = common::manifest(SUB);
    assert_eq!(rows.len(), 68);
    let mut failures = Vec::new();
    for row in &rows {
        let file = &row[0];
        let raw = common::read(SUB, file);
        let m = match Message::parse(raw.clone()) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{file}: parse: {e}"));
                continue;
            }
        };
        match (m.validate(), NOT_VALID.iter().find(|(f, _)| f == file)) {
            (Err(e), None) => failures.push(format!("{file}: validate: {e}")),
            (Ok(()), Some(_)) => failures.push(format!("{file}: expected a validation error")),
            _ => {}
        }
        for f in typed_failures(&m) {
            failures.push(format!("{file}: typed: {f}"));
        }
        // The start line of the manifest matches.
        let first = std::str::from_utf8(&raw).unwrap().lines().next().unwrap();
        assert_eq!(first, row[1], "{file}");
        // Byte-identical write-back and the same meaning after re-parsing.
        let out = m.to_bytes();
        assert_eq!(out, raw, "{file}: not byte-identical");
        let again = Message::parse(out).unwrap();
        assert_eq!(again.canonical_lines(), m.canonical_lines(), "{file}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn modified_messages_keep_their_meaning() {
    for row in common::manifest(SUB) {
        let m = Message::parse(common::read(SUB, &row[0])).unwrap();
        // Re-set every known header from its own value: the field loses its
        // raw form, so the writer produces it anew.
        let mut changed = m.clone();
        let known: Vec<(HeaderName, String)> = m
            .headers()
            .filter(|h| h.name != HeaderName::Other)
            .map(|h| (h.name, h.value.to_owned()))
            .collect();
        for (name, _) in &known {
            changed.remove_header(*name);
        }
        for (name, value) in &known {
            changed.append_header(*name, value);
        }
        let reparsed = Message::parse(changed.to_bytes()).unwrap();
        let mut a = m.canonical_lines();
        let mut b = reparsed.canonical_lines();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{}", row[0]);
    }
}
