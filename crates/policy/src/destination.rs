//! What a dialled destination is: a telephone number (raw digits and, when
//! it normalises, E.164), a service URN, or a SIP address with a non-numeric
//! user. Accepts what a pipeline or a REFER may hand over: `+49 30 555-1234`,
//! `tel:112`, `sip:0112@pbx;user=phone`, `sips:%31%31%32@pbx`,
//! `urn:service:sos.police`, `sip:alice@example.com`.

use heron_sip::e164::{normalize, NumberingPlan, E164};

/// A classified destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A dialled number.
    Number {
        /// The dial string without visual separators, `+` kept, service
        /// prefixes like `*31#` kept (the emergency check looks through them).
        dialled: String,
        /// The number in E.164, when it normalises with the numbering plan.
        e164: Option<E164>,
    },
    /// A URN (`urn:service:sos`, RFC 5031), lower-cased.
    Urn(String),
    /// A SIP address whose user part is not a number (`sip:alice@host`).
    Address {
        /// The URI as given, trimmed.
        uri: String,
        /// The user part, unescaped, if any.
        user: Option<String>,
        /// The host part, lower-cased.
        host: String,
    },
}

/// Why a destination could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    /// Empty input.
    #[error("empty destination")]
    Empty,
    /// Not a URI or number we understand.
    #[error("cannot read destination {0:?}")]
    Unreadable(String),
}

/// Decodes `%XX` escapes (invalid escapes are kept literally).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `host[:port]` or `[v6]:port` to the lower-cased host.
fn host_without_port(hostport: &str) -> String {
    let h = if hostport.starts_with('[') {
        match hostport.find(']') {
            Some(end) => &hostport[..=end],
            None => hostport,
        }
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    h.to_ascii_lowercase()
}

/// Characters people and PBXs put between digits.
fn is_visual(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' | '\t')
}

/// If `s` is a dial string (digits, `+`, `*`, `#` and visual separators
/// only, at least one digit), the string without separators.
pub fn dial_string(s: &str) -> Option<String> {
    let s = s.trim();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '0'..='9' | '*' | '#' => out.push(c),
            '+' if out.is_empty() || out.ends_with('#') => out.push(c),
            c if is_visual(c) => {}
            _ => return None,
        }
    }
    (out.len() <= MAX_DIAL_LEN && out.chars().any(|c| c.is_ascii_digit())).then_some(out)
}

/// Longest dial string accepted (E.164 has 15 digits; prefixes and service
/// codes add a few).
pub const MAX_DIAL_LEN: usize = 32;

impl Destination {
    /// Classifies `input`; numbers are normalised with `plan` (after
    /// removing the PBX's `outside_line` prefix, if configured).
    pub fn parse(
        input: &str,
        plan: Option<&NumberingPlan>,
        outside_line: &str,
    ) -> Result<Self, DestinationError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(DestinationError::Empty);
        }
        let lower = input.to_ascii_lowercase();
        if lower.starts_with("urn:") {
            return Ok(Destination::Urn(percent_decode(&lower)));
        }
        // Strip `<...>` of a name-addr.
        let bare = input
            .strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .unwrap_or(input);
        let lower_bare = bare.to_ascii_lowercase();
        if let Some(rest) = lower_bare.strip_prefix("tel:") {
            let number = rest.split(';').next().unwrap_or("");
            return Self::number(&percent_decode(number), plan, outside_line)
                .ok_or_else(|| DestinationError::Unreadable(input.to_owned()));
        }
        let sip_rest = lower_bare
            .strip_prefix("sips:")
            .or_else(|| lower_bare.strip_prefix("sip:"));
        if let Some(rest) = sip_rest {
            // Keep the original case of the user part for the address form.
            let offset = bare.len() - rest.len();
            let orig_rest = &bare[offset..];
            let no_headers = orig_rest.split('?').next().unwrap_or("");
            let (user, hostpart) = match no_headers.rfind('@') {
                Some(at) => (Some(&no_headers[..at]), &no_headers[at + 1..]),
                None => (None, no_headers),
            };
            let host = host_without_port(hostpart.split(';').next().unwrap_or(""));
            if host.is_empty() {
                return Err(DestinationError::Unreadable(input.to_owned()));
            }
            let user = user.map(|u| {
                // user;param (e.g. `;phone-context=`) belongs to the number.
                percent_decode(u.split(';').next().unwrap_or(""))
            });
            if let Some(u) = &user {
                if let Some(d) = Self::number(u, plan, outside_line) {
                    return Ok(d);
                }
                if u.to_ascii_lowercase().starts_with("urn:") {
                    return Ok(Destination::Urn(u.to_ascii_lowercase()));
                }
            }
            return Ok(Destination::Address {
                uri: bare.to_owned(),
                user,
                host,
            });
        }
        Self::number(input, plan, outside_line)
            .ok_or_else(|| DestinationError::Unreadable(input.to_owned()))
    }

    fn number(s: &str, plan: Option<&NumberingPlan>, outside_line: &str) -> Option<Self> {
        let dialled = dial_string(s)?;
        let national = if !outside_line.is_empty() && !dialled.starts_with('+') {
            dialled.strip_prefix(outside_line).unwrap_or(&dialled)
        } else {
            &dialled
        };
        let e164 = if national.contains(['*', '#']) {
            None
        } else {
            normalize(national, plan).ok()
        };
        Some(Destination::Number { dialled, e164 })
    }

    /// The E.164 form, for numbers that have one.
    pub fn e164(&self) -> Option<&E164> {
        match self {
            Destination::Number { e164, .. } => e164.as_ref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn de() -> NumberingPlan {
        NumberingPlan::with_country_code("49")
    }

    #[test]
    fn numbers_in_every_form() {
        let plan = de();
        for s in [
            "+49 30 5551234",
            "030/555-1234",
            "tel:+49-30-5551234",
            "sip:+49305551234@pbx.example.com;user=phone",
            "<sip:004930 5551234@pbx>",
            "sips:%2B4930%35551234@pbx",
        ] {
            let d = Destination::parse(s, Some(&plan), "").unwrap();
            assert_eq!(d.e164().map(|e| e.as_str()), Some("+49305551234"), "{s}");
        }
    }

    #[test]
    fn outside_line_prefix_is_removed_before_normalising() {
        let plan = de();
        let d = Destination::parse("0 030 5551234", Some(&plan), "0").unwrap();
        assert_eq!(d.e164().unwrap().as_str(), "+49305551234");
        let Destination::Number { dialled, .. } = d else {
            panic!()
        };
        assert_eq!(dialled, "00305551234");
    }

    #[test]
    fn urns_addresses_and_short_codes() {
        assert_eq!(
            Destination::parse("URN:service:SOS.police", None, "").unwrap(),
            Destination::Urn("urn:service:sos.police".into())
        );
        match Destination::parse("sip:[2001:DB8::1]:5061", None, "").unwrap() {
            Destination::Address { host, user, .. } => {
                assert_eq!(host, "[2001:db8::1]");
                assert_eq!(user, None);
            }
            other => panic!("{other:?}"),
        }
        match Destination::parse("sip:Alice@Example.COM:5060;transport=tls", None, "").unwrap() {
            Destination::Address { user, host, .. } => {
                assert_eq!(user.as_deref(), Some("Alice"));
                assert_eq!(host, "example.com");
            }
            other => panic!("{other:?}"),
        }
        match Destination::parse("sip:112@pbx", Some(&de()), "").unwrap() {
            Destination::Number { dialled, e164 } => {
                assert_eq!(dialled, "112");
                assert!(e164.is_none(), "112 has no trunk prefix: not national");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Destination::parse("  ", None, ""),
            Err(DestinationError::Empty)
        );
        assert!(Destination::parse("hello", None, "").is_err());
        assert!(Destination::parse("sip:@", None, "").is_err());
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(percent_decode("%31%31%32"), "112");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%"), "%zz%");
    }
}
