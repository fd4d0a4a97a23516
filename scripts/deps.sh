#!/usr/bin/env bash
# Installs the Debian packages the workspace needs for building and testing,
# skipping the ones already present. Safe to run repeatedly.
set -euo pipefail

packages=(
  pkg-config cmake        # build helpers for -sys crates
  libssl-dev openssl      # heron-rtp's OpenSSL DTLS backend and its interop tests
  libopus-dev             # heron-codecs: Opus through audiopus
  libsrtp2-dev            # heron-rtp: dev-only libsrtp round-trip tests
  sip-tester              # SIPp, interop tests
  kamailio                # the PBX's registrar/proxy in interop tests
  kamailio-tls-modules    # Kamailio over TLS
  baresip-core            # a real phone in the agent's end-to-end tests
)

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
