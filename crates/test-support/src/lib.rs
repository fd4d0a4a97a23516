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

use std::path::{Path, PathBuf};

/// The path of a peer's binary; panics naming the Debian package to
/// install (`scripts/deps.sh` installs every package the tests need).
pub fn require(bin: &str, package: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let p = Path::new(dir).join(bin);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "{bin} is not installed: run `apt-get install -y --no-install-recommends {package}` \
         (scripts/deps.sh installs every package the tests need)"
    );
}

/// A port free on 127.0.0.1 for UDP and TCP, and the next one too (TLS
/// listeners and RTCP use it). A port is handed out once per test process,
/// so a test that restarts a server on its port cannot race another test.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let Ok(u) = std::net::UdpSocket::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(p) = u.local_addr().map(|a| a.port()) else {
            continue;
        };
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if p < 65000
            && !given.iter().any(|&g| g.abs_diff(p) <= 1)
            && std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok()
            && std::net::UdpSocket::bind(("127.0.0.1", p + 1)).is_ok()
        {
            given.push(p);
            return p;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ports_are_handed_out_once_with_their_neighbour_free() {
        let ports: Vec<u16> = (0..20).map(|_| super::free_port()).collect();
        for (i, a) in ports.iter().enumerate() {
            for b in &ports[i + 1..] {
                assert!(a.abs_diff(*b) > 1, "{a} and {b}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "apt-get install -y --no-install-recommends no-such-package")]
    fn a_missing_binary_names_its_package() {
        super::require("heron-no-such-binary", "no-such-package");
    }
}
