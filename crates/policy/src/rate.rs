//! Call-rate limiting: a token bucket (`policy.rate`), and a per-day cap
//! (`policy.max_calls_per_day`). Time is passed in.

use std::time::{Duration, Instant};

/// `calls` calls per `per`, with bursts of up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per period.
    pub calls: u32,
    /// The period.
    pub per: Duration,
    /// Bucket size: calls that may start back to back.
    pub burst: u32,
}

/// A token bucket; starts full.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    limit: RateLimit,
    /// Tokens in millitokens, to refill smoothly.
    milli: u64,
    last: Option<Instant>,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: RateLimit) -> Self {
        TokenBucket {
            limit,
            milli: u64::from(limit.burst.max(1)) * 1000,
            last: None,
        }
    }

    /// The limit.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    fn refill(&mut self, now: Instant) {
        let cap = u64::from(self.limit.burst.max(1)) * 1000;
        let Some(last) = self.last else {
            self.last = Some(now);
            return;
        };
        if self.milli >= cap || self.limit.calls == 0 {
            self.last = Some(now);
            return;
        }
        let elapsed = now.saturating_duration_since(last).as_nanos();
        let per = self.limit.per.as_nanos().max(1);
        let rate = u128::from(self.limit.calls) * 1000;
        let add = elapsed * rate / per;
        let total = u128::from(self.milli) + add;
        if total >= u128::from(cap) {
            self.milli = cap;
            self.last = Some(now);
        } else {
            self.milli = total as u64;
            // Advance only by the time that became whole millitokens, so
            // frequent calls do not lose the remainder.
            let used = add * per / rate;
            self.last = Some(last + std::time::Duration::from_nanos(used as u64));
        }
    }

    /// Whether a token could be taken now, without taking it.
    pub fn peek(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.milli >= 1000 {
            Ok(())
        } else {
            Err(self.wait_for(1000 - self.milli))
        }
    }

    /// Takes one token, or says how long until one is available.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        self.peek(now)?;
        self.milli -= 1000;
        Ok(())
    }

    fn wait_for(&self, milli: u64) -> Duration {
        if self.limit.calls == 0 {
            return Duration::MAX;
        }
        let nanos =
            u128::from(milli) * self.limit.per.as_nanos() / (u128::from(self.limit.calls) * 1000);
        Duration::from_nanos(nanos.min(u128::from(u64::MAX)) as u64 + 1)
    }
}

/// At most `max` calls per local calendar day.
#[derive(Debug, Clone)]
pub struct DailyCap {
    max: u32,
    day: Option<i64>,
    count: u32,
}

impl DailyCap {
    /// A cap of `max` calls a day.
    pub fn new(max: u32) -> Self {
        DailyCap {
            max,
            day: None,
            count: 0,
        }
    }

    /// Whether another call fits today.
    pub fn peek(&mut self, day: i64) -> bool {
        if self.day != Some(day) {
            self.day = Some(day);
            self.count = 0;
        }
        self.count < self.max
    }

    /// Counts a call; false when today's cap is reached.
    pub fn take(&mut self, day: i64) -> bool {
        if !self.peek(day) {
            return false;
        }
        self.count += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(calls: u32, secs: u64, burst: u32) -> RateLimit {
        RateLimit {
            calls,
            per: Duration::from_secs(secs),
            burst,
        }
    }

    #[test]
    fn burst_then_steady_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(limit(6, 60, 3));
        for _ in 0..3 {
            assert!(b.take(t0).is_ok());
        }
        let wait = b.take(t0).unwrap_err();
        // One call per 10 s.
        assert!(
            wait > Duration::from_secs(9)
                && wait <= Duration::from_secs(10) + Duration::from_millis(1),
            "{wait:?}"
        );
        assert!(b.take(t0 + Duration::from_secs(5)).is_err());
        assert!(b.take(t0 + Duration::from_secs(10)).is_ok());
        assert!(b.take(t0 + Duration::from_secs(10)).is_err());
        // A long pause refills to the burst size only.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(b.take(later).is_ok());
        }
        assert!(b.take(later).is_err());
    }

    #[test]
    fn peek_does_not_consume() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(limit(1, 1, 1));
        assert!(b.peek(t0).is_ok());
        assert!(b.peek(t0).is_ok());
        assert!(b.take(t0).is_ok());
        assert!(b.peek(t0).is_err());
    }

    #[test]
    fn frequent_polling_still_refills() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(limit(1, 1, 1));
        assert!(b.take(t0).is_ok());
        let mut t = t0;
        for _ in 0..667 {
            t += Duration::from_micros(1500);
            let _ = b.peek(t);
        }
        assert!(
            b.take(t).is_ok(),
            "a second of 1.5 ms polls refills one token"
        );
    }

    #[test]
    fn zero_rate_never_refills() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(limit(0, 60, 1));
        assert!(b.take(t0).is_ok());
        assert_eq!(
            b.take(t0 + Duration::from_secs(1_000_000)),
            Err(Duration::MAX)
        );
    }

    #[test]
    fn daily_cap_resets_each_day() {
        let mut c = DailyCap::new(2);
        assert!(c.take(100));
        assert!(c.take(100));
        assert!(!c.take(100));
        assert!(!c.peek(100));
        assert!(c.take(101));
        let mut none = DailyCap::new(0);
        assert!(!none.take(1));
    }
}
