// The `backups.offsite[].s3` destination. Credentials are never in the config: they come from
// an env file on the operator's machine (credentialsFile) or from the environment.
import { z } from 'zod';

const text = (phrase: string) => z.string({ error: phrase }).min(1, { error: phrase });

export const s3DestinationSchema = z
  .strictObject(
    {
      endpoint: z.url({ error: 'an http(s) URL like https://s3.example.com' }).optional().meta({ description: 'S3 endpoint URL; omit for AWS.' }),
      bucket: text('a bucket name').regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'a bucket name (3-63 lower-case letters, digits, dots, dashes)' }),
      prefix: z.string({ error: 'a key prefix like backups/' }).regex(/^$|^[A-Za-z0-9!_.*'()/-]*\/$/, { error: 'a key prefix ending in / (or empty)' }).default(''),
      region: text('a region name').default('us-east-1'),
      forcePathStyle: z.boolean({ error: 'true or false' }).default(true).meta({ description: 'Path-style URLs (most S3-compatible servers want this).' }),
      credentialsFile: text('a file path').optional().meta({
        description: 'Env file on this machine with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; default: the environment.',
      }),
      partSizeMiB: z.number({ error: 'MiB, 5 to 512' }).int().min(5).max(512).default(16).meta({ description: 'Multipart part size.' }),
      objectLock: z
        .strictObject({ mode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('GOVERNANCE'), days: z.number({ error: 'days' }).int().min(1) }, { error: '{ mode:, days: }' })
        .optional()
        .meta({ description: 'Object Lock retention set on every uploaded object (the bucket needs Object Lock enabled).' }),
    },
    { error: 'an object with endpoint:, bucket:, prefix:, region:, forcePathStyle:, credentialsFile:, partSizeMiB:, objectLock:' },
  )
  .meta({ title: 'S3 destination' });

export type S3Destination = z.infer<typeof s3DestinationSchema>;
