//! The registration state machine: builds REGISTER requests and decides
//! what follows each response or timeout.

use heron_sip::headers::{Expires, MinExpires, RetryAfter, Via};
use heron_sip::{HeaderName, Message, Method, Uri};
use heron_sip_auth::{Answer, ClientError, Credentials, DigestClient};
use rand_core::RngCore;
use std::time::{Duration, Instant};

/// How our binding relates to the AOR's other bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactPolicy {
    /// Keep other devices' bindings; remove only our own stale ones (same
    /// `+sip.instance`, or an address NAT made obsolete).
    Add,
    /// Exactly one binding: start by removing every binding (`Contact: *`).
    Replace,
}

/// What a registration is configured with.
#[derive(Debug, Clone)]
pub struct RegistrationConfig {
    /// The registrar's URI, the Request-URI (`sip:pbx.example.com`).
    pub registrar: String,
    /// The address of record, for From and To (`sip:1001@pbx.example.com`).
    pub aor: String,
    /// Display name for From/To.
    pub display_name: Option<String>,
    /// Digest credentials (auth user may differ from the AOR's user).
    pub credentials: Option<Credentials>,
    /// The user part of our Contact; the AOR's user when `None`.
    pub contact_user: Option<String>,
    /// Requested expiry in seconds.
    pub expires: u32,
    /// RFC 5626 instance id (`urn:uuid:...`) for `+sip.instance`.
    pub instance_id: Option<String>,
    /// RFC 5626 reg-id (with `instance_id`).
    pub reg_id: Option<u32>,
    /// Contact policy.
    pub policy: ContactPolicy,
    /// Re-register with the public address when the registrar's Via
    /// `received`/`rport` shows it differs from our Contact.
    pub follow_nat: bool,
    /// First back-off after a failure (doubled each time, with jitter).
    pub retry_base: Duration,
    /// Longest back-off.
    pub retry_max: Duration,
}

impl RegistrationConfig {
    /// A configuration with the usual defaults (3600 s, `Add`, NAT
    /// following on, back-off 30 s doubling to 30 min).
    pub fn new(registrar: impl Into<String>, aor: impl Into<String>) -> RegistrationConfig {
        RegistrationConfig {
            registrar: registrar.into(),
            aor: aor.into(),
            display_name: None,
            credentials: None,
            contact_user: None,
            expires: 3600,
            instance_id: None,
            reg_id: None,
            policy: ContactPolicy::Add,
            follow_nat: true,
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(1800),
        }
    }
}

/// Why a registration attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationFailure {
    /// No final response (Timer F).
    Timeout,
    /// The request could not be sent.
    Transport(String),
    /// A final response other than 2xx, 401/407 and 423.
    Rejected {
        /// Status code.
        code: u16,
        /// Reason phrase.
        reason: String,
    },
    /// The credentials were refused (a second challenge for a realm we
    /// answered) or none fit the challenge.
    Auth(String),
    /// The registrar kept asking for a longer expiry.
    IntervalTooBrief(u32),
}

/// Where a registration stands (reported on every change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationState {
    /// A REGISTER is on its way.
    Registering,
    /// The registrar accepted the binding.
    Registered {
        /// Granted expiry in seconds.
        expires: u32,
        /// Our Contact URI as bound.
        contact: String,
    },
    /// A failure; the next attempt is scheduled.
    Retrying {
        /// Wait before the next attempt.
        after: Duration,
        /// What went wrong.
        failure: RegistrationFailure,
    },
    /// A failure that retrying cannot fix (403, 404, rejected
    /// credentials): no further attempts until the application restarts.
    Failed(RegistrationFailure),
    /// Unregistered (after [`Ua::unregister`](crate::ua::Ua::unregister)).
    Unregistered,
}

/// What the driver of the machine must do next.
#[derive(Debug)]
pub(crate) enum Step {
    /// Send this REGISTER.
    Send(Message),
    /// Wait until the instant, then call `on_timer`.
    Wait(Instant),
    /// Nothing more (failed or unregistered).
    Stop,
}

/// One registration.
#[derive(Debug)]
pub(crate) struct Registration {
    pub(crate) cfg: RegistrationConfig,
    call_id: String,
    from_tag: String,
    cseq: u32,
    digest: Option<DigestClient>,
    answers: Vec<Answer>,
    auth_rounds: u32,
    expires: u32,
    /// `host:port` and transport parameter of our Contact.
    host_port: String,
    transport_param: Option<&'static str>,
    /// Contacts to remove with the next REGISTER.
    stale: Vec<String>,
    /// `Contact: *` still to be sent (policy `Replace`).
    wildcard_pending: bool,
    unregistering: bool,
    failures: u32,
    last_min_expires: Option<u32>,
    pub(crate) state: RegistrationState,
}

impl Registration {
    pub(crate) fn new(
        cfg: RegistrationConfig,
        call_id: String,
        from_tag: String,
        host_port: String,
        transport_param: Option<&'static str>,
    ) -> Registration {
        let digest = cfg.credentials.clone().map(|c| DigestClient::new([c]));
        Registration {
            expires: cfg.expires,
            wildcard_pending: cfg.policy == ContactPolicy::Replace,
            cfg,
            call_id,
            from_tag,
            cseq: 0,
            digest,
            answers: Vec::new(),
            auth_rounds: 0,
            host_port,
            transport_param,
            stale: Vec::new(),
            unregistering: false,
            failures: 0,
            last_min_expires: None,
            state: RegistrationState::Registering,
        }
    }

    /// Our Contact URI.
    pub(crate) fn contact_uri(&self) -> String {
        let user = self.cfg.contact_user.clone().unwrap_or_else(|| {
            Uri::parse(&self.cfg.aor)
                .ok()
                .and_then(|u| u.as_sip().and_then(|s| s.user.map(str::to_owned)))
                .unwrap_or_else(|| "heron".into())
        });
        match self.transport_param {
            Some(t) => format!("sip:{user}@{};transport={t}", self.host_port),
            None => format!("sip:{user}@{}", self.host_port),
        }
    }

    fn contact_value(&self, expires: Option<u32>) -> String {
        let mut v = format!("<{}>", self.contact_uri());
        if let Some(inst) = &self.cfg.instance_id {
            v.push_str(&format!(";+sip.instance=\"<{inst}>\""));
            if let Some(r) = self.cfg.reg_id {
                v.push_str(&format!(";reg-id={r}"));
            }
        }
        if let Some(e) = expires {
            v.push_str(&format!(";expires={e}"));
        }
        v
    }

    fn address(&self) -> String {
        match &self.cfg.display_name {
            Some(d) => format!("\"{}\" <{}>", d.replace('"', ""), self.cfg.aor),
            None => format!("<{}>", self.cfg.aor),
        }
    }

    /// The next REGISTER (new CSeq, current credentials).
    fn build(&mut self) -> Message {
        self.cseq += 1;
        let mut m = Message::request(Method::Register, &self.cfg.registrar);
        let addr = self.address();
        m.append_header(HeaderName::From, &format!("{addr};tag={}", self.from_tag));
        m.append_header(HeaderName::To, &addr);
        m.append_header(HeaderName::CallId, &self.call_id);
        m.append_header(HeaderName::CSeq, &format!("{} REGISTER", self.cseq));
        if self.wildcard_pending {
            m.append_header(HeaderName::Contact, "*");
            m.append_header(HeaderName::Expires, "0");
        } else if self.unregistering {
            m.append_header(HeaderName::Contact, &self.contact_value(Some(0)));
            m.append_header(HeaderName::Expires, "0");
        } else {
            for s in &self.stale {
                m.append_header(HeaderName::Contact, &format!("<{s}>;expires=0"));
            }
            m.append_header(HeaderName::Contact, &self.contact_value(None));
            m.append_header(HeaderName::Expires, &self.expires.to_string());
        }
        if self.cfg.instance_id.is_some() {
            m.append_header(HeaderName::Supported, "outbound, path");
        }
        heron_sip_auth::sip::set_answers(&mut m, &self.answers);
        m
    }

    /// Starts (or restarts) registering.
    pub(crate) fn start(&mut self) -> Step {
        self.unregistering = false;
        self.auth_rounds = 0;
        self.answers.clear();
        self.state = RegistrationState::Registering;
        Step::Send(self.build())
    }

    /// Starts unregistering; `None` when nothing is bound.
    pub(crate) fn unregister(&mut self) -> Option<Step> {
        let bound = matches!(self.state, RegistrationState::Registered { .. })
            || matches!(self.state, RegistrationState::Registering);
        self.unregistering = true;
        self.wildcard_pending = false;
        self.auth_rounds = 0;
        self.answers.clear();
        if !bound {
            self.state = RegistrationState::Unregistered;
            return None;
        }
        Some(Step::Send(self.build()))
    }

    /// The transport flow to the registrar died: register again.
    pub(crate) fn flow_failed(&mut self) -> Option<Step> {
        match self.state {
            RegistrationState::Registered { .. } => Some(self.start()),
            _ => None,
        }
    }

    /// A scheduled refresh or retry is due.
    pub(crate) fn on_timer(&mut self) -> Step {
        self.start()
    }

    /// No final response, or the transport failed.
    pub(crate) fn on_failure(
        &mut self,
        now: Instant,
        failure: RegistrationFailure,
        rng: &mut dyn RngCore,
    ) -> Step {
        if self.unregistering {
            self.state = RegistrationState::Unregistered;
            return Step::Stop;
        }
        self.back_off(now, failure, None, rng)
    }

    fn back_off(
        &mut self,
        now: Instant,
        failure: RegistrationFailure,
        retry_after: Option<u32>,
        rng: &mut dyn RngCore,
    ) -> Step {
        self.failures += 1;
        let after = match retry_after {
            Some(s) => {
                let base = Duration::from_secs(u64::from(s));
                base + base.mul_f64(0.1 * unit(rng))
            }
            None => {
                let exp = self.failures.saturating_sub(1).min(16);
                let full = self
                    .cfg
                    .retry_base
                    .saturating_mul(1u32 << exp)
                    .min(self.cfg.retry_max);
                full.mul_f64(0.5 + 0.5 * unit(rng))
            }
        };
        self.state = RegistrationState::Retrying { after, failure };
        Step::Wait(now + after)
    }

    fn fail(&mut self, failure: RegistrationFailure) -> Step {
        self.state = RegistrationState::Failed(failure);
        Step::Stop
    }

    /// A final response to our REGISTER.
    pub(crate) fn on_response(
        &mut self,
        now: Instant,
        resp: &Message,
        rng: &mut dyn RngCore,
    ) -> Step {
        let code = resp.status().unwrap_or(500);
        let reason = resp.reason().unwrap_or("").to_owned();
        match code {
            200..=299 => self.on_success(now, resp),
            401 | 407 => self.on_challenge(now, resp, rng),
            423 => {
                let min = resp.get::<MinExpires>().and_then(Result::ok).map(|m| m.0);
                match min {
                    Some(m) if m > self.expires && self.last_min_expires != Some(m) => {
                        self.last_min_expires = Some(m);
                        self.expires = m;
                        self.auth_rounds = 0;
                        Step::Send(self.build())
                    }
                    _ => self.fail(RegistrationFailure::IntervalTooBrief(min.unwrap_or(0))),
                }
            }
            403 | 404 | 603 | 604 => {
                if self.unregistering {
                    self.state = RegistrationState::Unregistered;
                    return Step::Stop;
                }
                self.fail(RegistrationFailure::Rejected { code, reason })
            }
            _ => {
                if self.unregistering {
                    self.state = RegistrationState::Unregistered;
                    return Step::Stop;
                }
                let ra = resp.get::<RetryAfter>().and_then(Result::ok);
                let retry_after = ra.map(|r| r.seconds);
                self.back_off(
                    now,
                    RegistrationFailure::Rejected { code, reason },
                    retry_after,
                    rng,
                )
            }
        }
    }

    fn on_challenge(&mut self, now: Instant, resp: &Message, rng: &mut dyn RngCore) -> Step {
        let Some(digest) = self.digest.as_mut() else {
            return self.fail(RegistrationFailure::Auth(
                "no credentials configured".into(),
            ));
        };
        self.auth_rounds += 1;
        if self.auth_rounds > 3 {
            return self.fail(RegistrationFailure::Auth("too many challenges".into()));
        }
        let (challenges, _) = heron_sip_auth::sip::challenges(resp);
        let method = "REGISTER";
        let uri = self.cfg.registrar.clone();
        let req = heron_sip_auth::Request::new(method, &uri).retrying(&self.answers);
        match digest.respond(&challenges, &req, rng) {
            Ok(answers) => {
                self.answers = answers;
                Step::Send(self.build())
            }
            Err(e) => {
                self.answers.clear();
                if self.unregistering {
                    self.state = RegistrationState::Unregistered;
                    return Step::Stop;
                }
                match e {
                    ClientError::CredentialsRejected { .. } | ClientError::NoCredentials { .. } => {
                        self.fail(RegistrationFailure::Auth(e.to_string()))
                    }
                    _ => self.back_off(now, RegistrationFailure::Auth(e.to_string()), None, rng),
                }
            }
        }
    }

    fn on_success(&mut self, now: Instant, resp: &Message) -> Step {
        self.auth_rounds = 0;
        self.answers.clear();
        if self.wildcard_pending {
            self.wildcard_pending = false;
            return Step::Send(self.build());
        }
        if self.unregistering {
            self.state = RegistrationState::Unregistered;
            return Step::Stop;
        }
        self.stale.clear();
        self.failures = 0;
        let ours = self.contact_uri();
        let mut granted = None;
        let mut stale = Vec::new();
        for c in resp.contacts().filter_map(Result::ok) {
            let Some(a) = c.address() else { continue };
            let same = Uri::parse(&ours).is_ok_and(|u| u.equivalent(&a.uri));
            if same {
                granted = c.expires();
            } else if let (Some(inst), Some(mine)) = (c.sip_instance(), &self.cfg.instance_id) {
                if inst.trim_matches(['<', '>']) == mine.as_str() {
                    stale.push(a.uri.to_string());
                }
            }
        }
        let granted = granted
            .or_else(|| resp.get::<Expires>().and_then(Result::ok).map(|e| e.0))
            .unwrap_or(self.expires);
        // RFC 3581: the address the registrar saw us at.
        if self.cfg.follow_nat {
            if let Some(public) = public_address(resp) {
                if public != self.host_port {
                    let old = self.contact_uri();
                    self.host_port = public;
                    stale.push(old);
                }
            }
        }
        if !stale.is_empty() {
            self.stale = stale;
            return Step::Send(self.build());
        }
        self.state = RegistrationState::Registered {
            expires: granted,
            contact: ours,
        };
        if granted == 0 {
            return Step::Stop;
        }
        let g = u64::from(granted);
        let refresh = (g / 2).max(g.saturating_sub(30)).max(1);
        Step::Wait(now + Duration::from_secs(refresh))
    }
}

/// `received:rport` from the response's top Via, when the registrar
/// stamped both (RFC 3581).
fn public_address(resp: &Message) -> Option<String> {
    let via: Via = resp.get().and_then(Result::ok)?;
    let received = via.received()?;
    let port = via.rport().flatten()?;
    if received.contains(':') && !received.starts_with('[') {
        Some(format!("[{received}]:{port}"))
    } else {
        Some(format!("{received}:{port}"))
    }
}

/// A uniform number in [0, 1).
fn unit(rng: &mut dyn RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}
