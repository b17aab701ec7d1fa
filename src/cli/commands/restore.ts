// `shipproof restore <backup> --rehearse | --into <service>`.
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import { prepareRestoreInto, readIdentityFile, rehearseRestore, restoreInto, restorePlan, stageFromS3, type StagedBackup } from '../../backup/index.js';
import { recordEvidence } from '../../evidence/record.js';
import { contextOf } from '../context.js';
import { table } from '../output.js';
import { Progress } from '../progress.js';
import { terminalConfirm } from '../prompt.js';
import { settingsFromFlags, withSession } from './backup.js';

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('prove a backup restores (--rehearse: a scratch container, never the live service), or restore it into a service (--into)')
    .argument('<backup>', 'backup id, file name or manifest (see `shipproof backup list`)')
    .option('--rehearse', 'restore into a scratch container of the same image and compare with the fingerprint taken at backup time (default)')
    .option('--into <service>', 'restore into this live service: asks first, and takes a fresh backup of it before')
    .option('--identity <file>', 'age identity file, for an encrypted backup (read here, never sent anywhere)')
    .option('--from-offsite [destination]', 'use the S3 off-site copy (streamed here, verified by size and sha256 before use); <backup> may be a service name: its newest verified copy')
    .option('-y, --yes', 'do not ask before restoring into a live service')
    .option('--dry-run', 'with --into: check the backup (exists, complete, sha256) and print each step the restore would take; change nothing, record nothing')
    .option('--volume-image <image>', 'helper image for the backup taken before a restore into a volume service')
    .action(async (refArg: string, flags: { rehearse?: boolean; into?: string; identity?: string; yes?: boolean; volumeImage?: string; fromOffsite?: string | boolean; dryRun?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      let ref = refArg;
      if (flags.rehearse && flags.into) throw new UsageError('Use either --rehearse or --into <service>, not both.');
      if (flags.dryRun && !flags.into) throw new UsageError('--dry-run shows a restore into a live service: add --into <service>.', { hint: 'A rehearsal (--rehearse) never touches the live service; it runs in a scratch container and is removed after.' });
      if (flags.dryRun && flags.fromOffsite !== undefined && flags.fromOffsite !== false) throw new UsageError('--dry-run reads the backup on the server; it cannot be combined with --from-offsite.');
      const identity = flags.identity ? await readIdentityFile(flags.identity) : undefined;
      await withSession(ctx, async (s) => {
        if (flags.dryRun && flags.into) {
          // Reads only (the backups folder, the file's sha256): no consent, no record.
          const service = flags.into;
          const p = await prepareRestoreInto({ ...s, backup: ref, service, ...(identity ? { identity } : {}) });
          const steps = restorePlan({ target: s.target, service }, p);
          ctx.out.result(
            () => [`restore ${p.backup.manifest.id} into ${service} on ${s.target.name} (dry run: nothing changed)`, ...steps.map((x, i) => `  ${i + 1}. ${x.step}: ${x.what}`)].join('\n'),
            { dryRun: true, backup: p.backup.manifest.id, service, target: s.target.name, steps },
          );
          return;
        }
        const progress = new Progress(ctx.out, flags.into ? `restoring into ${flags.into}` : 'rehearsing the restore', ctx.options.json);
        let staged: StagedBackup | undefined;
        if (flags.fromOffsite !== undefined && flags.fromOffsite !== false) {
          staged = await stageFromS3({ ...s, ref, ...(typeof flags.fromOffsite === 'string' ? { from: flags.fromOffsite } : {}), onProgress: (l) => progress.tick(l) }).catch((e: unknown) => {
            progress.stop();
            throw e;
          });
          ref = staged.backup.manifest.id;
        }
        const prelude = staged ? { prelude: [staged.result] } : {};
        try {
        if (flags.into) {
          const confirm = terminalConfirm();
          const r = await restoreInto({
            ...s,
            backup: ref,
            service: flags.into,
            ...(identity ? { identity } : {}),
            yes: flags.yes === true,
            ...(confirm ? { confirm } : {}),
            settings: settingsFromFlags(flags),
            ...prelude,
            onProgress: (l) => progress.tick(l),
          }).finally(() => progress.stop());
          const { entry } = await recordEvidence(r.statement, { config: s.config });
          ctx.out.result(() => {
            const rows = [['STEP', 'STATUS', 'WHY']];
            for (const x of r.results) rows.push([x.id, ctx.out.paint(x.status === 'pass' ? 'green' : 'red', x.status), x.reason ?? '']);
            return [
              table(rows),
              `${r.ok ? ctx.out.paint('green', 'restored') : ctx.out.paint('red', 'restore failed')}: ${r.backup.manifest.id} into ${flags.into}`,
              r.safetyBackup ? `safety backup: ${r.safetyBackup} (restore it to undo: shipproof restore ${r.safetyBackup} --into ${flags.into})` : 'safety backup: none (the backup before the restore failed)',
              `evidence #${entry.seq}: ${entry.record}`,
            ].join('\n');
          }, { ok: r.ok, backup: r.backup.manifest.id, safetyBackup: r.safetyBackup ?? null, results: r.results, mismatches: r.mismatches, evidence: { seq: entry.seq, record: entry.record } });
          if (!r.ok) process.exitCode = ExitCode.checkFailed;
          return;
        }
        const r = await rehearseRestore({ ...s, backup: ref, ...(identity ? { identity } : {}), ...prelude, onProgress: (l) => progress.tick(l) }).finally(() => progress.stop());
        const { entry } = await recordEvidence(r.statement, { config: s.config });
        ctx.out.result(() => {
          const rows = [['STEP', 'STATUS', 'WHY']];
          for (const x of r.results) rows.push([x.title, ctx.out.paint(x.status === 'pass' ? 'green' : x.status === 'skipped' ? 'yellow' : 'red', x.status), x.reason ?? '']);
          const verdict = r.ok
            ? ctx.out.paint('green', `proved: ${r.backup.manifest.id} restores and matches its fingerprint`)
            : ctx.out.paint('red', `not proved: ${r.backup.manifest.id}`);
          return [table(rows), ...r.mismatches.slice(0, 20).map((m) => `  differs: ${m}`), verdict, `evidence #${entry.seq}: ${entry.record}`].join('\n');
        }, { ok: r.ok, backup: r.backup.manifest.id, results: r.results, mismatches: r.mismatches, leftovers: r.leftovers, evidence: { seq: entry.seq, record: entry.record } });
        if (!r.ok) process.exitCode = ExitCode.checkFailed;
        } finally {
          await staged?.remove();
        }
      });
    });
}
