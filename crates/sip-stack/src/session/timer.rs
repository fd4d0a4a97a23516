//! Session timers (RFC 4028): negotiation of the interval and refresher,
//! and when to refresh or give up.
//!
//! ```
//! use heron_sip_stack::session::timer::{uas_negotiate, Negotiated, SessionTimer};
//! use heron_sip::{HeaderName, Message, Method};
//!
//! let mut invite = Message::request(Method::Invite, "sip:a@192.0.2.1");
//! invite.append_header(HeaderName::Supported, "timer");
//! invite.append_header(HeaderName::SessionExpires, "60");
//! // Our Min-SE is 90: the UAS rejects with 422.
//! assert_eq!(uas_negotiate(&invite, 1800, 90), Negotiated::TooSmall(90));
//! invite.set_header(HeaderName::SessionExpires, "1800;refresher=uas");
//! let Negotiated::Timer(t) = uas_negotiate(&invite, 1800, 90) else { panic!() };
//! assert_eq!(t, SessionTimer { interval: 1800, we_refresh: true });
//! assert_eq!(t.header_as_uas(), "1800;refresher=uas");
//! ```

use super::lists;
use heron_sip::headers::{MinSe, SessionExpires};
use heron_sip::{HeaderName, Message};
use std::time::Duration;

/// A negotiated session timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimer {
    /// Session interval in seconds.
    pub interval: u32,
    /// We are the refresher.
    pub we_refresh: bool,
}

impl SessionTimer {
    /// When the refresher sends its refresh: half the interval.
    pub fn refresh_after(&self) -> Duration {
        Duration::from_secs(u64::from(self.interval / 2).max(1))
    }

    /// When the other side gives up: the interval less a third of it or
    /// 32 s, whichever is smaller (§10).
    pub fn expire_after(&self) -> Duration {
        let i = u64::from(self.interval);
        Duration::from_secs(i - (i / 3).min(32))
    }

    /// The Session-Expires value for our 2xx as UAS (the refresher named
    /// from the UAC/UAS roles of that transaction).
    pub fn header_as_uas(&self) -> String {
        let who = if self.we_refresh { "uas" } else { "uac" };
        format!("{};refresher={who}", self.interval)
    }

    /// The Session-Expires value for a refresh we send as UAC.
    pub fn header_as_uac(&self) -> String {
        let who = if self.we_refresh { "uac" } else { "uas" };
        format!("{};refresher={who}", self.interval)
    }
}

/// What a UAS makes of a request's Session-Expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Negotiated {
    /// No session timer (not produced by [`uas_negotiate`] any more: a
    /// UAS with timers on always runs one, RFC 4028 §9).
    None,
    /// Use this timer; put [`SessionTimer::header_as_uas`] in the 2xx.
    Timer(SessionTimer),
    /// Reject with 422 and this Min-SE.
    TooSmall(u32),
}

/// §9: the UAS side of the negotiation for a request (INVITE, re-INVITE,
/// UPDATE) given our preferred interval and our Min-SE.
pub fn uas_negotiate(req: &Message, ours: u32, min_se: u32) -> Negotiated {
    let se = req.get::<SessionExpires>().and_then(Result::ok);
    let supports = lists(req, HeaderName::Supported, "timer");
    let Some(se) = se else {
        // §9: no Session-Expires asked for; we may still run the timer.
        // A UAC that supports timers refreshes; for one that does not, we
        // do (refresher=uas), so a call whose BYE was lost ends when its
        // refresh fails instead of living on.
        return Negotiated::Timer(SessionTimer {
            interval: ours.max(min_se),
            we_refresh: !supports,
        });
    };
    if se.seconds < min_se {
        return Negotiated::TooSmall(min_se);
    }
    let we_refresh = match se.refresher() {
        Some(r) if r.eq_ignore_ascii_case("uas") => true,
        Some(_) => false,
        None => !supports,
    };
    Negotiated::Timer(SessionTimer {
        interval: se.seconds,
        we_refresh,
    })
}

/// §7.2: the UAC side, from the 2xx to our request.
pub fn uac_negotiated(resp: &Message) -> Option<SessionTimer> {
    let se = resp.get::<SessionExpires>().and_then(Result::ok)?;
    let we_refresh = !se
        .refresher()
        .is_some_and(|r| r.eq_ignore_ascii_case("uas"));
    Some(SessionTimer {
        interval: se.seconds,
        we_refresh,
    })
}

/// The Min-SE of a 422.
pub fn min_se_of(resp: &Message) -> Option<u32> {
    resp.get::<MinSe>().and_then(Result::ok).map(|m| m.seconds)
}
