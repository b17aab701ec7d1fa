// backups: — where backups are kept on the server, how long, and how they leave it.
import { z } from 'zod';
import { duration, nonEmpty } from './common.js';
import { s3DestinationSchema, type S3Destination } from './s3.js';

export const backupsSchema = z
  .strictObject(
    {
      dir: nonEmpty('a folder path').optional().meta({
        description: 'On the server: absolute, or relative to appDir. Default <appDir>/backups.',
      }),
      keep: z
        .number({ error: 'a whole number of at least 1' })
        .int()
        .min(1)
        .optional()
        .meta({ description: 'How many backups to keep per service.' }),
      keepDays: z
        .number({ error: 'a number of days above zero' })
        .positive()
        .optional()
        .meta({ description: 'Keep backups younger than this many days (by manifest time).' }),
      maxAge: duration('Maximum age of the newest verified backup').optional().meta({ default: '26h' }),
      beforeApply: z
        .union(
          [
            z.enum(['auto', 'require', 'off']),
            z.strictObject({ policy: z.enum(['auto', 'require', 'off']), reason: nonEmpty('why').optional() }),
          ],
          { error: 'auto, require, off, or { policy:, reason: }' },
        )
        .optional()
        .meta({
          description:
            'Before a deploy changes a stateful service: auto (take a backup when none is fresh), require (refuse), off (with a reason, recorded).',
        }),
      encryptTo: z
        .array(z.string().regex(/^age1[0-9a-z]{20,}$/, { error: 'an age recipient (age1…)' }), { error: 'a list of age recipients' })
        .optional()
        .meta({ description: 'Encrypt backups to these age recipients; the identity is needed only to restore.' }),
      offsite: z
        .array(
          z.union(
            [
              z.strictObject({ pull: nonEmpty('a folder on this machine') }),
              z.strictObject({ push: nonEmpty('a target name'), dir: nonEmpty('a folder').optional() }),
              z.strictObject({ s3: s3DestinationSchema }),
            ],
            { error: '{ pull: <folder here> }, { push: <target>, dir: <folder> } or { s3: { endpoint:, bucket:, … } }' },
          ),
          { error: 'a list of off-site destinations' },
        )
        .optional()
        .meta({ description: 'Copies read back and compared by sha256 before they count.' }),
      identity: nonEmpty('a file path').optional().meta({
        description: "age identity file on this (the operator's) machine, for rehearsing encrypted backups in deploys; SHIPPROOF_AGE_IDENTITY_FILE or SHIPPROOF_AGE_IDENTITY override it. Never sent to the server.",
      }),
      reuseWithin: duration('How recent a backup beforeApply: auto may reuse').optional().meta({ default: '15m' }),
      images: z
        .strictObject({ volume: nonEmpty('an image').optional(), sqlite: nonEmpty('an image').optional() })
        .optional()
        .meta({ description: 'Helper images for volume archives and SQLite backups.' }),
      compressionLevel: z.number({ error: 'a gzip level 1-9' }).int().min(1).max(9).optional(),
    },
    { error: 'an object with dir:, keep:, keepDays:, maxAge:, beforeApply:, encryptTo:, offsite:, identity:, reuseWithin:, images:, compressionLevel:' },
  )
  .default({})
  .meta({ title: 'Backups', description: 'Where backups are kept on the server, and how many.' });

/** backups: as the schema hands it over (durations in ms). */
export type BackupsSection = z.output<typeof backupsSchema>;
export type BeforeApplyPolicy = Extract<NonNullable<BackupsSection['beforeApply']>, string>;

export type OffsiteDestination =
  /** Copy to this machine (the operator's), into `dir`. */
  | { kind: 'pull'; dir: string }
  /** Copy to another target from shipproof.yaml (an SSH host), into `dir` (default: its backupsDir). */
  | { kind: 'push'; target: string; dir?: string }
  /** An S3-compatible bucket (credentials from an env file here or the environment). */
  | { kind: 's3'; s3: S3Destination };

/** backups: once load.ts has resolved it: off-site pulls hold absolute local folders. */
export type ResolvedBackupsSection = Omit<BackupsSection, 'offsite'> & { offsite?: OffsiteDestination[] };
