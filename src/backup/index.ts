// The backup library: what the CLI (`backup …`, `restore …`) and the deploy milestones 9 and 10
// call. Every function works through the Target interface (local or SSH) and returns results
// shaped for an EvidencePredicate (`results`, `statement`), which the caller records with
// with recordEvidence() (src/evidence/record.ts) or embeds in its own record.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { Target } from '../targets/target.js';
import { newestVerified } from './audit.js';
import { destinationLabel } from './offsite.js';
import { applyPrune, planPrune, type PruneResult } from './retention.js';
import { resolveBackupSettings, type BackupSettings } from './settings.js';
import { readBackupsFolder, type BackupsFolder, type ListedBackup } from './store.js';
import { pruneS3Copies } from './s3/offsite-s3.js';

export { runBackups, type RunBackupsOptions, type BackupRunResult, type BackupOutcome } from './run.js';
export { rehearseRestore, type RehearseOptions, type RehearsalResult } from './rehearse.js';
export { prepareRestoreInto, restoreInto, restorePlan, type RestoreIntoOptions, type RestoreIntoResult } from './restore.js';
export { auditExplanation, backupAudit, backupStatus, freshness, formatAge, type AuditReport, type AuditRow, type StatusRow, type FreshnessState } from './audit.js';
export { ensureFreshBackup, type EnsureFreshBackupOptions, type EnsureFreshBackupResult, type ServiceDecision } from './policy.js';
export { rehearseForDeploy, operatorIdentity, IDENTITY_ENV, IDENTITY_FILE_ENV, type DeployRehearsalOutcome } from './deploy-rehearsal.js';
export { resolveBackupSettings, parseAge, type BackupSettings, type BeforeApplyPolicy, type OffsiteDestination, type BackupsConfigExtension } from './settings.js';
export { copyOffsite, type OffsiteOutcome } from './offsite.js';
export { stageFromS3, pickS3Destination, s3Destinations, pruneS3Copies, type StagedBackup, type S3PruneResult } from './s3/offsite-s3.js';
export { openS3, s3Label } from './s3/client.js';
export { listS3Backups, type S3Backup } from './s3/store-s3.js';
export { planPrune, applyPrune, type PrunePlan, type PruneResult, type RetentionPolicy } from './retention.js';
export { readBackupsFolder, type BackupsFolder, type ListedBackup } from './store.js';
export type { BackupManifest } from './manifest.js';
export type { Fingerprint } from './fingerprint/types.js';
export { newIdentity, readIdentityFile } from './crypto.js';
export { ENGINE_SPECS, engineSpec } from './engines/index.js';
export { sweepExpiredRehearsals } from './scratch.js';

/** The newest complete backup of a service (optionally: only one whose rehearsal passed). */
export async function newestVerifiedBackup(o: { target: ResolvedTarget; host: Target; service: string; rehearsed?: boolean }): Promise<ListedBackup | undefined> {
  const folder = await readBackupsFolder(o.host, o.target.backupsDir);
  return newestVerified(folder, o.service, o.rehearsed === undefined ? {} : { rehearsed: o.rehearsed });
}

/** Every backup in the target's folder (newest first), with its rehearsal and off-site records. */
export async function listBackups(o: { target: ResolvedTarget; host: Target }): Promise<BackupsFolder> {
  return readBackupsFolder(o.host, o.target.backupsDir);
}

/** Retention by count and/or age from manifest timestamps; `dryRun` only plans. */
export async function pruneBackups(o: {
  config: ResolvedConfig;
  target: ResolvedTarget;
  host: Target;
  settings?: Partial<BackupSettings>;
  services?: string[];
  now?: Date;
  dryRun?: boolean;
  force?: boolean;
}): Promise<PruneResult> {
  const settings = resolveBackupSettings(o.config, o.settings);
  const folder = await readBackupsFolder(o.host, o.target.backupsDir);
  const plan = planPrune(
    folder,
    {
      ...(settings.keep !== undefined ? { keep: settings.keep } : {}),
      ...(settings.keepDays !== undefined ? { keepDays: settings.keepDays } : {}),
      dropThreshold: settings.dropThreshold,
      requireOffsite: settings.offsite.map((d) => destinationLabel(d, o.config)),
    },
    o.now ?? new Date(),
    { ...(o.force ? { force: true } : {}), ...(o.services ? { services: o.services } : {}) },
  );
  const result = await applyPrune(o.host, folder, plan, o.dryRun === true);
  result.s3 = await pruneS3Copies({ config: o.config, settings, now: o.now ?? new Date(), dryRun: o.dryRun === true, ...(o.force ? { force: true } : {}), ...(o.services ? { services: o.services } : {}) });
  return result;
}
