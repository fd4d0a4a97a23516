//! Measuring helpers shared by the heron-rtp tools (srtp-bench, hotpath,
//! cold-pairs); included by path, not an example of its own.

use std::time::Duration;

/// This thread's CPU time, where the OS reports it (Linux's schedstat, in
/// nanoseconds); `None` elsewhere.
pub fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = s.split_whitespace().next()?.parse::<u64>().ok()?;
    Some(Duration::from_nanos(ns))
}

/// The median of a non-empty set of figures (the upper one of an even
/// count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}
