// SQLite files in a service's named volumes: each database found (by its "SQLite format 3"
// header) is copied with sqlite3's online .backup (a consistent snapshot while the app writes),
// checked with PRAGMA integrity_check, fingerprinted (row count and sha3 per table), and the copies
// are streamed out as a tar. It runs in the service's own container when that has sqlite3 and
// tar, else in a helper image (backups.images.sqlite) with the volumes mounted at the same paths.
// Rehearsal: extract the copies in a scratch container and fingerprint them the same way.
import { randomBytes } from 'node:crypto';
import { ShipproofError } from '../../errors.js';
import type { CommandRecorder } from '../../probes/recorder.js';
import type { Target } from '../../targets/target.js';
import { dockerExecCommand, helperRunCommand } from '../commands.js';
import { compareFingerprints, summarizeMismatches } from '../fingerprint/compare.js';
import { filesTarCommand, rolledBack, swapBack, swapCommitCommand, swapInCommand } from '../restore-swap.js';
import { runPipeline } from '../stream.js';
import { parseSqliteFingerprint, SQLITE_DONE_MARKER } from '../fingerprint/sqlite.js';
import { TarFingerprinter } from '../fingerprint/tar.js';
import type { Fingerprint, FingerprintSink, SqliteFingerprint } from '../fingerprint/types.js';
import { RehearsalStepError, type DataVolume, type EngineSpec, type LiveRestore } from './types.js';

/** SQL that writes, per table, a query for its row count and SHA3-256 (sha3_query is a sqlite3 shell function). */
export const SQLITE_FINGERPRINT_SQL =
  `SELECT 'SELECT ' || quote(name) || ' AS t, count(*) AS n, lower(hex(sha3_query(' || ` +
  `quote('SELECT * FROM "' || replace(name, '"', '""') || '"') || ', 256))) AS h FROM "' || replace(name, '"', '""') || '";' ` +
  `FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name;`;

/**
 * `$1` = dump | check, `$2` = the SQL above, then the folders to search (dump) — or nothing
 * (check: the tar of copies arrives on stdin). Fingerprint lines go to stderr in a dump (stdout
 * carries the tar) and to stdout in a check.
 */
export const SQLITE_SCRIPT = [
  'set -e',
  'mode="$1"; gen="$2"; shift 2',
  'out="$(mktemp -d)"',
  'trap \'rm -rf "$out"\' EXIT',
  'mkdir "$out/root"',
  'if [ "$mode" = dump ]; then exec 3>&2; else exec 3>&1; fi',
  'fp() {',
  `  printf 'SHIPPROOF-SQLITE-DB %s\\n' "$2" >&3`,
  `  printf 'SHIPPROOF-SQLITE-INTEGRITY %s\\n' "$(sqlite3 -batch "$1" 'PRAGMA integrity_check' | head -n 1)" >&3`,
  '  sqlite3 -batch -bail "$1" "$gen" > "$out/fp.sql"',
  '  sqlite3 -batch -bail -json "$1" < "$out/fp.sql" > "$out/fp.json"',
  `  sed 's/^/SHIPPROOF-SQLITE-TABLE /' "$out/fp.json" >&3`,
  '}',
  'n=0',
  'if [ "$mode" = dump ]; then',
  '  : > "$out/list"',
  '  for root in "$@"; do find "$root" -type f >> "$out/list"; done',
  '  while IFS= read -r f; do',
  '    [ "$(head -c 15 "$f" 2>/dev/null)" = "SQLite format 3" ] || continue',
  '    rel="${f#/}"',
  '    mkdir -p "$out/root/$(dirname "$rel")"',
  '    sqlite3 -batch -bail -cmd ".timeout 30000" "$f" ".backup $out/db.tmp"',
  '    mv "$out/db.tmp" "$out/root/$rel"',
  '    fp "$out/root/$rel" "$rel"',
  '    n=$((n+1))',
  '  done < "$out/list"',
  '  [ "$n" -gt 0 ] || { echo "no SQLite database found under $*" >&2; exit 3; }',
  `  echo ${SQLITE_DONE_MARKER} >&3`,
  '  tar -c -f - --numeric-owner -C "$out/root" .',
  'else',
  '  tar -x -f - --numeric-owner -C "$out/root"',
  '  (cd "$out/root" && find . -type f) | sed "s|^\\./||" > "$out/list"',
  '  while IFS= read -r rel; do fp "$out/root/$rel" "$rel"; n=$((n+1)); done < "$out/list"',
  `  echo ${SQLITE_DONE_MARKER} >&3`,
  'fi',
].join('\n');

const scriptArgv = (mode: 'dump' | 'check', roots: readonly string[]): string[] => ['sh', '-c', SQLITE_SCRIPT, 'shipproof-sqlite', mode, SQLITE_FINGERPRINT_SQL, ...roots];

/** Dump inside the service's own container (it has sqlite3 and tar). */
export function sqliteDumpInContainerCommand(container: string, roots: readonly string[]): string[] {
  return dockerExecCommand(container, scriptArgv('dump', roots));
}

/** Dump in a helper image with the volumes mounted where the service mounts them. */
export function sqliteDumpInHelperCommand(image: string, volumes: readonly DataVolume[], labels: Record<string, string>): string[] {
  return helperRunCommand({
    image,
    entrypoint: '',
    labels,
    mounts: volumes.map((v) => ({ volume: v.volume, target: v.destination })),
    argv: scriptArgv(
      'dump',
      volumes.map((v) => v.destination),
    ),
  });
}

export function sqliteCheckCommand(image: string, o: { labels: Record<string, string>; network: string; name: string }): string[] {
  return helperRunCommand({ image, entrypoint: '', interactive: true, labels: o.labels, network: o.network, name: o.name, argv: scriptArgv('check', []) });
}

/** Checks sqlite3 and tar exist in a container. */
export const SQLITE_TOOLS_PROBE = ['sh', '-c', 'command -v sqlite3 >/dev/null && command -v tar >/dev/null'];

/** The tar stream is checked for completeness; the table fingerprint comes from the marker lines. */
class SqliteSink implements FingerprintSink {
  private readonly tar = new TarFingerprinter();
  get input(): TarFingerprinter {
    return this.tar;
  }
  async result(markers: readonly string[]): Promise<Fingerprint> {
    await this.tar.result();
    return parseSqliteFingerprint(markers);
  }
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

/**
 * Always with the service stopped (a running writer keeps the replaced file's inode and its -wal
 * open, so its next write would go to the old data or corrupt the new). The copies are staged
 * beside the live files, integrity-checked, renamed into place, then fingerprinted while the
 * service is still stopped (once it starts it writes, and the counts move on); on any failure the
 * old files are put back before the service starts again.
 */
export const sqliteLiveRestore: LiveRestore = {
  describe: (service, m) => `stop ${service}, swap the database files from ${m.file} into its volume, start it`,
  async run(ctx) {
    const m = ctx.manifest;
    const files = (m.fingerprint as SqliteFingerprint).databases.map((d) => d.path);
    if (files.length === 0) throw new ShipproofError(`the backup ${m.id} lists no SQLite database`);
    const labels = { 'shipproof.restore': 'live' };
    return ctx.withDataUsersStopped(async () => {
      try {
        ctx.progress(`${ctx.service}: putting the SQLite files from ${m.id} in place`);
        const r = await ctx.feed([swapInCommand(ctx.image, ctx.live.volumes, 'sqlite', files, labels)], ['stage, check and swap in the SQLite files']);
        if (!r.ok) throw new ShipproofError(`stage, check and swap in the SQLite files failed: ${r.reason ?? 'unknown reason'}`);
        const fp = await volumeSqliteFingerprint(ctx.host, ctx.image, ctx.live.volumes, files, labels, `shipproof-restore-${randomBytes(4).toString('hex')}`, ctx.recorder);
        const mismatches = compareFingerprints(m.fingerprint, fp);
        if (mismatches.length) throw new ShipproofError(`the restored files differ from the backup: ${summarizeMismatches(mismatches, 3).join('; ')}`);
        const done = await ctx.recorder.run(ctx.host, swapCommitCommand(ctx.image, ctx.live.volumes, files, labels), { timeoutMs: 120_000 });
        if (done.exitCode !== 0) throw new ShipproofError('could not remove the old files kept aside');
        return fp;
      } catch (e) {
        throw rolledBack(e, await swapBack(ctx, files, labels, true));
      }
    });
  },
};

export const sqliteEngine: EngineSpec = {
  engine: 'sqlite',
  tested: true,
  procedure: 'sqlite3 online .backup of every SQLite file in the named volumes, PRAGMA integrity_check, tar, gzipped',
  format: 'tar',
  validation: [
    'every pipeline stage exited 0 (pipefail)',
    'PRAGMA integrity_check of every copy',
    'gzip stream decompressed and its CRC checked while streaming; tar headers checked and its end seen',
    'the file on the server re-read and its sha256 compared',
  ],
  needsRunningContainer: false,
  async helperImage(live, settings, host) {
    if (live.container?.running) {
      const probe = await host.exec(dockerExecCommand(live.container.name, SQLITE_TOOLS_PROBE), { reject: false, timeoutMs: 30_000 });
      if (probe.exitCode === 0) return undefined;
    }
    if (settings.sqliteImage === undefined) {
      throw new ShipproofError(`The service ${live.stateful.service} has no sqlite3 and tar in its container${live.container?.running ? '' : ' (it is not running)'}, and no helper image is set.`, {
        hint: 'Set backups.images.sqlite in shipproof.yaml (or --sqlite-image) to an image with sh, sqlite3 and tar.',
      });
    }
    return settings.sqliteImage;
  },
  dumpCommand: (ctx) =>
    ctx.helper === undefined
      ? sqliteDumpInContainerCommand(
          (ctx.live.container as NonNullable<typeof ctx.live.container>).name,
          ctx.live.volumes.map((v) => v.destination),
        )
      : sqliteDumpInHelperCommand(ctx.helper.id, ctx.live.volumes, ctx.labels),
  sink: () => new SqliteSink(),
  probes: { dumpTool: ['sqlite3', '--version'] },
  restoreInto: sqliteLiveRestore,
  rehearsalCommands: (image, sc) => [
    { argv: sc.feed([sqliteCheckCommand(image, { labels: sc.labels, network: sc.network, name: sc.name('sqlite') })]), note: 'the archive extracted in a scratch container, every SQLite file checked (PRAGMA integrity_check) and fingerprinted' },
  ],
  async rehearse(rc) {
    const r = await rc.feed([sqliteCheckCommand(rc.image, { labels: rc.scratch.labels, network: rc.scratch.network, name: rc.scratch.name('sqlite') })], ['extract and check'], 'restore');
    if (!r.ok) throw new RehearsalStepError('restore', `the SQLite copies did not extract and check in a scratch container: ${r.reason ?? 'unknown reason'}`);
    return parseSqliteFingerprint(r.stdoutText.split('\n'));
  },
};
