// `restore <backup> --into <service>`: a real restore into the live service. It asks for consent
// (or --yes), checks the file against its manifest, takes a fresh backup of the service first
// (and stops if that fails), restores with the tool the manifest names, then reads the service
// back and compares with the backup's fingerprint. PostgreSQL, MariaDB, volume archives, Redis
// (RDB swapped in with the service stopped) and SQLite (files swapped in, service always
// stopped: a running writer keeps the old inode and its -wal open) are supported.
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
import { buildStatement } from '../evidence/statement.js';
import { NOT_COLLECTED } from './evidence.js';
import { compareFingerprints, summarizeMismatches } from './fingerprint/compare.js';
import { MysqlDumpFingerprinter } from './fingerprint/mysql-dump.js';
import { PgDumpFingerprinter } from './fingerprint/pg-dump.js';
import { TarFingerprinter } from './fingerprint/tar.js';
import type { Fingerprint, FingerprintSink, SqlFingerprint } from './fingerprint/types.js';
import { liveServices, loadStateful, selectServices } from './live.js';
import { runBackups, type BackupRunResult } from './run.js';
import { dependentsOf, healthAfterRestore, readLinks, withDependentsStopped } from './dependents.js';
import type { BackupSettings } from './settings.js';
import { withVolumeUsersStopped } from './stop.js';
import { FanOut, runPipeline } from './stream.js';
import { findBackup, readBackupsFolder, type ListedBackup } from './store.js';
import { decryptStream } from './crypto.js';
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import type { LiveService } from './engines/types.js';
import type { SqliteFingerprint } from './fingerprint/types.js';
import { requireVolumes } from './live.js';
import { liveRedisFingerprint, rdbPathInVolumes, redisLayout, rdbToTarCommand, swapBackCommand, swapCommitCommand, swapInCommand, volumeSqliteFingerprint, waitRedisReady } from './restore-swap.js';

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
  /** Results recorded before this run's own (e.g. the fetch from an off-site copy). */
  prelude?: CheckResult[];
}

export interface RestoreIntoResult {
  ok: boolean;
  backup: ListedBackup;
  /** The backup taken of the service just before the restore. */
  safety?: BackupRunResult;
  /** Its id: the way back if the restored data is not what was wanted. */
  safetyBackup?: string;
  results: CheckResult[];
  mismatches: string[];
  statement: EvidenceStatement;
}

const SUPPORTED = ['postgres', 'mariadb', 'volume', 'redis', 'sqlite'] as const;

function message(e: unknown): string {
  return (isShipproofError(e) || e instanceof Error ? e.message : String(e)).replace(/\.$/, '');
}

/** What a restore into a live service works from: everything checked that can be checked without changing anything. */
export interface PreparedRestore {
  backup: ListedBackup;
  compose: ComposeModel | undefined;
  svc: ReturnType<typeof selectServices>[number];
  /** The services stopped around the restore (they depend on this one). */
  dependents: string[];
  recorder: CommandRecorder;
}

/**
 * The read-only half of a restore into a live service: the backup exists, is complete, matches
 * its manifest (sha256 read on the server), fits the service's engine, and can be decrypted.
 * `restore --into --dry-run` stops here and shows the plan.
 */
export async function prepareRestoreInto(o: Pick<RestoreIntoOptions, 'config' | 'target' | 'host' | 'backup' | 'service' | 'identity'>): Promise<PreparedRestore> {
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
  const dependents = dependentsOf(compose, await readLinks(o.config.composeFiles).catch(() => new Map<string, string[]>()), o.service);
  return { backup, compose, svc, dependents, recorder };
}

/** The steps a restore into a live service takes, in order, for `--dry-run` (nothing runs). */
export function restorePlan(o: Pick<RestoreIntoOptions, 'target' | 'service'>, p: PreparedRestore): { step: string; what: string }[] {
  const m = p.backup.manifest;
  const how: Record<string, string> = {
    postgres: `stream ${m.file} into psql inside ${o.service} (roles kept, each database replaced)`,
    mariadb: `stream ${m.file} into mariadb inside ${o.service}`,
    volume: `stop the services using ${o.service}'s volumes, replace the volume contents from ${m.file} with the helper image ${m.restoreImage.id.slice(0, 19)}, start them again`,
    redis: `stop ${o.service}, swap the RDB file from ${m.file} into its volume, start it and wait until it answers`,
    sqlite: `stop ${o.service}, swap the database files from ${m.file} into its volume, start it`,
  };
  return [
    { step: 'integrity', what: `${m.file} matches its manifest (sha256 checked just now)` },
    { step: 'before-restore', what: `take a fresh backup of ${o.service} into ${o.target.backupsDir} (the way back); stop if it fails` },
    ...(p.dependents.length ? [{ step: 'dependents', what: `stop ${p.dependents.join(', ')} (they depend on ${o.service}); start them again after` }] : []),
    { step: 'restore', what: how[m.engine] ?? `restore ${m.file}` },
    { step: 'verify', what: `read ${o.service} back and compare with the backup's fingerprint` },
    { step: 'health-gate', what: 'run the health gate on the stack' },
  ];
}

export async function restoreInto(o: RestoreIntoOptions): Promise<RestoreIntoResult> {
  const started = new Date();
  const { backup, compose, svc, dependents, recorder } = await prepareRestoreInto(o);
  const m = backup.manifest;

  const question = `Restore ${m.id} (taken ${m.createdAt}) into the live service ${o.service} on ${o.target.name}? Its current data is replaced (a backup of it is taken first).`;
  const consent = o.yes === true || (o.confirm ? await o.confirm(question) : false);
  if (!consent) {
    throw new UsageError(`Restoring into ${o.service} changes live data and needs consent.`, { hint: 'Answer yes at the prompt, or pass --yes.' });
  }

  const results: CheckResult[] = [...(o.prelude ?? [])];
  o.onProgress?.(`${o.service}: taking a backup before the restore`);
  const safety = await runBackups({ config: o.config, target: o.target, host: o.host, docker: o.docker, services: [o.service], prune: false, offsite: false, ...(o.settings ? { settings: o.settings } : {}), ...(o.now ? { now: o.now } : {}) });
  results.push(...safety.results.map((r) => ({ ...r, id: `before-restore.${r.id}`.slice(0, 80), title: `Before the restore: ${r.title}` })));
  let mismatches: string[] = [];
  const safetyId = safety.backups.find((b) => b.status === 'passed')?.manifest?.id;
  if (safetyId) o.onProgress?.(`${o.service}: safety backup ${safetyId}`);
  if (safety.ok) {
    // The services that need this one are stopped first, so none writes to or holds
    // connections into data being replaced; they start again after, and the stack is checked.
    if (dependents.length) o.onProgress?.(`stopping ${dependents.join(', ')} (they depend on ${o.service})`);
    const td = Date.now();
    const around = await withDependentsStopped({ host: o.host, docker: o.docker, project: o.config.project, compose, dependents, recorder }, async () => {
      const [live] = await liveServices({ host: o.host, docker: o.docker, project: o.config.project, compose, services: [svc] });
      const t0 = Date.now();
      try {
        if (!live) throw new ShipproofError(`${o.service} was not found.`);
        let readBack: Fingerprint;
        if (m.engine === 'redis') {
          readBack = await restoreRedisInto(o, backup, live, compose, recorder);
        } else if (m.engine === 'sqlite') {
          readBack = await restoreSqliteInto(o, backup, live, compose, recorder);
        } else if (m.engine === 'volume') {
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
          observations: { mismatches: mismatches.length },
          commands: [],
        });
      } catch (e) {
        results.push({ id: 'restore', title: `Restore into ${o.service}`, gate: true, status: 'fail', reason: message(e), durationMs: Date.now() - t0, observations: { backup: m.id }, commands: recorder.records.splice(0) });
      }
    });
    results.push({
      id: 'dependents',
      title: `Services that depend on ${o.service} stopped during the restore and started again`,
      gate: true,
      status: around.error !== undefined || around.restartProblem ? 'fail' : dependents.length ? 'pass' : 'skipped',
      ...(around.error !== undefined ? { reason: message(around.error) } : around.restartProblem ? { reason: around.restartProblem } : dependents.length ? {} : { reason: `no service depends on ${o.service}` }),
      durationMs: Date.now() - td,
      observations: { dependents, stopped: around.stopped.map((c) => c.name) },
      commands: [],
    });
    if (results.every((r) => r.status !== 'fail' && r.status !== 'error')) {
      o.onProgress?.('health gate');
      const tg = Date.now();
      const verdict = await healthAfterRestore({ config: o.config, compose, docker: o.docker, host: o.host, recorder });
      results.push({
        id: 'health-gate',
        title: 'Health gate after the restore',
        gate: true,
        status: verdict.passed ? 'pass' : 'fail',
        ...(verdict.passed ? {} : { reason: verdict.reason ?? 'the health gate failed' }),
        durationMs: Date.now() - tg,
        observations: { checks: verdict.checks, ...Object.fromEntries(Object.entries(verdict.services).map(([k, v]) => [`service.${k}`, v])) },
        commands: recorder.records.splice(0),
      });
    }
  }
  const ok = safety.ok && results.every((r) => r.status !== 'fail' && r.status !== 'error');
  const statement = buildStatement({
    project: o.config.project,
    target: { name: o.target.name, description: o.host.description },
    notCollected: NOT_COLLECTED,
    kind: 'restore',
    title: `Restore of ${m.id} into ${o.service} on ${o.target.name}`,
    startedAt: started,
    finishedAt: new Date(),
    results,
    subjects: [{ name: m.file, digest: { sha256: m.sha256 } }],
    notes: safety.ok ? [`safety backup taken before the restore: ${safetyId ?? '?'}`] : ['the restore did not run: the backup taken first failed'],
  });
  return { ok, backup, safety, ...(safetyId ? { safetyBackup: safetyId } : {}), results, mismatches, statement };
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

async function restoreStream(o: RestoreIntoOptions, backup: ListedBackup, stages: string[][], name: string | string[], recorder: CommandRecorder): Promise<string[]> {
  const names = typeof name === 'string' ? [name] : name;
  let r;
  if (backup.manifest.encryption === null) {
    r = await runPipeline({ host: o.host, stages, stageNames: names, options: { feedFrom: backup.path }, timeoutMs: 6 * 3_600_000 });
  } else {
    const cipher = new PassThrough({ highWaterMark: 1 << 20 });
    const reading = o.host.getStream(backup.path, cipher).catch((e: unknown) => cipher.destroy(e as Error));
    const plain = await decryptStream(cipher, o.identity as string);
    r = await runPipeline({ host: o.host, stages, stageNames: names, options: { feedStdin: true }, stdin: plain, timeoutMs: 6 * 3_600_000 });
    await reading;
  }
  recorder.records.push(r.record);
  if (!r.ok) {
    const summary = parsePgRestoreMarkers(r.markers);
    if (summary && summary.unexpected > 0) throw new ShipproofError(`psql reported ${summary.unexpected} unexpected error(s)${summary.first ? `; the first: ${summary.first}` : ''}`);
    throw new ShipproofError(`${names.join(' | ')} failed: ${r.reason ?? 'unknown reason'}`);
  }
  return r.markers;
}

async function readLive(host: Target, stages: string[][], sink: FingerprintSink, recorder: CommandRecorder): Promise<Fingerprint> {
  const r = await runPipeline({ host, stages, stageNames: ['read back'], stdout: new FanOut([sink.input]), timeoutMs: 6 * 3_600_000 });
  recorder.records.push(r.record);
  if (!r.ok) throw new ShipproofError(`reading the service back failed: ${r.reason ?? 'unknown reason'}`);
  return sink.result(r.markers);
}

/** Puts the kept-aside files back with the volume's users stopped; says what went wrong if it could not. */
async function swapBack(o: RestoreIntoOptions, image: string, live: LiveService, compose: ComposeModel | undefined, files: string[], labels: Record<string, string>, recorder: CommandRecorder, stopped: boolean): Promise<string | undefined> {
  const run = async (): Promise<void> => {
    const r = await recorder.run(o.host, swapBackCommand(image, live.volumes, files, labels), { timeoutMs: 600_000 });
    if (r.exitCode !== 0) throw new ShipproofError('the helper that puts the old files back failed');
  };
  try {
    if (stopped) {
      await run();
      return undefined;
    }
    const outcome = await withVolumeUsersStopped({ host: o.host, docker: o.docker, project: o.config.project, compose, volumes: live.volumes, recorder }, run);
    if (outcome.error !== undefined) return message(outcome.error);
    return outcome.restartProblem;
  } catch (e) {
    return message(e);
  }
}

function rolledBack(e: unknown, problem: string | undefined): ShipproofError {
  return new ShipproofError(`${message(e)}; ${problem === undefined ? 'the old data was put back' : `putting the old data back failed too (${problem}): the old files are kept as *.shipproof-old on the volume`}`);
}

/** Redis: stop, swap the RDB in (old one kept aside), start, wait until loaded, fingerprint as the rehearsal does; put the old RDB back on any failure. */
async function restoreRedisInto(o: RestoreIntoOptions, backup: ListedBackup, live: LiveService, compose: ComposeModel | undefined, recorder: CommandRecorder): Promise<Fingerprint> {
  const m = backup.manifest;
  const c = live.container;
  if (!c?.running) throw new ShipproofError(`${o.service} is not running; start it before restoring into it`);
  const layout = await redisLayout(o.host, c.name, recorder);
  // With AOF on, Redis loads the AOF at start and ignores the RDB put in place.
  if (layout.appendonly) throw new ShipproofError(`${o.service} has appendonly (AOF) on, so Redis would ignore a restored RDB; restore it by hand`);
  const rel = rdbPathInVolumes(layout, live.volumes);
  if (rel === undefined) throw new ShipproofError(`the RDB directory of ${o.service} (${layout.dir}) is not in a named volume shipproof knows`);
  const image = m.restoreImage.id;
  const labels = { 'shipproof.restore': 'live' };
  let attempted = false;
  try {
    const outcome = await withVolumeUsersStopped({ host: o.host, docker: o.docker, project: o.config.project, compose, volumes: live.volumes, recorder }, async () => {
      attempted = true;
      o.onProgress?.(`${o.service}: putting the RDB from ${m.id} in place`);
      await restoreStream(o, backup, [rdbToTarCommand(image, rel), swapInCommand(image, live.volumes, 'redis', [rel], labels)], ['wrap the RDB', 'stage, check and swap in the RDB'], recorder);
    });
    if (outcome.error !== undefined) throw outcome.error;
    if (outcome.restartProblem) throw new ShipproofError(outcome.restartProblem);
    o.onProgress?.(`${o.service}: waiting for Redis to load the data`);
    await waitRedisReady(o.host, c.name, recorder);
    const fp = await liveRedisFingerprint(o.host, c.name, image, labels, recorder);
    const mismatches = compareFingerprints(m.fingerprint, fp);
    if (mismatches.length) throw new ShipproofError(`after the restore ${o.service} differs from the backup: ${summarizeMismatches(mismatches, 3).join('; ')}`);
    await recorder.run(o.host, swapCommitCommand(image, live.volumes, [rel], labels), { timeoutMs: 120_000 });
    return fp;
  } catch (e) {
    if (!attempted) throw e;
    o.onProgress?.(`${o.service}: the restore failed; putting the old data back`);
    const problem = await swapBack(o, image, live, compose, [rel], labels, recorder, false);
    if (problem === undefined) await waitRedisReady(o.host, c.name, recorder).catch(() => undefined);
    throw rolledBack(e, problem);
  }
}

/**
 * SQLite: always with the service stopped (a running writer keeps the replaced file's inode and
 * its -wal open, so its next write would go to the old data or corrupt the new). The copies are
 * staged beside the live files, integrity-checked, renamed into place, then fingerprinted while the
 * service is still stopped (once it starts it writes, and the counts move on); on any failure the
 * old files are put back before the service starts again.
 */
async function restoreSqliteInto(o: RestoreIntoOptions, backup: ListedBackup, live: LiveService, compose: ComposeModel | undefined, recorder: CommandRecorder): Promise<Fingerprint> {
  const m = backup.manifest;
  const files = (m.fingerprint as SqliteFingerprint).databases.map((d) => d.path);
  if (files.length === 0) throw new ShipproofError(`the backup ${m.id} lists no SQLite database`);
  await requireVolumes(o.host, live.volumes);
  const image = m.restoreImage.id;
  const labels = { 'shipproof.restore': 'live' };
  const outcome = await withVolumeUsersStopped({ host: o.host, docker: o.docker, project: o.config.project, compose, volumes: live.volumes, recorder }, async () => {
    try {
      o.onProgress?.(`${o.service}: putting the SQLite files from ${m.id} in place`);
      await restoreStream(o, backup, [swapInCommand(image, live.volumes, 'sqlite', files, labels)], 'stage, check and swap in the SQLite files', recorder);
      const fp = await volumeSqliteFingerprint(o.host, image, live.volumes, files, labels, `shipproof-restore-${randomBytes(4).toString('hex')}`, recorder);
      const mismatches = compareFingerprints(m.fingerprint, fp);
      if (mismatches.length) throw new ShipproofError(`the restored files differ from the backup: ${summarizeMismatches(mismatches, 3).join('; ')}`);
      const r = await recorder.run(o.host, swapCommitCommand(image, live.volumes, files, labels), { timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new ShipproofError('could not remove the old files kept aside');
      return fp;
    } catch (e) {
      throw rolledBack(e, await swapBack(o, image, live, compose, files, labels, recorder, true));
    }
  });
  if (outcome.error !== undefined) throw outcome.error;
  if (outcome.restartProblem) throw new ShipproofError(`The data was restored, but ${outcome.restartProblem}.`);
  return outcome.value as Fingerprint;
}
