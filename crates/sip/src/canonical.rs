//! A normal form of a message's meaning: two messages that mean the same
//! thing give the same lines whatever their compact names, case, folding,
//! spacing, quoting or parameter order. Used by `sip-lint --canonical` and
//! by the round-trip tests.

use crate::headers::*;
use crate::message::{HeaderRef, Message};
use crate::name::HeaderName;
use crate::params::{unquote_value, Params};
use crate::text::{is_token, CommaList};
use crate::uri::{decoded_bytes, Host, Uri};
use std::fmt::Write;

fn collapse_lws(s: &str) -> String {
    s.split([' ', '\t', '\r', '\n'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Re-escapes decoded bytes: unreserved characters plain, the rest %HH.
fn escape_canonical(raw: &str, keep: fn(u8) -> bool) -> String {
    let mut out = String::new();
    for b in decoded_bytes(raw) {
        if b.is_ascii_alphanumeric() || keep(b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn user_keep(b: u8) -> bool {
    b"-_.!~*'()&=+$,;?/".contains(&b)
}

fn param_keep(b: u8) -> bool {
    b"-_.!~*'()[]/:&+$".contains(&b)
}

fn host(h: &Host<'_>) -> String {
    match h {
        Host::Domain(d) => d.trim_end_matches('.').to_ascii_lowercase(),
        Host::V4(a) => a.to_string(),
        Host::V6(a) => format!("[{a}]"),
    }
}

/// Parameters sorted by lower-cased name; values unquoted and re-quoted
/// only when they are not tokens; `lower` lists parameters whose values
/// are case-insensitive.
fn params(p: &Params<'_>, uri: bool, lower: &[&str]) -> String {
    let mut v: Vec<(String, Option<String>)> = p
        .iter()
        .map(|(n, val)| {
            let name = n.to_ascii_lowercase();
            let val = val.map(|val| {
                let mut s = if uri {
                    escape_canonical(val, param_keep)
                } else {
                    unquote_value(val).into_owned()
                };
                if lower.contains(&name.as_str()) {
                    s = s.to_ascii_lowercase();
                }
                if !uri && !is_token(&s) && !s.starts_with('[') {
                    let mut q = String::new();
                    let _ = crate::text::write_quoted(&mut q, &s);
                    s = q;
                }
                s
            });
            (name, val)
        })
        .collect();
    v.sort();
    let mut out = String::new();
    for (n, val) in v {
        out.push(';');
        out.push_str(&n);
        if let Some(val) = val {
            out.push('=');
            out.push_str(&val);
        }
    }
    out
}

const URI_LOWER: &[&str] = &["transport", "user", "method", "maddr", "lr"];

/// The canonical text of a URI.
pub fn canonical_uri(u: &Uri<'_>) -> String {
    match u {
        Uri::Sip(s) => {
            let mut out = String::from(if s.secure { "sips:" } else { "sip:" });
            if let Some(user) = s.user {
                out.push_str(&escape_canonical(user, user_keep));
                if let Some(p) = s.password {
                    out.push(':');
                    out.push_str(&escape_canonical(p, user_keep));
                }
                out.push('@');
            }
            out.push_str(&host(&s.host));
            if let Some(p) = s.port {
                let _ = write!(out, ":{p}");
            }
            out.push_str(&params(&s.params, true, URI_LOWER));
            if let Some(h) = s.headers {
                let mut hs: Vec<String> = h
                    .split('&')
                    .filter(|x| !x.is_empty())
                    .map(|x| escape_canonical(x, |b| b"-_.!~*'()[]/?:+$=".contains(&b)))
                    .collect();
                hs.sort();
                out.push('?');
                out.push_str(&hs.join("&"));
            }
            out
        }
        Uri::Tel(t) => format!(
            "tel:{}{}",
            t.digits().to_ascii_lowercase(),
            params(&t.params, true, &["phone-context"])
        ),
        Uri::Other(o) => format!("{}:{}", o.scheme.to_ascii_lowercase(), o.rest),
    }
}

fn name_addr(a: &NameAddr<'_>) -> String {
    let mut out = String::new();
    if let Some(d) = a.display_name() {
        let d = collapse_lws(&d);
        if !d.is_empty() {
            let _ = crate::text::write_quoted(&mut out, &d);
            out.push(' ');
        }
    }
    let _ = write!(
        out,
        "<{}>{}",
        canonical_uri(&a.uri),
        params(&a.params, false, &[])
    );
    out
}

fn auth(scheme: &str, p: &AuthParams<'_>) -> String {
    let mut v: Vec<(String, String)> = p
        .iter()
        .map(|(n, val)| (n.to_ascii_lowercase(), unquote_value(val).into_owned()))
        .collect();
    v.sort();
    let body: Vec<String> = v
        .into_iter()
        .map(|(n, val)| {
            let mut q = String::new();
            let _ = crate::text::write_quoted(&mut q, &val);
            format!("{n}={q}")
        })
        .collect();
    format!("{} {}", scheme.to_ascii_lowercase(), body.join(","))
}

fn tok_params(tok: &str, p: &Params<'_>) -> String {
    format!("{}{}", tok.to_ascii_lowercase(), params(p, false, &[]))
}

fn one<'a, H: TypedHeader<'a>>(v: &'a str, f: impl Fn(H) -> String) -> String {
    match H::parse(v) {
        Ok(h) => f(h),
        Err(e) => format!("<invalid: {e}>"),
    }
}

/// Canonical text of one value of a known header.
fn value(name: HeaderName, v: &str) -> String {
    use HeaderName as N;
    match name {
        N::Via => one::<Via>(v, |x| {
            let mut s = format!(
                "{}/{}/{} {}",
                x.protocol.to_ascii_uppercase(),
                x.version,
                x.transport.to_ascii_uppercase(),
                host(&x.host)
            );
            if let Some(p) = x.port {
                let _ = write!(s, ":{p}");
            }
            s + &params(&x.params, false, &["received", "maddr"])
        }),
        N::From
        | N::To
        | N::Route
        | N::RecordRoute
        | N::PAssertedIdentity
        | N::PPreferredIdentity
        | N::ReferredBy
        | N::ReplyTo
        | N::Path
        | N::ServiceRoute
        | N::Diversion
        | N::HistoryInfo
        | N::ReferTo
        | N::RemotePartyId => match NameAddr::parse(v) {
            Ok(a) => name_addr(&a),
            Err(e) => format!("<invalid: {e}>"),
        },
        N::Contact => one::<Contact>(v, |c| match c {
            Contact::Wildcard => "*".into(),
            Contact::Address(a) => name_addr(&a),
        }),
        N::CallId => one::<CallId>(v, |c| c.0.to_owned()),
        N::CSeq => one::<CSeq>(v, |c| format!("{} {}", c.seq, c.method)),
        N::MaxForwards => one::<MaxForwards>(v, |c| c.0.to_string()),
        N::Expires => one::<Expires>(v, |c| c.0.to_string()),
        N::MinExpires => one::<MinExpires>(v, |c| c.0.to_string()),
        N::ContentLength => one::<ContentLength>(v, |c| c.0.to_string()),
        N::RSeq => one::<RSeq>(v, |c| c.0.to_string()),
        N::MinSe => one::<MinSe>(v, |c| {
            format!("{}{}", c.seconds, params(&c.params, false, &[]))
        }),
        N::SessionExpires => one::<SessionExpires>(v, |c| {
            format!("{}{}", c.seconds, params(&c.params, false, &["refresher"]))
        }),
        N::RAck => one::<RAck>(v, |c| format!("{} {} {}", c.rseq, c.cseq, c.method)),
        N::ContentType | N::Accept => match MediaType::parse(v) {
            Ok(m) => format!(
                "{}/{}{}",
                m.mtype.to_ascii_lowercase(),
                m.subtype.to_ascii_lowercase(),
                params(&m.params, false, &["charset"])
            ),
            Err(e) => format!("<invalid: {e}>"),
        },
        N::ContentDisposition => {
            one::<ContentDisposition>(v, |c| tok_params(c.disposition, &c.params))
        }
        N::Allow | N::Supported | N::Require | N::Unsupported | N::ProxyRequire => {
            crate::text::trim_lws(v).to_owned()
        }
        N::Privacy => one::<Privacy>(v, |p| {
            p.values()
                .map(|x| x.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(";")
        }),
        N::Event => one::<Event>(v, |e| tok_params(e.package, &e.params)),
        N::SubscriptionState => one::<SubscriptionState>(v, |e| tok_params(e.state, &e.params)),
        N::Replaces => one::<Replaces>(v, |r| {
            format!("{}{}", r.call_id, params(&r.params, false, &[]))
        }),
        N::Reason => one::<Reason>(v, |r| {
            format!(
                "{}{}",
                r.protocol.to_ascii_uppercase(),
                params(&r.params, false, &[])
            )
        }),
        N::RetryAfter => one::<RetryAfter>(v, |r| {
            let mut s = r.seconds.to_string();
            if let Some(c) = r.comment {
                let _ = write!(s, " ({})", collapse_lws(c));
            }
            s + &params(&r.params, false, &[])
        }),
        N::Timestamp => one::<Timestamp>(v, |t| match t.delay {
            Some(d) => format!("{} {}", t.value, d),
            None => t.value.to_owned(),
        }),
        N::Warning => one::<Warning>(v, |w| {
            format!("{} {} {}", w.code, w.agent.to_ascii_lowercase(), w.text)
        }),
        N::WwwAuthenticate => one::<WwwAuthenticate>(v, |a| auth(a.scheme, &a.params)),
        N::ProxyAuthenticate => one::<ProxyAuthenticate>(v, |a| auth(a.scheme, &a.params)),
        N::Authorization => one::<Authorization>(v, |a| auth(a.scheme, &a.params)),
        N::ProxyAuthorization => one::<ProxyAuthorization>(v, |a| auth(a.scheme, &a.params)),
        _ => collapse_lws(v),
    }
}

fn lines_of(h: &HeaderRef<'_>, out: &mut Vec<String>) {
    if h.name == HeaderName::Other {
        out.push(format!(
            "{}: {}",
            h.name_str.to_ascii_lowercase(),
            collapse_lws(h.value)
        ));
        return;
    }
    let name = h.name.as_str().to_ascii_lowercase();
    if h.name.is_list() {
        for item in CommaList::new(h.value) {
            match item {
                Ok(i) => out.push(format!("{name}: {}", value(h.name, i))),
                Err(()) => out.push(format!("{name}: <invalid: unterminated quote>")),
            }
        }
    } else {
        out.push(format!("{name}: {}", value(h.name, h.value)));
    }
}

impl Message {
    /// The message's meaning in a normal form, one line per item: the start
    /// line, one line per header value (full lower-case name, canonical
    /// value), then `body: <length>` (the caller adds a hash if it wants
    /// one). Header order is kept, since it matters for Via and Route.
    pub fn canonical_lines(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.fields.len() + 2);
        match (self.method(), self.status()) {
            (Some(m), _) => out.push(format!(
                "{} {} SIP/{}.{}",
                m,
                self.request_uri()
                    .map(|u| canonical_uri(&u))
                    .unwrap_or_else(|| self.request_uri_str().unwrap_or("").to_owned()),
                self.version.0,
                self.version.1
            )),
            (_, Some(code)) => out.push(format!(
                "SIP/{}.{} {} {}",
                self.version.0,
                self.version.1,
                code,
                self.reason().unwrap_or("")
            )),
            _ => {}
        }
        for h in self.headers() {
            lines_of(&h, &mut out);
        }
        out.push(format!("body: {}", self.body().len()));
        out
    }
}
