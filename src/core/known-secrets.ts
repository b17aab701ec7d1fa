// Registers the secrets this machine knows with the one redactor, before anything is printed or
// written: values of local env files in the project folder, and private keys the config points at.
import { readdir, readFile } from 'node:fs/promises';
import path, { join } from 'node:path';
import { isMap, isScalar, isSeq } from 'yaml';
import type { ResolvedConfig } from '../config/load.js';
import { parseYaml } from '../config/yaml-positions.js';
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

/** Env files next to shipproof.yaml (`.env`, `prod.env`...), registered before the config is even valid. */
export async function registerEnvFilesIn(dir: string, into: Redactor = redactor): Promise<number> {
  let added = 0;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter(isEnvFileName)) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) added += registerEnvValues(text, `env:${name}`, into);
  }
  return added;
}

/**
 * What the compose files say about secrets: the env files their services name (`env_file:`, in
 * any folder) and literal `environment:` values. Read leniently: a compose file that does not
 * parse is reported by the command itself, after this has registered what it could.
 */
async function composeSecretSources(composeFile: string): Promise<{ envFiles: string[]; literals: { key: string; value: string }[] }> {
  const envFiles: string[] = [];
  const literals: { key: string; value: string }[] = [];
  const text = await readFile(composeFile, 'utf8').catch(() => undefined);
  if (text === undefined) return { envFiles, literals };
  let data: unknown;
  try {
    data = parseYaml(text, composeFile).doc.toJS({ maxAliasCount: -1 });
  } catch {
    return { envFiles, literals };
  }
  const services = (data as { services?: unknown } | null)?.services;
  if (services === null || typeof services !== 'object') return { envFiles, literals };
  const dir = path.dirname(composeFile);
  for (const svc of Object.values(services as Record<string, unknown>)) {
    if (svc === null || typeof svc !== 'object') continue;
    const { env_file: envFile, environment } = svc as { env_file?: unknown; environment?: unknown };
    for (const ref of Array.isArray(envFile) ? envFile : [envFile]) {
      const p = typeof ref === 'string' ? ref : (ref as { path?: unknown } | null)?.path;
      if (typeof p === 'string' && p !== '') envFiles.push(path.resolve(dir, p));
    }
    if (Array.isArray(environment)) {
      for (const item of environment) {
        if (typeof item !== 'string') continue;
        const eq = item.indexOf('=');
        if (eq > 0) literals.push({ key: item.slice(0, eq), value: item.slice(eq + 1) });
      }
    } else if (environment !== null && typeof environment === 'object') {
      for (const [key, value] of Object.entries(environment as Record<string, unknown>)) {
        if (typeof value === 'string') literals.push({ key, value });
      }
    }
  }
  return { envFiles, literals };
}

/** A literal compose value worth registering: not only `${…}` references, and secret by name or by look. */
function literalIsSecret(key: string, value: string): boolean {
  const literal = value.replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, '');
  if (literal.trim().length === 0) return false;
  return classifyKeyName(key).secret || (looksLikeSecretValue(value) && !looksLikeSetting(value));
}

export async function registerKnownSecrets(config: ResolvedConfig, into: Redactor = redactor): Promise<number> {
  let added = await registerEnvFilesIn(config.rootDir, into);
  const seen = new Set<string>();
  const registerFile = async (file: string, label: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) added += registerEnvValues(text, label, into);
  };
  for (const e of config.envFiles) if (e.source !== undefined) await registerFile(e.source, `env:${path.basename(e.source)}`);
  for (const file of config.composeFiles) {
    const found = await composeSecretSources(file);
    for (const f of found.envFiles) await registerFile(f, `env:${path.relative(config.rootDir, f) || path.basename(f)}`);
    for (const { key, value } of found.literals) {
      if (!literalIsSecret(key, value)) continue;
      into.addSecret(value, `compose:${key}`);
      added++;
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
