// Rollback: bring a release back whole — its images (by its per-release tags), its env copy and
// compose files (compose runs from the live link, switched to it), its content-addressed mounts —
// then its health gate. A rollback whose own gate fails leaves the stack marked DOWN, naming
// what runs and the exact commands to recover. Choosing the release is pure (unit-tested).
import { posix } from 'node:path';
import { composeUpCommand } from '../docker/commands.js';
import { shellJoin } from '../shell/quote.js';
import type { CheckResult } from '../evidence/predicate-schema.js';
import { CommandRecorder } from '../probes/recorder.js';
import { readContainers } from '../probes/stack.js';
import { switchLinkCommand, tagImageCommand } from './commands.js';
import { healthGate } from './health-gate.js';
import { composeLive, runner, type Session } from './session.js';
import { releaseOf, upsertRelease, writeState, type DeployState, type ReleaseRecord } from './state.js';
import { expectedServices, explainContainers, UP_TIMEOUT_MS } from './steps/shared.js';

export interface RollbackChoice {
  to?: ReleaseRecord;
  /** Why it cannot go ahead as asked. */
  problem?: string;
  /** Needs --force "<reason>": the release never passed its own health gate. */
  needsForce?: boolean;
}

/** The release a hand rollback goes to: the one named, or the newest that passed its gate before the current. */
export function chooseRollbackRelease(state: DeployState, requested?: string): RollbackChoice {
  if (requested !== undefined) {
    const rec = releaseOf(state, requested);
    if (!rec) return { problem: `release ${requested} is not on this target (known: ${state.releases.map((r) => r.id).join(', ') || 'none'})` };
    return rec.healthyAt === undefined ? { to: rec, needsForce: true } : { to: rec };
  }
  const healthy = state.releases.filter((r) => r.healthyAt !== undefined && r.id !== state.current);
  const to = healthy[healthy.length - 1];
  return to ? { to } : { problem: 'there is no earlier release that passed its health gate' };
}

/** The commands that bring `rec` back, in order: what rollback runs, and what --dry-run prints. */
export function restoreCommands(s: Pick<Session, 'config' | 'layout' | 'flavor'>, rec: ReleaseRecord): string[][] {
  return [
    ...Object.values(rec.images).map((img) => tagImageCommand(img.releaseTag, img.ref)),
    switchLinkCommand(posix.join('releases', rec.id), s.layout.live),
    composeUpCommand(composeLive(s, liveFiles(s, rec)), { noBuild: true }),
  ];
}

export function liveFiles(s: Pick<Session, 'config'>, rec: ReleaseRecord): string[] {
  return rec.composeFiles.length ? rec.composeFiles : s.config.composeFiles.map((f) => posix.relative(s.config.rootDir, f));
}

/** Exact commands an operator can run when a rollback could not bring the stack back. */
export function recoveryCommands(s: Pick<Session, 'config' | 'layout' | 'flavor' | 'target'>, state: DeployState, running: string): string[] {
  const others = state.releases.filter((r) => r.healthyAt !== undefined && r.id !== running).map((r) => r.id);
  const rec = releaseOf(state, running);
  return [
    `shipproof status --target ${s.target.name}`,
    `docker ps --all --filter label=com.docker.compose.project=${s.config.project}`,
    `docker logs --tail 50 <container>   # for each container that is not healthy`,
    ...(rec ? [shellJoin(composeUpCommand(composeLive(s, liveFiles(s, rec)), { noBuild: true }))] : []),
    ...others.slice(-2).reverse().map((id) => `shipproof rollback ${id} --target ${s.target.name}`),
    'fix the cause, then: shipproof deploy',
  ];
}

export interface Restored {
  healthy: boolean;
  reason?: string;
  results: CheckResult[];
  /** compose up ran: the stack now runs (some of) the restored release. False: it was left as it was. */
  started: boolean;
}

/** Brings a release back and gates it. Not interruptible: it is what an interruption leads to. */
export async function restoreRelease(s: Session, to: string): Promise<Restored> {
  const rec = releaseOf(s.state, to);
  if (!rec) return { healthy: false, reason: `release ${to} is not known on the server`, results: [], started: false };
  const recorder = new CommandRecorder(new AbortController().signal);
  const run = runner(s, recorder);
  const results: CheckResult[] = [];
  const t0 = Date.now();
  let failed: string | undefined;
  let started = false;
  let cutover: string[] = [];
  for (const argv of restoreCommands(s, rec)) {
    const up = argv.includes('up');
    // The same cut-over as a deploy: changed services switch without a gap; compose up does the rest.
    // Loaded when a restore runs: a no-op deploy never needs the cut-over (or the backup modules it brings).
    const { cutOverBeforeUp } = await import('./steps/cutover.js');
    if (up) cutover = (await cutOverBeforeUp({ run, compose: composeLive(s, liveFiles(s, rec)), liveDir: s.layout.live, model: s.compose, config: s.config, log: s.log }, Object.fromEntries(Object.entries(rec.images).map(([k, v]) => [k, v.id])))).lines;
    started ||= up;
    const r = await run(argv, { timeoutMs: up ? UP_TIMEOUT_MS : 60_000 });
    if (r.exitCode !== 0) {
      failed = `${argv.slice(0, 3).join(' ')} exited with code ${r.exitCode}`;
      break;
    }
  }
  results.push({
    id: 'restore-release',
    title: `Start release ${to} again (its images, env copy, compose files and mounts)`,
    gate: true,
    status: failed ? 'fail' : 'pass',
    ...(failed ? { reason: failed } : {}),
    durationMs: Date.now() - t0,
    observations: { release: to, cutover, imagesRestored: Object.keys(rec.images).length, images: Object.entries(rec.images).map(([k, v]) => `${k}: ${v.id ?? v.releaseTag}`) },
    commands: [...recorder.records],
  });
  if (failed) return { healthy: false, reason: failed, results, started };
  const gateRecorder = new CommandRecorder(new AbortController().signal);
  const gateRun = runner(s, gateRecorder);
  const probeCtx = { config: s.config, target: s.target, compose: s.compose, host: s.host, docker: s.docker, run: (a: readonly string[], o?: { timeoutMs?: number }) => gateRun(a, { ...o, read: true }), runLocal: (a: readonly string[], o?: { timeoutMs?: number }) => gateRun(a, { ...o, read: true }), signal: new AbortController().signal };
  const t1 = Date.now();
  const verdict = await healthGate({
    expectedServices: expectedServices({ compose: s.compose }),
    probes: s.config.health,
    timeoutMs: s.config.deploy.healthTimeoutMs,
    intervalMs: s.config.deploy.healthIntervalMs,
    stableChecks: s.config.deploy.stableChecks,
    readContainers: () => readContainers(probeCtx),
    run: (argv, o) => gateRun(argv, { ...o, read: true }),
  });
  if (!verdict.passed && verdict.culprits.length) await explainContainers(s, verdict.culprits);
  const switched = verdict.passed ? await gateRun(switchLinkCommand(posix.join('releases', to), s.layout.current)) : undefined;
  results.push({
    id: 'health-gate-after-rollback',
    title: `Health gate on release ${to}`,
    gate: true,
    status: verdict.passed ? 'pass' : 'fail',
    ...(verdict.passed ? {} : { reason: verdict.reason ?? 'failed' }),
    durationMs: Date.now() - t1,
    observations: { services: Object.entries(verdict.services).map(([k, v]) => `${k}: ${v}`), checks: verdict.checks, currentSwitched: switched?.exitCode === 0 },
    commands: [...gateRecorder.records],
  });
  return { healthy: verdict.passed, ...(verdict.reason ? { reason: verdict.reason } : {}), results, started: true };
}

/** The state after bringing `to` back: current either way; healthy and last good, or DOWN with what runs and how to recover. */
export function stateAfterRestore(s: Pick<Session, 'config' | 'layout' | 'flavor' | 'target'>, state: DeployState, to: string, restored: Restored, extra: Partial<ReleaseRecord> = {}): DeployState {
  const rec = releaseOf(state, to)!;
  if (restored.healthy) {
    const { down: _cleared, ...rest } = upsertRelease(state, { ...rec, ...extra, status: 'healthy', healthyAt: rec.healthyAt ?? new Date().toISOString() });
    return { ...rest, current: to, lastKnownGood: to };
  }
  // Nothing was started (a tag or the link switch failed first): the stack runs as before.
  if (!restored.started) return state;
  const next = upsertRelease(state, { ...rec, ...extra, status: 'unhealthy' });
  return {
    ...next,
    current: to,
    down: { since: new Date().toISOString(), reason: `the rollback to ${to} did not pass its health gate: ${restored.reason ?? 'failed'}`, running: to, recovery: recoveryCommands(s, next, to) },
  };
}

/** Marks the stack down when a failed release is all there is (nothing to roll back to). */
export function stateWhenNothingToRestore(s: Pick<Session, 'config' | 'layout' | 'flavor' | 'target'>, state: DeployState, failed: string, reason: string): DeployState {
  return { ...state, down: { since: new Date().toISOString(), reason: `release ${failed} failed (${reason}) and no earlier release could be brought back`, running: failed, recovery: recoveryCommands(s, state, failed) } };
}

export async function saveState(s: Session, next: DeployState): Promise<void> {
  s.state = next;
  await writeState(s.host, s.layout, next);
}
