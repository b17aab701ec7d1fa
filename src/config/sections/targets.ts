// targets: — the servers (and "local") a project deploys to.
import { z } from 'zod';
import { AFTER_PATH, duration, nonEmpty, PROJECT_NAME_PATTERN } from './common.js';

/** Keys of a target object that mean nothing for this machine. */
const SSH_ONLY_KEYS = ['identity', 'knownHosts', 'acceptNewHostKey', 'maxChannels', 'connectTimeout'] as const;

const SSH_URL_EXAMPLE = 'ssh://deploy@203.0.113.10:22';
const HOST_PHRASE = `"local" or an ssh:// URL with a user, like ${SSH_URL_EXAMPLE}`;

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
  // Non-special URLs accept almost any host text (`127.0.0.1,*`); ssh and known_hosts do not.
  if (!/^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9])?)(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9])?)*\.?$|^\[[0-9a-f:.]+\]$/i.test(url.hostname)) {
    return 'the host is not a host name or an IP address';
  }
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
      kind: z.enum(['compose', 'swarm'], { error: 'compose or swarm' }).optional().meta({
        title: 'Kind',
        description: 'compose (default): Compose on one server. swarm: the host is a Docker Swarm manager; the stack is deployed with docker stack deploy.',
        default: 'compose',
      }),
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

export const targetsSchema = z
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

