// The one declaration of a fingerprint: what a backup holds, described without its contents.
// Manifests are validated with it when read back, and the TypeScript types are inferred from it.
import { z } from 'zod';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const tableFingerprintSchema = z.object({
  database: z.string(),
  /** As the dump writes it, e.g. `public."My Table"` or `items`. */
  table: z.string(),
  rows: z.int().min(0),
  /** sha256 of the table's data lines in the dump, in dump order. */
  sha256,
});

export const FILE_TYPES = ['file', 'dir', 'symlink', 'hardlink', 'other'] as const;

export const fileEntrySchema = z.object({
  path: z.string(),
  type: z.enum(FILE_TYPES),
  size: z.number().min(0),
  /** Permission bits, octal, e.g. "644". */
  mode: z.string(),
  sha256: sha256.optional(),
  /** Symlink or hardlink target. */
  target: z.string().optional(),
});

export const sqlFingerprintSchema = z.object({ kind: z.literal('sql'), databases: z.array(z.string()), tables: z.array(tableFingerprintSchema) });

export const redisFingerprintSchema = z.object({
  kind: z.literal('redis'),
  /** Keys in the RDB file (redis-check-rdb), expired ones included. */
  keys: z.int().min(0),
  expires: z.int().min(0),
  databases: z.array(z.object({ db: z.int().min(0), keys: z.int().min(0), expires: z.int().min(0) })),
  /** Redis' own DEBUG DIGEST of the whole dataset; null when the image's Redis refuses DEBUG. */
  digest: z.string().nullable(),
});

export const filesFingerprintSchema = z.object({ kind: z.literal('files'), files: z.array(fileEntrySchema) });

export const sqliteTableSchema = z.object({
  name: z.string(),
  rows: z.int().min(0),
  /** SQLite's sha3_query over the table (SHA3-256), hex. */
  sha3: z.string(),
});

export const sqliteFingerprintSchema = z.object({
  kind: z.literal('sqlite'),
  databases: z.array(z.object({ path: z.string(), integrity: z.string(), tables: z.array(sqliteTableSchema) })),
});

/** For engines whose format shipproof cannot look into: only size and sha256 describe it. */
export const opaqueFingerprintSchema = z.object({ kind: z.literal('opaque') });

export const fingerprintSchema = z.discriminatedUnion('kind', [
  sqlFingerprintSchema,
  redisFingerprintSchema,
  filesFingerprintSchema,
  sqliteFingerprintSchema,
  opaqueFingerprintSchema,
]);
