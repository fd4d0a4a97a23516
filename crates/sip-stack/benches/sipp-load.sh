#!/usr/bin/env bash
# SIPp load against the sip-ping example in answer-only mode on loopback:
# OPTIONS at RATE per second for SECS seconds over UDP; prints SIPp's
# summary and the UAS's CPU and peak memory (GNU time).
# Usage: crates/sip-stack/benches/sipp-load.sh [RATE] [SECS]
set -euo pipefail
RATE=${1:-5000}
SECS=${2:-30}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
command -v sipp >/dev/null || { echo "sipp not found: install sip-tester" >&2; exit 1; }
cargo build --release -p heron-sip-stack --example sip-ping --manifest-path "$ROOT/Cargo.toml"
WORK=$(mktemp -d)
cd "$WORK"
/usr/bin/time -v "$ROOT/target/release/examples/sip-ping" --listen 127.0.0.1:15070 \
    --serve-secs $((SECS + 15)) >serve.out 2>serve.time &
UAS=$!
sleep 1
sipp -sf "$ROOT/crates/sip-stack/tests/sipp/uac_options_load.xml" -i 127.0.0.1 -p 16070 \
    -t u1 -r "$RATE" -m $((RATE * SECS)) -l 20000 -nostdin -s svc 127.0.0.1:15070 >sipp.out 2>&1
tail -4 sipp.out
wait "$UAS"
grep -E "Percent of CPU|Maximum resident|User time|System time" serve.time
