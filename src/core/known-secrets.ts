// Registers the secrets this machine knows with the one redactor, before anything is printed or
// written: values of local env files in the project folder, and private keys the config points at.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedConfig } from '../config/load.js';
import { envFilesIn, isEnvFileName, knownSecretValues } from '../config/secret-values.js';

import { classifyKeyName, looksLikeSecretValue, parseEnvValues, redactor, type Redactor } from '../redact/index.js';

export { isEnvFileName };
/**
 * Registers the values of an env file that are secrets: those under a secret-sounding name, and
 * any that look like one (long, high entropy or mixed classes). Plain settings such as
 * `PORT=3000` or `NODE_ENV=production` are left out: redacting them would blank every port
 * number and make the fail-closed check refuse honest evidence.
 */
/** Values that are plainly settings, not secrets: image references, paths, plain URLs, numbers, words. */
export function looksLikeSetting(value: string): boolean {
  const v = value.trim();
  if (/^(true|false|yes|no|on|off|\d+(\.\d+)?)$/i.test(v)) return true;
  if (/^\/[\w./-]*$/.test(v)) return true; // an absolute path
  if (/^[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+(:\d+)?(\/[^\s@]*)?$/i.test(v)) return true; // a URL without credentials
  // An image reference: registry/repo[:tag][@sha256:…], lowercase, with a slash or a tag.
  if (/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$/.test(v) && /[/:@]/.test(v)) return true;
  return false;
}

export function registerEnvValues(text: string, label: string, into: Redactor = redactor): number {
  let added = 0;
  for (const entry of parseEnvValues(text)) {
    const secretName = classifyKeyName(entry.key).secret;
    for (const value of entry.values) {
      if (secretName || (looksLikeSecretValue(value) && !looksLikeSetting(value))) {
        into.addSecret(value, `${label}:${entry.key}`);
        added++;
      }
    }
  }
  return added;
}

/** Env files next to shipproof.yaml (`.env`, `prod.env`...), registered before the config is even valid. */
export async function registerEnvFilesIn(dir: string, into: Redactor = redactor): Promise<number> {
  let added = 0;
  for (const file of await envFilesIn(dir)) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) added += registerEnvValues(text, `env:${path.basename(file)}`, into);
  }
  return added;
}

/**
 * Registers every secret the project's files hold: env files (next to shipproof.yaml, uploaded
 * `source:` files, compose `env_file:`) and literal compose `environment:` values. A weak value
 * shipproof.yaml allows (`secrets.allowWeak`) is not registered: it cannot be redacted without
 * blanking ordinary words, and the fail-closed scan must agree with the redactor about it.
 */
export async function registerKnownSecrets(config: ResolvedConfig, into: Redactor = redactor): Promise<number> {
  let added = 0;
  const allowed = config.allowWeakSecrets;
  for (const s of await knownSecretValues(config)) {
    if (allowed[s.key] !== undefined) continue;
    const label = `${s.from}:${path.relative(config.rootDir, s.file) || path.basename(s.file)}:${s.key}`;
    const secretName = classifyKeyName(s.key).secret;
    for (const value of s.values) {
      if (secretName || (looksLikeSecretValue(value) && !looksLikeSetting(value))) {
        into.addSecret(value, label);
        added++;
      }
    }
  }
  for (const t of Object.values(config.targets)) {
    if (t.kind !== 'ssh' || t.identityFile === undefined) continue;
    const key = await readFile(t.identityFile, 'utf8').catch(() => undefined);
    if (key !== undefined) {
      into.addSecret(key, `ssh-key:${t.name}`);
      added++;
    }
  }
  return added;
}
