// Milestone 10's work: rehearse the backups milestone 9 took. An encrypted backup is decrypted
// here, on the operator's machine, with an identity from SHIPPROOF_AGE_IDENTITY (the key),
// SHIPPROOF_AGE_IDENTITY_FILE or backups.identity (a file here), and streamed to the scratch
// container: the identity never reaches the server. Without one the result is human_needed with
// the reason, never a failure: the release is live by then, and nothing about it failed.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { Docker } from '../docker/docker.js';
import type { CheckResult, ObservationValue } from '../evidence/predicate-schema.js';
import { redactor } from '../redact/index.js';
import type { Target } from '../targets/target.js';
import { readIdentityFile } from './crypto.js';
import { rehearseRestore } from './rehearse.js';
import { resolveBackupSettings } from './settings.js';
import { findBackup, readBackupsFolder } from './store.js';

export const IDENTITY_ENV = 'SHIPPROOF_AGE_IDENTITY';
export const IDENTITY_FILE_ENV = 'SHIPPROOF_AGE_IDENTITY_FILE';

/** The identity to decrypt with, and where it came from (never the key itself). */
export async function operatorIdentity(config: ResolvedConfig, env: NodeJS.ProcessEnv = process.env): Promise<{ identity: string; source: string } | undefined> {
  const inline = env[IDENTITY_ENV]?.trim();
  if (inline) {
    const key = inline.split('\n').map((l) => l.trim()).find((l) => l.startsWith('AGE-SECRET-KEY-'));
    if (key) {
      redactor.addSecret(key, `age identity ${IDENTITY_ENV}`);
      return { identity: key, source: `$${IDENTITY_ENV}` };
    }
  }
  const file = env[IDENTITY_FILE_ENV]?.trim() || resolveBackupSettings(config).identityFile;
  if (file) return { identity: await readIdentityFile(file), source: file };
  return undefined;
}

export interface DeployRehearsalOutcome {
  status: 'pass' | 'fail' | 'skipped';
  /** Set when a person has to act (no identity for an encrypted backup). */
  humanNeeded?: boolean;
  reason?: string;
  observations: Record<string, ObservationValue>;
  more: CheckResult[];
}

export async function rehearseForDeploy(o: {
  config: ResolvedConfig;
  target: ResolvedTarget;
  host: Target;
  docker: Docker;
  ids: readonly string[];
  env?: NodeJS.ProcessEnv;
  onProgress?: (line: string) => void;
}): Promise<DeployRehearsalOutcome> {
  const folder = await readBackupsFolder(o.host, o.target.backupsDir);
  const encrypted = o.ids.filter((id) => findBackup(folder, id)?.manifest.encryption != null);
  const key = encrypted.length ? await operatorIdentity(o.config, o.env) : undefined;
  const observations: Record<string, ObservationValue> = {};
  const more: CheckResult[] = [];
  const problems: string[] = [];
  const waiting: string[] = [];
  if (key) observations['identity'] = `from ${key.source} (on this machine; streamed, never sent to the server)`;
  for (const id of o.ids) {
    if (encrypted.includes(id) && !key) {
      waiting.push(id);
      observations[id.slice(0, 64)] = 'encrypted: not rehearsed (no identity here)';
      continue;
    }
    const r = await rehearseRestore({ config: o.config, target: o.target, host: o.host, docker: o.docker, backup: id, ...(key && encrypted.includes(id) ? { identity: key.identity } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    observations[id.slice(0, 64)] = r.ok ? 'data came back' : `failed: ${r.mismatches.slice(0, 3).join('; ')}`;
    more.push(...r.results);
    if (!r.ok) problems.push(`${id}: ${r.results.find((x) => x.status !== 'pass' && x.status !== 'skipped')?.reason ?? r.mismatches[0] ?? 'failed'}`);
  }
  if (problems.length) return { status: 'fail', reason: problems.join('; '), observations, more };
  if (waiting.length) {
    return {
      status: 'skipped',
      humanNeeded: true,
      reason: `human_needed: ${waiting.join(', ')} ${waiting.length === 1 ? 'is' : 'are'} encrypted (age) and no identity is available on this machine to rehearse ${waiting.length === 1 ? 'it' : 'them'}; set backups.identity (a file here), ${IDENTITY_FILE_ENV} or ${IDENTITY_ENV}, or run \`shipproof restore <backup> --rehearse --identity <file>\``,
      observations,
      more,
    };
  }
  return { status: 'pass', observations, more };
}
