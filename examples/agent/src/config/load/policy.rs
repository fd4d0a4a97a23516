//! The `[policy]` and `[log]` sections, and the rules that span sections.

use std::net::IpAddr;

use super::super::model::*;
use super::super::reader::Section;
use super::{secs, Builder};
use crate::policy::{BusyStatus, Pattern, PolicyConfig, RateLimit, TimeWindow};

impl Builder<'_> {
    pub(super) fn patterns(&mut self, s: &Section<'_>, name: &str) -> Vec<Pattern> {
        let mut out = Vec::new();
        for (key, p) in s.str_list(name, self.issues).unwrap_or_default() {
            match Pattern::parse(&p) {
                Ok(p) => out.push(p),
                Err(e) => self.err(key, format!("{p:?}: {e}")),
            }
        }
        out
    }

    pub(super) fn policy(
        &mut self,
        s: &Section<'_>,
        numbering: &NumberingConfig,
    ) -> (PolicyConfig, jiff::tz::TimeZone) {
        let allow = self.patterns(s, "allow");
        let deny = self.patterns(s, "deny");
        if allow.is_empty() {
            self.issues.warn(
                s.key("allow"),
                "empty: the agent may not place or transfer any call (e.g. allow = [\"+49*\"])",
            );
        }
        let mut premium_extra = Vec::new();
        for (key, p) in s
            .str_list("premium_prefixes", self.issues)
            .unwrap_or_default()
        {
            let d = p.trim().replace([' ', '-'], "");
            if d.len() >= 2 && d.starts_with('+') && d[1..].bytes().all(|b| b.is_ascii_digit()) {
                premium_extra.push(d);
            } else {
                self.err(key, format!("{p:?} is not an E.164 prefix like \"+49700\""));
            }
        }
        let max_calls = s.int("max_calls", 4, 1..=10_000, "calls", self.issues);
        let busy_status = s.choice(
            "busy_status",
            BusyStatus::BusyHere,
            &[
                ("486", BusyStatus::BusyHere),
                ("503", BusyStatus::ServiceUnavailable),
            ],
            self.issues,
        );
        let rate = if s.has("rate") {
            let r = s.section("rate", self.issues);
            let calls = r.int("calls", 10, 0..=100_000, "calls", self.issues);
            let per = r.int("per_seconds", 60, 1..=86_400, "seconds", self.issues);
            let burst = r.int("burst", calls.max(1), 1..=100_000, "calls", self.issues);
            r.finish(&["calls", "per_seconds", "burst"], self.issues);
            Some(RateLimit {
                calls: calls as u32,
                per: secs(per),
                burst: burst as u32,
            })
        } else {
            None
        };
        let max_calls_per_day = s
            .opt_int("max_calls_per_day", 1..=1_000_000, "calls", self.issues)
            .map(|n| n as u32);
        let h = s.section("hours", self.issues);
        let tz_name = h
            .opt_nonempty("timezone", self.issues)
            .unwrap_or_else(|| "UTC".into());
        let tz = match jiff::tz::TimeZone::get(&tz_name) {
            Ok(tz) => tz,
            Err(_) => {
                self.err(h.key("timezone"), format!("{tz_name:?} is not a known time zone; use an IANA name such as \"Europe/Berlin\" or \"UTC\""));
                jiff::tz::TimeZone::UTC
            }
        };
        let mut hours = Vec::new();
        for (key, w) in h.str_list("windows", self.issues).unwrap_or_default() {
            match TimeWindow::parse(&w) {
                Ok(w) => hours.push(w),
                Err(e) => self.err(key, format!("{w:?}: {e}")),
            }
        }
        let hours_inbound = h.bool("inbound", false, self.issues);
        h.finish(&["timezone", "windows", "inbound"], self.issues);
        let mut allowed_sources = Vec::new();
        for (key, a) in s
            .str_list("allowed_sources", self.issues)
            .unwrap_or_default()
        {
            let a = a.trim();
            let net = a
                .parse::<ipnet::IpNet>()
                .ok()
                .or_else(|| a.parse::<IpAddr>().ok().map(ipnet::IpNet::from));
            match net {
                Some(n) => allowed_sources.push(n),
                None => self.err(
                    key,
                    format!("{a:?} is not an IP address or network like \"192.0.2.0/24\""),
                ),
            }
        }
        let e = s.section("emergency", self.issues);
        let mut emergency_extra = Vec::new();
        for (key, n) in e.str_list("extra", self.issues).unwrap_or_default() {
            match crate::policy::destination::dial_string(&n) {
                Some(d) if !d.contains(['*', '#']) => emergency_extra.push(d),
                _ => self.err(
                    key,
                    format!("{n:?} is not a number; use digits, e.g. \"19222\""),
                ),
            }
        }
        for k in ["enabled", "disabled", "off", "allow"] {
            if e.has(k) {
                let _ = e.bool(k, true, self.issues);
                self.err(e.key(k), "emergency numbers are always blocked; this list can only be extended (policy.emergency.extra)");
            }
        }
        e.finish(&["extra"], self.issues);
        s.finish(
            &[
                "allow",
                "deny",
                "premium_prefixes",
                "max_calls",
                "busy_status",
                "rate",
                "max_calls_per_day",
                "hours",
                "allowed_sources",
                "emergency",
            ],
            self.issues,
        );
        let cfg = PolicyConfig {
            allow,
            deny,
            premium_extra,
            emergency_extra,
            plan: Some(numbering.plan.clone()),
            outside_line: numbering.outside_line.clone(),
            max_calls: max_calls as usize,
            busy_status,
            rate,
            max_calls_per_day,
            hours,
            hours_inbound,
            allowed_sources,
        };
        // An allow pattern that names an emergency number does nothing:
        // say so rather than let someone believe it works.
        let probe = crate::policy::CallPolicy::new(cfg.clone());
        for (i, p) in cfg.allow.iter().enumerate() {
            if probe
                .emergency()
                .matches_dial_string(p.as_str().trim_start_matches('+').trim_end_matches('*'))
                || p.as_str()
                    .to_ascii_lowercase()
                    .starts_with("urn:service:sos")
            {
                self.issues.warn(
                    format!("policy.allow[{i}]"),
                    format!("{p} names an emergency number; emergency calls stay blocked"),
                );
            }
        }
        (cfg, tz)
    }

    pub(super) fn log(&mut self, s: &Section<'_>) -> LogConfig {
        let level = s.choice(
            "level",
            "info",
            &[
                ("error", "error"),
                ("warn", "warn"),
                ("info", "info"),
                ("debug", "debug"),
                ("trace", "trace"),
            ],
            self.issues,
        );
        let format = s.choice(
            "format",
            LogFormat::Text,
            &[("text", LogFormat::Text), ("json", LogFormat::Json)],
            self.issues,
        );
        let sip_trace = s.bool("sip_trace", false, self.issues);
        s.finish(&["level", "format", "sip_trace"], self.issues);
        LogConfig {
            level: level.to_owned(),
            format,
            sip_trace,
        }
    }

    /// Rules that span sections, and the vendor profile.
    pub(super) fn cross_checks(&mut self, c: &AgentConfig) {
        let profile = c.pbx.vendor.profile();
        if !profile.transports.is_empty() && !profile.transports.contains(&c.sip.transport) {
            self.issues.warn(
                "sip.transport",
                format!(
                    "{} needs {}; {}",
                    profile.name,
                    profile
                        .transports
                        .iter()
                        .map(|t| t.name())
                        .collect::<Vec<_>>()
                        .join(" or "),
                    profile.note
                ),
            );
        }
        if !profile.srtp.is_empty() && !profile.srtp.contains(&c.media.srtp) {
            self.issues.warn(
                "media.srtp",
                format!(
                    "{} needs SRTP ({}); {}",
                    profile.name, profile.note, "set media.srtp accordingly"
                ),
            );
        }
        if c.media.srtp == SrtpMode::Sdes && c.sip.transport != Transport::Tls {
            self.issues.warn("media.srtp", "SDES keys travel in the SDP: without sip.transport = \"tls\" anyone on the path can read them");
        }
        if c.sip.transport == Transport::Tls
            && c.sip.registrar.ip().is_some()
            && c.tls.server_name == c.sip.registrar.host
        {
            self.issues.warn("tls.server_name", "the registrar is an IP address: set tls.server_name to the name in the PBX's certificate");
        }
        if c.sip.registrar.secure && c.sip.transport != Transport::Tls {
            self.err(
                "sip.transport".into(),
                "a sips: registrar needs sip.transport = \"tls\"",
            );
        }
    }
}
