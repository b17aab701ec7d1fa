// The shape of shipproof.yaml. Every leaf carries an "expected" phrase as its zod error message
// ("a number between 1 and 64"); load.ts turns issues into sentences with file:line:column.
// Defaults that depend on other values (project name, app folder) are filled in by load.ts; the
// schema only parses, so `z.input` is what people write and `z.output` what load.ts resolves.
import { z } from 'zod';
import { s3DestinationSchema } from './s3-schema.js';
import { DURATION_FORMS, parseDuration } from './duration.js';
import { keysAt } from './yaml-schema.js';

export const ENGINES = ['postgres', 'mariadb', 'redis', 'sqlite', 'volume', 'vault', 'minio', 'mongodb'] as const;
export type Engine = (typeof ENGINES)[number];

/** Compose project names, and the names of targets. */
export const PROJECT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const SERVICE_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PROBE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
// A domain (or localhost, for local use), with an optional port when the proxy is not on 443.
const DOMAIN_PATTERN = /^(?=[^:]{1,253}(:|$))(?:(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]|localhost)(:\d{1,5})?$/i;

/** Keys of a target object that mean nothing for this machine. */
const SSH_ONLY_KEYS = ['identity', 'knownHosts', 'acceptNewHostKey', 'maxChannels', 'connectTimeout'] as const;

const SSH_URL_EXAMPLE = 'ssh://deploy@203.0.113.10:22';
const HOST_PHRASE = `"local" or an ssh:// URL with a user, like ${SSH_URL_EXAMPLE}`;

/**
 * A custom issue whose message continues a sentence after the path (`"x" <message>.`) instead of
 * naming what was expected (`"x" must be <message>, got …`).
 */
export const AFTER_PATH = { form: 'after-path' } as const;

export interface SshAddress {
  user: string;
  host: string;
  port: number;
}

export type TargetHost = { kind: 'local' } | ({ kind: 'ssh' } & SshAddress);

/** Parses `ssh://user@host[:port]`; a string result says what is wrong with it. */
export function parseSshUrl(text: string): SshAddress | string {
  if (!/^ssh:\/\//i.test(text)) return 'it does not start with ssh://';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'it is not a valid URL';
  }
  if (url.password !== '') return 'a password does not belong in the URL; use an SSH key or the agent';
  if (url.username === '') return 'the user is missing';
  if (url.hostname === '') return 'the host is missing';
  if (url.pathname !== '' && url.pathname !== '/') return 'it has a path; set appDir for the folder instead';
  if (url.search !== '' || url.hash !== '') return 'it has a query or fragment';
  const port = url.port === '' ? 22 : Number(url.port);
  if (port < 1) return 'the port must be between 1 and 65535';
  return {
    user: decodeURIComponent(url.username),
    // Host names are case-insensitive; OpenSSH compares them lowercased in known_hosts too.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase(),
    port,
  };
}

const nonEmpty = (phrase: string) => z.string({ error: phrase }).min(1, { error: phrase });

const duration = (title: string) =>
  z
    .union([z.number(), z.string()], { error: DURATION_FORMS })
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms === 0) {
        ctx.addIssue({ code: 'custom', message: ms === 0 ? 'a duration above zero' : DURATION_FORMS });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ title, description: `${title}: ${DURATION_FORMS}.` });

const hostSchema = z
  .string({ error: HOST_PHRASE })
  .transform((text, ctx): TargetHost => {
    if (text === 'local') return { kind: 'local' };
    const parsed = parseSshUrl(text);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: `${HOST_PHRASE} (${parsed})` });
      return z.NEVER;
    }
    return { kind: 'ssh', ...parsed };
  })
  .meta({
    title: 'Host',
    description: `"local" for this machine, or ${SSH_URL_EXAMPLE} (port optional, default 22; user required).`,
  });

const targetObjectSchema = z
  .strictObject(
    {
      host: hostSchema,
      identity: nonEmpty('a path to a private key file').optional().meta({
        title: 'Identity file',
        description: 'Private key for SSH. When absent, the SSH agent (SSH_AUTH_SOCK) is used.',
      }),
      knownHosts: nonEmpty('a path to a known_hosts file').optional().meta({
        title: 'known_hosts file',
        description: 'Where host keys are checked.',
        default: '~/.ssh/known_hosts',
      }),
      acceptNewHostKey: z.boolean({ error: 'true or false' }).optional().meta({
        title: 'Accept a new host key',
        description: 'Trust and record the key of a host seen for the first time. A changed key is never accepted.',
        default: false,
      }),
      appDir: nonEmpty('a folder path').optional().meta({
        title: 'App folder',
        description: 'Where releases live. Default /opt/<project> over SSH, ~/.local/share/shipproof/<project> locally.',
      }),
      maxChannels: z
        .number({ error: 'a number between 1 and 64' })
        .int()
        .min(1)
        .max(64)
        .optional()
        .meta({ title: 'SSH channels', description: 'Commands run at once over the one SSH connection.', default: 8 }),
      connectTimeout: duration('Connect timeout').optional().meta({ default: '10s' }),
      backupsDir: nonEmpty('a folder path').optional().meta({
        title: 'Backups folder',
        description: 'Overrides backups.dir for this target (absolute, or relative to appDir).',
      }),
    },
    { error: `${HOST_PHRASE}, or an object with host:` },
  )
  .superRefine((target, ctx) => {
    if (target.host.kind === 'local') {
      for (const key of SSH_ONLY_KEYS) {
        if (target[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'only applies to ssh targets', params: AFTER_PATH });
        }
      }
      return;
    }
    // `~` or a relative path would depend on the remote login's home folder.
    if (target.appDir !== undefined && !target.appDir.startsWith('/')) {
      ctx.addIssue({ code: 'custom', path: ['appDir'], message: 'an absolute path on the server, like /opt/myapp' });
    }
  });

type TargetOptions = z.output<typeof targetObjectSchema>;

const targetSchema = z
  .union([hostSchema.transform((host): TargetOptions => ({ host })), targetObjectSchema], {
    error: `${HOST_PHRASE}, or an object with host:`,
  })
  .meta({ title: 'Target', description: 'A server: a shorthand host string, or an object with host and options.' });

const targetsSchema = z
  .record(
    z.string().regex(PROJECT_NAME_PATTERN, { error: 'a target name of lowercase letters, digits, - and _' }),
    targetSchema,
    { error: 'a mapping of target names to hosts' },
  )
  .superRefine((targets, ctx) => {
    if (targets.local !== undefined && targets.local.host.kind !== 'local') {
      ctx.addIssue({
        code: 'custom',
        path: ['local'],
        message: 'is reserved for this machine; give the server another name',
        params: AFTER_PATH,
      });
    }
  })
  .meta({
    title: 'Targets',
    description: 'Servers to deploy to. "local" (this machine) always exists.',
    examples: [{ prod: SSH_URL_EXAMPLE }],
  });

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

const envFileSchema = z
  .union([nonEmpty('a file path').transform((path) => ({ path, required: [] as string[] })), envFileObjectSchema], {
    error: 'a file path, or an object with path: and required:',
  })
  .meta({ title: 'Env file', description: 'An env file on the server (names checked, values never read back).' });

const probeSchema = z
  .strictObject(
    {
      name: z
        .string({ error: 'a probe name' })
        .regex(PROBE_NAME_PATTERN, { error: 'a probe name of letters, digits, ., - and _' }),
      url: z
        .string({ error: 'an http:// or https:// URL' })
        .refine(isHttpUrl, { error: 'an http:// or https:// URL, like https://example.com/healthz' }),
      status: z
        .number({ error: 'an HTTP status code between 100 and 599' })
        .int()
        .min(100)
        .max(599)
        .default(200)
        .meta({ description: 'Expected HTTP status.' }),
      body: z.string({ error: 'a text the response body must contain' }).optional().meta({
        description: 'A substring the response body must contain.',
      }),
      bodyRegex: z
        .string({ error: 'a regular expression' })
        .refine(isRegex, { error: 'a valid regular expression' })
        .optional()
        .meta({ description: 'A regular expression the response body must match.' }),
      timeout: duration('Timeout of one request').prefault('5s'),
      interval: duration('Pause between attempts').prefault('2s'),
      insecure: z
        .boolean({ error: 'true or false' })
        .default(false)
        .meta({ description: 'Accept a self-signed TLS certificate (e.g. Caddy `tls internal`).' }),
    },
    { error: 'an object with name: and url:' },
  )
  .superRefine((probe, ctx) => {
    if (probe.body !== undefined && probe.bodyRegex !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['bodyRegex'],
        message: 'cannot be used together with body; pick one',
        params: AFTER_PATH,
      });
    }
  })
  .meta({ title: 'Health probe', description: 'An HTTP check that must pass after a deploy.' });

const healthSchema = z
  .array(probeSchema, { error: 'a list of health probes' })
  .superRefine((probes, ctx) => {
    const seen = new Set<string>();
    probes.forEach((probe, index) => {
      if (seen.has(probe.name)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `repeats the probe name "${probe.name}"; names must be unique`,
          params: AFTER_PATH,
        });
      }
      seen.add(probe.name);
    });
  })
  .meta({ title: 'Health probes', description: 'HTTP probes that make up the health gate.' });

const ENGINE_PHRASE = `one of ${ENGINES.join(', ')}`;
const STATEFUL_PHRASE = `false, an engine (${ENGINES.join(', ')}) or an object with engine:`;
const engineSchema = z.enum(ENGINES, { error: ENGINE_PHRASE });

const statefulSchema = z
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
      stateful: statefulSchema.default({}),
      backups: z
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
              description: 'age identity file on this (the operator\'s) machine, for rehearsing encrypted backups in deploys; SHIPPROOF_AGE_IDENTITY_FILE or SHIPPROOF_AGE_IDENTITY override it. Never sent to the server.',
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
        .meta({ title: 'Backups', description: 'Where backups are kept on the server, and how many.' }),
      deploy: z
        .strictObject(
          {
            keepReleases: z
              .number({ error: 'a whole number of at least 1' })
              .int()
              .min(1)
              .default(5)
              .meta({ description: 'Releases kept on the server; the current and the last known good are never pruned.' }),
            healthTimeout: duration('How long the health gate may take').prefault('120s'),
            healthInterval: duration('Pause between health checks').prefault('2s'),
            stableChecks: z
              .number({ error: 'a whole number of at least 1' })
              .int()
              .min(1)
              .default(3)
              .meta({ description: 'Consecutive checks a service without a healthcheck must stay running.' }),
            keyService: nonEmpty('a compose service name')
              .optional()
              .meta({ description: 'The service whose image is built first (milestone 4). Default: the first service with build:.' }),
          },
          { error: 'an object with keepReleases:, healthTimeout:, healthInterval:, stableChecks:, keyService:' },
        )
        .prefault({})
        .meta({ title: 'Deploy', description: 'Releases and the health gate.' }),
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

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isRegex(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}
