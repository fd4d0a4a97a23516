//! The Via header (RFC 3261 §20.42, RFC 3581 rport).

use super::TypedHeader;
use crate::error::ValueError;
use crate::name::HeaderName;
use crate::params::{ParamKind, Params};
use crate::text::{is_lws, trim_lws_start};
use crate::uri::{parse_host, Host};
use std::fmt;

/// One Via value: `SIP/2.0/UDP host:port;branch=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// Protocol name, normally `SIP`.
    pub protocol: &'a str,
    /// Protocol version, normally `2.0`.
    pub version: &'a str,
    /// Transport as written (`UDP`, `TCP`, `TLS`, `WS`, ...).
    pub transport: &'a str,
    /// The sent-by host.
    pub host: Host<'a>,
    /// The sent-by port, if written.
    pub port: Option<u16>,
    /// Via parameters.
    pub params: Params<'a>,
}

/// RFC 3261's magic cookie that marks a branch as globally unique.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

fn take_token(s: &str) -> (&str, &str) {
    let end = crate::text::class_run(&crate::text::TOKEN, s.as_bytes(), 0);
    (&s[..end], &s[end..])
}

fn expect_slash(s: &str, at: usize) -> Result<&str, ValueError> {
    trim_lws_start(s)
        .strip_prefix('/')
        .map(trim_lws_start)
        .ok_or(ValueError::new("expected '/' in sent-protocol", at))
}

impl<'a> TypedHeader<'a> for Via<'a> {
    const NAME: HeaderName = HeaderName::Via;

    fn parse(value: &'a str) -> Result<Self, ValueError> {
        parse_via(value, None).map(|(v, _)| v)
    }

    #[inline]
    fn parse_list_prefix(list: &'a str) -> Option<(Self, Option<usize>)> {
        // A '<' in a parameter value would make the comma-cutting reading
        // skip to its '>'; with a stop, `parse_via` leaves such values to it.
        let (via, end) = parse_via(list, Some(b',')).ok()?;
        super::after_element(list.as_bytes(), end).map(|next| (via, next))
    }
}

/// Reads a Via value. With `stop`, the parameters may end at that byte (the
/// comma before the next list element) and the offset where reading ended
/// is returned, after any white space; without, the whole value is read.
#[inline]
fn parse_via(value: &str, stop: Option<u8>) -> Result<(Via<'_>, usize), ValueError> {
    {
        let total = value.len();
        let at = |rest: &str| total - rest.len();
        let s = trim_lws_start(value);
        // Nearly every Via starts `SIP/2.0/`; the general reading allows
        // white space around the slashes and other names.
        let (protocol, version, s) = match s.as_bytes().first_chunk::<8>() {
            Some(b"SIP/2.0/") => (&s[..3], &s[4..7], &s[8..]),
            _ => {
                let (protocol, s) = take_token(s);
                if protocol.is_empty() {
                    return Err(ValueError::new("missing protocol name", at(s)));
                }
                let s = expect_slash(s, at(s))?;
                let (version, s) = take_token(s);
                if version.is_empty() {
                    return Err(ValueError::new("missing protocol version", at(s)));
                }
                (protocol, version, expect_slash(s, at(s))?)
            }
        };
        let (transport, s) = take_token(s);
        if transport.is_empty() {
            return Err(ValueError::new("missing transport", at(s)));
        }
        if !s.bytes().next().is_some_and(is_lws) {
            return Err(ValueError::new(
                "expected white space before sent-by",
                at(s),
            ));
        }
        let s = trim_lws_start(s);
        let (host, used) = parse_host(s).map_err(|e| e.shift(at(s)))?;
        let mut s = trim_lws_start(&s[used..]);
        let mut port = None;
        if let Some(r) = s.strip_prefix(':') {
            let r = trim_lws_start(r);
            let (p, end) = crate::text::decimal_run(r.as_bytes(), 65535);
            port = Some(p.ok_or(ValueError::new("invalid sent-by port", at(r)))? as u16);
            s = trim_lws_start(&r[end..]);
        }
        let raw = match stop {
            None => crate::text::trim_lws(s),
            Some(_) => s,
        };
        let base = at(s);
        let kind = match stop {
            None => ParamKind::Header,
            Some(_) => ParamKind::ListElement,
        };
        let (params, used) = Params::lex(raw, kind, stop, |name, value, off| {
            // Dispatch on length first: most parameters are branch and rport.
            let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
            let (needs_value, max) = match name.len() {
                6 if is("branch") => (true, None),
                5 if is("rport") => (false, Some(65535)),
                3 if is("ttl") => (true, Some(255)),
                8 if is("received") => (true, None),
                5 if is("maddr") => (true, None),
                _ => return Ok(()),
            };
            if needs_value && value.is_none() {
                return Err(ValueError::new("Via parameter needs a value", off));
            }
            if let (Some(max), Some(v)) = (max, value) {
                crate::text::parse_decimal(v, max)
                    .ok_or(ValueError::new("invalid rport or ttl", off))?;
            }
            Ok(())
        })
        .map_err(|e| e.shift(base))?;
        let end = crate::text::skip_lws(value.as_bytes(), base + used);
        Ok((
            Via {
                protocol,
                version,
                transport,
                host,
                port,
                params,
            },
            end,
        ))
    }
}

impl<'a> Via<'a> {
    /// The branch parameter.
    pub fn branch(&self) -> Option<&'a str> {
        self.params.get("branch").flatten()
    }

    /// Whether the branch starts with the RFC 3261 magic cookie and has
    /// something after it (RFC 4475 §3.2.1: the cookie alone is not unique).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.len() > MAGIC_COOKIE.len() && b.starts_with(MAGIC_COOKIE))
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&'a str> {
        self.params.get("received").flatten()
    }

    /// `rport`: `None` if absent, `Some(None)` if present without a value
    /// (a request asking for it), `Some(Some(port))` when filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|v| v.and_then(|v| v.parse().ok()))
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a str> {
        self.params.get("maddr").flatten()
    }

    /// The `ttl` parameter.
    pub fn ttl(&self) -> Option<u8> {
        self.params
            .get("ttl")
            .flatten()
            .and_then(|v| v.parse().ok())
    }
}

impl fmt::Display for Via<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{} {}",
            self.protocol, self.version, self.transport, self.host
        )?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_via_with_spaces() {
        let v =
            Via::parse("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;rport;branch=390skdjuw").unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.host, Host::V4("192.0.2.2".parse().unwrap()));
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.branch(), Some("390skdjuw"));
        assert!(!v.has_rfc3261_branch());
    }

    #[test]
    fn ipv6_sent_by_and_received() {
        let v = Via::parse("SIP/2.0/TCP [2001:db8::9:1]:5061;branch=z9hG4bKas3;received=[2001:db8::9:255];rport=6000").unwrap();
        assert_eq!(v.port, Some(5061));
        assert_eq!(v.received(), Some("[2001:db8::9:255]"));
        assert_eq!(v.rport(), Some(Some(6000)));
        assert!(v.has_rfc3261_branch());
    }

    #[test]
    fn malformed_vias() {
        assert!(Via::parse("SIP/2.0/UDP 192.0.2.15;;").is_err());
        assert!(Via::parse("SIP/2.0/UDP").is_err());
        assert!(Via::parse("SIP/2.0 host").is_err());
        assert!(Via::parse("SIP/2.0/UDP host;branch").is_err());
        assert!(Via::parse("SIP/2.0/UDP host:99999").is_err());
    }
}
