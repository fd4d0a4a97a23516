//! heron-test-support: what the test suites of heron-sip-stack and
//! heron-agent share when they start Kamailio as the customer's registrar
//! on loopback. Dev-only, not published.
//!
//! ```
//! use heron_test_support::kamailio::Registrar;
//! use std::path::Path;
//!
//! let cfg = Registrar {
//!     realm: "pbx.example.test",
//!     port: 5060,
//!     tls: None,
//!     db: Path::new("/tmp/db"),
//!     extra: "",
//!     log_requests: true,
//! }
//! .config();
//! assert!(cfg.contains("listen=udp:127.0.0.1:5060"));
//! assert!(cfg.contains("www_challenge(\"pbx.example.test\", \"1\")"));
//! assert!(!cfg.contains("enable_tls"));
//! ```

pub mod kamailio;
