import type { Command } from 'commander';
import { parseDuration } from '../../config/duration.js';
import { ExitCode, UsageError } from '../../errors.js';
import { deploy, planDeploy, planRollback, rollback, runMilestone, status, type DeployOptions, type DeployResult } from '../../deploy/deploy.js';
import { lockStatus, releaseLock, acquireLock } from '../../deploy/lock.js';
import { layout } from '../../deploy/layout.js';
import { displayPath, resolveTargetName } from '../../config/load.js';
import { deploySummary, ledgerLength, recordsSince, renderDeploySummary } from './deploy-summary.js';
import { createTarget } from '../../targets/create.js';
import { shellJoin } from '../../shell/quote.js';
import { MILESTONES } from '../../milestones/catalog.js';
import { loadCommandConfig } from '../config.js';
import { contextOf, type CommandContext } from '../context.js';
import { table, type Output } from '../output.js';
import { terminalConfirm } from '../prompt.js';
import { createLogger } from '../../log.js';

interface ChangeFlags {
  yes?: boolean;
  dryRun?: boolean;
  force?: string;
  lockWait?: string;
  message?: string;
  quietNoop?: boolean;
  overwrite?: boolean;
}

/** Whether the chosen target is `kind: swarm`; the swarm runtime is loaded only then (a Compose deploy never loads it). */
async function swarmTarget(ctx: CommandContext): Promise<boolean> {
  const config = await loadCommandConfig(ctx);
  return resolveTargetName(config, ctx.options.target).swarm === true;
}

function addChangeFlags(cmd: Command): Command {
  return cmd
    .option('-y, --yes', 'do not ask before changing the server')
    .option('--dry-run', 'print the exact remote commands of each step and change nothing')
    .option('--lock-wait <duration>', 'wait this long for another deploy to release the lock (e.g. 5m)')
    .option('-m, --message <text>', 'a note stored with the lock, e.g. why you deploy');
}

async function options(ctx: CommandContext, flags: ChangeFlags): Promise<DeployOptions> {
  const config = await loadCommandConfig(ctx);
  let lockWaitMs: number | undefined;
  if (flags.lockWait !== undefined) {
    lockWaitMs = parseDuration(flags.lockWait);
    if (lockWaitMs === undefined) throw new UsageError(`--lock-wait "${flags.lockWait}" is not a duration.`, { hint: 'Use e.g. 30s, 5m.' });
  }
  const confirm = terminalConfirm();
  return {
    config,
    ...(ctx.options.target ? { targetName: ctx.options.target } : {}),
    acceptNewHostKey: ctx.options.acceptNewHostKey,
    yes: flags.yes === true,
    ...(confirm ? { confirm } : {}),
    ...(flags.force ? { forceReason: flags.force } : {}),
    ...(lockWaitMs !== undefined ? { lockWaitMs } : {}),
    ...(flags.message ? { message: flags.message } : {}),
    ...(flags.overwrite ? { overwrite: true } : {}),
    log: (line) => ctx.out.note(line),
    show: (text) => ctx.out.note(text),
    logger: createLogger(ctx.options.logFile),
  };
}

function renderResult(out: Output, r: DeployResult): string {
  const lines: string[] = [];
  if (r.milestones.length) {
    const rows = [['#', 'MILESTONE', 'STATUS', 'WHY']];
    for (const m of r.milestones) rows.push([String(m.number), m.id, m.status === 'pass' ? out.paint('green', 'pass') : m.status === 'skipped' ? out.paint('yellow', 'skipped') : out.paint('red', m.status), m.reason ?? '']);
    lines.push(table(rows), '');
  }
  lines.push(verdictLine(out, r));
  if (r.interrupted) lines.push(out.paint('yellow', `interrupted by ${r.interrupted}`));
  if (r.rollback && !r.rollback.healthy && r.rollback.to) lines.push(out.paint('red', `the rollback to ${r.rollback.to} did not pass its health gate: ${r.rollback.reason ?? ''}`));
  if (r.down) {
    lines.push(out.paint('red', `THE STACK IS DOWN on ${r.target}: ${r.down.reason}`), `running: release ${r.down.running}`, 'to recover:');
    for (const c of r.down.recovery) lines.push(`  ${c}`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** One sentence for the outcome; a rollback says from where to where and whether it serves. */
export function verdictLine(out: Pick<Output, 'paint'>, r: DeployResult): string {
  const rb = r.rollback;
  if (rb !== undefined) {
    const from = rb.from ?? (r.milestones.length > 0 ? r.release : undefined);
    const failed = r.milestones.length > 0 ? `release ${r.release} failed on ${r.target}; ` : '';
    return rb.healthy
      ? out.paint('yellow', `${failed}rolled back from ${from ?? 'no release'} to ${rb.to ?? '?'}: ${rb.to ?? '?'} serves`)
      : out.paint('red', `${failed}rollback failed: nothing serves (tried ${from ?? 'no release'} -> ${rb.to ?? 'nothing to roll back to'})`);
  }
  return {
    deployed: out.paint('green', `deployed release ${r.release} to ${r.target}`),
    unchanged: out.paint('green', `release ${r.release} is already current and healthy on ${r.target}: nothing changed`),
    failed: out.paint('red', `release ${r.release} failed on ${r.target}`),
    'rolled-back': out.paint('yellow', `release ${r.release} rolled back on ${r.target}`),
  }[r.outcome];
}

/** Runs a deploy-like command and prints its result and what its records say (URLs, evidence, downtime). */
async function runAndReport(ctx: CommandContext, o: DeployOptions, run: (o: DeployOptions) => Promise<DeployResult>): Promise<void> {
  const seen = await ledgerLength(o.config.evidenceDir);
  const result = await run(o);
  const summary = deploySummary(await recordsSince(o.config.evidenceDir, seen), o.config);
  const dir = displayPath(ctx.options.cwd, o.config.evidenceDir);
  ctx.out.result(() => [renderResult(ctx.out, result), ...renderDeploySummary(summary, dir)].join('\n'), { ...result, summary });
  process.exitCode = result.exitCode;
}

async function printPlan(ctx: CommandContext, only?: string): Promise<void> {
  const config = await loadCommandConfig(ctx);
  const plan = await planDeploy({ config, acceptNewHostKey: ctx.options.acceptNewHostKey, ...(ctx.options.target ? { targetName: ctx.options.target } : {}) });
  const steps = plan.steps.filter(({ step }) => only === undefined || String(step.number) === only || step.id === only);
  ctx.out.result(
    () =>
      [
        `Dry run: release ${plan.release} to ${plan.target.name}. Nothing is changed.`,
        ...(plan.offline ? [`The target could not be read (${plan.offline}): compose is shown as v2 and the release id leaves out the published images' ids.`] : []),
        ...Object.entries(plan.images).map(([svc, id]) => `   image of ${svc}: ${id}`),
        ...steps.flatMap(({ step, commands }) => [
          `${step.number}. ${step.title}${step.changes ? ' (changes the server)' : ''}`,
          ...(commands.length ? commands.map((c) => `   $ ${shellJoin(c.argv)}${c.note ? `   # ${c.note}` : ''}${c.when ? `   # ${c.when}` : ''}`) : ['   (nothing to run with this configuration)']),
        ]),
      ].join('\n'),
    { release: plan.release, target: plan.target.name, images: plan.images, ...(plan.offline ? { offline: plan.offline } : {}), steps: steps.map(({ step, commands }) => ({ number: step.number, id: step.id, changes: step.changes, commands })) },
  );
}

const OVERWRITE_HELP = 'replace env files on the server that shipproof did not upload (or that were changed there)';

export function registerDeploy(program: Command): void {
  addChangeFlags(
    program.command('deploy').description('run every milestone in order on the target; roll back automatically when a gate fails'),
  ).option('--quiet-noop', 'write no evidence record when nothing changed').option('--overwrite', OVERWRITE_HELP).action(async (flags: ChangeFlags, cmd: Command) => {
    const ctx = contextOf(cmd);
    if (await swarmTarget(ctx)) return (await import('./swarm.js')).runSwarm(ctx, flags);
    if (flags.dryRun) return printPlan(ctx);
    await runAndReport(ctx, { ...(await options(ctx, flags)), ...(flags.quietNoop ? { quietNoop: true } : {}) }, deploy);
  });

  addChangeFlags(
    program
      .command('run')
      .description('run one milestone, guarded by passing evidence of the earlier ones')
      .argument('<milestone>', `number or id: ${MILESTONES.map((m) => m.id).join(', ')}`)
      .option('--force <reason>', 'run although earlier milestones lack passing evidence (the reason is recorded)')
      .option('--overwrite', OVERWRITE_HELP),
  ).action(async (milestone: string, flags: ChangeFlags, cmd: Command) => {
    const ctx = contextOf(cmd);
    if (flags.dryRun) return printPlan(ctx, milestone);
    await runAndReport(ctx, await options(ctx, flags), (o) => runMilestone({ ...o, milestone }));
  });

  addChangeFlags(
    program
      .command('rollback')
      .description('go back to a release (default: the newest healthy one before the current)')
      .argument('[release]', 'release id')
      .option('--force <reason>', 'roll back onto a release whose own deploy failed (the reason is recorded)'),
  ).action(async (release: string | undefined, flags: ChangeFlags, cmd: Command) => {
    const ctx = contextOf(cmd);
    if (flags.dryRun) {
      const plan = await planRollback({ ...(await options(ctx, { ...flags, yes: false })), ...(release ? { release } : {}) });
      ctx.out.result(
        () =>
          [
            plan.to
              ? `Dry run: roll ${plan.target} back from ${plan.from ?? 'none'} to ${plan.to}. Nothing is changed.${plan.needsForce ? ` Release ${plan.to} never passed its own gate: the real run needs --force "<reason>".` : ''}`
              : `Dry run: nothing to roll back to on ${plan.target} (${plan.problem ?? 'no release'}). Nothing is changed.`,
            ...plan.commands.map((c) => `   $ ${shellJoin(c.argv)}${c.note ? `   # ${c.note}` : ''}${c.when ? `   # ${c.when}` : ''}`),
          ].join('\n'),
        plan,
      );
      if (!plan.to) process.exitCode = 1;
      return;
    }
    await runAndReport(ctx, await options(ctx, flags), (o) => rollback({ ...o, ...(release ? { release } : {}) }));
  });

  program
    .command('status')
    .description('the milestone table of the current release, from the evidence ledger, and the releases on the target')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (await swarmTarget(ctx)) return (await import('./swarm.js')).printSwarmStatus(ctx);
      const report = await status(await options(ctx, {}));
      const out = ctx.out;
      if (report.health === 'down') process.exitCode = 1;
      ctx.out.result(() => {
        const rows = [['#', 'MILESTONE', 'STATUS', 'EVIDENCE']];
        for (const m of report.milestones) rows.push([String(m.number), m.id, m.status, m.record ?? '-']);
        const rel = [['RELEASE', 'STATUS', 'UPLOADED', 'HEALTHY AT']];
        for (const r of report.releases) rel.push([`${r.id}${r.id === report.current ? ' (current)' : ''}${r.id === report.lastKnownGood && report.health !== 'down' ? ' (last good)' : ''}`, r.id === report.current && report.health !== 'healthy' ? `${r.status} (${report.health})` : r.status, r.uploadedAt, r.healthyAt ?? '-']);
        const word = { healthy: out.paint('green', 'healthy'), down: out.paint('red', 'DOWN'), ungated: out.paint('yellow', 'NOT GATED'), none: 'no release yet' }[report.health];
        return [
          `Release of this source: ${report.release}; current on ${report.target}: ${report.current ?? 'none'}${report.live && report.live !== report.current ? `; running from ${report.live}` : ''}`,
          `Stack: ${word}${report.healthReason ? ` — ${report.healthReason}` : ''}`,
          ...(report.down ? ['To recover:', ...report.down.recovery.map((c) => `  ${c}`)] : []),
          '',
          table(rows),
          '',
          report.releases.length ? table(rel) : 'No releases on this target yet.',
          ...(report.inProgress ? ['', `A deploy of ${report.inProgress.release} is in progress (pid ${report.inProgress.pid} on ${report.inProgress.host}).`] : []),
          ...(report.interrupted ? ['', `A deploy of ${report.interrupted.release} was interrupted (pid ${report.interrupted.pid} on ${report.interrupted.host} is gone); the next \`shipproof deploy\` reconciles it.`] : []),
        ].join('\n');
      }, report);
    });

  const lock = program.command('lock').description('the deploy lock on the target: status, acquire, release');
  const lockTarget = async (ctx: CommandContext) => {
    const config = await loadCommandConfig(ctx);
    const t = resolveTargetName(config, ctx.options.target);
    return { host: createTarget(t, { acceptNewHostKey: ctx.options.acceptNewHostKey }), l: layout(t.appDir) };
  };
  lock
    .command('status')
    .description('who holds the lock, since when, for which release')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { host, l } = await lockTarget(ctx);
      try {
        const s = await lockStatus(host, l);
        ctx.out.result(
          () =>
            s.held
              ? `held by ${s.holder ? `${s.holder.operator}@${s.holder.host} (pid ${s.holder.pid}) since ${s.holder.since}${s.holder.release ? `, release ${s.holder.release}` : ''}${s.holder.message ? ` — "${s.holder.message}"` : ''}` : 'an unknown holder'}${s.stale ? ' — STALE: that process is gone' : ''}`
              : 'free',
          s,
        );
      } finally {
        await host.close();
      }
    });
  lock
    .command('acquire')
    .description('take the lock by hand (e.g. for maintenance)')
    .option('-m, --message <text>', 'why')
    .action(async (o: { message?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { host, l } = await lockTarget(ctx);
      try {
        const me = await acquireLock(host, l, { manual: true, ...(o.message ? { message: o.message } : {}) });
        ctx.out.result(() => `lock taken on ${host.description}; release it with \`shipproof lock release --force\``, { holder: me });
      } finally {
        await host.close();
      }
    });
  lock
    .command('release')
    .description('release the lock (--force to break one held by someone else)')
    .option('--force', 'break a lock held by another deploy')
    .action(async (o: { force?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { host, l } = await lockTarget(ctx);
      try {
        const released = await releaseLock(host, l, { force: o.force === true });
        ctx.out.result(() => (released ? 'lock released' : 'the lock was not held'), { released });
        if (!released) process.exitCode = ExitCode.ok;
      } finally {
        await host.close();
      }
    });
}
