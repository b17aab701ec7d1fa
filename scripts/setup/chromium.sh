#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser tests (playwright-core drives it through
# executablePath /usr/bin/chromium; no browser download from a CDN). Idempotent: a no-op when
# chromium is already there. apt runs under /tmp/shipproof-apt.lock so parallel setups don't clash.
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }

if [ -x /usr/bin/chromium ]; then
  log "chromium: present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  log "chromium: missing; run this script as root to install it"
  exit 2
fi
log "chromium: installing the Debian package"
export DEBIAN_FRONTEND=noninteractive
flock /tmp/shipproof-apt.lock sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null'
log "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo installed)"
