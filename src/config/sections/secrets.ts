// `secrets:` — how secret values are judged before a deploy (src/redact/secret-strength.ts).
import { z } from 'zod';
import { nonEmpty } from './common.js';

export const secretsSchema = z
  .strictObject(
    {
      allowWeak: z
        .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, { error: 'an env key name' }), nonEmpty('why this weak value is acceptable'), {
          error: 'a mapping of env key names to the reason each weak value is acceptable',
        })
        .default({})
        .meta({ description: 'Keys whose weak or placeholder value is accepted anyway (recorded in evidence, and left unredacted).' }),
    },
    { error: 'an object with allowWeak:' },
  )
  .default({ allowWeak: {} })
  .meta({ title: 'Secrets', description: 'How secret values are judged before a deploy.' });
