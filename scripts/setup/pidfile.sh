# Sourced by the setup scripts. A pid file can outlive its process (a reboot, a killed session)
# and then name an unrelated live process, even one of CI's own: `kill -0` alone would call that
# "running" and a stop would kill it. A pid counts as ours only when /proc says it runs our program.
# usage: pid_ours <pid file> <absolute program path>   prints the pid; fails when it is not ours
pid_ours() {
  local file=$1 program=$2 pid
  [ -s "$file" ] || return 1
  pid="$(cat "$file")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$program" ] || return 1
  printf '%s\n' "$pid"
}

# Every failing command names itself before set -e ends the script (CI shows only the output).
# usage: trap_errors <log function>
trap_errors() {
  set -E
  # shellcheck disable=SC2064 # the log function's name is fixed now, the rest when it fires
  trap "rc=\$?; $1 \"failed (exit \$rc) at \${BASH_SOURCE[0]:-\$0}:\$LINENO: \$BASH_COMMAND\"" ERR
}

# dockerd refuses to start while its pid file names a live process, even an unrelated one; a stale
# containerd pid file stops the containerd it supervises. Clears both unless /proc says they are ours.
# usage: clear_stale_engine_pids <dockerd pid file> <containerd pid file>
clear_stale_engine_pids() {
  pid_ours "$1" /usr/sbin/dockerd >/dev/null || rm -f "$1"
  pid_ours "$2" /usr/bin/containerd >/dev/null || rm -f "$2"
}

# A running engine whose default bridge is gone cannot start any container with a network, `docker
# build` included ("could not find bridge docker0"), yet `docker info` answers. Stops such an engine
# so the caller starts it again, which makes the bridge again. The links are read in the daemon's
# own network namespace (/proc/<pid>/ns/net), so an engine in a netns is checked where it lives
# even if the /run/netns name was made again; when they cannot be read, nothing is stopped.
# Uses the caller's `log`.
# usage: stop_engine_if_bridge_gone <dockerd pid file> <bridge>
stop_engine_if_bridge_gone() {
  local pidfile=$1 bridge=$2 pid links
  pid="$(pid_ours "$pidfile" /usr/sbin/dockerd)" || return 0
  links="$(nsenter --net="/proc/$pid/ns/net" ip -o link show 2>/dev/null)" || return 0
  grep -q "^[0-9]*: $bridge[:@]" <<<"$links" && return 0
  log "dockerd ($pidfile): its bridge $bridge is gone from its network namespace; restarting it"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
}
