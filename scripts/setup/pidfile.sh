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
