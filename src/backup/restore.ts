// `restore <backup> --into <service>`: a real restore into the live service. It asks for consent
// (or --yes), checks the file against its manifest, takes a fresh backup of the service first
// (and stops if that fails), restores with the tool the manifest names, then reads the service
// back and compares with the backup's fingerprint. PostgreSQL, MariaDB and volume archives are
// supported; Redis and SQLite are not yet (rehearse them, then restore by hand).
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { Docker } from '../docker/docker.js';
import { CheckFailedError, isShipproofError, ShipproofError, UsageError } from '../errors.js';
import type { CheckResult, EvidenceStatement } from '../evidence/predicate-schema.js';
import { CommandRecorder } from '../probes/recorder.js';
import type { Target } from '../targets/target.js';
import { dockerExecCommand, helperRunCommand, parseSha256Output, sha256Command } from './commands.js';
import { mariadbDumpCommand, MARIADB_DUMP_SCRIPT } from './engines/mariadb.js';
import { pgDumpCommand, PG_DUMP_SCRIPT, parsePgRestoreMarkers } from './engines/postgres.js';
import type { DataVolume } from './engines/types.js';
import { volumeArchiveCommand } from './engines/volume.js';
import { buildStatement } from './evidence.js';
import { compareFingerprints, summarizeMismatches } from './fingerprint/compare.js';
import { MysqlDumpFingerprinter } from './fingerprint/mysql-dump.js';
import { PgDumpFingerprinter } from './fingerprint/pg-dump.js';
import { TarFingerprinter } from './fingerprint/tar.js';
import type { Fingerprint, FingerprintSink, SqlFingerprint } from './fingerprint/types.js';
import { liveServices, loadStateful, selectServices } from './live.js';
import { runBackups, type BackupRunResult } from './run.js';
import type { BackupSettings } from './settings.js';
import { withVolumeUsersStopped } from './stop.js';
import { FanOut, runPipeline } from './stream.js';
import { findBackup, readBackupsFolder, type ListedBackup } from './store.js';
import { decryptStream } from './crypto.js';
import { PassThrough } from 'node:stream';

/** Credentials as the dump scripts read them, then `$@` runs with PGPASSWORD / MYSQL_PWD exported. */
const PG_CREDENTIALS = PG_DUMP_SCRIPT.split('\n').filter((l) => !l.startsWith('exec ')).join('\n');
const MARIADB_CREDENTIALS = MARIADB_DUMP_SCRIPT.split('\n').slice(0, MARIADB_DUMP_SCRIPT.split('\n').indexOf('unset pw') + 1).join('\n');

/** Drops the databases the backup recreates (recreating `postgres`), then restores; only `role … already exists` errors are expected. */
export const PG_RESTORE_LIVE_SCRIPT = [
  PG_CREDENTIALS,
  'u="${POSTGRES_USER:-postgres}"',
  'for db in "$@"; do',
  '  case "$db" in template0|template1) continue;; esac',
  `  q="$(printf '%s' "$db" | sed 's/"/""/g')"`,
  '  psql -X -q -v ON_ERROR_STOP=1 --username="$u" --dbname=template1 -c "DROP DATABASE IF EXISTS \\"$q\\" WITH (FORCE)"',
  '  if [ "$db" = postgres ]; then psql -X -q -v ON_ERROR_STOP=1 --username="$u" --dbname=template1 -c "CREATE DATABASE postgres"; fi',
  'done',
  'set +e',
  'e="$(mktemp)"',
  'psql -X -q -o /dev/null -v ON_ERROR_STOP=0 --username="$u" --dbname=template1 2>"$e"',
  'rc=$?',
  'all=$(grep -c "^ERROR:" "$e")',
  `bad=$(grep "^ERROR:" "$e" | grep -v -x 'ERROR:  role ".*" already exists' | wc -l)`,
  `first=$(grep "^ERROR:" "$e" | grep -v -x 'ERROR:  role ".*" already exists' | head -n 1)`,
  'rm -f "$e"',
  `printf 'SHIPPROOF-PG-RESTORE %s %s %s\\n' "$rc" "$all" "$bad" >&2`,
  `[ -z "$first" ] || printf 'SHIPPROOF-PG-FIRST-ERROR %s\\n' "$first" >&2`,
  '[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ]',
].join('\n');

export const MARIADB_RESTORE_LIVE_SCRIPT = [MARIADB_CREDENTIALS, 'exec "$(command -v mariadb || command -v mysql)" --user="$user"'].join('\n');

export interface RestoreIntoOptions {
  config: ResolvedConfig;
  target: ResolvedTarget;
  host: Target;
  docker: Docker;
  backup: string;
  service: string;
  identity?: string;
  /** Consent given up front (--yes). */
  yes?: boolean;
  /** Asks the operator; without it and without yes, the restore is refused. */
  confirm?: (question: string) => Promise<boolean>;
  settings?: Partial<BackupSettings>;
  now?: Date;
  onProgress?: (line: string) => void;
}

export interface RestoreIntoResult {
  ok: boolean;
  backup: ListedBackup;
  /** The backup taken of the service just before the restore. */
  safety?: BackupRunResult;
  results: CheckResult[];
  mismatches: string[];
  statement: EvidenceStatement;
}

const SUPPORTED = ['postgres', 'mariadb', 'volume'] as const;

function message(e: unknown): string {
  return (isShipproofError(e) || e instanceof Error ? e.message : String(e)).replace(/\.$/, '');
}

export async function restoreInto(o: RestoreIntoOptions): Promise<RestoreIntoResult> {
  const started = new Date();
  const folder = await readBackupsFolder(o.host, o.target.backupsDir);
  const backup = findBackup(folder, o.backup);
  if (!backup) throw new UsageError(`There is no backup "${o.backup}" in ${o.target.backupsDir} on ${o.target.name}.`, { hint: 'See `shipproof backup list`.' });
  const m = backup.manifest;
  const { compose, stateful } = await loadStateful(o.config);
  const [svc] = selectServices(stateful, compose, [o.service]);
  if (!svc) throw new UsageError(`Unknown service ${o.service}.`);
  if (svc.engine !== m.engine) throw new UsageError(`The backup ${m.id} is a ${m.engine} backup, but ${o.service} is a ${svc.engine} service.`);
  if (!(SUPPORTED as readonly string[]).includes(m.engine)) {
    throw new UsageError(`Restoring a ${m.engine} backup into a live service is not supported yet.`, {
      hint: `Prove it with \`shipproof restore ${m.id} --rehearse\`, then restore by hand following the manifest's procedure.`,
    });
  }
  if (!backup.complete) throw new CheckFailedError(`The backup ${m.id} is incomplete: ${backup.problem ?? 'unknown problem'}.`);
  if (m.encryption !== null && o.identity === undefined) throw new UsageError(`The backup ${m.id} is encrypted; pass --identity <file>.`);
  const recorder = new CommandRecorder(new AbortController().signal);
  const sum = await recorder.run(o.host, sha256Command(backup.path), { timeoutMs: 3_600_000 });
  if (parseSha256Output(sum.stdout) !== m.sha256) throw new CheckFailedError(`The file of ${m.id} does not match its manifest (sha256): it was changed or damaged; nothing was restored.`);

  const question = `Restore ${m.id} (taken ${m.createdAt}) into the live service ${o.service} on ${o.target.name}? Its current data is replaced (a backup of it is taken first).`;
  const consent = o.yes === true || (o.confirm ? await o.confirm(question) : false);
  if (!consent) {
    throw new UsageError(`Restoring into ${o.service} changes live data and needs consent.`, { hint: 'Answer yes at the prompt, or pass --yes.' });
  }

  const results: CheckResult[] = [];
  o.onProgress?.(`${o.service}: taking a backup before the restore`);
  const safety = await runBackups({ config: o.config, target: o.target, host: o.host, docker: o.docker, services: [o.service], prune: false, offsite: false, ...(o.settings ? { settings: o.settings } : {}), ...(o.now ? { now: o.now } : {}) });
  results.push(...safety.results.map((r) => ({ ...r, id: `before-restore.${r.id}`.slice(0, 80), title: `Before the restore: ${r.title}` })));
  let mismatches: string[] = [];
  if (safety.ok) {
    const [live] = await liveServices({ host: o.host, docker: o.docker, project: o.config.project, compose, services: [svc] });
    const t0 = Date.now();
    try {
      if (!live) throw new ShipproofError(`${o.service} was not found.`);
      let readBack: Fingerprint;
      if (m.engine === 'volume') {
        const helper = m.restoreImage.id;
        const outcome = await withVolumeUsersStopped({ host: o.host, docker: o.docker, project: o.config.project, compose, volumes: live.volumes, recorder }, async () => {
          await restoreStream(o, backup, [volumeReplaceCommand(helper, live.volumes)], 'replace the volume contents', recorder);
          return readLive(o.host, [volumeArchiveCommand(helper, live.volumes, { 'shipproof.restore': m.id })], new TarFingerprinter(), recorder);
        });
        if (outcome.error !== undefined) throw outcome.error;
        if (outcome.restartProblem) throw new ShipproofError(`The data was restored, but ${outcome.restartProblem}.`);
        readBack = outcome.value as Fingerprint;
      } else {
        const c = live.container;
        if (!c?.running) throw new ShipproofError(`${o.service} is not running; start it before restoring into it.`);
        if (m.engine === 'postgres') {
          const dbs = (m.fingerprint as SqlFingerprint).databases;
          const r = await restoreStream(o, backup, [dockerExecCommand(c.name, ['sh', '-c', PG_RESTORE_LIVE_SCRIPT, 'shipproof-pg-restore', ...dbs], { interactive: true })], 'psql restore', recorder);
          const summary = parsePgRestoreMarkers(r);
          if (summary && summary.unexpected > 0) throw new ShipproofError(`psql reported ${summary.unexpected} unexpected error(s)${summary.first ? `; the first: ${summary.first}` : ''}`);
          readBack = await readLive(o.host, [pgDumpCommand(c.name)], new PgDumpFingerprinter(), recorder);
        } else {
          await restoreStream(o, backup, [dockerExecCommand(c.name, ['sh', '-c', MARIADB_RESTORE_LIVE_SCRIPT, 'shipproof-mariadb-restore'], { interactive: true })], 'mariadb restore', recorder);
          readBack = await readLive(o.host, [mariadbDumpCommand(c.name, (m.fingerprint as SqlFingerprint).databases)], new MysqlDumpFingerprinter(), recorder);
        }
      }
      results.push({ id: 'restore', title: `Restore into ${o.service}`, gate: true, status: 'pass', durationMs: Date.now() - t0, observations: { backup: m.id, engine: m.engine }, commands: recorder.records.splice(0) });
      mismatches = compareFingerprints(m.fingerprint, readBack);
      results.push({
        id: 'verify',
        title: `${o.service} holds the backup's data`,
        gate: true,
        status: mismatches.length ? 'fail' : 'pass',
        ...(mismatches.length ? { reason: `the live data differs from the backup (the service may have written since): ${summarizeMismatches(mismatches, 3).join('; ')}` } : {}),
        durationMs: 0,
        observations: { mismatches: mismatches.length },
        commands: [],
      });
    } catch (e) {
      results.push({ id: 'restore', title: `Restore into ${o.service}`, gate: true, status: 'fail', reason: message(e), durationMs: Date.now() - t0, observations: { backup: m.id }, commands: recorder.records.splice(0) });
    }
  }
  const ok = safety.ok && results.every((r) => r.status !== 'fail' && r.status !== 'error');
  const statement = buildStatement({
    config: o.config,
    target: o.target,
    description: o.host.description,
    kind: 'restore',
    title: `Restore of ${m.id} into ${o.service} on ${o.target.name}`,
    startedAt: started,
    finishedAt: new Date(),
    results,
    subjects: [{ name: m.file, digest: { sha256: m.sha256 } }],
    notes: safety.ok ? [] : ['the restore did not run: the backup taken first failed'],
  });
  return { ok, backup, safety, results, mismatches, statement };
}

function volumeReplaceCommand(image: string, volumes: readonly DataVolume[]): string[] {
  return helperRunCommand({
    image,
    entrypoint: '',
    interactive: true,
    labels: { 'shipproof.restore': 'live' },
    mounts: volumes.map((v) => ({ volume: v.volume, target: `/restore/${v.name}` })),
    argv: ['sh', '-c', 'set -e; for d in /restore/*/; do find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +; done; tar -x -f - --numeric-owner -C /restore'],
  });
}

async function restoreStream(o: RestoreIntoOptions, backup: ListedBackup, stages: string[][], name: string, recorder: CommandRecorder): Promise<string[]> {
  let r;
  if (backup.manifest.encryption === null) {
    r = await runPipeline({ host: o.host, stages, stageNames: [name], options: { feedFrom: backup.path }, timeoutMs: 6 * 3_600_000 });
  } else {
    const cipher = new PassThrough({ highWaterMark: 1 << 20 });
    const reading = o.host.getStream(backup.path, cipher).catch((e: unknown) => cipher.destroy(e as Error));
    const plain = await decryptStream(cipher, o.identity as string);
    r = await runPipeline({ host: o.host, stages, stageNames: [name], options: { feedStdin: true }, stdin: plain, timeoutMs: 6 * 3_600_000 });
    await reading;
  }
  recorder.records.push(r.record);
  if (!r.ok) {
    const summary = parsePgRestoreMarkers(r.markers);
    if (summary && summary.unexpected > 0) throw new ShipproofError(`psql reported ${summary.unexpected} unexpected error(s)${summary.first ? `; the first: ${summary.first}` : ''}`);
    throw new ShipproofError(`${name} failed: ${r.reason ?? 'unknown reason'}`);
  }
  return r.markers;
}

async function readLive(host: Target, stages: string[][], sink: FingerprintSink, recorder: CommandRecorder): Promise<Fingerprint> {
  const r = await runPipeline({ host, stages, stageNames: ['read back'], stdout: new FanOut([sink.input]), timeoutMs: 6 * 3_600_000 });
  recorder.records.push(r.record);
  if (!r.ok) throw new ShipproofError(`reading the service back failed: ${r.reason ?? 'unknown reason'}`);
  return sink.result(r.markers);
}
