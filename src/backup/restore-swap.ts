// Restoring file-based engines (Redis RDB, SQLite files) into a live service: the new file is
// staged next to the live one on the same volume (so the swap is a rename), the old file is
// kept aside as `<file>.shipproof-old` until the service is verified, and put back on failure.
// The swap runs in a helper container on the service's volumes, with the volume's users stopped.
import { ShipproofError } from '../errors.js';
import type { CommandRecorder } from '../probes/recorder.js';
import { dockerExecCommand, helperRunCommand } from './commands.js';
import { REDIS_DUMP_SCRIPT, redisFingerprintCommand } from './engines/redis.js';
import { sqliteCheckCommand } from './engines/sqlite.js';
import type { DataVolume } from './engines/types.js';
import { parseRedisFingerprint } from './fingerprint/redis.js';
import { parseSqliteFingerprint } from './fingerprint/sqlite.js';
import type { Fingerprint } from './fingerprint/types.js';
import { runPipeline } from './stream.js';
import type { Target } from '../targets/target.js';

const OLD = '.shipproof-old';
const NEW = '.shipproof-new';
/** Marks that there was no live file before the swap (so a rollback removes the restored one). */
const NONE = '.shipproof-none';

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

/**
 * `$1` = the directory, then the files (relative to it) to stage; stdin = a tar of the new files
 * (relative paths). Each new file is written as `<file>.shipproof-new` beside the live one and
 * checked (`$CHECK` command: redis-check-rdb or sqlite3 integrity_check); only when every one
 * passes are they swapped in: the live file (and its -wal/-shm/-journal) moved to `.shipproof-old`.
 */
export const SWAP_IN_SCRIPT = [
  'set -eu',
  'root="$1"; kind="$2"; shift 2',
  't="$(mktemp -d)"',
  'trap \'rm -rf "$t"\' EXIT',
  'tar -x -f - --numeric-owner -C "$t"',
  'for rel in "$@"; do',
  '  [ -f "$t/$rel" ] || { echo "the backup has no file $rel" >&2; exit 4; }',
  '  d="$root/$rel"',
  '  mkdir -p "$(dirname "$d")"',
  `  cp "$t/$rel" "$d${NEW}"`,
  '  chown "$(stat -c %u:%g "$(dirname "$d")")" "$d' + NEW + '"',
  '  chmod 644 "$d' + NEW + '"',
  '  case "$kind" in',
  `    redis) redis-check-rdb "$d${NEW}" > "$t/check" 2>&1 || { echo "redis-check-rdb rejected the file from the backup" >&2; tail -n 3 "$t/check" >&2; exit 4; };;`,
  `    sqlite) r="$(sqlite3 -batch "$d${NEW}" 'PRAGMA integrity_check' | head -n 1)"; [ "$r" = ok ] || { echo "PRAGMA integrity_check of $rel: $r" >&2; exit 4; };;`,
  '  esac',
  'done',
  'for rel in "$@"; do',
  '  d="$root/$rel"',
  `  if [ -e "$d" ]; then mv -f "$d" "$d${OLD}"; else : > "$d${NONE}"; fi`,
  `  for s in -wal -shm -journal; do [ ! -e "$d$s" ] || mv -f "$d$s" "$d$s${OLD}"; done`,
  `  mv -f "$d${NEW}" "$d"`,
  'done',
].join('\n');

/** Puts the kept-aside files back (`$1` = root, then the files). Safe to run at any point of a swap. */
export const SWAP_BACK_SCRIPT = [
  'set -eu',
  'root="$1"; shift',
  'for rel in "$@"; do',
  '  d="$root/$rel"',
  `  rm -f "$d${NEW}"`,
  `  if [ -e "$d${OLD}" ]; then rm -f "$d-wal" "$d-shm" "$d-journal"; mv -f "$d${OLD}" "$d"; elif [ -e "$d${NONE}" ]; then rm -f "$d" "$d-wal" "$d-shm" "$d-journal"; fi`,
  `  for s in -wal -shm -journal; do [ ! -e "$d$s${OLD}" ] || mv -f "$d$s${OLD}" "$d$s"; done`,
  `  rm -f "$d${NONE}"`,
  'done',
].join('\n');

/** Removes the kept-aside files once the restored ones are verified. */
export const SWAP_COMMIT_SCRIPT = [
  'set -eu',
  'root="$1"; shift',
  `for rel in "$@"; do d="$root/$rel"; rm -f "$d${OLD}" "$d-wal${OLD}" "$d-shm${OLD}" "$d-journal${OLD}" "$d${NONE}"; done`,
].join('\n');

const SWAP_ROOT = '/shipproof-swap';

function swapMounts(volumes: readonly DataVolume[]): { volume: string; target: string }[] {
  return volumes.map((v) => ({ volume: v.volume, target: `${SWAP_ROOT}${v.destination}` }));
}

/** Stage and swap in: stdin is a tar of the files, relative to `/` of the service's container. */
export function swapInCommand(image: string, volumes: readonly DataVolume[], kind: 'redis' | 'sqlite', files: readonly string[], labels: Record<string, string>): string[] {
  return helperRunCommand({ image, entrypoint: '', interactive: true, labels, mounts: swapMounts(volumes), argv: ['sh', '-c', SWAP_IN_SCRIPT, 'shipproof-swap-in', SWAP_ROOT, kind, ...files] });
}

export function swapBackCommand(image: string, volumes: readonly DataVolume[], files: readonly string[], labels: Record<string, string>): string[] {
  return helperRunCommand({ image, entrypoint: '', labels, mounts: swapMounts(volumes), argv: ['sh', '-c', SWAP_BACK_SCRIPT, 'shipproof-swap-back', SWAP_ROOT, ...files] });
}

export function swapCommitCommand(image: string, volumes: readonly DataVolume[], files: readonly string[], labels: Record<string, string>): string[] {
  return helperRunCommand({ image, entrypoint: '', labels, mounts: swapMounts(volumes), argv: ['sh', '-c', SWAP_COMMIT_SCRIPT, 'shipproof-swap-commit', SWAP_ROOT, ...files] });
}

/** A tar (on stdout) of a single RDB read from stdin, named by its path: wraps the RDB for swapInCommand. */
export function rdbToTarCommand(image: string, file: string): string[] {
  return helperRunCommand({
    image,
    entrypoint: '',
    interactive: true,
    argv: ['sh', '-c', 'set -e; t="$(mktemp -d)"; mkdir -p "$t/$(dirname "$1")"; cat > "$t/$1"; tar -c -f - -C "$t" "$1"; rm -rf "$t"', 'shipproof-rdb-tar', file],
  });
}

/** A tar of the named files (relative to `/` of the service) from the service's volumes. */
export function filesTarCommand(image: string, volumes: readonly DataVolume[], files: readonly string[]): string[] {
  return helperRunCommand({ image, entrypoint: '', mounts: swapMounts(volumes).map((m) => ({ ...m, readOnly: true })), argv: ['tar', '-c', '-f', '-', '-C', SWAP_ROOT, '--', ...files] });
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

/** The restored SQLite files' fingerprint, read from the volumes with the same check the rehearsal runs. */
export async function volumeSqliteFingerprint(host: Target, image: string, volumes: readonly DataVolume[], files: readonly string[], labels: Record<string, string>, name: string, recorder: CommandRecorder): Promise<Fingerprint> {
  const r = await runPipeline({
    host,
    stages: [filesTarCommand(image, volumes, files), sqliteCheckCommand(image, { labels, network: 'none', name })],
    stageNames: ['tar of the restored files', 'integrity_check and fingerprint'],
    timeoutMs: 3_600_000,
  });
  recorder.records.push(r.record);
  if (!r.ok) throw new ShipproofError(`reading the restored SQLite files back failed: ${r.reason ?? 'unknown reason'}`);
  return parseSqliteFingerprint(r.stdoutText.split('\n'));
}
