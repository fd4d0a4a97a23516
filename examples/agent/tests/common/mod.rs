//! Helpers for the end-to-end tests: finding the peers' binaries (a clear
//! failure when one is missing), free ports, a Kamailio registrar with
//! digest users and a request log, agent configs, waiting for events.
#![allow(dead_code)]

pub mod baresip;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use heron_agent::config::{load_str, AgentConfig};
use heron_agent::media::pipelines::Echo;
use heron_agent::media::VoicePipeline;
use heron_agent::runtime::{Agent, AgentEvent, CallContext, StartOptions};
use tokio::process::{Child, Command};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout;

pub const REALM: &str = "pbx.heron.test";

pub use heron_test_support::{free_port, require};

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!(
            "heron-agent-{tag}-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A CA and a certificate for 127.0.0.1 as PEM files in `dir`:
/// `ca.pem`, `cert.pem`, `key.pem`.
pub fn write_certs(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "heron test CA");
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), REALM.to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
}

/// Kamailio as the customer's registrar and proxy: digest users from a
/// db_text table, UDP/TCP on `port`, TLS on `port + 1`, every request
/// logged as `REQ <method> <r-uri>` to `kamailio.log`.
pub struct Kamailio {
    _child: Child,
    pub port: u16,
    pub dir: Scratch,
}

impl Drop for Kamailio {
    /// `kill_on_drop` only reaches the main process; Kamailio's workers
    /// share its process group, so the whole group is killed.
    fn drop(&mut self) {
        self.kill_group();
    }
}

impl Kamailio {
    /// Starts it with `users` (name, password); waits until it listens.
    pub async fn start(users: &[(&str, &str)]) -> Kamailio {
        Self::start_on(free_port(), users).await
    }

    /// Stops it (SIGKILL: a crash, as far as the agent can tell).
    pub async fn stop(mut self) {
        self.kill_group();
        let _ = self._child.wait().await;
    }

    /// Kills the main process and its workers (they share its group).
    fn kill_group(&mut self) {
        if let Some(pid) = self._child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }

    /// Starts it on `port` (UDP/TCP) and `port + 1` (TLS).
    pub async fn start_on(port: u16, users: &[(&str, &str)]) -> Kamailio {
        let bin = require("kamailio", "kamailio kamailio-tls-modules");
        let dir = Scratch::new("kamailio");
        write_certs(&dir.0);
        heron_test_support::kamailio::write_subscribers(&dir.0.join("db"), REALM, users).unwrap();
        let d = dir.0.display();
        std::fs::write(
            dir.0.join("tls.cfg"),
            format!(
                "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\nprivate_key = {d}/key.pem\ncertificate = {d}/cert.pem\n\n[client:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n"
            ),
        )
        .unwrap();
        let tls_cfg = dir.0.join("tls.cfg");
        let cfg = heron_test_support::kamailio::Registrar {
            realm: REALM,
            port,
            tls: Some((port + 1, tls_cfg.as_path())),
            db: &dir.0.join("db"),
            extra: "",
            log_requests: true,
        }
        .config();
        std::fs::write(dir.0.join("kamailio.cfg"), cfg).unwrap();
        let log = std::fs::File::create(dir.0.join("kamailio.log")).unwrap();
        let child = Command::new(bin)
            .arg("-f")
            .arg(dir.0.join("kamailio.cfg"))
            .args(["-DD", "-E", "-m", "64", "-M", "8", "-w"])
            .arg(&dir.0)
            .arg("-Y")
            .arg(&dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            // Its own process group, so dropping it stops the workers too.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("kamailio starts");
        let up = timeout(Duration::from_secs(15), async {
            loop {
                if tokio::net::TcpStream::connect(("127.0.0.1", port + 1))
                    .await
                    .is_ok()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        assert!(
            up.is_ok(),
            "kamailio did not listen on {port}: {}",
            std::fs::read_to_string(dir.0.join("kamailio.log")).unwrap_or_default()
        );
        Kamailio {
            _child: child,
            port,
            dir,
        }
    }

    /// The request log: `REQ <method> <r-uri> from <ip:port>` lines.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.0.join("kamailio.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.find("REQ ").map(|i| l[i..].to_owned()))
            .collect()
    }
}

/// Loads an agent config from TOML, with the password in the env map.
pub fn agent_config(text: &str, base: &Path) -> AgentConfig {
    let env = HashMap::from([("HERON_TEST_PW".to_owned(), "pw-secret".to_owned())]);
    match load_str(text, base, &env) {
        Ok(l) => l.config,
        Err(e) => panic!("{e}"),
    }
}

/// Starts an agent with the echo pipeline (300 ms delay, 16 kHz).
pub async fn echo_agent(cfg: AgentConfig) -> (Agent, UnboundedReceiver<AgentEvent>) {
    let factory = Arc::new(|_: &CallContext| -> Box<dyn VoicePipeline> {
        Box::new(Echo::new(16000, Duration::from_millis(300)))
    });
    let name = cfg.account.user.clone();
    Agent::start(
        cfg,
        StartOptions {
            name,
            ..StartOptions::default()
        },
        factory,
    )
    .await
    .unwrap()
}

/// Waits up to `secs` for an event `f` accepts; `None` on timeout.
pub async fn wait_for<T>(
    rx: &mut UnboundedReceiver<AgentEvent>,
    secs: u64,
    mut f: impl FnMut(&AgentEvent) -> Option<T>,
) -> Option<T> {
    timeout(Duration::from_secs(secs), async {
        while let Some(e) = rx.recv().await {
            if let Some(t) = f(&e) {
                return Some(t);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}
