// What the rest of shipproof asks of the S3 copies: which S3 destinations are configured, the
// newest verified backup of a service there, staging one onto a target (streamed, verified before
// use) for a rehearsal, a restore or a DR rehearsal, and retention of the copies by the same rule
// as on the server (never the newest verified; a version Object Lock keeps is "retained").
import type { ResolvedConfig, ResolvedTarget } from '../../config/load.js';
import type { S3Destination } from '../../config/sections/s3.js';
import { UsageError } from '../../errors.js';
import type { Target } from '../../targets/target.js';
import { removeFilesCommand } from '../commands.js';
import { checksumName, manifestName, rehearsalName } from '../naming.js';
import { planPrune, type PrunePlan } from '../retention.js';
import type { BackupSettings } from '../settings.js';
import { readBackupsFolder, type ListedBackup } from '../store.js';
import type { CheckResult } from '../../evidence/predicate-schema.js';
import { openS3, s3Label, s3Reason, type S3Handle } from './client.js';
import { deleteS3Backup, fetchFromS3, listS3Backups, s3AsFolder, type S3Backup, type S3DeleteOutcome } from './store-s3.js';

export function s3Destinations(config: ResolvedConfig): S3Destination[] {
  return (config.backups.offsite ?? []).flatMap((d) => (d.kind === 's3' ? [d.s3] : []));
}

/** The S3 destination `from` names (its label, bucket, or bucket/prefix); the only one when omitted. */
export function pickS3Destination(config: ResolvedConfig, from?: string): S3Destination {
  const all = s3Destinations(config);
  if (all.length === 0) throw new UsageError('No S3 off-site destination is configured.', { hint: 'Add backups.offsite: [{ s3: { endpoint:, bucket:, … } }] to shipproof.yaml.' });
  if (from === undefined || from === '' || from === 's3') {
    if (all.length > 1) throw new UsageError(`There are ${all.length} S3 destinations; name one.`, { hint: `One of: ${all.map(s3Label).join(', ')}` });
    return all[0] as S3Destination;
  }
  const hit = all.find((d) => [s3Label(d), `s3:${d.bucket}`, d.bucket, `${d.bucket}/${d.prefix}`].includes(from));
  if (!hit) throw new UsageError(`No S3 destination "${from}" in backups.offsite.`, { hint: `One of: ${all.map(s3Label).join(', ')}` });
  return hit;
}

/** Finds a backup in S3 by id, file name, or service name (then: its newest verified backup). */
export function findS3Backup(backups: readonly S3Backup[], ref: string): S3Backup | undefined {
  const base = ref.split('/').pop() ?? ref;
  const exact = backups.find((b) => b.manifest.id === base || b.manifest.file === base || manifestName(b.manifest.id) === base);
  return exact ?? backups.find((b) => b.manifest.service === ref && b.verified !== undefined);
}

export interface StagedBackup {
  backup: ListedBackup;
  source: S3Backup;
  label: string;
  /** What the fetch proved, for the caller's evidence. */
  result: CheckResult;
  /** Removes the fetched files again, unless the backup was in the folder before. */
  remove(): Promise<void>;
}

/**
 * Streams a backup from S3 into the target's backups folder, verified by size and sha256 before
 * it gets its name (a copy already there is replaced by the same bytes); the caller rehearses or
 * restores it from there by id.
 */
export async function stageFromS3(o: { config: ResolvedConfig; target: ResolvedTarget; host: Target; ref: string; from?: string; onProgress?: (line: string) => void }): Promise<StagedBackup> {
  const t0 = Date.now();
  const h = await openS3(pickS3Destination(o.config, o.from));
  let backups: S3Backup[];
  try {
    backups = await listS3Backups(h);
  } catch (e) {
    throw new UsageError(`Cannot list ${h.label}: ${s3Reason(e)}.`, { hint: 'Check the endpoint, bucket and credentials.' });
  }
  const found = findS3Backup(backups, o.ref);
  if (!found) throw new UsageError(`There is no backup "${o.ref}" in ${h.label}.`, { hint: 'See `shipproof backup list` (OFF-SITE column).' });
  if (!found.verified) throw new UsageError(`The copy of ${found.manifest.id} in ${h.label} was never read back and verified; it is not used.`);
  const m = found.manifest;
  const dir = o.target.backupsDir;
  const before = await readBackupsFolder(o.host, dir);
  const wasPresent = before.backups.some((b) => b.manifest.id === m.id && b.complete);
  o.onProgress?.(`${m.id}: streaming from ${h.label}`);
  const backup = await fetchFromS3({ s3: h, backup: found, host: o.host, dir });
  const result: CheckResult = {
    id: 'offsite-fetch',
    title: `Backup streamed from ${h.label} and verified`,
    gate: true,
    status: 'pass',
    durationMs: Date.now() - t0,
    observations: { source: `${h.label}${m.file}`, bytes: m.bytes, sha256: m.sha256, verifiedAt: found.verified.at, ...(found.verified.versionId ? { versionId: found.verified.versionId } : {}) },
    commands: [],
  };
  return {
    backup,
    source: found,
    label: h.label,
    result,
    remove: async () => {
      if (wasPresent) return;
      await o.host.exec(removeFilesCommand(dir, [m.file, manifestName(m.id), checksumName(m.id), rehearsalName(m.id)]), { reject: false, timeoutMs: 60_000 });
    },
  };
}

export interface S3PruneResult {
  destination: string;
  plan: PrunePlan;
  dryRun: boolean;
  outcomes: S3DeleteOutcome[];
  /** When the bucket could not be read. */
  error?: string;
}

/** Retention of the S3 copies from their manifests, with the server's rule. */
export async function pruneS3Copies(o: {
  config: ResolvedConfig;
  settings: BackupSettings;
  now: Date;
  dryRun: boolean;
  force?: boolean;
  services?: readonly string[];
  open?: (d: S3Destination) => Promise<S3Handle>;
}): Promise<S3PruneResult[]> {
  const out: S3PruneResult[] = [];
  if (o.settings.keep === undefined && o.settings.keepDays === undefined) return out;
  for (const d of s3Destinations(o.config)) {
    const label = s3Label(d);
    const empty: PrunePlan = { decisions: [], refused: [] };
    try {
      const h = await (o.open ?? ((x: S3Destination) => openS3(x)))(d);
      const backups = await listS3Backups(h);
      const plan = planPrune(
        s3AsFolder(h, backups),
        { ...(o.settings.keep !== undefined ? { keep: o.settings.keep } : {}), ...(o.settings.keepDays !== undefined ? { keepDays: o.settings.keepDays } : {}), dropThreshold: o.settings.dropThreshold, requireOffsite: [] },
        o.now,
        { ...(o.force ? { force: true } : {}), ...(o.services ? { services: o.services } : {}) },
      );
      const outcomes: S3DeleteOutcome[] = [];
      if (!o.dryRun) {
        for (const dec of plan.decisions.filter((x) => x.action === 'delete')) {
          const b = backups.find((x) => x.manifest.id === dec.id);
          if (b) outcomes.push(await deleteS3Backup(h, b).catch((e: unknown): S3DeleteOutcome => ({ id: dec.id, status: 'failed', reason: s3Reason(e) })));
        }
      }
      out.push({ destination: label, plan, dryRun: o.dryRun, outcomes });
    } catch (e) {
      out.push({ destination: label, plan: empty, dryRun: o.dryRun, outcomes: [], error: s3Reason(e) });
    }
  }
  return out;
}
