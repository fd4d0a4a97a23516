//! Reception statistics per RFC 3550 Appendix A.1 (sequence validation),
//! A.3 (expected and lost packets), A.8 (interarrival jitter) and the
//! round-trip time from LSR/DLSR (§6.4.1).

use crate::rtcp::ReportBlock;

const MAX_DROPOUT: u16 = 3000;
const MAX_MISORDER: u16 = 100;
const MIN_SEQUENTIAL: u8 = 2;
const RTP_SEQ_MOD: u32 = 1 << 16;

/// What [`ReceiveStats::update_seq`] made of a packet's sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqUpdate {
    /// The packet is valid and counted.
    Valid,
    /// The source is still on probation (RFC 3550 A.1); not yet counted.
    Probation,
    /// A very large jump; if the next packet follows it, the source restarted.
    Jump,
    /// The source restarted its sequence numbering; statistics were reset.
    Restarted,
}

/// Per-source reception statistics.
#[derive(Debug, Clone, Default)]
pub struct ReceiveStats {
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u8,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    transit: Option<i64>,
    jitter: f64,
    initialised: bool,
}

impl ReceiveStats {
    /// A source first seen with sequence number `seq` (RFC 3550 A.1 `init_seq`
    /// plus probation).
    pub fn new(seq: u16) -> Self {
        let mut s = ReceiveStats {
            probation: MIN_SEQUENTIAL,
            max_seq: seq.wrapping_sub(1),
            ..Default::default()
        };
        s.initialised = true;
        s
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = RTP_SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// Updates the sequence state with a received packet (RFC 3550 A.1).
    pub fn update_seq(&mut self, seq: u16) -> SeqUpdate {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return SeqUpdate::Valid;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SeqUpdate::Probation;
        } else if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles += RTP_SEQ_MOD;
            }
            self.max_seq = seq;
        } else if udelta
            <= (RTP_SEQ_MOD as u16)
                .wrapping_sub(MAX_MISORDER)
                .wrapping_sub(1)
        {
            if u32::from(seq) == self.bad_seq {
                self.init_seq(seq);
                self.received += 1;
                return SeqUpdate::Restarted;
            }
            self.bad_seq = (u32::from(seq) + 1) & (RTP_SEQ_MOD - 1);
            return SeqUpdate::Jump;
        }
        // Duplicate or reordered packets are counted too (A.1).
        self.received += 1;
        SeqUpdate::Valid
    }

    /// Updates the interarrival jitter (A.8) with a packet's RTP timestamp
    /// and its arrival time expressed in the same clock's units.
    pub fn update_jitter(&mut self, rtp_timestamp: u32, arrival: u32) {
        let transit = i64::from(arrival.wrapping_sub(rtp_timestamp) as i32);
        if let Some(prev) = self.transit {
            let d = (transit - prev).unsigned_abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.transit = Some(transit);
    }

    /// Extended highest sequence number received.
    pub fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets expected (A.3).
    pub fn expected(&self) -> u32 {
        if !self.initialised || self.probation > 0 {
            return 0;
        }
        self.extended_max()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    /// Packets received and counted.
    pub fn received(&self) -> u32 {
        self.received
    }

    /// Cumulative packets lost (A.3); negative with duplicates.
    pub fn lost(&self) -> i64 {
        i64::from(self.expected()) - i64::from(self.received)
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        self.jitter as u32
    }

    /// Builds the report block for this source and starts a new interval
    /// (fraction lost is relative to the previous call).
    pub fn report_block(
        &mut self,
        ssrc: u32,
        last_sr: u32,
        delay_since_last_sr: u32,
    ) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            highest_seq: self.extended_max(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }
}

/// Middle 32 bits of a 64-bit NTP timestamp (the LSR format).
pub fn ntp_middle32(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// Round-trip time from a report block received at `arrival_ntp` (§6.4.1):
/// A − LSR − DLSR, in 1/65536 s. `None` when LSR is 0 (no SR received yet)
/// or the result would be negative.
pub fn round_trip_time(arrival_ntp: u64, block: &ReportBlock) -> Option<std::time::Duration> {
    if block.last_sr == 0 {
        return None;
    }
    let a = ntp_middle32(arrival_ntp);
    let rtt = a
        .wrapping_sub(block.last_sr)
        .checked_sub(block.delay_since_last_sr)?;
    if rtt > 0x8000_0000 {
        return None;
    }
    Some(std::time::Duration::from_nanos(
        (u64::from(rtt) * 1_000_000_000) >> 16,
    ))
}

/// `elapsed` in units of a `clock_rate` Hz media clock, modulo 2^32 (an
/// RTP arrival time, RFC 3550 A.8), in 64-bit arithmetic: per packet this
/// replaces a 128-bit division.
pub(crate) fn clock_units(elapsed: std::time::Duration, clock_rate: u32) -> u32 {
    let rate = u64::from(clock_rate);
    let whole = elapsed.as_secs().wrapping_mul(rate);
    // Below 10^9 × 2^32: no overflow.
    let part = u64::from(elapsed.subsec_nanos()) * rate / 1_000_000_000;
    whole.wrapping_add(part) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_source(first: u16) -> ReceiveStats {
        let mut s = ReceiveStats::new(first);
        assert_eq!(s.update_seq(first), SeqUpdate::Probation);
        assert_eq!(s.update_seq(first.wrapping_add(1)), SeqUpdate::Valid);
        s
    }

    #[test]
    fn expected_and_lost_across_wrap() {
        let mut s = valid_source(65530);
        // 65531 counted; now 65532..65535, 0..9 with 3 losses (65534, 2, 3).
        for q in [65532u16, 65533, 65535, 0, 1, 4, 5, 6, 7, 8, 9] {
            assert_eq!(s.update_seq(q), SeqUpdate::Valid);
        }
        assert_eq!(s.extended_max(), 65536 + 9);
        assert_eq!(s.expected(), 15);
        assert_eq!(s.received(), 12);
        assert_eq!(s.lost(), 3);
        let rb = s.report_block(7, 0, 0);
        assert_eq!(rb.cumulative_lost, 3);
        assert_eq!(rb.fraction_lost, (3 * 256 / 15) as u8);
        // Next interval without loss.
        s.update_seq(10);
        assert_eq!(s.report_block(7, 0, 0).fraction_lost, 0);
    }

    #[test]
    fn restart_after_two_sequential_jumps() {
        let mut s = valid_source(100);
        assert_eq!(s.update_seq(40000), SeqUpdate::Jump);
        assert_eq!(s.update_seq(40001), SeqUpdate::Restarted);
        assert_eq!(s.expected(), 1);
    }

    #[test]
    fn jitter_of_constant_transit_is_zero_and_grows_with_variation() {
        let mut s = valid_source(1);
        for i in 0..10u32 {
            s.update_jitter(i * 160, 1000 + i * 160);
        }
        assert_eq!(s.jitter(), 0);
        for i in 10..200u32 {
            let wobble = if i % 2 == 0 { 80 } else { 0 };
            s.update_jitter(i * 160, 1000 + i * 160 + wobble);
        }
        // Converges to |D| = 80.
        assert!((75..=80).contains(&s.jitter()), "{}", s.jitter());
    }

    #[test]
    fn rtt_from_lsr_dlsr() {
        // RFC 3550 §6.4.1 example: A=0xb710_8000 (46864.500 s), LSR 46853.125, DLSR 5.250.
        let arrival = (0xb710_8000u64) << 16;
        let rb = ReportBlock {
            last_sr: 0xb705_2000,
            delay_since_last_sr: 0x0005_4000,
            ..Default::default()
        };
        assert_eq!(
            round_trip_time(arrival, &rb),
            Some(std::time::Duration::from_millis(6125))
        );
        assert_eq!(round_trip_time(arrival, &ReportBlock::default()), None);
    }

    proptest::proptest! {
        #[test]
        fn clock_units_match_the_exact_division(secs in 0u64..1u64 << 40, nanos in 0u32..1_000_000_000, rate in 1u32..=192_000) {
            let d = std::time::Duration::new(secs, nanos);
            let exact = (d.as_nanos() * u128::from(rate) / 1_000_000_000) as u32;
            proptest::prop_assert_eq!(super::clock_units(d, rate), exact);
        }
    }
}
