#!/usr/bin/env bash
# Runs the reference agent's demo. The agent (examples/agent) has not landed yet.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "heron-agent has not landed yet: there is no demo to run (see README.md)." >&2
exit 1
