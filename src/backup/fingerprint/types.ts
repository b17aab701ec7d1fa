// What a backup holds, described without its contents: counts and checksums per table, key or
// file. Taken from the backup stream itself at backup time, and again from the scratch copy a
// rehearsal restores, so the two can be compared. Never rows, values or file contents.
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';

export interface TableFingerprint {
  database: string;
  /** As the dump writes it, e.g. `public."My Table"` or `items`. */
  table: string;
  rows: number;
  /** sha256 of the table's data lines in the dump, in dump order. */
  sha256: string;
}

export interface SqlFingerprint {
  kind: 'sql';
  databases: string[];
  tables: TableFingerprint[];
}

export interface RedisFingerprint {
  kind: 'redis';
  /** Keys in the RDB file (redis-check-rdb), expired ones included. */
  keys: number;
  expires: number;
  databases: { db: number; keys: number; expires: number }[];
  /** Redis' own DEBUG DIGEST of the whole dataset; null when the image's Redis refuses DEBUG. */
  digest: string | null;
}

export type FileType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface FileEntry {
  path: string;
  type: FileType;
  size: number;
  /** Permission bits, octal, e.g. "644". */
  mode: string;
  sha256?: string;
  /** Symlink or hardlink target. */
  target?: string;
}

export interface FilesFingerprint {
  kind: 'files';
  files: FileEntry[];
}

export interface SqliteTable {
  name: string;
  rows: number;
  /** SQLite's sha3_query over the table (SHA3-256), hex. */
  sha3: string;
}

export interface SqliteFingerprint {
  kind: 'sqlite';
  databases: { path: string; integrity: string; tables: SqliteTable[] }[];
}

/** For engines whose format shipproof cannot look into: only size and sha256 describe it. */
export interface OpaqueFingerprint {
  kind: 'opaque';
}

export type Fingerprint = SqlFingerprint | RedisFingerprint | FilesFingerprint | SqliteFingerprint | OpaqueFingerprint;

/**
 * Consumes the raw (uncompressed, unencrypted) backup stream and describes it. `result()` settles
 * after `input` has ended: the fingerprint, or an error saying why the stream is not a complete,
 * valid backup (e.g. a dump cut off before its trailer).
 */
export interface FingerprintSink {
  readonly input: Writable;
  /** `markers` are the `SHIPPROOF-…` lines the dump command printed on stderr. */
  result(markers: readonly string[]): Promise<Fingerprint>;
}

/** Orders everything so equal data gives an equal digest. */
export function canonicalFingerprint(fp: Fingerprint): Fingerprint {
  const byKey = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  switch (fp.kind) {
    case 'sql':
      return {
        kind: 'sql',
        databases: [...fp.databases].sort(),
        tables: [...fp.tables].sort(byKey((t) => `${t.database}\u0000${t.table}`)),
      };
    case 'redis':
      return { ...fp, databases: [...fp.databases].sort((a, b) => a.db - b.db) };
    case 'files':
      return { kind: 'files', files: [...fp.files].sort(byKey((f) => f.path)) };
    case 'sqlite':
      return {
        kind: 'sqlite',
        databases: [...fp.databases]
          .sort(byKey((d) => d.path))
          .map((d) => ({ ...d, tables: [...d.tables].sort(byKey((t) => t.name)) })),
      };
    case 'opaque':
      return fp;
  }
}

/** sha256 of the canonical JSON: one value that names the whole fingerprint. */
export function fingerprintDigest(fp: Fingerprint): string {
  return createHash('sha256').update(JSON.stringify(canonicalFingerprint(fp))).digest('hex');
}

/** Counts for people and evidence: never names or contents. */
export function fingerprintCounts(fp: Fingerprint): Record<string, number> {
  switch (fp.kind) {
    case 'sql':
      return { databases: fp.databases.length, tables: fp.tables.length, rows: fp.tables.reduce((n, t) => n + t.rows, 0) };
    case 'redis':
      return { keys: fp.keys, expires: fp.expires, databases: fp.databases.length };
    case 'files': {
      const files = fp.files.filter((f) => f.type === 'file');
      return { files: files.length, dirs: fp.files.filter((f) => f.type === 'dir').length, bytes: files.reduce((n, f) => n + f.size, 0) };
    }
    case 'sqlite':
      return {
        databases: fp.databases.length,
        tables: fp.databases.reduce((n, d) => n + d.tables.length, 0),
        rows: fp.databases.reduce((n, d) => n + d.tables.reduce((m, t) => m + t.rows, 0), 0),
      };
    case 'opaque':
      return {};
  }
}

/** One number that should not fall sharply between two backups of the same service. */
export function fingerprintVolume(fp: Fingerprint): number | undefined {
  const c = fingerprintCounts(fp);
  return c.rows ?? c.keys ?? c.files;
}
