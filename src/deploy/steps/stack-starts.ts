// Milestone 6: the stack starts from the stable live folder (backup-before-apply first for a
// changing stateful service). The record says per service what compose was to do and what it did.
import { posix } from 'node:path';
import { ensureFreshBackup, resolveBackupSettings } from '../../backup/index.js';
import { composeConfigHashCommand, composeUpCommand, inspectContainersCommand, projectContainerIdsCommand } from '../../docker/commands.js';
import { readContainers } from '../../probes/stack.js';
import { describeComposeFailure } from '../../docker/compose-error.js';
import { switchLinkCommand } from '../commands.js';
import type { Step, StepContext, StepOutcome } from '../context.js';
import { describeChanges, observedChanges, parseConfigHashes, planServices, type ServiceChange } from '../service-plan.js';
import { upsertRelease } from '../state.js';
import { cutOverChanged, stepHook, stepPlan } from './cutover.js';
import { watchCommands } from '../availability-target.js';
import { expectedServices, explainContainers, explainPlan, meta, probeContext, statefulServices, statePut, UP_TIMEOUT_MS } from './shared.js';
export { UP_TIMEOUT_MS } from './shared.js';


/**
 * Backup-before-apply: the stateful services this release recreates (compose's config hash or
 * the image differs: the same plan that decides what compose does) need a fresh backup first,
 * by the configured policy. Without a readable plan every stateful service counts as changing.
 */
async function backupBeforeApply(ctx: StepContext, planned: readonly ServiceChange[] | undefined): Promise<StepOutcome | undefined> {
  const current = ctx.state().current;
  const stateful = statefulServices(ctx);
  if (current === undefined || current === ctx.release || stateful.length === 0) return undefined;
  const changed = stateful.filter((svc) => planned === undefined || planned.some((p) => p.service === svc && p.action === 'recreated'));
  if (changed.length === 0) return undefined;
  const settings = resolveBackupSettings(ctx.config);
  ctx.log(`stateful service(s) changing: ${changed.join(', ')}; backup-before-apply policy ${settings.beforeApply}`);
  const res = await ensureFreshBackup({
    config: ctx.config,
    target: ctx.target,
    host: ctx.host,
    docker: ctx.docker,
    services: changed,
    maxAgeMs: settings.maxAgeMs,
    reuseWithinMs: settings.reuseWithinMs,
    policy: settings.beforeApply,
    ...(settings.beforeApplyReason ? { reason: settings.beforeApplyReason } : {}),
    onProgress: (l) => ctx.log(l),
  });
  if (!res.ok) {
    return {
      status: 'fail',
      reason: `backup-before-apply (${settings.beforeApply}) refused the change: ${res.decisions.filter((d) => d.outcome === 'refused' || d.outcome === 'failed').map((d) => `${d.service} ${d.outcome}`).join(', ')}`,
      observations: { changedStatefulServices: changed },
      more: res.results,
    };
  }
  return { status: 'pass', observations: { changedStatefulServices: changed, backups: res.decisions.map((d) => `${d.service}: ${d.outcome}`), safetyBackups: res.decisions.flatMap((d) => (d.backup ? [`${d.service}: ${d.backup.id}`] : [])) }, more: res.results };
}

export const stackStarts: Step = {
  ...meta(6),
  changes: true,
  plan: (ctx) => [
    statePut(ctx),
    { argv: switchLinkCommand(posix.join('releases', ctx.release), ctx.layout.live), note: 'compose runs from this stable folder' },
    { argv: projectContainerIdsCommand(ctx.config.project) },
    { argv: inspectContainersCommand(['<ids of the project containers>']), serverOnly: true },
    {
      argv: composeConfigHashCommand(ctx.composeLive(ctx.release)),
      note: `per service: unchanged / recreated / started / removed${statefulServices(ctx).length ? `; a recreated stateful service (${statefulServices(ctx).join(', ')}) needs a fresh backup first (backup-before-apply)` : ''}`,
    },
    ...stepPlan(ctx).commands,
    { argv: composeUpCommand(ctx.composeLive(ctx.release), { noBuild: true }), note: ['services cut over above are up to date by now', ...stepPlan(ctx).recreated].join('; ') },
    { argv: projectContainerIdsCommand(ctx.config.project) },
    { argv: inspectContainersCommand(['<ids of the project containers>']), serverOnly: true },
    ...explainPlan(),
    // Run by the deploy runner beside this step (src/deploy/availability-target.ts).
    ...watchCommands(ctx.config.project, ctx.config.health),
  ],
  async run(ctx) {
    await ctx.confirm(`start release ${ctx.release} (compose up) on ${ctx.host.description}`);
    const rec = ctx.state().releases.find((r) => r.id === ctx.release);
    if (rec) await ctx.saveState(upsertRelease(ctx.state(), { ...rec, status: 'deploying' }));
    ctx.touchStack();
    // The config hash must be computed from the live folder the containers were created from.
    await ctx.run(switchLinkCommand(posix.join('releases', ctx.release), ctx.layout.live));
    const pctx = probeContext(ctx);
    const before = await readContainers(pctx);
    const hashes = await ctx.run(composeConfigHashCommand(ctx.composeLive(ctx.release)), { timeoutMs: 60_000, read: true });
    const imageIds = Object.fromEntries(Object.entries(rec?.images ?? {}).map(([k, v]) => [k, v.id]));
    const planned = hashes.exitCode === 0 ? planServices(parseConfigHashes(hashes.stdout), before, imageIds) : [];
    for (const line of describeChanges(planned)) ctx.log(`  plan: ${line}`);
    // Nothing has changed on the stack yet: a refused backup leaves every container as it was.
    const guard = await backupBeforeApply(ctx, hashes.exitCode === 0 ? planned : undefined);
    if (guard?.status === 'fail') {
      const refused: StepOutcome = { ...guard, observations: { ...guard.observations, planned: describeChanges(planned) } };
      return refused;
    }
    const cut = await cutOverChanged(stepHook(ctx), planned.filter((p) => p.action === 'recreated').map((p) => p.service));
    if (cut.failed) return { status: 'fail', reason: `cut-over of ${cut.failed}`, observations: { planned: describeChanges(planned), cutover: cut.lines } };
    const r = await ctx.run(composeUpCommand(ctx.composeLive(ctx.release), { noBuild: true }), { timeoutMs: UP_TIMEOUT_MS });
    if (r.exitCode !== 0) {
      ctx.show(`compose up (last lines):\n${(r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n')}`);
      return { status: 'fail', reason: r.aborted ? 'compose up was interrupted' : describeComposeFailure('up', r), observations: { planned: describeChanges(planned) } };
    }
    const containers = await readContainers(pctx);
    const services: Record<string, string> = {};
    const problems: string[] = [];
    const culprits: string[] = [];
    for (const name of expectedServices(ctx)) {
      const mine = containers.filter((c) => c.service === name);
      services[name] = mine.map((c) => c.state).join(',') || 'missing';
      if (mine.length === 0) problems.push(`${name} has no container`);
      for (const c of mine) {
        if (c.state === 'restarting' || c.state === 'dead') {
          problems.push(`${name} is ${c.state} (exit code ${c.exitCode})`);
          culprits.push(c.name);
        }
      }
    }
    if (culprits.length) await explainContainers(ctx, culprits);
    const more = guard?.more ?? [];
    const observations = {
      ...services,
      ...(guard ? guard.observations : {}),
      planned: describeChanges(planned),
      cutover: cut.lines,
      changes: describeChanges(observedChanges(before, containers)),
    };
    return problems.length ? { status: 'fail', reason: problems.join('; '), observations, more } : { status: 'pass', observations, more };
  },
};
