// Registers the secrets this machine knows with the one redactor, before anything is printed or
// written: values of local env files in the project folder, and private keys the config points at.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/load.js';
import { classifyKeyName, looksLikeSecretValue, parseEnvValues, redactor, type Redactor } from '../redact/index.js';

/** `.env`, `.env.prod`, `prod.env` — but not examples or templates, which hold no secrets. */
export function isEnvFileName(name: string): boolean {
  if (/\.(example|sample|template|dist)$/i.test(name)) return false;
  return /^\.env(\..+)?$/.test(name) || /\.env$/.test(name);
}

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

export async function registerKnownSecrets(config: ResolvedConfig, into: Redactor = redactor): Promise<number> {
  let added = 0;
  const names = await readdir(config.rootDir).catch(() => [] as string[]);
  for (const name of names.filter(isEnvFileName)) {
    const text = await readFile(join(config.rootDir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) added += registerEnvValues(text, `env:${name}`, into);
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
