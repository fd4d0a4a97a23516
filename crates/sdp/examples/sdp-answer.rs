//! `sdp-answer`: answer an SDP offer the way the agent would.
//!
//! ```text
//! cargo run -p heron-sdp --example sdp-answer -- --offer FILE \
//!     [--codecs opus,g722,pcma,pcmu] [--srtp off|sdes|dtls|optional] \
//!     [--dtmf rfc4733|none] [--address IP] [--port N] \
//!     [--fingerprint "sha-256 AB:CD:..."] [--rtcp-mux] [--verbose]
//! ```
//!
//! FILE is an SDP body or a whole SIP message carrying one (the first
//! `application/sdp` body is used). Prints the answer SDP, or
//! `rejected: <reason>` with exit status 1 (the agent would send 488 with a
//! Warning). Usage errors exit with status 2.

use std::io::Write;
use std::process::ExitCode;

use heron_sdp::{answer, Codec, Fingerprint, LocalCapabilities, SrtpPolicy};
use rand_core::{OsRng, RngCore};

const USAGE: &str = "usage: sdp-answer --offer FILE [--codecs opus,g722,pcma,pcmu] \
[--srtp off|sdes|dtls|optional] [--dtmf rfc4733|none] [--address IP] [--port N] \
[--fingerprint \"sha-256 AB:CD:...\"] [--rtcp-mux] [--verbose]";

/// A placeholder used when `--srtp dtls` is given without `--fingerprint`.
const PLACEHOLDER_FINGERPRINT: &str = "sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00";

struct Args {
    offer: String,
    caps: LocalCapabilities,
    verbose: bool,
}

fn parse_args(args: Vec<String>, err: &mut dyn Write) -> Result<Args, String> {
    let mut offer = None;
    let mut caps = LocalCapabilities::new([192, 0, 2, 1].into(), 40000);
    let mut verbose = false;
    let mut fingerprint_given = false;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--offer" => offer = Some(value("--offer")?),
            "--codecs" => {
                caps.codecs = value("--codecs")?
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| s.parse::<Codec>().map_err(|e| e.to_string()))
                    .collect::<Result<_, _>>()?;
                if caps.codecs.is_empty() {
                    return Err("--codecs needs at least one codec".into());
                }
            }
            "--srtp" => {
                caps.srtp = value("--srtp")?
                    .parse::<SrtpPolicy>()
                    .map_err(|e| e.to_string())?
            }
            "--dtmf" => {
                caps.telephone_event = match value("--dtmf")?.to_ascii_lowercase().as_str() {
                    "rfc4733" | "rfc2833" => true,
                    "none" | "info" | "inband" => false,
                    other => return Err(format!("unknown --dtmf {other:?}")),
                }
            }
            "--address" => {
                caps.address = value("--address")?
                    .parse()
                    .map_err(|e| format!("--address: {e}"))?
            }
            "--port" => {
                caps.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--fingerprint" => {
                let v = value("--fingerprint")?;
                caps.dtls_fingerprint =
                    Some(Fingerprint::parse(&v).ok_or_else(|| format!("bad --fingerprint {v:?}"))?);
                fingerprint_given = true;
            }
            "--rtcp-mux" => caps.rtcp_mux = true,
            "--verbose" | "-v" => verbose = true,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !fingerprint_given && caps.srtp == SrtpPolicy::Dtls {
        caps.dtls_fingerprint = Fingerprint::parse(PLACEHOLDER_FINGERPRINT);
        let _ = writeln!(err, "note: no --fingerprint given, using a placeholder");
    }
    let offer = offer.ok_or("--offer FILE is required")?;
    Ok(Args {
        offer,
        caps,
        verbose,
    })
}

/// The SDP in `text`: the text itself, or the first SDP body of a SIP message.
fn extract_sdp(text: &str) -> &str {
    if text.starts_with("v=") {
        return text;
    }
    let Some(start) = text.find("\nv=0").map(|i| i + 1) else {
        return text;
    };
    let body = &text[start..];
    // Inside a multipart body the part ends at the next boundary line.
    let end = body
        .find("\r\n--")
        .or_else(|| body.find("\n--"))
        .map_or(body.len(), |i| {
            i + if body[i..].starts_with('\r') { 2 } else { 1 }
        });
    &body[..end]
}

/// Runs the tool: `args` without the program name; the answer or
/// `rejected: ...` goes to `out`, notes and usage to `err`. Returns the exit
/// status: 0 answered, 1 rejected, 2 usage or file error.
pub fn run(
    args: Vec<String>,
    rng: &mut dyn RngCore,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let args = match parse_args(args, err) {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                let _ = writeln!(err, "sdp-answer: {msg}");
            }
            let _ = writeln!(err, "{USAGE}");
            return 2;
        }
    };
    let bytes = match std::fs::read(&args.offer) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(err, "sdp-answer: {}: {e}", args.offer);
            return 2;
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let result = heron_sdp::parse(extract_sdp(&text))
        .map_err(|e| e.to_string())
        .and_then(|offer| answer(&offer, &args.caps, rng).map_err(|e| e.to_string()));
    let status = match result {
        Ok(a) => {
            if args.verbose {
                let _ = writeln!(err, "{:#?}", a.media);
            }
            let _ = write!(out, "{}", a.sdp);
            0
        }
        Err(reason) => {
            let _ = writeln!(out, "rejected: {reason}");
            1
        }
    };
    let _ = out.flush();
    status
}

#[allow(dead_code)] // the tests include this file for `run` only
fn main() -> ExitCode {
    let status = run(
        std::env::args().skip(1).collect(),
        &mut OsRng,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(status)
}
