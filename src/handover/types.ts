// What HANDOVER.md is made from (gathered by handover.ts, rendered by render.ts).
import type { ResolvedTarget } from '../config/load.js';
import type { BackupSettings } from '../backup/settings.js';
import type { LedgerEntry } from '../evidence/ledger.js';
import type { LintReport } from '../lint/lint.js';
import type { LockCheck } from '../pin/check.js';
import type { MilestoneTable } from '../probes/milestones.js';
import type { HumanOutcome } from '../verify/types.js';
import type { HandoverEvent } from './events.js';
import type { Standing } from './standing.js';

export interface HandoverFacts {
  project: string;
  target: ResolvedTarget;
  now: Date;
  evidenceDir: string;
  /** The evidence folder relative to HANDOVER.md, for links to records. */
  evidenceLink: string;
  composeFiles: string[];
  /** Env file paths as written (shipproof.yaml envFiles, compose env_file), never their content. */
  envFiles: string[];
  entries: LedgerEntry[];
  ledgerProblem?: string;
  /** Per target with records (the chosen one first). */
  standing: Standing[];
  /** Events since the last handover (or all, the first time). */
  events: HandoverEvent[];
  /** Events older than those listed, not shown. */
  eventsLeftOut: number;
  /** The last handover covered records up to this seq. */
  coveredBefore?: number;
  lastDeploy?: LedgerEntry;
  milestones: MilestoneTable;
  certificates: { domain: string; daysLeft: number | null; record: LedgerEntry }[];
  lastVerify?: { entry: LedgerEntry; notes: string[]; gaps: string[] };
  lastBackup?: LedgerEntry;
  lastRehearsal?: LedgerEntry;
  lastLiveRestore?: LedgerEntry;
  /** Off-site copies seen in the newest backup record: destination and status. */
  offsite: { destination: string; status: string; record: LedgerEntry }[];
  backupSettings?: BackupSettings;
  backupsDir: string;
  /** The newest record of each kind (and milestone) that did not pass or did not apply. */
  notPassing: LedgerEntry[];
  lint?: LintReport;
  lintProblem?: string;
  lock?: LockCheck;
  lockProblem?: string;
  human: HumanOutcome[];
  commands: readonly string[];
  configFlag?: string;
}
