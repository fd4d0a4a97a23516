//! heron-agent: the reference digital-worker agent of heron-voip.
//!
//! It composes the heron crates into what the customer's onboarding sheet
//! describes: an extension on the customer's PBX that answers and places
//! calls and hands their audio to a voice pipeline.
//!
//! - [`config`]: `agent.toml`, a section per row of the sheet, validated
//!   as a whole (every bad value reported with its key and what is allowed);
//! - [`policy`] (the heron-policy crate): the call policy (emergency numbers, dial plan, caps, rate,
//!   time windows, allowed sources), decided before any INVITE leaves;
//! - [`media`]: the media pump between heron-rtp and a [`media::VoicePipeline`],
//!   with heron-codecs doing codecs and resampling, DTMF unified;
//! - [`runtime`]: the running agent on heron-sip-stack's user agent;
//! - [`demo`] and [`check`]: the `heron-agent demo` and `check` commands;
//! - secrets stay out of logs through [`heron_sip::redact`].
//!
//! A voice pipeline is a small trait; the agent does the rest:
//!
//! ```
//! use heron_agent::media::VoicePipeline;
//!
//! /// Says nothing and counts what it heard.
//! struct Listener { heard: usize, silence: Vec<i16> }
//!
//! impl VoicePipeline for Listener {
//!     fn sample_rate(&self) -> u32 { 16000 }
//!     fn on_audio(&mut self, frame: &[i16]) { self.heard += frame.len(); }
//!     fn next_audio(&mut self) -> &[i16] { &self.silence }
//! }
//!
//! let mut p = Listener { heard: 0, silence: vec![0; 320] };
//! p.on_audio(&[0; 320]);
//! assert_eq!(p.next_audio().len(), 320);
//! assert_eq!(p.heard, 320);
//!
//! // Emergency numbers are refused whatever the configuration allows.
//! let mut cfg = heron_agent::policy::PolicyConfig::default();
//! cfg.allow = vec!["+*".parse().unwrap(), "*".parse().unwrap()];
//! let policy = heron_agent::policy::CallPolicy::new(cfg);
//! assert!(policy.check_destination("+49 110").is_err());
//! assert!(policy.check_destination("urn:service:sos").is_err());
//! ```
#![forbid(unsafe_code)]

pub mod check;
pub mod config;
pub mod demo;
pub mod media;
/// The call policy, from the heron-policy crate.
pub use heron_policy as policy;
pub mod runtime;
