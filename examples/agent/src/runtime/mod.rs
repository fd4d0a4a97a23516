//! The running agent: heron-sip-stack's transport stack and user agent,
//! the call policy, and a media task per call feeding a voice pipeline.
//!
//! [`Agent::start`] binds the SIP sockets, registers (when configured) and
//! runs one controller task that owns the user agent; [`Agent`] methods
//! send it commands, [`AgentEvent`]s report what happened. Every outbound
//! call and transfer passes the [`CallPolicy`]
//! before anything is sent; inbound requests from sources outside
//! `policy.allowed_sources` are answered 403 before the user agent sees
//! them, and calls over the cap get 486/503.

mod controller;
mod ladder;
mod media_task;
pub mod setup;
pub mod trace;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use heron_sip_stack::driver::Stack;
use heron_sip_stack::ua::{CallKey, Ua};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::{mpsc, oneshot};

pub use ladder::{label, Ladder, LadderEntry};
pub use setup::{SetupError, TlsOverride};

use crate::config::AgentConfig;
use crate::media::{CallSummary, DtmfPress, MediaInfo, VoicePipeline};
use crate::policy::{CallPolicy, Refusal};

/// What a pipeline factory is told about a new call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// The call.
    pub call: CallKey,
    /// Whether the peer called us.
    pub inbound: bool,
    /// The peer (From of an inbound call, the dialled target of an outbound one).
    pub remote: String,
    /// The Request-URI user of an inbound call (who was called).
    pub called: String,
}

/// Makes a pipeline for each call.
pub type PipelineFactory = Arc<dyn Fn(&CallContext) -> Box<dyn VoicePipeline> + Send + Sync>;

/// Something that happened.
#[derive(Debug, Clone)]
pub enum AgentEvent {
    /// The registrar accepted our binding.
    Registered {
        /// Granted expiry, seconds.
        expires: u32,
        /// Our contact as bound.
        contact: String,
    },
    /// Registration failed (retrying or for good).
    RegistrationFailed(String),
    /// A call came in and was admitted.
    Incoming {
        /// The call.
        call: CallKey,
        /// The caller.
        from: String,
        /// The transport the INVITE arrived on.
        transport: heron_sip_stack::TransportKind,
        /// The address it came from (the PBX, or the caller).
        source: SocketAddr,
    },
    /// An inbound call was refused by policy or negotiation.
    InboundRefused {
        /// The caller.
        from: String,
        /// The status sent.
        status: u16,
        /// Why.
        reason: String,
    },
    /// Media flows.
    Established {
        /// The call.
        call: CallKey,
        /// Codec, SRTP, frame size.
        info: MediaInfo,
    },
    /// Early media flows on an outgoing call: a provisional response
    /// (183 Session Progress) carried SDP; ringback or announcements reach
    /// the pipeline. [`AgentEvent::Established`] follows on the answer,
    /// with media switched to the answer's SDP when it differs.
    EarlyMedia {
        /// The call.
        call: CallKey,
        /// Codec, SRTP, frame size.
        info: MediaInfo,
    },
    /// A key press reached the pipeline.
    Dtmf {
        /// The call.
        call: CallKey,
        /// The press.
        press: DtmfPress,
    },
    /// The media direction changed after an offer/answer (hold/resume by
    /// either side).
    MediaChanged {
        /// The call.
        call: CallKey,
        /// Whether we send audio now.
        sending: bool,
        /// Whether we receive audio now.
        receiving: bool,
    },
    /// Progress of a transfer we asked for.
    TransferProgress {
        /// The call being transferred.
        call: CallKey,
        /// The sipfrag status.
        status: u16,
        /// Final.
        done: bool,
    },
    /// The peer asked us to call someone else, and we did.
    Transferred {
        /// The call that carried the REFER.
        call: CallKey,
        /// The new call.
        new_call: CallKey,
        /// Where to.
        target: String,
    },
    /// A call or transfer we were asked to make was refused locally.
    Refused {
        /// The destination.
        destination: String,
        /// Why.
        reason: Refusal,
    },
    /// A call ended.
    Ended {
        /// The call.
        call: CallKey,
        /// Why.
        reason: String,
        /// Media statistics, when media ran.
        summary: Option<CallSummary>,
    },
}

/// Why a command failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The policy refused it; nothing was sent.
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    /// The SIP layer refused it.
    #[error("SIP: {0}")]
    Sip(String),
    /// Media could not be set up.
    #[error("media: {0}")]
    Media(String),
    /// The configuration does not allow it.
    #[error("not allowed: {0}")]
    NotAllowed(String),
    /// No such call.
    #[error("no such call")]
    UnknownCall,
    /// The agent has stopped.
    #[error("the agent has stopped")]
    Stopped,
}

/// How to start an agent beyond its configuration.
#[derive(Clone, Default)]
pub struct StartOptions {
    /// Name in logs and the ladder.
    pub name: String,
    /// TLS material that does not come from files (the demo's).
    pub tls: TlsOverride,
    /// Listen for TLS connections (needs an identity).
    pub listen_tls: bool,
    /// Collect a SIP ladder here.
    pub ladder: Option<Ladder>,
    /// The address for media (default: the SIP listener's, or loopback).
    pub media_ip: Option<IpAddr>,
}

impl std::fmt::Debug for StartOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartOptions")
            .field("name", &self.name)
            .field("listen_tls", &self.listen_tls)
            .finish_non_exhaustive()
    }
}

pub(crate) enum Command {
    AnswerNow(CallKey),
    Call(String, oneshot::Sender<Result<CallKey, CallError>>),
    Hangup(CallKey, oneshot::Sender<Result<(), CallError>>),
    Hold(CallKey, bool, oneshot::Sender<Result<(), CallError>>),
    Transfer(CallKey, String, oneshot::Sender<Result<(), CallError>>),
    TransferAttended(CallKey, CallKey, oneshot::Sender<Result<(), CallError>>),
    SendDtmf(CallKey, char, oneshot::Sender<Result<(), CallError>>),
}

/// A running agent; dropping it stops the controller.
#[derive(Debug, Clone)]
pub struct Agent {
    tx: mpsc::UnboundedSender<Command>,
    sip_addr: SocketAddr,
}

impl Agent {
    /// Starts the agent: binds, registers if `account.register`, and serves
    /// calls with pipelines from `factory`.
    pub async fn start(
        cfg: AgentConfig,
        opts: StartOptions,
        factory: PipelineFactory,
    ) -> Result<(Agent, mpsc::UnboundedReceiver<AgentEvent>), SetupError> {
        let stack_cfg = setup::stack_config(&cfg, &opts.tls, opts.listen_tls)?;
        let (stack, ep_events) = Stack::start(stack_cfg).await?;
        if cfg.log.sip_trace {
            let observer = trace::observer(opts.name.clone());
            stack.with_endpoint(|ep, _| ep.set_observer(Some(Box::new(observer))));
        }
        let kind = setup::transport_kind(cfg.sip.transport);
        let sip_addr = stack
            .local_addr(kind)
            .or_else(|| stack.local_addr(heron_sip_stack::TransportKind::Udp))
            .unwrap_or(cfg.sip.listen);
        let proxy = if cfg.account.register || cfg.sip.outbound_proxy.is_some() {
            Some(setup::resolve_next_hop(&cfg).await?)
        } else {
            None
        };
        let ua = Ua::new(
            setup::ua_config(&cfg, proxy.clone()),
            StdRng::from_entropy(),
        );
        let media_ip = opts.media_ip.or(cfg.media.address).unwrap_or_else(|| {
            if sip_addr.ip().is_unspecified() {
                IpAddr::from([127, 0, 0, 1])
            } else {
                sip_addr.ip()
            }
        });
        if let Some(l) = &opts.ladder {
            l.name(sip_addr, &opts.name);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let policy = CallPolicy::new(cfg.policy.clone());
        // One certificate per process for DTLS-SRTP (its fingerprint goes
        // into every SDP).
        let dtls = if cfg.media.srtp == crate::config::SrtpMode::Dtls || cfg.media.srtp_fallback {
            Some(
                heron_rtp::dtls::DtlsIdentity::generate()
                    .map_err(|e| SetupError::Dtls(e.to_string()))?,
            )
        } else {
            None
        };
        let mut ctl = controller::Controller::new(controller::Parts {
            name: opts.name.clone(),
            cfg: Arc::new(cfg),
            stack,
            ua,
            policy,
            factory,
            events: ev_tx,
            ladder: opts.ladder.clone(),
            media_ip,
            dtls,
            cmd_tx: tx.clone(),
        });
        if ctl.cfg.account.register {
            if let Some(target) = proxy {
                ctl.register(target);
            }
        }
        tokio::spawn(ctl.run(ep_events, rx));
        Ok((Agent { tx, sip_addr }, ev_rx))
    }

    /// Our SIP listener's address.
    pub fn sip_addr(&self) -> SocketAddr {
        self.sip_addr
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, CallError>>) -> Command,
    ) -> Result<T, CallError> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(make(tx)).map_err(|_| CallError::Stopped)?;
        rx.await.map_err(|_| CallError::Stopped)?
    }

    /// Places a call after the policy allowed it.
    pub async fn call(&self, destination: &str) -> Result<CallKey, CallError> {
        let d = destination.to_owned();
        self.ask(|r| Command::Call(d, r)).await
    }

    /// Hangs up (or cancels, or rejects) a call.
    pub async fn hangup(&self, call: CallKey) -> Result<(), CallError> {
        self.ask(|r| Command::Hangup(call, r)).await
    }

    /// Puts the peer on hold (re-INVITE with `call.hold`'s direction).
    pub async fn hold(&self, call: CallKey) -> Result<(), CallError> {
        self.ask(|r| Command::Hold(call, true, r)).await
    }

    /// Takes the peer off hold.
    pub async fn resume(&self, call: CallKey) -> Result<(), CallError> {
        self.ask(|r| Command::Hold(call, false, r)).await
    }

    /// Blind transfer (REFER) after the policy allowed the target.
    pub async fn transfer(&self, call: CallKey, target: &str) -> Result<(), CallError> {
        let t = target.to_owned();
        self.ask(|r| Command::Transfer(call, t, r)).await
    }

    /// Attended transfer: connects the peer of `call` with the peer of
    /// `consult` (REFER with Replaces, RFC 3891), both calls ours.
    pub async fn transfer_attended(
        &self,
        call: CallKey,
        consult: CallKey,
    ) -> Result<(), CallError> {
        self.ask(|r| Command::TransferAttended(call, consult, r))
            .await
    }

    /// Sends a key press the configured way.
    pub async fn send_dtmf(&self, call: CallKey, digit: char) -> Result<(), CallError> {
        self.ask(|r| Command::SendDtmf(call, digit, r)).await
    }
}
