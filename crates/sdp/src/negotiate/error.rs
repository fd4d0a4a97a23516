//! Why an offer or answer could not be accepted.

/// A failed negotiation. For a rejected offer the caller answers `488 Not
/// Acceptable Here` with a `Warning` built from [`NegotiationError::sip_warning_code`]
/// and the `Display` text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// The SDP has no audio `m=` section with a non-zero port.
    #[error("no audio stream offered")]
    NoAudio,
    /// No offered audio format matches a local codec.
    #[error("m-line {index}: no common codec (offered: {offered})")]
    NoCommonCodec {
        /// `m=` index.
        index: usize,
        /// The offered formats, e.g. `G729/8000, telephone-event/8000`.
        offered: String,
    },
    /// Plain RTP where the policy requires SRTP.
    #[error("m-line {index}: SRTP is required but {protocol} was offered")]
    SrtpRequired {
        /// `m=` index.
        index: usize,
        /// Offered protocol.
        protocol: String,
    },
    /// SRTP (or another keying than configured) where the policy does not allow it.
    #[error("m-line {index}: {protocol} is not allowed by the SRTP policy ({policy})")]
    ProtocolNotAllowed {
        /// `m=` index.
        index: usize,
        /// Offered protocol.
        protocol: String,
        /// The policy, e.g. `off`, `sdes`.
        policy: &'static str,
    },
    /// A non-RTP transport (`udptl`, `UDP/BFCP`, ...).
    #[error("m-line {index}: unsupported transport {protocol}")]
    UnsupportedTransport {
        /// `m=` index.
        index: usize,
        /// Offered protocol.
        protocol: String,
    },
    /// No `a=crypto` line with a suite, key and parameters we accept.
    #[error("m-line {index}: no acceptable a=crypto (offered: {offered})")]
    NoAcceptableCrypto {
        /// `m=` index.
        index: usize,
        /// Offered suites, e.g. `AES_CM_128_HMAC_SHA1_80`, or `none`.
        offered: String,
    },
    /// DTLS-SRTP without `a=fingerprint`.
    #[error("m-line {index}: DTLS-SRTP without a=fingerprint")]
    MissingFingerprint {
        /// `m=` index.
        index: usize,
    },
    /// An `a=setup` value that cannot be used (e.g. `holdconn`, or `actpass` in an answer).
    #[error("m-line {index}: unusable a=setup:{setup}")]
    UnusableSetup {
        /// `m=` index.
        index: usize,
        /// The value.
        setup: &'static str,
    },
    /// DTLS-SRTP needs our certificate fingerprint in the capabilities.
    #[error("DTLS-SRTP needs a local certificate fingerprint")]
    NoLocalFingerprint,
    /// No `c=` line for the stream (neither media nor session level).
    #[error("m-line {index}: no connection address")]
    NoConnectionAddress {
        /// `m=` index.
        index: usize,
    },
    /// An answer whose m-line count differs from the offer's.
    #[error("answer has {found} m-lines, the offer had {expected}")]
    MediaCountMismatch {
        /// m-lines in the offer.
        expected: usize,
        /// m-lines in the answer.
        found: usize,
    },
    /// The answerer rejected our audio stream (port 0).
    #[error("m-line {index}: the answer rejected the audio stream")]
    Rejected {
        /// `m=` index.
        index: usize,
    },
    /// The answer's `a=crypto` does not match an offered tag and suite.
    #[error("m-line {index}: answer a=crypto does not match an offered tag and suite")]
    CryptoMismatch {
        /// `m=` index.
        index: usize,
    },
    /// [`crate::Negotiator::receive_answer`] without an outstanding offer.
    #[error("no offer is pending")]
    NoPendingOffer,
}

impl NegotiationError {
    /// The SIP `Warning` code (RFC 3261 §20.43) that best describes the error:
    /// 304 media type not available, 305 incompatible media format,
    /// 300 incompatible network protocol, 301 incompatible address format,
    /// 399 miscellaneous.
    pub fn sip_warning_code(&self) -> u16 {
        match self {
            Self::NoAudio | Self::Rejected { .. } => 304,
            Self::NoCommonCodec { .. } => 305,
            Self::SrtpRequired { .. }
            | Self::ProtocolNotAllowed { .. }
            | Self::UnsupportedTransport { .. } => 300,
            Self::NoConnectionAddress { .. } => 301,
            _ => 399,
        }
    }

    /// A `Warning` header value for the 488 response (RFC 3261 §20.43):
    /// `<code> <agent> "<text>"`, with `"` and `\` in the text escaped.
    pub fn sip_warning(&self, agent: &str) -> String {
        let text = self.to_string().replace('\\', "\\\\").replace('"', "\\\"");
        format!("{} {agent} \"{text}\"", self.sip_warning_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_header_value() {
        let e = NegotiationError::NoCommonCodec {
            index: 0,
            offered: "G729/8000".into(),
        };
        assert_eq!(
            e.sip_warning("agent.example.com"),
            "305 agent.example.com \"m-line 0: no common codec (offered: G729/8000)\""
        );
        let e = NegotiationError::UnsupportedTransport {
            index: 1,
            protocol: "a\"b\\c".into(),
        };
        assert_eq!(
            e.sip_warning("h"),
            "300 h \"m-line 1: unsupported transport a\\\"b\\\\c\""
        );
    }
}
