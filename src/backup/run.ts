// `backup run`: for each stateful service (or those named), stream a backup into a private file
// on the target, check it, write its manifest, and only then give it its final name. Then, when
// every backup succeeded, copy off-site and apply retention. One result per service; failures
// leave no complete-looking file and prune nothing.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import type { Engine } from '../config/schema.js';
import type { Docker } from '../docker/docker.js';
import { isShipproofError } from '../errors.js';
import type { CheckResult, EvidenceStatement, Subject } from '../evidence/predicate-schema.js';
import { CommandRecorder } from '../probes/recorder.js';
import type { Observations } from '../probes/types.js';
import type { Target } from '../targets/target.js';
import { TOOL_VERSION } from '../version.js';
import { finalizeCommand, parseSha256Output, prepareBackupsDirCommand, removeFilesCommand, sha256Command } from './commands.js';
import { engineSpec } from './engines/index.js';
import { dataMountsOf, type ImageRef, type LiveService } from './engines/types.js';
import { buildStatement } from '../evidence/statement.js';
import { NOT_COLLECTED } from './evidence.js';
import { fingerprintCounts, fingerprintDigest } from './fingerprint/types.js';
import { liveServices, loadStateful, requireVolumes, resolveImage, selectServices } from './live.js';
import type { BackupManifest, LastRunRecord } from './manifest.js';
import { backupFileName, backupId, checksumLine, freeStamp, lastRunName, PARTIAL_SUFFIX } from './naming.js';
import { copyOffsite, destinationLabel, type OffsiteOutcome } from './offsite.js';
import { pruneS3Copies } from './s3/offsite-s3.js';
import { applyPrune, planPrune, type PruneResult } from './retention.js';
import { resolveBackupSettings, type BackupSettings } from './settings.js';
import { withVolumeUsersStopped, type StoppedContainer } from './stop.js';
import { joinPath, readBackupsFolder, recordPaths, writeRecord, writeText, type BackupsFolder } from './store.js';
import { streamToFile, type StreamToFileResult } from './write.js';

export interface RunBackupsOptions {
  config: ResolvedConfig;
  target: ResolvedTarget;
  host: Target;
  docker: Docker;
  /** Compose service names; default every stateful service. */
  services?: string[];
  now?: Date;
  /** age recipients; overrides backups.encryptTo. */
  encryptTo?: string[];
  settings?: Partial<BackupSettings>;
  /** Run engines no test covers yet (mongodb, vault, minio). */
  allowUntested?: boolean;
  /** Apply retention after a fully successful run. Default true. */
  prune?: boolean;
  /** Copy to the configured off-site destinations. Default true. */
  offsite?: boolean;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  operator?: string;
  /** Builds targets for off-site pushes (tests inject; default createTarget). */
  openTarget?: (t: ResolvedTarget) => Target;
}

export interface BackupOutcome {
  service: string;
  engine: Engine;
  status: 'passed' | 'failed' | 'skipped';
  reason?: string;
  manifest?: BackupManifest;
  /** Absolute path of the data file on the target. */
  path?: string;
  durationMs: number;
  /** Containers stopped for the backup (and started again). */
  stopped: string[];
  result: CheckResult;
}

export interface BackupRunResult {
  ok: boolean;
  startedAt: string;
  finishedAt: string;
  backups: BackupOutcome[];
  prune?: PruneResult;
  offsite: OffsiteOutcome[];
  /** Evidence results: one per service, plus off-site copies and prune. */
  results: CheckResult[];
  statement: EvidenceStatement;
  notes: string[];
}

function message(e: unknown): string {
  return (isShipproofError(e) || e instanceof Error ? e.message : String(e)).replace(/\.$/, '');
}

interface RunContext {
  o: RunBackupsOptions;
  settings: BackupSettings;
  encryptTo: string[];
  dir: string;
  folder: BackupsFolder;
  compose: ComposeModel | undefined;
  now: Date;
}

export async function runBackups(o: RunBackupsOptions): Promise<BackupRunResult> {
  const started = new Date();
  const now = o.now ?? started;
  const settings = resolveBackupSettings(o.config, { ...o.settings, ...(o.encryptTo ? { encryptTo: o.encryptTo } : {}) });
  const { compose, stateful } = await loadStateful(o.config);
  const chosen = selectServices(stateful, compose, o.services);
  const dir = o.target.backupsDir;
  const notes: string[] = [];
  await o.host.exec(prepareBackupsDirCommand(dir), { timeoutMs: 60_000 });
  const folder = await readBackupsFolder(o.host, dir);
  const ctx: RunContext = { o, settings, encryptTo: settings.encryptTo, dir, folder, compose, now };
  const lives = await liveServices({ host: o.host, docker: o.docker, project: o.config.project, compose, services: chosen });

  const backups: BackupOutcome[] = [];
  for (const live of lives) {
    o.onProgress?.(`${live.stateful.service}: backing up (${live.stateful.engine})`);
    const outcome = await backupOne(ctx, live);
    backups.push(outcome);
    o.onProgress?.(`${live.stateful.service}: ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}`);
    await writeLastRun(o.host, dir, outcome, now).catch((e: unknown) => notes.push(`could not record the last run of ${outcome.service}: ${message(e)}`));
  }
  if (chosen.length === 0) notes.push('no stateful service found in the compose file: nothing to back up');

  const failed = backups.filter((b) => b.status === 'failed');
  const results: CheckResult[] = backups.map((b) => b.result);
  const offsite: OffsiteOutcome[] = [];
  if (failed.length === 0 && o.offsite !== false && settings.offsite.length > 0) {
    const fresh = await readBackupsFolder(o.host, dir);
    for (const b of backups.filter((x) => x.status === 'passed')) {
      const listed = fresh.backups.find((x) => x.manifest.id === b.manifest?.id);
      if (!listed) continue;
      o.onProgress?.(`${b.service}: copying off-site`);
      const outs = await copyOffsite({ config: o.config, host: o.host, backup: listed, destinations: settings.offsite, ...(o.openTarget ? { openTarget: o.openTarget } : {}) });
      offsite.push(...outs);
    }
    for (const x of offsite) {
      results.push({
        id: `offsite.${x.id}.${x.destination}`.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 80),
        title: `Off-site copy of ${x.id} to ${x.destination}`,
        gate: false,
        status: x.status === 'verified' ? 'pass' : 'fail',
        ...(x.reason ? { reason: x.reason } : {}),
        observations: {
          destination: x.destination,
          sha256: x.sha256 ?? null,
          readBack: x.status === 'verified',
          ...(x.path ? { location: x.path } : {}),
          ...(x.bytes !== undefined ? { bytes: x.bytes } : {}),
          ...(x.versionId ? { versionId: x.versionId } : {}),
          ...(x.retainUntil ? { retainUntil: x.retainUntil } : {}),
        },
        commands: [],
      });
    }
  } else if (failed.length > 0 && settings.offsite.length > 0) {
    notes.push('no off-site copy was made: a backup failed');
  }

  let prune: PruneResult | undefined;
  if (o.prune !== false && (settings.keep !== undefined || settings.keepDays !== undefined)) {
    if (failed.length > 0) notes.push('nothing was pruned: a backup failed');
    else {
      const fresh = await readBackupsFolder(o.host, dir);
      const plan = planPrune(
        fresh,
        {
          ...(settings.keep !== undefined ? { keep: settings.keep } : {}),
          ...(settings.keepDays !== undefined ? { keepDays: settings.keepDays } : {}),
          dropThreshold: settings.dropThreshold,
          requireOffsite: settings.offsite.map((d) => destinationLabel(d, o.config)),
        },
        now,
        { services: chosen.map((s) => s.service) },
      );
      prune = await applyPrune(o.host, fresh, plan, false);
      prune.s3 = await pruneS3Copies({ config: o.config, settings, now, dryRun: false, services: chosen.map((s) => s.service) });
      for (const r of plan.refused) notes.push(`not pruned: ${r.reason}`);
      results.push({
        id: 'prune',
        title: 'Retention',
        gate: false,
        status: prune.failed.length ? 'fail' : 'pass',
        ...(prune.failed.length ? { reason: `could not delete ${prune.failed.map((f) => f.id).join(', ')}` } : {}),
        observations: {
          deleted: prune.deleted.length,
          kept: plan.decisions.filter((d) => d.action === 'keep').length,
          refusedServices: plan.refused.map((r) => r.service),
        },
        commands: [],
      });
    }
  }

  const finished = new Date();
  const subjects: Subject[] = backups.flatMap((b) => (b.manifest ? [{ name: b.manifest.file, digest: { sha256: b.manifest.sha256 } }] : []));
  const statement = buildStatement({
    project: o.config.project,
    target: { name: o.target.name, description: o.host.description },
    notCollected: NOT_COLLECTED,
    kind: 'backup',
    title: `Backup of ${chosen.map((s) => s.service).join(', ') || 'no services'} on ${o.target.name}`,
    startedAt: started,
    finishedAt: finished,
    results,
    subjects,
    notes,
    ...(o.operator ? { operator: o.operator } : {}),
  });
  return {
    ok: failed.length === 0,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    backups,
    ...(prune ? { prune } : {}),
    offsite,
    results,
    statement,
    notes,
  };
}

async function writeLastRun(host: Target, dir: string, b: BackupOutcome, now: Date): Promise<void> {
  if (b.status === 'skipped') return;
  const record: LastRunRecord = {
    schemaVersion: 1,
    service: b.service,
    status: b.status === 'passed' ? 'passed' : 'failed',
    at: now.toISOString(),
    ...(b.manifest ? { id: b.manifest.id } : {}),
    ...(b.reason ? { reason: b.reason.slice(0, 300) } : {}),
  };
  await writeRecord(host, joinPath(dir, lastRunName(b.service)), record);
}

async function backupOne(ctx: RunContext, live: LiveService): Promise<BackupOutcome> {
  const { o, settings } = ctx;
  const started = Date.now();
  const s = live.stateful;
  const spec = engineSpec(s.engine);
  const recorder = new CommandRecorder(o.signal ?? new AbortController().signal);
  const observations: Observations = { engine: s.engine, procedure: spec.procedure, tested: spec.tested, engineSource: s.source };
  let stopped: StoppedContainer[] = [];
  const finish = (status: BackupOutcome['status'], reason?: string, extra: Partial<BackupOutcome> = {}): BackupOutcome => {
    const result: CheckResult = {
      id: `backup.${s.service}`.slice(0, 80),
      title: `Backup of ${s.service} (${s.engine})`,
      gate: true,
      status: status === 'passed' ? 'pass' : status === 'failed' ? 'fail' : 'skipped',
      ...(reason ? { reason } : {}),
      durationMs: Date.now() - started,
      observations,
      commands: recorder.records,
    };
    return { service: s.service, engine: s.engine, status, ...(reason ? { reason } : {}), durationMs: result.durationMs ?? 0, stopped: stopped.map((c) => c.name), result, ...extra };
  };

  if (!spec.tested && !o.allowUntested) {
    return finish('skipped', `no test covers the ${s.engine} procedure yet; run with --allow-untested to take it anyway`);
  }
  if (spec.needsRunningContainer && !live.container?.running) {
    return finish('failed', `${s.service} is not running${live.container ? ` (its container ${live.container.name} is stopped)` : ' (it has no container)'}, so its ${s.engine} dump cannot be taken`);
  }
  if (!spec.needsRunningContainer && live.volumes.length === 0) {
    return finish('failed', `${s.service} has no named volume to back up`);
  }

  let partial: string | undefined;
  try {
    const helperRef = await spec.helperImage?.(live, settings, o.host);
    let helper: (ImageRef & { repoDigests: string[] }) | undefined;
    if (helperRef !== undefined) {
      helper = await resolveImage(o.docker, helperRef);
      if (!helper) {
        await recorder.run(o.host, ['docker', 'pull', helperRef], { timeoutMs: 600_000 });
        helper = await resolveImage(o.docker, helperRef);
      }
      if (!helper) return finish('failed', `the helper image ${helperRef} is not on ${o.host.description} and could not be pulled`);
    }
    if (!spec.needsRunningContainer) await requireVolumes(o.host, live.volumes, dataMountsOf(spec));
    const service = live.container ? await resolveImage(o.docker, live.container.imageId) : undefined;
    const image = helper ?? {
      ref: live.container?.image ?? null,
      id: live.container?.imageId ?? '',
      repoDigests: service?.repoDigests ?? [],
    };
    const restoreImage: ImageRef = helper ? { ref: helper.ref, id: helper.id } : { ref: image.ref, id: image.id };

    const { stamp, at } = freeStamp(s.service, s.engine, ctx.now, ctx.folder.ids);
    const id = backupId(s.service, s.engine, stamp);
    ctx.folder.ids.add(id);
    const encrypted = ctx.encryptTo.length > 0;
    const file = backupFileName(id, { format: spec.format, compression: 'gzip', encrypted });
    const finalPath = joinPath(ctx.dir, file);
    partial = `${finalPath}${PARTIAL_SUFFIX}`;
    const labels = { 'shipproof.backup': id };
    const dump = spec.dumpCommand({ live, settings, labels, ...(helper ? { helper } : {}) });
    const sink = spec.sink({ host: o.host, image: restoreImage, labels, timeoutMs: settings.timeoutMs });
    const partialPath = partial;
    const stream = (): Promise<StreamToFileResult> =>
      streamToFile({
        host: o.host,
        dump,
        dumpName: `${s.engine} dump`,
        partialPath,
        encryptTo: ctx.encryptTo,
        sink,
        gzipLevel: settings.gzipLevel,
        timeoutMs: settings.timeoutMs,
        ...(o.signal ? { signal: o.signal } : {}),
      });

    let written: StreamToFileResult;
    let restartProblem: string | undefined;
    if (s.stop && !spec.needsRunningContainer) {
      const so = await withVolumeUsersStopped(
        { host: o.host, docker: o.docker, project: o.config.project, compose: ctx.compose, volumes: live.volumes, kind: dataMountsOf(spec), recorder },
        stream,
      );
      stopped = so.stopped;
      restartProblem = so.restartProblem;
      if (so.error !== undefined) throw so.error;
      written = so.value as StreamToFileResult;
    } else {
      written = await stream();
    }
    recorder.records.push(written.record);
    observations.stopped = stopped.map((c) => c.service);
    if (restartProblem) observations.restartProblem = restartProblem;
    if (!written.ok) {
      await cleanup(o.host, ctx.dir, partial);
      return finish('failed', `the backup of ${s.service} failed: ${written.reason ?? 'unknown reason'}${restartProblem ? `; also ${restartProblem}` : ''}`);
    }
    // Read the file back from the server's disk: what the stream hashed must be what was stored.
    const back = await recorder.run(o.host, sha256Command(partial), { timeoutMs: settings.timeoutMs });
    const stored = parseSha256Output(back.stdout);
    if (stored !== written.sha256) {
      await cleanup(o.host, ctx.dir, partial);
      return finish('failed', `the file stored on the server does not match what was streamed (sha256 ${stored?.slice(0, 12) ?? 'unreadable'}… vs ${written.sha256.slice(0, 12)}…)`);
    }
    const fingerprint = written.fingerprint ?? { kind: 'opaque' as const };
    const finished = new Date(at.getTime() + (Date.now() - started));
    const manifest: BackupManifest = {
      schemaVersion: 1,
      id,
      project: o.config.project,
      target: o.target.name,
      service: s.service,
      engine: s.engine,
      procedure: spec.procedure,
      tested: spec.tested,
      createdAt: at.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: Date.now() - started,
      image: { ref: image.ref, id: image.id, repoDigests: image.repoDigests },
      restoreImage,
      container: live.container?.name ?? null,
      volumes: live.volumes.map((v) => ({ name: v.name, volume: v.volume, destination: v.destination })),
      command: [...dump],
      format: spec.format,
      compression: 'gzip',
      encryption: encrypted ? { kind: 'age', recipients: [...ctx.encryptTo] } : null,
      file,
      bytes: written.bytes,
      sha256: written.sha256,
      contentSha256: written.contentSha256,
      rawBytes: written.rawBytes,
      fingerprint,
      fingerprintDigest: fingerprintDigest(fingerprint),
      validation: spec.validation,
      stopped: stopped.map((c) => c.service),
      toolVersion: TOOL_VERSION,
    };
    const paths = recordPaths(ctx.dir, id);
    await writeText(o.host, paths.checksum, checksumLine(written.sha256, file));
    await writeRecord(o.host, paths.manifest, manifest);
    const fin = await recorder.run(o.host, finalizeCommand(partial, finalPath), { timeoutMs: 300_000 });
    if (fin.exitCode !== 0) {
      await o.host.exec(removeFilesCommand(ctx.dir, [`${id}.manifest.json`, `${id}.sha256`]), { reject: false, timeoutMs: 60_000 });
      await cleanup(o.host, ctx.dir, partial);
      return finish('failed', `the finished backup could not be moved into place: ${fin.stderr.trim().split('\n')[0] ?? ''}`);
    }
    Object.assign(observations, {
      file,
      bytes: written.bytes,
      sha256: written.sha256,
      rawBytes: written.rawBytes,
      encrypted,
      imageId: image.id,
      fingerprintDigest: manifest.fingerprintDigest,
      ...Object.fromEntries(Object.entries(fingerprintCounts(fingerprint)).map(([k, v]) => [`count.${k}`, v])),
    });
    if (restartProblem) return finish('failed', `the backup was taken, but ${restartProblem}`, { manifest, path: finalPath });
    return finish('passed', undefined, { manifest, path: finalPath });
  } catch (e) {
    if (partial !== undefined) await cleanup(o.host, ctx.dir, partial);
    return finish('failed', `the backup of ${s.service} failed: ${message(e)}`);
  }
}

/** Removes a partial file (and the writer's own partial of it); the connection may be gone, so it tries twice. */
async function cleanup(host: Target, dir: string, partial: string): Promise<void> {
  const name = partial.slice(dir.length).replace(/^\/+/, '');
  for (let i = 0; i < 2; i++) {
    try {
      const r = await host.exec(removeFilesCommand(dir, [name, `${name}${PARTIAL_SUFFIX}`]), { reject: false, timeoutMs: 60_000 });
      if (r.exitCode === 0) return;
    } catch {
      // the connection dropped: the next try reconnects
    }
  }
}
