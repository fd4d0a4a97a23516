//! Endpoint configuration: the RFC 3261 timer values, what the stateless
//! checks accept, keep-alives and transport choices.

use heron_sip::Method;
use std::time::Duration;

/// RFC 3261 timer base values (§17.1.1.1, Table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// T1: round-trip estimate, 500 ms.
    pub t1: Duration,
    /// T2: cap on non-INVITE and 2xx retransmission intervals, 4 s.
    pub t2: Duration,
    /// T4: how long a message stays in the network, 5 s.
    pub t4: Duration,
    /// Timer D on unreliable transports: at least 32 s.
    pub d: Duration,
    /// How long an INVITE server transaction waits for the user before it
    /// sends 100 Trying itself (§17.2.1: 200 ms). Zero sends it at once.
    pub trying: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            d: Duration::from_secs(32),
            trying: Duration::from_millis(200),
        }
    }
}

impl Timers {
    /// 64·T1: Timers B, F, H, J, L and M.
    pub fn t1x64(&self) -> Duration {
        self.t1 * 64
    }
}

/// CRLF keep-alives on the stream flows we open (RFC 5626 §4.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAlive {
    /// Time between pings.
    pub interval: Duration,
    /// How long to wait for the pong before the flow is declared dead
    /// (RFC 5626: 10 s).
    pub timeout: Duration,
}

impl Default for KeepAlive {
    fn default() -> Self {
        KeepAlive {
            interval: Duration::from_secs(90),
            timeout: Duration::from_secs(10),
        }
    }
}

/// How UDP flows to the registrar or outbound proxy are kept alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpKeepAliveKind {
    /// A STUN Binding request (RFC 5626 §4.4.2). The answer proves the
    /// flow alive; no answer within the timeout, or a changed mapped
    /// address (the NAT rebound), fails the flow.
    Stun,
    /// A bare CRLF CRLF datagram, which most PBXs ignore but which keeps
    /// NAT bindings open. Nothing answers it, so a dead flow goes
    /// unnoticed.
    Crlf,
    /// An OPTIONS request (what many PBXs call "qualify"). Any response
    /// proves the flow alive; a timeout (Timer F) or a transport error
    /// fails it.
    Options,
}

/// Keep-alives on UDP flows to the registrar or outbound proxy: the flow
/// starts with the first REGISTER sent over UDP to an address (or with
/// [`Endpoint::keep_alive_udp`](crate::Endpoint::keep_alive_udp)) and is
/// reported dead the way a TCP/TLS flow is, with
/// [`Event::ConnectionClosed`](crate::Event::ConnectionClosed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpKeepAlive {
    /// What to send.
    pub kind: UdpKeepAliveKind,
    /// Time between keep-alives (NAT bindings for UDP often last only
    /// 30 s; the default is 25 s).
    pub interval: Duration,
    /// STUN: how long to wait for the answer, retransmitting the request
    /// from T1 doubling (RFC 5389 §7.2.1), before the flow is declared
    /// dead. OPTIONS uses its transaction's Timer F instead.
    pub timeout: Duration,
}

impl Default for UdpKeepAlive {
    fn default() -> Self {
        UdpKeepAlive {
            kind: UdpKeepAliveKind::Stun,
            interval: Duration::from_secs(25),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Everything an [`Endpoint`](crate::Endpoint) is configured with.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Timer values.
    pub timers: Timers,
    /// Methods the user handles; a known method outside this list is
    /// answered 405, an unknown one 501, both with Allow (§8.2.1).
    pub allow: Vec<Method>,
    /// Option tags we support; a Require naming another is answered 420
    /// with Unsupported (§8.2.2.3).
    pub supported: Vec<String>,
    /// Content types we accept in request bodies; another is answered 415
    /// with Accept (§8.2.3). `multipart/*` is always accepted (the user
    /// picks the part it understands).
    pub accept: Vec<String>,
    /// Request-URI schemes we serve; another is answered 416 (§8.2.2.1).
    pub uri_schemes: Vec<String>,
    /// Keep-alives on outbound stream flows; `None` sends none.
    pub keepalive: Option<KeepAlive>,
    /// Keep-alives on UDP flows to the registrar or outbound proxy;
    /// `None` (the default) sends none.
    pub udp_keepalive: Option<UdpKeepAlive>,
    /// Answer STUN Binding requests that arrive on our UDP ports (RFC 5626
    /// §5.4: what a registrar or edge proxy does for its clients'
    /// keep-alives). On by default.
    pub answer_stun: bool,
    /// Send responses over UDP to the source port even when the request's
    /// Via has no `rport` (symmetric response routing, what many stacks
    /// call "force rport"). Off: RFC 3261 §18.2.2 as written.
    pub force_rport: bool,
    /// Requests on UDP larger than this go over TCP when the target allows
    /// (§18.1.1: 1300 bytes when the path MTU is unknown).
    pub udp_max_request: usize,
    /// Value of the Server / User-Agent header on stateless responses, if any.
    pub server_name: Option<String>,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            timers: Timers::default(),
            allow: vec![
                Method::Invite,
                Method::Ack,
                Method::Bye,
                Method::Cancel,
                Method::Options,
                Method::Info,
                Method::Prack,
                Method::Update,
                Method::Refer,
                Method::Notify,
                Method::Message,
            ],
            supported: vec![
                "100rel".into(),
                "timer".into(),
                "replaces".into(),
                "norefersub".into(),
                "outbound".into(),
                "path".into(),
            ],
            accept: vec![
                "application/sdp".into(),
                "application/dtmf-relay".into(),
                "application/dtmf".into(),
                "message/sipfrag".into(),
                "text/plain".into(),
            ],
            uri_schemes: vec!["sip".into(), "sips".into(), "tel".into()],
            keepalive: Some(KeepAlive::default()),
            udp_keepalive: None,
            answer_stun: true,
            force_rport: false,
            udp_max_request: 1300,
            server_name: Some(concat!("heron-sip-stack/", env!("CARGO_PKG_VERSION")).into()),
        }
    }
}

impl EndpointConfig {
    /// The Allow header value for the configured methods.
    pub fn allow_header(&self) -> String {
        join(self.allow.iter().map(|m| m.as_str()))
    }

    /// The Accept header value.
    pub fn accept_header(&self) -> String {
        join(self.accept.iter().map(String::as_str))
    }

    /// The Supported header value.
    pub fn supported_header(&self) -> String {
        join(self.supported.iter().map(String::as_str))
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut s = String::new();
    for (i, it) in items.enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(it);
    }
    s
}
