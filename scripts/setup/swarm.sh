#!/usr/bin/env bash
# A single-node Docker Swarm for the swarm target's tests, apart from the host's main engine (which
# the other tests use with Compose v1): one dockerd in its own network namespace (spsw1, veth to a
# host bridge spswbr 10.232.0.1/24, the node at 10.232.0.11), with its own data root, exec root,
# pidfile, socket, bridge, address pools and containerd; `docker swarm init` advertising the veth
# address, so swarm's ports (2377, 7946, 4789) never collide with the host and more nodes can join
# on the same bridge later. A test sshd on 127.0.0.1:2224 (same client key as the first) gives its
# sessions DOCKER_HOST pointing at that engine: an SSH target there is a swarm manager. The engine
# starts with no images; the offline images the tests need are carried by `docker save | docker
# load` (the product's own distribution path). Idempotent. Writes $STATE_DIR/swarm.env.
set -euo pipefail

STATE_DIR="${SHIPPROOF_TEST_HOME:-/var/lib/shipproof-test}"
SW_PORT="${SHIPPROOF_TEST_SWARM_SSH_PORT:-2224}"
NS=spsw1
HOST_BR=spswbr
HOST_IP=10.232.0.1
NODE_IP=10.232.0.11
RUN=/run/shipproof-swarm1
DATA=/var/lib/shipproof-swarm1
SOCK="$RUN/docker.sock"
POOL=10.233.0.0/17
SWARM_POOL=10.234.0.0/16
SSHD_DIR="$STATE_DIR/sshd"
DIR="$STATE_DIR/swarm"
IMAGES=(shipproof-offline/busybox:1.35 shipproof-offline/node:20 shipproof-offline/caddy:2)

log() { printf '[setup swarm] %s\n' "$*" >&2; }
# shellcheck source=pidfile.sh
. "$(dirname "${BASH_SOURCE[0]}")/pidfile.sh"
trap_errors log
[ "$(id -u)" = 0 ] || { log "run as root (starts dockerd and sshd)"; exit 2; }
command -v dockerd >/dev/null || { log "dockerd is missing: run scripts/setup-test-env.sh first"; exit 1; }
[ -f "$SSHD_DIR/client_ed25519" ] || { log "the test sshd keys are missing: run scripts/setup-test-env.sh first"; exit 1; }

# shellcheck source=engine-sshd.sh
. "$(dirname "${BASH_SOURCE[0]}")/engine-sshd.sh"
daemon() { "$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- </dev/null; }
sw_docker() { DOCKER_HOST="unix://$SOCK" timeout 30 docker "$@"; }

make_netns() {
  if ! ip link show "$HOST_BR" >/dev/null 2>&1; then
    ip link add "$HOST_BR" type bridge
    ip addr add "$HOST_IP/24" dev "$HOST_BR"
  fi
  ip link set "$HOST_BR" up
  # grep reads captured output, never a pipe: with pipefail, `cmd | grep -q` fails when grep exits
  # first and cmd dies of SIGPIPE (seen here: "ip addr add … Address already assigned").
  grep -qw "$NS" <<<"$(ip netns list)" || ip netns add "$NS"
  if ! ip link show "${NS}h" >/dev/null 2>&1; then
    ip link add "${NS}h" type veth peer name "${NS}n"
    ip link set "${NS}n" netns "$NS"
    ip link set "${NS}h" master "$HOST_BR"
  fi
  ip link set "${NS}h" up
  ip netns exec "$NS" ip link set lo up
  if ip netns exec "$NS" ip link show "${NS}n" >/dev/null 2>&1; then
    ip netns exec "$NS" ip link set "${NS}n" name eth0
  fi
  grep -q "$NODE_IP/" <<<"$(ip netns exec "$NS" ip addr show eth0)" || ip netns exec "$NS" ip addr add "$NODE_IP/24" dev eth0
  ip netns exec "$NS" ip link set eth0 up
  grep -q . <<<"$(ip netns exec "$NS" ip route show default)" || ip netns exec "$NS" ip route add default via "$HOST_IP"
}

start_engine() {
  stop_engine_if_bridge_gone "$RUN/docker.pid" docker0
  if sw_docker info >/dev/null 2>&1; then log "engine: already answering on $SOCK"; return; fi
  mkdir -p "$RUN/exec" "$DATA" "$DIR"
  clear_stale_engine_pids "$RUN/docker.pid" "$RUN/exec/containerd/containerd.pid"
  # nsenter --net, not `ip netns exec`: that one remounts /sys and hides the cgroup mounts dockerd
  # needs. The node's own default bridge lives in its namespace; docker0 there is not the host's.
  # DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: a task uses the image the node has instead of first trying
  # a pull that waits for DNS timeouts here (no registry is reachable).
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 nohup nsenter --net="/run/netns/$NS" dockerd \
    --host "unix://$SOCK" \
    --data-root "$DATA/docker" \
    --exec-root "$RUN/exec" \
    --pidfile "$RUN/docker.pid" \
    --default-address-pool "base=$POOL,size=24" \
    --containerd-namespace shipproof-swarm1 \
    --containerd-plugins-namespace shipproof-swarm1-plugins \
    >"$DIR/dockerd.log" 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
  for _ in $(seq 1 120); do
    sw_docker info >/dev/null 2>&1 && { log "engine: ready on $SOCK"; return; }
    sleep 0.5
  done
  log "the swarm dockerd did not answer; its log follows"; tail -n 40 "$DIR/dockerd.log" >&2 || true; exit 1
}

init_swarm() {
  local state
  state="$(sw_docker info --format '{{.Swarm.LocalNodeState}}')"
  if [ "$state" = active ]; then log "swarm: already active"; return; fi
  sw_docker swarm init --advertise-addr "$NODE_IP" --listen-addr "$NODE_IP:2377" \
    --default-addr-pool "$SWARM_POOL" --default-addr-pool-mask-length 24 >/dev/null
  log "swarm: initialised (manager $NODE_IP)"
}

load_images() {
  local img want have
  for img in "${IMAGES[@]}"; do
    want="$(/usr/bin/docker image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)"
    [ -n "$want" ] || { log "image $img is missing on the host engine (setup-test-env.sh builds it)"; continue; }
    have="$(sw_docker image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)"
    [ "$have" = "$want" ] && continue
    log "image: $img -> swarm node (docker save | docker load)"
    /usr/bin/docker save "$img" | DOCKER_HOST="unix://$SOCK" docker load -q >/dev/null
  done
}

start_sshd() { start_engine_sshd "$SW_PORT" "$DIR" "$SOCK" swarm "$SSHD_DIR"; }

write_env() {
  umask 077
  cat >"$DIR/swarm.env.tmp" <<ENV
# Written by scripts/setup/swarm.sh; read by the swarm tests.
SHIPPROOF_TEST_SWARM_SSH_PORT=$SW_PORT
SHIPPROOF_TEST_SWARM_KNOWN_HOSTS=$DIR/known_hosts
SHIPPROOF_TEST_SWARM_DOCKER_HOST=unix://$SOCK
SHIPPROOF_TEST_SWARM_NODE_IP=$NODE_IP
ENV
  mv "$DIR/swarm.env.tmp" "$STATE_DIR/swarm.env"
}

mkdir -p "$DIR"
make_netns
start_engine
init_swarm
load_images
start_sshd
write_env
log "nodes: $(sw_docker node ls -q | wc -l), images: $(sw_docker images -q | wc -l) on the swarm engine"
