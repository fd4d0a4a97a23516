//! Redaction of secrets in anything logged: digest responses and
//! passwords in SIP headers, SDES keys in SDP (`a=crypto ... inline:`),
//! DTLS fingerprints are public and stay. heron-sip would be the place for
//! the SIP part (a `Display` adapter on `Message`).

use heron_sip::Message;

const SECRET_PARAMS: [&str; 3] = ["response=", "cnonce=", "password="];

fn redact_params(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    'outer: while !rest.is_empty() {
        for p in SECRET_PARAMS {
            if rest.len() >= p.len() && rest[..p.len()].eq_ignore_ascii_case(p) {
                out.push_str(&rest[..p.len()]);
                rest = &rest[p.len()..];
                let end = if let Some(quoted) = rest.strip_prefix('"') {
                    quoted.find('"').map(|i| i + 2).unwrap_or(rest.len())
                } else {
                    rest.find([',', ' ', '\r', '\n']).unwrap_or(rest.len())
                };
                out.push_str("\"<redacted>\"");
                rest = &rest[end..];
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// One SDP or message-body line with keys hidden.
pub fn sdp_line(line: &str) -> String {
    let lower = line.to_ascii_lowercase();
    if let Some(i) = lower.find("inline:") {
        let start = i + "inline:".len();
        let end = line[start..]
            .find(['|', ' ', ';'])
            .map(|e| start + e)
            .unwrap_or(line.len());
        return format!("{}<redacted>{}", &line[..start], &line[end..]);
    }
    line.to_owned()
}

/// Any text that may hold SIP headers and SDP, line by line.
pub fn text(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| {
            let lower = l.to_ascii_lowercase();
            if lower.starts_with("authorization:") || lower.starts_with("proxy-authorization:") {
                redact_params(l)
            } else {
                sdp_line(l)
            }
        })
        .collect()
}

/// A SIP message as text, secrets hidden.
pub fn sip_message(m: &Message) -> String {
    text(&String::from_utf8_lossy(&m.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_responses_and_keys_are_hidden() {
        let t = "INVITE sip:x SIP/2.0\r\nAuthorization: Digest username=\"u\", realm=\"r\", nonce=\"n\", response=\"0123456789abcdef\", cnonce=\"c1\"\r\n\r\nv=0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n";
        let r = text(t);
        assert!(!r.contains("0123456789abcdef"));
        assert!(!r.contains("WVNfX19zZW1jdGwg"));
        assert!(!r.contains("cnonce=\"c1\""));
        assert!(r.contains("username=\"u\""));
        assert!(r.contains("inline:<redacted>|2^20|1:4"));
        assert!(r.contains("response=\"<redacted>\""));
        let unquoted = text("Proxy-Authorization: Digest response=abc, nonce=x\r\n");
        assert!(!unquoted.contains("abc") && unquoted.contains("nonce=x"));
        assert_eq!(text("no secrets here"), "no secrets here");
    }
}
