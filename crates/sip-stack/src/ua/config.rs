//! What a user agent is configured with: who it is, where requests go,
//! 100rel, session timers and transfer options.

use crate::types::{Target, TransportKind};
use heron_sip_auth::Credentials;

/// Our identity in calls we place (RFC 3261 From, RFC 3325, RFC 3323).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Address of record, the From URI: `sip:1001@pbx.example.com`,
    /// `sip:+4930123@pbx;user=phone` or `tel:+4930123`.
    pub aor: String,
    /// Display name for From.
    pub display_name: Option<String>,
    /// P-Preferred-Identity to send (to a PBX that asserts it).
    pub preferred: Option<String>,
    /// P-Asserted-Identity to send (inside a trust domain).
    pub asserted: Option<String>,
    /// Privacy header values to send (`id`, `header`, `session`,
    /// `user`); `user` also makes From anonymous.
    pub privacy: Vec<String>,
    /// Anonymous From (RFC 3323 §4.1.1): `"Anonymous"
    /// <sip:anonymous@anonymous.invalid>` in calls we place, the AOR and
    /// display name withheld; who we are travels only in
    /// [`Identity::preferred`] / [`Identity::asserted`], for the PBX.
    pub anonymous: bool,
}

/// The From of an anonymous request (RFC 3323 §4.1.1.3).
pub const ANONYMOUS_FROM: &str = "\"Anonymous\" <sip:anonymous@anonymous.invalid>";

impl Identity {
    /// An identity with just an AOR.
    pub fn new(aor: impl Into<String>) -> Identity {
        Identity {
            aor: aor.into(),
            display_name: None,
            preferred: None,
            asserted: None,
            privacy: Vec::new(),
            anonymous: false,
        }
    }

    /// An identity that calls anonymously (RFC 3323 §4.1.1): From is
    /// [`ANONYMOUS_FROM`], `Privacy: id` asks the PBX to withhold the
    /// asserted identity from the callee (RFC 3325 §9.3; a user agent
    /// should not send `user` itself, RFC 3323 §4.2), and the AOR goes in
    /// P-Preferred-Identity so the PBX still knows who calls.
    pub fn anonymous(aor: impl Into<String>) -> Identity {
        let aor = aor.into();
        Identity {
            preferred: Some(format!("<{aor}>")),
            privacy: vec!["id".into()],
            anonymous: true,
            ..Identity::new(aor)
        }
    }

    /// Whether From withholds who we are.
    pub fn is_anonymous(&self) -> bool {
        self.anonymous || self.privacy.iter().any(|p| p.eq_ignore_ascii_case("user"))
    }

    /// The From value (without tag) for a new request.
    pub fn from_value(&self) -> String {
        if self.is_anonymous() {
            return ANONYMOUS_FROM.into();
        }
        match &self.display_name {
            Some(d) => format!("\"{}\" <{}>", d.replace(['"', '\\'], ""), self.aor),
            None => format!("<{}>", self.aor),
        }
    }
}

/// Reliable provisional responses (RFC 3262).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrackMode {
    /// Never reliable; `100rel` not advertised in our INVITEs.
    Off,
    /// `Supported: 100rel`; provisionals are reliable when the peer
    /// supports it.
    Supported,
    /// `Require: 100rel` in our INVITEs.
    Required,
}

/// Session timers (RFC 4028).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimerConfig {
    /// Session interval we ask for, seconds (default 1800).
    pub expires: u32,
    /// The smallest interval we accept, seconds (at least 90).
    pub min_se: u32,
}

impl Default for SessionTimerConfig {
    fn default() -> Self {
        SessionTimerConfig {
            expires: 1800,
            min_se: 90,
        }
    }
}

/// Everything a [`Ua`](crate::ua::Ua) is configured with.
#[derive(Debug, Clone)]
pub struct UaConfig {
    /// Who we are.
    pub identity: Identity,
    /// User part of our Contact.
    pub contact_user: String,
    /// Transport of our Contact when the request's target does not say.
    pub transport: TransportKind,
    /// Where requests go when their URI is not an IP address (the PBX or
    /// outbound proxy, resolved).
    pub proxy: Option<Target>,
    /// Credentials for challenged requests (INVITE, BYE, REFER, ...).
    pub credentials: Option<Credentials>,
    /// 100rel.
    pub prack: PrackMode,
    /// Session timers; `None` turns them off.
    pub session_timer: Option<SessionTimerConfig>,
    /// Ask for no REFER subscription (RFC 4488 `Refer-Sub: false`).
    pub norefersub: bool,
    /// End the original call when a transfer we started succeeds.
    pub end_call_after_transfer: bool,
    /// User-Agent header value.
    pub user_agent: Option<String>,
}

impl UaConfig {
    /// A configuration for `aor` with the defaults: UDP, 100rel
    /// supported, session timers of 1800 s (Min-SE 90 s).
    pub fn new(aor: impl Into<String>) -> UaConfig {
        let identity = Identity::new(aor);
        let contact_user = heron_sip::Uri::parse(&identity.aor)
            .ok()
            .and_then(|u| u.as_sip().and_then(|s| s.user.map(str::to_owned)))
            .unwrap_or_else(|| "heron".into());
        UaConfig {
            identity,
            contact_user,
            transport: TransportKind::Udp,
            proxy: None,
            credentials: None,
            prack: PrackMode::Supported,
            session_timer: Some(SessionTimerConfig::default()),
            norefersub: false,
            end_call_after_transfer: true,
            user_agent: Some(concat!("heron-sip-stack/", env!("CARGO_PKG_VERSION")).into()),
        }
    }
}
