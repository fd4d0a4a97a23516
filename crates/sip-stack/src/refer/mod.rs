//! Transfers (RFC 3515 REFER, RFC 3891 Replaces, RFC 3892 Referred-By,
//! RFC 4488 norefersub): the `message/sipfrag` bodies of the implicit
//! subscription's NOTIFYs, Refer-To with an embedded Replaces, and the
//! user agent's transfer methods.
//!
//! ```
//! use heron_sip_stack::refer::{refer_to, sipfrag, sipfrag_status};
//! let to = refer_to("sip:carol@192.0.2.3", Some(("abc@h", "t1", "f1")));
//! assert_eq!(to, "<sip:carol@192.0.2.3?Replaces=abc%40h%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>");
//! assert_eq!(sipfrag(180), "SIP/2.0 180 Ringing\r\n");
//! assert_eq!(sipfrag_status(b"SIP/2.0 200 OK\r\n"), Some(200));
//! ```

mod transfer;

/// A `message/sipfrag` body with just a status line.
pub fn sipfrag(code: u16) -> String {
    format!("SIP/2.0 {code} {}\r\n", heron_sip::reason_phrase(code))
}

/// The status code of a `message/sipfrag` body.
pub fn sipfrag_status(body: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(body).ok()?;
    let line = text.lines().next()?.trim();
    let mut it = line.split_ascii_whitespace();
    if !it.next()?.eq_ignore_ascii_case("SIP/2.0") {
        return None;
    }
    let code: u16 = it.next()?.parse().ok()?;
    (100..700).contains(&code).then_some(code)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
            )
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A Refer-To value for `target`, with an embedded Replaces (Call-ID,
/// to-tag, from-tag) for attended transfer.
pub fn refer_to(target: &str, replaces: Option<(&str, &str, &str)>) -> String {
    match replaces {
        None => format!("<{target}>"),
        Some((call_id, to_tag, from_tag)) => format!(
            "<{target}?Replaces={}%3Bto-tag%3D{}%3Bfrom-tag%3D{}>",
            escape(call_id),
            escape(to_tag),
            escape(from_tag)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use heron_sip::headers::ReferTo;
    use heron_sip::TypedHeader;

    #[test]
    fn embedded_replaces_round_trips() {
        let v = refer_to("sip:carol@example.com", Some(("a-b@c", "t-1", "f=2")));
        let r = ReferTo::parse(&v).unwrap();
        let p = r.replaces().unwrap().unwrap();
        assert_eq!(p.call_id, "a-b@c");
        assert_eq!(p.to_tag, "t-1");
        assert_eq!(p.from_tag, "f=2");
    }

    #[test]
    fn sipfrag_rejects_garbage() {
        assert_eq!(sipfrag_status(b"HTTP/1.1 200 OK"), None);
        assert_eq!(sipfrag_status(b"SIP/2.0 99 x"), None);
        assert_eq!(sipfrag_status(&[0xff, 0xfe]), None);
        assert_eq!(
            sipfrag_status(b"SIP/2.0 503 Service Unavailable"),
            Some(503)
        );
    }
}
