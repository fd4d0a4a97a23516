//! Secrets hidden from SIP text that is about to be logged or traced.
//!
//! What counts as a secret here: the credentials of `Authorization` and
//! `Proxy-Authorization` (a digest `response` proves knowledge of the
//! password hash and can be replayed within the nonce's life; any other
//! scheme's credentials are hidden whole), `rspauth` of
//! `Authentication-Info`, and keys carried in an SDP body (`inline:` key
//! material of `a=crypto`, `k=` lines, `a=key-mgmt` data). Everything else,
//! DTLS fingerprints included, is public and stays readable.
//!
//! The work is line by line on text, so it also serves datagrams that did
//! not parse; folded header lines stay with their header.
//!
//! ```
//! let t = "REGISTER sip:pbx SIP/2.0\r\n\
//!          Authorization: Digest username=\"101\", response=\"6629fae49393a05397450978507c4ef1\"\r\n\
//!          \r\n";
//! let shown = heron_sip::redact::text(t);
//! assert!(shown.contains("username=\"101\""));
//! assert!(!shown.contains("6629fae4"));
//! ```

use crate::name::HeaderName;
use crate::text::{find_unquoted, trim_lws};
use crate::Message;
use std::borrow::Cow;

/// What replaces a hidden value.
pub const MASK: &str = "<redacted>";

/// Parameters whose values are hidden in credentials and auth info.
const SECRET_PARAMS: [&str; 3] = ["response", "rspauth", "password"];

/// Which header a line (or its folded continuation) belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LineKind {
    /// Credentials: digest parameters masked, other schemes hidden whole.
    Credentials,
    /// Authentication-Info: `rspauth` masked.
    AuthInfo,
    /// Anything else, SDP included.
    Plain,
}

/// `text` with every secret replaced by [`MASK`]; borrowed when nothing
/// needed hiding.
pub fn text(text: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut kind = LineKind::Plain;
    let mut done = 0;
    for line in text.split_inclusive('\n') {
        let start = done;
        done += line.len();
        let folded = line.starts_with([' ', '\t']);
        if !folded {
            kind = header_kind(line);
        }
        let shown = match kind {
            LineKind::Credentials if folded => credentials_params(line),
            LineKind::Credentials => credentials_line(line),
            LineKind::AuthInfo => match line.find(':') {
                Some(c) if !folded => params_after(line, c + 1),
                _ => params_after(line, 0),
            },
            LineKind::Plain => sdp_line(line),
        };
        if let Cow::Owned(s) = shown {
            out.get_or_insert_with(|| text[..start].to_owned())
                .push_str(&s);
        } else if let Some(o) = out.as_mut() {
            o.push_str(line);
        }
    }
    match out {
        Some(s) => Cow::Owned(s),
        None => Cow::Borrowed(text),
    }
}

/// Raw bytes (a datagram or stream chunk) as text with secrets hidden;
/// bytes that are not UTF-8 are shown as U+FFFD.
pub fn bytes(raw: &[u8]) -> String {
    text(&String::from_utf8_lossy(raw)).into_owned()
}

impl Message {
    /// The message as it would be written, with secrets hidden (see
    /// [`crate::redact`]): the form to log or trace.
    pub fn redacted(&self) -> String {
        bytes(&self.to_bytes())
    }
}

fn header_kind(line: &str) -> LineKind {
    let Some(colon) = line.find(':') else {
        return LineKind::Plain;
    };
    let name = trim_lws(&line[..colon]);
    match HeaderName::from_name(name) {
        HeaderName::Authorization | HeaderName::ProxyAuthorization => LineKind::Credentials,
        HeaderName::Other if name.eq_ignore_ascii_case("Authentication-Info") => LineKind::AuthInfo,
        _ => LineKind::Plain,
    }
}

/// The first line of a credentials header: the scheme stays; digest
/// parameters are masked one by one, any other scheme's credentials whole.
fn credentials_line(line: &str) -> Cow<'_, str> {
    let Some(colon) = line.find(':') else {
        return Cow::Borrowed(line);
    };
    let value = &line[colon + 1..];
    let lead = value.len() - value.trim_start().len();
    let scheme_start = colon + 1 + lead;
    let scheme_len = line[scheme_start..]
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(line.len() - scheme_start);
    let scheme = &line[scheme_start..scheme_start + scheme_len];
    let rest_at = scheme_start + scheme_len;
    if scheme.eq_ignore_ascii_case("digest") {
        return params_after(line, rest_at);
    }
    let body = line[rest_at..].trim_end_matches(['\r', '\n']);
    if body.trim().is_empty() {
        return Cow::Borrowed(line);
    }
    let eol = &line[rest_at + body.len()..];
    Cow::Owned(format!("{} {MASK}{eol}", &line[..rest_at]))
}

/// A folded continuation of credentials: its parameters masked.
fn credentials_params(line: &str) -> Cow<'_, str> {
    params_after(line, 0)
}

/// `line` with the values of secret `name=value` items after `from`
/// replaced; items are comma-separated and values may be quoted.
fn params_after(line: &str, from: usize) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut pos = from;
    while pos < line.len() {
        let rest = &line[pos..];
        let item_len = match find_unquoted(rest, b',') {
            Ok(Some(i)) => i,
            // An unterminated quote: the rest of the line is one item.
            Ok(None) | Err(()) => rest.len(),
        };
        let item = &rest[..item_len];
        if let Some(eq) = item.find('=') {
            let name = trim_lws(&item[..eq]);
            if SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                let value = item[eq + 1..].trim_end_matches(['\r', '\n']);
                let v_start = pos + eq + 1 + (value.len() - value.trim_start().len());
                let v_end = pos + eq + 1 + value.trim_end().len();
                if v_end > v_start {
                    let o = out.get_or_insert_with(String::new);
                    o.push_str(&line[copied..v_start]);
                    o.push('"');
                    o.push_str(MASK);
                    o.push('"');
                    copied = v_end;
                }
            }
        }
        pos += item_len + 1;
    }
    match out {
        Some(mut o) => {
            o.push_str(&line[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(line),
    }
}

/// An SDP line with key material hidden: every `inline:` key of
/// `a=crypto` (RFC 4568), the key of a `k=` line (RFC 4566) and the data of
/// `a=key-mgmt` (RFC 4567).
fn sdp_line(line: &str) -> Cow<'_, str> {
    let body = line.trim_end_matches(['\r', '\n']);
    let eol = &line[body.len()..];
    if let Some(k) = body.strip_prefix("k=") {
        let keep = k.find(':').map_or(0, |c| c + 1);
        if k.len() > keep {
            return Cow::Owned(format!("k={}{MASK}{eol}", &k[..keep]));
        }
        return Cow::Borrowed(line);
    }
    if let Some(km) = body.strip_prefix("a=key-mgmt:") {
        let keep = km.find(' ').map_or(km.len(), |s| s + 1);
        if km.len() > keep {
            return Cow::Owned(format!("a=key-mgmt:{}{MASK}{eol}", &km[..keep]));
        }
        return Cow::Borrowed(line);
    }
    if !body.starts_with("a=crypto:") {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = body;
    let mut changed = false;
    while let Some(i) = find_ignore_case(rest, "inline:") {
        let key_start = i + "inline:".len();
        out.push_str(&rest[..key_start]);
        let key_len = rest[key_start..]
            .find(['|', ';', ' ', '\t'])
            .unwrap_or(rest.len() - key_start);
        if key_len > 0 {
            out.push_str(MASK);
            changed = true;
        }
        rest = &rest[key_start + key_len..];
    }
    if !changed {
        return Cow::Borrowed(line);
    }
    out.push_str(rest);
    out.push_str(eol);
    Cow::Owned(out)
}

fn find_ignore_case(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use proptest::strategy::Strategy;

    const KEY: &str = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

    #[test]
    fn digest_response_is_hidden_and_the_rest_kept() {
        let t = "INVITE sip:x SIP/2.0\r\nAuthorization: Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"0123456789abcdef\", cnonce=\"c1\", nc=00000001\r\nCall-ID: a\r\n\r\n";
        let r = text(t);
        assert!(!r.contains("0123456789abcdef"), "{r}");
        assert!(r.contains("response=\"<redacted>\""));
        for kept in [
            "username=\"u\"",
            "nonce=\"n\"",
            "cnonce=\"c1\"",
            "nc=00000001",
            "Call-ID: a\r\n",
        ] {
            assert!(r.contains(kept), "{kept} in {r}");
        }
        assert_eq!(r.len(), t.len() - "0123456789abcdef".len() + MASK.len());
    }

    #[test]
    fn unquoted_folded_and_compact_spacing() {
        let r = text("Proxy-Authorization: Digest response=abc, nonce=x\r\n");
        assert_eq!(
            r,
            "Proxy-Authorization: Digest response=\"<redacted>\", nonce=x\r\n"
        );
        let folded = "proxy-authorization  :  digest username=\"u\",\r\n  response = \"feedface\"\r\nTo: <sip:b@h>\r\n";
        let r = text(folded);
        assert!(!r.contains("feedface"), "{r}");
        assert!(r.contains("To: <sip:b@h>"));
        // A comma inside a quoted value does not end the item.
        let r = text("Authorization: Digest uri=\"sip:a,b\", response=\"dead\"\r\n");
        assert!(!r.contains("dead") && r.contains("uri=\"sip:a,b\""), "{r}");
    }

    #[test]
    fn other_schemes_are_hidden_whole() {
        let r = text("Authorization: Basic dXNlcjpwYXNzd29yZA==\r\n");
        assert_eq!(r, "Authorization: Basic <redacted>\r\n");
        let r = text("Authentication-Info: qop=auth, rspauth=\"99aa\", cnonce=\"c\"\r\n");
        assert!(!r.contains("99aa") && r.contains("cnonce=\"c\""), "{r}");
    }

    #[test]
    fn sdp_keys_are_hidden() {
        let t = format!(
            "v=0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}|2^20|1:4\r\n\
             a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{KEY};inline:{KEY}|2^31\r\n\
             k=base64:c2VjcmV0\r\na=key-mgmt:mikey AQAFgM0XflABAAAAAAAAAAAAAAsAyONQ6gAAAAAJAAAQ\r\n\
             a=fingerprint:sha-256 AB:CD\r\n"
        );
        let r = text(&t);
        assert!(!r.contains(KEY), "{r}");
        assert!(!r.contains("c2VjcmV0") && !r.contains("AQAFgM0X"), "{r}");
        assert!(r.contains("inline:<redacted>|2^20|1:4\r\n"));
        assert!(r.contains("inline:<redacted>;inline:<redacted>|2^31"));
        assert!(r.contains("a=key-mgmt:mikey <redacted>"));
        assert!(
            r.contains("a=fingerprint:sha-256 AB:CD"),
            "fingerprints are public"
        );
    }

    #[test]
    fn nothing_to_hide_borrows() {
        let t = "OPTIONS sip:x SIP/2.0\r\nAuthorization-Extra: response=1\r\n\r\n";
        assert!(matches!(text(t), Cow::Borrowed(_)));
        assert!(matches!(text(""), Cow::Borrowed(_)));
    }

    #[test]
    fn a_parsed_message_and_raw_bytes() {
        let sdp = format!(
            "v=0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{}\r\n",
            &KEY[..8]
        );
        let raw = format!(
            "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
             Proxy-Authorization: Digest username=\"u\", response=\"cafebabe\"\r\n\
             Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        let m = Message::parse(Bytes::from(raw.clone())).unwrap();
        let shown = m.redacted();
        assert!(
            !shown.contains("cafebabe") && !shown.contains(&KEY[..8]),
            "{shown}"
        );
        assert!(shown.starts_with("INVITE sip:b@h SIP/2.0\r\n"));
        let mut bad = raw.into_bytes();
        bad.push(0xff);
        let shown = bytes(&bad);
        assert!(!shown.contains("cafebabe") && shown.ends_with('\u{fffd}'));
    }

    #[test]
    fn fuzz_found_credentials_line_with_broken_utf8() {
        // The agent's earlier redactor sliced inside a multi-byte character
        // on this input (found by the agent_untrusted fuzz target).
        let raw = b"3\nproxy-authorization:,3JH\xd0\x0c\n,\nJH\xd0\0\0\0\0";
        let shown = bytes(raw);
        assert!(shown.contains("proxy-authorization:,3JH\u{fffd}"));
        let shown = text("Authorization: Digest r\u{e9}sponse=\"x\", response=\u{20ac}\r\n");
        assert!(shown.ends_with("response=\"<redacted>\"\r\n"), "{shown}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_text_near_the_keywords(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("\\PC{0,12}").unwrap(),
                    proptest::sample::select(vec![
                        "Authorization:", "Proxy-Authorization: Digest ", "Authentication-Info:",
                        "response=", "rspauth=\"", ",", "\"", "\r\n", "\n ", "inline:",
                        "a=crypto:1 X inline:", "k=", "a=key-mgmt:", "ü", "€", "\u{10348}",
                    ]).prop_map(String::from),
                ],
                0..24,
            )
        ) {
            let s: String = parts.concat();
            let _ = text(&s);
            let _ = bytes(s.as_bytes());
        }

        #[test]
        fn never_panics_and_keeps_plain_lines(s in "[ -~\\r\\n\\t]{0,200}") {
            let r = text(&s);
            if !s.to_ascii_lowercase().contains("auth") && !s.contains("k=")
                && !s.contains("a=key-mgmt:") && !s.contains("a=crypto:") {
                proptest::prop_assert_eq!(r.as_ref(), s.as_str());
            }
        }
    }
}
