//! The `[numbering]`, `[identity]` and `[call]` sections.

use std::time::Duration;

use heron_sip::e164::{normalize, NumberingPlan};
use heron_sip::uri::Uri;

use super::super::model::*;
use super::super::reader::Section;
use super::super::vendor::Vendor;
use super::{secs, Builder};

impl Builder<'_> {
    pub(super) fn numbering(&mut self, s: &Section<'_>) -> NumberingConfig {
        let cc = s
            .opt_nonempty("country_code", self.issues)
            .unwrap_or_else(|| "49".into());
        let cc = cc.trim_start_matches('+').to_owned();
        if cc.is_empty()
            || cc.len() > 3
            || !cc.bytes().all(|b| b.is_ascii_digit())
            || cc.starts_with('0')
        {
            self.err(
                s.key("country_code"),
                format!("{cc:?} is not a country calling code; use 1 to 3 digits, e.g. \"49\""),
            );
        }
        let digits = |name: &str, default: &str, b: &mut Self| {
            let v = s
                .opt_str(name, b.issues)
                .unwrap_or_else(|| default.to_owned());
            if !v.bytes().all(|c| c.is_ascii_digit()) || v.len() > 4 {
                b.err(
                    s.key(name),
                    format!("{v:?} is not allowed; use up to 4 digits (or \"\" for none)"),
                );
            }
            v
        };
        let international_prefix = digits("international_prefix", "00", self);
        let trunk_prefix = digits("trunk_prefix", "0", self);
        let outside_line = digits("outside_line", "", self);
        s.finish(
            &[
                "country_code",
                "international_prefix",
                "trunk_prefix",
                "outside_line",
            ],
            self.issues,
        );
        NumberingConfig {
            plan: NumberingPlan {
                country_code: cc,
                international_prefix,
                trunk_prefix,
            },
            outside_line,
        }
    }

    pub(super) fn identity(
        &mut self,
        s: &Section<'_>,
        plan: &NumberingPlan,
    ) -> Option<IdentityConfig> {
        let display_name = s.opt_nonempty("display_name", self.issues);
        if display_name
            .as_deref()
            .is_some_and(|d| d.chars().any(|c| c.is_control() || c == '"'))
        {
            self.err(
                s.key("display_name"),
                "quotes and control characters are not allowed",
            );
        }
        let number = |key: String, v: &str, b: &mut Self| match normalize(v, Some(plan)) {
            Ok(e) => Some(e),
            Err(e) => {
                b.err(key, format!("{v:?} is not a telephone number ({e}); write it in E.164, e.g. \"+49 30 5551234\""));
                None
            }
        };
        let cli = s
            .opt_nonempty("cli", self.issues)
            .and_then(|c| number(s.key("cli"), &c, self));
        let mut allowed_cli = Vec::new();
        for (key, v) in s.str_list("allowed_cli", self.issues).unwrap_or_default() {
            if let Some(e) = number(key, &v, self) {
                allowed_cli.push(e);
            }
        }
        if let Some(c) = &cli {
            if !allowed_cli.is_empty() && !allowed_cli.contains(c) {
                self.err(s.key("cli"), format!("{c} is not in identity.allowed_cli"));
            }
        }
        let e164 = s.bool("e164", true, self.issues);
        let uri = |name: &str, b: &mut Self| {
            let v = s.opt_nonempty(name, b.issues)?;
            let inner = v.trim_start_matches('<').trim_end_matches('>');
            match Uri::parse(inner) {
                Ok(Uri::Sip(_) | Uri::Tel(_)) => Some(v),
                _ => {
                    b.err(
                        s.key(name),
                        format!("{v:?} is not a sip:, sips: or tel: URI"),
                    );
                    None
                }
            }
        };
        let pai = uri("pai", self);
        let ppi = uri("ppi", self);
        let privacy = s.choice(
            "privacy",
            Privacy::None,
            &[
                ("none", Privacy::None),
                ("id", Privacy::Id),
                ("header", Privacy::Header),
                ("user", Privacy::User),
            ],
            self.issues,
        );
        s.finish(
            &[
                "display_name",
                "cli",
                "allowed_cli",
                "e164",
                "pai",
                "ppi",
                "privacy",
            ],
            self.issues,
        );
        Some(IdentityConfig {
            display_name,
            cli,
            allowed_cli,
            e164,
            pai,
            ppi,
            privacy,
        })
    }

    pub(super) fn call(&mut self, s: &Section<'_>, vendor: Vendor) -> CallConfig {
        let transfer = s.choice(
            "transfer",
            TransferMode::Both,
            &[
                ("off", TransferMode::Off),
                ("blind", TransferMode::Blind),
                ("both", TransferMode::Both),
                ("attended", TransferMode::Both),
            ],
            self.issues,
        );
        let default_hold = if vendor.profile().zero_address_hold {
            HoldStyle::ZeroAddress
        } else {
            HoldStyle::SendOnly
        };
        let hold = s.choice(
            "hold",
            default_hold,
            &[
                ("sendonly", HoldStyle::SendOnly),
                ("inactive", HoldStyle::Inactive),
                ("zero-address", HoldStyle::ZeroAddress),
            ],
            self.issues,
        );
        let max_duration = s.int("max_duration", 3600, 1..=86_400, "seconds", self.issues);
        let answer_delay = s.int(
            "answer_delay_ms",
            0,
            0..=60_000,
            "milliseconds",
            self.issues,
        );
        let early_media = s.bool("early_media", false, self.issues);
        s.finish(
            &[
                "transfer",
                "hold",
                "max_duration",
                "answer_delay_ms",
                "early_media",
            ],
            self.issues,
        );
        CallConfig {
            transfer,
            hold,
            max_duration: secs(max_duration),
            answer_delay: Duration::from_millis(answer_delay.max(0) as u64),
            early_media,
        }
    }
}
