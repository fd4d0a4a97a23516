//! RFC 4733 telephone events (DTMF): the payload codec, a sender that
//! produces one payload per packet time and a receiver that turns packets
//! into one [`DtmfEvent`] per key press.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::PacketError;

/// Event code of the flash (hook flash) event (RFC 4733 §3.2).
pub const EVENT_FLASH: u8 = 16;

/// The 4-octet telephone-event payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code: 0-9 digits, 10 `*`, 11 `#`, 12-15 A-D, 16 flash.
    pub event: u8,
    /// End bit (E).
    pub end: bool,
    /// Power level in −dBm0 (0..=63).
    pub volume: u8,
    /// Duration so far, in timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Octets of the payload.
    pub const LEN: usize = 4;

    /// Parses the first four octets of `payload` (further blocks are ignored).
    pub fn parse(payload: &[u8]) -> Result<Self, PacketError> {
        if payload.len() < 4 {
            return Err(PacketError::Truncated {
                what: "telephone-event payload",
                offset: 0,
                needed: 4,
                len: payload.len(),
            });
        }
        Ok(TelephoneEvent {
            event: payload[0],
            end: payload[1] & 0x80 != 0,
            volume: payload[1] & 0x3f,
            duration: u16::from_be_bytes([payload[2], payload[3]]),
        })
    }

    /// The payload octets.
    pub fn to_bytes(&self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }
}

/// The character of an event code (`'0'..='9'`, `'*'`, `'#'`, `'A'..='D'`,
/// `'!'` for flash), or `None` for other codes.
pub fn event_to_char(event: u8) -> Option<char> {
    Some(match event {
        0..=9 => (b'0' + event) as char,
        10 => '*',
        11 => '#',
        12..=15 => (b'A' + event - 12) as char,
        EVENT_FLASH => '!',
        _ => return None,
    })
}

/// The event code of a DTMF character (inverse of [`event_to_char`],
/// lower-case `a`-`d` accepted).
pub fn char_to_event(c: char) -> Option<u8> {
    Some(match c {
        '0'..='9' => c as u8 - b'0',
        '*' => 10,
        '#' => 11,
        'A'..='D' => c as u8 - b'A' + 12,
        'a'..='d' => c as u8 - b'a' + 12,
        '!' => EVENT_FLASH,
        _ => return None,
    })
}

/// One complete key press received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfEvent {
    /// The key (see [`event_to_char`]); `'?'` for codes without a character.
    pub digit: char,
    /// The event code.
    pub event: u8,
    /// How long the key was pressed.
    pub duration: Duration,
    /// Power level in −dBm0.
    pub volume: u8,
}

/// A DTMF request was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DtmfError {
    /// The character is not a DTMF key.
    #[error("{0:?} is not a DTMF key")]
    NotAKey(char),
}

/// What the media session should send this packet time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPacket {
    /// True for the first packet of an event: set the marker bit and take
    /// the current media timestamp as the event's timestamp.
    pub start: bool,
    /// The payload.
    pub payload: TelephoneEvent,
    /// True for the last of the end retransmissions: advance the media
    /// timestamp by `payload.duration` after sending it.
    pub last: bool,
}

#[derive(Debug, Clone, Copy)]
struct Active {
    event: u8,
    volume: u8,
    total: u16,
    elapsed: u16,
    ends_sent: u8,
    started: bool,
}

/// Produces RFC 4733 payloads for queued key presses, one per packet time:
/// a start packet, duration updates, and three end packets carrying the
/// final duration (RFC 4733 §2.5.1).
#[derive(Debug, Clone)]
pub struct DtmfSender {
    step: u16,
    queue: VecDeque<Active>,
}

impl DtmfSender {
    /// `samples_per_packet` is the packet time in timestamp units (e.g. 160
    /// for 20 ms at 8 kHz).
    pub fn new(samples_per_packet: u16) -> Self {
        DtmfSender {
            step: samples_per_packet.max(1),
            queue: VecDeque::new(),
        }
    }

    /// Queues a key press of `duration` timestamp units (clamped to 65535,
    /// the most one event can carry, and to at least one packet time).
    pub fn send(&mut self, digit: char, duration: u32, volume: u8) -> Result<(), DtmfError> {
        let event = char_to_event(digit).ok_or(DtmfError::NotAKey(digit))?;
        let total = duration.clamp(u32::from(self.step), 0xffff) as u16;
        self.queue.push_back(Active {
            event,
            volume: volume.min(63),
            total,
            elapsed: 0,
            ends_sent: 0,
            started: false,
        });
        Ok(())
    }

    /// True while an event is being sent or queued.
    pub fn is_active(&self) -> bool {
        !self.queue.is_empty()
    }

    /// The packet to send this packet time, if any.
    pub fn poll(&mut self) -> Option<DtmfPacket> {
        let step = self.step;
        let a = self.queue.front_mut()?;
        let start = !a.started;
        a.started = true;
        let end = if a.elapsed < a.total {
            a.elapsed = a.elapsed.saturating_add(step).min(a.total);
            a.elapsed == a.total
        } else {
            true
        };
        if end {
            a.ends_sent += 1;
        }
        let payload = TelephoneEvent {
            event: a.event,
            end,
            volume: a.volume,
            duration: a.elapsed,
        };
        let last = a.ends_sent == 3;
        if last {
            self.queue.pop_front();
        }
        Some(DtmfPacket {
            start,
            payload,
            last,
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct RxEvent {
    timestamp: u32,
    event: u8,
    volume: u8,
    duration: u16,
    last_seen: Instant,
}

/// Turns received telephone-event packets into key presses: detects the
/// start (with or without the marker), ignores the end retransmissions,
/// reports an event whose end packets were all lost when the next event
/// starts or after `end_timeout` without packets.
#[derive(Debug, Clone)]
pub struct DtmfReceiver {
    clock_rate: u32,
    end_timeout: Duration,
    current: Option<RxEvent>,
    last_done: Option<u32>,
}

impl DtmfReceiver {
    /// A receiver for a telephone-event stream at `clock_rate` Hz.
    pub fn new(clock_rate: u32) -> Self {
        DtmfReceiver {
            clock_rate: clock_rate.max(1),
            end_timeout: Duration::from_millis(250),
            current: None,
            last_done: None,
        }
    }

    /// Sets how long to wait for more packets before reporting an event
    /// whose end was lost (default 250 ms).
    pub fn with_end_timeout(mut self, t: Duration) -> Self {
        self.end_timeout = t;
        self
    }

    fn finish(&mut self, e: RxEvent) -> DtmfEvent {
        self.last_done = Some(e.timestamp);
        DtmfEvent {
            digit: event_to_char(e.event).unwrap_or('?'),
            event: e.event,
            duration: Duration::from_micros(
                u64::from(e.duration) * 1_000_000 / u64::from(self.clock_rate),
            ),
            volume: e.volume,
        }
    }

    /// Handles one telephone-event packet's RTP timestamp and payload.
    /// Returns at most two completed events (a previous event whose end was
    /// lost, and this one if it ended).
    pub fn on_packet(
        &mut self,
        now: Instant,
        rtp_timestamp: u32,
        payload: &[u8],
    ) -> Result<[Option<DtmfEvent>; 2], PacketError> {
        let te = TelephoneEvent::parse(payload)?;
        let mut out = [None, None];
        if self.last_done == Some(rtp_timestamp) {
            // End retransmission (or a late update) of a reported event.
            return Ok(out);
        }
        match self.current {
            Some(c) if c.timestamp == rtp_timestamp => {}
            Some(c) => {
                out[0] = Some(self.finish(c));
                self.current = None;
            }
            None => {}
        }
        let cur = self.current.get_or_insert(RxEvent {
            timestamp: rtp_timestamp,
            event: te.event,
            volume: te.volume,
            duration: 0,
            last_seen: now,
        });
        cur.duration = cur.duration.max(te.duration);
        cur.last_seen = now;
        cur.volume = te.volume;
        if te.end {
            let c = *cur;
            self.current = None;
            let e = self.finish(c);
            if out[0].is_none() {
                out[0] = Some(e);
            } else {
                out[1] = Some(e);
            }
        }
        Ok(out)
    }

    /// When the running event's packets stopped arriving, reports it.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<DtmfEvent> {
        let c = self.current?;
        if now.saturating_duration_since(c.last_seen) >= self.end_timeout {
            self.current = None;
            Some(self.finish(c))
        } else {
            None
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current.map(|c| c.last_seen + self.end_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip_and_errors() {
        let te = TelephoneEvent {
            event: 1,
            end: true,
            volume: 20,
            duration: 1760,
        };
        assert_eq!(te.to_bytes(), [0x01, 0x94, 0x06, 0xe0]);
        assert_eq!(TelephoneEvent::parse(&te.to_bytes()).unwrap(), te);
        assert!(TelephoneEvent::parse(&[1, 2, 3]).is_err());
        for c in "0123456789*#ABCD!".chars() {
            assert_eq!(event_to_char(char_to_event(c).unwrap()), Some(c));
        }
        assert_eq!(char_to_event('x'), None);
    }

    #[test]
    fn sender_start_updates_and_three_ends() {
        let mut s = DtmfSender::new(400);
        s.send('9', 1600, 10).unwrap();
        let pkts: Vec<_> = std::iter::from_fn(|| s.poll()).collect();
        let durs: Vec<_> = pkts
            .iter()
            .map(|p| (p.payload.duration, p.payload.end))
            .collect();
        assert_eq!(
            durs,
            vec![
                (400, false),
                (800, false),
                (1200, false),
                (1600, true),
                (1600, true),
                (1600, true)
            ]
        );
        assert!(pkts[0].start && pkts[1..].iter().all(|p| !p.start));
        assert!(pkts[5].last && pkts[..5].iter().all(|p| !p.last));
        assert!(pkts
            .iter()
            .all(|p| p.payload.volume == 10 && p.payload.event == 9));
        assert!(!s.is_active());
    }

    #[test]
    fn receiver_dedupes_and_survives_loss() {
        let t0 = Instant::now();
        let ms = |m| t0 + Duration::from_millis(m);
        let mut r = DtmfReceiver::new(8000);
        let p = |e: u8, end, d| {
            TelephoneEvent {
                event: e,
                end,
                volume: 10,
                duration: d,
            }
            .to_bytes()
        };
        // First packet lost: starts at 800 without marker.
        assert_eq!(
            r.on_packet(ms(0), 0, &p(5, false, 800)).unwrap(),
            [None, None]
        );
        let done = r.on_packet(ms(20), 0, &p(5, true, 1600)).unwrap();
        assert_eq!(done[0].unwrap().digit, '5');
        assert_eq!(done[0].unwrap().duration, Duration::from_millis(200));
        // End retransmissions ignored.
        assert_eq!(
            r.on_packet(ms(40), 0, &p(5, true, 1600)).unwrap(),
            [None, None]
        );
        assert_eq!(
            r.on_packet(ms(60), 0, &p(5, true, 1600)).unwrap(),
            [None, None]
        );
        // Event whose end packets are all lost, followed by a new event.
        r.on_packet(ms(100), 4000, &p(11, false, 400)).unwrap();
        let done = r.on_packet(ms(300), 9000, &p(3, false, 400)).unwrap();
        assert_eq!(done[0].unwrap().digit, '#');
        assert!(done[1].is_none());
        // Last event times out.
        assert_eq!(r.handle_timeout(ms(400)), None);
        assert_eq!(r.poll_timeout(), Some(ms(550)));
        assert_eq!(r.handle_timeout(ms(550)).unwrap().digit, '3');
        assert_eq!(r.handle_timeout(ms(900)), None);
    }

    proptest::proptest! {
        #[test]
        fn receiver_never_panics(pkts in proptest::collection::vec((proptest::num::u32::ANY, proptest::collection::vec(proptest::num::u8::ANY, 0..6)), 0..30)) {
            let now = Instant::now();
            let mut r = DtmfReceiver::new(8000);
            for (ts, p) in pkts { let _ = r.on_packet(now, ts, &p); }
            let _ = r.handle_timeout(now + Duration::from_secs(1));
        }
    }
}
