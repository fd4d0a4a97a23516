//! heron-policy: call policy for a digital worker that joins a PBX as an
//! extension (REQUIREMENTS.md rows 2 and 8–10): who may call us, whom we
//! may call, how many calls at once, how often and when. Everything is
//! decided locally, before any INVITE leaves or any answer is sent, and
//! the clock is passed in.
//!
//! Order of the outbound checks, first refusal wins:
//! 1. the destination must be readable;
//! 2. emergency numbers and `sos` URNs ([`emergency`]): always refused;
//! 3. `policy.deny` patterns;
//! 4. premium-rate ranges, refused unless an allow pattern lies inside the
//!    range; short codes and internal extensions (numbers that are not
//!    E.164), refused unless a dial-string allow pattern matches;
//! 5. `policy.allow` patterns (an empty list allows nothing);
//! 6. time windows, the concurrent-call cap, the daily cap and the call
//!    rate.
//!
//! ```
//! use heron_policy::{CallPolicy, PolicyConfig, Refusal, WallTime};
//! use std::time::Instant;
//!
//! let mut cfg = PolicyConfig::default();
//! cfg.allow = vec!["+49*".parse().unwrap()];
//! let mut policy = CallPolicy::new(cfg);
//! let (now, wall) = (Instant::now(), WallTime { weekday: 0, minute: 600, day: 1 });
//! assert_eq!(policy.admit_outbound("0049 112", now, wall).unwrap_err(), Refusal::Emergency);
//! assert!(matches!(policy.admit_outbound("+49 900 123456", now, wall), Err(Refusal::Premium { .. })));
//! let permit = policy.admit_outbound("+49 30 5551234", now, wall).unwrap();
//! assert_eq!(permit.e164.as_deref(), Some("+49305551234"));
//! policy.call_ended();
//! ```

pub mod destination;
pub mod dialplan;
pub mod emergency;
pub mod rate;
pub mod window;

use std::net::IpAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use heron_sip::e164::NumberingPlan;

pub use destination::{Destination, DestinationError};
pub use dialplan::{Pattern, PatternError};
pub use emergency::EmergencyList;
pub use rate::{DailyCap, RateLimit, TokenBucket};
pub use window::{TimeWindow, WallTime, WindowError};

impl FromStr for Pattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, PatternError> {
        Pattern::parse(s)
    }
}

/// The status an excess inbound call is refused with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyStatus {
    /// 486 Busy Here.
    BusyHere,
    /// 503 Service Unavailable.
    ServiceUnavailable,
}

impl BusyStatus {
    /// The SIP status code.
    pub fn code(self) -> u16 {
        match self {
            BusyStatus::BusyHere => 486,
            BusyStatus::ServiceUnavailable => 503,
        }
    }
}

/// The policy settings (the `[policy]` and `[numbering]` sections).
#[derive(Debug, Clone)]
pub struct PolicyConfig {
    /// Destinations we may call (empty: none).
    pub allow: Vec<Pattern>,
    /// Destinations we must not call.
    pub deny: Vec<Pattern>,
    /// Premium prefixes beyond the built-in ones.
    pub premium_extra: Vec<String>,
    /// Emergency numbers beyond the built-in ones.
    pub emergency_extra: Vec<String>,
    /// Numbering plan for normalising dialled numbers.
    pub plan: Option<NumberingPlan>,
    /// The PBX's outside-line prefix (e.g. `0`), removed before normalising.
    pub outside_line: String,
    /// Concurrent calls, inbound and outbound together.
    pub max_calls: usize,
    /// Status for inbound calls over the cap.
    pub busy_status: BusyStatus,
    /// Outbound call rate.
    pub rate: Option<RateLimit>,
    /// Outbound calls per local day.
    pub max_calls_per_day: Option<u32>,
    /// When outbound calls may be placed (empty: always).
    pub hours: Vec<TimeWindow>,
    /// Whether the time windows also apply to inbound calls.
    pub hours_inbound: bool,
    /// Networks allowed to send us requests (empty: any).
    pub allowed_sources: Vec<ipnet::IpNet>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            allow: Vec::new(),
            deny: Vec::new(),
            premium_extra: Vec::new(),
            emergency_extra: Vec::new(),
            plan: Some(NumberingPlan::with_country_code("49")),
            outside_line: String::new(),
            max_calls: 4,
            busy_status: BusyStatus::BusyHere,
            rate: None,
            max_calls_per_day: None,
            hours: Vec::new(),
            hours_inbound: false,
            allowed_sources: Vec::new(),
        }
    }
}

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The destination could not be read.
    #[error("destination not understood: {0}")]
    Unreadable(DestinationError),
    /// An emergency number: never dialled by the agent.
    #[error("emergency numbers are never dialled by the agent")]
    Emergency,
    /// A deny pattern matched.
    #[error("denied by policy.deny pattern {pattern}")]
    Denied {
        /// The pattern.
        pattern: String,
    },
    /// A premium-rate range.
    #[error("premium-rate range {prefix} is not allowed")]
    Premium {
        /// The range.
        prefix: String,
    },
    /// A short code or internal extension not explicitly allowed.
    #[error("short code {0} is not allowed (add a dial-string pattern to policy.allow)")]
    ShortCode(String),
    /// No allow pattern matched.
    #[error("no policy.allow pattern matches")]
    NotAllowed,
    /// Outside the configured hours.
    #[error("outside the allowed hours (policy.hours)")]
    OutsideHours,
    /// The concurrent-call cap is reached.
    #[error("{max} concurrent calls already (policy.max_calls)")]
    TooManyCalls {
        /// The cap.
        max: usize,
    },
    /// Today's cap is reached.
    #[error("daily call limit reached (policy.max_calls_per_day)")]
    DailyCap,
    /// The call rate is exceeded.
    #[error("call rate exceeded (policy.rate); next call possible in {retry_after:?}")]
    RateLimited {
        /// When a token is available again.
        retry_after: Duration,
    },
    /// The inbound request's source is not allowed.
    #[error("source {0} is not in policy.allowed_sources")]
    SourceNotAllowed(IpAddr),
}

impl Refusal {
    /// The SIP status for refusing an inbound call or a REFER with this.
    pub fn sip_status(&self, busy: BusyStatus) -> u16 {
        match self {
            Refusal::TooManyCalls { .. } => busy.code(),
            Refusal::RateLimited { .. } | Refusal::DailyCap | Refusal::OutsideHours => 503,
            Refusal::Unreadable(_) => 484,
            _ => 403,
        }
    }
}

/// An admitted outbound call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    /// What was dialled.
    pub destination: Destination,
    /// The E.164 form, when it is a number that has one.
    pub e164: Option<String>,
}

/// The policy state: the counters the checks need.
#[derive(Debug, Clone)]
pub struct CallPolicy {
    cfg: PolicyConfig,
    emergency: EmergencyList,
    bucket: Option<TokenBucket>,
    daily: Option<DailyCap>,
    active: usize,
}

impl CallPolicy {
    /// A policy with no calls active.
    pub fn new(cfg: PolicyConfig) -> Self {
        let emergency =
            EmergencyList::new(&cfg.emergency_extra, cfg.plan.as_ref(), &cfg.outside_line);
        CallPolicy {
            bucket: cfg.rate.map(TokenBucket::new),
            daily: cfg.max_calls_per_day.map(DailyCap::new),
            emergency,
            cfg,
            active: 0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &PolicyConfig {
        &self.cfg
    }

    /// The emergency list in force.
    pub fn emergency(&self) -> &EmergencyList {
        &self.emergency
    }

    /// Calls currently counted.
    pub fn active_calls(&self) -> usize {
        self.active
    }

    /// The stateless part of the outbound check (steps 1–5): may this
    /// destination be dialled at all?
    pub fn check_destination(&self, dialled: &str) -> Result<Destination, Refusal> {
        let dest = Destination::parse(dialled, self.cfg.plan.as_ref(), &self.cfg.outside_line)
            .map_err(Refusal::Unreadable)?;
        if self.emergency.matches(&dest) {
            return Err(Refusal::Emergency);
        }
        if let Some(p) = self.cfg.deny.iter().find(|p| p.matches(&dest)) {
            return Err(Refusal::Denied {
                pattern: p.to_string(),
            });
        }
        let allowing: Vec<&Pattern> = self.cfg.allow.iter().filter(|p| p.matches(&dest)).collect();
        if let Destination::Number { dialled, e164 } = &dest {
            match e164 {
                Some(e) => {
                    if let Some(prefix) =
                        dialplan::premium_prefix(e.as_str(), &self.cfg.premium_extra)
                    {
                        if !allowing.iter().any(|p| p.lies_within(prefix)) {
                            return Err(Refusal::Premium {
                                prefix: prefix.to_owned(),
                            });
                        }
                    }
                }
                None => {
                    if allowing.is_empty() {
                        return Err(Refusal::ShortCode(dialled.clone()));
                    }
                }
            }
        }
        if allowing.is_empty() {
            return Err(Refusal::NotAllowed);
        }
        Ok(dest)
    }

    /// The full outbound check; on success the call counts against the
    /// cap, the rate and the daily limit until [`CallPolicy::call_ended`].
    pub fn admit_outbound(
        &mut self,
        dialled: &str,
        now: Instant,
        wall: WallTime,
    ) -> Result<Permit, Refusal> {
        let destination = self.check_destination(dialled)?;
        if !window::allowed(&self.cfg.hours, wall) {
            return Err(Refusal::OutsideHours);
        }
        if self.active >= self.cfg.max_calls {
            return Err(Refusal::TooManyCalls {
                max: self.cfg.max_calls,
            });
        }
        if let Some(d) = self.daily.as_mut() {
            if !d.peek(wall.day) {
                return Err(Refusal::DailyCap);
            }
        }
        if let Some(b) = self.bucket.as_mut() {
            b.take(now)
                .map_err(|retry_after| Refusal::RateLimited { retry_after })?;
        }
        if let Some(d) = self.daily.as_mut() {
            d.take(wall.day);
        }
        self.active += 1;
        Ok(Permit {
            e164: destination.e164().map(|e| e.as_str().to_owned()),
            destination,
        })
    }

    /// Whether a request from `source` may be handled at all.
    pub fn source_allowed(&self, source: IpAddr) -> bool {
        let source = match source {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(source),
            v4 => v4,
        };
        self.cfg.allowed_sources.is_empty()
            || self.cfg.allowed_sources.iter().any(|n| n.contains(&source))
    }

    /// The inbound check: allowed source, time windows if they apply to
    /// inbound calls, the concurrent-call cap. On success the call counts
    /// until [`CallPolicy::call_ended`].
    pub fn admit_inbound(&mut self, source: IpAddr, wall: WallTime) -> Result<(), Refusal> {
        if !self.source_allowed(source) {
            return Err(Refusal::SourceNotAllowed(source));
        }
        self.admit_inbound_counted(wall)
    }

    /// The inbound check without the source (checked where the request
    /// arrived): time windows if they apply to inbound calls, and the cap.
    pub fn admit_inbound_counted(&mut self, wall: WallTime) -> Result<(), Refusal> {
        if self.cfg.hours_inbound && !window::allowed(&self.cfg.hours, wall) {
            return Err(Refusal::OutsideHours);
        }
        if self.active >= self.cfg.max_calls {
            return Err(Refusal::TooManyCalls {
                max: self.cfg.max_calls,
            });
        }
        self.active += 1;
        Ok(())
    }

    /// A counted call ended.
    pub fn call_ended(&mut self) {
        self.active = self.active.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests;
