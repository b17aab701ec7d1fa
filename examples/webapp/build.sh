#!/usr/bin/env bash
# Builds what the image copies: app/node_modules (runtime dependencies only) and app/dist (the
# compiled TypeScript). Runs on the host because the image build has no npm registry to reach.
# Idempotent: each step is skipped when its inputs have not changed, so running it while another
# build reads app/ changes nothing.
#   usage: examples/webapp/build.sh [--force]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
APP="$HERE/app"
TSC="$HERE/../../node_modules/.bin/tsc"
FORCE="${1:-}"

# One build at a time (two test files may call this at once): lock this script itself.
exec 9<"${BASH_SOURCE[0]}"
flock 9

stamp_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

# 1. Runtime dependencies (pg), exactly as locked.
deps_stamp="$(stamp_of "$APP/package.json" "$APP/package-lock.json")"
if [ "$FORCE" = --force ] || [ "$(cat "$APP/node_modules/.webapp-deps.sha256" 2>/dev/null || true)" != "$deps_stamp" ]; then
  echo "build.sh: installing runtime dependencies (npm ci --omit=dev)"
  (cd "$APP" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$deps_stamp" >"$APP/node_modules/.webapp-deps.sha256"
else
  echo "build.sh: runtime dependencies are current"
fi

# 2. Compile. The stamp covers the sources, the tsconfig and the compiler version.
if [ ! -x "$TSC" ]; then
  echo "build.sh: $TSC not found; run npm ci in the repository root first" >&2
  exit 1
fi
src_stamp="$( { stamp_of "$APP/tsconfig.json" "$APP"/src/*.ts; "$TSC" --version; } | sha256sum | cut -d' ' -f1)"
if [ "$FORCE" = --force ] || [ "$(cat "$APP/dist/.webapp-src.sha256" 2>/dev/null || true)" != "$src_stamp" ]; then
  echo "build.sh: compiling app/src -> app/dist"
  rm -rf "$APP/dist"
  "$TSC" -p "$APP"
  printf '%s\n' "$src_stamp" >"$APP/dist/.webapp-src.sha256"
else
  echo "build.sh: app/dist is current"
fi
