// stateful: — overrides of what the engine catalogue guesses from the compose file.
import { z } from 'zod';
import { SERVICE_NAME_PATTERN } from './common.js';

import { BACKUP_ENGINES, type BackupEngine } from '../../backup/engines/catalogue.js';

/** The backup engine classes, from the one engine catalogue. */
export const ENGINES = BACKUP_ENGINES;
export type Engine = BackupEngine;

const ENGINE_PHRASE = `one of ${ENGINES.join(', ')}`;
const STATEFUL_PHRASE = `false, an engine (${ENGINES.join(', ')}) or an object with engine:`;
const engineSchema = z.enum(ENGINES, { error: ENGINE_PHRASE });

export const statefulSchema = z
  .record(
    z.string().regex(SERVICE_NAME_PATTERN, { error: 'a compose service name' }),
    z.union(
      [
        z.literal(false, { error: STATEFUL_PHRASE }),
        engineSchema.transform((engine): { engine: Engine; stop?: boolean } => ({ engine })),
        z.strictObject(
          {
            engine: engineSchema,
            stop: z.boolean({ error: 'true or false' }).optional().meta({
              description: 'Stop the service while it is backed up (for file-level copies).',
            }),
          },
          { error: STATEFUL_PHRASE },
        ),
      ],
      { error: STATEFUL_PHRASE },
    ),
    { error: 'a mapping of compose service names to engines' },
  )
  .meta({
    title: 'Stateful services',
    description: 'Overrides of what is guessed from the compose file. `false` marks a service as not stateful.',
    examples: [{ db: { engine: 'postgres' }, uploads: { engine: 'volume', stop: true }, web: false }],
  });

