//! The DNS side of RFC 3263 with hickory-resolver (its cache honours the
//! TTLs of the records, so repeated look-ups within a TTL ask nobody).

use super::{order_srv, select_naptr, srv_name, Naptr, ResolveError, Srv, UriTarget};
use crate::types::{Target, TransportKind};
use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfigGroup, ResolverConfig, ResolverOpts,
};
use hickory_resolver::error::ResolveErrorKind;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioAsyncResolver;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

/// Resolves SIP URIs to ordered [`Target`] lists (RFC 3263 §4).
pub struct Resolver {
    dns: TokioAsyncResolver,
    rng: Mutex<StdRng>,
    transports: Vec<TransportKind>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("transports", &self.transports)
            .finish()
    }
}

impl Resolver {
    /// Uses the system's resolver configuration (`/etc/resolv.conf`).
    pub fn system(transports: Vec<TransportKind>) -> Result<Resolver, ResolveError> {
        let (cfg, mut opts) = hickory_resolver::system_conf::read_system_conf()
            .map_err(|e| ResolveError::Dns("system configuration".into(), e.to_string()))?;
        opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        Ok(Resolver::with(
            TokioAsyncResolver::tokio(cfg, opts),
            transports,
        ))
    }

    /// Asks only the name server at `server` (over UDP and TCP).
    pub fn with_nameserver(server: SocketAddr, transports: Vec<TransportKind>) -> Resolver {
        let group = NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true);
        let cfg = ResolverConfig::from_parts(None, vec![], group);
        let mut opts = ResolverOpts::default();
        opts.attempts = 2;
        opts.timeout = std::time::Duration::from_secs(2);
        opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        Resolver::with(TokioAsyncResolver::tokio(cfg, opts), transports)
    }

    fn with(dns: TokioAsyncResolver, transports: Vec<TransportKind>) -> Resolver {
        Resolver {
            dns,
            rng: Mutex::new(StdRng::from_entropy()),
            transports,
        }
    }

    /// The targets for `uri`, most preferred first, for failover in that
    /// order (RFC 3263 §4.3).
    pub async fn resolve(&self, uri: &str) -> Result<Vec<Target>, ResolveError> {
        let t = UriTarget::parse(uri)?;
        if let Some(tr) = t.transport {
            if !self.transports.contains(&tr) {
                return Err(ResolveError::UnsupportedTransport(tr.to_string()));
            }
        }
        let name = (!t.secure || t.ip.is_none()).then(|| t.host.clone());
        // §4.1/§4.2: an IP literal or an explicit port needs no NAPTR/SRV.
        if let Some(ip) = t.ip {
            let tr = t.default_transport();
            return Ok(vec![self.target(
                tr,
                ip,
                t.port.unwrap_or(tr.default_port()),
                &t,
                None,
            )]);
        }
        if let Some(port) = t.port {
            let tr = t.default_transport();
            let ips = self.addresses(&t.host).await?;
            return Ok(ips
                .into_iter()
                .map(|ip| self.target(tr, ip, port, &t, name.clone()))
                .collect());
        }
        // The transport and the SRV names to try.
        let mut plan: Vec<(TransportKind, String)> = Vec::new();
        let mut from_naptr = false;
        if let Some(tr) = t.transport {
            plan.push((tr, srv_name(tr, &t.host)));
        } else {
            let naptrs = self.naptr(&t.host).await?;
            plan = select_naptr(naptrs, t.secure, &self.transports);
            from_naptr = !plan.is_empty();
            if plan.is_empty() {
                let order: &[TransportKind] = if t.secure {
                    &[TransportKind::Tls]
                } else {
                    &[TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls]
                };
                plan = order
                    .iter()
                    .filter(|tr| self.transports.contains(tr))
                    .map(|tr| (*tr, srv_name(*tr, &t.host)))
                    .collect();
            }
        }
        let mut out = Vec::new();
        for (tr, srv) in &plan {
            let records = self.srv(srv).await?;
            let ordered = {
                let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
                order_srv(records, &mut *rng)
            };
            for r in ordered {
                for ip in self.addresses(&r.target).await.unwrap_or_default() {
                    out.push(self.target(*tr, ip, r.port, &t, name.clone()));
                }
            }
            if !out.is_empty() && !from_naptr {
                // Without NAPTR the first transport with SRV records wins;
                // with NAPTR every listed transport is a failover target.
                break;
            }
        }
        if out.is_empty() {
            // §4.2: no SRV: the host's addresses with the default port.
            let tr = t.default_transport();
            for ip in self.addresses(&t.host).await? {
                out.push(self.target(tr, ip, tr.default_port(), &t, name.clone()));
            }
        }
        if out.is_empty() {
            return Err(ResolveError::NotFound(t.host));
        }
        Ok(out)
    }

    fn target(
        &self,
        transport: TransportKind,
        ip: IpAddr,
        port: u16,
        t: &UriTarget,
        name: Option<String>,
    ) -> Target {
        Target {
            transport,
            addr: SocketAddr::new(ip, port),
            server_name: name.or_else(|| Some(t.host.clone())),
            transport_pinned: t.transport.is_some(),
        }
    }

    async fn naptr(&self, host: &str) -> Result<Vec<Naptr>, ResolveError> {
        let lookup = match self.dns.lookup(fqdn(host), RecordType::NAPTR).await {
            Ok(l) => l,
            Err(e) if is_empty(&e) => return Ok(Vec::new()),
            Err(e) => return Err(ResolveError::Dns(host.to_owned(), e.to_string())),
        };
        Ok(lookup
            .record_iter()
            .filter_map(|r| match r.data() {
                Some(RData::NAPTR(n)) => Some(Naptr {
                    order: n.order(),
                    preference: n.preference(),
                    flags: String::from_utf8_lossy(n.flags()).into_owned(),
                    service: String::from_utf8_lossy(n.services()).into_owned(),
                    replacement: n.replacement().to_utf8(),
                }),
                _ => None,
            })
            .collect())
    }

    async fn srv(&self, name: &str) -> Result<Vec<Srv>, ResolveError> {
        let lookup = match self.dns.lookup(fqdn(name), RecordType::SRV).await {
            Ok(l) => l,
            Err(e) if is_empty(&e) => return Ok(Vec::new()),
            Err(e) => return Err(ResolveError::Dns(name.to_owned(), e.to_string())),
        };
        Ok(lookup
            .record_iter()
            .filter_map(|r| match r.data() {
                Some(RData::SRV(s)) => Some(Srv {
                    priority: s.priority(),
                    weight: s.weight(),
                    port: s.port(),
                    target: s.target().to_utf8().trim_end_matches('.').to_owned(),
                }),
                _ => None,
            })
            .collect())
    }

    async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        match self.dns.lookup_ip(fqdn(host)).await {
            Ok(l) => Ok(l.iter().collect()),
            Err(e) if is_empty(&e) => Ok(Vec::new()),
            Err(e) => Err(ResolveError::Dns(host.to_owned(), e.to_string())),
        }
    }
}

fn fqdn(host: &str) -> String {
    if host.ends_with('.') {
        host.to_owned()
    } else {
        format!("{host}.")
    }
}

fn is_empty(e: &hickory_resolver::error::ResolveError) -> bool {
    matches!(e.kind(), ResolveErrorKind::NoRecordsFound { .. })
}
