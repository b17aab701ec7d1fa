// The manifest written next to every backup: what was backed up, how, from which image, and
// what the data looks like (the fingerprint). `restore` picks its tool from here, never from the
// file extension. Validated with zod when read back, since the folder may hold anything.
import { z } from 'zod';
import { ENGINES } from '../config/schema.js';
import { fingerprintSchema } from './fingerprint/schema.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
/** A plain file name: a manifest can never point outside its folder. */
const baseName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/).refine((n) => n !== '.' && n !== '..');
const iso = z.iso.datetime();

export const manifestSchema = z.object({
  schemaVersion: z.literal(1),
  /** `<service>-<engine>-<stamp>`: the base of every file of this backup. */
  id: baseName,
  project: z.string(),
  target: z.string(),
  service: z.string(),
  engine: z.enum(ENGINES),
  procedure: z.string(),
  /** Whether an integration test covers this engine's procedure. */
  tested: z.boolean(),
  /** When the backup started (the stamp in the name), UTC. */
  createdAt: iso,
  finishedAt: iso,
  durationMs: z.number().min(0),
  /** The image the data came from (the live service's, or the helper's for volume archives). */
  image: z.object({ ref: z.string().nullable(), id: z.string(), repoDigests: z.array(z.string()) }),
  /** The image a rehearsal restores with: the service's own, or the helper for file-level backups. */
  restoreImage: z.object({ ref: z.string().nullable(), id: z.string() }),
  container: z.string().nullable(),
  /** The data volumes (Docker names) a file-level backup read. */
  volumes: z.array(z.object({ name: z.string(), volume: z.string(), destination: z.string() })),
  /** The argv that produced the stream (secrets are referenced inside the container, never written here). */
  command: z.array(z.string()),
  format: z.string(),
  compression: z.literal('gzip'),
  encryption: z.object({ kind: z.literal('age'), recipients: z.array(z.string()) }).nullable(),
  file: baseName,
  bytes: z.int().min(0),
  sha256,
  /** sha256 of the compressed stream before encryption (equals sha256 when not encrypted). */
  contentSha256: sha256,
  /** Bytes of the raw dump before compression. */
  rawBytes: z.int().min(0),
  fingerprint: fingerprintSchema,
  fingerprintDigest: sha256,
  /** What was checked before the backup counted, in words. */
  validation: z.array(z.string()),
  /** Whether the service was stopped during the backup. */
  stopped: z.array(z.string()),
  toolVersion: z.string(),
});

export type BackupManifest = z.infer<typeof manifestSchema>;

export function parseManifest(text: string): BackupManifest | undefined {
  try {
    const r = manifestSchema.safeParse(JSON.parse(text));
    return r.success ? (r.data as BackupManifest) : undefined;
  } catch {
    return undefined;
  }
}

/** One line of JSON (the folder listing reads records line by line). */
export function serializeRecord(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

export const rehearsalRecordSchema = z.object({
  schemaVersion: z.literal(1),
  id: baseName,
  status: z.enum(['passed', 'failed']),
  at: iso,
  imageId: z.string().nullable(),
  fingerprintDigest: z.string().nullable(),
  mismatches: z.int().min(0),
  reason: z.string().optional(),
});
export type RehearsalRecord = z.infer<typeof rehearsalRecordSchema>;

export const offsiteRecordSchema = z.object({
  schemaVersion: z.literal(1),
  id: baseName,
  copies: z.array(
    z.object({
      destination: z.string(),
      /** pruned: deleted by retention at the destination (S3). */
      status: z.enum(['verified', 'failed', 'pruned']),
      at: iso,
      sha256: z.string().nullable(),
      reason: z.string().optional(),
      /** Where the copy is (s3:<bucket>/<key>, a path), its size and, on S3, its version and lock. */
      location: z.string().optional(),
      bytes: z.int().min(0).optional(),
      versionId: z.string().optional(),
      retainUntil: z.string().optional(),
    }),
  ),
});
export type OffsiteRecord = z.infer<typeof offsiteRecordSchema>;

export const lastRunRecordSchema = z.object({
  schemaVersion: z.literal(1),
  service: z.string(),
  status: z.enum(['passed', 'failed']),
  at: iso,
  id: z.string().optional(),
  reason: z.string().optional(),
});
export type LastRunRecord = z.infer<typeof lastRunRecordSchema>;

export function parseWith<T>(schema: z.ZodType<T>, text: string): T | undefined {
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
