// `shipproof down`: take the project's stack off a target. The plan is read from the server and
// printed by --dry-run; the run asks first (or --yes) and executes that same plan.
import type { Command } from 'commander';
import { parseDuration } from '../../config/duration.js';
import { ExitCode, UsageError } from '../../errors.js';
import { planDown, runDown } from '../../down/down.js';
import { renderDownPlan } from '../../down/plan.js';
import { shellJoin } from '../../shell/quote.js';
import { contextOf } from '../context.js';
import { table } from '../output.js';
import { Progress } from '../progress.js';
import { terminalConfirm } from '../prompt.js';
import { withSession } from './backup.js';

interface DownFlags {
  yes?: boolean;
  dryRun?: boolean;
  volumes?: boolean;
  purge?: boolean;
  force?: string;
  lockWait?: string;
}

export function registerDown(program: Command): void {
  program
    .command('down')
    .description("stop and remove the project's containers and networks; keeps volumes, backups, releases and the evidence ledger")
    .option('-y, --yes', 'do not ask first')
    .option('--dry-run', 'show exactly what would go and what stays, and change nothing')
    .option('--volumes', 'also remove the volumes (the data), only after a fresh backup of each stateful service passed a restore rehearsal')
    .option('--force <reason>', 'with --volumes: remove them without that backup; the reason is recorded')
    .option('--purge', "also remove the app folder (releases, env files, deploy state; never the backups) and shipproof's release images")
    .option('--lock-wait <duration>', 'wait this long for a deploy to release the lock (e.g. 5m)')
    .action(async (flags: DownFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (flags.force !== undefined && !flags.volumes) throw new UsageError('--force only applies with --volumes.', { hint: 'It skips the backup before the volumes go: `shipproof down --volumes --force "<reason>"`.' });
      if (flags.force !== undefined && flags.force.trim() === '') throw new UsageError('--force needs a reason.', { hint: 'e.g. --force "scratch stack, no data worth keeping"' });
      let lockWaitMs: number | undefined;
      if (flags.lockWait !== undefined) {
        lockWaitMs = parseDuration(flags.lockWait);
        if (lockWaitMs === undefined) throw new UsageError(`--lock-wait "${flags.lockWait}" is not a duration.`, { hint: 'Use e.g. 30s, 5m.' });
      }
      const o = { volumes: flags.volumes === true, purge: flags.purge === true, ...(flags.force !== undefined ? { force: flags.force } : {}) };
      await withSession(ctx, async (s) => {
        if (flags.dryRun) {
          const plan = await planDown(s, o);
          ctx.out.result(() => `${renderDownPlan(plan, shellJoin)}\n(dry run: nothing changed)`, { dryRun: true, plan });
          return;
        }
        const confirm = terminalConfirm();
        const progress = new Progress(ctx.out, `taking down ${s.config.project} on ${s.target.name}`, ctx.options.json);
        const r = await runDown(s, {
          ...o,
          yes: flags.yes === true,
          ...(confirm ? { confirm } : {}),
          ...(lockWaitMs !== undefined ? { lockWaitMs } : {}),
          onProgress: (l) => progress.tick(l),
        }).finally(() => progress.stop());
        ctx.out.result(
          () => {
            const rows = [['STEP', 'STATUS', 'WHAT / WHY']];
            for (const x of r.results) rows.push([x.id, ctx.out.paint(x.status === 'pass' ? 'green' : x.status === 'skipped' ? 'yellow' : 'red', x.status), x.reason ?? x.title]);
            const lines = r.results.length ? [table(rows)] : ['nothing of the project was left to take down'];
            lines.push(...r.plan.keeps.map((k) => `kept: ${k}`), ...r.plan.notes.map((n) => `note: ${n}`));
            for (const b of r.backupEvidence) lines.push(`backup evidence #${b.seq}: ${b.record}`);
            lines.push(r.ok ? ctx.out.paint('green', `${r.plan.project} is down on ${s.target.name}`) : ctx.out.paint('red', `${r.plan.project} is not (fully) down on ${s.target.name}`), `evidence #${r.evidence.seq}: ${r.evidence.record}`);
            return lines.join('\n');
          },
          { ok: r.ok, plan: r.plan, results: r.results, backupEvidence: r.backupEvidence.map((e) => ({ seq: e.seq, record: e.record })), evidence: { seq: r.evidence.seq, record: r.evidence.record } },
        );
        if (!r.ok) process.exitCode = ExitCode.checkFailed;
      });
    });
}
