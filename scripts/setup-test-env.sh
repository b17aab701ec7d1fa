#!/usr/bin/env bash
# Prepares this machine for shipproof's integration tests, idempotently:
#   1. installs what is missing (Docker engine, Compose v1, sshd, Caddy, debootstrap, busybox)
#   2. starts dockerd if it is not answering
#   3. starts a test sshd on 127.0.0.1 with a generated client key and known_hosts
#   4. builds offline stand-in images when no registry is reachable (cached)
# It prints where things are and writes them to $SHIPPROOF_TEST_HOME/env.sh for the tests.
# Re-running it takes seconds once everything exists.
set -euo pipefail

STATE_DIR="${SHIPPROOF_TEST_HOME:-/var/lib/shipproof-test}"
SSH_PORT="${SHIPPROOF_TEST_SSH_PORT:-2222}"
CACHE_DIR="${SHIPPROOF_IMAGE_CACHE:-/var/cache/shipproof-offline}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGES_DIR="$HERE/offline-images"

log() { printf '[setup] %s\n' "$*" >&2; }
# shellcheck source=setup/pidfile.sh
. "$HERE/setup/pidfile.sh"
trap_errors log

need_root() {
  if [ "$(id -u)" != 0 ]; then
    log "this script installs packages and starts daemons: run it as root"
    exit 2
  fi
}

# ---------------------------------------------------------------------------- 1. packages
install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v caddy >/dev/null 2>&1 || missing+=(caddy)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  if [ "${#missing[@]}" -eq 0 ]; then
    log "packages: all present"
    return
  fi
  log "packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the packages' post-install scripts from starting services we start ourselves.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
}

# ---------------------------------------------------------------------------- 2. dockerd
docker_ok() { timeout 5 /usr/bin/docker info >/dev/null 2>&1; }

start_dockerd() {
  stop_engine_if_bridge_gone /var/run/docker.pid docker0
  if docker_ok; then
    log "dockerd: already running"
    return
  fi
  log "dockerd: starting"
  mkdir -p "$STATE_DIR"
  clear_stale_engine_pids /var/run/docker.pid /var/run/docker/containerd/containerd.pid
  nohup /usr/sbin/dockerd >"$STATE_DIR/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    docker_ok && { log "dockerd: ready"; return; }
    sleep 0.5
  done
  log "dockerd did not become ready; its log follows"
  tail -n 40 "$STATE_DIR/dockerd.log" >&2 || true
  exit 1
}

# ---------------------------------------------------------------------------- 3. test sshd
start_sshd() {
  local dir="$STATE_DIR/sshd"
  mkdir -p "$dir"
  chmod 700 "$STATE_DIR" "$dir"
  [ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519" -C shipproof-test-host
  [ -f "$dir/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/client_ed25519" -C shipproof-test-client
  cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
  chmod 600 "$dir/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$dir/known_hosts"
  mkdir -p /run/sshd
  cat >"$dir/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding no
X11Forwarding no
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
  if pid_ours "$dir/sshd.pid" /usr/sbin/sshd >/dev/null; then
    log "sshd: already running on 127.0.0.1:$SSH_PORT"
    return
  fi
  /usr/sbin/sshd -t -f "$dir/sshd_config"
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
  for _ in $(seq 1 40); do
    if ssh -o BatchMode=yes -o UserKnownHostsFile="$dir/known_hosts" -o StrictHostKeyChecking=yes \
      -i "$dir/client_ed25519" -p "$SSH_PORT" root@127.0.0.1 true 2>/dev/null; then
      log "sshd: ready on 127.0.0.1:$SSH_PORT"
      return
    fi
    sleep 0.25
  done
  log "the test sshd did not accept our key; its log follows"
  cat "$dir/sshd.log" >&2 || true
  exit 1
}

# ---------------------------------------------------------------------------- 4. offline images
have_image() { /usr/bin/docker image inspect "$1" >/dev/null 2>&1; }

registry_reachable() {
  timeout 5 /usr/bin/docker pull -q busybox:1.36 >/dev/null 2>&1
}

build_busybox() {
  local tag=shipproof-offline/busybox:1.35
  have_image "$tag" && return
  log "image: $tag from busybox-static"
  local root
  root="$(mktemp -d)"
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root" "$root/data"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  tar -C "$root" -c . | /usr/bin/docker import \
    -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - "$tag" >/dev/null
  rm -rf "$root"
}

build_debian_base() {
  local tag=shipproof-offline/debian:bookworm
  have_image "$tag" && return
  mkdir -p "$CACHE_DIR"
  local tarball="$CACHE_DIR/debian-bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    log "image: debootstrap bookworm (about a minute)"
    local root
    root="$(mktemp -d)"
    debootstrap --variant=minbase --include=ca-certificates bookworm "$root" http://deb.debian.org/debian >"$CACHE_DIR/debootstrap.log" 2>&1 || {
      tail -n 30 "$CACHE_DIR/debootstrap.log" >&2
      exit 1
    }
    # Keep images small and apt usable in Dockerfiles built from this base.
    rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
    tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  log "image: $tag (docker import)"
  /usr/bin/docker import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' "$tarball" "$tag" >/dev/null
}

# The hash of a Dockerfile folder (paths and contents): an image is rebuilt when its recipe changed.
recipe_hash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }

build_from_dockerfile() {
  local tag="$1" dir="$2" hash built
  hash="$(recipe_hash "$dir")"
  built="$(/usr/bin/docker image inspect -f '{{index .Config.Labels "dev.shipproof.offline.recipe"}}' "$tag" 2>/dev/null || true)"
  [ "$built" = "$hash" ] && return
  log "image: $tag (docker build $dir)"
  /usr/bin/docker build -q --label "dev.shipproof.offline.recipe=$hash" -t "$tag" "$dir" >/dev/null
}

build_offline_images() {
  if [ "${SHIPPROOF_SKIP_IMAGES:-0}" = 1 ]; then
    log "images: skipped (SHIPPROOF_SKIP_IMAGES=1)"
    return
  fi
  build_busybox
  build_debian_base
  build_from_dockerfile shipproof-offline/postgres:15 "$IMAGES_DIR/postgres"
  build_from_dockerfile shipproof-offline/redis:7 "$IMAGES_DIR/redis"
  build_from_dockerfile shipproof-offline/node:20 "$IMAGES_DIR/node"
  build_from_dockerfile shipproof-offline/caddy:2 "$IMAGES_DIR/caddy"
  build_from_dockerfile shipproof-offline/mariadb:10.11 "$IMAGES_DIR/mariadb"
  build_from_dockerfile shipproof-offline/sqlite:3 "$IMAGES_DIR/sqlite"
  if registry_reachable; then
    log "images: a registry is reachable; official images can be used too"
  fi
  log "images: ready"
}

write_env_file() {
  local f="$STATE_DIR/env.sh"
  cat >"$f.tmp" <<EOF
# Written by scripts/setup-test-env.sh; read by the integration tests.
export SHIPPROOF_TEST_SSH_HOST=127.0.0.1
export SHIPPROOF_TEST_SSH_PORT=$SSH_PORT
export SHIPPROOF_TEST_SSH_USER=root
export SHIPPROOF_TEST_SSH_KEY=$STATE_DIR/sshd/client_ed25519
export SHIPPROOF_TEST_SSH_KNOWN_HOSTS=$STATE_DIR/sshd/known_hosts
export SHIPPROOF_TEST_SSH_HOST_PUBKEY=$STATE_DIR/sshd/host_ed25519.pub
EOF
  mv "$f.tmp" "$f"
  log "test environment: $f"
}

main() {
  need_root
  install_packages
  start_dockerd
  start_sshd
  build_offline_images
  bash "$HERE/setup/chromium.sh" # the dashboard's browser tests
  bash "$HERE/setup/ceph-s3.sh" # S3 (radosgw) for the off-site tests; keys in $STATE_DIR/s3.env
  bash "$HERE/setup/second-dockerd.sh" # an empty second engine + sshd on 2223 for DR tests; $STATE_DIR/dr.env
  bash "$HERE/setup/swarm.sh" # a single-node swarm in its own netns + sshd on 2224 for the swarm tests; $STATE_DIR/swarm.env
  start_dockerd # again: if anything above took the host engine's docker0 away, it is restarted here
  write_env_file
  bash "$(dirname "$0")/setup/hey.sh"
}

main "$@"
