#!/usr/bin/env bash
# Runs the reference agent's demo: two agents in one process on loopback,
# one calls the other over TLS with SRTP and G.722, exchanges audio and DTMF,
# holds, resumes, transfers and hangs up, then prints the call summary and a
# SIP ladder. Exit status 0 only if every step worked. Installs the Debian
# packages the build needs when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh build

exec cargo run --release -q -p heron-agent -- demo "$@"
