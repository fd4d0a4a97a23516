#!/usr/bin/env bash
# Installs the Debian packages the workspace needs, skipping those already
# present. `scripts/deps.sh build` installs what building needs (the demo);
# with no argument, also what the tests start (SIPp, Kamailio, baresip, ...).
# Safe to run repeatedly.
set -euo pipefail

build=(
  pkg-config cmake        # build helpers for -sys crates
  libopus-dev             # heron-codecs: Opus through audiopus
  libssl-dev              # heron-rtp's OpenSSL DTLS backend (RSA peers)
)
test=(
  libsrtp2-dev            # heron-rtp: dev-only libsrtp round-trip tests
  openssl                 # DTLS interop tests against the openssl command
  sip-tester              # SIPp, interop tests
  kamailio                # the PBX's registrar/proxy in interop tests
  kamailio-tls-modules    # Kamailio over TLS
  baresip-core            # a real phone in the agent's end-to-end tests
)

packages=("${build[@]}")
if [ "${1:-all}" != "build" ]; then
  packages+=("${test[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
