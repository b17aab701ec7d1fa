#!/usr/bin/env bash
# The quick start's main job: deploy the example stack (examples/webapp: PostgreSQL, web + worker,
# Caddy with TLS) to this machine — shipproof's embedded default target — through all ten
# milestones, then collect read-only evidence and verify the ledger.
# Needs what scripts/setup-test-env.sh installs (Docker engine, Compose, offline images).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXAMPLE="$ROOT/examples/webapp"
SHIPPROOF="node $ROOT/dist/cli/main.js"

# Always rebuilt: a dist/ left from an older checkout would run old code.
(cd "$ROOT" && npm run --silent build)
bash "$EXAMPLE/build.sh"

cd "$EXAMPLE"
if [ ! -f .env ]; then
  echo "demo: writing examples/webapp/.env with fresh secrets (mode 0600)"
  pw="$(openssl rand -hex 16)"
  umask 077
  {
    echo "POSTGRES_USER=webapp"
    echo "POSTGRES_PASSWORD=$pw"
    echo "POSTGRES_DB=webapp"
    echo "DATABASE_URL=postgres://webapp:$pw@postgres:5432/webapp"
    echo "SESSION_SECRET=$(openssl rand -hex 32)"
    echo "DOMAIN=localhost"
    echo "TLS_MODE=internal"
    echo "HTTP_PORT=${HTTP_PORT:-80}"
    echo "HTTPS_PORT=${HTTPS_PORT:-443}"
    # Without a registry, use the offline stand-ins scripts/setup-test-env.sh built.
    if ! timeout 15 docker pull -q caddy:2 >/dev/null 2>&1; then cat offline.env; fi
  } >.env
fi

CONFIG=shipproof.yaml
if grep -q '^POSTGRES_IMAGE=shipproof-offline' .env; then
  # Offline: the volume-archive helper image is the local busybox stand-in too.
  CONFIG=shipproof.offline.yaml
  { cat shipproof.yaml; printf '\nbackups:\n  images:\n    volume: shipproof-offline/busybox:1.35\n'; } >"$CONFIG"
fi

$SHIPPROOF --config "$CONFIG" deploy --yes
$SHIPPROOF --config "$CONFIG" collect || true   # a failing gate is reported in the evidence, not hidden
$SHIPPROOF --config "$CONFIG" evidence verify
$SHIPPROOF --config "$CONFIG" status
