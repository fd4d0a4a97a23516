//! Shared helpers for the workspace benchmarks (the benches live in `benches/benches/`).
