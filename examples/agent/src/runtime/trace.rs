//! The optional SIP trace (`log.sip_trace`): every message the stack sends
//! and receives, with transport and both addresses, logged through
//! [`heron_sip::redact`] so digest responses and SDES keys never reach the log.

use heron_sip_stack::ua::trace::{SipObserver, TracedMessage};

/// The text logged for one message: direction, transport, addresses and
/// the redacted message.
pub fn trace_text(m: &TracedMessage<'_>) -> String {
    let arrow = match m.direction {
        heron_sip_stack::ua::trace::TraceDirection::Sent => "->",
        heron_sip_stack::ua::trace::TraceDirection::Received => "<-",
    };
    format!(
        "{} {} {arrow} {} ({} bytes)\n{}",
        m.transport,
        m.local,
        m.remote,
        m.bytes.len(),
        heron_sip::redact::bytes(m.bytes)
    )
}

/// An observer that logs every message at INFO, named after the agent.
pub fn observer(agent: String) -> impl SipObserver {
    move |m: &TracedMessage<'_>| {
        tracing::info!(
            agent = %agent,
            direction = %m.direction,
            transport = %m.transport,
            local = %m.local,
            remote = %m.remote,
            message = %trace_text(m),
            "SIP {}",
            m.direction
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use heron_sip_stack::ua::trace::TraceDirection;
    use heron_sip_stack::TransportKind;

    #[test]
    fn the_trace_names_both_ends_and_hides_secrets() {
        let wire = "INVITE sip:bob@pbx SIP/2.0\r\n\
Proxy-Authorization: Digest username=\"1001\", realm=\"pbx\", nonce=\"n1\", uri=\"sip:bob@pbx\", response=\"6629fae49393a05397450978507c4ef1\"\r\n\
Content-Type: application/sdp\r\n\r\n\
v=0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20\r\n";
        let m = TracedMessage {
            direction: TraceDirection::Sent,
            transport: TransportKind::Tls,
            local: "10.0.0.2:5061".parse().unwrap(),
            remote: "192.0.2.7:5061".parse().unwrap(),
            bytes: wire.as_bytes(),
        };
        let t = trace_text(&m);
        assert!(t.starts_with("TLS 10.0.0.2:5061 -> 192.0.2.7:5061"), "{t}");
        assert!(t.contains("INVITE sip:bob@pbx SIP/2.0"), "{t}");
        assert!(t.contains("username=\"1001\""), "{t}");
        assert!(!t.contains("6629fae49393a05397450978507c4ef1"), "{t}");
        assert!(!t.contains("WVNfX19zZW1jdGwg"), "{t}");
        let r = TracedMessage {
            direction: TraceDirection::Received,
            ..m
        };
        assert!(trace_text(&r).starts_with("TLS 10.0.0.2:5061 <- 192.0.2.7:5061"));
    }
}
