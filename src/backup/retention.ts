// Retention: which backups to keep and which to delete, decided purely from manifest timestamps
// (never file mtimes), then applied. It never deletes the newest complete backup of a service,
// never prunes a service whose last run failed or whose newest backup shrank suspiciously
// against the one before (size or row/key/file count), unless forced, and keeps a backup whose
// off-site copy is required but not yet verified.
import type { Target } from '../targets/target.js';
import { removeFilesCommand } from './commands.js';
import { fingerprintVolume } from './fingerprint/types.js';
import { checksumName, manifestName, offsiteName, rehearsalName } from './naming.js';
import type { BackupsFolder, ListedBackup } from './store.js';

export interface RetentionPolicy {
  keep?: number;
  keepDays?: number;
  /** Below this fraction of the previous backup (size or count), the newest is suspicious. */
  dropThreshold: number;
  /** Off-site destinations (labels) each backup must have a verified copy on before it may go. */
  requireOffsite: readonly string[];
}

export interface PruneDecision {
  id: string;
  service: string;
  createdAt: string;
  action: 'keep' | 'delete';
  reason: string;
}

export interface PrunePlan {
  decisions: PruneDecision[];
  /** Services not pruned at all, and why. */
  refused: { service: string; reason: string }[];
}

const DAY = 86_400_000;

/** Why the newest backup looks like data went missing, or undefined. */
export function suspiciousDrop(newest: ListedBackup, previous: ListedBackup | undefined, threshold: number): string | undefined {
  if (!previous) return undefined;
  const n = newest.manifest;
  const p = previous.manifest;
  if (p.rawBytes > 0 && n.rawBytes < p.rawBytes * threshold) {
    return `the newest backup (${n.id}) holds ${n.rawBytes} bytes of data, under ${Math.round(threshold * 100)}% of the ${p.rawBytes} before it`;
  }
  const nv = fingerprintVolume(n.fingerprint);
  const pv = fingerprintVolume(p.fingerprint);
  if (nv !== undefined && pv !== undefined && pv > 0 && nv < pv * threshold) {
    return `the newest backup (${n.id}) counts ${nv} rows/keys/files, under ${Math.round(threshold * 100)}% of the ${pv} before it`;
  }
  return undefined;
}

export function planPrune(folder: BackupsFolder, policy: RetentionPolicy, now: Date, o: { force?: boolean; services?: readonly string[] } = {}): PrunePlan {
  const plan: PrunePlan = { decisions: [], refused: [] };
  const complete = folder.backups.filter((b) => b.complete);
  const services = [...new Set(complete.map((b) => b.manifest.service))].filter((s) => o.services === undefined || o.services.length === 0 || o.services.includes(s));
  for (const service of services.sort()) {
    const mine = complete.filter((b) => b.manifest.service === service); // newest first
    const keepAll = (reason: string) => mine.forEach((b) => plan.decisions.push(decision(b, 'keep', reason)));
    if (policy.keep === undefined && policy.keepDays === undefined) {
      keepAll('no retention policy is set (keep / keepDays)');
      continue;
    }
    const last = folder.lastRuns.get(service);
    if (!o.force && last?.status === 'failed') {
      plan.refused.push({ service, reason: `the last backup run of ${service} failed (${last.at}); nothing is pruned until one succeeds` });
      keepAll('pruning refused');
      continue;
    }
    const drop = suspiciousDrop(mine[0] as ListedBackup, mine[1], policy.dropThreshold);
    if (!o.force && drop) {
      plan.refused.push({ service, reason: `${drop}; nothing is pruned (use --force if the data really shrank)` });
      keepAll('pruning refused');
      continue;
    }
    mine.forEach((b, i) => {
      const created = Date.parse(b.manifest.createdAt);
      if (i === 0) return plan.decisions.push(decision(b, 'keep', 'the newest backup of the service'));
      if (policy.keep !== undefined && i < policy.keep) return plan.decisions.push(decision(b, 'keep', `one of the newest ${policy.keep}`));
      if (policy.keepDays !== undefined && now.getTime() - created < policy.keepDays * DAY) {
        return plan.decisions.push(decision(b, 'keep', `younger than ${policy.keepDays} days`));
      }
      if (created > now.getTime()) return plan.decisions.push(decision(b, 'keep', 'dated in the future (clock skew?)'));
      const missing = policy.requireOffsite.filter((d) => !b.offsite?.copies.some((c) => c.destination === d && c.status === 'verified'));
      if (missing.length) return plan.decisions.push(decision(b, 'keep', `no verified off-site copy on ${missing.join(', ')} yet`));
      return plan.decisions.push(decision(b, 'delete', describePolicy(policy)));
    });
  }
  return plan;
}

function decision(b: ListedBackup, action: 'keep' | 'delete', reason: string): PruneDecision {
  return { id: b.manifest.id, service: b.manifest.service, createdAt: b.manifest.createdAt, action, reason };
}

function describePolicy(p: RetentionPolicy): string {
  const parts = [p.keep !== undefined ? `beyond the newest ${p.keep}` : undefined, p.keepDays !== undefined ? `older than ${p.keepDays} days` : undefined].filter(Boolean);
  return parts.join(' and ');
}

export interface PruneResult {
  plan: PrunePlan;
  dryRun: boolean;
  deleted: string[];
  failed: { id: string; reason: string }[];
  /** Retention of the S3 copies (see s3/offsite-s3.ts), one entry per destination. */
  s3?: { destination: string; dryRun: boolean; plan: PrunePlan; outcomes: ({ id: string; status: 'deleted' } | { id: string; status: 'retained' | 'failed'; reason: string })[]; error?: string }[];
}

/** Deletes what the plan says (the manifest first, so a half-deleted backup is never listed as one). */
export async function applyPrune(host: Target, folder: BackupsFolder, plan: PrunePlan, dryRun: boolean): Promise<PruneResult> {
  const result: PruneResult = { plan, dryRun, deleted: [], failed: [] };
  if (dryRun) return result;
  for (const d of plan.decisions.filter((x) => x.action === 'delete')) {
    const b = folder.backups.find((x) => x.manifest.id === d.id);
    if (!b) continue;
    const names = [manifestName(d.id), checksumName(d.id), rehearsalName(d.id), offsiteName(d.id), b.manifest.file];
    const r = await host.exec(removeFilesCommand(folder.dir, names), { reject: false, timeoutMs: 120_000 });
    if (r.exitCode === 0) result.deleted.push(d.id);
    else result.failed.push({ id: d.id, reason: r.stderr.split('\n')[0]?.slice(0, 200) || `rm exited with code ${r.exitCode}` });
  }
  return result;
}
