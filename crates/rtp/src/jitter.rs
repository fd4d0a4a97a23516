//! Adaptive jitter buffer.
//!
//! Packets go in as they arrive ([`JitterBuffer::insert`]); the decoder pulls
//! one frame per packet time ([`JitterBuffer::pop`]). Playout follows the
//! sequence number. The playout delay starts at one packet time and adapts:
//! an underrun (the next packet missing with nothing behind it) waits one
//! packet time instead of declaring a loss, which grows the delay; a buffer
//! that stays deeper than the target (which follows the RFC 3550 jitter
//! estimate) drops one frame per `shrink_interval` pops, which shrinks it
//! slowly. A missing packet with later ones queued is reported as
//! [`Playout::Lost`] so the decoder can conceal it. A new SSRC (a PBX
//! switching media source after a transfer) or a sequence jump restarts the
//! sequence tracking at once, without re-buffering and without emitting a
//! burst of losses. Comfort noise (PT 13) is passed through like any frame.
//!
//! Payloads live in buffers apart from the slots, handed out last-freed
//! first: the buffer a pop gives back is the next insert's, so with a
//! shallow buffer the same few stay in the CPU cache however many sessions
//! share it (a slot per sequence number would touch a cold buffer per
//! packet). A buffer is allocated the first time the pool runs short and
//! reused after that: in steady state inserting and popping do not
//! allocate.

use std::time::{Duration, Instant};

/// RTP payload type of comfort noise (RFC 3389).
pub const PT_COMFORT_NOISE: u8 = 13;

/// Settings of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Packet time in timestamp units (160 for 20 ms at 8 kHz).
    pub samples_per_packet: u32,
    /// Largest playout delay in packets; also the slot count.
    pub max_packets: usize,
    /// Largest payload kept, in octets; larger payloads are discarded.
    pub max_payload: usize,
    /// Pops between two shrink steps.
    pub shrink_interval: u32,
}

impl Default for JitterConfig {
    fn default() -> Self {
        JitterConfig {
            clock_rate: 8000,
            samples_per_packet: 160,
            max_packets: 50,
            max_payload: 1500,
            shrink_interval: 50,
        }
    }
}

/// Counters and the current state of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets accepted into the buffer.
    pub received: u64,
    /// Frames handed to the decoder.
    pub played: u64,
    /// Frames reported lost.
    pub lost: u64,
    /// Packets that arrived after their playout time.
    pub late: u64,
    /// Duplicate packets dropped.
    pub duplicates: u64,
    /// Frames dropped to shrink the delay, on overflow, or at a source change.
    pub discarded: u64,
    /// Pops that found the buffer empty.
    pub underruns: u64,
    /// Current playout delay (buffered frames × packet time).
    pub current_delay: Duration,
    /// Delay the buffer is steering towards.
    pub target_delay: Duration,
    /// RFC 3550 interarrival jitter.
    pub jitter: Duration,
}

/// One frame handed to the decoder; borrows the buffer's slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The payload (encoded audio, or comfort noise parameters).
    pub payload: &'a [u8],
    /// Payload type.
    pub payload_type: u8,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Sequence number.
    pub sequence_number: u16,
    /// The marker bit (talkspurt start).
    pub marker: bool,
    /// SSRC of the source.
    pub ssrc: u32,
    /// True for the first frame after the SSRC changed.
    pub source_changed: bool,
}

/// What the decoder should play this packet time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Playout<'a> {
    /// A received frame.
    Frame(Frame<'a>),
    /// A frame is missing: conceal one packet time.
    Lost {
        /// Sequence number that was expected.
        sequence_number: u16,
    },
    /// Nothing to play (before the first packet, or the stream paused).
    Empty,
}

/// 16 octets: four consecutive sequence numbers share a cache line.
struct Slot {
    filled: bool,
    marker: bool,
    pt: u8,
    seq: u16,
    /// Payload length (payloads over 65,535 octets are discarded).
    len: u16,
    ts: u32,
    ssrc: u32,
    /// Index of the payload buffer while filled (at most 1,024 slots).
    buf: u16,
}

/// The adaptive jitter buffer; see the module documentation.
pub struct JitterBuffer {
    cfg: JitterConfig,
    slots: Vec<Slot>,
    /// Payload buffers, grown on first use, then reused.
    payloads: Vec<Vec<u8>>,
    /// Free payload buffers, the most recently freed last.
    free: Vec<usize>,
    playing: bool,
    next_seq: u16,
    ssrc: Option<u32>,
    source_changed: bool,
    /// Highest sequence number buffered, as an offset from `next_seq`.
    buffered: usize,
    /// Slots holding a packet.
    filled: usize,
    target: usize,
    waits: usize,
    deep_pops: u32,
    epoch: Option<Instant>,
    transit: Option<i64>,
    jitter: f64,
    stats: JitterStats,
}

impl std::fmt::Debug for JitterBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitterBuffer")
            .field("playing", &self.playing)
            .field("next_seq", &self.next_seq)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl JitterBuffer {
    /// A buffer with every slot allocated up front.
    pub fn new(cfg: JitterConfig) -> Self {
        let cfg = JitterConfig {
            clock_rate: cfg.clock_rate.max(1),
            samples_per_packet: cfg.samples_per_packet.max(1),
            max_packets: cfg.max_packets.clamp(2, 1024),
            ..cfg
        };
        let slots = (0..cfg.max_packets)
            .map(|_| Slot {
                filled: false,
                seq: 0,
                ts: 0,
                pt: 0,
                marker: false,
                ssrc: 0,
                len: 0,
                buf: 0,
            })
            .collect();
        JitterBuffer {
            cfg,
            slots,
            payloads: Vec::new(),
            free: Vec::new(),
            playing: false,
            next_seq: 0,
            ssrc: None,
            source_changed: false,
            buffered: 0,
            filled: 0,
            target: 1,
            waits: 0,
            deep_pops: 0,
            epoch: None,
            transit: None,
            jitter: 0.0,
            stats: JitterStats::default(),
        }
    }

    fn ptime(&self) -> Duration {
        Duration::from_nanos(
            u64::from(self.cfg.samples_per_packet) * 1_000_000_000 / u64::from(self.cfg.clock_rate),
        )
    }

    /// Counters and current delays.
    pub fn stats(&self) -> JitterStats {
        let mut s = self.stats;
        s.current_delay = self.ptime() * self.depth() as u32;
        s.target_delay = self.ptime() * self.target as u32;
        s.jitter =
            Duration::from_nanos((self.jitter * 1e9 / f64::from(self.cfg.clock_rate)) as u64);
        s
    }

    fn depth(&self) -> usize {
        if self.filled > 0 {
            self.buffered + 1
        } else {
            0
        }
    }

    /// Empties slot `i` (which must be filled) and frees its buffer.
    fn release(&mut self, i: usize) {
        let s = &mut self.slots[i];
        s.filled = false;
        self.free.push(usize::from(s.buf));
        self.filled -= 1;
    }

    fn clear(&mut self) {
        for i in 0..self.slots.len() {
            if self.slots[i].filled {
                self.release(i);
                self.stats.discarded += 1;
            }
        }
        self.filled = 0;
        self.buffered = 0;
    }

    fn update_jitter(&mut self, now: Instant, ts: u32) {
        let epoch = *self.epoch.get_or_insert(now);
        let arrival =
            crate::stats::clock_units(now.saturating_duration_since(epoch), self.cfg.clock_rate);
        let transit = i64::from(arrival.wrapping_sub(ts) as i32);
        if let Some(prev) = self.transit {
            let d = (transit - prev).unsigned_abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.transit = Some(transit);
        let spp = f64::from(self.cfg.samples_per_packet);
        let want = ((spp + 3.0 * self.jitter) / spp).ceil() as usize;
        self.target = want.clamp(1, self.cfg.max_packets - 1);
    }

    /// Restarts sequence tracking at `seq`, keeping the playout running.
    fn restart_at(&mut self, seq: u16) {
        self.clear();
        self.next_seq = seq;
        self.waits = 0;
    }

    /// Stores one received packet. `now` is its arrival time.
    #[allow(clippy::too_many_arguments)]
    pub fn insert(
        &mut self,
        now: Instant,
        ssrc: u32,
        sequence_number: u16,
        timestamp: u32,
        payload_type: u8,
        marker: bool,
        payload: &[u8],
    ) {
        if payload.len() > self.cfg.max_payload || payload.len() > usize::from(u16::MAX) {
            self.stats.discarded += 1;
            return;
        }
        if self.ssrc != Some(ssrc) {
            let had = self.ssrc.is_some();
            self.ssrc = Some(ssrc);
            self.transit = None;
            self.restart_at(sequence_number);
            self.source_changed = had;
        }
        self.update_jitter(now, timestamp);
        let n = self.slots.len();
        let mut off = sequence_number.wrapping_sub(self.next_seq);
        if off >= 0x8000 {
            // Behind the playout point.
            let behind = 0x1_0000 - usize::from(off);
            if behind > 3 * n {
                // The sender jumped backwards (a restart): follow it.
                self.restart_at(sequence_number);
                off = 0;
            } else {
                self.stats.late += 1;
                return;
            }
        } else if usize::from(off) >= n {
            if usize::from(off) > 3 * n || !self.playing {
                // A sequence jump: restart there without a burst of losses.
                self.restart_at(sequence_number);
                off = 0;
            } else {
                // Ahead of the buffer: make room by playing faster.
                while usize::from(sequence_number.wrapping_sub(self.next_seq)) >= n {
                    let i = usize::from(self.next_seq) % n;
                    if self.slots[i].filled {
                        self.release(i);
                        self.stats.discarded += 1;
                    }
                    self.next_seq = self.next_seq.wrapping_add(1);
                    self.buffered = self.buffered.saturating_sub(1);
                }
                off = sequence_number.wrapping_sub(self.next_seq);
            }
        }
        let i = usize::from(sequence_number) % n;
        if self.slots[i].filled && self.slots[i].seq == sequence_number {
            self.stats.duplicates += 1;
            return;
        }
        if !self.slots[i].filled {
            self.filled += 1;
            // Never more buffers than slots (1,024 at most): fits a u16.
            self.slots[i].buf = match self.free.pop() {
                Some(b) => b as u16,
                None => {
                    self.payloads.push(Vec::new());
                    (self.payloads.len() - 1) as u16
                }
            };
        }
        let slot = &mut self.slots[i];
        slot.filled = true;
        slot.seq = sequence_number;
        slot.ts = timestamp;
        slot.pt = payload_type;
        slot.marker = marker;
        slot.ssrc = ssrc;
        slot.len = payload.len() as u16;
        let data = &mut self.payloads[usize::from(slot.buf)];
        data.clear();
        data.extend_from_slice(payload);
        self.buffered = self.buffered.max(usize::from(off));
        self.stats.received += 1;
    }

    /// The frame to play this packet time; call once per packet time.
    pub fn pop(&mut self) -> Playout<'_> {
        debug_assert_eq!(self.filled, self.slots.iter().filter(|s| s.filled).count());
        let n = self.slots.len();
        let depth = self.depth();
        if !self.playing {
            if depth == 0 || depth < self.target {
                return Playout::Empty;
            }
            // Start at the oldest buffered packet.
            while !self.slots[usize::from(self.next_seq) % n].filled {
                self.next_seq = self.next_seq.wrapping_add(1);
                self.buffered = self.buffered.saturating_sub(1);
            }
            self.playing = true;
        }
        // Shrink slowly while the buffer stays deeper than the target.
        if depth > self.target + 1 {
            self.deep_pops += 1;
            if self.deep_pops >= self.cfg.shrink_interval {
                self.deep_pops = 0;
                let i = usize::from(self.next_seq) % n;
                if self.slots[i].filled {
                    self.release(i);
                    self.stats.discarded += 1;
                }
                self.next_seq = self.next_seq.wrapping_add(1);
                self.buffered = self.buffered.saturating_sub(1);
            }
        } else {
            self.deep_pops = 0;
        }
        let i = usize::from(self.next_seq) % n;
        let seq = self.next_seq;
        if self.slots[i].filled && self.slots[i].seq == seq {
            self.next_seq = seq.wrapping_add(1);
            self.buffered = self.buffered.saturating_sub(1);
            self.waits = 0;
            self.stats.played += 1;
            let changed = std::mem::take(&mut self.source_changed);
            // The buffer goes back to the pool; the returned frame borrows
            // it (and `self`) until the caller is done with it.
            self.release(i);
            let s = &self.slots[i];
            return Playout::Frame(Frame {
                payload: &self.payloads[usize::from(s.buf)][..usize::from(s.len)],
                payload_type: s.pt,
                timestamp: s.ts,
                sequence_number: s.seq,
                marker: s.marker,
                ssrc: s.ssrc,
                source_changed: changed,
            });
        }
        if self.depth() == 0 {
            // Underrun: wait for the packet (this grows the delay by one
            // packet time); after the largest delay, treat the stream as
            // paused and re-buffer when it resumes.
            self.stats.underruns += 1;
            self.waits += 1;
            if self.waits >= self.cfg.max_packets {
                self.playing = false;
                self.waits = 0;
                return Playout::Empty;
            }
            self.target = (self.target + 1).min(self.cfg.max_packets - 1);
            return Playout::Lost {
                sequence_number: seq,
            };
        }
        // Later packets are here: this one is lost.
        self.next_seq = seq.wrapping_add(1);
        self.buffered = self.buffered.saturating_sub(1);
        self.stats.lost += 1;
        Playout::Lost {
            sequence_number: seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jb() -> JitterBuffer {
        JitterBuffer::new(JitterConfig::default())
    }

    fn frame_seq(p: Playout<'_>) -> Option<u16> {
        match p {
            Playout::Frame(f) => Some(f.sequence_number),
            _ => None,
        }
    }

    fn ins(b: &mut JitterBuffer, t: Instant, ms: u64, seq: u16) {
        b.insert(
            t + Duration::from_millis(ms),
            1,
            seq,
            u32::from(seq) * 160,
            0,
            false,
            &[seq as u8; 160],
        );
    }

    #[test]
    fn payloads_of_mixed_sizes_keep_their_contents() {
        // Pooled buffers are reused for payloads longer and shorter than
        // what they held before.
        let t = Instant::now();
        let mut b = jb();
        let sizes = [20usize, 160, 161, 1000, 3];
        let mut want = Vec::new();
        let mut got = Vec::new();
        for (round, order) in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]].iter().enumerate() {
            for (k, &i) in order.iter().enumerate() {
                let seq = 10 + (round * 5 + k) as u16;
                let payload = vec![seq as u8; sizes[i]];
                b.insert(t, 1, seq, u32::from(seq) * 160, 0, false, &payload);
                want.push((seq, payload));
            }
            for _ in 0..8 {
                if let Playout::Frame(f) = b.pop() {
                    got.push((f.sequence_number, f.payload.to_vec()));
                }
            }
        }
        assert_eq!(got, want);
    }

    #[test]
    fn in_order_stream_plays_with_one_packet_delay() {
        let t = Instant::now();
        let mut b = jb();
        assert_eq!(b.pop(), Playout::Empty);
        for s in 0..10u16 {
            ins(&mut b, t, u64::from(s) * 20, s);
            assert_eq!(frame_seq(b.pop()), Some(s));
        }
        let st = b.stats();
        assert_eq!((st.played, st.lost, st.late), (10, 0, 0));
        assert_eq!(st.target_delay, Duration::from_millis(20));
    }

    #[test]
    fn a_shallow_stream_reuses_the_same_few_payload_buffers() {
        let t = Instant::now();
        let mut b = jb();
        for s in 0..500u16 {
            ins(&mut b, t, u64::from(s) * 20, s);
            let p = b.pop();
            assert!(matches!(p, Playout::Frame(f) if f.payload == [s as u8; 160]));
        }
        // Slot per sequence number, but one buffer: the one a pop frees is
        // the next insert's.
        assert_eq!(b.payloads.len(), 1);
        // Reordering and a jump release and reuse buffers too.
        for s in [600u16, 602, 601, 603] {
            ins(&mut b, t, 12_000, s);
        }
        // (600 is ahead of the window: the gap before it plays as losses.)
        for _ in 0..60 {
            b.pop();
        }
        // Every buffer is either in a filled slot or free, none leaked.
        assert_eq!(b.free.len() + b.filled, b.payloads.len());
        assert_eq!(b.filled, 0);
        assert!(b.payloads.len() <= 4);
    }

    #[test]
    fn reordering_duplicates_and_loss() {
        let t = Instant::now();
        let mut b = jb();
        for s in [0u16, 2, 1, 1, 4, 5] {
            ins(&mut b, t, 0, s);
        }
        let out: Vec<String> = (0..6)
            .map(|_| match b.pop() {
                Playout::Frame(f) => format!("f{}", f.sequence_number),
                Playout::Lost { sequence_number } => format!("l{sequence_number}"),
                Playout::Empty => "e".into(),
            })
            .collect();
        assert_eq!(out, ["f0", "f1", "f2", "l3", "f4", "f5"]);
        ins(&mut b, t, 0, 3);
        let st = b.stats();
        assert_eq!((st.duplicates, st.lost, st.late), (1, 1, 1));
    }

    #[test]
    fn underrun_waits_and_grows_the_delay() {
        let t = Instant::now();
        let mut b = jb();
        ins(&mut b, t, 0, 0);
        assert_eq!(frame_seq(b.pop()), Some(0));
        // Packet 1 is late: one wait, then it plays (not declared lost).
        assert_eq!(b.pop(), Playout::Lost { sequence_number: 1 });
        ins(&mut b, t, 45, 1);
        assert_eq!(frame_seq(b.pop()), Some(1));
        assert_eq!(b.stats().lost, 0);
        assert!(b.stats().target_delay >= Duration::from_millis(40));
    }

    #[test]
    fn ssrc_change_switches_without_stall_or_loss_burst() {
        let t = Instant::now();
        let mut b = jb();
        for s in 100..103u16 {
            ins(&mut b, t, 0, s);
        }
        assert_eq!(frame_seq(b.pop()), Some(100));
        // New source with unrelated numbering.
        b.insert(t, 2, 40000, 9_000_000, 8, true, &[1; 160]);
        match b.pop() {
            Playout::Frame(f) => {
                assert_eq!(
                    (f.ssrc, f.sequence_number, f.source_changed),
                    (2, 40000, true)
                );
            }
            other => panic!("{other:?}"),
        }
        b.insert(t, 2, 40001, 9_000_160, 8, false, &[1; 160]);
        assert_eq!(frame_seq(b.pop()), Some(40001));
        assert_eq!(b.stats().lost, 0);
    }

    #[test]
    fn sequence_jump_restarts_and_comfort_noise_passes() {
        let t = Instant::now();
        let mut b = jb();
        ins(&mut b, t, 0, 5);
        assert_eq!(frame_seq(b.pop()), Some(5));
        b.insert(t, 1, 30000, 1, PT_COMFORT_NOISE, false, &[40]);
        match b.pop() {
            Playout::Frame(f) => assert_eq!(
                (f.sequence_number, f.payload_type, f.payload),
                (30000, 13, &[40u8][..])
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(b.stats().lost, 0);
    }

    #[test]
    fn deep_buffer_shrinks_slowly() {
        let t = Instant::now();
        let cfg = JitterConfig {
            shrink_interval: 5,
            ..Default::default()
        };
        let mut b = JitterBuffer::new(cfg);
        for s in 0..10u16 {
            ins(&mut b, t, 0, s);
        }
        let before = b.stats().current_delay;
        for _ in 0..5 {
            b.pop();
        }
        assert!(b.stats().discarded >= 1);
        assert!(b.stats().current_delay < before);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_counts_add_up(ops in proptest::collection::vec((0u16..200, proptest::bool::ANY, 0u32..3), 0..300)) {
            let t = Instant::now();
            let mut b = JitterBuffer::new(JitterConfig { max_packets: 8, ..Default::default() });
            let mut frames = 0u64;
            for (i, (seq, pop, ssrc)) in ops.into_iter().enumerate() {
                b.insert(t + Duration::from_millis(i as u64 * 20), ssrc, seq, u32::from(seq) * 160, 0, false, &[0; 10]);
                if pop {
                    if let Playout::Frame(_) = b.pop() {
                        frames += 1;
                    }
                }
            }
            proptest::prop_assert_eq!(b.stats().played, frames);
            proptest::prop_assert!(b.stats().played <= b.stats().received);
        }
    }
}
