// `shipproof backup audit | run | list | prune | status | keygen`: the CLI over src/backup.
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { resolveComposeTarget, type ResolvedConfig, type ResolvedTarget } from '../../config/load.js';
import { Docker } from '../../docker/docker.js';
import { ExitCode, UsageError } from '../../errors.js';
import { createTarget } from '../../targets/create.js';
import type { Target } from '../../targets/target.js';
import {
  backupAudit,
  auditExplanation,
  backupStatus,
  formatAge,
  listBackups,
  newIdentity,
  parseAge,
  pruneBackups,
  type PruneResult,
  resolveBackupSettings,
  runBackups,
  type BackupSettings,
  type OffsiteDestination,
} from '../../backup/index.js';
import { recordEvidence } from '../../evidence/record.js';
import { loadCommandConfig } from '../config.js';
import { contextOf, type CommandContext } from '../context.js';
import { table, type Output } from '../output.js';
import { Progress } from '../progress.js';

export interface Session {
  config: ResolvedConfig;
  target: ResolvedTarget;
  host: Target;
  docker: Docker;
}

/** Loads the config, opens the target; `fn` runs with it and the connection is closed after. */
export async function withSession<T>(ctx: CommandContext, fn: (s: Session) => Promise<T>): Promise<T> {
  const config = await loadCommandConfig(ctx);
  const target = resolveComposeTarget(config, ctx.options.target);
  const host = createTarget(target, { acceptNewHostKey: ctx.options.acceptNewHostKey });
  try {
    return await fn({ config, target, host, docker: new Docker(host) });
  } finally {
    await host.close();
  }
}

export function humanBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '?';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function intOption(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} "${text}" is not a whole number of at least 1.`);
  return Number(text);
}

function numberOption(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} "${text}" is not a number above 0.`);
  return n;
}

interface SettingFlags {
  keep?: string;
  keepDays?: string;
  volumeImage?: string;
  sqliteImage?: string;
  encryptTo?: string[];
  offsitePull?: string[];
  offsitePush?: string[];
}

/** Command-line overrides of the backups settings in shipproof.yaml. */
export function settingsFromFlags(f: SettingFlags): Partial<BackupSettings> {
  const offsite: OffsiteDestination[] = [
    ...(f.offsitePull ?? []).map((dir): OffsiteDestination => ({ kind: 'pull', dir })),
    ...(f.offsitePush ?? []).map((spec): OffsiteDestination => {
      const [target, ...dir] = spec.split(':');
      if (!target) throw new UsageError(`--offsite-push "${spec}" names no target.`, { hint: 'Use --offsite-push <target>[:<dir>].' });
      return dir.length ? { kind: 'push', target, dir: dir.join(':') } : { kind: 'push', target };
    }),
  ];
  const keep = intOption(f.keep, '--keep');
  const keepDays = numberOption(f.keepDays, '--keep-days');
  return {
    ...(keep !== undefined ? { keep } : {}),
    ...(keepDays !== undefined ? { keepDays } : {}),
    ...(f.volumeImage ? { volumeImage: f.volumeImage } : {}),
    ...(f.sqliteImage ? { sqliteImage: f.sqliteImage } : {}),
    ...(f.encryptTo?.length ? { encryptTo: f.encryptTo } : {}),
    ...(offsite.length ? { offsite } : {}),
  };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function addSettingFlags(cmd: Command): Command {
  return cmd
    .option('--encrypt-to <recipient>', 'encrypt to this age recipient (age1…); repeatable; overrides backups.encryptTo', collect)
    .option('--volume-image <image>', 'helper image for volume archives (needs sh and tar; default busybox:1.36)')
    .option('--sqlite-image <image>', 'helper image with sqlite3, sh and tar, for SQLite services whose container lacks them')
    .option('--offsite-pull <dir>', 'also copy each backup to this folder on this machine (verified by sha256); repeatable', collect)
    .option('--offsite-push <target[:dir]>', 'also copy each backup to another target from shipproof.yaml; repeatable', collect);
}

/** Retention of the S3 copies, one line per copy considered for deletion. */
function s3PruneLines(r: PruneResult, out: Output): string[] {
  return (r.s3 ?? []).flatMap((d) => {
    if (d.error) return [out.paint('red', `${d.destination}: could not prune (${d.error})`)];
    const lines = d.plan.decisions
      .filter((x) => x.action === 'delete')
      .map((x) => {
        const o = d.outcomes.find((y) => y.id === x.id);
        const state = d.dryRun ? 'would delete' : (o?.status ?? 'not deleted');
        return `${d.destination} ${x.id}: ${out.paint(state === 'deleted' || state === 'retained' ? 'yellow' : state === 'would delete' ? 'yellow' : 'red', state)}${o && o.status !== 'deleted' ? ` (${o.reason})` : ''}`;
      });
    return [...lines, `${d.destination}: kept ${d.plan.decisions.filter((x) => x.action === 'keep').length}`];
  });
}

function paintStatus(out: Output, status: string): string {
  const color = status === 'passed' || status === 'pass' || status === 'fresh' || status === 'verified' ? 'green' : status === 'skipped' || status === 'keep' ? 'yellow' : 'red';
  return out.paint(color, status);
}

export function registerBackup(program: Command): void {
  const backup = program.command('backup').description('back up stateful services: audit, run, list, prune, status');

  backup
    .command('audit')
    .description('read-only: the stateful services found, their engine class and procedure, data size, newest backup and rehearsal')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      await withSession(ctx, async (s) => {
        const report = await backupAudit(s);
        ctx.out.result(() => {
          if (report.rows.length === 0) return auditExplanation(report).join('\n');
          const rows = [['SERVICE', 'ENGINE', 'FROM', 'VOLUMES', 'DATA', 'NEWEST BACKUP', 'AGE', 'REHEARSED', 'PROCEDURE']];
          for (const r of report.rows) {
            rows.push([
              r.service,
              `${r.engine}${r.tested ? '' : ' (untested)'}`,
              r.source,
              [...r.volumes, ...r.binds].join(',') || '-',
              humanBytes(r.dataBytes),
              r.newest ? `${r.newest.id}${r.newest.encrypted ? ' (age)' : ''}` : ctx.out.paint('red', 'none'),
              r.newest ? formatAge(r.newest.ageMs) : '-',
              r.rehearsal ? (r.rehearsal.ofNewest ? ctx.out.paint('green', 'yes (newest)') : ctx.out.paint('yellow', 'an older one')) : ctx.out.paint('red', 'no'),
              r.procedure + (r.stop ? ' [service stopped during backup]' : ''),
            ]);
          }
          const extra = [
            ...auditExplanation(report),
            ...(report.folderExists ? [] : [`The backups folder ${report.backupsDir} does not exist yet.`]),
            ...(report.orphans.length ? [`Files without a manifest (not backups): ${report.orphans.join(', ')}`] : []),
            ...(report.unreadable.length ? [`Unreadable records: ${report.unreadable.join(', ')}`] : []),
          ];
          return [table(rows), ...extra].join('\n');
        }, report);
      });
    });

  addSettingFlags(
    backup
      .command('run')
      .description('back up the stateful services (all, or those named): streamed, checked, 0600 files with manifests; writes evidence')
      .argument('[services...]', 'compose service names (default: every stateful service)')
      .option('--allow-untested', 'also run engine procedures no test covers yet (mongodb, vault, minio)')
      .option('--no-prune', 'do not apply the retention policy afterwards')
      .option('--no-offsite', 'do not copy off-site afterwards')
      .option('--keep <n>', 'retention: keep the newest n backups per service (overrides backups.keep)')
      .option('--keep-days <days>', 'retention: keep backups younger than this many days'),
  ).action(async (services: string[], flags: SettingFlags & { allowUntested?: boolean; prune: boolean; offsite: boolean }, cmd: Command) => {
    const ctx = contextOf(cmd);
    await withSession(ctx, async (s) => {
      const progress = new Progress(ctx.out, `backing up on ${s.target.name}`, ctx.options.json);
      const settings = settingsFromFlags(flags);
      resolveBackupSettings(s.config, settings); // bad flags fail before anything runs
      const result = await runBackups({
        ...s,
        services,
        settings,
        allowUntested: flags.allowUntested === true,
        prune: flags.prune,
        offsite: flags.offsite,
        onProgress: (l) => progress.tick(l),
      }).finally(() => progress.stop());
      const { entry } = await recordEvidence(result.statement, { config: s.config });
      ctx.out.result(() => {
        const rows = [['SERVICE', 'ENGINE', 'STATUS', 'FILE', 'SIZE', 'COUNTS / WHY']];
        for (const b of result.backups) {
          const counts = b.manifest ? Object.entries(b.result.observations).filter(([k]) => k.startsWith('count.')).map(([k, v]) => `${k.slice(6)} ${String(v)}`).join(', ') : '';
          rows.push([b.service, b.engine, paintStatus(ctx.out, b.status), b.manifest?.file ?? '-', humanBytes(b.manifest?.bytes), b.reason ?? counts]);
        }
        const lines = [table(rows)];
        for (const x of result.offsite) lines.push(`off-site ${x.destination}: ${paintStatus(ctx.out, x.status)}${x.reason ? ` (${x.reason})` : ''}`);
        if (result.prune) lines.push(`retention: deleted ${result.prune.deleted.length}, kept ${result.prune.plan.decisions.filter((d) => d.action === 'keep').length}`);
        for (const n of result.notes) lines.push(`note: ${n}`);
        lines.push(`evidence #${entry.seq}: ${entry.record}`);
        return lines.join('\n');
      }, { ok: result.ok, backups: result.backups.map(({ result: _r, ...b }) => b), offsite: result.offsite, prune: result.prune, notes: result.notes, evidence: { seq: entry.seq, record: entry.record } });
      if (!result.ok) process.exitCode = ExitCode.checkFailed;
    });
  });

  backup
    .command('list')
    .description('the backups on the target, newest first, with their rehearsal and off-site status')
    .argument('[service]', 'only this service')
    .action(async (service: string | undefined, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      await withSession(ctx, async (s) => {
        const folder = await listBackups(s);
        const backups = folder.backups.filter((b) => service === undefined || b.manifest.service === service);
        ctx.out.result(() => {
          if (!folder.exists) return `The backups folder ${folder.dir} does not exist yet: run \`shipproof backup run\`.`;
          if (backups.length === 0) return 'No backups yet.';
          const rows = [['BACKUP', 'CREATED (UTC)', 'SIZE', 'ENCRYPTED', 'STATE', 'REHEARSAL', 'OFF-SITE']];
          for (const b of backups) {
            rows.push([
              b.manifest.file,
              b.manifest.createdAt.replace('.000Z', 'Z'),
              humanBytes(b.manifest.bytes),
              b.manifest.encryption ? 'age' : 'no',
              b.complete ? 'complete' : ctx.out.paint('red', `broken: ${b.problem ?? ''}`),
              b.rehearsal ? paintStatus(ctx.out, b.rehearsal.status) : '-',
              b.offsite ? b.offsite.copies.map((c) => `${c.destination} ${c.status}`).join('; ') : '-',
            ]);
          }
          return [table(rows), ...(folder.orphans.length ? [`not backups (no manifest): ${folder.orphans.map((o) => o.name).join(', ')}`] : [])].join('\n');
        }, { dir: folder.dir, exists: folder.exists, backups: backups.map((b) => ({ ...b, manifest: { ...b.manifest, fingerprint: undefined } })), orphans: folder.orphans });
      });
    });

  backup
    .command('prune')
    .description('apply retention (keep the newest n and/or n days, from manifest timestamps); never the newest backup')
    .argument('[services...]', 'only these services')
    .option('--keep <n>', 'keep the newest n backups per service (overrides backups.keep)')
    .option('--keep-days <days>', 'keep backups younger than this many days')
    .option('--dry-run', 'show what would be deleted and delete nothing')
    .option('--force', 'prune even after a failed run or a suspicious drop in size or counts')
    .action(async (services: string[], flags: { keep?: string; keepDays?: string; dryRun?: boolean; force?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      await withSession(ctx, async (s) => {
        const settings = settingsFromFlags(flags);
        const r = await pruneBackups({ ...s, settings, services, dryRun: flags.dryRun === true, force: flags.force === true });
        ctx.out.result(() => {
          const rows = [['BACKUP', 'ACTION', 'WHY']];
          for (const d of r.plan.decisions) {
            const action = d.action === 'delete' ? (r.dryRun ? 'would delete' : r.deleted.includes(d.id) ? 'deleted' : 'delete failed') : 'keep';
            rows.push([d.id, action === 'keep' ? 'keep' : ctx.out.paint(action === 'delete failed' ? 'red' : 'yellow', action), d.reason]);
          }
          return [
            r.plan.decisions.length ? table(rows) : 'No backups to consider.',
            ...r.plan.refused.map((x) => ctx.out.paint('red', `not pruned: ${x.reason}`)),
            ...s3PruneLines(r, ctx.out),
            ...(r.dryRun ? ['dry run: nothing was deleted'] : []),
          ].join('\n');
        }, r);
        if (r.failed.length || r.plan.refused.length || r.s3?.some((x) => x.error || x.outcomes.some((y) => y.status === 'failed'))) process.exitCode = ExitCode.checkFailed;
      });
    });

  backup
    .command('status')
    .description('exit 1 when the newest backup of a stateful service is older than --max-age, missing, or dated in the future')
    .option('--max-age <age>', 'e.g. 26h, 2d (default: backups.maxAge, else 26h)')
    .action(async (flags: { maxAge?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      await withSession(ctx, async (s) => {
        const maxAgeMs = flags.maxAge ? parseAge(flags.maxAge, '--max-age') : resolveBackupSettings(s.config).maxAgeMs;
        const r = await backupStatus({ ...s, maxAgeMs });
        ctx.out.result(() => {
          if (r.rows.length === 0) return 'No service keeps data that needs a backup (see `shipproof backup audit` for why).';
          const rows = [['SERVICE', 'ENGINE', 'STATE', 'NEWEST', 'WHY']];
          for (const x of r.rows) rows.push([x.service, x.engine, paintStatus(ctx.out, x.state), x.newest?.id ?? '-', x.reason]);
          return table(rows);
        }, { ...r, maxAgeMs });
        if (!r.ok) process.exitCode = ExitCode.checkFailed;
      });
    });

  backup
    .command('keygen')
    .description('create an age identity for encrypted backups: the private key goes to a 0600 file, the recipient is printed')
    .requiredOption('-o, --out <file>', 'where to write the identity (must not exist)')
    .action(async (flags: { out: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { identity, recipient } = await newIdentity();
      try {
        await writeFile(flags.out, `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`, { mode: 0o600, flag: 'wx' });
      } catch (e) {
        throw new UsageError(`Cannot write ${flags.out} (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, { hint: 'Choose a file that does not exist yet.' });
      }
      ctx.out.result(() => `identity written to ${flags.out} (keep it off the server); recipient: ${recipient}\nadd it to shipproof.yaml under backups.encryptTo, or pass --encrypt-to ${recipient}`, { identityFile: flags.out, recipient });
    });
}
