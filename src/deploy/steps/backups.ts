// Milestones 9 and 10: a backup of every stateful service, then a rehearsed restore of it.
import { newestVerifiedBackup, rehearseForDeploy, runBackups } from '../../backup/index.js';
import { backupRunPlan, rehearsalPlan } from '../../backup/plan.js';
import type { Step, StepContext, StepOutcome } from '../context.js';
import { meta, statefulServices } from './shared.js';

/** Backups taken by milestone 9 in this run, for milestone 10 to rehearse. */
const takenThisRun = new WeakMap<StepContext['bundle'], string[]>();

export const backupRuns: Step = {
  ...meta(9),
  changes: true,
  plan: (ctx) => backupRunPlan(ctx),
  async run(ctx): Promise<StepOutcome> {
    const services = statefulServices(ctx);
    if (services.length === 0) return { status: 'skipped', reason: 'the compose file has no stateful services', observations: {} };
    await ctx.confirm(`back up ${services.join(', ')} on ${ctx.host.description}`);
    const run = await runBackups({ config: ctx.config, target: ctx.target, host: ctx.host, docker: ctx.docker, onProgress: (l) => ctx.log(l) });
    const ids = run.backups.filter((b) => b.status === 'passed' && b.manifest).map((b) => b.manifest!.id);
    takenThisRun.set(ctx.bundle, ids);
    const observations = {
      backups: run.backups.map((b) => `${b.service}: ${b.status}${b.manifest ? ` ${b.manifest.file} ${b.manifest.bytes} bytes` : ''}`),
    };
    const failed = run.backups.filter((b) => b.status === 'failed');
    if (!run.ok || failed.length) {
      return { status: 'fail', reason: failed.map((b) => `${b.service}: ${b.reason ?? 'failed'}`).join('; ') || 'the backup run failed', observations, more: run.results };
    }
    return { status: 'pass', observations, more: run.results };
  },
};

export const restoreRehearsal: Step = {
  ...meta(10),
  changes: true,
  plan: (ctx) => rehearsalPlan(ctx),
  async run(ctx): Promise<StepOutcome> {
    const services = statefulServices(ctx);
    if (services.length === 0) return { status: 'skipped', reason: 'the compose file has no stateful services', observations: {} };
    let ids = takenThisRun.get(ctx.bundle);
    if (ids === undefined) {
      ids = [];
      for (const service of services) {
        const b = await newestVerifiedBackup({ target: ctx.target, host: ctx.host, service });
        if (b) ids.push(b.manifest.id);
      }
    }
    if (ids.length === 0) return { status: 'fail', reason: 'there is no backup to rehearse (milestone 9 has not produced one)', observations: {} };
    await ctx.confirm(`rehearse restoring ${ids.length} backup(s) into scratch containers`);
    const { humanNeeded, ...outcome } = await rehearseForDeploy({ config: ctx.config, target: ctx.target, host: ctx.host, docker: ctx.docker, ids, onProgress: (l) => ctx.log(l) });
    return humanNeeded ? { ...outcome, recordStatus: 'human_needed' } : outcome;
  },
};

