// The deploy runner: lock, then the guarded milestones in order, one evidence record each. Any
// failure after the running stack was touched — a failed gate or command, a lost connection, a
// refused evidence write, Ctrl-C/SIGTERM — takes the rollback path to the last known good
// release and leaves a record. Idempotent: the release id is the bundle hash, so re-deploying
// unchanged source changes nothing. Rollback lives in rollback.ts, plans in plan.ts.
import { hostname } from 'node:os';
import { ShipproofError, UsageError } from '../errors.js';
import type { CheckResult, CommandRecord } from '../evidence/predicate-schema.js';
import { logged } from '../log.js';
import { MILESTONES } from '../milestones/catalog.js';
import { CommandRecorder } from '../probes/recorder.js';
import { readContainers } from '../probes/stack.js';
import { readLinkCommand, removeImageTagCommand, removeReleasesCommand } from './commands.js';
import type { Step, StepOutcome } from './context.js';
import { healthGate } from './health-gate.js';
import { acquireLock, releaseLock, type LockHolder } from './lock.js';
import { evidencePreflight, rollbackSubjects, sampleStatement, statement, writeRecordOrTrace } from './record.js';
import { chooseRollbackRelease, restoreRelease, saveState, stateAfterRestore, stateWhenNothingToRestore } from './rollback.js';
import { ConsentDeclinedError, closeSession, composeFlavor, openSession, runner, stepContext, type DeployOptions, type Session } from './session.js';
import { readState, releaseOf, releasesToPrune, upsertRelease, type DeployState } from './state.js';
import { ROLLBACK_FROM, expectedServices } from './steps/shared.js';
import { guardProblems, ledgerTable } from './guards.js';
import { changesSincePrevious, releaseSubjects } from '../evidence/release-changes.js';
import { preflightErrors } from '../core/preflight.js';
import { refuseForeignEnvFiles } from './env-ownership.js';
import { throwIfErrors } from '../config/yaml-positions.js';
import { envFingerprints } from './session.js';
import { listMountsCommand } from './commands.js';
import { stopWatch, watchSession } from './availability-target.js';
import { releaseFactSubjects } from './release-facts.js';

export { ConsentDeclinedError, envFingerprints, type DeployOptions } from './session.js';

/**
 * The milestone steps (and with them the backup, cut-over and lint modules) are loaded only when
 * a step runs or a plan is printed: a no-op redeploy never needs them (issue 9: < 2 s).
 */
const steps = (): Promise<typeof import('./steps.js')> => import('./steps.js');

export async function planDeploy(...a: Parameters<typeof import('./plan.js').planDeploy>): ReturnType<typeof import('./plan.js').planDeploy> {
  return (await import('./plan.js')).planDeploy(...a);
}

export async function planRollback(...a: Parameters<typeof import('./plan.js').planRollback>): ReturnType<typeof import('./plan.js').planRollback> {
  return (await import('./plan.js')).planRollback(...a);
}
export { status, type StatusReport } from './status.js';
export { guardProblems, ledgerTable } from './guards.js';

export interface MilestoneRun {
  number: number;
  id: string;
  status: CheckResult['status'];
  reason?: string;
  record?: string;
  durationMs?: number;
  commands?: CommandRecord[];
}

export interface DeployResult {
  release: string;
  target: string;
  outcome: 'deployed' | 'unchanged' | 'failed' | 'rolled-back';
  milestones: MilestoneRun[];
  rollback?: { to?: string; from?: string; healthy: boolean; reason?: string };
  /** The stack is down: what runs, why, and the exact commands to recover. */
  down?: NonNullable<DeployState['down']>;
  /** SIGINT / SIGTERM when the deploy was interrupted. */
  interrupted?: string;
  exitCode: 0 | 1;
  notes: string[];
}

export class GuardError extends ShipproofError {
  override readonly code = 'milestone_guard';
}

const failedStatus = (s: CheckResult['status']): boolean => s === 'fail' || s === 'error';

/** Runs one step and writes its record; a refused record makes the step an error (the rollback path). */
async function runStep(s: Session, step: Step, notes: string[], onTouch: () => void, alsoRecord?: () => Promise<CheckResult | undefined>): Promise<MilestoneRun> {
  const started = new Date();
  const recorder = new CommandRecorder(s.interrupts.signal);
  const ctx = stepContext(s, recorder, onTouch);
  s.log(`milestone ${step.number}: ${step.title}`);
  let outcome: StepOutcome;
  try {
    outcome = await logged(s.logger, { phase: 'milestone', action: step.id, milestone: step.number }, () => step.run(ctx), (o) => ({ status: o.status, ...(o.reason ? { reason: o.reason } : {}) }));
  } catch (e) {
    if (e instanceof ConsentDeclinedError) throw e;
    const hint = e instanceof ShipproofError && e.hint ? ` (${e.hint})` : '';
    const why = s.interrupts.reason ? `interrupted by ${s.interrupts.reason}` : `could not run: ${e instanceof Error ? e.message : String(e)}${hint}`;
    outcome = { status: 'error', reason: why, observations: {} };
  }
  // A step that failed because it was interrupted is an error (the run stopped), not a failed check.
  if (s.interrupts.reason && failedStatus(outcome.status)) {
    const why = outcome.reason?.startsWith('interrupted') ? outcome.reason : `interrupted by ${s.interrupts.reason}${outcome.reason ? ` (${outcome.reason})` : ''}`;
    outcome = { ...outcome, status: 'error', reason: why };
  }
  const durationMs = Date.now() - started.getTime();
  // `run 6` alone: the availability watch of this milestone goes into its own record.
  const extra = alsoRecord ? await alsoRecord().catch(() => undefined) : undefined;
  const own: CheckResult = {
    id: step.id,
    title: step.title,
    gate: true,
    status: outcome.status,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    durationMs,
    observations: outcome.observations,
    commands: recorder.records,
  };
  // A not-applicable step is recorded as skipped, never as passed.
  const recordStatus = outcome.status === 'skipped' ? (outcome.recordStatus ?? 'skipped') : outcome.status === 'fail' ? 'failed' : outcome.status === 'error' ? 'error' : outcome.recordStatus;
  const st = statement(s, 'milestone', `Milestone ${step.number}: ${step.title} — release ${s.release} on ${s.target.name}`, [own, ...(outcome.more ?? []), ...(extra ? [extra] : [])], started, {
    milestone: { number: step.number, id: step.id },
    ...(notes.length ? { notes: [...notes] } : {}),
    ...(recordStatus ? { status: recordStatus } : {}),
  });
  const w = await writeRecordOrTrace(s.config, st);
  if (w.refused) {
    notes.push(`the record of milestone ${step.number} was refused: ${w.refused}`);
    outcome = { status: 'error', reason: `its evidence record was refused (${w.refused})`, observations: {} };
  }
  s.log(`  ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ''}${w.written ? ` (evidence #${w.written.seq})` : ' (no evidence written)'}`);
  return { number: step.number, id: step.id, status: outcome.status, ...(outcome.reason ? { reason: outcome.reason } : {}), ...(w.written ? { record: w.written.record } : {}), durationMs, commands: recorder.records };
}

/** After a failure that touched the running stack: read the server's state again, then bring back the last known good release. */
async function rollbackAfterFailure(s: Session, failed: MilestoneRun, notes: string[], previousGood: string | undefined): Promise<DeployResult['rollback']> {
  const started = new Date();
  s.state = await readState(s.host, s.layout).catch(() => s.state);
  const failedRec = releaseOf(s.state, s.release);
  if (failedRec) s.state = upsertRelease(s.state, { ...failedRec, status: 'rolled-back' });
  // The last known good from before this deploy: milestone 7 may already have made this release it.
  const to = previousGood;
  const cause: CheckResult = {
    id: 'failure',
    title: `Milestone ${failed.number} (${failed.id}) failed for release ${s.release}`,
    gate: false,
    status: 'fail',
    reason: failed.reason ?? 'failed',
    observations: { failedRelease: s.release, milestone: failed.number, record: failed.record ?? null },
    commands: [],
  };
  let results: CheckResult[] = [cause];
  let healthy = false;
  let reason: string | undefined;
  if (to === undefined || to === s.release) {
    s.show('No earlier healthy release exists on this target, so there is nothing to roll back to; the failed release is left running for inspection.');
    await saveState(s, stateWhenNothingToRestore(s, { ...s.state, current: s.release }, s.release, failed.reason ?? 'failed'));
    reason = 'no earlier release passed its health gate';
  } else {
    s.log(`rolling back to ${to}`);
    const restored = await logged(s.logger, { phase: 'rollback', action: 'restore-release', to }, () => restoreRelease(s, to), (r) => ({ healthy: r.healthy }));
    // A restore that could not even start leaves the failed release running: say so.
    await saveState(s, restored.started ? stateAfterRestore(s, s.state, to, restored) : stateWhenNothingToRestore(s, { ...s.state, current: s.release }, s.release, `the rollback to ${to} could not start: ${restored.reason ?? 'failed'}`));
    results = [cause, ...restored.results];
    healthy = restored.healthy;
    reason = restored.reason;
  }
  const down = s.state.down;
  const back = to && to !== s.release ? to : undefined;
  const st = statement(s, 'rollback', `Rollback of ${s.target.name} from ${s.release} to ${back ?? 'nothing'}${down ? ': stack DOWN' : ''}`, results, started, {
    notes: [...notes, ...(down ? [`the stack is DOWN: ${down.reason}; running: ${down.running}`, ...down.recovery.map((c) => `recover: ${c}`)] : [])],
    ...(back ? { release: back, subjects: rollbackSubjects(s, back), rollback: { from: s.release, to: back, serves: healthy } } : {}),
    status: healthy ? 'passed' : 'failed',
  });
  await writeRecordOrTrace(s.config, st);
  return { ...(back ? { to: back } : {}), from: s.release, healthy, ...(reason ? { reason } : {}) };
}

/** Is this release current, gated, running its own images from its own files, and healthy right now? Then a deploy has nothing to do. */
async function alreadyHealthy(s: Session, interruptedFound: boolean): Promise<boolean> {
  if (interruptedFound || s.state.down || s.state.current !== s.release) return false;
  const rec = releaseOf(s.state, s.release);
  if (rec?.status !== 'healthy') return false;
  const recorder = new CommandRecorder(new AbortController().signal);
  const run = runner(s, recorder);
  const live = await run(readLinkCommand(s.layout.live), { read: true });
  if (live.stdout.trim() !== `releases/${s.release}`) return false;
  const probeCtx = { config: s.config, target: s.target, compose: s.compose, host: s.host, docker: s.docker, run: (a: readonly string[], o?: { timeoutMs?: number }) => run(a, { ...o, read: true }), runLocal: (a: readonly string[], o?: { timeoutMs?: number }) => run(a, { ...o, read: true }), signal: new AbortController().signal };
  const containers = await readContainers(probeCtx);
  // A moved tag or a hand-run `compose up` shows as a container not running the release's image.
  for (const [svc, img] of Object.entries(rec.images)) {
    if (img.id && containers.some((c) => c.service === svc && c.imageId !== img.id)) return false;
  }
  const verdict = await healthGate({
    expectedServices: expectedServices({ compose: s.compose }),
    probes: s.config.health,
    timeoutMs: 1,
    intervalMs: 1,
    stableChecks: 1,
    readContainers: async () => containers,
    run: (argv, o) => run(argv, { ...o, read: true }),
  });
  return verdict.passed;
}

async function prune(s: Session): Promise<string[]> {
  const victims = releasesToPrune(s.state, s.config.deploy.keepReleases);
  if (victims.length === 0) return [];
  for (const v of victims) for (const img of Object.values(v.images)) await s.host.exec(removeImageTagCommand(img.releaseTag), { reject: false, timeoutMs: 60_000 });
  const kept = s.state.releases.filter((r) => !victims.some((v) => v.id === r.id));
  // Content-addressed mounts that no kept release uses go with the last release that used them.
  const used = new Set(kept.flatMap((r) => r.mounts));
  const listed = (await s.host.exec(listMountsCommand(s.layout.mountsDir), { reject: false, timeoutMs: 30_000 })).stdout.split('\n').filter(Boolean);
  const unused = victims.flatMap((v) => v.mounts).filter((m) => !used.has(m) && listed.includes(m.split('/').pop()!));
  await s.host.exec(removeReleasesCommand([...victims.map((v) => s.layout.releaseDir(v.id)), ...new Set(unused)]), { timeoutMs: 120_000 });
  await saveState(s, { ...s.state, releases: kept });
  return victims.map((v) => v.id);
}

async function withLock<T>(s: Session, o: DeployOptions, fn: (me: LockHolder, notes: string[], interruptedFound: boolean) => Promise<T>): Promise<T> {
  const notes: string[] = [];
  const me = await logged(s.logger, { phase: 'lock', action: 'acquire' }, () => acquireLock(s.host, s.layout, {
    release: s.release,
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
    const interruptedFound = s.state.inProgress !== undefined;
    if (s.state.inProgress) {
      const note = `found an interrupted deploy of release ${s.state.inProgress.release} (started ${s.state.inProgress.startedAt}); reconciling by deploying again from the start`;
      notes.push(note);
      s.log(note);
    }
    await saveState(s, { ...s.state, inProgress: { release: s.release, startedAt: new Date().toISOString(), operator: me.operator, host: hostname(), pid: process.pid } });
    return await fn(me, notes, interruptedFound);
  } finally {
    // We know this run stopped (done or failed with an error): only a killed run leaves inProgress behind.
    if (s.state.inProgress?.pid === process.pid) {
      const { inProgress: _done, ...rest } = s.state;
      await saveState(s, rest).catch(() => undefined);
    }
    await releaseLock(s.host, s.layout, { me }).catch(() => undefined);
  }
}

function summaryResults(runs: MilestoneRun[]): CheckResult[] {
  return runs.map((r) => ({
    id: `m${r.number}-${r.id}`,
    title: MILESTONES[r.number - 1]!.title,
    gate: true,
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.durationMs === undefined ? {} : { durationMs: r.durationMs }),
    observations: { record: r.record ?? null },
    commands: r.commands ?? [],
  }));
}

/** Runs steps in order until one fails or an interrupt arrives; then the rollback path if the stack was touched. */
async function runSteps(s: Session, steps: Step[], notes: string[], touchedBefore = false, watchStack: 'deploy' | 'milestone' | false = false): Promise<Omit<DeployResult, 'outcome' | 'exitCode'> & { failed?: MilestoneRun; availability?: CheckResult }> {
  const runs: MilestoneRun[] = [];
  // Per-service availability, observed from milestone 6 until the stack stops changing (availability.ts).
  let watch: Awaited<ReturnType<typeof watchSession>>;
  let availability: CheckResult | undefined;
  const previousGood = s.state.lastKnownGood;
  let touched = touchedBefore;
  let failed: MilestoneRun | undefined;
  for (const step of steps) {
    if (s.interrupts.reason) {
      failed = { number: step.number, id: step.id, status: 'error', reason: `interrupted by ${s.interrupts.reason} before this milestone` };
      break;
    }
    if (watchStack && step.number === 6) watch = await watchSession(s);
    // A milestone run alone (`run 6`) records its own watch: from the start to the end of the milestone.
    const own = watchStack === 'milestone' && watch !== undefined ? watch : undefined;
    const alsoRecord = own
      ? async () => {
          // Alone, milestone 6 ends when compose returns, before a recreated service answers again: wait
          // (up to the health timeout) until every service seen serving answers, so an outage has an end.
          const back = await own.recovered(s.config.deploy.healthTimeoutMs);
          if (!back) notes.push(`availability: not every service answered again within ${s.config.deploy.healthTimeoutMs / 1000} s after milestone 6; its figure is a lower bound`);
          return (availability = await stopWatch(own, false, 'during milestone 6 (stack starts), until every service seen serving answered again'));
        }
      : undefined;
    const run = await runStep(s, step, notes, () => (touched = true), alsoRecord);
    runs.push(run);
    if (failedStatus(run.status)) {
      failed = run;
      break;
    }
    if (step.number === Math.max(...ROLLBACK_FROM)) availability ??= await stopWatch(watch, false);
  }
  let rollback: DeployResult['rollback'];
  if (failed && touched && ROLLBACK_FROM.has(failed.number)) {
    rollback = await rollbackAfterFailure(s, failed, notes, previousGood);
  } else if (failed) {
    const rec = releaseOf(s.state, s.release);
    if (rec && rec.status !== 'healthy') await saveState(s, upsertRelease(s.state, { ...rec, status: 'failed' }));
    if (!touched) notes.push('the running stack was not changed');
  }
  if (watchStack === 'deploy') availability ??= await stopWatch(watch, rollback !== undefined);
  else await watch?.stop();
  return {
    release: s.release,
    target: s.target.name,
    milestones: runs,
    ...(rollback ? { rollback } : {}),
    ...(s.state.down ? { down: s.state.down } : {}),
    ...(s.interrupts.reason ? { interrupted: s.interrupts.reason } : {}),
    notes,
    ...(failed ? { failed } : {}),
    ...(availability ? { availability } : {}),
  };
}

/** Opens a session for a command that changes the server: evidence settled first, published images resolved (and pulled as configured). */
function openChanging(o: DeployOptions, mayPull = true, composeLater = false): Promise<Session> {
  return openSession(o, {
    mayPull,
    composeLater,
    // What `check` rejects, at its file:line, before the bundle is read and anything connects.
    vet: async (config, compose) => throwIfErrors(await preflightErrors(config, compose)),
    before: async (p) => {
      await evidencePreflight(o.config, sampleStatement(p));
    },
  });
}

/** Before anything changes: an env file upload would not replace a file shipproof did not write (exit 2). */
function refuseForeignEnvFilesOf(s: Session): Promise<void> {
  return refuseForeignEnvFiles({ config: s.config, appDir: s.target.appDir, layout: s.layout, run: (argv, ro) => s.host.exec(argv, ro?.timeoutMs === undefined ? {} : { timeoutMs: ro.timeoutMs }), overwrite: s.overwrite === true });
}

/** `shipproof deploy`: every milestone in order, stopping at the first failure. */
export async function deploy(o: DeployOptions): Promise<DeployResult> {
  // Compose is detected after the no-op check: a redeploy of what runs never starts compose.
  const s = await openChanging(o, true, true);
  try {
    await refuseForeignEnvFilesOf(s);
    return await withLock(s, o, async (_me, notes, interruptedFound) => {
      const started = new Date();
      if (await alreadyHealthy(s, interruptedFound)) {
        // The CLI prints the one "nothing changed" line from the result (printed twice before).
        const st = statement(s, 'deploy', `Deploy of ${s.release} to ${s.target.name}: unchanged`, [
          { id: 'unchanged', title: 'Release already current and healthy', gate: true, status: 'pass', reason: 'the bundle hash matches the current release, its containers run its images, and its health gate passes', durationMs: Date.now() - started.getTime(), observations: { release: s.release }, commands: [] },
        ], started, { notes });
        // One small record per no-op (none with --quiet-noop): reviewers need the record, not noise.
        if (o.quietNoop !== true) await writeRecordOrTrace(s.config, st);
        return { release: s.release, target: s.target.name, outcome: 'unchanged', milestones: [], exitCode: 0, notes };
      }
      await composeFlavor(s);
      const { failed, availability, ...r } = await runSteps(s, (await steps()).STEPS, notes, false, 'deploy');
      const pruned = failed ? [] : await prune(s);
      if (pruned.length) notes.push(`pruned releases: ${pruned.join(', ')}`);
      const outcome: DeployResult['outcome'] = failed ? (r.rollback?.healthy ? 'rolled-back' : 'failed') : 'deployed';
      // Every bundle file and env fingerprint as a subject, so this record and the next can say what changed.
      const subjects = [...statement(s, 'deploy', 'x', [], new Date()).subject, ...releaseSubjects(s.bundle.files, await envFingerprints(s.config)), ...(await releaseFactSubjects(s))];
      const changes = await changesSincePrevious(s.config.evidenceDir, s.target.name, s.release, subjects);
      const st = statement(s, 'deploy', `Deploy of ${s.release} to ${s.target.name}: ${outcome}${r.down ? ' — stack DOWN' : ''}${r.interrupted ? ` (interrupted by ${r.interrupted})` : ''}`, [...summaryResults(r.milestones), ...(availability ? [availability] : [])], started, {
        subjects,
        ...(changes === undefined ? {} : { changes }),
        notes: [
          ...notes,
          ...(failed && !r.milestones.includes(failed) ? [`milestone ${failed.number} (${failed.id}): ${failed.reason ?? 'not run'}`] : []),
          ...(r.rollback ? [`rolled back to ${r.rollback.to ?? 'nothing'}: ${r.rollback.healthy ? 'healthy' : `NOT healthy (${r.rollback.reason ?? ''})`}`] : []),
          ...(r.down ? [`the stack is DOWN: ${r.down.reason}`, ...r.down.recovery.map((c) => `recover: ${c}`)] : []),
        ],
        ...(failed ? { status: failed.status === 'fail' ? ('failed' as const) : ('error' as const) } : {}),
      });
      await writeRecordOrTrace(s.config, st);
      return { ...r, outcome, exitCode: failed ? 1 : 0 };
    });
  } finally {
    await closeSession(s);
  }
}

/** `shipproof run <milestone>`: one milestone, guarded by the evidence of the earlier ones. */
export async function runMilestone(o: DeployOptions & { milestone: string }): Promise<DeployResult> {
  const step = (await steps()).stepByRef(o.milestone);
  if (!step) {
    throw new UsageError(`Unknown milestone "${o.milestone}".`, { hint: `Milestones: ${MILESTONES.map((m) => `${m.number} ${m.id}`).join(', ')}.` });
  }
  const s = await openChanging(o);
  try {
    if (step.number === 2) await refuseForeignEnvFilesOf(s);
    const table = await ledgerTable(s.config, s.target.name, s.release);
    const problems = guardProblems(table, step.number);
    const notes: string[] = [];
    if (problems.length) {
      if (!o.forceReason) {
        throw new GuardError(`Milestone ${step.number} (${step.id}) is guarded: ${problems.join('; ')} for release ${s.release}.`, {
          hint: 'Run the earlier milestones first (or `shipproof deploy`), or pass --force "<reason>" to record an override.',
        });
      }
      notes.push(`guard overridden with --force: ${o.forceReason} (${problems.join('; ')})`);
    }
    return await withLock(s, o, async () => {
      // `run 7` / `run 8` gate a stack an earlier `run 6` already changed: a failure rolls back.
      // `run 6` watches each service's availability during the milestone and records it with it.
      const { failed, availability: _inRecord, ...r } = await runSteps(s, [step], notes, step.number === 7 || step.number === 8, step.number === 6 ? 'milestone' : false);
      return { ...r, outcome: failed ? (r.rollback?.healthy ? 'rolled-back' : 'failed') : 'deployed', exitCode: failed ? 1 : 0 };
    });
  } finally {
    await closeSession(s);
  }
}

/** `shipproof rollback [release]`: by hand, to a named release or the newest healthy one before the current. */
export async function rollback(o: DeployOptions & { release?: string }): Promise<DeployResult> {
  const s = await openChanging(o, false);
  try {
    return await withLock(s, o, async (_me, notes) => {
      const choice = chooseRollbackRelease(s.state, o.release);
      if (!choice.to) throw new UsageError(`Nothing to roll back to: ${choice.problem ?? 'no release'}.`, { hint: 'See `shipproof status` for the releases on this target.' });
      const to = choice.to.id;
      if (choice.needsForce) {
        if (!o.forceReason) {
          throw new UsageError(`Release ${to} never passed its own health gate (its deploy ${choice.to.status === 'uploaded' ? 'did not finish' : 'failed'}), so rolling back onto it needs a reason.`, {
            hint: `Pass --force "<reason>" (recorded), or pick a release that passed: see \`shipproof status\`.`,
          });
        }
        notes.push(`rolling back onto a release whose own deploy failed, forced: ${o.forceReason}`);
      }
      await s.confirm(`roll ${s.target.name} back to release ${to}`);
      const started = new Date();
      const from = s.state.current;
      const watch = await watchSession(s);
      const restored = await restoreRelease(s, to);
      const availability = await stopWatch(watch, true);
      await saveState(s, stateAfterRestore(s, s.state, to, restored, o.forceReason && choice.needsForce ? { forced: o.forceReason } : {}));
      const down = s.state.down;
      const st = statement(s, 'rollback', `Rollback of ${s.target.name} from ${from ?? 'none'} to ${to}${down ? ': stack DOWN' : ''}`, [...restored.results, ...(availability ? [availability] : [])], started, {
        notes: [...notes, 'requested by hand', ...(down ? [`the stack is DOWN: ${down.reason}; running: ${down.running}`, ...down.recovery.map((c) => `recover: ${c}`)] : [])],
        release: to,
        status: restored.healthy ? 'passed' : 'failed',
        rollback: { from: from ?? null, to, serves: restored.healthy },
        subjects: rollbackSubjects(s, to),
      });
      await writeRecordOrTrace(s.config, st);
      return {
        release: to,
        target: s.target.name,
        outcome: restored.healthy ? 'rolled-back' : 'failed',
        milestones: [],
        rollback: { to, ...(from ? { from } : {}), healthy: restored.healthy, ...(restored.reason ? { reason: restored.reason } : {}) },
        ...(down ? { down } : {}),
        exitCode: restored.healthy ? 0 : 1,
        notes,
      };
    });
  } finally {
    await closeSession(s);
  }
}
