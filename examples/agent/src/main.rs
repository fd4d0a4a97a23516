//! `heron-agent`: the command line of the reference agent.
//!
//! - `heron-agent demo`: two agents on loopback, no PBX needed;
//! - `heron-agent run --config agent.toml --pipeline echo|play|ivr`: the
//!   real job against a PBX;
//! - `heron-agent check --config agent.toml`: validate and print what the
//!   PBX admin must allowlist.
// A command line prints its results.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use heron_agent::config::{load_file, AgentConfig, LogFormat, ProcessEnv};
use heron_agent::media::pipelines::{Echo, Ivr, Play};
use heron_agent::media::wav::Wav;
use heron_agent::media::VoicePipeline;
use heron_agent::runtime::{Agent, AgentEvent, CallContext, StartOptions};

#[derive(Parser, Debug)]
#[command(
    name = "heron-agent",
    version,
    about = "The heron-voip reference agent: a digital worker on your PBX"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Two agents in one process on loopback: TLS, SRTP, G.722, tones,
    /// DTMF, hold/resume, transfer, hang-up; exit status 0 only if every
    /// step worked.
    Demo,
    /// Register with the PBX and serve calls with a built-in pipeline.
    Run {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// The voice pipeline.
        #[arg(long, value_enum, default_value_t = PipelineKind::Echo)]
        pipeline: PipelineKind,
        /// `play`: the WAV to play (16-bit PCM, 8/16/24/48 kHz).
        #[arg(long)]
        wav: Option<PathBuf>,
        /// `play`: record each caller to this WAV (the call key is appended).
        #[arg(long)]
        record: Option<PathBuf>,
        /// `ivr`: where `1` transfers to.
        #[arg(long)]
        transfer_to: Option<String>,
        /// Place this call after start (policy-checked).
        #[arg(long)]
        dial: Option<String>,
    },
    /// Validate the configuration and print what a PBX admin must allowlist.
    Check {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// Skip the OPTIONS probe of our public address.
        #[arg(long)]
        no_probe: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PipelineKind {
    /// Talks back what it hears after 300 ms.
    Echo,
    /// Plays a WAV and records the caller.
    Play,
    /// Tone prompt, DTMF menu, transfer on 1.
    Ivr,
}

fn init_logs(level: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => b.json().try_init(),
        LogFormat::Text => b.try_init(),
    };
}

fn load(path: &std::path::Path) -> Result<AgentConfig, ExitCode> {
    match load_file(path, &ProcessEnv) {
        Ok(l) => {
            for w in &l.warnings {
                eprintln!("warning: {w}");
            }
            Ok(l.config)
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            Err(ExitCode::from(2))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Cmd::Demo => {
            init_logs("warn", LogFormat::Text);
            println!("heron-agent demo: alice and bob on loopback (TLS, SDES-SRTP, G.722)\n");
            let report = rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(60), heron_agent::demo::run()).await
            });
            match report {
                Ok(r) => {
                    println!("{r}");
                    if r.ok() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(_) => {
                    println!("the demo did not finish within 60 s");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::Check { config, no_probe } => {
            let cfg = match load(&config) {
                Ok(c) => c,
                Err(code) => return code,
            };
            println!("{}: valid\n", config.display());
            println!("{}", heron_agent::check::report(&cfg));
            if !no_probe {
                let probe = rt.block_on(heron_agent::check::probe(&cfg));
                println!("{probe}");
            }
            ExitCode::SUCCESS
        }
        Cmd::Run {
            config,
            pipeline,
            wav,
            record,
            transfer_to,
            dial,
        } => {
            let cfg = match load(&config) {
                Ok(c) => c,
                Err(code) => return code,
            };
            init_logs(&cfg.log.level, cfg.log.format);
            let prompt = match (pipeline, wav) {
                (PipelineKind::Play, Some(w)) => match Wav::read(&w) {
                    Ok(w) if [8000, 16000, 24000, 48000].contains(&w.rate) => Some(w),
                    Ok(w) => {
                        eprintln!(
                            "--wav: {} Hz is not supported (8000, 16000, 24000, 48000)",
                            w.rate
                        );
                        return ExitCode::from(2);
                    }
                    Err(e) => {
                        eprintln!("--wav: {e}");
                        return ExitCode::from(2);
                    }
                },
                (PipelineKind::Play, None) => {
                    eprintln!("--pipeline play needs --wav FILE");
                    return ExitCode::from(2);
                }
                _ => None,
            };
            let factory = Arc::new(move |ctx: &CallContext| -> Box<dyn VoicePipeline> {
                match pipeline {
                    PipelineKind::Echo => Box::new(Echo::new(16000, Duration::from_millis(300))),
                    PipelineKind::Ivr => Box::new(Ivr::new(16000, transfer_to.clone())),
                    PipelineKind::Play => {
                        let rec = record.as_ref().map(|r| {
                            let mut p = r.clone().into_os_string();
                            p.push(format!(".{}.wav", ctx.call).replace('#', "-"));
                            PathBuf::from(p)
                        });
                        Box::new(Play::new(
                            prompt.clone().unwrap_or(Wav {
                                rate: 16000,
                                samples: Vec::new(),
                            }),
                            rec,
                            false,
                        ))
                    }
                }
            });
            rt.block_on(async move {
                let opts = StartOptions {
                    name: cfg.account.user.clone(),
                    ..StartOptions::default()
                };
                let (agent, mut events) = match Agent::start(cfg, opts, factory).await {
                    Ok(a) => a,
                    Err(e) => {
                        eprintln!("cannot start: {e}");
                        return ExitCode::FAILURE;
                    }
                };
                println!("listening on {}", agent.sip_addr());
                if let Some(d) = dial {
                    match agent.call(&d).await {
                        Ok(c) => println!("{c}: calling {d}"),
                        Err(e) => println!("not calling {d}: {e}"),
                    }
                }
                loop {
                    tokio::select! {
                        e = events.recv() => match e {
                            Some(e) => print_event(&e),
                            None => return ExitCode::FAILURE,
                        },
                        _ = tokio::signal::ctrl_c() => {
                            println!("stopping");
                            return ExitCode::SUCCESS;
                        }
                    }
                }
            })
        }
    }
}

fn print_event(e: &AgentEvent) {
    match e {
        AgentEvent::Ended {
            call,
            reason,
            summary,
        } => {
            println!("{call}: ended ({reason})");
            if let Some(s) = summary {
                println!("{s}");
            }
        }
        AgentEvent::Dtmf { call, press } => {
            println!("{call}: DTMF {} ({:?})", press.digit, press.source)
        }
        other => println!("{other:?}"),
    }
}
