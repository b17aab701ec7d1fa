// envFiles: — env files on the server; names are checked, values never read back.
import { z } from 'zod';
import { ENV_NAME_PATTERN, nonEmpty } from './common.js';

const envNameSchema = z.string({ error: 'an environment variable name' }).regex(ENV_NAME_PATTERN, {
  error: 'an environment variable name (letters, digits and _, not starting with a digit)',
});

const envFileObjectSchema = z.strictObject(
  {
    path: nonEmpty('a file path').meta({ description: 'On the server: relative to appDir, or absolute.' }),
    required: z
      .array(envNameSchema, { error: 'a list of variable names' })
      .default([])
      .meta({ description: 'Names that must be set in the file. Values are never read back.' }),
    source: nonEmpty('a local file path')
      .optional()
      .meta({
        description:
          'A file on this machine, relative to shipproof.yaml, uploaded (mode 0600) when the server lacks the file or holds another version. Its values never appear in output.',
      }),
  },
  { error: 'a file path, or an object with path: and required:' },
);

export const envFileSchema = z
  .union([nonEmpty('a file path').transform((path) => ({ path, required: [] as string[] })), envFileObjectSchema], {
    error: 'a file path, or an object with path: and required:',
  })
  .meta({ title: 'Env file', description: 'An env file on the server (names checked, values never read back).' });

