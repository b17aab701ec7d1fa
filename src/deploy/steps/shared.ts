// What the milestone steps share: catalogue metadata, the services compose starts, probe runs,
// and the explanation of a failed gate.
import { detectStatefulServices } from '../../compose/stateful.js';
import { runProbe } from '../../probes/run.js';
import type { CheckResult } from '../../evidence/predicate-schema.js';
import { MILESTONES } from '../../milestones/catalog.js';
import type { ProbeContext, Probe } from '../../probes/types.js';
import { containerLogsCommand, healthLogCommand } from '../commands.js';
import { putFileCommand } from '../../targets/file-commands.js';
import type { PlanContext, PlannedStepCommand, StepContext, StepOutcome } from '../context.js';

export const BUILD_TIMEOUT_MS = 30 * 60_000;
export const UP_TIMEOUT_MS = 15 * 60_000;

/** Milestones whose failure has already changed the running stack: they trigger a rollback. */
export const ROLLBACK_FROM: ReadonlySet<number> = new Set([6, 7, 8]);

export function meta(n: number): { number: number; id: string; title: string } {
  const m = MILESTONES[n - 1]!;
  return { number: m.number, id: m.id, title: m.title };
}

/** Services compose starts by default. */
export function expectedServices(ctx: Pick<StepContext, 'compose'>): string[] {
  return ctx.compose.services.filter((s) => s.profiles.length === 0).map((s) => s.name);
}

export function statefulServices(ctx: Pick<StepContext, 'compose' | 'config'>): string[] {
  return detectStatefulServices(ctx.compose, ctx.config.stateful).map((x) => x.service);
}

export function keyService(ctx: Pick<StepContext, 'config' | 'compose'>): string | undefined {
  return ctx.config.deploy.keyService ?? ctx.compose.services.find((s) => s.build !== undefined)?.name;
}

/** A probe context whose commands go through the step's recorder (and its interrupt signal). */
export function probeContext(ctx: StepContext): ProbeContext {
  return {
    config: ctx.config,
    target: ctx.target,
    compose: ctx.compose,
    host: ctx.host,
    docker: ctx.docker,
    run: (a, o) => ctx.run(a, { ...(o?.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), read: true }),
    runLocal: (a, o) => ctx.run(a, { ...(o?.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), read: true }),
    signal: ctx.signal,
  };
}

export async function probeResults(ctx: StepContext, probes: Probe[]): Promise<CheckResult[]> {
  const base = { config: ctx.config, target: ctx.target, compose: ctx.compose, host: ctx.host, docker: ctx.docker };
  return Promise.all(probes.map((p) => runProbe(p, base)));
}

export function fromResults(results: CheckResult[], observations: StepOutcome['observations'] = {}): StepOutcome {
  const bad = results.filter((r) => r.gate && (r.status === 'fail' || r.status === 'error'));
  return bad.length
    ? { status: 'fail', reason: bad.map((r) => `${r.id}: ${r.reason ?? r.status}`).join('; '), observations, more: results }
    : { status: 'pass', observations, more: results };
}

/** Explains a failed gate to the operator: the health-check log and the log tail of each culprit (redacted on output, never stored). */
export async function explainContainers(ctx: Pick<StepContext, 'host' | 'show'>, containers: readonly string[]): Promise<void> {
  for (const c of containers.slice(0, 3)) {
    const health = await ctx.host.exec(healthLogCommand(c), { reject: false, timeoutMs: 15_000 });
    const logs = await ctx.host.exec(containerLogsCommand(c, 20), { reject: false, timeoutMs: 15_000 });
    let healthText = '';
    try {
      const h = JSON.parse(health.stdout) as { Log?: { ExitCode: number; Output: string }[] } | null;
      healthText = (h?.Log ?? []).slice(-3).map((l) => `  exit ${l.ExitCode}: ${l.Output.trim().slice(0, 300)}`).join('\n');
    } catch {
      // no health log
    }
    ctx.show(
      [`--- ${c}`, ...(healthText ? ['health checks:', healthText] : []), 'last log lines:', (logs.stdout + logs.stderr).trim().split('\n').slice(-20).map((l) => `  ${l}`).join('\n')].join('\n'),
    );
  }
}

/** The state.json write a step makes (planned like any other command). */
export function statePut(ctx: PlanContext): PlannedStepCommand {
  return { argv: putFileCommand(ctx.layout.stateFile, 0o600, true), note: 'stdin: state.json' };
}

/** What explaining a failed container runs (shown to the operator, never stored). */
export function explainPlan(): PlannedStepCommand[] {
  return [
    { argv: healthLogCommand('<container>'), serverOnly: true, when: 'when a container fails' },
    { argv: containerLogsCommand('<container>', 20), serverOnly: true, when: 'when a container fails' },
  ];
}
