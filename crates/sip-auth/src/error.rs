//! Error types: one per concern, each saying what was wrong and where.

use thiserror::Error;

/// A header value that could not be parsed as challenges or credentials.
///
/// `at` is the byte offset into the header value where the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// The value held no challenge or credentials at all.
    #[error("empty header value")]
    Empty,
    /// A token (scheme or parameter name) was expected.
    #[error("expected a token at byte {at}")]
    ExpectedToken {
        /// Byte offset.
        at: usize,
    },
    /// A parameter value was expected after `=`.
    #[error("expected a value for parameter `{name}` at byte {at}")]
    ExpectedValue {
        /// Parameter name.
        name: String,
        /// Byte offset.
        at: usize,
    },
    /// Something other than `,` or the end followed a complete element.
    #[error("expected `,` or end of value at byte {at}")]
    ExpectedComma {
        /// Byte offset.
        at: usize,
    },
    /// A quoted string was not closed.
    #[error("unterminated quoted string starting at byte {at}")]
    UnterminatedQuote {
        /// Byte offset of the opening quote.
        at: usize,
    },
    /// A parameter appeared before any authentication scheme.
    #[error("parameter at byte {at} appears before any authentication scheme")]
    ParameterWithoutScheme {
        /// Byte offset.
        at: usize,
    },
    /// A parameter that may appear once appeared twice.
    #[error("duplicate parameter `{name}` at byte {at}")]
    DuplicateParameter {
        /// Parameter name.
        name: String,
        /// Byte offset.
        at: usize,
    },
    /// A required parameter of a Digest challenge or credentials is missing.
    #[error("Digest {what} lacks the required parameter `{name}`")]
    MissingParameter {
        /// `challenge` or `credentials`.
        what: &'static str,
        /// Parameter name.
        name: &'static str,
    },
    /// A parameter had a value outside its grammar.
    #[error("invalid value for parameter `{name}` at byte {at}: {reason}")]
    InvalidValue {
        /// Parameter name.
        name: String,
        /// Byte offset of the value.
        at: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// An Authorization value held more than one set of credentials.
    #[error("more than one set of credentials in one header value")]
    MultipleCredentials,
    /// Credentials used a scheme other than Digest.
    #[error("credentials use scheme `{scheme}`, not Digest")]
    NotDigest {
        /// The scheme found.
        scheme: String,
    },
}

/// Why the client could not answer a challenge.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClientError {
    /// No Digest challenge with a supported algorithm and qop was offered.
    #[error("no supported Digest challenge was offered")]
    NoSupportedChallenge,
    /// Challenges were offered only for realms we hold no credentials for.
    #[error("no credentials for realm(s) {realms:?}")]
    NoCredentials {
        /// The realms that were challenged.
        realms: Vec<String>,
    },
    /// The server challenged again for a realm we had already answered, without
    /// `stale=true`: the username or password is wrong.
    #[error("credentials for realm `{realm}` were rejected")]
    CredentialsRejected {
        /// The realm that rejected us.
        realm: String,
    },
    /// A value cannot be written into a header (control characters).
    #[error("the {what} contains characters that cannot be sent in a header")]
    InvalidValue {
        /// Which value.
        what: &'static str,
    },
}

/// Why the server refused a request's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// The header value did not parse.
    #[error("malformed credentials: {0}")]
    Malformed(#[from] ParseError),
    /// The request carries no Digest credentials for this server's realm.
    #[error("no credentials for this realm")]
    MissingCredentials,
    /// The credentials are for another realm.
    #[error("credentials are for realm `{0}`")]
    WrongRealm(String),
    /// The digest-uri does not match the Request-URI.
    #[error("digest-uri `{uri}` does not match the Request-URI")]
    UriMismatch {
        /// The digest-uri the client sent.
        uri: String,
    },
    /// The algorithm was not one the server offers.
    #[error("algorithm {0} was not offered")]
    AlgorithmNotOffered(String),
    /// The qop (or its absence) does not match what the server offers.
    #[error("qop `{0}` was not offered")]
    QopNotOffered(String),
    /// The opaque value was not echoed correctly.
    #[error("opaque does not match")]
    OpaqueMismatch,
    /// The nonce was not issued by this server (bad MAC or format).
    #[error("nonce was not issued by this server")]
    InvalidNonce,
    /// No secret is known for this user (or for this user and algorithm).
    #[error("unknown user")]
    UnknownUser,
    /// The response does not match: wrong password.
    #[error("response does not match")]
    BadResponse,
    /// The response matches, but the nonce has expired: challenge again with
    /// `stale=true`.
    #[error("nonce is stale")]
    Stale,
    /// This nonce count was already used with this nonce.
    #[error("nonce count {0:08x} was already used")]
    Replay(u32),
}

impl VerifyError {
    /// True when the client used the right secret and only needs a fresh nonce:
    /// the server answers with a challenge carrying `stale=true`.
    pub fn is_stale(&self) -> bool {
        matches!(self, VerifyError::Stale)
    }
}
