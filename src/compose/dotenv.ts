// The variables Compose interpolates with: the project folder's `.env` (or the file an include
// names), overridden by the process environment. Values stay in memory for interpolation and
// are never printed or stored in the model.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEnvValues } from '../redact/dotenv.js';

export type Env = Readonly<Record<string, string>>;

/** Parses dotenv text: the value each key ends up with (later lines win). */
export function parseDotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const entry of parseEnvValues(text)) {
    // `KEY=` sets KEY to "" (which `${KEY-x}` and `${KEY:-x}` tell apart).
    vars[entry.key] = entry.values[0] ?? '';
  }
  return vars;
}

export async function readDotenv(file: string): Promise<Record<string, string> | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseDotenv(text);
}

/** `.env` of `dir` with `processEnv` on top, as Compose builds its interpolation environment. */
export async function projectEnv(dir: string, processEnv: NodeJS.ProcessEnv = process.env): Promise<Env> {
  const vars: Record<string, string> = { ...((await readDotenv(path.join(dir, '.env'))) ?? {}) };
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) vars[k] = v;
  return vars;
}

/** COMPOSE_FILE split as Compose does: COMPOSE_PATH_SEPARATOR, else ":" (";" on Windows). */
export function composeFileList(env: Env): string[] | undefined {
  const value = env.COMPOSE_FILE;
  if (value === undefined || value.trim() === '') return undefined;
  const separator = env.COMPOSE_PATH_SEPARATOR || (process.platform === 'win32' ? ';' : ':');
  const files = value.split(separator).map((f) => f.trim()).filter((f) => f !== '');
  return files.length === 0 ? undefined : files;
}

/** COMPOSE_PROFILES: comma-separated profile names. */
export function activeProfiles(env: Env): string[] {
  return (env.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
}
