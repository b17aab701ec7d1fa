// The `handover:` section: where HANDOVER.md is written.
import { z } from 'zod';

export const handoverSectionSchema = z.strictObject(
  {
    path: z
      .string({ error: 'a file path, relative to the project folder' })
      .min(1, { error: 'a file path, relative to the project folder' })
      .default('HANDOVER.md'),
  },
  { error: 'a mapping with path:' },
);

export type HandoverSection = z.output<typeof handoverSectionSchema>;
