//! A call's media as the controller steers it: starting the media task,
//! early media from provisional responses, and the move to the final
//! answer (an update, or a new pump on the same sockets).

use bytes::Bytes;
use heron_sip_stack::ua::CallKey;
use tokio::sync::oneshot;

use super::{sdp_of, Controller};
use crate::media::{MediaInfo, PumpConfig};
use crate::runtime::media_task::{self, MediaCmd, MediaStart};
use crate::runtime::{AgentEvent, CallContext, Command};

/// The media a call's task runs, and how to build a replacement pump.
pub(super) struct Running {
    media: heron_sdp::NegotiatedMedia,
    info: MediaInfo,
    pump: PumpConfig,
    rate: u32,
    /// Started as early media and not confirmed by a final answer yet.
    early: bool,
}

/// Whether `new` changes the stream beyond direction (what a pump update
/// covers): the peer's address, the codecs, packet time or keying.
fn needs_new_pump(old: &heron_sdp::NegotiatedMedia, new: &heron_sdp::NegotiatedMedia) -> bool {
    old.remote_address != new.remote_address
        || old.remote_port != new.remote_port
        || old.remote_rtcp != new.remote_rtcp
        || old.codec != new.codec
        || old.receive_codecs != new.receive_codecs
        || old.telephone_event != new.telephone_event
        || old.ptime != new.ptime
        || old.security != new.security
}

impl Controller {
    pub(super) fn start_media(&mut self, call: CallKey, media: heron_sdp::NegotiatedMedia) {
        self.start_media_as(call, media, false);
    }

    /// Starts media for `call`, or moves the running media to `media`:
    /// an update for a direction change, a new pump on the same sockets
    /// when early media gives way to a different final answer. `early`
    /// media (from a provisional response) is reported as
    /// [`AgentEvent::EarlyMedia`], the final answer's as
    /// [`AgentEvent::Established`].
    pub(super) fn start_media_as(
        &mut self,
        call: CallKey,
        media: heron_sdp::NegotiatedMedia,
        early: bool,
    ) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        if let Some(tx) = &state.media {
            let Some(run) = state.running.as_mut() else {
                let _ = tx.send(MediaCmd::Update(Box::new(media)));
                return;
            };
            let confirming = run.early;
            run.early = early;
            if run.early || confirming {
                if needs_new_pump(&run.media, &media) {
                    match media_task::new_pump(&media, &run.pump, run.rate) {
                        Ok(pump) => {
                            run.info = pump.media_info().clone();
                            let _ = tx.send(MediaCmd::Replace(Box::new(pump)));
                            tracing::info!(agent = %self.name, %call, codec = %run.info.codec, "media switched to the new answer");
                        }
                        Err(e) => {
                            tracing::warn!(agent = %self.name, %call, error = %e, "the answer's media cannot be used; hanging up");
                            let _ = self.with(|ua, ep, now| ua.hangup(ep, now, call));
                            return;
                        }
                    }
                } else if run.media != media {
                    let _ = tx.send(MediaCmd::Update(Box::new(media.clone())));
                }
                run.media = media;
                let info = run.info.clone();
                self.emit(if early {
                    AgentEvent::EarlyMedia { call, info }
                } else {
                    AgentEvent::Established { call, info }
                });
                return;
            }
            run.media = media.clone();
            let _ = tx.send(MediaCmd::Update(Box::new(media)));
            return;
        }
        let Some((rtp, rtcp)) = state.sockets.take() else {
            return;
        };
        let local_addr = match rtp.local_addr() {
            Ok(a) => a,
            Err(_) => return,
        };
        let pipeline = (self.factory)(&CallContext {
            call,
            inbound: state.peer.inbound,
            remote: state.peer.remote.clone(),
            called: state.peer.called.clone(),
        });
        let rate = pipeline.sample_rate();
        let pump = PumpConfig {
            local_addr,
            dtmf: self.cfg.media.dtmf.clone(),
            symmetric_rtp: self.cfg.media.symmetric_rtp,
            dtls: self.dtls.clone(),
            dtls_backend: self.cfg.media.dtls_backend,
        };
        let start = MediaStart {
            call,
            media: media.clone(),
            rtp,
            rtcp,
            pump: pump.clone(),
            pipeline,
        };
        match media_task::spawn(start, self.media_tx.clone()) {
            Ok((tx, info)) => {
                state.media = Some(tx);
                state.running = Some(Running {
                    media,
                    info: info.clone(),
                    pump,
                    rate,
                    early,
                });
                if !state.limited {
                    state.limited = true;
                    let (reply, _) = oneshot::channel();
                    self.schedule(self.cfg.call.max_duration, Command::Hangup(call, reply));
                }
                tracing::info!(agent = %self.name, %call, codec = %info.codec, srtp = ?info.srtp, early, "media started");
                self.emit(if early {
                    AgentEvent::EarlyMedia { call, info }
                } else {
                    AgentEvent::Established { call, info }
                });
            }
            Err(e) => {
                tracing::warn!(agent = %self.name, %call, error = %e, "media could not start; hanging up");
                let _ = self.with(|ua, ep, now| ua.hangup(ep, now, call));
            }
        }
    }

    /// A provisional response to our INVITE carried SDP: the answer as it
    /// stands (RFC 3261 §13.2.1, RFC 3960), so media starts now — the
    /// caller hears ringback or announcements and the pipeline gets
    /// audio. The offer stays open for the final answer, which confirms
    /// or replaces it.
    pub(super) fn early_media(&mut self, call: CallKey, code: u16, sdp: Bytes) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        if !state.neg.has_pending_offer() || state.early.as_ref().is_some_and(|(b, _)| *b == sdp) {
            return;
        }
        let Some(answer) = sdp_of(&sdp) else {
            tracing::warn!(agent = %self.name, %call, code, "the provisional's SDP does not parse; no early media");
            return;
        };
        let mut probe = state.neg.clone();
        let media = match probe.receive_answer(&answer) {
            Ok(m) => m.clone(),
            Err(e) => {
                tracing::warn!(agent = %self.name, %call, code, error = %e, "the provisional's SDP is no usable answer; no early media");
                return;
            }
        };
        state.early = Some((sdp, media.clone()));
        tracing::info!(agent = %self.name, %call, code, "early media");
        self.start_media_as(call, media, true);
    }

    pub(super) fn media_changed(&self, call: CallKey, m: &heron_sdp::NegotiatedMedia) {
        self.emit(AgentEvent::MediaChanged {
            call,
            sending: m.should_send(),
            receiving: m.direction.receives(),
        });
    }
}
