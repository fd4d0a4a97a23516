#!/usr/bin/env bash
# SIPp's built-in UAC (-sn uac: INVITE, 180, 200, ACK, BYE) against the uas
# example on loopback, one core each (taskset): a warm-up run and a main
# run of SECS seconds at RATE calls/s, each followed by 40 s idle (the
# RFC 3261 timers drain), printing SIPp's totals, the uas process's CPU
# ticks (1/100 s) per run and its resident memory after each idle period.
# Usage: [PHASES="warmup main main2"] crates/sip-stack/benches/sipp-calls.sh [RATE] [SECS]
# (more phases show whether memory keeps growing or levels off)
set -euo pipefail
RATE=${1:-3000}
SECS=${2:-60}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
command -v sipp >/dev/null || { echo "sipp not found: install sip-tester" >&2; exit 1; }
cargo build --release -p heron-sip-stack --example uas --manifest-path "$ROOT/Cargo.toml"
WORK=$(mktemp -d)
cd "$WORK"
taskset -c 0 "$ROOT/target/release/examples/uas" --listen udp:127.0.0.1:15080 --quiet >uas.out 2>&1 &
UAS=$!
trap 'kill $UAS 2>/dev/null || true' EXIT
sleep 1
for phase in ${PHASES:-warmup main}; do
    t0=$(awk '{print $14 + $15}' "/proc/$UAS/stat")
    taskset -c 1 sipp -sn uac -r "$RATE" -m $((RATE * SECS)) -nostdin -i 127.0.0.1 -p 16080 \
        -t u1 127.0.0.1:15080 -fd 1 >"sipp_$phase.out" 2>&1 || echo "$phase: sipp reported failures"
    t1=$(awk '{print $14 + $15}' "/proc/$UAS/stat")
    sleep 40
    echo "$phase: cpu_ticks=$((t1 - t0)) $(grep VmRSS "/proc/$UAS/status")"
    grep -E "Successful call|Failed call|Call Rate" "sipp_$phase.out" | tail -3
done
