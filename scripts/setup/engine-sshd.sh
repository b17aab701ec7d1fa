# Sourced by second-dockerd.sh and swarm.sh: a test sshd on 127.0.0.1:<port> whose sessions get
# DOCKER_HOST pointing at that script's own engine (same host key and client key as the main test
# sshd), with its known_hosts in <dir>. Uses the caller's `log` and `daemon`, and pidfile.sh's `pid_ours`. Idempotent.
# usage: start_engine_sshd <port> <dir> <socket> <what, for messages> <sshd dir with the keys>
start_engine_sshd() {
  local port=$1 dir=$2 sock=$3 what=$4 keys=$5
  cat >"$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $keys/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $keys/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding no
X11Forwarding no
Subsystem sftp internal-sftp
SetEnv DOCKER_HOST=unix://$sock
LogLevel ERROR
CONF
  printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$keys/host_ed25519.pub")" >"$dir/known_hosts"
  if pid_ours "$dir/sshd.pid" /usr/sbin/sshd >/dev/null; then log "sshd: already running on 127.0.0.1:$port"; return; fi
  mkdir -p /run/sshd
  /usr/sbin/sshd -t -f "$dir/sshd_config"
  daemon /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
  for _ in $(seq 1 40); do
    if [ "$(ssh -o BatchMode=yes -o UserKnownHostsFile="$dir/known_hosts" -o StrictHostKeyChecking=yes -i "$keys/client_ed25519" -p "$port" root@127.0.0.1 'echo "$DOCKER_HOST"' 2>/dev/null)" = "unix://$sock" ]; then
      log "sshd: ready on 127.0.0.1:$port (DOCKER_HOST=unix://$sock)"; return
    fi
    sleep 0.25
  done
  log "the $what sshd did not answer with DOCKER_HOST set; its log follows"; cat "$dir/sshd.log" >&2 || true; exit 1
}
