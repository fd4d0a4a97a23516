//! heron-agent: the reference digital-worker agent of heron-voip.
//!
//! It composes the heron crates into what the customer's onboarding sheet
//! describes: an extension on the customer's PBX that answers and places
//! calls and hands their audio to a voice pipeline.
//!
//! - [`config`]: `agent.toml`, a section per row of the sheet, validated
//!   as a whole (every bad value reported with its key and what is allowed);
//! - [`policy`]: the call policy (emergency numbers, dial plan, caps, rate,
//!   time windows, allowed sources), decided before any INVITE leaves.
#![forbid(unsafe_code)]

pub mod check;
pub mod config;
pub mod demo;
pub mod media;
pub mod policy;
pub mod redact;
pub mod runtime;
