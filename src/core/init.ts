// `shipproof init`: a commented shipproof.yaml guessed from the compose file. The text is a
// hand-written template so every section explains itself; the guesses are filled in.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadCompose } from '../compose/load.js';
import type { ComposeProject, ComposeService, PortMapping } from '../compose/model.js';
import { detectStatefulServices, type StatefulService } from '../compose/stateful.js';
import { composeDefaults, OVERRIDE_FILE_NAMES } from '../compose/project-defaults.js';
import { CONFIG_FILE_NAME, defaultAppDir, defaultProjectName, requireComposeFile } from '../config/load.js';
import { ENGINES, PROJECT_NAME_PATTERN } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { writeGeneratedFile } from '../evidence/generated-file.js';

export interface InitInput {
  /** The folder shipproof.yaml is written to. */
  rootDir: string;
  /** Absolute. */
  composeFiles: string[];
  compose: ComposeProject;
  /** Variable names from the `.example` file of each env file, keyed by the env_file path as written in compose. */
  envExampleKeys?: Record<string, string[]>;
  /** Variable names (never values) of the env files that exist here, keyed like envExampleKeys; `.env` for the interpolation file. */
  localEnvKeys?: Record<string, string[]>;
}

interface EnvFileGuess {
  path: string;
  required: string[];
  /** The local file to upload, relative to shipproof.yaml, when it exists here. */
  source?: string;
  /** Where the names came from, for the comment. */
  sources: string[];
}

interface ProbeGuess {
  name: string;
  url: string;
  insecure: boolean;
}

/** The commented shipproof.yaml for a project. Pure: reads nothing. */
export function renderInitConfig(input: InitInput): string {
  const { compose } = input;
  // The name Compose itself would use (COMPOSE_PROJECT_NAME, name:, the folder), so labels match.
  const named = compose.projectName ?? compose.name;
  const project = named !== undefined && PROJECT_NAME_PATTERN.test(named) ? named : defaultProjectName(input.rootDir);
  const composePaths = input.composeFiles.map((file) => toPosix(path.relative(input.rootDir, file)));
  const envFiles = guessEnvFiles(input);
  const probes = compose.services.flatMap((service) => guessProbe(service) ?? []);
  const stateful = detectStatefulServices(compose);

  const lines: string[] = [
    `# shipproof.yaml, written by \`shipproof init\` from ${composePaths.join(', ')}.`,
    '# Everything below is a guess from the compose file: review it, then run `shipproof check`.',
    '# `shipproof schema` prints the JSON Schema of this file, for completion in editors.',
    '',
    '# Compose project name: lowercase letters, digits, - and _.',
    `project: ${scalar(project)}`,
    '',
    '# The compose file(s), relative to this file; later files override earlier ones.',
    composePaths.length === 1 ? `compose: ${scalar(composePaths[0] as string)}` : `compose: ${flowList(composePaths)}`,
    '',
    '# Where evidence records are written: Markdown for people, JSON for machines.',
    'evidence: docs/evidence',
    '',
    '# Where to deploy. `local` (this machine) always exists. A server is an ssh:// URL with a user:',
    '# targets:',
    '#   prod: ssh://deploy@203.0.113.10:22',
    '#   staging:',
    '#     host: ssh://deploy@staging.example.com',
    '#     identity: ~/.ssh/id_ed25519     # else the SSH agent (SSH_AUTH_SOCK)',
    '#     acceptNewHostKey: false         # trust a host key seen for the first time',
    `#     appDir: ${defaultAppDir('ssh', project)}   # default on an ssh target: ${defaultAppDir('ssh', '<project>')}`,
    `# (local deploys default to ${defaultAppDir('local', '<project>').replace(/^.*\/\.local\//, '~/.local/')})`,
    '# defaultTarget: prod                 # default: the only server, else local',
    '',
    ...renderEnvFiles(envFiles),
    '',
    ...renderHealth(probes),
    '',
    '# Domains the reverse proxy must serve with a valid TLS certificate.',
    '# domains: [example.com]',
    '',
    ...renderStateful(stateful),
    '',
    '# Backups are written on the server, mode 0600.',
    '# backups:',
    `#   dir: /var/backups/${project}   # default <appDir>/backups`,
    '#   keep: 7',
    '',
  ];
  return lines.join('\n');
}

export interface InitOptions {
  cwd: string;
  force?: boolean;
  /** --compose FILE (repeatable), relative to cwd. Default: COMPOSE_FILE, else compose.yaml and its override. */
  composeFiles?: string[];
}

/** Writes shipproof.yaml into `cwd`; refuses to replace one unless `force`. */
export async function initProject(opts: InitOptions): Promise<{ path: string; content: string }> {
  const rootDir = path.resolve(opts.cwd);
  const target = path.join(rootDir, CONFIG_FILE_NAME);
  const composeFiles = await chooseComposeFiles(rootDir, opts);
  const compose = await loadCompose(composeFiles, { cwd: opts.cwd });
  const content = renderInitConfig({
    rootDir,
    composeFiles,
    compose,
    envExampleKeys: await readEnvExamples(compose),
    localEnvKeys: await readLocalEnvNames(compose),
  });
  // shipproof.yaml is the person's from the moment it is written: any existing one needs --force.
  await writeGeneratedFile(target, content, {
    syntax: 'person',
    shown: `${CONFIG_FILE_NAME} in ${rootDir}`,
    ...(opts.force === undefined ? {} : { force: opts.force }),
    hint: 'Edit it by hand, or run `shipproof init --force` to replace it.',
  });
  return { path: target, content };
}

/** The files Compose would read here, or the ones named with --compose. */
async function chooseComposeFiles(rootDir: string, opts: InitOptions): Promise<string[]> {
  if (opts.composeFiles !== undefined && opts.composeFiles.length > 0) {
    const files = opts.composeFiles.map((f) => path.resolve(opts.cwd, f));
    const missing = files.find((f) => !existsSync(f));
    if (missing !== undefined) throw new UsageError(`Compose file ${path.relative(opts.cwd, missing) || missing} does not exist.`, { hint: 'Paths given with --compose are relative to the current folder.' });
    return files;
  }
  const fromEnv = (await composeDefaults(rootDir)).files;
  if (fromEnv !== undefined) return fromEnv.map((f) => path.resolve(rootDir, f));
  const main = await requireComposeFile(rootDir, opts.cwd);
  const override = OVERRIDE_FILE_NAMES.map((n) => path.join(path.dirname(main), n)).find((f) => existsSync(f));
  return override === undefined ? [main] : [main, override];
}

/** Names (never values) in the env files that exist on this machine, and in the project's `.env`. */
export async function readLocalEnvNames(compose: ComposeProject): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const envPath of [...usedEnvFiles(compose), '.env']) {
    const text = await readFile(path.resolve(compose.projectDir, envPath), 'utf8').catch(() => undefined);
    if (text !== undefined) out[envPath] = envFileNames(text);
  }
  return out;
}

/**
 * For each env file the services use, the names in `<file>.example`, else in a `.env.example`
 * next to it. Only names are kept; the example's values are never looked at again.
 */
export async function readEnvExamples(compose: ComposeProject): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const envPath of usedEnvFiles(compose)) {
    const file = path.resolve(compose.projectDir, envPath);
    for (const candidate of [`${file}.example`, path.join(path.dirname(file), '.env.example')]) {
      const text = await readFile(candidate, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      out[envPath] = envFileNames(text);
      break;
    }
  }
  return out;
}

/** Variable names in an env file's text (`KEY=…`, `export KEY=…`), in order, without values. */
export function envFileNames(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (match !== null) names.add(match[1] as string);
  }
  return [...names];
}

/** Required env_file paths, as written, in the order services use them. */
function usedEnvFiles(compose: ComposeProject): string[] {
  return [...new Set(compose.services.flatMap((s) => s.envFiles.filter((f) => f.required).map((f) => f.path)))];
}

function guessEnvFiles(input: InitInput): EnvFileGuess[] {
  const { compose } = input;
  // `${VAR}` references are filled from the project folder's `.env` (Compose's interpolation file),
  // not from the services' env_file entries; COMPOSE_* settings there are Compose's own.
  const fromRefs = compose.interpolation.filter((v) => !v.hasDefault).map((v) => v.name);
  const guesses: EnvFileGuess[] = [];
  const seen = new Set<string>();
  for (const file of usedEnvFiles(compose)) {
    const onServer = toPosix(path.relative(input.rootDir, path.resolve(compose.projectDir, file)));
    if (seen.has(onServer)) continue;
    seen.add(onServer);
    guesses.push(guessOne(input, file, onServer, onServer === '.env' ? fromRefs : []));
  }
  const dotenv = toPosix(path.relative(input.rootDir, path.join(compose.projectDir, '.env')));
  if (!seen.has(dotenv) && (fromRefs.length > 0 || input.localEnvKeys?.['.env'] !== undefined)) {
    guesses.push(guessOne(input, '.env', dotenv, fromRefs));
  }
  return guesses;
}

function guessOne(input: InitInput, key: string, onServer: string, refs: readonly string[]): EnvFileGuess {
  const example = input.envExampleKeys?.[key] ?? [];
  const local = (input.localEnvKeys?.[key] ?? []).filter((n) => !n.startsWith('COMPOSE_'));
  const sources = [
    ...(local.length > 0 ? ['the local file (names only)'] : []),
    ...(example.length > 0 ? ['its .example file'] : []),
    ...(refs.length > 0 ? ['${VAR} references in the compose file'] : []),
  ];
  const exists = input.localEnvKeys?.[key] !== undefined;
  return { path: onServer, required: [...new Set([...local, ...example, ...refs])], sources, ...(exists ? { source: onServer } : {}) };
}

/** A probe for a service with a healthcheck and a published TCP port, at the path its healthcheck uses. */
function guessProbe(service: ComposeService): ProbeGuess | undefined {
  if (service.healthcheck === undefined || service.healthcheck.disabled) return undefined;
  const published = service.ports.filter((p): p is PortMapping & { published: number } => p.protocol === 'tcp' && p.published !== undefined);
  if (published.length === 0) return undefined;
  const inTest = /https?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(?::(\d+))?(\/[^\s'"]*)?/.exec((service.healthcheck.test ?? []).join(' '));
  const testPort = inTest === null ? undefined : Number(inTest[1] ?? 80);
  const port =
    published.find((p) => p.target === testPort) ?? published.find((p) => p.target !== 443) ?? (published[0] as PortMapping & { published: number });
  const tls = port.target === 443;
  return {
    name: service.name,
    url: `${tls ? 'https' : 'http'}://localhost:${port.published}${(inTest?.[2] ?? '/').replace(/[?#].*$/, '')}`, // the path only: a ?token= stays out of shipproof.yaml
    insecure: tls,
  };
}

function renderEnvFiles(envFiles: readonly EnvFileGuess[]): string[] {
  const head = [
    '# Env files on the server (relative to the app folder, or absolute). Only the names listed',
    '# under required are checked; values are never read back.',
  ];
  if (envFiles.length === 0) {
    return [...head, '# envFiles:', '#   - path: .env', '#     required: [POSTGRES_PASSWORD]'];
  }
  const lines = [...head, 'envFiles:'];
  for (const file of envFiles) {
    lines.push(`  - path: ${scalar(file.path)}`);
    if (file.source !== undefined) lines.push(`    source: ${scalar(file.source)}   # exists here: uploaded (0600) when the server lacks it or holds another version`);
    if (file.required.length === 0) {
      lines.push('    required: []');
      continue;
    }
    lines.push(`    required:   # from ${file.sources.join(' and ')}`);
    for (const name of file.required) lines.push(`      - ${name}`);
  }
  return lines;
}

function renderHealth(probes: readonly ProbeGuess[]): string[] {
  const head = ['# HTTP probes that must pass after a deploy (status 200 unless `status:` says otherwise).'];
  if (probes.length === 0) {
    return [
      ...head,
      '# health:',
      '#   - name: web',
      '#     url: https://example.com/healthz',
      `#     body: '"status":"ok"'     # optional substring of the response`,
      '#     timeout: 5s',
    ];
  }
  const lines = [...head, 'health:'];
  for (const probe of probes) {
    lines.push(`  - name: ${scalar(probe.name)}`);
    lines.push(`    url: ${scalar(probe.url)}   # from the published port and healthcheck of "${probe.name}"; use a real health path`);
    if (probe.insecure) lines.push('    insecure: true   # localhost has no public certificate');
  }
  return lines;
}

function renderStateful(services: readonly StatefulService[]): string[] {
  const head = [
    '# Services that hold data, and how they are backed up. `name: false` marks a service as',
    '# not stateful; `{ engine: volume, stop: true }` stops it while its files are copied.',
    `# The engines are ${ENGINES.join(', ')}.`,
  ];
  if (services.length === 0) return [...head, '# stateful:', '#   db: { engine: postgres }'];
  const lines = [...head, 'stateful:'];
  for (const s of services) {
    const why =
      s.source === 'image'
        ? `image ${s.image ?? ''}`.trim()
        : s.source === 'volume'
          ? `named volume${s.volumes.length > 1 ? 's' : ''} ${s.volumes.join(', ')}`
          : s.source === 'bind'
            ? `bind-mounted folder${s.binds.length > 1 ? 's' : ''} ${s.binds.map((b) => b.source).join(', ')}`
            : `label shipproof.engine`;
    lines.push(`  ${scalar(s.service)}: { engine: ${s.engine} }   # from ${why}`);
  }
  return lines;
}

/** One YAML scalar, quoted only when it has to be. */
function scalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

function flowList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
