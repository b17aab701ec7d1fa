// Backup settings: shipproof.yaml's `backups:` (typed by its schema section) with defaults filled
// in, and run-time overrides from the command line or a caller.
import type { ResolvedConfig } from '../config/load.js';
import type { BeforeApplyPolicy, OffsiteDestination, ResolvedBackupsSection } from '../config/sections/backups.js';
import { parseDuration } from '../config/duration.js';
import { UsageError } from '../errors.js';

// The section's shape is the schema's (src/config/sections/backups.ts); nothing is declared twice.
export type { BeforeApplyPolicy, OffsiteDestination } from '../config/sections/backups.js';
/** Kept for callers of the old name: the keys of backups: beyond dir and keep, from the schema. */
export type BackupsConfigExtension = Omit<ResolvedBackupsSection, 'dir' | 'keep'>;

export interface BackupSettings {
  /** Keep this many newest backups per service (retention); undefined = no count rule. */
  keep?: number;
  /** Keep backups younger than this many days; undefined = no age rule. */
  keepDays?: number;
  /** Newest verified backup older than this is stale (status, backup-before-apply). */
  maxAgeMs: number;
  beforeApply: BeforeApplyPolicy;
  beforeApplyReason?: string;
  /** beforeApply auto reuses a backup of the same data only when it is younger than this. */
  reuseWithinMs: number;
  /** age identity file on the operator's machine (for rehearsals of encrypted backups). */
  identityFile?: string;
  /** age recipients (age1…); empty = not encrypted. */
  encryptTo: string[];
  offsite: OffsiteDestination[];
  /** Helper image for volume archives: needs sh and tar. */
  volumeImage: string;
  /** Helper image with sqlite3, sh and tar, used when the service's own container has no sqlite3. */
  sqliteImage?: string;
  gzipLevel: number;
  /** A backup whose size or row/key/file count falls below this fraction of the previous one is suspicious. */
  dropThreshold: number;
  /** Time limit for one service's backup. */
  timeoutMs: number;
}

export const DEFAULT_MAX_AGE_MS = 26 * 3_600_000;
export const DEFAULT_REUSE_WITHIN_MS = 15 * 60_000;
export const DEFAULT_VOLUME_IMAGE = 'busybox:1.36';

const RECIPIENT = /^age1[0-9a-z]{20,}$/;

export function resolveBackupSettings(config: ResolvedConfig, overrides: Partial<BackupSettings> = {}): BackupSettings {
  const ext = config.backups;
  const before: { policy?: BeforeApplyPolicy; reason?: string } = typeof ext.beforeApply === 'object' ? ext.beforeApply : ext.beforeApply !== undefined ? { policy: ext.beforeApply } : {};
  const settings: BackupSettings = {
    ...(config.backups.keep !== undefined ? { keep: config.backups.keep } : {}),
    ...(ext.keepDays !== undefined ? { keepDays: ext.keepDays } : {}),
    maxAgeMs: ext.maxAge ?? DEFAULT_MAX_AGE_MS,
    beforeApply: before.policy ?? 'auto',
    reuseWithinMs: ext.reuseWithin ?? DEFAULT_REUSE_WITHIN_MS,
    ...(ext.identity !== undefined ? { identityFile: ext.identity } : {}),
    ...(before.reason !== undefined ? { beforeApplyReason: before.reason } : {}),
    encryptTo: ext.encryptTo ?? [],
    offsite: ext.offsite ?? [],
    volumeImage: ext.images?.volume ?? DEFAULT_VOLUME_IMAGE,
    ...(ext.images?.sqlite !== undefined ? { sqliteImage: ext.images.sqlite } : {}),
    gzipLevel: ext.compressionLevel ?? 6,
    dropThreshold: 0.5,
    timeoutMs: 6 * 3_600_000,
  };
  const merged = { ...settings, ...dropUndefined(overrides) };
  for (const r of merged.encryptTo) {
    if (!RECIPIENT.test(r)) {
      throw new UsageError(`"${r.slice(0, 20)}…" is not an age recipient.`, { hint: 'Recipients look like age1… (from `age-keygen -y` or `shipproof backup keygen`).' });
    }
  }
  if (merged.keep !== undefined && (!Number.isInteger(merged.keep) || merged.keep < 1)) throw new UsageError('keep must be a whole number of at least 1.');
  if (merged.keepDays !== undefined && !(merged.keepDays > 0)) throw new UsageError('keep-days must be a number above 0.');
  return merged;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** "26h" / "2d" / "90m" -> ms, for command-line flags ("d" = days is accepted here too). */
export function parseAge(text: string, flag: string): number {
  const days = /^(\d+(?:\.\d+)?)d$/.exec(text.trim());
  const ms = days?.[1] !== undefined ? Number(days[1]) * 86_400_000 : parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`${flag} "${text}" is not a duration.`, { hint: 'Use e.g. 26h, 2d, 90m.' });
  return ms;
}
