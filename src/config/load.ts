// Reads shipproof.yaml (or the embedded default when there is none), validates it against
// schema.ts, and resolves every default into a ResolvedConfig with absolute local paths.
// Every input problem becomes a ConfigError that points at file:line:column.
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { composeDefaults, composeProjectName, OVERRIDE_FILE_NAMES } from '../compose/project-defaults.js';
import { ConfigError, UsageError, type SourceLocation } from '../errors.js';
import { suggestionHint } from './did-you-mean.js';
import {
  configSchema,
  PROJECT_NAME_PATTERN,
  type ParsedConfig,
} from './schema.js';
import type { PathSegment, PathTarget } from './yaml-positions.js';
import { parseYamlWithSchema } from './yaml-schema.js';
import type { OffsiteDestination, ResolvedBackupsSection } from './sections/backups.js';
import type { HealthProbe } from './sections/health.js';

export const CONFIG_FILE_NAME = 'shipproof.yaml';
/** Looked for in this order when `compose:` is not set, as `docker compose` does. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

/** A health probe (src/config/sections/health.ts) with its durations named as milliseconds. */
export type ResolvedProbe = Omit<HealthProbe, 'timeout' | 'interval'> & { timeoutMs: number; intervalMs: number };

export type ResolvedTarget =
  | {
      name: string;
      kind: 'local';
      appDir: string;
      /** Absolute: the target's backupsDir, else backups.dir, else <appDir>/backups. */
      backupsDir: string;
      /** `kind: swarm`: the host is a Swarm manager (src/swarm). Absent: Compose. */
      swarm?: true;
    }
  | {
      name: string;
      kind: 'ssh';
      host: string;
      port: number;
      user: string;
      /** Absolute, `~` expanded. */
      identityFile?: string;
      /** True when no identity file is set: keys come from the SSH agent (SSH_AUTH_SOCK). */
      useAgent: boolean;
      knownHostsFile: string;
      acceptNewHostKey: boolean;
      /** Absolute path on the server. */
      appDir: string;
      maxChannels: number;
      connectTimeoutMs: number;
      /** Absolute path on the server: the target's backupsDir, else backups.dir, else <appDir>/backups. */
      backupsDir: string;
      /** `kind: swarm`: the host is a Swarm manager (src/swarm). Absent: Compose. */
      swarm?: true;
    };

/** `false`, or the engine (and whether to stop the service while it is backed up). */
export type StatefulOverride = ParsedConfig['stateful'][string];

export interface ResolvedConfig {
  /** Absolute path of shipproof.yaml; undefined when the embedded default is used. */
  configPath?: string;
  /** The folder paths in the config are relative to (the config file's folder, else cwd). */
  rootDir: string;
  project: string;
  /** Absolute. */
  composeFiles: string[];
  /** Absolute. */
  evidenceDir: string;
  defaultTarget: string;
  /** Always holds `local`. */
  targets: Record<string, ResolvedTarget>;
  /** `source`: an absolute local file uploaded to the server when it differs. */
  envFiles: { path: string; required: string[]; source?: string }[];
  deploy: { keepReleases: number; healthTimeoutMs: number; healthIntervalMs: number; stableChecks: number; keyService?: string; pull: 'missing' | 'always' | 'never'; drainTimeoutMs: number; stopFirst: string[] };
  health: ResolvedProbe[];
  domains: string[];
  stateful: Record<string, StatefulOverride>;
  /** `secrets.allowWeak`: env key -> why its weak value is accepted. */
  allowWeakSecrets: Record<string, string>;
  /** As written: `dir` is absolute or relative to each target's appDir (see ResolvedTarget.backupsDir). */
  backups: ResolvedBackupsSection;
  /** `swarm:` (update_config and the convergence wait), durations in ms. */
  swarm: { order: 'start-first' | 'stop-first'; failureAction: 'rollback' | 'pause'; monitorMs: number; parallelism: number; delayMs: number; convergeTimeoutMs: number };
  /** Where a setting was written in shipproof.yaml; undefined for the embedded default. */
  locate(path: readonly PathSegment[], target?: PathTarget): SourceLocation | undefined;
}

export interface LoadConfigOptions {
  cwd: string;
  /** From --config; relative to cwd. */
  configPath?: string;
}

export async function loadConfig(opts: LoadConfigOptions): Promise<ResolvedConfig> {
  const explicit = opts.configPath !== undefined;
  const configPath = path.resolve(opts.cwd, opts.configPath ?? CONFIG_FILE_NAME);
  const text = await readConfigText(configPath, opts.cwd, explicit);
  if (text === undefined) {
    return resolveConfig(configSchema.parse({}), { rootDir: path.resolve(opts.cwd), cwd: opts.cwd });
  }
  const source = parseConfigText(text, displayPath(opts.cwd, configPath));
  return resolveConfig(source.parsed, {
    rootDir: path.dirname(configPath),
    cwd: opts.cwd,
    configPath,
    locate: source.locate,
  });
}

/** The target named on the command line, else the default one. */
export function resolveTargetName(config: ResolvedConfig, name?: string): ResolvedTarget {
  const chosen = name ?? config.defaultTarget;
  const target = config.targets[chosen];
  if (target === undefined) {
    throw new UsageError(`Unknown target "${chosen}".`, {
      hint: suggestionHint(chosen, Object.keys(config.targets), 'Known targets'),
    });
  }
  return target;
}

/**
 * A target for the commands that drive Compose on the server (run, rollback, down, backup,
 * restore): a swarm target is refused before anything connects, since Compose there would start
 * containers beside the stack. Its deploy and status go to src/swarm instead.
 */
export function resolveComposeTarget(config: ResolvedConfig, name?: string): ResolvedTarget {
  const target = resolveTargetName(config, name);
  if (target.swarm === true) {
    throw new UsageError(`Target "${target.name}" is a swarm target (kind: swarm): this command drives Compose and is not available on swarm targets yet.`, {
      hint: 'On a swarm target use `shipproof deploy --yes` (its failed releases roll back on their own) and `shipproof status`.',
    });
  }
  return target;
}

/** The first compose file `docker compose` would pick in `dir`, as an absolute path. */
export async function findComposeFile(dir: string): Promise<string | undefined> {
  for (const name of COMPOSE_FILE_NAMES) {
    const candidate = path.resolve(dir, name);
    if (await isFile(candidate)) return candidate;
  }
  return undefined;
}

/** Like findComposeFile, but a ConfigError when there is none. `configPath` is blamed when given. */
export async function requireComposeFile(dir: string, cwd: string, configPath?: string): Promise<string> {
  const found = await findComposeFile(dir);
  if (found !== undefined) return found;
  const where = displayPath(cwd, dir);
  throw new ConfigError(`No compose file found in ${where}.`, {
    location: { file: configPath === undefined ? where : displayPath(cwd, configPath) },
    hint: `Looked for ${COMPOSE_FILE_NAMES.join(', ')}. Create one, or name yours in ${CONFIG_FILE_NAME} with "compose: <file>".`,
  });
}

/** The folder name made into a valid compose project name, the way `docker compose` does it. */
export function defaultProjectName(dir: string): string {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[^a-z0-9]+/, '');
  return PROJECT_NAME_PATTERN.test(name) ? name : 'app';
}

/** `file` relative to `cwd` when it lies inside it (shorter, clickable), else absolute. */
export function displayPath(cwd: string, file: string): string {
  const relative = path.relative(path.resolve(cwd), file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

async function readConfigText(file: string, cwd: string, explicit: boolean): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    const shown = displayPath(cwd, file);
    if (code === 'ENOENT') {
      throw new UsageError(`Config file ${shown} does not exist.`, {
        hint: `Check the --config path, or run \`shipproof init\` to create ${CONFIG_FILE_NAME}.`,
      });
    }
    throw new ConfigError(`Cannot read ${shown} (${code ?? 'unknown error'}).`, { location: { file: shown }, cause: error });
  }
}

interface ConfigSource {
  parsed: ParsedConfig;
  locate: ResolvedConfig['locate'];
}

function parseConfigText(text: string, file: string): ConfigSource {
  const { data, locate } = parseYamlWithSchema(text, file, configSchema);
  return { parsed: data as ParsedConfig, locate };
}

// ---- resolution: defaults and absolute paths ----

interface ResolveContext {
  rootDir: string;
  cwd: string;
  configPath?: string;
  locate?: ResolvedConfig['locate'];
}

async function resolveConfig(parsed: ParsedConfig, ctx: ResolveContext): Promise<ResolvedConfig> {
  const locate: ResolvedConfig['locate'] = ctx.locate ?? (() => undefined);
  // COMPOSE_FILE and COMPOSE_PROJECT_NAME (environment or .env) and `name:` count as in Compose.
  const composeEnv = await composeDefaults(ctx.rootDir);
  const composeFiles = await resolveComposeFiles(parsed.compose ?? composeEnv.files, ctx, locate, parsed.compose === undefined && composeEnv.files !== undefined);
  const composeName = await composeProjectName(composeFiles, ctx.rootDir, composeEnv.env);
  const shared: TargetDefaults = {
    project: parsed.project ?? (PROJECT_NAME_PATTERN.test(composeName) ? composeName : defaultProjectName(ctx.rootDir)),
    rootDir: ctx.rootDir,
    backupsDir: parsed.backups.dir,
  };

  const targets: Record<string, ResolvedTarget> = { local: resolveTarget('local', { host: { kind: 'local' } }, shared) };
  for (const [name, entry] of Object.entries(parsed.targets ?? {})) targets[name] = resolveTarget(name, entry, shared);

  const servers = Object.keys(targets).filter((name) => name !== 'local');
  const defaultTarget = parsed.defaultTarget ?? (servers.length === 1 ? (servers[0] as string) : 'local');
  if (targets[defaultTarget] === undefined) {
    throw new ConfigError(`Unknown target "${defaultTarget}" in "defaultTarget".`, {
      location: locate(['defaultTarget']),
      hint: suggestionHint(defaultTarget, Object.keys(targets), 'Known targets'),
    });
  }

  return {
    configPath: ctx.configPath,
    rootDir: ctx.rootDir,
    project: shared.project,
    composeFiles,
    evidenceDir: localPath(parsed.evidence, ctx.rootDir),
    defaultTarget,
    targets,
    envFiles: parsed.envFiles.map((e) => ({
      path: e.path,
      required: e.required,
      ...('source' in e && e.source !== undefined ? { source: localPath(e.source, ctx.rootDir) } : {}),
    })),
    deploy: {
      keepReleases: parsed.deploy.keepReleases,
      healthTimeoutMs: parsed.deploy.healthTimeout,
      healthIntervalMs: parsed.deploy.healthInterval,
      stableChecks: parsed.deploy.stableChecks,
      pull: parsed.deploy.pull,
      ...(parsed.deploy.keyService === undefined ? {} : { keyService: parsed.deploy.keyService }),
      drainTimeoutMs: parsed.deploy.drainTimeout,
      stopFirst: parsed.deploy.stopFirst,
    },
    health: parsed.health.map(({ timeout, interval, ...probe }) => ({ ...probe, timeoutMs: timeout, intervalMs: interval })),
    domains: parsed.domains,
    stateful: parsed.stateful,
    allowWeakSecrets: parsed.secrets.allowWeak,
    swarm: {
      order: parsed.swarm.order,
      failureAction: parsed.swarm.failureAction,
      monitorMs: parsed.swarm.monitor,
      parallelism: parsed.swarm.parallelism,
      delayMs: parsed.swarm.delay ?? 0,
      convergeTimeoutMs: parsed.swarm.convergeTimeout,
    },
    backups: (() => {
      const { offsite, ...rest } = parsed.backups;
      return {
        ...rest,
        ...(rest.identity ? { identity: localPath(rest.identity, ctx.rootDir) } : {}),
        ...(offsite === undefined
          ? {}
          : {
              offsite: offsite.map((d): OffsiteDestination =>
                'pull' in d
                  ? { kind: 'pull', dir: localPath(d.pull, ctx.rootDir) }
                  : 'push' in d
                    ? { kind: 'push', target: d.push, ...(d.dir ? { dir: d.dir } : {}) }
                    : { kind: 's3', s3: { ...d.s3, ...(d.s3.credentialsFile ? { credentialsFile: localPath(d.s3.credentialsFile, ctx.rootDir) } : {}) } },
              ),
            }),
      };
    })(),
    locate,
  };
}

interface TargetDefaults {
  project: string;
  rootDir: string;
  /** backups.dir as written. */
  backupsDir: string | undefined;
}

type ParsedTarget = NonNullable<ParsedConfig['targets']>[string];

/** Where releases live when a target sets no appDir: per kind of target. */
export function defaultAppDir(kind: 'local' | 'ssh', project: string): string {
  return kind === 'local' ? path.join(homedir(), '.local', 'share', 'shipproof', project) : `/opt/${project}`;
}

function resolveTarget(name: string, entry: ParsedTarget, shared: TargetDefaults): ResolvedTarget {
  const backups = entry.backupsDir ?? shared.backupsDir ?? 'backups';
  if (entry.host.kind === 'local') {
    const appDir = entry.appDir === undefined ? defaultAppDir('local', shared.project) : localPath(entry.appDir, shared.rootDir);
    return { name, kind: 'local', appDir, backupsDir: localPath(backups, appDir), ...(entry.kind === 'swarm' ? { swarm: true as const } : {}) };
  }
  const appDir = entry.appDir ?? defaultAppDir('ssh', shared.project);
  return {
    name,
    kind: 'ssh',
    host: entry.host.host,
    port: entry.host.port,
    user: entry.host.user,
    identityFile: entry.identity === undefined ? undefined : localPath(entry.identity, shared.rootDir),
    useAgent: entry.identity === undefined,
    knownHostsFile: localPath(entry.knownHosts ?? '~/.ssh/known_hosts', shared.rootDir),
    acceptNewHostKey: entry.acceptNewHostKey ?? false,
    appDir,
    maxChannels: entry.maxChannels ?? 8,
    connectTimeoutMs: entry.connectTimeout ?? 10_000,
    // Server paths are POSIX whatever this machine is.
    backupsDir: path.posix.resolve(appDir, backups),
    ...(entry.kind === 'swarm' ? { swarm: true as const } : {}),
  };
}

/** A path on this machine: `~` expanded, relative paths taken from `base`. */
function localPath(p: string, base: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return path.join(homedir(), p.slice(2));
  return path.resolve(base, p);
}

async function resolveComposeFiles(
  compose: ParsedConfig['compose'],
  ctx: ResolveContext,
  locate: ResolvedConfig['locate'],
  fromEnv = false,
): Promise<string[]> {
  if (compose === undefined) {
    const main = await requireComposeFile(ctx.rootDir, ctx.cwd, ctx.configPath);
    // Compose also reads the override file beside the default one.
    for (const name of OVERRIDE_FILE_NAMES) {
      const candidate = path.join(path.dirname(main), name);
      if (await isFile(candidate)) return [main, candidate];
    }
    return [main];
  }
  const listed = typeof compose === 'string' ? [compose] : compose;
  const files: string[] = [];
  for (const [index, file] of listed.entries()) {
    const absolute = localPath(file, ctx.rootDir);
    if (!(await isFile(absolute))) {
      throw new ConfigError(`Compose file "${file}" does not exist.`, {
        location: fromEnv ? { file: displayPath(ctx.cwd, path.join(ctx.rootDir, '.env')) } : locate(typeof compose === 'string' ? ['compose'] : ['compose', index]),
        hint: fromEnv
          ? 'It is named by COMPOSE_FILE (in the environment or .env); paths there are relative to the project folder.'
          : `Paths in "compose" are relative to the folder of ${CONFIG_FILE_NAME} (${displayPath(ctx.cwd, ctx.rootDir)}).`,
      });
    }
    files.push(absolute);
  }
  return files;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
