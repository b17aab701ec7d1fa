// What Compose decides before it reads a service: which files (COMPOSE_FILE, else compose.yaml and
// its override file), and which project name (COMPOSE_PROJECT_NAME, else the files' `name:`, else
// the folder). Read from the project folder's .env and the environment, as Compose does, so
// shipproof names the same files and labels as `docker compose` run in that folder.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { composeFileList, projectEnv, type Env } from './dotenv.js';
import { interpolateText } from './interpolate.js';
import { normalizeProjectName } from './project-name.js';

/** compose-go's override names, looked for beside the default file. */
export const OVERRIDE_FILE_NAMES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'] as const;

export interface ComposeDefaults {
  env: Env;
  /** From COMPOSE_FILE, relative to the folder; undefined when it is not set. */
  files?: string[];
}

export async function composeDefaults(dir: string, processEnv: NodeJS.ProcessEnv = process.env): Promise<ComposeDefaults> {
  const env = await projectEnv(dir, processEnv);
  const files = composeFileList(env);
  return { env, ...(files === undefined ? {} : { files }) };
}

/**
 * The project name Compose would use for `files` in `dir`: COMPOSE_PROJECT_NAME, else the last
 * top-level `name:` (interpolated), else the folder's name; normalised by compose-go's rule.
 */
export async function composeProjectName(files: readonly string[], dir: string, env: Env): Promise<string> {
  if (env.COMPOSE_PROJECT_NAME) return normalizeProjectName(env.COMPOSE_PROJECT_NAME);
  let name: string | undefined;
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    // Only the top-level name is read here; errors are reported by the full compose reader.
    const value: unknown = parseDocument(text).get('name');
    if (typeof value === 'string' && value !== '') name = interpolateText(value, env).text;
  }
  return normalizeProjectName(name || path.basename(path.resolve(dir)));
}
