//! heron-agent: the reference agent composed from the heron crates.
//!
//! ```
//! assert_eq!(heron_agent::NAME, "heron-agent");
//! ```

/// The agent's name, as it appears in its User-Agent header.
pub const NAME: &str = "heron-agent";
