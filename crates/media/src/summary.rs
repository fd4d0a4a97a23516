//! The call summary: what a support engineer wants to see after a call.

use std::fmt;
use std::time::Duration;

/// Statistics of one call's media.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallSummary {
    /// From media start to end.
    pub duration: Duration,
    /// The codec (`G722`, ...).
    pub codec: String,
    /// The SRTP profile, if encrypted.
    pub srtp: Option<String>,
    /// RTP packets sent.
    pub packets_sent: u64,
    /// RTP packets received and accepted.
    pub packets_received: u64,
    /// Packets lost (RFC 3550 A.3).
    pub packets_lost: i64,
    /// Packets dropped (bad SRTP tag, unknown payload type, ...).
    pub packets_dropped: u64,
    /// Interarrival jitter.
    pub jitter: Duration,
    /// RTCP reports sent.
    pub rtcp_sent: u64,
    /// RTCP reports received and accepted (with SRTP: authenticated and
    /// decrypted with the SRTCP keys).
    pub rtcp_received: u64,
    /// Round-trip time from RTCP, if measured.
    pub rtt: Option<Duration>,
    /// Frames concealed (lost or late).
    pub frames_concealed: u64,
    /// Digits received, in order.
    pub dtmf_received: String,
    /// Digits sent, in order.
    pub dtmf_sent: String,
}

impl fmt::Display for CallSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  duration        {:.1} s", self.duration.as_secs_f64())?;
        writeln!(f, "  codec           {}", self.codec)?;
        writeln!(
            f,
            "  SRTP            {}",
            self.srtp.as_deref().unwrap_or("off (plain RTP)")
        )?;
        writeln!(
            f,
            "  packets         {} sent, {} received, {} lost, {} dropped",
            self.packets_sent, self.packets_received, self.packets_lost, self.packets_dropped
        )?;
        writeln!(
            f,
            "  jitter          {:.1} ms",
            self.jitter.as_secs_f64() * 1000.0
        )?;
        writeln!(
            f,
            "  RTCP            {} sent, {} received",
            self.rtcp_sent, self.rtcp_received
        )?;
        if let Some(rtt) = self.rtt {
            writeln!(f, "  round trip      {:.1} ms", rtt.as_secs_f64() * 1000.0)?;
        }
        writeln!(f, "  concealed       {} frames", self.frames_concealed)?;
        writeln!(
            f,
            "  DTMF            received {:?}, sent {:?}",
            self.dtmf_received, self.dtmf_sent
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_every_field() {
        let s = CallSummary {
            duration: Duration::from_millis(2500),
            codec: "G722".into(),
            srtp: Some("AES_CM_128_HMAC_SHA1_80".into()),
            packets_sent: 125,
            packets_received: 124,
            packets_lost: 1,
            jitter: Duration::from_micros(1500),
            rtt: Some(Duration::from_millis(3)),
            rtcp_sent: 4,
            rtcp_received: 3,
            dtmf_received: "12".into(),
            ..CallSummary::default()
        };
        let text = s.to_string();
        for needle in [
            "2.5 s",
            "G722",
            "AES_CM_128_HMAC_SHA1_80",
            "125 sent, 124 received, 1 lost",
            "1.5 ms",
            "3.0 ms",
            "RTCP            4 sent, 3 received",
            "received \"12\"",
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
        assert!(CallSummary::default().to_string().contains("plain RTP"));
    }
}
