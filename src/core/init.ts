// `shipproof init`: a commented shipproof.yaml guessed from the compose file. The text is a
// hand-written template so every section explains itself; the guesses are filled in.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadCompose } from '../compose/load.js';
import type { ComposeProject, ComposeService, PortMapping } from '../compose/model.js';
import { detectStatefulServices, type StatefulService } from '../compose/stateful.js';
import { CONFIG_FILE_NAME, defaultProjectName, requireComposeFile } from '../config/load.js';
import { PROJECT_NAME_PATTERN } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../evidence/atomic-write.js';

export interface InitInput {
  /** The folder shipproof.yaml is written to. */
  rootDir: string;
  /** Absolute. */
  composeFiles: string[];
  compose: ComposeProject;
  /** Variable names from the `.example` file of each env file, keyed by the env_file path as written in compose. */
  envExampleKeys?: Record<string, string[]>;
}

interface EnvFileGuess {
  path: string;
  required: string[];
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
  const project = compose.name !== undefined && PROJECT_NAME_PATTERN.test(compose.name) ? compose.name : defaultProjectName(input.rootDir);
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
    `#     appDir: /opt/${project}   # default /opt/<project>`,
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
}

/** Writes shipproof.yaml into `cwd`; refuses to replace one unless `force`. */
export async function initProject(opts: InitOptions): Promise<{ path: string; content: string }> {
  const rootDir = path.resolve(opts.cwd);
  const target = path.join(rootDir, CONFIG_FILE_NAME);
  const composeFile = await requireComposeFile(rootDir, opts.cwd);
  const compose = await loadCompose([composeFile], { cwd: opts.cwd });
  const content = renderInitConfig({
    rootDir,
    composeFiles: [composeFile],
    compose,
    envExampleKeys: await readEnvExamples(compose),
  });
  try {
    // Exclusive refuses an existing file in the same step that writes: no window between check and write.
    await writeFileAtomic(target, content, { exclusive: opts.force !== true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new UsageError(`${CONFIG_FILE_NAME} already exists in ${rootDir}.`, {
      hint: 'Edit it by hand, or run `shipproof init --force` to replace it.',
    });
  }
  return { path: target, content };
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
  const fromRefs = compose.interpolation.filter((v) => !v.hasDefault).map((v) => v.name);
  const files = usedEnvFiles(compose);
  // `${VAR}` references are filled from the env file given to `docker compose --env-file`, which is
  // usually the first one the services use; with none, compose reads `.env`.
  if (files.length === 0) {
    return fromRefs.length === 0 ? [] : [{ path: '.env', required: fromRefs, sources: ['${VAR} references in the compose file'] }];
  }
  return files.map((file, index) => {
    const example = input.envExampleKeys?.[file] ?? [];
    const refs = index === 0 ? fromRefs : [];
    const sources = [
      ...(example.length > 0 ? ['its .example file'] : []),
      ...(refs.length > 0 ? ['${VAR} references in the compose file'] : []),
    ];
    const onServer = toPosix(path.relative(input.rootDir, path.resolve(compose.projectDir, file)));
    return { path: onServer, required: [...new Set([...example, ...refs])], sources };
  });
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
    '# The engines are postgres, mariadb, redis, sqlite, volume, vault, minio and mongodb.',
  ];
  if (services.length === 0) return [...head, '# stateful:', '#   db: { engine: postgres }'];
  const lines = [...head, 'stateful:'];
  for (const s of services) {
    const why =
      s.source === 'image'
        ? `image ${s.image ?? ''}`.trim()
        : s.source === 'volume'
          ? `named volume${s.volumes.length > 1 ? 's' : ''} ${s.volumes.join(', ')}`
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
