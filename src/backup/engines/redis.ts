// Redis: BGSAVE, wait until LASTSAVE moves past the moment we asked, then stream the RDB file out
// of the service's container. The password, if any, is taken there from REDIS_PASSWORD into
// REDISCLI_AUTH (an environment variable, not an argument). The fingerprint loads the RDB into a
// throwaway redis-server of the same image (no network, replica mode so keys past their TTL are
// kept as they are in the file) and reads redis-check-rdb's key count, INFO keyspace and
// DEBUG DIGEST. A rehearsal is exactly that load, in a labelled container on the scratch network.
// Restore into the live service: the RDB swapped in with the service stopped (src/backup/restore-swap.ts),
// started, waited for, and fingerprinted the way a rehearsal does; the old RDB is put back on any failure.
import { ShipproofError } from '../../errors.js';
import type { CommandRecorder } from '../../probes/recorder.js';
import type { Target } from '../../targets/target.js';
import { dockerExecCommand, helperRunCommand } from '../commands.js';
import { compareFingerprints, summarizeMismatches } from '../fingerprint/compare.js';
import { parseRedisFingerprint } from '../fingerprint/redis.js';
import type { Fingerprint } from '../fingerprint/types.js';
import { rolledBack, swapBack, swapCommitCommand, swapInCommand } from '../restore-swap.js';
import { runPipeline } from '../stream.js';
import { CommandSink } from './command-sink.js';
import type { EngineProbes } from './inventory.js';
import { RehearsalStepError, type DataVolume, type EngineSpec, type LiveRestore } from './types.js';

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

/** redis-cli with the password from the container's env (REDIS_PASSWORD), never on a command line. */
const REDIS_CLI_PRELUDE = REDIS_DUMP_SCRIPT.split('\n').slice(0, 3).join('\n');

/** Prints the RDB directory, file name and appendonly setting, one per line. */
export const REDIS_CONFIG_SCRIPT = [
  REDIS_CLI_PRELUDE,
  'cli CONFIG GET dir | sed -n 2p',
  'cli CONFIG GET dbfilename | sed -n 2p',
  'cli CONFIG GET appendonly | sed -n 2p',
].join('\n');

/** Waits (up to `$1` seconds) until Redis answers PING and has finished loading its data. */
export const REDIS_READY_SCRIPT = [
  REDIS_CLI_PRELUDE.replace('set -e', 'set -u'),
  'end=$(( $(date +%s) + $1 ))',
  'until [ "$(cli PING 2>/dev/null)" = PONG ] && cli INFO persistence 2>/dev/null | tr -d "\\r" | grep -q "^loading:0"; do',
  '  [ "$(date +%s)" -lt "$end" ] || { echo "redis did not become ready" >&2; exit 3; }',
  '  sleep 0.2',
  'done',
].join('\n');

/** A tar (on stdout) of a single RDB read from stdin, named by its path: wraps the RDB for swapInCommand. */
export function rdbToTarCommand(image: string, file: string): string[] {
  return helperRunCommand({
    image,
    entrypoint: '',
    interactive: true,
    argv: ['sh', '-c', 'set -e; t="$(mktemp -d)"; mkdir -p "$t/$(dirname "$1")"; cat > "$t/$1"; tar -c -f - -C "$t" "$1"; rm -rf "$t"', 'shipproof-rdb-tar', file],
  });
}

export interface RedisLayout {
  dir: string;
  file: string;
  appendonly: boolean;
}

export function parseRedisConfig(stdout: string): RedisLayout {
  const [dir, file, aof] = stdout.split('\n').map((l) => l.trim());
  if (!dir || !file) throw new ShipproofError('Redis did not say where its RDB file is (CONFIG GET dir / dbfilename).');
  return { dir, file, appendonly: aof === 'yes' };
}

/** The RDB's path relative to `/`, when its directory is (in) one of the service's volumes. */
export function rdbPathInVolumes(layout: RedisLayout, volumes: readonly DataVolume[]): string | undefined {
  const dir = layout.dir.replace(/\/+$/, '');
  const inVolume = volumes.some((v) => dir === v.destination.replace(/\/+$/, '') || dir.startsWith(`${v.destination.replace(/\/+$/, '')}/`));
  if (!inVolume || layout.file.includes('/')) return undefined;
  return `${dir}/${layout.file}`.replace(/^\/+/, '');
}

export async function redisLayout(host: Target, container: string, recorder: CommandRecorder): Promise<RedisLayout> {
  const r = await recorder.run(host, dockerExecCommand(container, ['sh', '-c', REDIS_CONFIG_SCRIPT, 'shipproof-redis-config']), { timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new ShipproofError(`could not ask ${container} where its RDB file is`);
  return parseRedisConfig(r.stdout);
}

export async function waitRedisReady(host: Target, container: string, recorder: CommandRecorder, seconds = 120): Promise<void> {
  const r = await recorder.run(host, dockerExecCommand(container, ['sh', '-c', REDIS_READY_SCRIPT, 'shipproof-redis-ready', String(seconds)]), { timeoutMs: (seconds + 30) * 1000 });
  if (r.exitCode !== 0) throw new ShipproofError(`${container} did not answer after the restore`);
}

/** The live Redis' fingerprint, taken as the rehearsal takes it: a fresh BGSAVE loaded into a private redis-server. */
export async function liveRedisFingerprint(host: Target, container: string, image: string, labels: Record<string, string>, recorder: CommandRecorder): Promise<Fingerprint> {
  const r = await runPipeline({
    host,
    stages: [dockerExecCommand(container, ['sh', '-c', REDIS_DUMP_SCRIPT, 'shipproof-redis-dump']), redisFingerprintCommand(image, { labels })],
    stageNames: ['BGSAVE', 'redis fingerprint'],
    timeoutMs: 3_600_000,
  });
  recorder.records.push(r.record);
  if (!r.ok) throw new ShipproofError(`reading ${container} back failed: ${r.reason ?? 'unknown reason'}`);
  return parseRedisFingerprint(r.stdoutText);
}


export const redisLiveRestore: LiveRestore = {
  describe: (service, m) => `stop ${service}, swap the RDB file from ${m.file} into its volume, start it and wait until it answers`,
  async run(ctx) {
    const m = ctx.manifest;
    const c = ctx.live.container as NonNullable<typeof ctx.live.container>;
    const layout = await redisLayout(ctx.host, c.name, ctx.recorder);
    // With AOF on, Redis loads the AOF at start and ignores the RDB put in place.
    if (layout.appendonly) throw new ShipproofError(`${ctx.service} has appendonly (AOF) on, so Redis would ignore a restored RDB; restore it by hand`);
    const rel = rdbPathInVolumes(layout, ctx.live.volumes);
    if (rel === undefined) throw new ShipproofError(`the RDB directory of ${ctx.service} (${layout.dir}) is not in a named volume shipproof knows`);
    const labels = { 'shipproof.restore': 'live' };
    let attempted = false;
    try {
      await ctx.withDataUsersStopped(async () => {
        attempted = true;
        ctx.progress(`${ctx.service}: putting the RDB from ${m.id} in place`);
        const r = await ctx.feed([rdbToTarCommand(ctx.image, rel), swapInCommand(ctx.image, ctx.live.volumes, 'redis', [rel], labels)], ['wrap the RDB', 'stage, check and swap in the RDB']);
        if (!r.ok) throw new ShipproofError(`wrap the RDB | stage, check and swap in the RDB failed: ${r.reason ?? 'unknown reason'}`);
      });
      ctx.progress(`${ctx.service}: waiting for Redis to load the data`);
      await waitRedisReady(ctx.host, c.name, ctx.recorder);
      const fp = await liveRedisFingerprint(ctx.host, c.name, ctx.image, labels, ctx.recorder);
      const mismatches = compareFingerprints(m.fingerprint, fp);
      if (mismatches.length) throw new ShipproofError(`after the restore ${ctx.service} differs from the backup: ${summarizeMismatches(mismatches, 3).join('; ')}`);
      await ctx.recorder.run(ctx.host, swapCommitCommand(ctx.image, ctx.live.volumes, [rel], labels), { timeoutMs: 120_000 });
      return fp;
    } catch (e) {
      if (!attempted) throw e;
      ctx.progress(`${ctx.service}: the restore failed; putting the old data back`);
      const problem = await swapBack(ctx, [rel], labels, false);
      if (problem === undefined) await waitRedisReady(ctx.host, c.name, ctx.recorder).catch(() => undefined);
      throw rolledBack(e, problem);
    }
  },
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
  restoreInto: redisLiveRestore,
  rehearsalCommands: (image, sc) => [
    { argv: sc.feed([redisFingerprintCommand(image, { labels: sc.labels, network: sc.network, name: sc.name('redis') })]), note: 'the RDB file into a scratch redis-server of the same image, which loads it and reports its fingerprint' },
  ],
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
