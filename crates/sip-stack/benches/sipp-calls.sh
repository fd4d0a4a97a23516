#!/usr/bin/env bash
# SIPp's built-in UAC (-sn uac: INVITE, 180, 200, ACK, BYE) against the uas
# example on loopback, one core each (taskset). Each phase is SECS seconds
# at RATE calls/s followed by IDLE (default 70) seconds idle, long enough
# for every RFC 3261 timer to drain, also a 2xx never acknowledged (64·T1)
# followed by its BYE (64·T1); the warm-up phase is the same as the main ones, so the allocator's high-water
# mark is reached before the first measurement. Per phase it prints SIPp's
# totals, the uas process's CPU ticks (1/100 s) and, after the idle period,
# its resident memory and its own `stats` line (calls, transactions and
# user-agent entries alive, live heap bytes and blocks, heap peak during
# the phase).
# The uas hands free heap pages back to the system when it goes idle
# (glibc malloc_trim); UAS_ARGS=--no-trim shows the allocator's retention.
# Usage: [PHASES="warmup main main2"] [UAS_ARGS=...] [IDLE=70] crates/sip-stack/benches/sipp-calls.sh [RATE] [SECS]
set -euo pipefail
RATE=${1:-3000}
SECS=${2:-60}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
command -v sipp >/dev/null || { echo "sipp not found: install sip-tester" >&2; exit 1; }
cargo build --release -p heron-sip-stack --example uas --manifest-path "$ROOT/Cargo.toml"
WORK=$(mktemp -d)
cd "$WORK"
taskset -c 0 "$TARGET/release/examples/uas" --listen udp:127.0.0.1:15080 --quiet \
    --stats-every 5 ${UAS_ARGS:-} >>uas.out 2>&1 &
UAS=$!
trap 'kill $UAS 2>/dev/null || true' EXIT
sleep 1
echo "start: $(grep VmRSS "/proc/$UAS/status")"
for phase in ${PHASES:-warmup main}; do
    t0=$(awk '{print $14 + $15}' "/proc/$UAS/stat")
    taskset -c 1 sipp -sn uac -r "$RATE" -m $((RATE * SECS)) -nostdin -i 127.0.0.1 -p 16080 \
        -t u1 127.0.0.1:15080 -fd 1 >"sipp_$phase.out" 2>&1 || echo "$phase: sipp reported failures"
    t1=$(awk '{print $14 + $15}' "/proc/$UAS/stat")
    peak=$(grep '^stats' uas.out | awk -F'heap_peak_kb=' '{split($2, a, " "); if (a[1] > m) m = a[1]} END {print m}')
    : >uas.out
    sleep "${IDLE:-70}"
    echo "$phase: cpu_ticks=$((t1 - t0)) $(grep VmRSS "/proc/$UAS/status") heap_peak_during_kb=$peak"
    grep '^stats' uas.out | tail -1
    grep -E "Successful call|Failed call|Call Rate" "sipp_$phase.out" | tail -3
done
