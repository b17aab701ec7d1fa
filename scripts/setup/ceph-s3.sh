#!/usr/bin/env bash
# A real S3 server for the integration tests: Debian's radosgw on a one-node Ceph cluster
# (one monitor, one in-memory "memstore" OSD), bound to 127.0.0.1 only. Idempotent: when the
# gateway already answers and the user's key file exists, it does nothing.
# Writes endpoint and keys to $STATE_DIR/s3.env (mode 0600); tests read it (see env.sh).
# The memstore OSD keeps objects in RAM: a restart of the OSD loses them (fine for tests).
set -euo pipefail

STATE_DIR="${SHIPPROOF_TEST_HOME:-/var/lib/shipproof-test}"
S3_PORT="${SHIPPROOF_TEST_S3_PORT:-7480}"
CEPH_DIR="$STATE_DIR/ceph"
CONF="$CEPH_DIR/ceph.conf"
KEYS="$STATE_DIR/s3.env"
S3_USER=shipproof-test

log() { printf '[setup ceph-s3] %s\n' "$*" >&2; }
# shellcheck source=pidfile.sh
. "$(dirname "${BASH_SOURCE[0]}")/pidfile.sh"
trap_errors log

[ "$(id -u)" = 0 ] || { log "run as root (installs packages, starts daemons)"; exit 2; }

rgw_answers() { curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$S3_PORT/" 2>/dev/null; }

install_ceph() {
  local missing=()
  command -v ceph-mon >/dev/null 2>&1 || missing+=(ceph-mon)
  command -v ceph-osd >/dev/null 2>&1 || missing+=(ceph-osd)
  command -v radosgw >/dev/null 2>&1 || missing+=(radosgw)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v uuidgen >/dev/null 2>&1 || missing+=(uuid-runtime)
  command -v rclone >/dev/null 2>&1 || missing+=(rclone)
  [ "${#missing[@]}" -eq 0 ] && return
  log "installing ${missing[*]}"
  (
    flock 9
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d keeps the packages' post-install scripts from starting ceph services system-wide.
    local had_policy=0
    [ -e /usr/sbin/policy-rc.d ] && had_policy=1
    [ "$had_policy" = 1 ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ "$had_policy" = 1 ] || rm -f /usr/sbin/policy-rc.d
  ) 9>/tmp/shipproof-apt.lock
}

ceph_() { timeout 20 ceph -c "$CONF" "$@"; }

write_conf() {
  mkdir -p "$CEPH_DIR/run" "$CEPH_DIR/log" "$CEPH_DIR/mon.a" "$CEPH_DIR/osd.0" "$CEPH_DIR/rgw"
  chmod 700 "$STATE_DIR" "$CEPH_DIR"
  [ -f "$CEPH_DIR/fsid" ] || uuidgen >"$CEPH_DIR/fsid"
  cat >"$CONF" <<CONF
[global]
fsid = $(cat "$CEPH_DIR/fsid")
mon host = v1:127.0.0.1:6789
mon initial members = a
public addr = 127.0.0.1
ms bind ipv4 = true
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
run dir = $CEPH_DIR/run
admin socket = $CEPH_DIR/run/\$name.asok
log file = $CEPH_DIR/log/\$name.log
keyring = $CEPH_DIR/keyring
[mon]
mon data = $CEPH_DIR/mon.\$id
[osd]
osd objectstore = memstore
memstore device bytes = ${SHIPPROOF_TEST_S3_BYTES:-3221225472}
osd data = $CEPH_DIR/osd.\$id
osd max object size = 134217728
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$S3_PORT
rgw data = $CEPH_DIR/rgw
rgw dns name = 127.0.0.1
CONF
}

# Our daemons run with -c $CONF: that, not a pid file alone, says a process is ours.
ours_running() { pgrep -f -- "^(/usr/bin/)?${1##*/} -c $CONF" >/dev/null; }

# Daemons must not inherit the caller's lock (flock /tmp/shipproof-setup.lock holds it on an open
# fd): a daemon keeping it would block every later setup step for good.
daemon() { "$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- </dev/null; }

stop_ours() {
  local pids pid
  # By command line, not by pid file: a stale file may name another process (pid reuse after a
  # reboot), and a daemon whose file was lost must still go before its port can be bound again.
  pids="$(pgrep -f -- "^(/usr/bin/)?(ceph-mon|ceph-osd|radosgw) -c $CONF" || true)"
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for pid in $pids; do
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$CEPH_DIR"/run/*.pid "$CEPH_DIR"/run/*.asok
}

start_mon() {
  if [ ! -f "$CEPH_DIR/mon.a/done" ]; then
    rm -rf "$CEPH_DIR/mon.a"; mkdir -p "$CEPH_DIR/mon.a"
    monmaptool --create --clobber --fsid "$(cat "$CEPH_DIR/fsid")" --add a 127.0.0.1:6789 "$CEPH_DIR/monmap" >/dev/null
    ceph-authtool --create-keyring "$CEPH_DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-mon -c "$CONF" --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$CEPH_DIR/keyring"
    touch "$CEPH_DIR/mon.a/done"
  fi
  ours_running /usr/bin/ceph-mon || daemon /usr/bin/ceph-mon -c "$CONF" -i a --pid-file "$CEPH_DIR/run/mon.a.pid"
  for _ in $(seq 1 80); do ceph_ mon stat >/dev/null 2>&1 && return; sleep 0.25; done
  log "the monitor did not answer; its log follows"; tail -n 30 "$CEPH_DIR/log/mon.a.log" >&2 || true; exit 1
}

start_osd() {
  # memstore loses everything when the OSD stops, so a dead OSD is made afresh. Its start can fail
  # at init when its monitor client sends a command before it has the monitor map (the monitor logs
  # "handle_command on fsid 00000000-…", the OSD "'wrong fsid': (1) Operation not permitted"; seen
  # in CI with the OSD started 0.6 s after the monitor): that start is made again, up to 3 times.
  local attempt
  for attempt in 1 2 3; do
    ours_running /usr/bin/ceph-osd && break
    grep -qx 0 <<<"$(ceph_ osd ls 2>/dev/null)" || ceph_ osd create >/dev/null
    rm -rf "$CEPH_DIR/osd.0"; mkdir -p "$CEPH_DIR/osd.0"
    ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$(uuidgen)" >/dev/null 2>&1
    daemon /usr/bin/ceph-osd -c "$CONF" -i 0 --pid-file "$CEPH_DIR/run/osd.0.pid" 2>>"$CEPH_DIR/log/osd.0.stderr" && break
    log "ceph-osd failed at start (attempt $attempt of 3): $(grep -v '^$' "$CEPH_DIR/log/osd.0.stderr" | tail -n 1)"
    [ "$attempt" = 3 ] && { tail -n 30 "$CEPH_DIR/log/osd.0.log" >&2 || true; exit 1; }
    ceph_ mon stat >/dev/null 2>&1 || true
  done
  for _ in $(seq 1 120); do
    grep -q '1 up' <<<"$(ceph_ osd stat 2>/dev/null)" && return
    sleep 0.25
  done
  log "the OSD did not come up; its log follows"; tail -n 30 "$CEPH_DIR/log/osd.0.log" >&2 || true; exit 1
}

start_rgw() {
  ours_running /usr/bin/radosgw || daemon /usr/bin/radosgw -c "$CONF" -n client.rgw.a --pid-file "$CEPH_DIR/run/rgw.pid"
  for _ in $(seq 1 240); do rgw_answers && return; sleep 0.25; done
  log "radosgw did not answer on 127.0.0.1:$S3_PORT; its log follows"
  tail -n 30 "$CEPH_DIR/log/client.rgw.a.log" >&2 || true; exit 1
}

create_user() {
  local info access secret
  if ! info="$(timeout 30 radosgw-admin -c "$CONF" user info --uid="$S3_USER" 2>/dev/null)"; then
    info="$(timeout 30 radosgw-admin -c "$CONF" user create --uid="$S3_USER" --display-name='shipproof tests')"
  fi
  access="$(printf '%s' "$info" | sed -n 's/.*"access_key": "\([^"]*\)".*/\1/p' | head -n1)"
  secret="$(printf '%s' "$info" | sed -n 's/.*"secret_key": "\([^"]*\)".*/\1/p' | head -n1)"
  [ -n "$access" ] && [ -n "$secret" ] || { log "could not read the user's keys"; exit 1; }
  umask 077
  cat >"$KEYS.tmp" <<KEYS
# Written by scripts/setup/ceph-s3.sh; read by the S3 integration tests (dotenv syntax).
SHIPPROOF_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
SHIPPROOF_TEST_S3_REGION=us-east-1
AWS_ACCESS_KEY_ID=$access
AWS_SECRET_ACCESS_KEY=$secret
KEYS
  chmod 600 "$KEYS.tmp"
  mv "$KEYS.tmp" "$KEYS"
}

main() {
  install_ceph
  if rgw_answers && [ -s "$KEYS" ]; then
    log "radosgw: already answering on 127.0.0.1:$S3_PORT ($KEYS)"
    return
  fi
  local t0=$SECONDS
  # A memstore cluster cannot come back half-way (the OSD's objects are gone, the monitor still
  # knows the old OSD): whatever is left of an earlier start is stopped and made afresh.
  stop_ours
  rm -rf "$CEPH_DIR/mon.a" "$CEPH_DIR/osd.0" "$CEPH_DIR/rgw" "$CEPH_DIR/fsid" "$KEYS"
  write_conf
  start_mon
  start_osd
  start_rgw
  create_user
  log "radosgw: ready on 127.0.0.1:$S3_PORT in $((SECONDS - t0)) s; keys in $KEYS"
}

main "$@"
