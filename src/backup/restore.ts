// `restore <backup> --into <service>`: a real restore into the live service. It asks for consent
// (or --yes), checks the file against its manifest, takes a fresh backup of the service first
// (and stops if that fails), stops the services that depend on it, restores with the engine's
// own procedure (each engine module's `restoreInto`: src/backup/engines), then reads the service
// back, compares with the backup's fingerprint and runs the health gate. This module is the
// orchestration only; which engines can be restored, and how, the engine modules say.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { Docker } from '../docker/docker.js';
import { CheckFailedError, isShipproofError, ShipproofError, UsageError } from '../errors.js';
import type { CheckResult, EvidenceStatement } from '../evidence/predicate-schema.js';
import { CommandRecorder } from '../probes/recorder.js';
import { parseSha256Output, sha256Command } from './commands.js';
import { engineSpec } from './engines/index.js';
import { dataMountsOf, type LiveRestoreContext, type LiveService } from './engines/types.js';
import { buildStatement } from '../evidence/statement.js';
import { NOT_COLLECTED } from './evidence.js';
import { compareFingerprints, summarizeMismatches } from './fingerprint/compare.js';
import type { Fingerprint, FingerprintSink } from './fingerprint/types.js';
import { liveServices, loadStateful, requireVolumes, selectServices } from './live.js';
import { runBackups, type BackupRunResult } from './run.js';
import { dependentsOf, healthAfterRestore, readLinks, withDependentsStopped } from './dependents.js';
import type { BackupSettings } from './settings.js';
import { withVolumeUsersStopped } from './stop.js';
import { FanOut, runPipeline, type PipelineResult } from './stream.js';
import { findBackup, readBackupsFolder, type ListedBackup } from './store.js';
import { decryptStream } from './crypto.js';
import { PassThrough } from 'node:stream';
import type { Target } from '../targets/target.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';

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
export async function prepareRestoreInto(o: Pick<RestoreIntoOptions, 'config' | 'target' | 'host' | 'docker' | 'backup' | 'service' | 'identity'>): Promise<PreparedRestore> {
  const folder = await readBackupsFolder(o.host, o.target.backupsDir);
  const backup = findBackup(folder, o.backup);
  if (!backup) throw new UsageError(`There is no backup "${o.backup}" in ${o.target.backupsDir} on ${o.target.name}.`, { hint: 'See `shipproof backup list`.' });
  const m = backup.manifest;
  const { compose, stateful } = await loadStateful(o.config);
  const [svc] = selectServices(stateful, compose, [o.service]);
  if (!svc) throw new UsageError(`Unknown service ${o.service}.`);
  if (svc.engine !== m.engine) throw new UsageError(`The backup ${m.id} is a ${m.engine} backup, but ${o.service} is a ${svc.engine} service.`);
  if (engineSpec(m.engine).restoreInto === undefined) {
    throw new UsageError(`Restoring a ${m.engine} backup into a live service is not supported yet.`, {
      hint: `Prove it with \`shipproof restore ${m.id} --rehearse\`, then restore by hand following the manifest's procedure.`,
    });
  }
  if (!backup.complete) throw new CheckFailedError(`The backup ${m.id} is incomplete: ${backup.problem ?? 'unknown problem'}.`);
  if (m.encryption !== null && o.identity === undefined) throw new UsageError(`The backup ${m.id} is encrypted; pass --identity <file>.`);
  const recorder = new CommandRecorder(new AbortController().signal);
  const sum = await recorder.run(o.host, sha256Command(backup.path), { timeoutMs: 3_600_000 });
  if (parseSha256Output(sum.stdout) !== m.sha256) throw new CheckFailedError(`The file of ${m.id} does not match its manifest (sha256): it was changed or damaged; nothing was restored.`);
  const restore = engineSpec(m.engine).restoreInto;
  if (restore?.precheck) {
    const [live] = await liveServices({ host: o.host, docker: o.docker, project: o.config.project, compose, services: [svc] });
    const problem = live ? restore.precheck(o.service, live, m) : `${o.service} has no container`;
    if (problem !== undefined) throw new CheckFailedError(`${m.id} cannot be restored into ${o.service}: ${problem}; nothing was changed.`);
  }
  const dependents = dependentsOf(compose, await readLinks(o.config.composeFiles).catch(() => new Map<string, string[]>()), o.service);
  return { backup, compose, svc, dependents, recorder };
}

/** The steps a restore into a live service takes, in order, for `--dry-run` (nothing runs). */
export function restorePlan(o: Pick<RestoreIntoOptions, 'target' | 'service'>, p: PreparedRestore): { step: string; what: string }[] {
  const m = p.backup.manifest;
  return [
    { step: 'integrity', what: `${m.file} matches its manifest (sha256 checked just now)` },
    { step: 'before-restore', what: `take a fresh backup of ${o.service} into ${o.target.backupsDir} (the way back); stop if it fails` },
    ...(p.dependents.length ? [{ step: 'dependents', what: `stop ${p.dependents.join(', ')} (they depend on ${o.service}); start them again after` }] : []),
    { step: 'restore', what: (engineSpec(m.engine).restoreInto as NonNullable<ReturnType<typeof engineSpec>['restoreInto']>).describe(o.service, m) },
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
        const readBack = await restoreLive(o, backup, live, compose, recorder);
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

/**
 * The engine's own restore, given what it needs from here: the backup streamed in (decrypted),
 * a read-back, and the data's users stopped around it.
 */
async function restoreLive(o: RestoreIntoOptions, backup: ListedBackup, live: LiveService, compose: ComposeModel | undefined, recorder: CommandRecorder): Promise<Fingerprint> {
  const m = backup.manifest;
  const spec = engineSpec(m.engine);
  const restore = spec.restoreInto;
  if (restore === undefined) throw new ShipproofError(`restoring a ${m.engine} backup into a live service is not supported`);
  const kind = dataMountsOf(spec);
  if (spec.needsRunningContainer && !live.container?.running) throw new ShipproofError(`${o.service} is not running; start it before restoring into it`);
  if (!spec.needsRunningContainer) await requireVolumes(o.host, live.volumes, kind);
  const ctx: LiveRestoreContext = {
    host: o.host,
    service: o.service,
    live,
    manifest: m,
    image: m.restoreImage.id,
    recorder,
    progress: (line) => o.onProgress?.(line),
    feed: (stages, names) => feedBackup(o, backup, stages, names, recorder),
    readBack: (stages, sink) => readLive(o.host, stages, sink, recorder),
    async withDataUsersStopped(fn) {
      const outcome = await withVolumeUsersStopped({ host: o.host, docker: o.docker, project: o.config.project, compose, volumes: live.volumes, kind, recorder }, fn);
      if (outcome.error !== undefined) throw outcome.error;
      if (outcome.restartProblem) throw new ShipproofError(`the data was restored, but ${outcome.restartProblem}`);
      return outcome.value as Awaited<ReturnType<typeof fn>>;
    },
  };
  return restore.run(ctx);
}

/** Streams the backup file (decrypted when it is encrypted) into the stages; recorded, judged by the engine. */
async function feedBackup(o: RestoreIntoOptions, backup: ListedBackup, stages: readonly (readonly string[])[], names: readonly string[], recorder: CommandRecorder): Promise<PipelineResult> {
  const mutable = stages.map((s) => [...s]);
  let r: PipelineResult;
  if (backup.manifest.encryption === null) {
    r = await runPipeline({ host: o.host, stages: mutable, stageNames: [...names], options: { feedFrom: backup.path }, timeoutMs: 6 * 3_600_000 });
  } else {
    const cipher = new PassThrough({ highWaterMark: 1 << 20 });
    const reading = o.host.getStream(backup.path, cipher).catch((e: unknown) => cipher.destroy(e as Error));
    const plain = await decryptStream(cipher, o.identity as string);
    r = await runPipeline({ host: o.host, stages: mutable, stageNames: [...names], options: { feedStdin: true }, stdin: plain, timeoutMs: 6 * 3_600_000 });
    await reading;
  }
  recorder.records.push(r.record);
  return r;
}

async function readLive(host: Target, stages: readonly (readonly string[])[], sink: FingerprintSink, recorder: CommandRecorder): Promise<Fingerprint> {
  const r = await runPipeline({ host, stages: stages.map((s) => [...s]), stageNames: ['read back'], stdout: new FanOut([sink.input]), timeoutMs: 6 * 3_600_000 });
  recorder.records.push(r.record);
  if (!r.ok) throw new ShipproofError(`reading the service back failed: ${r.reason ?? 'unknown reason'}`);
  return sink.result(r.markers);
}
