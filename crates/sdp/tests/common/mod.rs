//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::net::IpAddr;

use heron_sdp::crypto::Fingerprint;
use heron_sdp::{Codec, LocalCapabilities, SessionDescription, SrtpPolicy};
use rand_core::{Error, RngCore};

pub const VENDOR_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/vendor-sip"
);

/// The raw text of a vendor message.
pub fn vendor_file(name: &str) -> String {
    let path = format!("{VENDOR_DIR}/{name}");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    String::from_utf8(bytes).expect("vendor files are UTF-8")
}

/// The SDP bodies of a SIP message: the body itself, or the
/// `application/sdp` parts of a multipart body.
pub fn sdp_bodies(message: &str) -> Vec<String> {
    let (headers, body) = message
        .split_once("\r\n\r\n")
        .expect("header/body separator");
    if body.starts_with("v=0") {
        return vec![body.to_owned()];
    }
    let lower = headers.to_ascii_lowercase();
    let Some(pos) = lower.find("boundary=") else {
        return Vec::new();
    };
    let boundary = headers[pos + 9..]
        .split([';', '\r', '\n'])
        .next()
        .unwrap()
        .trim_matches('"')
        .to_owned();
    body.split(&format!("--{boundary}"))
        .filter_map(|part| {
            let (h, b) = part.split_once("\r\n\r\n")?;
            h.to_ascii_lowercase()
                .contains("application/sdp")
                .then(|| b.trim_end_matches("\r\n").to_owned() + "\r\n")
        })
        .collect()
}

/// The first SDP body of a vendor message, parsed.
pub fn vendor_sdp(name: &str) -> SessionDescription {
    let bodies = sdp_bodies(&vendor_file(name));
    heron_sdp::parse(&bodies[0]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// An RNG that returns the same byte everywhere: keys are `[byte; n]`.
pub struct ConstRng(pub u8);

impl RngCore for ConstRng {
    fn next_u32(&mut self) -> u32 {
        u32::from_ne_bytes([self.0; 4])
    }
    fn next_u64(&mut self) -> u64 {
        u64::from_ne_bytes([self.0; 8])
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(self.0);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// Base64 of `n` bytes of value `b`, as our crypto lines write it.
pub fn b64_of(b: u8, n: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(vec![b; n])
}

pub const LOCAL_IP: &str = "192.0.2.100";
pub const LOCAL_PORT: u16 = 30000;

pub fn caps(codecs: &[Codec], srtp: SrtpPolicy) -> LocalCapabilities {
    let ip: IpAddr = LOCAL_IP.parse().unwrap();
    let mut c = LocalCapabilities::new(ip, LOCAL_PORT);
    c.codecs = codecs.to_vec();
    c.srtp = srtp;
    if srtp == SrtpPolicy::Dtls {
        c.dtls_fingerprint = Some(local_fingerprint());
    }
    c
}

pub fn local_fingerprint() -> Fingerprint {
    Fingerprint::parse(
        "sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
    )
    .unwrap()
}

/// Every codec, wideband first (the default order).
pub fn wideband(srtp: SrtpPolicy) -> LocalCapabilities {
    caps(&Codec::ALL, srtp)
}

/// G.711 only, A-law first.
pub fn g711(srtp: SrtpPolicy) -> LocalCapabilities {
    caps(&[Codec::Pcma, Codec::Pcmu], srtp)
}

/// Asserts the SDP text line by line; the `o=` line is checked for shape
/// (`o=- <id> <version> IN IP4 192.0.2.100`) and the version.
pub fn assert_lines(sdp: &SessionDescription, expected: &[&str], version: u64) {
    let text = sdp.to_string();
    assert!(text.ends_with("\r\n"), "CRLF-terminated");
    assert!(!text.replace("\r\n", "").contains('\n'), "CRLF only");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "v=0");
    let o: Vec<&str> = lines[1].split(' ').collect();
    assert_eq!(o[0], "o=-", "{}", lines[1]);
    assert!(o[1].parse::<u64>().is_ok(), "{}", lines[1]);
    assert_eq!(o[2], version.to_string(), "{}", lines[1]);
    assert_eq!(&o[3..], ["IN", "IP4", LOCAL_IP], "{}", lines[1]);
    let rest: Vec<&str> = lines[2..].to_vec();
    for (i, (got, want)) in rest.iter().zip(expected.iter()).enumerate() {
        assert_eq!(got, want, "line {} of\n{text}", i + 3);
    }
    assert_eq!(rest.len(), expected.len(), "line count of\n{text}");
}

/// A file of `tests/data`: its text and the parsed session.
pub fn data_sdp(name: &str) -> (String, SessionDescription) {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let sdp = heron_sdp::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    (text, sdp)
}
