//! Live heap figures for the `uas` example's `--stats-every` lines: the
//! process's global allocator is the system one wrapped to count the bytes
//! and blocks alive and the peak since the last look. Measurement only;
//! what it reports is what the program holds, while RSS also counts what
//! the allocator keeps after a free.

// A `GlobalAlloc` implementation is unsafe by definition. This one only
// forwards to `System` with the same arguments and adds relaxed counters;
// it is part of this example program, not of the library.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The counting allocator.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static BLOCKS: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(n: usize) {
    let live = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(live, Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
            BLOCKS.fetch_add(1, Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size());
            BLOCKS.fetch_add(1, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator (hence `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
        BLOCKS.fetch_sub(1, Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller
        // upholds `realloc`'s contract for `new_size`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            grow(new_size);
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        p
    }
}

/// Bytes and blocks alive now, and the peak of live bytes since the last
/// call (which starts a new peak).
pub fn take() -> (usize, usize, usize) {
    let live = LIVE.load(Relaxed);
    let peak = PEAK.swap(live, Relaxed);
    (live, BLOCKS.load(Relaxed), peak.max(live))
}

/// The process's resident set in kB (Linux), or 0 when unknown.
pub fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Hands the free pages the allocator keeps back to the operating system
/// (glibc's `malloc_trim`); for a process that has gone idle after a
/// burst. Elsewhere a no-op.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn trim() {
    extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: malloc_trim takes a plain integer, touches only the
    // allocator's own state under its locks, and is safe to call at any
    // time from any thread.
    unsafe {
        malloc_trim(0);
    }
}

/// Hands free pages back to the operating system (glibc only).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim() {}
