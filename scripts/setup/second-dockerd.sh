#!/usr/bin/env bash
# A second, empty Docker engine on this machine for disaster-recovery rehearsals: its own data
# root, exec root, pidfile, socket, bridge (spdr0) and address pool, and its own containerd
# namespace; plus a second test sshd (127.0.0.1:2223, same client key as the first) whose sessions
# get DOCKER_HOST pointing at that engine, so an SSH target there is "another machine" that starts
# with no images and no volumes. Idempotent. Writes $STATE_DIR/dr.env for the tests.
set -euo pipefail

STATE_DIR="${SHIPPROOF_TEST_HOME:-/var/lib/shipproof-test}"
DR_PORT="${SHIPPROOF_TEST_DR_SSH_PORT:-2223}"
RUN=/run/shipproof-dr
DATA=/var/lib/shipproof-dr
SOCK="$RUN/docker.sock"
BRIDGE=spdr0
BRIDGE_IP=10.231.255.1/24
POOL=10.231.0.0/17
SSHD_DIR="$STATE_DIR/sshd"
DIR="$STATE_DIR/dr"

log() { printf '[setup second-dockerd] %s\n' "$*" >&2; }
# shellcheck source=pidfile.sh
. "$(dirname "${BASH_SOURCE[0]}")/pidfile.sh"
trap_errors log
[ "$(id -u)" = 0 ] || { log "run as root (starts dockerd and sshd)"; exit 2; }
command -v dockerd >/dev/null || { log "dockerd is missing: run scripts/setup-test-env.sh first"; exit 1; }
[ -f "$SSHD_DIR/client_ed25519" ] || { log "the test sshd keys are missing: run scripts/setup-test-env.sh first"; exit 1; }

# Daemons must not inherit the caller's lock fd (flock /tmp/shipproof-setup.lock), or they hold it for good.
# shellcheck source=engine-sshd.sh
. "$(dirname "${BASH_SOURCE[0]}")/engine-sshd.sh"
daemon() { "$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- </dev/null; }
dr_docker() { DOCKER_HOST="unix://$SOCK" timeout 10 docker "$@"; }

start_engine() {
  stop_engine_if_bridge_gone "$RUN/docker.pid" "$BRIDGE"
  if dr_docker info >/dev/null 2>&1; then log "engine: already answering on $SOCK"; return; fi
  mkdir -p "$RUN/exec" "$DATA" "$DIR"
  clear_stale_engine_pids "$RUN/docker.pid" "$RUN/exec/containerd/containerd.pid"
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_IP" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  # This engine shares the host's network namespace. At start, a dockerd with
  # --default-address-pool that finds its own earlier "bridge" network in its store deletes the
  # interface named docker0 in its namespace (moby's configureNetworking, "Clear stale bridge
  # network"): the HOST engine's bridge, after which every `docker build` on the host fails ("could
  # not find bridge docker0"). Without that store entry nothing is deleted; this engine keeps no
  # networks worth keeping (it is the empty DR host).
  rm -f "$DATA/docker/network/files/local-kv.db"
  nohup dockerd \
    --host "unix://$SOCK" \
    --data-root "$DATA/docker" \
    --exec-root "$RUN/exec" \
    --pidfile "$RUN/docker.pid" \
    --bridge "$BRIDGE" \
    --default-address-pool "base=$POOL,size=24" \
    --containerd-namespace shipproof-dr \
    --containerd-plugins-namespace shipproof-dr-plugins \
    >"$DIR/dockerd.log" 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
  for _ in $(seq 1 120); do
    dr_docker info >/dev/null 2>&1 && { log "engine: ready on $SOCK"; return; }
    sleep 0.5
  done
  log "the second dockerd did not answer; its log follows"; tail -n 40 "$DIR/dockerd.log" >&2 || true; exit 1
}

start_sshd() { start_engine_sshd "$DR_PORT" "$DIR" "$SOCK" DR "$SSHD_DIR"; }

write_env() {
  umask 077
  cat >"$DIR/dr.env.tmp" <<ENV
# Written by scripts/setup/second-dockerd.sh; read by the DR tests.
SHIPPROOF_TEST_DR_SSH_PORT=$DR_PORT
SHIPPROOF_TEST_DR_KNOWN_HOSTS=$DIR/known_hosts
SHIPPROOF_TEST_DR_DOCKER_HOST=unix://$SOCK
ENV
  mv "$DIR/dr.env.tmp" "$STATE_DIR/dr.env"
}

start_engine
start_sshd
write_env
log "images: $(dr_docker images -q | wc -l), volumes: $(dr_docker volume ls -q | wc -l) on the DR engine"
