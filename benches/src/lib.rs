//! Shared pieces of the workspace benchmarks (the benches live in
//! `benches/benches/`): the C baselines they compare against.

/// sofia-sip, the baseline of the `sip_parse` bench. Present when
/// `libsofia-sip-ua-dev` was found at build time.
#[cfg(have_sofia)]
pub mod sofia {
    // The one FFI call of the baseline; unsafe is confined to this module.
    #![allow(unsafe_code)]
    extern "C" {
        fn heron_sofia_parse(data: *const u8, len: usize) -> i32;
    }

    /// Fully parses one message with sofia-sip and reads its main headers;
    /// returns a count of what was read, or -1 when sofia rejects it.
    pub fn parse(data: &[u8]) -> i32 {
        // SAFETY: the shim reads `len` bytes from `data`, a valid slice for
        // the duration of the call, and keeps no pointer to it.
        unsafe { heron_sofia_parse(data.as_ptr(), data.len()) }
    }
}

/// Whether the sofia-sip baseline was built.
pub const HAVE_SOFIA: bool = cfg!(have_sofia);
