//! Encodes or decodes files, to check heron-codecs against another
//! implementation.
//!
//! ```sh
//! cargo run -p heron-codecs --example codec -- encode|decode pcmu|pcma|g722|opus IN OUT [--rate HZ] [--fmtp PARAMS]
//! ```
//!
//! PCM files are raw signed 16-bit little-endian mono at `--rate` (default:
//! the codec's own rate: 8000 for G.711, 16000 for G.722, 48000 for Opus);
//! other rates among 8000/16000/24000/48000 are resampled. Codec files are
//! the raw payload octets for G.711 and G.722, and for Opus one packet per
//! 20 ms frame, each preceded by its length as a 16-bit big-endian number.
//! The last partial frame is padded with silence.

#![allow(clippy::print_stdout)]

use heron_codecs::{open_codec, Codec, CodecSpec, Resampler};
use std::process::ExitCode;

const USAGE: &str =
    "usage: codec encode|decode pcmu|pcma|g722|opus IN OUT [--rate HZ] [--fmtp PARAMS]";

struct Args {
    encode: bool,
    codec: String,
    input: String,
    output: String,
    rate: Option<u32>,
    fmtp: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut pos = Vec::new();
    let mut rate = None;
    let mut fmtp = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rate" => {
                let v = it.next().ok_or("--rate needs a value")?;
                rate = Some(v.parse().map_err(|_| format!("bad --rate {v:?}"))?);
            }
            "--fmtp" => fmtp = Some(it.next().ok_or("--fmtp needs a value")?),
            "-h" | "--help" => return Err(USAGE.into()),
            _ => pos.push(a),
        }
    }
    let [mode, codec, input, output] = <[String; 4]>::try_from(pos).map_err(|_| USAGE)?;
    let encode = match mode.as_str() {
        "encode" => true,
        "decode" => false,
        m => return Err(format!("unknown mode {m:?}\n{USAGE}")),
    };
    Ok(Args {
        encode,
        codec: codec.to_ascii_lowercase(),
        input,
        output,
        rate,
        fmtp,
    })
}

fn open(args: &Args) -> Result<Box<dyn Codec>, String> {
    let (name, clock) = match args.codec.as_str() {
        "pcmu" => ("PCMU", 8000),
        "pcma" => ("PCMA", 8000),
        "g722" => ("G722", 8000),
        "opus" => ("opus", 48000),
        c => return Err(format!("unknown codec {c:?}\n{USAGE}")),
    };
    let mut spec = CodecSpec::new(name, clock);
    spec.fmtp = args.fmtp.as_deref();
    if name == "opus" {
        // Opus runs at the file's rate when it can.
        spec.pcm_rate = args.rate;
    }
    open_codec(&spec).map_err(|e| e.to_string())
}

/// A resampler when the file's rate differs from the codec's.
fn converter(from: u32, to: u32) -> Result<Option<Resampler>, String> {
    if from == to {
        return Ok(None);
    }
    Resampler::new(from, to)
        .map(Some)
        .map_err(|e| e.to_string())
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let mut codec = open(&args)?;
    let rate = args.rate.unwrap_or(codec.sample_rate());
    let input = std::fs::read(&args.input).map_err(|e| format!("{}: {e}", args.input))?;
    let frame = codec.frame_samples();
    let opus = args.codec == "opus";
    let mut out = Vec::new();
    if args.encode {
        let mut pcm: Vec<i16> = input
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        if let Some(mut r) = converter(rate, codec.sample_rate())? {
            let mut conv = vec![0i16; r.max_output_len(pcm.len())];
            let n = r.process(&pcm, &mut conv).map_err(|e| e.to_string())?;
            conv.truncate(n);
            pcm = conv;
        }
        pcm.resize(pcm.len().div_ceil(frame) * frame, 0);
        let mut payload = vec![0u8; codec.max_payload_len()];
        for f in pcm.chunks_exact(frame) {
            let n = codec.encode(f, &mut payload).map_err(|e| e.to_string())?;
            if opus {
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            out.extend_from_slice(&payload[..n]);
        }
    } else {
        let mut pcm = Vec::new();
        let mut buf = vec![0i16; 6 * 48000 / 50 * 3];
        let mut rest = input.as_slice();
        while !rest.is_empty() {
            let take = if opus {
                if rest.len() < 2 {
                    return Err("truncated length prefix".into());
                }
                let n = u16::from_be_bytes([rest[0], rest[1]]) as usize;
                rest = &rest[2..];
                if rest.len() < n {
                    return Err("truncated packet".into());
                }
                n
            } else {
                codec.max_payload_len().min(rest.len())
            };
            let (packet, tail) = rest.split_at(take);
            rest = tail;
            let n = codec.decode(packet, &mut buf).map_err(|e| e.to_string())?;
            pcm.extend_from_slice(&buf[..n]);
        }
        if let Some(mut r) = converter(codec.sample_rate(), rate)? {
            let mut conv = vec![0i16; r.max_output_len(pcm.len())];
            let n = r.process(&pcm, &mut conv).map_err(|e| e.to_string())?;
            conv.truncate(n);
            pcm = conv;
        }
        out = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
    }
    std::fs::write(&args.output, &out).map_err(|e| format!("{}: {e}", args.output))?;
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
