// The shape of shipproof.yaml. Every leaf carries an "expected" phrase as its zod error message
// ("a number between 1 and 64"); load.ts turns issues into sentences with file:line:column.
// Defaults that depend on other values (project name, app folder) are filled in by load.ts; the
// schema only parses, so `z.input` is what people write and `z.output` what load.ts resolves.
import { z } from 'zod';
import { backupsSchema } from './sections/backups.js';
import { DOMAIN_PATTERN, nonEmpty, PROJECT_NAME_PATTERN } from './sections/common.js';
import { deploySchema } from './sections/deploy.js';
import { envFileSchema } from './sections/env-files.js';
import { healthSchema } from './sections/health.js';
import { secretsSchema } from './sections/secrets.js';
import { statefulSchema } from './sections/stateful.js';
import { swarmSchema } from './sections/swarm.js';
import { targetsSchema } from './sections/targets.js';
import { keysAt } from './yaml-schema.js';

// One module per section (src/config/sections/*); these names stay exported from here.
export { ENGINES, type Engine } from './sections/stateful.js';
export { AFTER_PATH, PROJECT_NAME_PATTERN } from './sections/common.js';
export { parseSshUrl, type SshAddress, type TargetHost } from './sections/targets.js';
export type { BackupsSection, BeforeApplyPolicy } from './sections/backups.js';

export const configSchema = z
  .strictObject(
    {
      project: z
        .string({ error: 'a project name of lowercase letters, digits, - and _' })
        .regex(PROJECT_NAME_PATTERN, {
          error: 'a project name of lowercase letters, digits, - and _, starting with a letter or digit',
        })
        .optional()
        .meta({ title: 'Project', description: 'Compose project name. Default: the folder name, sanitised.' }),
      compose: z
        .union(
          [
            nonEmpty('a compose file path'),
            z.array(nonEmpty('a compose file path'), { error: 'a list of compose files' }).min(1, {
              error: 'a compose file path or a non-empty list of them',
            }),
          ],
          { error: 'a compose file path or a list of them' },
        )
        .optional()
        .meta({
          title: 'Compose files',
          description:
            'Relative to this file. Default: the first of compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml.',
        }),
      evidence: nonEmpty('a folder path').default('docs/evidence').meta({
        title: 'Evidence folder',
        description: 'Where evidence records are written, relative to this file.',
      }),
      defaultTarget: nonEmpty('a target name').optional().meta({
        title: 'Default target',
        description: 'Target used when none is named. Default: the only server, else local.',
      }),
      targets: targetsSchema.optional(),
      envFiles: z
        .array(envFileSchema, { error: 'a list of env files' })
        .default([])
        .meta({ title: 'Env files', description: 'Env files on the server; only names are checked.' }),
      health: healthSchema.default([]),
      domains: z
        .array(z.string({ error: 'a domain name' }).regex(DOMAIN_PATTERN, { error: 'a domain name like example.com (optionally with :port)' }), {
          error: 'a list of domain names',
        })
        .default([])
        .meta({ title: 'Domains', description: 'Domains the reverse proxy must serve with a valid TLS certificate.' }),
      secrets: secretsSchema,
      stateful: statefulSchema.default({}),
      backups: backupsSchema,
      deploy: deploySchema,
      swarm: swarmSchema,
    },
    { error: 'a mapping of settings (project:, compose:, targets:, …)' },
  )
  .meta({ title: 'shipproof.yaml', description: 'Configuration of shipproof: evidence-first deploys of Docker Compose stacks.' });

/** What people write. */
export type ConfigInput = z.input<typeof configSchema>;
/** What the schema hands to load.ts. */
export type ParsedConfig = z.output<typeof configSchema>;

/** The JSON Schema of shipproof.yaml, for editors and `shipproof schema`. */
export function configJsonSchema(): object {
  // `input`: what people write ("10s"), not what the schema turns it into (10000).
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' });
}

/**
 * The keys an object at `path` of the config accepts, for "Allowed here: …" hints. Walks the
 * schema through records, lists, unions and wrappers; undefined when the path holds no object.
 */
export function allowedKeysAt(path: readonly PropertyKey[]): string[] | undefined {
  return keysAt(configSchema, path);
}
