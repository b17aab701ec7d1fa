// What a backup holds, described without its contents: counts and checksums per table, key or
// file. Taken from the backup stream itself at backup time, and again from the scratch copy a
// rehearsal restores, so the two can be compared. Never rows, values or file contents.
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';

import type { z } from 'zod';
import type {
  fileEntrySchema,
  filesFingerprintSchema,
  fingerprintSchema,
  FILE_TYPES,
  opaqueFingerprintSchema,
  redisFingerprintSchema,
  sqlFingerprintSchema,
  sqliteFingerprintSchema,
  sqliteTableSchema,
  tableFingerprintSchema,
} from './schema.js';

// Inferred from the one schema (./schema.ts), which manifests are validated with.
export type TableFingerprint = z.output<typeof tableFingerprintSchema>;
export type SqlFingerprint = z.output<typeof sqlFingerprintSchema>;
export type RedisFingerprint = z.output<typeof redisFingerprintSchema>;
export type FileType = (typeof FILE_TYPES)[number];
export type FileEntry = z.output<typeof fileEntrySchema>;
export type FilesFingerprint = z.output<typeof filesFingerprintSchema>;
export type SqliteTable = z.output<typeof sqliteTableSchema>;
export type SqliteFingerprint = z.output<typeof sqliteFingerprintSchema>;
export type OpaqueFingerprint = z.output<typeof opaqueFingerprintSchema>;
export type Fingerprint = z.output<typeof fingerprintSchema>;

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
