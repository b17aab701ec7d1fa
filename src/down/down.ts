// Runs the plan of `shipproof down`: under the deploy lock, (with --volumes) a fresh backup of the
// stateful services, each proved by a restore rehearsal, before anything goes; then the plan's
// commands in order; one evidence record of what was removed and kept. Releases' history (unless
// --purge) and the evidence ledger stay.
import { loadCompose } from '../compose/load.js';
import { detectStatefulServices } from '../compose/stateful.js';
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { layout, type Layout } from '../deploy/layout.js';
import { acquireLock, releaseLock } from '../deploy/lock.js';
import type { Docker } from '../docker/docker.js';
import { composeErrorLine } from '../docker/compose-error.js';
import { UsageError } from '../errors.js';
import type { CheckResult, EvidenceStatement } from '../evidence/predicate-schema.js';
import { recordEvidence } from '../evidence/record.js';
import { buildStatement } from '../evidence/statement.js';
import type { AppendedEntry } from '../evidence/store.js';
import { CommandRecorder } from '../probes/recorder.js';
import { rehearseRestore, runBackups } from '../backup/index.js';
import type { Target } from '../targets/target.js';
import { computeDownPlan, readInventory, type DownOptions, type DownPlan } from './plan.js';

export interface DownSession {
  config: ResolvedConfig;
  target: ResolvedTarget;
  host: Target;
  docker: Docker;
}

export interface DownRunOptions extends DownOptions {
  yes: boolean;
  confirm?: (question: string) => Promise<boolean>;
  onProgress?: (line: string) => void;
  lockWaitMs?: number;
}

export interface DownResult {
  ok: boolean;
  plan: DownPlan;
  results: CheckResult[];
  /** Evidence of the backups and rehearsals taken first. */
  backupEvidence: AppendedEntry[];
  evidence: AppendedEntry;
}

/** The plan only (what --dry-run prints): reads the server, changes nothing. */
export async function planDown(s: DownSession, o: DownOptions): Promise<DownPlan> {
  if (!o.volumes && o.force !== undefined) throw new UsageError('--force only applies with --volumes.');
  const compose = await loadCompose(s.config.composeFiles);
  const stateful = detectStatefulServices(compose, s.config.stateful).map((x) => x.service);
  const { inventory } = await readInventory({ ...s, statefulServices: stateful });
  return computeDownPlan(inventory, s.target.name, o);
}

function result(id: string, title: string, status: CheckResult['status'], started: number, recorder: CommandRecorder | undefined, reason?: string, observations: CheckResult['observations'] = {}): CheckResult {
  return { id, title, gate: true, status, ...(reason ? { reason } : {}), durationMs: Date.now() - started, observations, commands: recorder ? [...recorder.records] : [] };
}

/** Backup of every stateful service, then a restore rehearsal of each new backup: all must pass. */
async function verifiedBackup(s: DownSession, services: string[], o: DownRunOptions, evidence: AppendedEntry[]): Promise<CheckResult> {
  const t0 = Date.now();
  if (services.length === 0) return result('backup-first', 'fresh verified backup before removing volumes', 'pass', t0, undefined, undefined, { services: [] });
  const run = await runBackups({ ...s, services, prune: false, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  evidence.push((await recordEvidence(run.statement, { config: s.config })).entry);
  const failed = run.backups.filter((b) => b.status !== 'passed');
  if (!run.ok || failed.length) {
    const why = failed.map((b) => `${b.service}: ${b.reason ?? b.status}`).join('; ') || 'the backup run failed';
    return result('backup-first', 'fresh verified backup before removing volumes', 'fail', t0, undefined, `no volume was removed: the backup failed (${why})`);
  }
  const ids: string[] = [];
  for (const b of run.backups) {
    const id = b.manifest?.id;
    if (!id) continue;
    const r = await rehearseRestore({ ...s, backup: id, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    evidence.push((await recordEvidence(r.statement, { config: s.config })).entry);
    if (!r.ok) {
      const why = r.mismatches[0] ?? r.results.find((x) => x.status !== 'pass' && x.status !== 'skipped')?.reason ?? 'the rehearsal failed';
      return result('backup-first', 'fresh verified backup before removing volumes', 'fail', t0, undefined, `no volume was removed: the backup ${id} did not restore (${why})`);
    }
    ids.push(id);
  }
  return result('backup-first', 'fresh verified backup before removing volumes', 'pass', t0, undefined, undefined, { backups: ids, evidence: evidence.map((e) => String(e.seq)) });
}

export async function runDown(s: DownSession, o: DownRunOptions): Promise<DownResult> {
  const plan = await planDown(s, o);
  const started = new Date();
  const results: CheckResult[] = [];
  const backupEvidence: AppendedEntry[] = [];
  if (!plan.empty) {
    const question = `Take down ${plan.project} on ${s.host.description}: ${plan.steps.map((x) => x.what).join('; ')}?`;
    if (!o.yes) {
      if (!o.confirm) throw new UsageError(`shipproof down changes the server (${plan.steps.map((x) => x.id).join(', ')}) and needs your consent.`, { hint: 'Run it in a terminal to answer, or pass --yes; --dry-run shows what would go.' });
      if (!(await o.confirm(question))) throw new UsageError('Not taken down: you declined.', { hint: 'Nothing was changed.' });
    }
  }
  const holder = plan.empty ? undefined : await acquireLock(s.host, layoutOf(s), { message: 'shipproof down', ...(o.lockWaitMs ? { waitMs: o.lockWaitMs } : {}) });
  try {
    if (plan.backupFirst && 'forced' in plan.backupFirst) {
      results.push(result('backup-first', 'fresh verified backup before removing volumes', 'skipped', Date.now(), undefined, `skipped with --force: ${plan.backupFirst.forced}`));
    } else if (plan.backupFirst) {
      const b = await verifiedBackup(s, plan.backupFirst.services, o, backupEvidence);
      results.push(b);
    }
    const blocked = results.some((r) => r.status === 'fail');
    for (const step of plan.steps) {
      const t0 = Date.now();
      if (blocked) {
        results.push(result(step.id, step.what, 'skipped', t0, undefined, 'not run: the backup before removing volumes did not pass'));
        continue;
      }
      const recorder = new CommandRecorder(new AbortController().signal);
      o.onProgress?.(step.what);
      const r = await recorder.run(s.host, step.argv, { timeoutMs: 5 * 60_000 });
      const ok = r.exitCode === 0;
      results.push(result(step.id, step.what, ok ? 'pass' : 'fail', t0, recorder, ok ? undefined : `${step.argv.slice(0, 3).join(' ')} exited with code ${r.exitCode ?? 'none'}: ${composeErrorLine(r) ?? 'nothing printed'}`));
    }
  } finally {
    if (holder) await releaseLock(s.host, layoutOf(s), { me: holder }).catch(() => false);
  }
  const statement = downStatement(s, plan, results, started);
  const { entry } = await recordEvidence(statement, { config: s.config });
  return { ok: !results.some((r) => r.status === 'fail' || r.status === 'error'), plan, results, backupEvidence, evidence: entry };
}

function layoutOf(s: DownSession): Layout {
  return layout(s.target.appDir);
}

function downStatement(s: DownSession, plan: DownPlan, results: CheckResult[], started: Date): EvidenceStatement {
  const all = results.length ? results : [result('nothing-to-do', 'take the stack down', 'skipped', started.getTime(), undefined, 'nothing of the project was left to take down')];
  return buildStatement({
    kind: 'down',
    title: `Down: project ${plan.project} on ${s.target.name}`,
    project: s.config.project,
    target: { name: s.target.name, description: s.host.description },
    startedAt: started,
    results: all,
    subjects: [],
    notCollected: ['command output (only its sha256 and byte count)', 'volume contents'],
    notes: [...plan.keeps.map((k) => `kept: ${k}`), ...plan.notes],
  });
}
