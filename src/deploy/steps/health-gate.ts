// Milestone 7: the health gate; only when it passes does the release become current and the
// last known good (and a "down" mark from an earlier failed rollback is cleared).
import { posix } from 'node:path';
import { httpHealthProbe } from '../../probes/http-health.js';
import { inspectContainersCommand, projectContainerIdsCommand } from '../../docker/commands.js';
import { readContainers } from '../../probes/stack.js';
import { switchLinkCommand } from '../commands.js';
import type { Step, StepOutcome } from '../context.js';
import { healthGate } from '../health-gate.js';
import { upsertRelease } from '../state.js';
import { expectedServices, explainContainers, explainPlan, meta, probeContext, statePut } from './shared.js';

export const healthGateStep: Step = {
  ...meta(7),
  changes: true,
  plan: (ctx) => [
    { argv: projectContainerIdsCommand(ctx.config.project), note: `every ${ctx.config.deploy.healthIntervalMs / 1000} s for up to ${ctx.config.deploy.healthTimeoutMs / 1000} s` },
    { argv: inspectContainersCommand(['<ids of the project containers>']), serverOnly: true },
    ...ctx.config.health.flatMap((p) => httpHealthProbe.plan({ config: { ...ctx.config, health: [p] }, target: ctx.target, compose: ctx.compose }).map((c) => ({ argv: c.argv }))),
    ...explainPlan(),
    { argv: switchLinkCommand(posix.join('releases', ctx.release), ctx.layout.current), when: 'only when the gate passes' },
    statePut(ctx),
  ],
  async run(ctx) {
    const pctx = probeContext(ctx);
    const verdict = await healthGate({
      expectedServices: expectedServices(ctx),
      probes: ctx.config.health,
      timeoutMs: ctx.config.deploy.healthTimeoutMs,
      intervalMs: ctx.config.deploy.healthIntervalMs,
      stableChecks: ctx.config.deploy.stableChecks,
      readContainers: () => readContainers(pctx),
      run: (argv, o) => ctx.run(argv, { ...o, read: true }),
      onCheck: (s) => ctx.log(`waiting: ${s}`),
      signal: ctx.signal,
    });
    const observations: StepOutcome['observations'] = {
      checks: verdict.checks,
      gateMs: verdict.durationMs,
      services: Object.entries(verdict.services).map(([k, v]) => `${k}: ${v}`),
      probes: Object.entries(verdict.probes).map(([k, v]) => `${k}: ${v.ok ? 'ok' : 'failed'} ${v.status ?? '-'} ${v.latencyMs ?? '-'}ms`),
    };
    if (!verdict.passed) {
      observations.failure = verdict.kind ?? 'unknown';
      if (verdict.culprits.length) await explainContainers(ctx, verdict.culprits);
      return { status: verdict.kind === 'interrupted' ? 'error' : 'fail', reason: verdict.reason ?? 'the health gate failed', observations };
    }
    await ctx.run(switchLinkCommand(posix.join('releases', ctx.release), ctx.layout.current));
    const state = ctx.state();
    const rec = state.releases.find((r) => r.id === ctx.release);
    const next = rec ? upsertRelease(state, { ...rec, status: 'healthy', healthyAt: new Date().toISOString() }) : state;
    const { down: _cleared, ...rest } = next;
    await ctx.saveState({ ...rest, current: ctx.release, lastKnownGood: ctx.release });
    return { status: 'pass', observations };
  },
};
