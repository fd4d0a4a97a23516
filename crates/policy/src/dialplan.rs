//! Dial-plan patterns (`policy.allow`, `policy.deny`) and the built-in
//! premium-rate prefixes.
//!
//! Pattern forms:
//! - `+49*`, `+4930555????`: an E.164 number; `?` or `X` is one digit, a
//!   trailing `*` any number of further digits. Matches numbers that
//!   normalise to E.164.
//! - `2??`, `11880`, `*`: a dial string as dialled (digits, `?`/`X`,
//!   trailing `*`): internal extensions and short codes.
//! - `sip:*@pbx.example.com`, `sip:alice@*`: a SIP address `user@host`
//!   (host without port), `*` matching any run of characters,
//!   case-insensitive.
//! - `urn:service:counseling*`: a URN, same glob rules.

use std::fmt;

use super::destination::Destination;

/// Premium-rate, mass-calling and shared-cost ranges refused unless an
/// allow pattern lies inside them. Kept as data: extend per country.
pub const PREMIUM_PREFIXES: &[&str] = &[
    // Germany: 0900 premium, 0137 mass calling, 0118 directory, 019x online, 012 innovative.
    "+49900", "+49137", "+49118", "+4919", "+4912",
    // Austria 09xx, Switzerland 090x, UK 09 / 087 / 070, France 089, Italy 89x, Spain 803/806/807, NL 090x.
    "+439", "+4190", "+449", "+4487", "+4470", "+3389", "+3989", "+34803", "+34806", "+34807",
    "+3190", // NANP premium.
    "+1900", "+1976",
    // International networks and premium-rate services (ITU-T E.164 shared codes).
    "+808", "+870", "+878", "+881", "+882", "+883", "+979",
];

/// A dial-plan pattern, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    kind: PatternKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PatternKind {
    /// Without `+`; `?` is any digit.
    E164 {
        digits: String,
        open: bool,
    },
    Dialled {
        digits: String,
        open: bool,
    },
    /// Lower-cased glob over `user@host`.
    Address(String),
    Urn(String),
}

/// Why a pattern is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(pub String);

fn parse_digits(body: &str, what: &str) -> Result<(String, bool), PatternError> {
    let (body, open) = match body.strip_suffix('*') {
        Some(b) => (b, true),
        None => (body, false),
    };
    let mut digits = String::with_capacity(body.len());
    for (i, c) in body.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '?' | 'x' | 'X' => digits.push('?'),
            ' ' | '-' => {}
            '*' => {
                return Err(PatternError(format!(
                    "`*` is only allowed at the end of {what} (position {i})"
                )))
            }
            other => {
                return Err(PatternError(format!(
                    "{other:?} is not allowed in {what}; use digits, ? or X for one digit, and a trailing *"
                )))
            }
        }
    }
    Ok((digits, open))
}

fn digits_match(pattern: &str, open: bool, s: &str) -> bool {
    if s.len() < pattern.len() || (!open && s.len() != pattern.len()) {
        return false;
    }
    pattern.bytes().zip(s.bytes()).all(|(p, c)| {
        if p == b'?' {
            c.is_ascii_digit()
        } else {
            p == c
        }
    })
}

/// `*` matches any run (including empty); everything else literally.
fn glob(pattern: &str, s: &str) -> bool {
    let p = pattern.as_bytes();
    let s = s.as_bytes();
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

impl Pattern {
    /// Parses a pattern (see the module documentation).
    pub fn parse(s: &str) -> Result<Self, PatternError> {
        let text = s.trim();
        if text.is_empty() {
            return Err(PatternError("empty pattern".into()));
        }
        let lower = text.to_ascii_lowercase();
        let kind = if let Some(body) = text.strip_prefix('+') {
            let (digits, open) = parse_digits(body, "an E.164 pattern")?;
            if digits.is_empty() && !open {
                return Err(PatternError("`+` needs digits or `*` after it".into()));
            }
            if digits.len() > 15 {
                return Err(PatternError("an E.164 number has at most 15 digits".into()));
            }
            PatternKind::E164 { digits, open }
        } else if let Some(rest) = lower
            .strip_prefix("sips:")
            .or_else(|| lower.strip_prefix("sip:"))
        {
            if !rest.contains('@') {
                return Err(PatternError(
                    "a SIP pattern is user@host, e.g. sip:*@pbx.example.com".into(),
                ));
            }
            PatternKind::Address(rest.to_owned())
        } else if lower.starts_with("urn:") {
            PatternKind::Urn(lower)
        } else {
            let (digits, open) = parse_digits(text, "a dial-string pattern")?;
            PatternKind::Dialled { digits, open }
        };
        Ok(Pattern {
            text: text.to_owned(),
            kind,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `dest` matches.
    pub fn matches(&self, dest: &Destination) -> bool {
        match (&self.kind, dest) {
            (PatternKind::E164 { digits, open }, Destination::Number { e164: Some(e), .. }) => {
                digits_match(digits, *open, e.digits())
            }
            (PatternKind::Dialled { digits, open }, Destination::Number { dialled, .. }) => {
                digits_match(digits, *open, dialled)
            }
            (PatternKind::Address(p), Destination::Address { user, host, .. }) => {
                let target = format!(
                    "{}@{}",
                    user.as_deref().unwrap_or("").to_ascii_lowercase(),
                    host
                );
                glob(p, &target)
            }
            (PatternKind::Urn(p), Destination::Urn(u)) => glob(p, u),
            _ => false,
        }
    }

    /// Whether this pattern only matches numbers inside the premium range
    /// starting with `prefix` (its fixed leading digits start with it), so
    /// that `+49900123*` can allow one premium line while `+49*` cannot.
    pub fn lies_within(&self, prefix: &str) -> bool {
        let PatternKind::E164 { digits, .. } = &self.kind else {
            return false;
        };
        let fixed: String = digits.chars().take_while(|c| *c != '?').collect();
        fixed.starts_with(prefix.trim_start_matches('+'))
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The premium prefix `e164` falls in, if any (built-in and `extra`).
pub fn premium_prefix<'a>(e164: &str, extra: &'a [String]) -> Option<&'a str> {
    PREMIUM_PREFIXES
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .find(|p| e164.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use heron_sip::e164::NumberingPlan;

    fn d(s: &str) -> Destination {
        Destination::parse(s, Some(&NumberingPlan::with_country_code("49")), "").unwrap()
    }

    #[test]
    fn e164_patterns() {
        let p = Pattern::parse("+49*").unwrap();
        assert!(p.matches(&d("030 5551234")));
        assert!(p.matches(&d("+49 89 1234")));
        assert!(!p.matches(&d("+43 1 1234")));
        assert!(!p.matches(&d("201")), "short codes are not E.164");
        let exact = Pattern::parse("+49 30 555 12XX").unwrap();
        assert!(exact.matches(&d("+49305551234")));
        assert!(!exact.matches(&d("+493055512345")));
        assert!(!exact.matches(&d("+49305551334")));
        assert!(Pattern::parse("+*").unwrap().matches(&d("+1 212 555 0100")));
    }

    #[test]
    fn dialled_patterns() {
        let p = Pattern::parse("2??").unwrap();
        assert!(p.matches(&d("201")));
        assert!(!p.matches(&d("2010")));
        assert!(!p.matches(&d("301")));
        assert!(Pattern::parse("*").unwrap().matches(&d("11880")));
        assert!(Pattern::parse("118*").unwrap().matches(&d("11880")));
    }

    #[test]
    fn address_and_urn_patterns() {
        let p = Pattern::parse("sip:*@127.0.0.1").unwrap();
        assert!(p.matches(&d("sip:bob@127.0.0.1:5070;transport=tls")));
        assert!(!p.matches(&d("sip:bob@127.0.0.2")));
        let p = Pattern::parse("SIP:alice@*.Example.com").unwrap();
        assert!(p.matches(&d("sip:Alice@pbx.example.com")));
        assert!(!p.matches(&d("sip:alice@example.com")));
        let u = Pattern::parse("urn:service:counseling*").unwrap();
        assert!(u.matches(&d("urn:service:counseling.children")));
        assert!(!u.matches(&d("sip:counseling@pbx")));
    }

    #[test]
    fn invalid_patterns_say_why() {
        for (s, msg) in [
            ("", "empty"),
            ("+", "needs digits"),
            ("+49*1", "only allowed at the end"),
            ("+49a", "not allowed"),
            ("sip:pbx.example.com", "user@host"),
            ("+1234567890123456", "15 digits"),
            ("12#", "not allowed"),
        ] {
            let e = Pattern::parse(s).unwrap_err();
            assert!(e.0.contains(msg), "{s}: {e}");
        }
    }

    #[test]
    fn premium_ranges() {
        assert_eq!(premium_prefix("+499001234567", &[]), Some("+49900"));
        assert_eq!(premium_prefix("+19005550100", &[]), Some("+1900"));
        assert_eq!(premium_prefix("+49305551234", &[]), None);
        let extra = vec!["+4932".to_owned()];
        assert_eq!(premium_prefix("+4932123", &extra), Some("+4932"));
        assert!(Pattern::parse("+49900123*").unwrap().lies_within("+49900"));
        assert!(!Pattern::parse("+49*").unwrap().lies_within("+49900"));
        assert!(!Pattern::parse("+49?00*").unwrap().lies_within("+49900"));
        assert!(!Pattern::parse("900*").unwrap().lies_within("+49900"));
    }

    #[test]
    fn glob_edge_cases() {
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b", "ac"));
        assert!(glob("**", "x"));
    }
}
