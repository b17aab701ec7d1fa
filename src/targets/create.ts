// Builds the Target for a resolved shipproof.yaml target.
import type { ResolvedTarget } from '../config/load.js';
import { LocalTarget } from './local.js';
import { SshTarget } from './ssh.js';
import type { Target } from './target.js';

export interface CreateTargetOptions {
  /** The user accepted an unknown host key on the command line (--accept-new-host-key). */
  acceptNewHostKey?: boolean;
}

export function createTarget(t: ResolvedTarget, o: CreateTargetOptions = {}): Target {
  if (t.kind === 'local') return new LocalTarget(t.name);
  return new SshTarget({
    name: t.name,
    host: t.host,
    port: t.port,
    user: t.user,
    ...(t.identityFile === undefined ? {} : { identityFile: t.identityFile }),
    agent: t.useAgent,
    knownHostsFile: t.knownHostsFile,
    acceptNewHostKey: o.acceptNewHostKey === true || t.acceptNewHostKey,
    maxChannels: t.maxChannels,
    connectTimeoutMs: t.connectTimeoutMs,
  });
}
