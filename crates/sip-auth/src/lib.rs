//! HTTP Digest authentication for SIP: RFC 7616 as applied to SIP by RFC 8760,
//! with RFC 2617 and RFC 2069 compatibility.
//!
//! - Client: parse `WWW-Authenticate` / `Proxy-Authenticate` values
//!   ([`Challenges`]), answer them with [`DigestClient`], and add the returned
//!   [`Answer`]s as `Authorization` / `Proxy-Authorization` headers.
//! - Server: [`DigestServer`] issues stateless nonces (timestamp + HMAC),
//!   verifies credentials in constant time, reports stale nonces and rejects
//!   nonce-count replays.
//!
//! - With the `sip` feature (on by default), [`sip`] reads challenges from a
//!   `heron_sip::Message`, adds answers to it and verifies a request.
//!
//! The core works on header *values* as `&str` and never reads the clock or
//! the OS RNG: time is passed in, randomness comes from an injected
//! [`rand_core::RngCore`].
//!
//! ```
//! use heron_sip_auth::{ChallengeHeader, Challenges, Credentials, DigestClient, Request};
//!
//! // A 401 from Asterisk, as the header value.
//! let mut challenges = Challenges::new();
//! challenges.add(
//!     ChallengeHeader::WwwAuthenticate,
//!     r#"Digest realm="asterisk",nonce="1413305427/8dd1b7f56aba97da45754f7052d8a688",opaque="3b9c806b61adf911",algorithm=md5,qop="auth""#,
//! )?;
//!
//! // Auth user "beispiel_123456" registers the AOR 123456.
//! let mut client = DigestClient::new([Credentials::new("beispiel_123456", "geheim")]);
//! let request = Request::new("REGISTER", "sip:pbx.example.com");
//! let answers = client.respond(&challenges, &request, &mut rand_core::OsRng)?;
//!
//! assert_eq!(answers[0].header.name(), "Authorization");
//! assert!(answers[0].value.starts_with(r#"Digest username="beispiel_123456", realm="asterisk""#));
//! assert!(answers[0].value.contains("nc=00000001"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod algorithm;
mod challenge;
mod client;
pub mod compute;
mod credentials;
mod error;
mod lexer;
mod quote;
mod secret;
mod server;
#[cfg(feature = "sip")]
pub mod sip;

pub use algorithm::{Algorithm, HashAlgorithm, Qop, UnsupportedAlgorithm};
pub use challenge::{
    parse_challenges, AuthorizationHeader, Challenge, ChallengeHeader, DigestChallenge,
    UnsupportedChallenge,
};
pub use client::{AlgorithmPolicy, Answer, Challenges, Credentials, DigestClient, Request};
pub use credentials::{parse_credentials, DigestCredentials};
pub use error::{ClientError, ParseError, VerifyError};
pub use secret::{Password, Secret};
pub use server::{CredentialStore, DigestServer, ServerConfig, StaticCredentials, Verified};
