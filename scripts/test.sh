#!/usr/bin/env bash
# The one command that runs every check: installs what is missing, then
# formatting, lints and the whole workspace's tests (unit, vectors, property,
# interop). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
