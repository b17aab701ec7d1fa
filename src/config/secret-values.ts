// Where the secret values this machine knows are written: env files next to shipproof.yaml, the
// `envFiles[].source` files shipproof uploads, the env files compose services name (`env_file:`, in
// any folder) and literal `environment:` values in the compose files. Read leniently: a file that
// cannot be read or parsed is skipped here and reported by the command that needs it.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEnvValues } from '../redact/dotenv.js';
import type { ResolvedConfig } from './load.js';
import { parseYaml } from './yaml-positions.js';

export interface SecretValue {
  key: string;
  /** Every form of the value (as written, unquoted, expanded). */
  values: string[];
  /** Absolute path of the file it is written in. */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** `env` for an env file, `compose` for a literal `environment:` value. */
  from: 'env' | 'compose';
}

/** `.env`, `.env.prod`, `prod.env` — but not examples or templates, which hold no secrets. */
export function isEnvFileName(name: string): boolean {
  if (/\.(example|sample|template|dist)$/i.test(name)) return false;
  return /^\.env(\..+)?$/.test(name) || /\.env$/.test(name);
}

/** Env files in `dir` by name (absolute paths). */
export async function envFilesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter(isEnvFileName).map((n) => path.join(dir, n));
}

export async function envFileValues(file: string): Promise<SecretValue[]> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  return parseEnvValues(text).map((e) => ({ key: e.key, values: e.values, file, line: e.line, from: 'env' as const }));
}

/** The env files services name and the literal environment values, from one compose file. */
export async function composeSecretSources(composeFile: string): Promise<{ envFiles: string[]; literals: SecretValue[] }> {
  const envFiles: string[] = [];
  const literals: SecretValue[] = [];
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
  const literal = (key: string, value: string) => literals.push({ key, values: [value], file: composeFile, from: 'compose' });
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
        if (eq > 0) literal(item.slice(0, eq), item.slice(eq + 1));
      }
    } else if (environment !== null && typeof environment === 'object') {
      for (const [key, value] of Object.entries(environment as Record<string, unknown>)) {
        if (typeof value === 'string' || typeof value === 'number') literal(key, String(value));
      }
    }
  }
  return { envFiles, literals };
}

/** A value that only references variables (`${DB_PASSWORD}`) holds nothing itself. */
export function onlyReferences(value: string): boolean {
  return value.replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, '').trim().length === 0 && value.includes('$');
}

/** Every value this machine knows for the project, each file once, in a stable order. */
export async function knownSecretValues(config: ResolvedConfig): Promise<SecretValue[]> {
  const files: string[] = [...(await envFilesIn(config.rootDir))];
  for (const e of config.envFiles) if (e.source !== undefined) files.push(e.source);
  const literals: SecretValue[] = [];
  for (const composeFile of config.composeFiles) {
    const found = await composeSecretSources(composeFile);
    files.push(...found.envFiles);
    literals.push(...found.literals.filter((l) => !l.values.every(onlyReferences)));
  }
  const out: SecretValue[] = [];
  for (const file of [...new Set(files)]) out.push(...(await envFileValues(file)));
  return [...out, ...literals];
}
