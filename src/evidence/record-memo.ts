// Remembers what checking a record found, for a long-running reader (the dashboard): keyed by the
// ledger entry, the signing key and each record file's inode, size, mtime and ctime, so a snapshot
// after one new record checks one record, not the whole ledger again. A writer can set mtime
// back but not ctime (any write or utime moves it), so an edited file always misses the memo.
// `shipproof evidence verify` never uses it: each run checks every byte.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LedgerEntry } from './ledger.js';

export class RecordMemo<T> {
  private readonly known = new Map<string, T>();

  /** `compute()`'s result for this entry as its files are now; computed again when any of them changed. */
  async remember(evidenceDir: string, entry: LedgerEntry, keyid: string, compute: () => Promise<T>): Promise<T> {
    const key = await this.keyOf(evidenceDir, entry, keyid);
    if (key === undefined) return compute();
    const hit = this.known.get(key);
    if (hit !== undefined) return hit;
    const value = await compute();
    this.known.set(key, value);
    return value;
  }

  get size(): number {
    return this.known.size;
  }

  private async keyOf(evidenceDir: string, entry: LedgerEntry, keyid: string): Promise<string | undefined> {
    const parts = [keyid, JSON.stringify(entry)];
    for (const f of entry.files) {
      const s = await stat(join(evidenceDir, f.name)).catch(() => undefined);
      if (s === undefined) return undefined; // a missing file: never remembered
      parts.push(`${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`);
    }
    return parts.join('\n');
  }
}
