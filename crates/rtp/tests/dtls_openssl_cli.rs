//! DTLS-SRTP against a peer no one here wrote: the `openssl` command line
//! (`s_server` / `s_client -dtls1_2 -use_srtp ... -keymatexport
//! EXTRACTOR-dtls_srtp`) on loopback, with ECDSA and RSA-2048
//! certificates. The handshake must complete and our exported keying
//! material must equal what openssl prints. Needs the `openssl` program
//! (Debian package `openssl`).

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use heron_rtp::dtls::{
    DtlsBackend, DtlsConfig, DtlsIdentity, DtlsRole, DtlsSrtp, DtlsState, Fingerprint,
    HashAlgorithm, RemoteDtls,
};
use heron_rtp::srtp::SrtpProfile;

struct Cert {
    pem: PathBuf,
    key: PathBuf,
    fingerprint: Fingerprint,
}

fn tmpdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("heron-dtls-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the `openssl` program is needed (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn cert(dir: &Path, name: &str, newkey: &[&str]) -> Cert {
    let pem = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}.key"));
    let der = dir.join(format!("{name}.der"));
    let mut args = vec![
        "req",
        "-x509",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=interop",
    ];
    args.extend_from_slice(newkey);
    args.extend_from_slice(&[
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        pem.to_str().unwrap(),
    ]);
    openssl(&args);
    openssl(&[
        "x509",
        "-in",
        pem.to_str().unwrap(),
        "-outform",
        "DER",
        "-out",
        der.to_str().unwrap(),
    ]);
    let fingerprint =
        Fingerprint::of_certificate(HashAlgorithm::Sha256, &std::fs::read(der).unwrap());
    Cert {
        pem,
        key,
        fingerprint,
    }
}

fn certs() -> &'static (Cert, Cert) {
    static C: std::sync::OnceLock<(Cert, Cert)> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let d = tmpdir();
        (
            cert(
                &d,
                "ec",
                &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
            ),
            cert(&d, "rsa", &["-newkey", "rsa:2048"]),
        )
    })
}

/// openssl's name for a profile.
fn ossl_name(p: SrtpProfile) -> &'static str {
    match p {
        SrtpProfile::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_SHA1_80",
        SrtpProfile::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_SHA1_32",
        SrtpProfile::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
        SrtpProfile::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
        other => panic!("{other:?} has no DTLS-SRTP id"),
    }
}

/// A running openssl peer: its stdin is kept open (s_server quits at EOF),
/// its stdout lines arrive on a channel.
struct Peer {
    child: Child,
    _stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Peer {
    fn spawn(args: &[String]) -> Peer {
        let mut child = Command::new("openssl")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the `openssl` program is needed (Debian package openssl)");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Peer {
            child,
            _stdin: stdin,
            lines,
        }
    }

    /// The hex keying material openssl printed.
    fn keying_material(&self) -> String {
        let end = Instant::now() + Duration::from_secs(10);
        while let Ok(l) = self
            .lines
            .recv_timeout(end.saturating_duration_since(Instant::now()))
        {
            if let Some(hex) = l.trim().strip_prefix("Keying material: ") {
                return hex.trim().to_ascii_uppercase();
            }
        }
        panic!("openssl printed no keying material");
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs our side over a real socket until it settles (bounded by the
/// handshake timeout); a server lingers briefly for a repeated flight.
fn drive(dtls: &mut DtlsSrtp, socket: &UdpSocket, role: DtlsRole) {
    let mut buf = vec![0u8; 2048];
    let mut connected_at = None;
    let hard_end = Instant::now() + Duration::from_secs(15);
    loop {
        while let Some(t) = dtls.poll_transmit(&mut buf) {
            let _ = socket.send_to(&buf[..t.len], t.destination);
        }
        let now = Instant::now();
        match dtls.state() {
            DtlsState::Failed => return,
            DtlsState::Connected => {
                let at = *connected_at.get_or_insert(now);
                if role == DtlsRole::Client || now >= at + Duration::from_millis(300) {
                    return;
                }
            }
            _ => {}
        }
        assert!(now < hard_end, "handshake did not settle");
        let wait = dtls
            .poll_timeout()
            .map_or(Duration::from_millis(50), |t| {
                t.saturating_duration_since(now)
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(50));
        socket.set_read_timeout(Some(wait)).unwrap();
        if let Ok((n, src)) = socket.recv_from(&mut buf) {
            dtls.handle_datagram(Instant::now(), src, &mut buf[..n], &mut ());
        }
        dtls.handle_timeout(Instant::now(), &mut ());
    }
}

fn config(backend: DtlsBackend) -> DtlsConfig {
    DtlsConfig {
        backend,
        initial_rto: Duration::from_millis(200),
        handshake_timeout: Duration::from_secs(8),
        max_retransmissions: 8,
        ..DtlsConfig::default()
    }
}

fn km_len(p: SrtpProfile) -> usize {
    2 * (p.key_len() + p.salt_len())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// We are the DTLS client, `openssl s_server` the server.
fn against_s_server(backend: DtlsBackend, cert: &Cert, profile: SrtpProfile) -> DtlsSrtp {
    let port = free_port();
    let server = Peer::spawn(&[
        "s_server".into(),
        "-dtls1_2".into(),
        "-accept".into(),
        format!("127.0.0.1:{port}"),
        "-cert".into(),
        cert.pem.display().to_string(),
        "-key".into(),
        cert.key.display().to_string(),
        "-use_srtp".into(),
        ossl_name(profile).into(),
        "-keymatexport".into(),
        "EXTRACTOR-dtls_srtp".into(),
        "-keymatexportlen".into(),
        km_len(profile).to_string(),
        "-verify".into(),
        "1".into(),
    ]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut dtls = DtlsSrtp::new(config(backend), DtlsIdentity::generate().unwrap(), peer);
    let remote = RemoteDtls::new(DtlsRole::Client, vec![cert.fingerprint.clone()]);
    dtls.set_remote(Instant::now(), remote, &mut ()).unwrap();
    drive(&mut dtls, &socket, DtlsRole::Client);
    if dtls.is_connected() {
        assert_eq!(dtls.profile(), Some(profile));
        assert_eq!(dtls.peer_fingerprint(), Some(&cert.fingerprint));
        assert_eq!(
            hex(dtls.keying_material().unwrap().expose()),
            server.keying_material()
        );
    }
    dtls
}

/// We are the DTLS server, `openssl s_client` the client.
fn against_s_client(backend: DtlsBackend, cert: &Cert, profile: SrtpProfile) -> DtlsSrtp {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let local = socket.local_addr().unwrap();
    let mut dtls = DtlsSrtp::new(config(backend), DtlsIdentity::generate().unwrap(), local);
    let remote = RemoteDtls::new(DtlsRole::Server, vec![cert.fingerprint.clone()]);
    dtls.set_remote(Instant::now(), remote, &mut ()).unwrap();
    let client = Peer::spawn(&[
        "s_client".into(),
        "-dtls1_2".into(),
        "-connect".into(),
        local.to_string(),
        "-cert".into(),
        cert.pem.display().to_string(),
        "-key".into(),
        cert.key.display().to_string(),
        "-use_srtp".into(),
        ossl_name(profile).into(),
        "-keymatexport".into(),
        "EXTRACTOR-dtls_srtp".into(),
        "-keymatexportlen".into(),
        km_len(profile).to_string(),
    ]);
    drive(&mut dtls, &socket, DtlsRole::Server);
    if dtls.is_connected() {
        assert_eq!(dtls.profile(), Some(profile));
        assert_eq!(dtls.peer_fingerprint(), Some(&cert.fingerprint));
        assert_eq!(
            hex(dtls.keying_material().unwrap().expose()),
            client.keying_material()
        );
    }
    dtls
}

const DIMPL_PROFILES: [SrtpProfile; 3] = [
    SrtpProfile::AeadAes256Gcm,
    SrtpProfile::AeadAes128Gcm,
    SrtpProfile::Aes128CmHmacSha1_80,
];

#[test]
fn dimpl_against_openssl_cli_with_ecdsa() {
    let (ec, _) = certs();
    for p in DIMPL_PROFILES {
        let d = against_s_server(DtlsBackend::Dimpl, ec, p);
        assert!(d.is_connected(), "client {p:?}: {:?}", d.error());
        let d = against_s_client(DtlsBackend::Dimpl, ec, p);
        assert!(d.is_connected(), "server {p:?}: {:?}", d.error());
    }
}

#[test]
fn dimpl_cannot_handshake_with_an_rsa_peer() {
    let (_, rsa) = certs();
    let d = against_s_server(DtlsBackend::Dimpl, rsa, SrtpProfile::Aes128CmHmacSha1_80);
    assert_eq!(d.state(), DtlsState::Failed);
    let d = against_s_client(DtlsBackend::Dimpl, rsa, SrtpProfile::Aes128CmHmacSha1_80);
    assert_eq!(d.state(), DtlsState::Failed);
}

#[test]
fn wrong_fingerprint_against_openssl_cli_is_refused() {
    let (ec, rsa) = certs();
    let port = free_port();
    let _server = Peer::spawn(&[
        "s_server".into(),
        "-dtls1_2".into(),
        "-accept".into(),
        format!("127.0.0.1:{port}"),
        "-cert".into(),
        ec.pem.display().to_string(),
        "-key".into(),
        ec.key.display().to_string(),
        "-use_srtp".into(),
        "SRTP_AES128_CM_SHA1_80".into(),
    ]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut dtls = DtlsSrtp::new(
        config(DtlsBackend::Dimpl),
        DtlsIdentity::generate().unwrap(),
        peer,
    );
    // The SDP claims the RSA certificate; the server shows the ECDSA one.
    let remote = RemoteDtls::new(DtlsRole::Client, vec![rsa.fingerprint.clone()]);
    dtls.set_remote(Instant::now(), remote, &mut ()).unwrap();
    drive(&mut dtls, &socket, DtlsRole::Client);
    assert_eq!(dtls.state(), DtlsState::Failed);
    let e = dtls.error().unwrap().to_string();
    assert!(e.contains(&ec.fingerprint.hex()), "{e}");
    assert!(dtls.keying_material().is_none());
}

#[cfg(feature = "dtls-openssl")]
#[test]
fn openssl_backend_against_openssl_cli_with_rsa_every_profile() {
    let (ec, rsa) = certs();
    for p in [
        SrtpProfile::AeadAes256Gcm,
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::Aes128CmHmacSha1_32,
    ] {
        let d = against_s_server(DtlsBackend::OpenSsl, rsa, p);
        assert!(d.is_connected(), "client {p:?}: {:?}", d.error());
        let d = against_s_client(DtlsBackend::OpenSsl, rsa, p);
        assert!(d.is_connected(), "server {p:?}: {:?}", d.error());
    }
    let d = against_s_server(DtlsBackend::OpenSsl, ec, SrtpProfile::Aes128CmHmacSha1_32);
    assert!(d.is_connected(), "{:?}", d.error());
}
