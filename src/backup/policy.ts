// Backup-before-apply: before deploy changes a stateful service (image, volumes, command,
// environment), a backup of it newer than maxAge must exist, or one is taken first. Policy
// `auto` takes one, `require` refuses, `off` needs a reason, which is recorded in the evidence.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { Docker } from '../docker/docker.js';
import { UsageError } from '../errors.js';
import type { CheckResult } from '../evidence/predicate-schema.js';
import type { Target } from '../targets/target.js';
import { formatAge, freshness, newestVerified, type FreshnessState } from './audit.js';
import { loadStateful } from './live.js';
import { runBackups, type BackupRunResult } from './run.js';
import { DEFAULT_REUSE_WITHIN_MS, type BackupSettings, type BeforeApplyPolicy } from './settings.js';
import { readBackupsFolder } from './store.js';

export interface EnsureFreshBackupOptions {
  config: ResolvedConfig;
  target: ResolvedTarget;
  host: Target;
  docker: Docker;
  /** The services the deploy is about to change; those that hold no data are ignored. */
  services: string[];
  maxAgeMs: number;
  /** auto reuses a backup of the service only when it is younger than this (default 15 min). */
  reuseWithinMs?: number;
  policy: BeforeApplyPolicy;
  /** Required with policy "off": why changing stateful services without a backup is acceptable. */
  reason?: string;
  now?: Date;
  encryptTo?: string[];
  settings?: Partial<BackupSettings>;
  onProgress?: (line: string) => void;
}

export interface ServiceDecision {
  service: string;
  /** What was found before acting. */
  found: FreshnessState;
  /** fresh: a backup new enough exists; taken: one was taken now; refused/failed: none; off: not checked. */
  outcome: 'fresh' | 'taken' | 'refused' | 'failed' | 'off';
  backup?: { id: string; createdAt: string };
  reason: string;
}

export interface EnsureFreshBackupResult {
  ok: boolean;
  policy: BeforeApplyPolicy;
  reason?: string;
  decisions: ServiceDecision[];
  /** Services named that hold no data. */
  ignored: string[];
  /** The backup run, when policy auto took backups. */
  run?: BackupRunResult;
  /** For the caller's evidence: one result per decision (plus the run's own results when it ran). */
  results: CheckResult[];
}

export async function ensureFreshBackup(o: EnsureFreshBackupOptions): Promise<EnsureFreshBackupResult> {
  const now = o.now ?? new Date();
  const { stateful } = await loadStateful(o.config);
  const affected = stateful.filter((s) => o.services.includes(s.service));
  const ignored = o.services.filter((name) => !affected.some((s) => s.service === name));
  const result = (decisions: ServiceDecision[], run?: BackupRunResult): EnsureFreshBackupResult => {
    const results: CheckResult[] = decisions.map((d) => ({
      id: `backup-before-apply.${d.service}`.slice(0, 80),
      title: `Backup before changing ${d.service}`,
      gate: true,
      status: d.outcome === 'fresh' || d.outcome === 'taken' ? 'pass' : d.outcome === 'off' ? 'skipped' : 'fail',
      ...(d.outcome === 'fresh' || d.outcome === 'taken' ? {} : { reason: d.reason }),
      observations: {
        policy: o.policy,
        found: d.found,
        outcome: d.outcome,
        backup: d.backup?.id ?? null,
        safetyBackup: d.backup ? `${d.backup.id} (${d.outcome === 'taken' ? 'taken for this change' : 'reused'}, created ${d.backup.createdAt})` : null,
        maxAgeHours: Math.round(o.maxAgeMs / 36_000) / 100,
        ...(o.policy === 'auto' ? { reuseWithinMinutes: Math.round((o.reuseWithinMs ?? DEFAULT_REUSE_WITHIN_MS) / 600) / 100 } : {}),
      },
      commands: [],
    }));
      for (const d of decisions) o.onProgress?.(describeDecision(d));
    return {
      ok: decisions.every((d) => d.outcome !== 'refused' && d.outcome !== 'failed'),
      policy: o.policy,
      ...(o.reason ? { reason: o.reason } : {}),
      decisions,
      ignored,
      ...(run ? { run } : {}),
      results: [...results, ...(run?.results ?? [])],
    };
  };

  if (o.policy === 'off') {
    if (o.reason === undefined || o.reason.trim() === '') {
      throw new UsageError('Backup-before-apply is off, and that needs a reason.', { hint: 'Give the reason (it is recorded in the evidence), or use policy auto or require.' });
    }
    return result(affected.map((s) => ({ service: s.service, found: 'missing', outcome: 'off', reason: `backup-before-apply is off: ${o.reason}` })));
  }

  const folder = await readBackupsFolder(o.host, o.target.backupsDir);
  const decisions: ServiceDecision[] = [];
  const missing: string[] = [];
  // auto takes a backup for this change unless one of the same service was taken moments ago
  // (reuseWithin, default 15 min, and never beyond maxAge); require only checks for one within maxAge.
  const reuseMs = o.policy === 'auto' ? Math.min(o.reuseWithinMs ?? DEFAULT_REUSE_WITHIN_MS, o.maxAgeMs) : o.maxAgeMs;
  for (const s of affected) {
    const newest = newestVerified(folder, s.service);
    const f = freshness(newest, now, reuseMs);
    if (f.state === 'fresh' && newest) {
      decisions.push({
        service: s.service,
        found: 'fresh',
        outcome: 'fresh',
        backup: { id: newest.manifest.id, createdAt: newest.manifest.createdAt },
        reason: o.policy === 'auto' ? `reusing ${newest.manifest.id}, taken ${formatAge(now.getTime() - Date.parse(newest.manifest.createdAt))} ago (within reuseWithin ${formatAge(reuseMs)})` : f.reason,
      });
    } else {
      missing.push(s.service);
      decisions.push({ service: s.service, found: f.state, outcome: 'refused', reason: `${f.reason}; policy ${o.policy}` });
    }
  }
  if (missing.length === 0 || o.policy === 'require') {
    for (const d of decisions) if (d.outcome === 'refused') d.reason = `${d.reason}: refusing to change ${d.service} without a backup newer than the configured age`;
    return result(decisions);
  }
  o.onProgress?.(`backup-before-apply: taking a backup of ${missing.join(', ')}`);
  const run = await runBackups({
    config: o.config,
    target: o.target,
    host: o.host,
    docker: o.docker,
    services: missing,
    now,
    prune: false,
    ...(o.encryptTo ? { encryptTo: o.encryptTo } : {}),
    ...(o.settings ? { settings: o.settings } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  for (const d of decisions) {
    if (d.outcome !== 'refused') continue;
    const b = run.backups.find((x) => x.service === d.service);
    if (b?.status === 'passed' && b.manifest) {
      d.outcome = 'taken';
      d.backup = { id: b.manifest.id, createdAt: b.manifest.createdAt };
      d.reason = 'a backup was taken before the change';
    } else {
      d.outcome = 'failed';
      d.reason = `the backup before the change failed: ${b?.reason ?? 'it did not run'}`;
    }
  }
  return result(decisions, run);
}

/** One line for the terminal naming the safety backup (or why there is none). */
export function describeDecision(d: ServiceDecision): string {
  if (d.outcome === 'taken') return `safety backup of ${d.service}: ${d.backup?.id ?? '?'} (taken for this change)`;
  if (d.outcome === 'fresh') return `safety backup of ${d.service}: ${d.backup?.id ?? '?'} (${d.reason})`;
  return `no safety backup of ${d.service}: ${d.reason}`;
}
