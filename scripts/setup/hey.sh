#!/usr/bin/env bash
# hey (Debian's HTTP load generator) for bench/cutover.ts. Idempotent: installs only when missing.
set -euo pipefail
if command -v hey >/dev/null 2>&1; then
  echo "[setup] hey: already installed"
  exit 0
fi
echo "[setup] hey: installing from Debian"
flock /tmp/shipproof-apt.lock sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hey >/dev/null'
command -v hey >/dev/null
