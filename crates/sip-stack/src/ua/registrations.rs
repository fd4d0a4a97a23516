//! Driving [`Registration`] machines from the user agent: sending their
//! REGISTERs, their timers, and the events they report.

use super::{Pending, RegistrationId, TimerRef, Ua, UaError, UaEvent};
use crate::endpoint::Endpoint;
use crate::registration::{
    Registration, RegistrationConfig, RegistrationFailure, RegistrationState, Step,
};
use crate::types::{ClientKey, Target, TransportKind};
use heron_sip::Message;
use std::net::SocketAddr;
use std::time::Instant;

#[derive(Debug)]
pub(crate) struct RegEntry {
    pub(crate) reg: Registration,
    pub(crate) target: Target,
    timer: Option<u64>,
    last_state: Option<RegistrationState>,
}

impl Ua {
    /// Starts registering at `target` (the registrar or outbound proxy,
    /// resolved). Progress arrives as [`UaEvent::Registration`].
    pub fn register(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        cfg: RegistrationConfig,
        target: Target,
    ) -> Result<RegistrationId, UaError> {
        let host_port = ep
            .listener(target.transport)
            .map(|(_, s)| s.to_owned())
            .ok_or(UaError::Endpoint(crate::Error::NoTransport(
                target.transport,
            )))?;
        let tp = match target.transport {
            TransportKind::Udp => None,
            TransportKind::Tcp => Some("tcp"),
            TransportKind::Tls => Some("tls"),
        };
        let reg = Registration::new(cfg, ep.new_call_id(), ep.new_tag(), host_port, tp);
        let id = self.alloc();
        self.regs.insert(
            id,
            RegEntry {
                reg,
                target,
                timer: None,
                last_state: None,
            },
        );
        let step = self.regs.get_mut(&id).map(|e| e.reg.start());
        if let Some(step) = step {
            self.reg_step(ep, now, id, step);
        }
        Ok(RegistrationId(id))
    }

    /// Removes our binding (REGISTER with expires=0); the registration
    /// ends with [`RegistrationState::Unregistered`].
    pub fn unregister(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        id: RegistrationId,
    ) -> Result<(), UaError> {
        let e = self.regs.get_mut(&id.0).ok_or(UaError::Unknown)?;
        let timer = e.timer.take();
        let step = e.reg.unregister();
        if let Some(t) = timer {
            self.unschedule(t);
        }
        match step {
            Some(s) => self.reg_step(ep, now, id.0, s),
            None => self.reg_step(ep, now, id.0, Step::Stop),
        }
        Ok(())
    }

    /// The state of a registration.
    pub fn registration_state(&self, id: RegistrationId) -> Option<&RegistrationState> {
        self.regs.get(&id.0).map(|e| &e.reg.state)
    }

    fn reg_step(&mut self, ep: &mut Endpoint, now: Instant, id: u64, step: Step) {
        let Some(e) = self.regs.get_mut(&id) else {
            return;
        };
        if let Some(t) = e.timer.take() {
            self.timer_refs_remove(t);
        }
        let mut step = step;
        loop {
            match step {
                Step::Send(msg) => {
                    let Some(e) = self.regs.get(&id) else { return };
                    let target = e.target.clone();
                    match ep.send_request(now, msg, target) {
                        Ok(k) => {
                            self.pending.insert(k, Pending::Register(id));
                            break;
                        }
                        Err(err) => {
                            let Some(e) = self.regs.get_mut(&id) else {
                                return;
                            };
                            step = e.reg.on_failure(
                                now,
                                RegistrationFailure::Transport(err.to_string()),
                                &mut *self.rng,
                            );
                        }
                    }
                }
                Step::Wait(at) => {
                    let token = self.schedule(at, TimerRef::Reg(id));
                    if let Some(e) = self.regs.get_mut(&id) {
                        e.timer = Some(token);
                    }
                    break;
                }
                Step::Stop => break,
            }
        }
        self.report_reg(id);
    }

    fn timer_refs_remove(&mut self, token: u64) {
        self.unschedule(token);
    }

    fn report_reg(&mut self, id: u64) {
        let Some(e) = self.regs.get_mut(&id) else {
            return;
        };
        if e.last_state.as_ref() == Some(&e.reg.state) {
            return;
        }
        let state = e.reg.state.clone();
        e.last_state = Some(state.clone());
        if let RegistrationState::Registered { .. } = &state {
            // Calls advertise the address the registrar saw.
            let contact = e.reg.contact_uri();
            if let Ok(u) = heron_sip::Uri::parse(&contact) {
                if let Some(s) = u.as_sip() {
                    let host = s.host.to_string();
                    self.public_contact = Some(match s.port {
                        Some(p) => format!("{host}:{p}"),
                        None => host,
                    });
                }
            }
        }
        let done = matches!(
            state,
            RegistrationState::Unregistered | RegistrationState::Failed(_)
        );
        self.events.push_back(UaEvent::Registration {
            id: RegistrationId(id),
            state,
        });
        if done && matches!(self.regs.get(&id), Some(e) if e.timer.is_none()) {
            let pending = self
                .pending
                .values()
                .any(|p| matches!(p, Pending::Register(r) if *r == id));
            if !pending {
                self.regs.remove(&id);
            }
        }
    }

    pub(super) fn reg_timer(&mut self, ep: &mut Endpoint, now: Instant, id: u64, token: u64) {
        let Some(e) = self.regs.get_mut(&id) else {
            return;
        };
        if e.timer != Some(token) {
            return;
        }
        e.timer = None;
        let step = e.reg.on_timer();
        self.reg_step(ep, now, id, step);
    }

    pub(crate) fn reg_response(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        key: ClientKey,
        id: u64,
        resp: &Message,
    ) {
        if resp.status().unwrap_or(0) < 200 {
            return;
        }
        self.pending.remove(&key);
        let Some(e) = self.regs.get_mut(&id) else {
            return;
        };
        let step = e.reg.on_response(now, resp, &mut *self.rng);
        self.reg_step(ep, now, id, step);
    }

    pub(crate) fn reg_failure(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        key: ClientKey,
        id: u64,
        code: u16,
        text: &str,
    ) {
        self.pending.remove(&key);
        let Some(e) = self.regs.get_mut(&id) else {
            return;
        };
        let failure = if code == 408 {
            RegistrationFailure::Timeout
        } else {
            RegistrationFailure::Transport(text.to_owned())
        };
        let step = e.reg.on_failure(now, failure, &mut *self.rng);
        self.reg_step(ep, now, id, step);
    }

    /// A flow we opened died (a stream connection, or a UDP flow whose
    /// keep-alives went unanswered): registrations over it register again.
    pub(super) fn flow_failed(
        &mut self,
        ep: &mut Endpoint,
        now: Instant,
        transport: crate::TransportKind,
        remote: SocketAddr,
    ) {
        let ids: Vec<u64> = self
            .regs
            .iter()
            .filter(|(_, e)| e.target.transport == transport && e.target.addr == remote)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            let step = self.regs.get_mut(&id).and_then(|e| e.reg.flow_failed());
            if let Some(s) = step {
                self.reg_step(ep, now, id, s);
            }
        }
    }
}
