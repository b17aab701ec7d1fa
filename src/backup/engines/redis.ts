// Redis: BGSAVE, wait until LASTSAVE moves past the moment we asked, then stream the RDB file out
// of the service's container. The password, if any, is taken there from REDIS_PASSWORD into
// REDISCLI_AUTH (an environment variable, not an argument). The fingerprint loads the RDB into a
// throwaway redis-server of the same image (no network, replica mode so keys past their TTL are
// kept as they are in the file) and reads redis-check-rdb's key count, INFO keyspace and
// DEBUG DIGEST. A rehearsal is exactly that load, in a labelled container on the scratch network.
import { dockerExecCommand, helperRunCommand } from '../commands.js';
import { parseRedisFingerprint } from '../fingerprint/redis.js';
import { CommandSink } from './command-sink.js';
import type { EngineProbes } from './inventory.js';
import { RehearsalStepError, type EngineSpec } from './types.js';

/** Seconds to wait for the BGSAVE to finish. */
export const REDIS_SAVE_TIMEOUT_S = 3600;

export const REDIS_DUMP_SCRIPT = [
  'set -e',
  'if [ -n "${REDIS_PASSWORD:-}" ]; then REDISCLI_AUTH="$REDIS_PASSWORD"; export REDISCLI_AUTH; fi',
  'cli() { redis-cli --no-auth-warning "$@" 2>/dev/null || redis-cli "$@"; }',
  'before="$(cli LASTSAVE)"',
  'case "$before" in ""|*[!0-9]*) echo "redis did not answer LASTSAVE: $before" >&2; exit 3;; esac',
  // LASTSAVE counts whole seconds: ask in a later second than the last save, so a change is ours.
  'while [ "$(date +%s)" -le "$before" ]; do sleep 0.2; done',
  'r="$(cli BGSAVE SCHEDULE 2>&1 || true)"',
  'case "$r" in *started*|*scheduled*) ;; *) r="$(cli BGSAVE 2>&1 || true)";; esac',
  'case "$r" in *started*|*scheduled*|*"already in progress"*) ;; *) echo "BGSAVE was refused: $r" >&2; exit 3;; esac',
  `end=$(( $(date +%s) + ${REDIS_SAVE_TIMEOUT_S} ))`,
  'while [ "$(cli LASTSAVE)" = "$before" ]; do',
  '  [ "$(date +%s)" -lt "$end" ] || { echo "BGSAVE did not finish in time" >&2; exit 3; }',
  '  sleep 0.2',
  'done',
  'cli INFO persistence | tr -d "\\r" | grep -q "^rdb_last_bgsave_status:ok" || { echo "the last BGSAVE failed" >&2; exit 3; }',
  'dir="$(cli CONFIG GET dir 2>/dev/null | sed -n 2p)"',
  'file="$(cli CONFIG GET dbfilename 2>/dev/null | sed -n 2p)"',
  'exec cat -- "${dir:-/data}/${file:-dump.rdb}"',
].join('\n');

export function redisDumpCommand(container: string): string[] {
  return dockerExecCommand(container, ['sh', '-c', REDIS_DUMP_SCRIPT, 'shipproof-redis-dump']);
}

/** Loads an RDB from stdin into a private redis-server and prints its fingerprint, then `ok`. */
export const REDIS_FINGERPRINT_SCRIPT = [
  'set -e',
  'd="$(mktemp -d)"',
  'cat > "$d/dump.rdb"',
  'if ! redis-check-rdb "$d/dump.rdb" > "$d/check.txt" 2>&1; then echo "redis-check-rdb rejected the file" >&2; tail -n 3 "$d/check.txt" >&2; exit 4; fi',
  `sed -n 's/^\\[info\\] \\([0-9]*\\) keys read$/keys \\1/p; s/^\\[info\\] \\([0-9]*\\) expires$/expires \\1/p' "$d/check.txt"`,
  'set -- --port 0 --unixsocket "$d/s" --dir "$d" --dbfilename dump.rdb --save "" --appendonly no --daemonize yes --logfile "$d/log" --replicaof 127.0.0.1 9',
  'redis-server "$@" --enable-debug-command local 2>/dev/null || redis-server "$@"',
  'i=0; until redis-cli -s "$d/s" ping 2>/dev/null | grep -q PONG; do i=$((i+1)); [ "$i" -lt 600 ] || { echo "redis-server did not start" >&2; exit 4; }; sleep 0.1; done',
  'until redis-cli -s "$d/s" info persistence | tr -d "\\r" | grep -q "^loading:0"; do sleep 0.1; done',
  `redis-cli -s "$d/s" info keyspace | tr -d '\\r' | sed -n 's/^db\\([0-9]*\\):keys=\\([0-9]*\\),expires=\\([0-9]*\\).*/db \\1 \\2 \\3/p'`,
  'g="$(redis-cli -s "$d/s" debug digest 2>/dev/null || true)"',
  'case "$g" in *[!0-9a-f]*|"") echo "digest none";; *) echo "digest $g";; esac',
  'redis-cli -s "$d/s" shutdown nosave >/dev/null 2>&1 || true',
  'rm -rf "$d"',
  'echo ok',
].join('\n');

export function redisFingerprintCommand(image: string, o: { labels: Record<string, string>; network?: string; name?: string }): string[] {
  return helperRunCommand({
    image,
    argv: ['sh', '-c', REDIS_FINGERPRINT_SCRIPT, 'shipproof-redis-fingerprint'],
    interactive: true,
    labels: o.labels,
    ...(o.network ? { network: o.network } : {}),
    ...(o.name ? { name: o.name } : {}),
    entrypoint: '',
  });
}

export const REDIS_PROBES: EngineProbes = {
  // NOAUTH still proves the server answers.
  readiness: { argv: ['redis-cli', 'ping'], ready: (_exitCode, stdout) => /PONG|NOAUTH/.test(stdout) },
  dumpTool: ['redis-cli', '--version'],
};

export const redisEngine: EngineSpec = {
  engine: 'redis',
  tested: true,
  procedure: 'BGSAVE, wait until LASTSAVE changes, copy the RDB file, gzipped',
  format: 'rdb',
  validation: [
    'every pipeline stage exited 0 (pipefail)',
    'BGSAVE reported success (rdb_last_bgsave_status:ok)',
    'redis-check-rdb accepted the file and a scratch redis-server of the same image loaded it',
    'the file on the server re-read and its sha256 compared',
  ],
  needsRunningContainer: true,
  dumpCommand: (ctx) => redisDumpCommand((ctx.live.container as NonNullable<typeof ctx.live.container>).name),
  sink: (ctx) =>
    new CommandSink(ctx.host, [redisFingerprintCommand(ctx.image.id, { labels: ctx.labels })], ['redis fingerprint'], (out) => parseRedisFingerprint(out), ctx.timeoutMs),
  probes: REDIS_PROBES,
  async rehearse(rc) {
    const r = await rc.feed(
      [redisFingerprintCommand(rc.image, { labels: rc.scratch.labels, network: rc.scratch.network, name: rc.scratch.name('redis') })],
      ['scratch redis-server load'],
      'restore',
    );
    if (!r.ok) throw new RehearsalStepError('restore', `the RDB file did not load into a scratch redis-server: ${r.reason ?? 'unknown reason'}`);
    return parseRedisFingerprint(r.stdoutText);
  },
};
