//! RFC 3263 server location: which transport, address and port a SIP URI
//! leads to. The choices (NAPTR order and preference, RFC 2782 SRV
//! priority and weighted selection, the §4.1 transport rules) are plain
//! functions here; [`Resolver`] (tokio feature) asks DNS with
//! hickory-resolver, whose cache honours the records' TTLs.

#[cfg(feature = "tokio")]
mod dns;

#[cfg(feature = "tokio")]
pub use dns::Resolver;

use crate::types::{Target, TransportKind};
use heron_sip::headers::Route;
use heron_sip::{Host, Message, Uri};
use rand_core::RngCore;
use std::net::IpAddr;

/// Why a URI could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The URI is not a `sip:` or `sips:` URI.
    #[error("not a SIP URI: {0}")]
    NotSip(String),
    /// The `transport=` parameter names a transport we do not have.
    #[error("unsupported transport {0}")]
    UnsupportedTransport(String),
    /// DNS gave no usable address.
    #[error("no address found for {0}")]
    NotFound(String),
    /// DNS failed.
    #[error("DNS lookup of {0} failed: {1}")]
    Dns(String, String),
}

/// What the URI itself says about where it goes (RFC 3263 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriTarget {
    /// The host to look up (`maddr` when present), without brackets.
    pub host: String,
    /// The host is an IP address: no DNS.
    pub ip: Option<IpAddr>,
    /// An explicit port: no NAPTR or SRV.
    pub port: Option<u16>,
    /// An explicit `transport=` parameter (TLS for `sips:` with TCP).
    pub transport: Option<TransportKind>,
    /// `sips:`: only TLS may be used.
    pub secure: bool,
}

impl UriTarget {
    /// Reads a `sip:`/`sips:` URI.
    pub fn parse(uri: &str) -> Result<UriTarget, ResolveError> {
        let parsed = Uri::parse(uri).map_err(|_| ResolveError::NotSip(uri.to_owned()))?;
        let Uri::Sip(sip) = parsed else {
            return Err(ResolveError::NotSip(uri.to_owned()));
        };
        let mut transport = match sip.transport() {
            Some(t) => Some(
                TransportKind::from_token(t)
                    .ok_or_else(|| ResolveError::UnsupportedTransport(t.to_owned()))?,
            ),
            None => None,
        };
        if sip.secure && transport.is_some() {
            // sips: with transport=tcp (or tls) means TLS over TCP.
            transport = Some(TransportKind::Tls);
        }
        let maddr = sip.params.get("maddr").flatten();
        let (host, ip) = match (maddr, sip.host) {
            (Some(m), _) => (
                m.trim_matches(['[', ']']).to_owned(),
                m.trim_matches(['[', ']']).parse().ok(),
            ),
            (None, Host::V4(a)) => (a.to_string(), Some(IpAddr::V4(a))),
            (None, Host::V6(a)) => (a.to_string(), Some(IpAddr::V6(a))),
            (None, Host::Domain(d)) => (d.to_owned(), None),
        };
        Ok(UriTarget {
            host,
            ip,
            port: sip.port,
            transport,
            secure: sip.secure,
        })
    }

    /// The target when no DNS is needed (the host, or `maddr`, is an IP
    /// address): the port given or the transport's default, pinned when
    /// the URI named its transport. `None` for a host name.
    pub fn literal_target(&self) -> Option<Target> {
        let ip = self.ip?;
        let transport = self.default_transport();
        let port = self.port.unwrap_or(transport.default_port());
        let t = Target::new(transport, std::net::SocketAddr::new(ip, port));
        Some(if self.transport.is_some() {
            t.pinned()
        } else {
            t
        })
    }

    /// §4.1: the transport when DNS is not asked (IP literal or explicit
    /// port): the parameter, else UDP (TLS for `sips:`).
    pub fn default_transport(&self) -> TransportKind {
        match (self.transport, self.secure) {
            (Some(t), _) => t,
            (None, true) => TransportKind::Tls,
            (None, false) => TransportKind::Udp,
        }
    }
}

/// Where a request goes next, as a URI to resolve (RFC 3261 §8.1.2): the
/// first Route entry when the request has a route set, else the
/// Request-URI. A `maddr` in that URI then names the host to contact
/// (§19.1.1, RFC 3263 §4), which [`UriTarget::parse`] honours.
pub fn next_hop(request: &Message) -> Result<UriTarget, ResolveError> {
    match request.all::<Route>().next() {
        Some(Ok(route)) => UriTarget::parse(&route.uri.to_string()),
        Some(Err(e)) => Err(ResolveError::NotSip(e.to_string())),
        None => UriTarget::parse(request.request_uri_str().unwrap_or("")),
    }
}

/// The SRV owner name for a transport (`_sip._udp.`, `_sip._tcp.`,
/// `_sips._tcp.`).
pub fn srv_name(transport: TransportKind, domain: &str) -> String {
    let prefix = match transport {
        TransportKind::Udp => "_sip._udp.",
        TransportKind::Tcp => "_sip._tcp.",
        TransportKind::Tls => "_sips._tcp.",
    };
    format!("{prefix}{}", domain.trim_end_matches('.'))
}

/// One NAPTR record, as far as SIP needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naptr {
    /// Order (lower first).
    pub order: u16,
    /// Preference within an order (lower first).
    pub preference: u16,
    /// Flags (`s` for SRV).
    pub flags: String,
    /// Service (`SIP+D2U`, `SIP+D2T`, `SIPS+D2T`).
    pub service: String,
    /// The SRV name to look up.
    pub replacement: String,
}

/// The NAPTR records usable for SIP, in order: `s` flag, a service we
/// have, only `SIPS+D2T` for `sips:` (§4.1).
pub fn select_naptr(
    mut records: Vec<Naptr>,
    secure: bool,
    have: &[TransportKind],
) -> Vec<(TransportKind, String)> {
    records.sort_by_key(|r| (r.order, r.preference));
    records
        .into_iter()
        .filter(|r| r.flags.eq_ignore_ascii_case("s"))
        .filter_map(|r| {
            let t = match r.service.to_ascii_uppercase().as_str() {
                "SIP+D2U" => TransportKind::Udp,
                "SIP+D2T" => TransportKind::Tcp,
                "SIPS+D2T" => TransportKind::Tls,
                _ => return None,
            };
            (have.contains(&t) && (!secure || t == TransportKind::Tls))
                .then(|| (t, r.replacement.trim_end_matches('.').to_owned()))
        })
        .collect()
}

/// One SRV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srv {
    /// Priority (lower first).
    pub priority: u16,
    /// Weight for the random choice within a priority.
    pub weight: u16,
    /// Port.
    pub port: u16,
    /// Target host.
    pub target: String,
}

/// Orders SRV records as RFC 2782 says: by priority, and within one
/// priority by repeated weighted random choice (weight-0 records first in
/// the running sum so they keep a small chance).
pub fn order_srv(mut records: Vec<Srv>, rng: &mut dyn RngCore) -> Vec<Srv> {
    records.retain(|r| r.target != "." && !r.target.is_empty());
    records.sort_by_key(|r| (r.priority, r.weight != 0));
    let mut out = Vec::with_capacity(records.len());
    while !records.is_empty() {
        let prio = records[0].priority;
        let mut group: Vec<Srv> = Vec::new();
        while records.first().is_some_and(|r| r.priority == prio) {
            group.push(records.remove(0));
        }
        while !group.is_empty() {
            let total: u64 = group.iter().map(|r| u64::from(r.weight)).sum();
            let pick = if total == 0 {
                0
            } else {
                let n = rng.next_u64() % (total + 1);
                let mut sum = 0;
                group
                    .iter()
                    .position(|r| {
                        sum += u64::from(r.weight);
                        sum >= n
                    })
                    .unwrap_or(0)
            };
            out.push(group.remove(pick));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::impls;

    struct Seq(u64);
    impl RngCore for Seq {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 11
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            impls::fill_bytes_via_next(self, dest)
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    fn srv(priority: u16, weight: u16, target: &str) -> Srv {
        Srv {
            priority,
            weight,
            port: 5060,
            target: target.into(),
        }
    }

    #[test]
    fn srv_priority_first_then_weight_share() {
        let mut rng = Seq(1);
        let mut first_a = 0;
        for _ in 0..2000 {
            let o = order_srv(
                vec![srv(20, 0, "z"), srv(10, 90, "a"), srv(10, 10, "b")],
                &mut rng,
            );
            assert_eq!(o.len(), 3);
            assert_eq!(o[2].target, "z");
            if o[0].target == "a" {
                first_a += 1;
            }
        }
        // a has 90 % of the weight.
        assert!((1700..1900).contains(&first_a), "{first_a}");
        let none = order_srv(vec![srv(1, 0, ".")], &mut rng);
        assert!(none.is_empty());
    }

    #[test]
    fn naptr_order_and_sips() {
        let n = |order, pref, svc: &str, r: &str| Naptr {
            order,
            preference: pref,
            flags: "s".into(),
            service: svc.into(),
            replacement: r.into(),
        };
        let recs = vec![
            n(20, 10, "SIP+D2U", "_sip._udp.x."),
            n(10, 20, "SIPS+D2T", "_sips._tcp.x."),
            n(10, 10, "SIP+D2T", "_sip._tcp.x."),
            n(5, 10, "SIP+D2S", "_sip._sctp.x."),
        ];
        let all = [TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls];
        let sel = select_naptr(recs.clone(), false, &all);
        assert_eq!(
            sel.iter().map(|s| s.0).collect::<Vec<_>>(),
            vec![TransportKind::Tcp, TransportKind::Tls, TransportKind::Udp]
        );
        let sel = select_naptr(recs, true, &all);
        assert_eq!(sel, vec![(TransportKind::Tls, "_sips._tcp.x".to_owned())]);
    }

    fn msg(text: &str) -> Message {
        Message::parse(bytes::Bytes::from(text.replace('|', "\r\n"))).unwrap()
    }

    #[test]
    fn next_hop_is_the_first_route_then_the_request_uri() {
        let base = "OPTIONS sip:bob@example.com;maddr=192.0.2.9 SIP/2.0|Via: SIP/2.0/UDP h;branch=z9hG4bKa|\
                    From: <sip:a@b>;tag=1|To: <sip:bob@example.com>|Call-ID: c|CSeq: 1 OPTIONS|";
        let plain = msg(&format!("{base}Content-Length: 0||"));
        let t = next_hop(&plain).unwrap();
        assert_eq!(t.ip, Some("192.0.2.9".parse().unwrap()));
        let routed = msg(&format!(
            "{base}Route: <sip:edge.example.com;lr;maddr=198.51.100.4;transport=tcp>, <sip:core;lr>|Content-Length: 0||"
        ));
        let t = next_hop(&routed).unwrap();
        assert_eq!(t.host, "198.51.100.4");
        let target = t.literal_target().unwrap();
        assert_eq!(target.addr, "198.51.100.4:5060".parse().unwrap());
        assert_eq!(target.transport, TransportKind::Tcp);
        assert!(target.transport_pinned);
    }

    #[test]
    fn uri_targets() {
        let t = UriTarget::parse("sip:alice@192.0.2.1:5070;transport=tcp").unwrap();
        assert_eq!(t.ip, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(t.default_transport(), TransportKind::Tcp);
        let t = UriTarget::parse("sips:bob@example.com").unwrap();
        assert!(t.secure);
        assert_eq!(t.default_transport(), TransportKind::Tls);
        let t = UriTarget::parse("sip:[2001:db8::1]").unwrap();
        assert_eq!(t.host, "2001:db8::1");
        assert!(UriTarget::parse("tel:+4930555").is_err());
        let t = UriTarget::parse("sip:bob@example.com:5080;maddr=239.255.255.1").unwrap();
        assert_eq!(
            t.literal_target().unwrap().addr,
            "239.255.255.1:5080".parse().unwrap()
        );
        assert!(UriTarget::parse("sip:bob@example.com")
            .unwrap()
            .literal_target()
            .is_none());
        assert!(UriTarget::parse("sip:a@b;transport=sctp").is_err());
    }
}
