//! The user agent on tokio: a [`UaStack`] runs a [`Ua`] over a
//! [`Stack`] — one task feeds it the endpoint's
//! events and fires its timers — and hands out [`Call`] and
//! [`Registration`] handles plus one stream of [`UaEvent`]s.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use heron_sip_stack::driver::StackConfig;
//! use heron_sip_stack::ua::driver::UaStack;
//! use heron_sip_stack::ua::{UaConfig, UaEvent};
//! let cfg = StackConfig { udp: vec!["127.0.0.1:5080".parse()?], ..StackConfig::default() };
//! let (phone, mut events) = UaStack::start(cfg, UaConfig::new("sip:agent@127.0.0.1")).await?;
//! while let Some(e) = events.recv().await {
//!     if let UaEvent::IncomingCall { call, .. } = e {
//!         phone.call_handle(call).answer(Some("v=0\r\n".into()))?;
//!     }
//! }
//! # Ok(()) }
//! ```

use super::{CallKey, OutgoingCall, RegistrationId, Ua, UaConfig, UaError, UaEvent};
use crate::driver::{Stack, StackConfig, StartError};
use crate::endpoint::Endpoint;
use crate::registration::{RegistrationConfig, RegistrationState};
use crate::types::{Event, Target};
use bytes::Bytes;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{mpsc, Notify};

struct Inner {
    ua: Mutex<Ua>,
    wake: Notify,
    events: mpsc::UnboundedSender<UaEvent>,
}

/// A running user agent: the SIP stack, the [`Ua`] and its task. Clones
/// share it; dropping every clone stops it.
#[derive(Clone)]
pub struct UaStack {
    stack: Stack,
    inner: Arc<Inner>,
    _task: Arc<TaskGuard>,
}

struct TaskGuard(tokio::task::AbortHandle);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl std::fmt::Debug for UaStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UaStack")
            .field("stack", &self.stack)
            .finish()
    }
}

impl UaStack {
    /// Binds the sockets and starts the user agent.
    pub async fn start(
        stack: StackConfig,
        ua: UaConfig,
    ) -> Result<(UaStack, mpsc::UnboundedReceiver<UaEvent>), StartError> {
        let (stack, ep_events) = Stack::start(stack).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            ua: Mutex::new(Ua::new(ua, StdRng::from_entropy())),
            wake: Notify::new(),
            events: tx,
        });
        let task = tokio::spawn(run(stack.clone(), inner.clone(), ep_events));
        Ok((
            UaStack {
                stack,
                inner,
                _task: Arc::new(TaskGuard(task.abort_handle())),
            },
            rx,
        ))
    }

    /// The transport stack underneath.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// Runs `f` on the user agent with the endpoint and the time, then
    /// delivers the events it produced.
    pub fn with<R>(&self, f: impl FnOnce(&mut Ua, &mut Endpoint, Instant) -> R) -> R {
        let r = with_ua(&self.stack, &self.inner, f);
        self.inner.wake.notify_one();
        r
    }

    /// Installs (or with `None` removes) the observer that sees every SIP
    /// message sent and received: see [`super::trace`].
    pub fn set_observer(&self, observer: Option<Box<dyn super::trace::SipObserver>>) {
        self.stack.with_endpoint(|ep, _| ep.set_observer(observer));
    }

    /// Places a call.
    pub fn call(&self, to: &str, sdp: Option<Bytes>) -> Result<Call, UaError> {
        self.call_with(OutgoingCall::new(to, sdp))
    }

    /// Places a call with all parameters.
    pub fn call_with(&self, req: OutgoingCall) -> Result<Call, UaError> {
        let key = self.with(|ua, ep, now| ua.call_with(ep, now, req))?;
        Ok(self.call_handle(key))
    }

    /// A handle for a call reported in an event.
    pub fn call_handle(&self, key: CallKey) -> Call {
        Call {
            key,
            ua: self.clone(),
        }
    }

    /// Starts a registration at `target`.
    pub fn register(
        &self,
        cfg: RegistrationConfig,
        target: Target,
    ) -> Result<Registration, UaError> {
        let id = self.with(|ua, ep, now| ua.register(ep, now, cfg, target))?;
        Ok(Registration {
            id,
            ua: self.clone(),
        })
    }
}

fn with_ua<R>(
    stack: &Stack,
    inner: &Inner,
    f: impl FnOnce(&mut Ua, &mut Endpoint, Instant) -> R,
) -> R {
    let mut ua = inner.ua.lock().unwrap_or_else(|p| p.into_inner());
    let r = stack.with_endpoint(|ep, now| f(&mut ua, ep, now));
    while let Some(e) = ua.poll_event() {
        let _ = inner.events.send(e);
    }
    r
}

async fn run(stack: Stack, inner: Arc<Inner>, mut events: mpsc::UnboundedReceiver<Event>) {
    loop {
        let deadline = {
            let mut ua = inner.ua.lock().unwrap_or_else(|p| p.into_inner());
            ua.poll_timeout()
        };
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            e = events.recv() => {
                let Some(e) = e else { return };
                with_ua(&stack, &inner, |ua, ep, now| {
                    ua.handle_event(ep, now, e);
                    // Take everything else queued meanwhile under one lock.
                    while let Ok(e) = events.try_recv() {
                        ua.handle_event(ep, now, e);
                    }
                });
            }
            _ = sleep => {
                with_ua(&stack, &inner, |ua, ep, now| ua.handle_timeout(ep, now));
            }
            _ = inner.wake.notified() => {}
        }
    }
}

/// One call.
#[derive(Debug, Clone)]
pub struct Call {
    key: CallKey,
    ua: UaStack,
}

impl Call {
    /// The call's key (events name it).
    pub fn key(&self) -> CallKey {
        self.key
    }

    /// [`Ua::ring`].
    pub fn ring(&self, sdp: Option<Bytes>) -> Result<(), UaError> {
        self.ua.with(|u, ep, now| u.ring(ep, now, self.key, sdp))
    }

    /// [`Ua::answer`].
    pub fn answer(&self, sdp: Option<Bytes>) -> Result<(), UaError> {
        self.ua.with(|u, ep, now| u.answer(ep, now, self.key, sdp))
    }

    /// [`Ua::reject`].
    pub fn reject(&self, code: u16) -> Result<(), UaError> {
        self.ua.with(|u, ep, now| u.reject(ep, now, self.key, code))
    }

    /// [`Ua::hangup`].
    pub fn hangup(&self) -> Result<(), UaError> {
        self.ua.with(|u, ep, now| u.hangup(ep, now, self.key))
    }

    /// [`Ua::reinvite`]: hold (an offer with `a=sendonly`), resume, codec
    /// change.
    pub fn reinvite(&self, sdp: Bytes) -> Result<(), UaError> {
        self.ua
            .with(|u, ep, now| u.reinvite(ep, now, self.key, sdp))
    }

    /// [`Ua::update`].
    pub fn update(&self, sdp: Bytes) -> Result<(), UaError> {
        self.ua.with(|u, ep, now| u.update(ep, now, self.key, sdp))
    }

    /// [`Ua::respond_offer`].
    pub fn respond_offer(&self, sdp: Bytes) -> Result<(), UaError> {
        self.ua
            .with(|u, ep, now| u.respond_offer(ep, now, self.key, sdp))
    }

    /// [`Ua::ack_answer`].
    pub fn ack_answer(&self, sdp: Bytes) -> Result<(), UaError> {
        self.ua
            .with(|u, ep, now| u.ack_answer(ep, now, self.key, sdp))
    }

    /// [`Ua::prack_answer`]: the answer to a [`UaEvent::EarlyOffer`].
    pub fn prack_answer(&self, sdp: Bytes) -> Result<(), UaError> {
        self.ua
            .with(|u, ep, now| u.prack_answer(ep, now, self.key, sdp))
    }

    /// [`Ua::reliable_provisionals`].
    pub fn reliable_provisionals(&self) -> bool {
        self.ua.with(|u, _, _| u.reliable_provisionals(self.key))
    }

    /// [`Ua::send_dtmf`].
    pub fn send_dtmf(&self, digit: char, duration_ms: u32) -> Result<(), UaError> {
        self.ua
            .with(|u, ep, now| u.send_dtmf(ep, now, self.key, digit, duration_ms))
    }

    /// [`Ua::transfer`].
    pub fn transfer(&self, target: &str, replaces: Option<&Call>) -> Result<(), UaError> {
        let r = replaces.map(|c| c.key);
        self.ua
            .with(|u, ep, now| u.transfer(ep, now, self.key, target, r))
    }

    /// [`Ua::accept_transfer`]: the new call.
    pub fn accept_transfer(&self, sdp: Option<Bytes>) -> Result<Call, UaError> {
        let k = self
            .ua
            .with(|u, ep, now| u.accept_transfer(ep, now, self.key, sdp))?;
        Ok(self.ua.call_handle(k))
    }

    /// [`Ua::reject_transfer`].
    pub fn reject_transfer(&self, code: u16) -> Result<(), UaError> {
        self.ua
            .with(|u, ep, now| u.reject_transfer(ep, now, self.key, code))
    }
}

/// One registration.
#[derive(Debug, Clone)]
pub struct Registration {
    id: RegistrationId,
    ua: UaStack,
}

impl Registration {
    /// The id events name.
    pub fn id(&self) -> RegistrationId {
        self.id
    }

    /// The current state (`None` once it ended).
    pub fn state(&self) -> Option<RegistrationState> {
        self.ua
            .with(|u, _, _| u.registration_state(self.id).cloned())
    }

    /// Removes our binding.
    pub fn unregister(&self) -> Result<(), UaError> {
        self.ua.with(|u, ep, now| u.unregister(ep, now, self.id))
    }
}
