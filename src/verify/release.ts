// Which release is current on a target, as far as the evidence ledger knows: the newest passed
// deploy or rollback, else the newest release any milestone evidence names.
import type { LedgerEntry } from '../evidence/ledger.js';

export interface CurrentRelease {
  release: string;
  /** The entry that says so. */
  entry: LedgerEntry;
}

export function currentRelease(entries: readonly LedgerEntry[], target: string): CurrentRelease | undefined {
  const mine = [...entries].reverse().filter((e) => e.target === target && e.release !== undefined);
  const cutOver = mine.find((e) => (e.kind === 'deploy' || e.kind === 'rollback') && e.status === 'passed');
  const chosen = cutOver ?? mine.find((e) => e.kind === 'milestone');
  return chosen === undefined ? undefined : { release: chosen.release as string, entry: chosen };
}

/** The newest entry of a kind on a target, any status. */
export function newestOfKind(entries: readonly LedgerEntry[], target: string, kind: string): LedgerEntry | undefined {
  return [...entries].reverse().find((e) => e.target === target && e.kind === kind);
}

/** The sha256 of an entry's .json record file, as the ledger holds it. */
export function recordSha256(entry: LedgerEntry): string {
  return entry.files.find((f) => f.name.endsWith('.json') && !f.name.endsWith('.dsse.json'))?.sha256 ?? (entry.files[0]?.sha256 as string);
}
