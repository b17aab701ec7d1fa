// Restoring file-based engines (Redis RDB, SQLite files) into a live service: the new file is
// staged next to the live one on the same volume (so the swap is a rename), the old file is
// kept aside as `<file>.shipproof-old` until the service is verified, and put back on failure.
// The swap runs in a helper container on the service's volumes, with the volume's users stopped.
import { isShipproofError, ShipproofError } from '../errors.js';
import { helperRunCommand } from './commands.js';
import type { DataVolume, LiveRestoreContext } from './engines/types.js';

const OLD = '.shipproof-old';
const NEW = '.shipproof-new';
/** Marks that there was no live file before the swap (so a rollback removes the restored one). */
const NONE = '.shipproof-none';

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

/** A tar of the named files (relative to `/` of the service) from the service's volumes. */
export function filesTarCommand(image: string, volumes: readonly DataVolume[], files: readonly string[]): string[] {
  return helperRunCommand({ image, entrypoint: '', mounts: swapMounts(volumes).map((m) => ({ ...m, readOnly: true })), argv: ['tar', '-c', '-f', '-', '-C', SWAP_ROOT, '--', ...files] });
}

function message(e: unknown): string {
  return (isShipproofError(e) || e instanceof Error ? e.message : String(e)).replace(/\.$/, '');
}

/** Puts the kept-aside files back (with the data's users stopped unless they already are); says what went wrong if it could not. */
export async function swapBack(ctx: LiveRestoreContext, files: readonly string[], labels: Record<string, string>, stopped: boolean): Promise<string | undefined> {
  const run = async (): Promise<void> => {
    const r = await ctx.recorder.run(ctx.host, swapBackCommand(ctx.image, ctx.live.volumes, files, labels), { timeoutMs: 600_000 });
    if (r.exitCode !== 0) throw new ShipproofError('the helper that puts the old files back failed');
  };
  try {
    if (stopped) await run();
    else await ctx.withDataUsersStopped(run);
    return undefined;
  } catch (e) {
    return message(e);
  }
}

/** The error of a restore that failed, saying whether the old data is back. */
export function rolledBack(e: unknown, problem: string | undefined): ShipproofError {
  return new ShipproofError(`${message(e)}; ${problem === undefined ? 'the old data was put back' : `putting the old data back failed too (${problem}): the old files are kept as *.shipproof-old on the volume`}`);
}
