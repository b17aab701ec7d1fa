// The deploy runner: lock, then the guarded milestones in order, one evidence record each; on a
// failed gate after the stack changed, an automatic rollback to the last known good release.
// Idempotent: the release id is the bundle hash, so re-deploying unchanged source changes nothing.
import { hostname } from 'node:os';
import { posix } from 'node:path';
import type { IPolicy } from 'cockatiel';
import { runTransient, transientPolicy } from '../resilience/policy.js';
import { createLogger, logged, type Logger } from '../log.js';
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { resolveTargetName } from '../config/load.js';
import { loadCompose } from '../compose/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import { recordEvidence } from '../evidence/record.js';
import { buildStatement } from '../evidence/statement.js';
import { changesSincePrevious, releaseSubjects } from '../evidence/release-changes.js';
import type { ComposeContext } from '../docker/commands.js';
import { composeUpCommand } from '../docker/commands.js';
import { Docker } from '../docker/docker.js';
import { ShipproofError, UsageError } from '../errors.js';
import type { CheckResult, EvidenceStatement } from '../evidence/predicate-schema.js';
import type { StatementInput } from '../evidence/statement.js';
import { EvidenceStore } from '../evidence/store.js';
import { loadOrCreateSigningKey, shipproofHome } from '../evidence/signing-key.js';
import { loadOrCreateFingerprintKey, valueFingerprint } from '../redact/hmac.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LedgerEntry } from '../evidence/ledger.js';
import { MILESTONES } from '../milestones/catalog.js';
import { milestoneTable } from '../probes/milestones.js';
import { CommandRecorder } from '../probes/recorder.js';
import { readContainers } from '../probes/stack.js';
import { createTarget, type CreateTargetOptions } from '../targets/create.js';
import type { Target } from '../targets/target.js';
import { TOOL_VERSION } from '../version.js';
import { computeBundle, type Bundle } from './bundle.js';
import { removeImageTagCommand, removeReleasesCommand, switchLinkCommand, tagImageCommand } from './commands.js';
import type { PlannedStepCommand, Step, StepContext, StepOutcome } from './context.js';
import { healthGate } from './health-gate.js';
import { layout, type Layout } from './layout.js';
import { acquireLock, releaseLock, type LockHolder } from './lock.js';
import { readState, releasesToPrune, upsertRelease, writeState, type DeployState } from './state.js';
import { ROLLBACK_FROM, STEPS, expectedServices, stepByRef } from './steps.js';
import { preflightErrors } from '../core/preflight.js';
import { throwIfErrors } from '../config/yaml-positions.js';

export interface DeployOptions extends CreateTargetOptions {
  config: ResolvedConfig;
  targetName?: string;
  /** Inject a ready target (tests). */
  target?: Target;
  yes?: boolean;
  confirm?: (question: string) => Promise<boolean>;
  /** Run milestones although earlier ones lack passing evidence; the reason is recorded. */
  forceReason?: string;
  lockWaitMs?: number;
  message?: string;
  log?: (line: string) => void;
  show?: (text: string) => void;
  /** Structured log (phase, action, duration). */
  logger?: Logger;
  /** A deploy that changes nothing writes no evidence record. */
  quietNoop?: boolean;
}

export interface MilestoneRun {
  number: number;
  id: string;
  status: CheckResult['status'];
  reason?: string;
  record?: string;
}

export interface DeployResult {
  release: string;
  target: string;
  outcome: 'deployed' | 'unchanged' | 'failed' | 'rolled-back';
  milestones: MilestoneRun[];
  rollback?: { to: string; from?: string; healthy: boolean; reason?: string };
  exitCode: 0 | 1;
  notes: string[];
}

export class ConsentDeclinedError extends ShipproofError {
  override readonly code = 'consent_declined';
}

export class GuardError extends ShipproofError {
  override readonly code = 'milestone_guard';
}

interface Session {
  config: ResolvedConfig;
  compose: ComposeModel;
  bundle: Bundle;
  target: ResolvedTarget;
  host: Target;
  docker: Docker;
  layout: Layout;
  flavor: ComposeContext['flavor'];
  state: DeployState;
  log: (line: string) => void;
  show: (text: string) => void;
  confirm: (what: string) => Promise<void>;
  /** Retries and circuit breaker for this target's transient faults. */
  policy: IPolicy;
  logger: Logger;
}


function composeFor(s: Pick<Session, 'config' | 'layout' | 'flavor'>, release: string, files?: string[]): ComposeContext {
  const dir = s.layout.releaseDir(release);
  const rels = files ?? s.config.composeFiles.map((f) => posix.relative(s.config.rootDir, f));
  return { flavor: s.flavor, project: s.config.project, files: rels.map((r) => posix.join(dir, r)), projectDir: dir };
}

function consent(o: DeployOptions, log: (l: string) => void): (what: string) => Promise<void> {
  return async (what) => {
    if (o.yes) return;
    if (!o.confirm) {
      throw new ConsentDeclinedError(`This step changes the server (${what}) and needs your consent.`, {
        hint: 'Run it in a terminal to answer, or pass --yes.',
        exitCode: 2,
      });
    }
    if (!(await o.confirm(`${what}?`))) throw new ConsentDeclinedError(`Stopped: you declined to ${what}.`, { exitCode: 1 });
    log(`consent given: ${what}`);
  };
}

/** Evidence must be writable before anything changes: a deploy whose milestones cannot be recorded does not start. */
async function evidencePreflight(config: ResolvedConfig): Promise<void> {
  const store = EvidenceStore.open(config.evidenceDir, { toolVersion: TOOL_VERSION });
  const report = await store.verify();
  if (!report.ok && report.entries > 0) {
    throw new ShipproofError(`The evidence ledger in ${config.evidenceDir} does not verify (${report.firstBad?.problem ?? 'unknown problem'}), so no deploy starts.`, {
      hint: 'Run `shipproof evidence verify` for the report.',
    });
  }
  await loadOrCreateSigningKey(config.evidenceDir);
}

/**
 * HMAC fingerprints of the env files uploaded from this machine: they make part of a release's
 * identity without their values (or a bare, brute-forceable hash of them) appearing anywhere.
 */
export async function envFingerprints(config: ResolvedConfig): Promise<string[]> {
  const sources = config.envFiles.filter((e) => e.source !== undefined);
  if (sources.length === 0) return [];
  const key = await loadOrCreateFingerprintKey(join(shipproofHome(), 'fingerprint.key'));
  const out: string[] = [];
  for (const e of sources) {
    const text = await readFile(e.source!, 'utf8').catch(() => '');
    out.push(`${e.path}:${valueFingerprint(key, text)}`);
  }
  return out;
}

async function openSession(o: DeployOptions, changes = true): Promise<Session> {
  const target = resolveTargetName(o.config, o.targetName);
  if (changes) await evidencePreflight(o.config);
  const compose = await loadCompose(o.config.composeFiles);
  if (changes) throwIfErrors(await preflightErrors(o.config, compose)); // what `check` rejects, before anything connects
  const bundle = await computeBundle({ config: o.config, compose, fingerprints: await envFingerprints(o.config) });
  const host = o.target ?? createTarget(target, o);
  const docker = new Docker(host);
  const log = o.log ?? (() => undefined);
  try {
    const info = await docker.info();
    const l = layout(target.appDir);
    const state = await readState(host, l);
    return {
      config: o.config,
      compose,
      bundle,
      target,
      host,
      docker,
      layout: l,
      flavor: info.compose.flavor,
      state,
      log,
      show: o.show ?? log,
      confirm: consent(o, log),
      policy: transientPolicy(),
      logger: (o.logger ?? createLogger()).child({ project: o.config.project, target: target.name, release: bundle.releaseId }),
    };
  } catch (e) {
    if (o.target === undefined) await host.close();
    throw e;
  }
}

function statement(s: Session, kind: string, title: string, results: CheckResult[], started: Date, extra: Partial<StatementInput> = {}): EvidenceStatement {
  return buildStatement({
    kind,
    title,
    project: s.config.project,
    target: { name: s.target.name, description: s.host.description },
    release: s.bundle.releaseId,
    startedAt: started,
    results,
    // The bundle hash covers every file of the release (listed in its release.json on the server);
    // the compose files and shipproof.yaml are named on their own as the files people review.
    subjects: [
      { name: `bundle:${s.bundle.releaseId}`, digest: { sha256: s.bundle.sha256 } },
      ...s.bundle.files
        .filter((f) => s.config.composeFiles.includes(f.abs) || f.abs === s.config.configPath)
        .map((f) => ({ name: f.rel, digest: { sha256: f.sha256 } })),
    ],
    notCollected: ['env values', 'build and service logs', 'compose configuration output', 'raw command output (only its sha256 and byte count)'],
    ...extra,
  });
}

/** A rollback record names the release it went back to, not the bundle that failed. */
function rollbackSubjects(s: Session, to: string): StatementInput['subjects'] {
  const sha = s.state.releases.find((r) => r.id === to)?.bundleSha256;
  return sha !== undefined && /^[0-9a-f]{64}$/.test(sha) ? [{ name: `bundle:${to}`, digest: { sha256: sha } }] : [];
}

/** The newest milestone statuses for a release on a target, from the ledger. */
async function ledgerTable(config: ResolvedConfig, target: string, release: string) {
  const entries: LedgerEntry[] = await EvidenceStore.open(config.evidenceDir, { toolVersion: TOOL_VERSION }).list().catch(() => []);
  return milestoneTable(entries, target, release);
}

/** Earlier milestones must have passing (or not-applicable) evidence for the same release. */
export function guardProblems(table: Awaited<ReturnType<typeof ledgerTable>>, upTo: number): string[] {
  return table.rows
    .filter((r) => r.number < upTo && r.status !== 'passed' && r.status !== 'skipped')
    .map((r) => `milestone ${r.number} (${r.id}) is ${r.status}`);
}

async function runStep(s: Session, step: Step, notes: string[]): Promise<{ outcome: StepOutcome; record: string }> {
  const started = new Date();
  const recorder = new CommandRecorder(new AbortController().signal);
  const ctx: StepContext = {
    config: s.config,
    compose: s.compose,
    bundle: s.bundle,
    release: s.bundle.releaseId,
    target: s.target,
    host: s.host,
    docker: s.docker,
    layout: s.layout,
    composeFor: (r) => composeFor(s, r),
    state: () => s.state,
    saveState: async (next) => {
      s.state = next;
      await writeState(s.host, s.layout, next);
    },
    run: (argv, o) => runTransient(s.policy, s.host.description, () => recorder.run(s.host, argv, o ?? {})),
    confirm: s.confirm,
    log: s.log,
    show: s.show,
  };
  s.log(`milestone ${step.number}: ${step.title}`);
  let outcome: StepOutcome;
  try {
    outcome = await logged(s.logger, { phase: 'milestone', action: step.id, milestone: step.number }, () => step.run(ctx), (o) => ({ status: o.status, ...(o.reason ? { reason: o.reason } : {}) }));
  } catch (e) {
    if (e instanceof ConsentDeclinedError) throw e;
    const hint = e instanceof ShipproofError && e.hint ? ` (${e.hint})` : '';
    outcome = { status: 'error', reason: `could not run: ${e instanceof Error ? e.message : String(e)}${hint}`, observations: {} };
  }
  const own: CheckResult = {
    id: step.id,
    title: step.title,
    gate: true,
    status: outcome.status,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    durationMs: Date.now() - started.getTime(),
    observations: outcome.observations,
    commands: recorder.records,
  };
  const st = statement(s, 'milestone', `Milestone ${step.number}: ${step.title} — release ${s.bundle.releaseId} on ${s.target.name}`, [own, ...(outcome.more ?? [])], started, {
    milestone: { number: step.number, id: step.id },
    ...(notes.length ? { notes: [...notes] } : {}),
  });
  // A not-applicable step is recorded as skipped, never as passed.
  if (outcome.status === 'skipped') st.predicate.status = outcome.recordStatus ?? 'skipped';
  if (outcome.status === 'error' || outcome.status === 'fail') st.predicate.status = outcome.status === 'fail' ? 'failed' : 'error';
  const { entry } = await recordEvidence(st, { config: s.config });
  s.log(`  ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ''} (evidence #${entry.seq})`);
  return { outcome, record: entry.record };
}

/** Brings a release back: its images (from shipproof's release tags), its compose files, then the health gate. */
async function restoreRelease(s: Session, to: string, recorder: CommandRecorder): Promise<{ healthy: boolean; reason?: string; results: CheckResult[] }> {
  const rec = s.state.releases.find((r) => r.id === to);
  if (!rec) return { healthy: false, reason: `release ${to} is not known on the server`, results: [] };
  const results: CheckResult[] = [];
  const t0 = Date.now();
  for (const img of Object.values(rec.images)) await recorder.run(s.host, tagImageCommand(img.releaseTag, img.ref));
  const ctx = composeFor(s, to, rec.composeFiles.length ? rec.composeFiles : undefined);
  const up = await recorder.run(s.host, composeUpCommand(ctx, { noBuild: true }), { timeoutMs: 15 * 60_000 });
  results.push({
    id: 'restore-release',
    title: `Start release ${to} again`,
    gate: true,
    status: up.exitCode === 0 ? 'pass' : 'fail',
    ...(up.exitCode === 0 ? {} : { reason: `compose up exited with code ${up.exitCode}` }),
    durationMs: Date.now() - t0,
    observations: { release: to, imagesRestored: Object.keys(rec.images).length },
    commands: [...recorder.records],
  });
  const probeCtx = { config: s.config, target: s.target, compose: s.compose, host: s.host, docker: s.docker, run: (a: readonly string[], o?: { timeoutMs?: number }) => recorder.run(s.host, a, o), runLocal: (a: readonly string[], o?: { timeoutMs?: number }) => recorder.run(s.host, a, o), signal: new AbortController().signal };
  const t1 = Date.now();
  const verdict = await healthGate({
    expectedServices: expectedServices({ compose: s.compose }),
    probes: s.config.health,
    timeoutMs: s.config.deploy.healthTimeoutMs,
    intervalMs: s.config.deploy.healthIntervalMs,
    stableChecks: s.config.deploy.stableChecks,
    readContainers: () => readContainers(probeCtx),
    run: (argv, o) => recorder.run(s.host, argv, o),
  });
  results.push({
    id: 'health-gate-after-rollback',
    title: `Health gate on release ${to}`,
    gate: true,
    status: verdict.passed ? 'pass' : 'fail',
    ...(verdict.passed ? {} : { reason: verdict.reason ?? 'failed' }),
    durationMs: Date.now() - t1,
    observations: { services: Object.entries(verdict.services).map(([k, v]) => `${k}: ${v}`) },
    commands: [],
  });
  if (verdict.passed) {
    await recorder.run(s.host, switchLinkCommand(posix.join('releases', to), s.layout.current));
  }
  return { healthy: verdict.passed, ...(verdict.reason ? { reason: verdict.reason } : {}), results };
}

async function rollbackAfterFailure(s: Session, failed: MilestoneRun, notes: string[]): Promise<DeployResult['rollback']> {
  const to = s.state.lastKnownGood;
  const started = new Date();
  const cause: CheckResult = {
    id: 'failure',
    title: `Milestone ${failed.number} (${failed.id}) failed for release ${s.bundle.releaseId}`,
    gate: false,
    status: 'fail',
    reason: failed.reason ?? 'failed',
    durationMs: 0,
    observations: { failedRelease: s.bundle.releaseId, milestone: failed.number, record: failed.record ?? null },
    commands: [],
  };
  if (to === undefined || to === s.bundle.releaseId) {
    s.show('No earlier healthy release exists on this target, so there is nothing to roll back to; the failed release is left as it is for inspection.');
    const rec = s.state.releases.find((r) => r.id === s.bundle.releaseId);
    if (rec) {
      s.state = upsertRelease(s.state, { ...rec, status: 'failed' });
      await writeState(s.host, s.layout, s.state);
    }
    return undefined;
  }
  s.log(`rolling back to ${to}`);
  const recorder = new CommandRecorder(new AbortController().signal);
  const restored = await logged(s.logger, { phase: 'rollback', action: 'restore-release', to }, () => restoreRelease(s, to, recorder), (r) => ({ healthy: r.healthy }));
  const failedRec = s.state.releases.find((r) => r.id === s.bundle.releaseId);
  if (failedRec) s.state = upsertRelease(s.state, { ...failedRec, status: 'rolled-back' });
  s.state = { ...s.state, current: to };
  await writeState(s.host, s.layout, s.state);
  const st = statement(s, 'rollback', `Rollback of ${s.target.name} from ${s.bundle.releaseId} to ${to}`, [cause, ...restored.results], started, {
    notes,
    release: to,
    status: restored.healthy ? 'passed' : 'failed',
    rollback: { from: s.bundle.releaseId, to, serves: restored.healthy },
    subjects: rollbackSubjects(s, to),
  });
  await recordEvidence(st, { config: s.config });
  return { to, from: s.bundle.releaseId, healthy: restored.healthy, ...(restored.reason ? { reason: restored.reason } : {}) };
}

/** Is this release current, healthy and running right now? Then a deploy has nothing to do. */
async function alreadyHealthy(s: Session): Promise<boolean> {
  if (s.state.current !== s.bundle.releaseId) return false;
  const rec = s.state.releases.find((r) => r.id === s.bundle.releaseId);
  if (rec?.status !== 'healthy') return false;
  const recorder = new CommandRecorder(new AbortController().signal);
  const probeCtx = { config: s.config, target: s.target, compose: s.compose, host: s.host, docker: s.docker, run: (a: readonly string[], o?: { timeoutMs?: number }) => recorder.run(s.host, a, o), runLocal: (a: readonly string[], o?: { timeoutMs?: number }) => recorder.run(s.host, a, o), signal: new AbortController().signal };
  const verdict = await healthGate({
    expectedServices: expectedServices({ compose: s.compose }),
    probes: s.config.health,
    timeoutMs: 1,
    intervalMs: 1,
    stableChecks: 1,
    readContainers: () => readContainers(probeCtx),
    run: (argv, o) => recorder.run(s.host, argv, o),
  });
  return verdict.passed;
}

async function prune(s: Session): Promise<string[]> {
  const victims = releasesToPrune(s.state, s.config.deploy.keepReleases);
  if (victims.length === 0) return [];
  for (const v of victims) for (const img of Object.values(v.images)) await s.host.exec(removeImageTagCommand(img.releaseTag), { reject: false, timeoutMs: 60_000 });
  await s.host.exec(removeReleasesCommand(victims.map((v) => s.layout.releaseDir(v.id))), { timeoutMs: 120_000 });
  s.state = { ...s.state, releases: s.state.releases.filter((r) => !victims.some((v) => v.id === r.id)) };
  await writeState(s.host, s.layout, s.state);
  return victims.map((v) => v.id);
}

async function withLock<T>(s: Session, o: DeployOptions, fn: (me: LockHolder, notes: string[]) => Promise<T>): Promise<T> {
  const notes: string[] = [];
  const me = await logged(s.logger, { phase: 'lock', action: 'acquire' }, () => acquireLock(s.host, s.layout, {
    release: s.bundle.releaseId,
    ...(o.message ? { message: o.message } : {}),
    ...(o.lockWaitMs ? { waitMs: o.lockWaitMs } : {}),
    onRecovered: (dead) => {
      const note = `recovered the lock left by a killed deploy (pid ${dead.pid} on ${dead.host}, since ${dead.since})`;
      notes.push(note);
      s.log(note);
    },
  }));
  try {
    s.state = await readState(s.host, s.layout);
    if (s.state.inProgress) {
      const note = `found an interrupted deploy of release ${s.state.inProgress.release} (started ${s.state.inProgress.startedAt}); reconciling by deploying again from the start`;
      notes.push(note);
      s.log(note);
    }
    s.state = { ...s.state, inProgress: { release: s.bundle.releaseId, startedAt: new Date().toISOString(), operator: me.operator, host: hostname(), pid: process.pid } };
    await writeState(s.host, s.layout, s.state);
    return await fn(me, notes);
  } finally {
    // We know this run stopped (done or failed with an error): only a killed run leaves inProgress behind.
    if (s.state.inProgress?.pid === process.pid) {
      const { inProgress: _done, ...rest } = s.state;
      s.state = rest;
      await writeState(s.host, s.layout, s.state).catch(() => undefined);
    }
    await releaseLock(s.host, s.layout, { me }).catch(() => undefined);
  }
}

/** `shipproof deploy`: every milestone in order, stopping at the first failure. */
export async function deploy(o: DeployOptions): Promise<DeployResult> {
  const s = await openSession(o);
  try {
    return await withLock(s, o, async (_me, notes) => {
      const runs: MilestoneRun[] = [];
      if (await alreadyHealthy(s)) {
        const st = statement(s, 'deploy', `Deploy of ${s.bundle.releaseId} to ${s.target.name}: unchanged`, [
          { id: 'unchanged', title: 'Release already current and healthy', gate: true, status: 'pass', reason: 'the bundle hash matches the current release and its health gate passes', durationMs: 0, observations: { release: s.bundle.releaseId }, commands: [] },
        ], new Date(), { notes });
        // One small record per no-op (none with --quiet-noop): reviewers need the record, not noise.
        if (o.quietNoop !== true) await recordEvidence(st, { config: s.config });
        return { release: s.bundle.releaseId, target: s.target.name, outcome: 'unchanged', milestones: [], exitCode: 0, notes };
      }
      let failed: MilestoneRun | undefined;
      for (const step of STEPS) {
        const { outcome, record } = await runStep(s, step, notes);
        const run: MilestoneRun = { number: step.number, id: step.id, status: outcome.status, ...(outcome.reason ? { reason: outcome.reason } : {}), record };
        runs.push(run);
        if (outcome.status === 'fail' || outcome.status === 'error') {
          failed = run;
          break;
        }
      }
      let rollback: DeployResult['rollback'];
      if (failed && ROLLBACK_FROM.has(failed.number)) rollback = await rollbackAfterFailure(s, failed, notes);
      const pruned = failed ? [] : await prune(s);
      if (pruned.length) notes.push(`pruned releases: ${pruned.join(', ')}`);
      const outcome: DeployResult['outcome'] = failed ? (rollback?.healthy ? 'rolled-back' : 'failed') : 'deployed';
      const summaryResults: CheckResult[] = runs.map((r) => ({
        id: `m${r.number}-${r.id}`,
        title: MILESTONES[r.number - 1]!.title,
        gate: true,
        status: r.status,
        ...(r.reason ? { reason: r.reason } : {}),
        durationMs: 0,
        observations: { record: r.record ?? null },
        commands: [],
      }));
      // Every bundle file and env fingerprint as a subject, so this record and the next can say what changed.
      const subjects = [...statement(s, 'deploy', 'x', [], new Date()).subject, ...releaseSubjects(s.bundle.files, await envFingerprints(s.config))];
      const changes = await changesSincePrevious(s.config.evidenceDir, s.target.name, s.bundle.releaseId, subjects);
      const st = statement(s, 'deploy', `Deploy of ${s.bundle.releaseId} to ${s.target.name}: ${outcome}`, summaryResults, new Date(), {
        subjects,
        ...(changes === undefined ? {} : { changes }),
        notes: [...notes, ...(rollback ? [`rolled back to ${rollback.to}: ${rollback.healthy ? 'healthy' : `NOT healthy (${rollback.reason ?? ''})`}`] : [])],
      });
      await recordEvidence(st, { config: s.config });
      return { release: s.bundle.releaseId, target: s.target.name, outcome, milestones: runs, ...(rollback ? { rollback } : {}), exitCode: failed ? 1 : 0, notes };
    });
  } finally {
    if (o.target === undefined) await s.host.close();
  }
}

/** `shipproof run <milestone>`: one milestone, guarded by the evidence of the earlier ones. */
export async function runMilestone(o: DeployOptions & { milestone: string }): Promise<DeployResult> {
  const step = stepByRef(o.milestone);
  if (!step) {
    throw new UsageError(`Unknown milestone "${o.milestone}".`, { hint: `Milestones: ${MILESTONES.map((m) => `${m.number} ${m.id}`).join(', ')}.` });
  }
  const s = await openSession(o);
  try {
    const table = await ledgerTable(s.config, s.target.name, s.bundle.releaseId);
    const problems = guardProblems(table, step.number);
    const notes: string[] = [];
    if (problems.length) {
      if (!o.forceReason) {
        throw new GuardError(`Milestone ${step.number} (${step.id}) is guarded: ${problems.join('; ')} for release ${s.bundle.releaseId}.`, {
          hint: 'Run the earlier milestones first (or `shipproof deploy`), or pass --force "<reason>" to record an override.',
        });
      }
      notes.push(`guard overridden with --force: ${o.forceReason} (${problems.join('; ')})`);
    }
    return await withLock(s, o, async () => {
      const { outcome, record } = await runStep(s, step, notes);
      const run: MilestoneRun = { number: step.number, id: step.id, status: outcome.status, ...(outcome.reason ? { reason: outcome.reason } : {}), record };
      const failed = outcome.status === 'fail' || outcome.status === 'error';
      const rollback = failed && ROLLBACK_FROM.has(step.number) ? await rollbackAfterFailure(s, run, notes) : undefined;
      return {
        release: s.bundle.releaseId,
        target: s.target.name,
        outcome: failed ? (rollback?.healthy ? 'rolled-back' : 'failed') : 'deployed',
        milestones: [run],
        ...(rollback ? { rollback } : {}),
        exitCode: failed ? 1 : 0,
        notes,
      };
    });
  } finally {
    if (o.target === undefined) await s.host.close();
  }
}

/** `shipproof rollback [release]`: by hand, to a named release or the newest healthy one before the current. */
export async function rollback(o: DeployOptions & { release?: string }): Promise<DeployResult> {
  const s = await openSession(o);
  try {
    return await withLock(s, o, async (_me, notes) => {
      const healthy = s.state.releases.filter((r) => r.healthyAt !== undefined && r.id !== s.state.current);
      const to = o.release ?? healthy[healthy.length - 1]?.id;
      if (to === undefined) throw new UsageError('There is no earlier healthy release to roll back to.', { hint: 'See `shipproof status` for the releases on this target.' });
      if (!s.state.releases.some((r) => r.id === to)) {
        throw new UsageError(`Release ${to} is not on ${s.target.name}.`, { hint: `Known releases: ${s.state.releases.map((r) => r.id).join(', ') || 'none'}.` });
      }
      await s.confirm(`roll ${s.target.name} back to release ${to}`);
      const started = new Date();
      const recorder = new CommandRecorder(new AbortController().signal);
      const restored = await restoreRelease(s, to, recorder);
      const from = s.state.current;
      if (restored.healthy) {
        const rec = s.state.releases.find((r) => r.id === to)!;
        s.state = { ...upsertRelease(s.state, { ...rec, status: 'healthy', healthyAt: new Date().toISOString() }), current: to, lastKnownGood: to };
      }
      await writeState(s.host, s.layout, s.state);
      const st = statement(s, 'rollback', `Rollback of ${s.target.name} from ${from ?? 'none'} to ${to}`, restored.results, started, {
        notes: [...notes, 'requested by hand'],
        release: to,
        rollback: { from: from ?? null, to, serves: restored.healthy },
        subjects: rollbackSubjects(s, to),
      });
      await recordEvidence(st, { config: s.config });
      return {
        release: to,
        target: s.target.name,
        outcome: restored.healthy ? 'rolled-back' : 'failed',
        milestones: [],
        rollback: { to, ...(from ? { from } : {}), healthy: restored.healthy, ...(restored.reason ? { reason: restored.reason } : {}) },
        exitCode: restored.healthy ? 0 : 1,
        notes,
      };
    });
  } finally {
    if (o.target === undefined) await s.host.close();
  }
}

export interface StatusReport {
  target: string;
  release: string;
  current?: string;
  lastKnownGood?: string;
  releases: DeployState['releases'];
  milestones: Awaited<ReturnType<typeof ledgerTable>>['rows'];
  inProgress?: DeployState['inProgress'];
}

/** `shipproof status`: the milestone table of the release this source makes, from the ledger, plus the server's releases. */
export async function status(o: DeployOptions): Promise<StatusReport> {
  const s = await openSession(o, false);
  try {
    const table = await ledgerTable(s.config, s.target.name, s.bundle.releaseId);
    return {
      target: s.target.name,
      release: s.bundle.releaseId,
      ...(s.state.current ? { current: s.state.current } : {}),
      ...(s.state.lastKnownGood ? { lastKnownGood: s.state.lastKnownGood } : {}),
      releases: s.state.releases,
      milestones: table.rows,
      ...(s.state.inProgress ? { inProgress: s.state.inProgress } : {}),
    };
  } finally {
    if (o.target === undefined) await s.host.close();
  }
}

/** `--dry-run`: every milestone's exact commands, computed without connecting. */
export async function planDeploy(o: { config: ResolvedConfig; targetName?: string; flavor?: ComposeContext['flavor'] }): Promise<{ release: string; target: ResolvedTarget; steps: { step: Step; commands: PlannedStepCommand[] }[] }> {
  const target = resolveTargetName(o.config, o.targetName);
  const compose = await loadCompose(o.config.composeFiles);
  const bundle = await computeBundle({ config: o.config, compose, fingerprints: await envFingerprints(o.config) });
  const l = layout(target.appDir);
  const ctx = {
    config: o.config,
    compose,
    bundle,
    release: bundle.releaseId,
    target,
    layout: l,
    composeFor: (r: string) => composeFor({ config: o.config, layout: l, flavor: o.flavor ?? 'v2' }, r),
  };
  return { release: bundle.releaseId, target, steps: STEPS.map((step) => ({ step, commands: step.plan(ctx) })) };
}
