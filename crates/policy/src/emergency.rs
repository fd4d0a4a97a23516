//! The built-in emergency deny list. The customer sheet says the agent must
//! never place an emergency call; this check runs before every other
//! policy rule, and the configuration can only add numbers to it.
//!
//! A destination is an emergency call when
//! - it is a `urn:service:sos` URN or one of its sub-services
//!   (`urn:service:sos.police`, RFC 5031 §4.2), also inside a SIP URI's user
//!   part, or a SIP URI whose user is `sos`;
//! - or its dial string, after removing, in this order,
//!   - up to two supplementary-service codes such as `*31#` / `#31#` (CLIR),
//!   - up to two outside-line prefixes (`0`, `9`, and the configured one),
//!   - an international prefix (`00`, `011`, the configured one) or `+`,
//!     with or without a country code of one to three digits, or the
//!     configured country code written without `+`,
//!   - a trunk prefix (`0`, the configured one),
//!
//!   is exactly one of the emergency numbers (a trailing `#` is ignored).
//!   `0112`, `9 112`, `+49 112`, `+49 (0) 112`, `0049112`, `*31#112`,
//!   `+1 911` and `0 00 44 999` are all emergency calls; `+49 911 12345`
//!   (a Nuremberg number) and `0900 9999999` are not, because the match is
//!   exact and each prefix kind is looked through a bounded number of times.

use heron_sip::e164::NumberingPlan;

use super::destination::{dial_string, Destination};

/// Numbers that are always refused: Europe (112), Germany and others
/// (110 police), North America (911), UK (999), Australia (000), Italy/Japan
/// (118, 119), and `08` from the onboarding sheet's list.
pub const BUILTIN_EMERGENCY_NUMBERS: [&str; 8] =
    ["110", "112", "911", "999", "000", "118", "119", "08"];

/// Outside-line prefixes always looked through, whatever the config says.
const BUILTIN_OUTSIDE_LINE: [&str; 2] = ["0", "9"];

/// International prefixes always looked through.
const BUILTIN_INTERNATIONAL: [&str; 2] = ["00", "011"];

/// The emergency check: built-in numbers plus configured extras.
#[derive(Debug, Clone)]
pub struct EmergencyList {
    numbers: Vec<String>,
    outside_line: Vec<String>,
    trunk: Vec<String>,
    international: Vec<String>,
    country_code: Option<String>,
}

impl Default for EmergencyList {
    fn default() -> Self {
        EmergencyList::new(&[], None, "")
    }
}

impl EmergencyList {
    /// The built-in list plus `extra` numbers (dial strings such as
    /// `19222`); `plan` and `outside_line` add the configured prefixes to
    /// the built-in ones.
    pub fn new(extra: &[String], plan: Option<&NumberingPlan>, outside_line: &str) -> Self {
        let mut numbers: Vec<String> = BUILTIN_EMERGENCY_NUMBERS
            .iter()
            .map(|s| s.to_string())
            .collect();
        numbers.extend(
            extra
                .iter()
                .filter_map(|e| dial_string(e))
                .map(|e| e.trim_start_matches('+').to_owned()),
        );
        let mut outside: Vec<String> = BUILTIN_OUTSIDE_LINE.iter().map(|s| s.to_string()).collect();
        let mut intl: Vec<String> = BUILTIN_INTERNATIONAL
            .iter()
            .map(|s| s.to_string())
            .collect();
        if !outside_line.is_empty() {
            outside.push(outside_line.to_owned());
        }
        let mut trunk = vec!["0".to_owned()];
        if let Some(p) = plan {
            if !p.trunk_prefix.is_empty() {
                trunk.push(p.trunk_prefix.clone());
            }
            if !p.international_prefix.is_empty() {
                intl.push(p.international_prefix.clone());
            }
        }
        outside.sort();
        outside.dedup();
        intl.sort();
        intl.dedup();
        trunk.sort();
        trunk.dedup();
        EmergencyList {
            numbers,
            outside_line: outside,
            trunk,
            international: intl,
            country_code: plan
                .map(|p| p.country_code.clone())
                .filter(|c| !c.is_empty()),
        }
    }

    /// The numbers checked (built-in first).
    pub fn numbers(&self) -> &[String] {
        &self.numbers
    }

    /// Whether `dest` is an emergency call.
    pub fn matches(&self, dest: &Destination) -> bool {
        match dest {
            Destination::Urn(u) => is_sos_urn(u),
            Destination::Address { user, .. } => user.as_deref().is_some_and(|u| {
                let u = u.to_ascii_lowercase();
                u == "sos" || u.starts_with("sos.") || is_sos_urn(&u)
            }),
            Destination::Number { dialled, .. } => self.matches_dial_string(dialled),
        }
    }

    /// Whether a dial string (digits, `+`, `*`, `#`) is an emergency call.
    /// The prefixes are looked through in the order people dial them:
    /// service codes, up to two outside-line prefixes (a PBX behind a PBX),
    /// an international prefix or `+` with an optional country code (or the
    /// configured country code alone), a trunk prefix; then the rest must
    /// be an emergency number exactly.
    pub fn matches_dial_string(&self, dialled: &str) -> bool {
        let s = dialled.trim_end_matches('#');
        let mut stage: Vec<&str> = vec![s];
        // Up to two supplementary-service codes (`*31#`).
        for _ in 0..2 {
            let more: Vec<&str> = stage.iter().filter_map(|x| strip_service_code(x)).collect();
            stage.extend(more);
        }
        // Up to two outside-line prefixes.
        for _ in 0..2 {
            let more: Vec<&str> = stage
                .iter()
                .flat_map(|x| {
                    self.outside_line
                        .iter()
                        .filter_map(move |p| x.strip_prefix(p.as_str()))
                })
                .collect();
            stage.extend(more);
        }
        // International prefix or `+`, then an optional country code.
        let mut intl: Vec<&str> = Vec::new();
        for x in &stage {
            let after = x.strip_prefix('+').into_iter().chain(
                self.international
                    .iter()
                    .filter_map(|p| x.strip_prefix(p.as_str())),
            );
            for rest in after {
                intl.push(rest);
                intl.extend(country_code_variants(rest));
            }
            if let Some(cc) = &self.country_code {
                if let Some(rest) = x.strip_prefix(cc.as_str()) {
                    intl.push(rest);
                }
            }
        }
        stage.extend(intl);
        // A trunk prefix, e.g. `+49 (0) 112`.
        let trunk: Vec<&str> = stage
            .iter()
            .flat_map(|x| {
                self.trunk
                    .iter()
                    .filter_map(move |p| x.strip_prefix(p.as_str()))
            })
            .collect();
        stage.extend(trunk);
        stage.iter().any(|x| self.numbers.iter().any(|n| n == x))
    }
}

/// `rest` without a country code of one to three digits (never starting
/// with 0).
fn country_code_variants(rest: &str) -> impl Iterator<Item = &str> {
    (1..=3).filter_map(move |n| {
        let b = rest.as_bytes();
        (b.len() > n && b[0] != b'0' && b[..n].iter().all(u8::is_ascii_digit)).then(|| &rest[n..])
    })
}

fn strip_service_code(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if !matches!(b.first(), Some(b'*' | b'#')) {
        return None;
    }
    let end = b[1..].iter().position(|&c| c == b'#')? + 1;
    ((2..=4).contains(&end) && b[1..end].iter().all(u8::is_ascii_digit)).then(|| &s[end + 1..])
}

/// `urn:service:sos` and its sub-services (RFC 5031 §4.2).
fn is_sos_urn(u: &str) -> bool {
    let u = u.trim().to_ascii_lowercase();
    u == "urn:service:sos" || u.starts_with("urn:service:sos.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn de_list() -> EmergencyList {
        EmergencyList::new(
            &["19222".to_owned()],
            Some(&NumberingPlan::with_country_code("49")),
            "",
        )
    }

    fn check(list: &EmergencyList, s: &str) -> bool {
        let plan = NumberingPlan::with_country_code("49");
        let d = Destination::parse(s, Some(&plan), "").unwrap();
        list.matches(&d)
    }

    #[test]
    fn every_builtin_number_plain_and_behind_prefixes() {
        let list = de_list();
        for n in BUILTIN_EMERGENCY_NUMBERS {
            for form in [
                n.to_owned(),
                format!("0{n}"),
                format!("9{n}"),
                format!("0 {n}"),
                format!("9-{n}"),
                format!("+49{n}"),
                format!("+49 {n}"),
                format!("+49 (0) {n}"),
                format!("0 0 {n}"),
                format!("0049{n}"),
                format!("00049{n}"),
                format!("+1{n}"),
                format!("+44 {n}"),
                format!("+61{n}"),
                format!("+358{n}"),
                format!("011 1 {n}"),
                format!("49{n}"),
                format!("*31#{n}"),
                format!("#31#{n}"),
                format!("*31#0{n}"),
                format!("{n}#"),
                format!("tel:{n}"),
                format!("tel:{n};phone-context=+49"),
                format!("sip:{n}@pbx.example.com"),
                format!("sips:0{n}@pbx.example.com;user=phone"),
                format!("sip:+49{n}@pbx"),
                format!("<sip:{n}@pbx>"),
            ] {
                assert!(check(&list, &form), "{form} must be an emergency call");
            }
        }
    }

    #[test]
    fn percent_escaped_user_parts() {
        let list = de_list();
        assert!(check(&list, "sip:%31%31%32@pbx"));
        assert!(check(&list, "sip:%2B49%31%310@pbx"));
    }

    #[test]
    fn sos_urns_and_users() {
        let list = de_list();
        for s in [
            "urn:service:sos",
            "URN:Service:SOS",
            "urn:service:sos.police",
            "urn:service:sos.ambulance",
            "sip:urn:service:sos@pbx",
            "sip:sos@pbx.example.com",
            "sip:SOS.fire@pbx",
        ] {
            assert!(check(&list, s), "{s}");
        }
        for s in ["urn:service:counseling", "urn:service:sosx", "sip:sosa@pbx"] {
            assert!(!check(&list, s), "{s}");
        }
    }

    #[test]
    fn configured_extras_also_behind_prefixes() {
        let list = de_list();
        assert!(check(&list, "19222"));
        assert!(check(&list, "0 19222"));
        assert!(check(&list, "+49 19222"));
        let plain = EmergencyList::default();
        assert!(!check(&plain, "19222"));
    }

    #[test]
    fn configured_outside_line_and_prefixes() {
        let plan = NumberingPlan {
            country_code: "1".into(),
            international_prefix: "011".into(),
            trunk_prefix: "1".into(),
        };
        let list = EmergencyList::new(&[], Some(&plan), "8");
        assert!(list.matches_dial_string("8911"));
        assert!(list.matches_dial_string("81911"));
        assert!(list.matches_dial_string("8011 44 999".replace(' ', "").as_str()));
    }

    #[test]
    fn ordinary_numbers_are_not_emergency_calls() {
        let list = de_list();
        for s in [
            "+49 911 12345",
            "0911 12345",
            "+49 30 1120",
            "1120",
            "1101",
            "+44 20 7946 0999",
            "+1 212 555 0911",
            "0800 112 1120",
            "0900 9999999",
            "9999999",
            "201",
            "sip:alice@example.com",
            "sip:112x@pbx",
        ] {
            assert!(!check(&list, s), "{s} is not an emergency call");
        }
    }

    #[test]
    fn service_code_stripping_is_bounded() {
        assert_eq!(strip_service_code("*31#112"), Some("112"));
        assert_eq!(strip_service_code("#31#112"), Some("112"));
        assert_eq!(strip_service_code("*#112"), None);
        assert_eq!(strip_service_code("*12345#112"), None);
        assert_eq!(strip_service_code("112"), None);
    }

    #[test]
    fn deep_prefix_chains_terminate() {
        let list = de_list();
        let long = "0".repeat(28) + "112";
        // Too many prefixes for the bounded search: not looked through,
        // but the call is still refused by the dial-plan (not E.164).
        assert!(!list.matches_dial_string(&long));
        assert!(list.matches_dial_string("0000112"));
    }
}
