//! The controller task: owns the user agent, applies the policy, runs
//! offer/answer per call and starts and steers the media tasks.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use heron_sdp::{LocalCapabilities, Negotiator, SessionDescription};
use heron_sip::Message;
use heron_sip_stack::driver::Stack;
use heron_sip_stack::registration::RegistrationState;
use heron_sip_stack::ua::{CallKey, OutgoingCall, Ua, UaEvent};
use heron_sip_stack::{Endpoint, Event, Target};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::{mpsc, oneshot};

mod media;

use super::media_task::{self, MediaCmd, MediaOut};
use super::{setup, AgentEvent, CallError, Command, Ladder, PipelineFactory};
use crate::config::{AgentConfig, DtmfMode};
use crate::media::{CallEvent, PipelineAction};
use crate::policy::{CallPolicy, Destination, WallTime};
use media::Running;

pub(crate) struct Parts {
    pub name: String,
    pub cfg: Arc<AgentConfig>,
    pub stack: Stack,
    pub ua: Ua,
    pub policy: CallPolicy,
    pub factory: PipelineFactory,
    pub events: mpsc::UnboundedSender<AgentEvent>,
    pub ladder: Option<Ladder>,
    pub media_ip: IpAddr,
    pub dtls: Option<heron_rtp::dtls::DtlsIdentity>,
    pub cmd_tx: mpsc::UnboundedSender<Command>,
}

struct CallState {
    neg: Negotiator,
    sockets: Option<(std::net::UdpSocket, Option<std::net::UdpSocket>)>,
    media: Option<mpsc::UnboundedSender<MediaCmd>>,
    peer: Peer,
    counted: bool,
    /// The 200's SDP (and media to start) while `call.answer_delay` runs.
    pending_answer: Option<(Bytes, Option<heron_sdp::NegotiatedMedia>)>,
    /// The `call.max_duration` timer is running.
    limited: bool,
    /// Outgoing: the SDP of a provisional response and the media started
    /// from it (early media); the final answer confirms or replaces it.
    early: Option<(Bytes, heron_sdp::NegotiatedMedia)>,
    /// What the running media task was built from.
    running: Option<Running>,
}

/// Who a call is with, for the pipeline factory.
#[derive(Debug, Clone)]
struct Peer {
    inbound: bool,
    remote: String,
    called: String,
}

pub(crate) struct Controller {
    name: String,
    pub(crate) cfg: Arc<AgentConfig>,
    stack: Stack,
    ua: Ua,
    policy: CallPolicy,
    factory: PipelineFactory,
    events: mpsc::UnboundedSender<AgentEvent>,
    ladder: Option<Ladder>,
    media_ip: IpAddr,
    dtls: Option<heron_rtp::dtls::DtlsIdentity>,
    cmd_tx: mpsc::UnboundedSender<Command>,
    rng: StdRng,
    calls: HashMap<CallKey, CallState>,
    media_tx: mpsc::UnboundedSender<MediaOut>,
    media_rx: Option<mpsc::UnboundedReceiver<MediaOut>>,
}

fn sdp_of(bytes: &Bytes) -> Option<SessionDescription> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

impl Controller {
    pub(crate) fn new(p: Parts) -> Self {
        let (media_tx, media_rx) = mpsc::unbounded_channel();
        Controller {
            name: p.name,
            cfg: p.cfg,
            stack: p.stack,
            ua: p.ua,
            policy: p.policy,
            factory: p.factory,
            events: p.events,
            ladder: p.ladder,
            media_ip: p.media_ip,
            dtls: p.dtls,
            cmd_tx: p.cmd_tx,
            rng: StdRng::from_entropy(),
            calls: HashMap::new(),
            media_tx,
            media_rx: Some(media_rx),
        }
    }

    fn with<R>(&mut self, f: impl FnOnce(&mut Ua, &mut Endpoint, Instant) -> R) -> R {
        let ua = &mut self.ua;
        self.stack.with_endpoint(|ep, now| f(ua, ep, now))
    }

    fn emit(&self, e: AgentEvent) {
        let _ = self.events.send(e);
    }

    fn wall_now(&self) -> WallTime {
        WallTime::from_zoned(&jiff::Timestamp::now().to_zoned(self.cfg.policy_timezone.clone()))
    }

    pub(crate) fn register(&mut self, target: Target) {
        let rc = setup::registration_config(&self.cfg);
        if let Err(e) = self.with(|ua, ep, now| ua.register(ep, now, rc, target)) {
            self.emit(AgentEvent::RegistrationFailed(e.to_string()));
        }
    }

    pub(crate) async fn run(
        mut self,
        mut ep_events: mpsc::UnboundedReceiver<Event>,
        mut cmds: mpsc::UnboundedReceiver<Command>,
    ) {
        let mut media_rx = self
            .media_rx
            .take()
            .unwrap_or_else(|| mpsc::unbounded_channel().1);
        self.drain_ua().await;
        loop {
            let deadline = self.ua.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                e = ep_events.recv() => {
                    let Some(e) = e else { break };
                    self.on_endpoint_event(e);
                    while let Ok(e) = ep_events.try_recv() {
                        self.on_endpoint_event(e);
                    }
                }
                _ = sleep => {
                    self.with(|ua, ep, now| ua.handle_timeout(ep, now));
                }
                c = cmds.recv() => {
                    let Some(c) = c else { break };
                    self.on_command(c);
                }
                m = media_rx.recv() => {
                    if let Some(m) = m {
                        self.on_media(m);
                    }
                }
            }
            self.drain_ua().await;
        }
        // Stopped: hang up what is left.
        let keys: Vec<CallKey> = self.calls.keys().copied().collect();
        for k in keys {
            let _ = self.with(|ua, ep, now| ua.hangup(ep, now, k));
        }
    }

    fn on_endpoint_event(&mut self, e: Event) {
        let now = Instant::now();
        let (msg, source) = match &e {
            Event::Request {
                request, source, ..
            }
            | Event::Ack { request, source } => (Some(request), Some(source)),
            Event::Response {
                response, source, ..
            } => (Some(response), Some(source)),
            _ => (None, None),
        };
        if let (Some(l), Some(m), Some(s)) = (&self.ladder, msg, source) {
            l.record(
                now,
                &l.sender_of(m, &self.name, s.remote),
                &self.name,
                super::label(m),
            );
        }
        if let Event::Request {
            key,
            request,
            source,
        } = &e
        {
            if !self.policy.source_allowed(source.remote.ip()) {
                tracing::warn!(source = %source.remote, "request from a source outside policy.allowed_sources: 403");
                let resp = Message::response_to(request, 403, None);
                let key = *key;
                self.stack.with_endpoint(|ep, now| {
                    let _ = ep.send_response(now, key, resp);
                });
                return;
            }
        }
        self.with(|ua, ep, now| ua.handle_event(ep, now, e));
    }

    fn caps(&self, port: u16) -> LocalCapabilities {
        let m = &self.cfg.media;
        let mut c = LocalCapabilities::new(self.media_ip, port);
        c.codecs = m.codecs.clone();
        c.ptime = m.ptime;
        c.srtp = m.srtp_policy();
        c.crypto_suites = m.srtp_suites.clone();
        c.telephone_event = m.dtmf.contains(&DtmfMode::Rfc4733);
        c.rtcp_mux = m.rtcp_mux;
        c.dtls_fingerprint = self
            .dtls
            .as_ref()
            .and_then(|d| crate::media::bridge::sdp_fingerprint(d.fingerprint()));
        c
    }

    /// Binds media sockets and makes a negotiator for a new call.
    fn prepare(&mut self, peer: Peer, counted: bool) -> Result<CallState, CallError> {
        // The RTCP port is held even when we offer rtcp-mux: a peer that
        // declines it (Asterisk's default) sends RTCP, and runs the RTCP
        // port's DTLS handshake, to the port above ours (RFC 5761 §5.1.1).
        let (rtp, rtcp) = media_task::bind_media(self.media_ip, self.cfg.media.rtp_ports, false)
            .map_err(|e| CallError::Media(e.to_string()))?;
        let port = rtp
            .local_addr()
            .map_err(|e| CallError::Media(e.to_string()))?
            .port();
        let neg = Negotiator::new(self.caps(port), &mut self.rng);
        Ok(CallState {
            neg,
            sockets: Some((rtp, rtcp)),
            media: None,
            peer,
            counted,
            pending_answer: None,
            limited: false,
            early: None,
            running: None,
        })
    }

    /// The Request-URI for a dialled destination.
    fn request_uri(&self, dialled: &str, dest: &Destination) -> String {
        let domain = &self.cfg.account.domain;
        let scheme = if self.cfg.sip.registrar.secure {
            "sips"
        } else {
            "sip"
        };
        match dest {
            Destination::Number {
                dialled: digits,
                e164,
            } => match (self.cfg.identity.e164, e164) {
                (true, Some(e)) => format!("{scheme}:{}@{domain};user=phone", e.as_str()),
                _ => format!("{scheme}:{digits}@{domain}"),
            },
            _ => dialled
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned(),
        }
    }

    fn place_call(&mut self, dialled: &str) -> Result<CallKey, CallError> {
        let permit = match self
            .policy
            .admit_outbound(dialled, Instant::now(), self.wall_now())
        {
            Ok(p) => p,
            Err(r) => {
                tracing::warn!(agent = %self.name, destination = %dialled, reason = %r, "outbound call refused by policy; nothing sent");
                self.emit(AgentEvent::Refused {
                    destination: dialled.to_owned(),
                    reason: r.clone(),
                });
                return Err(r.into());
            }
        };
        let uri = self.request_uri(dialled, &permit.destination);
        let peer = Peer {
            inbound: false,
            remote: uri.clone(),
            called: String::new(),
        };
        let r = self.prepare(peer, true).and_then(|mut state| {
            let offer = state
                .neg
                .create_offer(&mut self.rng)
                .map_err(|e| CallError::Media(e.to_string()))?;
            let req = OutgoingCall::new(uri.clone(), Some(Bytes::from(offer.to_string())));
            let key = self
                .with(|ua, ep, now| ua.call_with(ep, now, req))
                .map_err(|e| CallError::Sip(e.to_string()))?;
            self.calls.insert(key, state);
            Ok(key)
        });
        if r.is_err() {
            self.policy.call_ended();
        }
        r
    }

    fn transfer(&mut self, call: CallKey, target: &str) -> Result<(), CallError> {
        if !self.calls.contains_key(&call) {
            return Err(CallError::UnknownCall);
        }
        if self.cfg.call.transfer == crate::config::TransferMode::Off {
            return Err(CallError::NotAllowed(
                "transfers are off (call.transfer)".into(),
            ));
        }
        let dest = match self.policy.check_destination(target) {
            Ok(d) => d,
            Err(r) => {
                self.emit(AgentEvent::Refused {
                    destination: target.to_owned(),
                    reason: r.clone(),
                });
                return Err(r.into());
            }
        };
        let uri = self.request_uri(target, &dest);
        self.with(|ua, ep, now| ua.transfer(ep, now, call, &uri, None))
            .map_err(|e| CallError::Sip(e.to_string()))
    }

    fn transfer_attended(&mut self, call: CallKey, consult: CallKey) -> Result<(), CallError> {
        if !self.calls.contains_key(&call) {
            return Err(CallError::UnknownCall);
        }
        let target = self
            .calls
            .get(&consult)
            .map(|s| s.peer.remote.clone())
            .ok_or(CallError::UnknownCall)?;
        if self.cfg.call.transfer != crate::config::TransferMode::Both {
            return Err(CallError::NotAllowed(
                "attended transfers are off (call.transfer)".into(),
            ));
        }
        // The consultation call passed the policy when it was placed or
        // answered; the target is the same party.
        self.with(|ua, ep, now| ua.transfer(ep, now, call, &target, Some(consult)))
            .map_err(|e| CallError::Sip(e.to_string()))
    }

    fn hold(&mut self, call: CallKey, hold: bool) -> Result<(), CallError> {
        let mode = self.cfg.call.hold;
        let state = self.calls.get_mut(&call).ok_or(CallError::UnknownCall)?;
        let offer = if hold {
            state.neg.hold(mode, &mut self.rng)
        } else {
            state.neg.resume(&mut self.rng)
        }
        .map_err(|e| CallError::Media(e.to_string()))?;
        let sdp = Bytes::from(offer.to_string());
        let r = self.with(|ua, ep, now| ua.reinvite(ep, now, call, sdp));
        if let Err(e) = r {
            if let Some(s) = self.calls.get_mut(&call) {
                s.neg.cancel_offer();
            }
            return Err(CallError::Sip(e.to_string()));
        }
        Ok(())
    }

    fn on_command(&mut self, c: Command) {
        match c {
            Command::AnswerNow(call) => {
                if let Some((body, media)) = self
                    .calls
                    .get_mut(&call)
                    .and_then(|s| s.pending_answer.take())
                {
                    self.answer(call, body, media);
                }
            }
            Command::Call(d, reply) => {
                let _ = reply.send(self.place_call(&d));
            }
            Command::Hangup(call, reply) => {
                let r = self
                    .with(|ua, ep, now| ua.hangup(ep, now, call))
                    .map_err(|e| CallError::Sip(e.to_string()));
                let _ = reply.send(r);
            }
            Command::Hold(call, hold, reply) => {
                let _ = reply.send(self.hold(call, hold));
            }
            Command::Transfer(call, target, reply) => {
                let _ = reply.send(self.transfer(call, &target));
            }
            Command::TransferAttended(call, consult, reply) => {
                let _ = reply.send(self.transfer_attended(call, consult));
            }
            Command::SendDtmf(call, digit, reply) => {
                let r = match self.calls.get(&call).and_then(|s| s.media.as_ref()) {
                    Some(tx) => tx
                        .send(MediaCmd::SendDtmf(digit))
                        .map_err(|_| CallError::Media("media ended".into())),
                    None => Err(CallError::UnknownCall),
                };
                let _ = reply.send(r);
            }
        }
    }

    fn on_media(&mut self, m: MediaOut) {
        match m {
            MediaOut::Dtmf(call, press) => self.emit(AgentEvent::Dtmf { call, press }),
            MediaOut::Failed(call, reason) => {
                tracing::warn!(agent = %self.name, %call, %reason, "media failed; hanging up");
                let _ = self.with(|ua, ep, now| ua.hangup(ep, now, call));
            }
            MediaOut::SendInfo(call, digit) => {
                if let Err(e) = self.with(|ua, ep, now| ua.send_dtmf(ep, now, call, digit, 160)) {
                    tracing::warn!(%call, error = %e, "INFO DTMF not sent");
                }
            }
            MediaOut::Action(call, action) => {
                let result = match action {
                    PipelineAction::Transfer(t) => self.transfer(call, &t).err(),
                    PipelineAction::Call(d) => self.place_call(&d).err(),
                    PipelineAction::Hold => self.hold(call, true).err(),
                    PipelineAction::Resume => self.hold(call, false).err(),
                    PipelineAction::Hangup => self
                        .with(|ua, ep, now| ua.hangup(ep, now, call))
                        .err()
                        .map(|e| CallError::Sip(e.to_string())),
                    PipelineAction::SendDtmf(_) => None,
                };
                if let Some(e) = result {
                    self.tell(call, CallEvent::Refused(e.to_string()));
                }
            }
        }
    }

    fn tell(&self, call: CallKey, e: CallEvent) {
        if let Some(tx) = self.calls.get(&call).and_then(|s| s.media.as_ref()) {
            let _ = tx.send(MediaCmd::Event(e));
        }
    }

    async fn drain_ua(&mut self) {
        while let Some(e) = self.ua.poll_event() {
            self.on_ua_event(e).await;
        }
    }

    async fn on_ua_event(&mut self, e: UaEvent) {
        match e {
            UaEvent::Registration { state, .. } => match state {
                RegistrationState::Registered { expires, contact } => {
                    tracing::info!(agent = %self.name, expires, %contact, "registered");
                    self.emit(AgentEvent::Registered { expires, contact });
                }
                RegistrationState::Retrying { failure, after } => {
                    self.emit(AgentEvent::RegistrationFailed(format!(
                        "{failure:?}; retrying in {after:?}"
                    )));
                }
                RegistrationState::Failed(f) => {
                    self.emit(AgentEvent::RegistrationFailed(format!("{f:?}")))
                }
                _ => {}
            },
            UaEvent::IncomingCall { call, info } => self.incoming(call, *info),
            UaEvent::Progress {
                call,
                code,
                sdp: Some(sdp),
            } => self.early_media(call, code, sdp),
            UaEvent::Answered { call, sdp } => {
                // No SDP in the 2xx: the answer was the early one (a
                // reliable provisional's, RFC 3262).
                let early = self
                    .calls
                    .get(&call)
                    .and_then(|s| s.early.as_ref().map(|e| e.0.clone()));
                let sdp = sdp.or(early);
                let media = match (self.calls.get_mut(&call), sdp.as_ref().and_then(sdp_of)) {
                    (Some(s), Some(answer)) => s.neg.receive_answer(&answer).ok().cloned(),
                    _ => None,
                };
                match media {
                    Some(m) => self.start_media(call, m),
                    None => {
                        tracing::warn!(%call, "the answer is missing or unusable; hanging up");
                        let _ = self.with(|ua, ep, now| ua.hangup(ep, now, call));
                    }
                }
            }
            UaEvent::Confirmed {
                call,
                sdp: Some(sdp),
            } => {
                let media = self.calls.get_mut(&call).and_then(|s| {
                    sdp_of(&sdp).and_then(|a| s.neg.receive_answer(&a).ok().cloned())
                });
                if let Some(m) = media {
                    self.start_media(call, m);
                }
            }
            UaEvent::OfferReceived { call, sdp, .. } => self.offer_received(call, sdp),
            UaEvent::MediaUpdate { call, sdp } => {
                let media = self.calls.get_mut(&call).and_then(|s| {
                    sdp_of(&sdp).and_then(|a| s.neg.receive_answer(&a).ok().cloned())
                });
                if let Some(m) = media {
                    self.media_changed(call, &m);
                    self.start_media(call, m);
                }
            }
            UaEvent::Dtmf {
                call,
                digit,
                duration_ms,
            } => {
                if let Some(tx) = self.calls.get(&call).and_then(|s| s.media.as_ref()) {
                    let d = Duration::from_millis(u64::from(duration_ms.unwrap_or(160)));
                    let _ = tx.send(MediaCmd::InfoDtmf(digit, d));
                }
            }
            UaEvent::TransferRequested { call, target, .. } => {
                self.transfer_requested(call, target)
            }
            UaEvent::TransferProgress { call, status, done } => {
                if done {
                    self.tell(
                        call,
                        CallEvent::TransferResult((200..300).contains(&status)),
                    );
                }
                self.emit(AgentEvent::TransferProgress { call, status, done });
            }
            UaEvent::Terminated { call, reason } => {
                let summary = match self.calls.remove(&call) {
                    Some(state) => {
                        if state.counted {
                            self.policy.call_ended();
                        }
                        match state.media {
                            Some(tx) => {
                                let (rtx, rrx) = oneshot::channel();
                                let _ = tx.send(MediaCmd::Close(rtx));
                                rrx.await.ok()
                            }
                            None => None,
                        }
                    }
                    None => None,
                };
                if let Some(s) = &summary {
                    tracing::info!(agent = %self.name, %call, reason = ?reason, summary = %s, "call ended");
                }
                self.emit(AgentEvent::Ended {
                    call,
                    reason: format!("{reason:?}"),
                    summary,
                });
            }
            _ => {}
        }
    }

    fn incoming(&mut self, call: CallKey, info: heron_sip_stack::ua::IncomingCall) {
        let from = info.from.uri.clone();
        // Requests from outside `policy.allowed_sources` were answered 403
        // before the user agent saw them; the call's own source is checked
        // again here, where the decision is made.
        if !self.policy.source_allowed(info.source.remote.ip()) {
            tracing::warn!(agent = %self.name, source = %info.source.remote, "call from a source outside policy.allowed_sources: 403");
            let _ = self.with(|ua, ep, now| ua.reject(ep, now, call, 403));
            self.emit(AgentEvent::InboundRefused {
                from,
                status: 403,
                reason: format!("source {} is not allowed", info.source.remote),
            });
            return;
        }
        if let Err(r) = self.policy.admit_inbound_counted(self.wall_now()) {
            let status = r.sip_status(self.cfg.policy.busy_status);
            tracing::warn!(agent = %self.name, %from, %status, reason = %r, "inbound call refused");
            let _ = self.with(|ua, ep, now| ua.reject(ep, now, call, status));
            self.emit(AgentEvent::InboundRefused {
                from,
                status,
                reason: r.to_string(),
            });
            return;
        }
        let called = heron_sip::Uri::parse(&info.request_uri)
            .ok()
            .and_then(|u| u.as_sip().and_then(|s| s.user.map(str::to_owned)))
            .unwrap_or_default();
        let peer = Peer {
            inbound: true,
            remote: from.clone(),
            called,
        };
        let mut state = match self.prepare(peer, true) {
            Ok(s) => s,
            Err(e) => {
                self.policy.call_ended();
                tracing::warn!(error = %e, "no media port: 503");
                let _ = self.with(|ua, ep, now| ua.reject(ep, now, call, 503));
                return;
            }
        };
        let (sdp, media) = match info.offer.as_ref() {
            Some(offer) => {
                match sdp_of(offer).map(|o| state.neg.receive_offer(&o, &mut self.rng)) {
                    Some(Ok(a)) => (a.sdp, Some(a.media)),
                    Some(Err(e)) => {
                        self.policy.call_ended();
                        tracing::warn!(agent = %self.name, %from, error = %e, "offer not acceptable: 488");
                        let _ = self.with(|ua, ep, now| ua.reject(ep, now, call, 488));
                        self.emit(AgentEvent::InboundRefused {
                            from,
                            status: 488,
                            reason: e.to_string(),
                        });
                        return;
                    }
                    None => {
                        self.policy.call_ended();
                        let _ = self.with(|ua, ep, now| ua.reject(ep, now, call, 400));
                        return;
                    }
                }
            }
            // Delayed offer: we offer in the 200, the answer comes in the ACK.
            None => match state.neg.create_offer(&mut self.rng) {
                Ok(o) => (o, None),
                Err(_) => {
                    self.policy.call_ended();
                    let _ = self.with(|ua, ep, now| ua.reject(ep, now, call, 488));
                    return;
                }
            },
        };
        self.calls.insert(call, state);
        self.emit(AgentEvent::Incoming {
            call,
            from,
            transport: info.source.transport,
            source: info.source.remote,
        });
        let body = Bytes::from(sdp.to_string());
        let delay = self.cfg.call.answer_delay;
        if delay.is_zero() {
            self.answer(call, body, media);
            return;
        }
        // Ring first (with early media when configured), answer later.
        let early = self.cfg.call.early_media && media.is_some();
        let ring_sdp = early.then(|| body.clone());
        if let Err(e) = self.with(|ua, ep, now| ua.ring(ep, now, call, ring_sdp)) {
            tracing::warn!(%call, error = %e, "ringing failed");
            return;
        }
        let later = if early {
            if let Some(m) = media {
                self.start_media(call, m);
            }
            None
        } else {
            media
        };
        if let Some(state) = self.calls.get_mut(&call) {
            state.pending_answer = Some((body, later));
        }
        self.schedule(delay, Command::AnswerNow(call));
    }

    /// Sends the 200 and starts media (when not started as early media).
    fn answer(&mut self, call: CallKey, body: Bytes, media: Option<heron_sdp::NegotiatedMedia>) {
        if let Err(e) = self.with(|ua, ep, now| ua.answer(ep, now, call, Some(body))) {
            tracing::warn!(%call, error = %e, "answer failed");
            return;
        }
        if let Some(m) = media {
            self.start_media(call, m);
        }
    }

    /// Sends `cmd` to ourselves after `after`.
    fn schedule(&self, after: Duration, cmd: Command) {
        let tx = self.cmd_tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = tx.send(cmd);
        });
    }

    fn offer_received(&mut self, call: CallKey, sdp: Option<Bytes>) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let result = match sdp.as_ref() {
            Some(b) => match sdp_of(b) {
                Some(offer) => state
                    .neg
                    .receive_offer(&offer, &mut self.rng)
                    .map(|a| (a.sdp, Some(a.media))),
                None => {
                    let _ = self.with(|ua, ep, now| ua.reject_offer(ep, now, call, 400));
                    return;
                }
            },
            None => state.neg.create_offer(&mut self.rng).map(|o| (o, None)),
        };
        match result {
            Ok((answer, media)) => {
                let body = Bytes::from(answer.to_string());
                if let Err(e) = self.with(|ua, ep, now| ua.respond_offer(ep, now, call, body)) {
                    tracing::warn!(%call, error = %e, "re-offer answer failed");
                    return;
                }
                if let Some(m) = media {
                    self.media_changed(call, &m);
                    let held = !m.direction.receives() || !m.should_send();
                    self.tell(
                        call,
                        if held {
                            CallEvent::HeldByPeer
                        } else {
                            CallEvent::ResumedByPeer
                        },
                    );
                    self.start_media(call, m);
                }
            }
            Err(e) => {
                tracing::warn!(%call, error = %e, "re-offer not acceptable: 488");
                let _ = self.with(|ua, ep, now| ua.reject_offer(ep, now, call, 488));
            }
        }
    }

    fn transfer_requested(&mut self, call: CallKey, target: String) {
        let wall = self.wall_now();
        let refusal = self
            .policy
            .admit_outbound(&target, Instant::now(), wall)
            .err();
        if let Some(r) = refusal {
            tracing::warn!(agent = %self.name, %target, reason = %r, "transfer target refused by policy; no INVITE sent");
            let _ = self.with(|ua, ep, now| ua.reject_transfer(ep, now, call, 403));
            self.emit(AgentEvent::Refused {
                destination: target,
                reason: r,
            });
            return;
        }
        let peer = Peer {
            inbound: false,
            remote: target.clone(),
            called: String::new(),
        };
        let mut state = match self.prepare(peer, true) {
            Ok(s) => s,
            Err(_) => {
                self.policy.call_ended();
                let _ = self.with(|ua, ep, now| ua.reject_transfer(ep, now, call, 503));
                return;
            }
        };
        let offer = match state.neg.create_offer(&mut self.rng) {
            Ok(o) => Bytes::from(o.to_string()),
            Err(_) => {
                self.policy.call_ended();
                let _ = self.with(|ua, ep, now| ua.reject_transfer(ep, now, call, 488));
                return;
            }
        };
        match self.with(|ua, ep, now| ua.accept_transfer(ep, now, call, Some(offer))) {
            Ok(new_call) => {
                self.calls.insert(new_call, state);
                self.emit(AgentEvent::Transferred {
                    call,
                    new_call,
                    target,
                });
            }
            Err(e) => {
                self.policy.call_ended();
                tracing::warn!(%call, error = %e, "transfer could not start");
            }
        }
    }
}
