//! The sans-IO media session: one call's RTP/RTCP (optionally SRTP) on one
//! UDP port pair, with symmetric-RTP latching, the jitter buffer, RFC 4733
//! events and the RFC 3550 RTCP timer. It owns no socket and reads no clock:
//! feed it datagrams and the time, take datagrams and events out.

mod config;
mod queue;
mod rtcp;

pub use config::{Direction, Latching, MediaSecurity, PayloadFormat, SessionConfig, SrtpKeys};

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_core::RngCore;

use crate::demux::{classify, PacketKind};
use crate::dtmf::{DtmfError, DtmfEvent, DtmfReceiver, DtmfSender};
use crate::jitter::{JitterBuffer, JitterStats, Playout};
use crate::rtp::{RtpHeader, RtpPacket};
use crate::srtp::{SrtpContext, SrtpError, SrtpStats};
use crate::stats::ReceiveStats;
use queue::{Pending, TxQueue};

/// A media session operation failed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The direction does not allow sending.
    #[error("media direction {0:?} does not send")]
    NotSending(Direction),
    /// SRTP keys have not been handed over yet.
    #[error("SRTP keys are not available yet")]
    KeysPending,
    /// The session was closed.
    #[error("session closed")]
    Closed,
    /// The payload does not fit in a packet.
    #[error("payload of {len} octets exceeds the packet limit")]
    PayloadTooLarge {
        /// Payload length.
        len: usize,
    },
    /// No telephone-event payload type was negotiated.
    #[error("no telephone-event payload type negotiated")]
    NoTelephoneEvent,
    /// DTMF request refused.
    #[error(transparent)]
    Dtmf(#[from] DtmfError),
    /// SRTP failed (key exhausted or invalid keys).
    #[error(transparent)]
    Srtp(#[from] SrtpError),
}

/// What [`MediaSession::handle_datagram`] did with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// RTP or RTCP, processed (possibly dropped: see the stats).
    Media,
    /// Not RTP/RTCP (STUN, DTLS, ...): hand it to whoever handles that kind.
    Other(PacketKind),
}

/// Something the session reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A complete key press received (RFC 4733).
    Dtmf(DtmfEvent),
    /// The peer's media comes from a new SSRC (e.g. after a transfer).
    SourceChanged {
        /// Previous SSRC, if any.
        old: Option<u32>,
        /// New SSRC.
        new: u32,
    },
    /// Media is now sent to a new address (symmetric RTP latching).
    RemoteAddressChanged(SocketAddr),
    /// The peer reported on our stream (RTCP SR/RR).
    RemoteReport {
        /// Fraction of our packets lost, in 1/256.
        fraction_lost: u8,
        /// Cumulative packets lost.
        cumulative_lost: i32,
        /// Interarrival jitter in timestamp units.
        jitter: u32,
        /// Round-trip time, when the report references one of our SRs.
        rtt: Option<Duration>,
    },
    /// The peer sent an RTCP BYE.
    Bye {
        /// The leaving SSRC.
        ssrc: u32,
    },
    /// Periodic statistics, emitted with each RTCP report we send (boxed:
    /// the other events stay small in the queue).
    Stats(Box<SessionStats>),
}

/// Session counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// RTP packets sent.
    pub packets_sent: u64,
    /// RTP payload octets sent.
    pub octets_sent: u64,
    /// RTP packets received and accepted.
    pub packets_received: u64,
    /// RTCP compound packets sent.
    pub rtcp_sent: u64,
    /// RTCP compound packets received and accepted (authenticated and
    /// decrypted with SRTCP).
    pub rtcp_received: u64,
    /// RTP/RTCP packets dropped (malformed, unknown PT, SRTP failures, wrong direction).
    pub packets_dropped: u64,
    /// Packets lost, per RFC 3550 A.3, from the current source.
    pub packets_lost: i64,
    /// Interarrival jitter of the current source in timestamp units.
    pub jitter: u32,
    /// Last measured round-trip time.
    pub rtt: Option<Duration>,
    /// SRTP counters of the receive side.
    pub srtp_rx: SrtpStats,
    /// Jitter buffer state.
    pub jitter_buffer: JitterStats,
}

/// A datagram to send, copied into the caller's buffer by
/// [`MediaSession::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// Its length in the caller's buffer.
    pub len: usize,
    /// True for RTCP: without rtcp-mux it leaves from the RTCP socket.
    pub rtcp: bool,
}

struct Source {
    ssrc: u32,
    stats: ReceiveStats,
    clock_rate: u32,
}

/// Seconds between 1900 (NTP) and 1970 (Unix).
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// Converts a time since the Unix epoch to a 64-bit NTP timestamp.
pub fn ntp_from_unix(since_epoch: Duration) -> u64 {
    let secs = since_epoch.as_secs() + NTP_UNIX_OFFSET;
    let frac = (u64::from(since_epoch.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// The counters a packet updates (the rest of [`SessionStats`] is filled
/// in by [`MediaSession::stats`]).
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    packets_sent: u64,
    octets_sent: u64,
    packets_received: u64,
    rtcp_sent: u64,
    rtcp_received: u64,
    packets_dropped: u64,
    rtt: Option<Duration>,
}

/// The session's per-packet state and the configuration a packet reads,
/// kept together so that a packet touches a few adjacent cache lines of
/// the session (with a thousand sessions, each one's state is cold when
/// its next packet comes).
struct Hot {
    ssrc: u32,
    seq: u16,
    timestamp: u32,
    marker_next: bool,
    keys_pending: bool,
    closed: bool,
    sent_since_report: bool,
    direction: Direction,
    send_payload_type: u8,
    /// The last payload type received and its clock rate (a stream keeps
    /// one payload type, so the format list is rarely searched).
    last_format: Option<PayloadFormat>,
    telephone_event: Option<PayloadFormat>,
    latching: Latching,
    max_packet: usize,
    remote: SocketAddr,
    epoch: Instant,
    next_rtcp: Instant,
    counters: Counters,
    source: Option<Source>,
    /// Read by every timer check.
    dtmf_rx: Option<DtmfReceiver>,
    /// Polled by every frame sent.
    dtmf_tx: Option<DtmfSender>,
    out: TxQueue,
}

/// One call's media; see the module documentation.
pub struct MediaSession {
    hot: Hot,
    tx_srtp: Option<SrtpContext>,
    rx_srtp: Option<SrtpContext>,
    jitter: JitterBuffer,
    events: VecDeque<SessionEvent>,
    // Cold: read at set-up, per RTCP report or on rare events. The
    // configuration is boxed: its per-packet fields are copied into `hot`.
    cfg: Box<SessionConfig>,
    rng: Box<dyn RngCore + Send>,
    /// RTCP-only contexts (DTLS-SRTP without rtcp-mux); boxed, as most
    /// sessions have none and the session's per-packet fields stay dense.
    tx_srtcp: Option<Box<SrtpContext>>,
    rx_srtcp: Option<Box<SrtpContext>>,
    remote_rtcp: SocketAddr,
    latch_candidate: Option<(SocketAddr, u32)>,
    dtmf_event_ts: Option<u32>,
    ntp_epoch: u64,
    last_sr: Option<(u32, Instant)>,
}

impl std::fmt::Debug for MediaSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSession")
            .field("ssrc", &format_args!("{:08x}", self.hot.ssrc))
            .field("remote", &self.hot.remote)
            .field("direction", &self.hot.direction)
            .field("srtp", &self.tx_srtp.as_ref().map(|c| c.profile()))
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

fn contexts(k: &SrtpKeys) -> Result<(SrtpContext, SrtpContext), SrtpError> {
    Ok((
        SrtpContext::new(k.profile, &k.local, k.config)?,
        SrtpContext::new(k.profile, &k.remote, k.config)?,
    ))
}

impl MediaSession {
    /// Creates a session. `now` and `ntp_now` (the wall clock as a 64-bit NTP
    /// timestamp, see [`ntp_from_unix`]) anchor the RTCP sender reports; the
    /// RNG provides the SSRC, initial sequence number and timestamp, and the
    /// RTCP interval randomisation.
    pub fn new(
        mut cfg: SessionConfig,
        now: Instant,
        ntp_now: u64,
        mut rng: Box<dyn RngCore + Send>,
    ) -> Result<Self, SessionError> {
        // An SDES item holds at most 255 octets (RFC 3550 §6.5).
        if cfg.cname.len() > 255 {
            let mut end = 255;
            while !cfg.cname.is_char_boundary(end) {
                end -= 1;
            }
            cfg.cname.truncate(end);
        }
        let (tx_srtp, rx_srtp, keys_pending) = match &cfg.security {
            MediaSecurity::None => (None, None, false),
            MediaSecurity::Srtp(k) => {
                let (t, r) = contexts(k)?;
                (Some(t), Some(r), false)
            }
            MediaSecurity::Pending => (None, None, true),
        };
        let ssrc = rng.next_u32();
        let seq = (rng.next_u32() & 0x7fff) as u16;
        let timestamp = rng.next_u32();
        // Event durations count in the telephone-event clock.
        let ptime = cfg.ptime;
        let dtmf_tx = cfg.telephone_event.map(|f| {
            let spp =
                (ptime.as_nanos() * u128::from(f.clock_rate) / 1_000_000_000).clamp(1, 0xffff);
            DtmfSender::new(spp as u16)
        });
        let dtmf_rx = cfg.telephone_event.map(|f| DtmfReceiver::new(f.clock_rate));
        let remote = cfg.remote_addr;
        let remote_rtcp = cfg.remote_rtcp_addr.unwrap_or(remote);
        let mut s = MediaSession {
            hot: Hot {
                ssrc,
                seq,
                timestamp,
                marker_next: true,
                keys_pending,
                closed: false,
                sent_since_report: false,
                direction: cfg.direction,
                send_payload_type: cfg.send_payload_type,
                last_format: None,
                telephone_event: cfg.telephone_event,
                latching: cfg.latching,
                max_packet: cfg.max_packet,
                remote,
                epoch: now,
                next_rtcp: now,
                counters: Counters::default(),
                source: None,
                dtmf_rx,
                dtmf_tx,
                out: TxQueue::default(),
            },
            tx_srtp,
            rx_srtp,
            jitter: JitterBuffer::new(cfg.jitter_config()),
            events: VecDeque::with_capacity(8),
            cfg: Box::new(cfg),
            rng,
            tx_srtcp: None,
            rx_srtcp: None,
            remote_rtcp,
            latch_candidate: None,
            dtmf_event_ts: None,
            ntp_epoch: ntp_now,
            last_sr: None,
        };
        // RFC 3550 §6.3.6: the first report after half the minimum interval.
        s.hot.next_rtcp = now + s.rtcp_delay() / 2;
        Ok(s)
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.hot.ssrc
    }

    /// Where RTP is sent now (follows latching).
    pub fn remote_addr(&self) -> SocketAddr {
        self.hot.remote
    }

    /// The peer's SSRC: the source of the last RTP packet accepted
    /// (authenticated, with SRTP).
    pub fn remote_ssrc(&self) -> Option<u32> {
        self.hot.source.as_ref().map(|s| s.ssrc)
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    /// Current counters.
    pub fn stats(&self) -> SessionStats {
        let c = self.hot.counters;
        let mut s = SessionStats {
            packets_sent: c.packets_sent,
            octets_sent: c.octets_sent,
            packets_received: c.packets_received,
            rtcp_sent: c.rtcp_sent,
            rtcp_received: c.rtcp_received,
            packets_dropped: c.packets_dropped,
            rtt: c.rtt,
            ..SessionStats::default()
        };
        if let Some(src) = &self.hot.source {
            s.packets_lost = src.stats.lost();
            s.jitter = src.stats.jitter();
        }
        s.srtp_rx = self.rx_srtp.as_ref().map(|c| c.stats()).unwrap_or_default();
        if let Some(c) = self
            .rx_srtcp
            .as_ref()
            .filter(|_| self.cfg.separate_rtcp_keys)
        {
            let r = c.stats();
            s.srtp_rx.rtcp_unprotected += r.rtcp_unprotected;
            s.srtp_rx.auth_failures += r.auth_failures;
            s.srtp_rx.replays += r.replays;
            s.srtp_rx.unknown_mki += r.unknown_mki;
        }
        s.jitter_buffer = self.jitter.stats();
        s
    }

    /// Installs (or replaces) the SRTP keys, e.g. when DTLS-SRTP finishes or
    /// an SDES re-offer re-keys. Media flows from the next packet on. They
    /// protect RTCP too unless
    /// [`SessionConfig::separate_rtcp_keys`] is set (then see
    /// [`set_srtcp_keys`](Self::set_srtcp_keys)).
    pub fn set_srtp_keys(&mut self, keys: &SrtpKeys) -> Result<(), SessionError> {
        let (t, r) = contexts(keys)?;
        self.tx_srtp = Some(t);
        self.rx_srtp = Some(r);
        self.hot.keys_pending = false;
        Ok(())
    }

    /// Removes the SRTP keys (a DTLS-SRTP handshake restarts): nothing is
    /// sent or accepted until [`set_srtp_keys`](Self::set_srtp_keys)
    /// (RTCP with separate keys keeps its own, see
    /// [`clear_srtcp_keys`](Self::clear_srtcp_keys)).
    pub fn clear_srtp_keys(&mut self) {
        self.tx_srtp = None;
        self.rx_srtp = None;
        self.hot.keys_pending = true;
    }

    /// Changes the media direction (hold/resume by re-INVITE).
    pub fn set_direction(&mut self, d: Direction) {
        if !self.hot.direction.sends() && d.sends() {
            self.hot.marker_next = true;
        }
        self.cfg.direction = d;
        self.hot.direction = d;
    }

    fn rtcp_delay(&mut self) -> Duration {
        // RFC 3550 §6.3.1: randomise to [0.5, 1.5] × Td and divide by
        // e − 3/2 to compensate for the timer reconsideration.
        let r = f64::from(self.rng.next_u32()) / f64::from(u32::MAX);
        self.cfg.rtcp_interval.mul_f64((0.5 + r) / 1.218_281_83)
    }

    fn ntp_at(&self, now: Instant) -> u64 {
        self.ntp_epoch.wrapping_add(
            ntp_from_unix(now.saturating_duration_since(self.hot.epoch)) - (NTP_UNIX_OFFSET << 32),
        )
    }

    /// A pooled buffer of `max_packet + 64` octets (zeroed only when new).
    fn take_buf(&mut self) -> Vec<u8> {
        self.hot.out.take_buf(self.hot.max_packet + 64)
    }

    fn queue(&mut self, dest: SocketAddr, buf: Vec<u8>, len: usize, rtcp: bool) {
        self.hot.out.push(Pending {
            dest,
            len,
            rtcp,
            buf,
        });
    }

    /// Sends one encoded frame; the media timestamp then advances by
    /// `timestamp_step` (the frame's duration in clock units). While a DTMF
    /// event is being sent, the event packet goes out instead of the audio.
    pub fn send_frame(&mut self, payload: &[u8], timestamp_step: u32) -> Result<(), SessionError> {
        if self.hot.closed {
            return Err(SessionError::Closed);
        }
        if !self.hot.direction.sends() {
            return Err(SessionError::NotSending(self.hot.direction));
        }
        if self.hot.keys_pending {
            return Err(SessionError::KeysPending);
        }
        let ts = self.hot.timestamp;
        self.hot.timestamp = self.hot.timestamp.wrapping_add(timestamp_step);
        if let (Some(tx), Some(te)) = (self.hot.dtmf_tx.as_mut(), self.hot.telephone_event) {
            if let Some(p) = tx.poll() {
                if p.start {
                    self.dtmf_event_ts = Some(ts);
                }
                let ets = self.dtmf_event_ts.unwrap_or(ts);
                if p.last {
                    self.dtmf_event_ts = None;
                    self.hot.marker_next = true;
                }
                return self.send_rtp(te.payload_type, p.start, ets, &p.payload.to_bytes());
            }
        }
        let marker = std::mem::take(&mut self.hot.marker_next);
        self.send_rtp(self.hot.send_payload_type, marker, ts, payload)
    }

    /// Skips `samples` of media time without sending (silence suppression);
    /// the next frame carries the marker bit as a talkspurt start.
    pub fn skip(&mut self, samples: u32) {
        self.hot.timestamp = self.hot.timestamp.wrapping_add(samples);
        self.hot.marker_next = true;
    }

    /// Queues a key press of `duration` as RFC 4733 events, sent in place
    /// of the next frames.
    pub fn send_dtmf(
        &mut self,
        digit: char,
        duration: Duration,
        volume: u8,
    ) -> Result<(), SessionError> {
        let te = self
            .cfg
            .telephone_event
            .ok_or(SessionError::NoTelephoneEvent)?;
        let units = (duration.as_nanos() * u128::from(te.clock_rate) / 1_000_000_000)
            .min(u128::from(u32::MAX)) as u32;
        let tx = self
            .hot
            .dtmf_tx
            .as_mut()
            .ok_or(SessionError::NoTelephoneEvent)?;
        tx.send(digit, units, volume)?;
        Ok(())
    }

    fn send_rtp(
        &mut self,
        pt: u8,
        marker: bool,
        ts: u32,
        payload: &[u8],
    ) -> Result<(), SessionError> {
        if payload.len() + 12 > self.hot.max_packet {
            return Err(SessionError::PayloadTooLarge { len: payload.len() });
        }
        let mut buf = self.take_buf();
        let hdr = RtpHeader {
            marker,
            payload_type: pt,
            sequence_number: self.hot.seq,
            timestamp: ts,
            ssrc: self.hot.ssrc,
            ..Default::default()
        };
        let n = hdr.write(&mut buf).map_err(SrtpError::from)?;
        buf[n..n + payload.len()].copy_from_slice(payload);
        let mut len = n + payload.len();
        if let Some(tx) = self.tx_srtp.as_mut() {
            match tx.protect_rtp(&mut buf, len) {
                Ok(l) => len = l,
                Err(e) => {
                    self.hot.out.recycle(buf);
                    return Err(e.into());
                }
            }
        }
        self.hot.seq = self.hot.seq.wrapping_add(1);
        self.hot.counters.packets_sent += 1;
        self.hot.counters.octets_sent += payload.len() as u64;
        self.hot.sent_since_report = true;
        let dest = self.hot.remote;
        self.queue(dest, buf, len, false);
        Ok(())
    }

    /// Handles one received datagram from `src`. The buffer is decrypted in
    /// place.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        src: SocketAddr,
        datagram: &mut [u8],
    ) -> Handled {
        match classify(datagram) {
            PacketKind::Rtp => {
                if !self.handle_rtp(now, src, datagram) {
                    self.hot.counters.packets_dropped += 1;
                }
                Handled::Media
            }
            PacketKind::Rtcp => {
                if !self.handle_rtcp(now, datagram) {
                    self.hot.counters.packets_dropped += 1;
                }
                Handled::Media
            }
            other => Handled::Other(other),
        }
    }

    fn latch(&mut self, src: SocketAddr, authenticated: bool) {
        if !self.hot.latching.enabled || src == self.hot.remote {
            self.latch_candidate = None;
            return;
        }
        let needed = if authenticated {
            1
        } else {
            self.hot.latching.plain_rtp_packets.max(1)
        };
        let count = match self.latch_candidate {
            Some((a, n)) if a == src => n + 1,
            _ => 1,
        };
        if count >= needed {
            self.latch_candidate = None;
            self.hot.remote = src;
            if self.cfg.remote_rtcp_addr.is_none() {
                self.remote_rtcp = src;
            }
            self.events
                .push_back(SessionEvent::RemoteAddressChanged(src));
        } else {
            self.latch_candidate = Some((src, count));
        }
    }

    fn handle_rtp(&mut self, now: Instant, src: SocketAddr, datagram: &mut [u8]) -> bool {
        if self.hot.keys_pending || datagram.len() > self.hot.max_packet + 64 {
            return false;
        }
        let len = match self.rx_srtp.as_mut() {
            Some(rx) => match rx.unprotect_rtp(datagram) {
                Ok(n) => n,
                Err(_) => return false,
            },
            None => datagram.len(),
        };
        let Ok(p) = RtpPacket::parse(&datagram[..len]) else {
            return false;
        };
        let secure = self.rx_srtp.is_some();
        let pt = p.payload_type();
        let is_event = self
            .hot
            .telephone_event
            .is_some_and(|t| t.payload_type == pt);
        let clock = if is_event {
            self.hot.telephone_event.map(|t| t.clock_rate)
        } else {
            self.clock_rate_of(pt)
        };
        let Some(clock_rate) = clock else {
            return false;
        };
        self.latch(src, secure);
        if !self.hot.direction.receives() {
            return false;
        }
        let ssrc = p.ssrc();
        if self.hot.source.as_ref().map(|s| s.ssrc) != Some(ssrc) {
            let old = self.hot.source.as_ref().map(|s| s.ssrc);
            self.hot.source = Some(Source {
                ssrc,
                stats: ReceiveStats::new(p.sequence_number()),
                clock_rate,
            });
            self.events
                .push_back(SessionEvent::SourceChanged { old, new: ssrc });
        }
        if let Some(s) = self.hot.source.as_mut() {
            s.stats.update_seq(p.sequence_number());
            let arrival = crate::stats::clock_units(
                now.saturating_duration_since(self.hot.epoch),
                s.clock_rate,
            );
            s.stats.update_jitter(p.timestamp(), arrival);
        }
        self.hot.counters.packets_received += 1;
        if is_event {
            if let Some(rx) = self.hot.dtmf_rx.as_mut() {
                if let Ok(done) = rx.on_packet(now, p.timestamp(), p.payload()) {
                    for e in done.into_iter().flatten() {
                        self.events.push_back(SessionEvent::Dtmf(e));
                    }
                }
            }
            return true;
        }
        self.jitter.insert(
            now,
            ssrc,
            p.sequence_number(),
            p.timestamp(),
            pt,
            p.marker(),
            p.payload(),
        );
        true
    }

    /// The clock rate of a received payload type.
    #[inline]
    fn clock_rate_of(&mut self, pt: u8) -> Option<u32> {
        match self.hot.last_format {
            Some(f) if f.payload_type == pt => Some(f.clock_rate),
            _ => {
                let clock_rate = self.cfg.clock_rate_of(pt)?;
                self.hot.last_format = Some(PayloadFormat {
                    payload_type: pt,
                    clock_rate,
                });
                Some(clock_rate)
            }
        }
    }

    /// The next frame for the decoder; call once per packet time.
    pub fn pull_frame(&mut self) -> Playout<'_> {
        self.jitter.pop()
    }

    /// Runs the timers (RTCP reports, DTMF end detection).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.hot.closed {
            return;
        }
        if now >= self.hot.next_rtcp {
            self.send_rtcp(now, false);
            self.hot.next_rtcp = now + self.rtcp_delay();
        }
        if let Some(rx) = self.hot.dtmf_rx.as_mut() {
            if let Some(e) = rx.handle_timeout(now) {
                self.events.push_back(SessionEvent::Dtmf(e));
            }
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.hot.closed {
            return None;
        }
        let dtmf = self.hot.dtmf_rx.as_ref().and_then(|r| r.poll_timeout());
        Some(dtmf.map_or(self.hot.next_rtcp, |d| d.min(self.hot.next_rtcp)))
    }

    /// Copies the next datagram to send into `out`. Datagrams longer than
    /// `out` are dropped.
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> Option<Transmit> {
        loop {
            let p = self.hot.out.pop()?;
            let n = p.len;
            let fits = n <= out.len();
            if fits {
                out[..n].copy_from_slice(&p.buf[..n]);
            }
            self.hot.out.recycle(p.buf);
            if fits {
                return Some(Transmit {
                    destination: p.dest,
                    len: n,
                    rtcp: p.rtcp,
                });
            }
        }
    }

    /// The next datagram to send, without copying it: the octets stay in
    /// the session's buffer (borrowed until the next call). For drivers
    /// that send straight from it; [`poll_transmit`](Self::poll_transmit)
    /// copies into the caller's buffer instead.
    pub fn poll_datagram(&mut self) -> Option<(Transmit, &[u8])> {
        // The buffer goes back to the pool (the next packet built reuses
        // it, still in cache); the borrow keeps it unchanged meanwhile.
        self.hot.out.pop_datagram()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// Ends the session: queues an RTCP BYE (RFC 3550 §6.6); nothing is sent after.
    pub fn close(&mut self, now: Instant) {
        if !self.hot.closed {
            self.send_rtcp(now, true);
            self.hot.closed = true;
        }
    }

    /// True after [`close`](Self::close).
    pub fn is_closed(&self) -> bool {
        self.hot.closed
    }
}

#[cfg(test)]
mod tests;
