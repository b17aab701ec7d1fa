// The compose model turned into the stack file `docker stack deploy` takes (compose v3.8), with
// what Swarm ignores handled the way compat.ts tells the user: images pinned by shipproof, env
// files and bind-mounted files as versioned secrets and configs (external: shipproof creates them
// from stdin, so no value is in this file), restart -> deploy.restart_policy, depends_on dropped
// (shipproof's gate orders), update_config from shipproof.yaml. Pure: the runtime supplies the
// pinned images and object names. JSON is YAML, so the file is written as JSON.
import { createHash } from 'node:crypto';
import type { ComposeProject, ComposeService, Healthcheck } from '../compose/model.js';
import type { ResolvedConfig } from '../config/load.js';
import { restartCondition } from './compat.js';

/** Where a service's env file values are mounted; the entrypoint wrapper sources this file. */
export const ENV_SECRET_TARGET = '/run/secrets/shipproof.env';

export interface StackInputs {
  /** Pinned image reference per service (repo@sha256:… or repo:sp-<id>). */
  images: Record<string, string>;
  /** Per service: the image's own entrypoint and cmd, for the env wrapper. */
  imageCommand: Record<string, { entrypoint: string[]; cmd: string[] }>;
  /** Per service with env files: the versioned secret's name. */
  envSecrets: Record<string, string>;
  /** Per service: mount target -> versioned config name (bind-mounted files). */
  fileConfigs: Record<string, Record<string, string>>;
  swarm: ResolvedConfig['swarm'];
}

type Obj = Record<string, unknown>;

const ms = (n: number): string => `${n}ms`;

function healthcheck(h: Healthcheck): Obj {
  if (h.disabled) return { disable: true };
  return {
    ...(h.test ? { test: h.test } : {}),
    ...(h.intervalMs !== undefined ? { interval: ms(h.intervalMs) } : {}),
    ...(h.timeoutMs !== undefined ? { timeout: ms(h.timeoutMs) } : {}),
    ...(h.startPeriodMs !== undefined ? { start_period: ms(h.startPeriodMs) } : {}),
    ...(h.retries !== undefined ? { retries: h.retries } : {}),
  };
}

/** A compose string command is split on blanks the way Compose does for simple cases. */
function words(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v.split(/\s+/).filter((w) => w !== '') : v;
}

/** Sources the env secret into the environment, then runs the service's own command. */
export const ENV_WRAPPER = ['/bin/sh', '-c', `set -a; . ${ENV_SECRET_TARGET}; set +a; exec "$@"`, 'shipproof-env'];

function service(s: ComposeService, i: StackInputs): Obj {
  const image = i.images[s.name];
  if (image === undefined) throw new Error(`stack: no pinned image for ${s.name}`);
  const published = s.ports.length > 0;
  const env = i.envSecrets[s.name];
  const configs = i.fileConfigs[s.name] ?? {};
  let entrypoint = words(s.entrypoint);
  let command = words(s.command);
  if (env !== undefined) {
    const own = i.imageCommand[s.name] ?? { entrypoint: [], cmd: [] };
    command = [...(entrypoint ?? own.entrypoint), ...(command ?? (entrypoint === undefined ? own.cmd : []))];
    entrypoint = ENV_WRAPPER;
  }
  const volumes = s.volumes
    .filter((v) => v.type === 'named' || v.type === 'anonymous' || v.type === 'tmpfs')
    .map((v) => (v.type === 'named' ? `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}` : v.type === 'tmpfs' ? { type: 'tmpfs', target: v.target } : v.target));
  const order = published ? 'stop-first' : i.swarm.order;
  const update = {
    parallelism: i.swarm.parallelism,
    delay: ms(i.swarm.delayMs),
    order,
    failure_action: i.swarm.failureAction,
    monitor: ms(i.swarm.monitorMs),
  };
  return {
    image,
    ...(entrypoint !== undefined ? { entrypoint } : {}),
    ...(command !== undefined ? { command } : {}),
    ...(s.healthcheck ? { healthcheck: healthcheck(s.healthcheck) } : {}),
    ...(published
      ? { ports: s.ports.map((p) => ({ target: p.target, ...(p.published !== undefined ? { published: p.published } : {}), protocol: p.protocol, mode: 'host' })) }
      : {}),
    ...(volumes.length ? { volumes } : {}),
    ...(env !== undefined ? { secrets: [{ source: env, target: 'shipproof.env', mode: 0o400 }] } : {}),
    ...(Object.keys(configs).length ? { configs: Object.entries(configs).map(([target, source]) => ({ source, target, mode: 0o444 })) } : {}),
    ...(s.labels.length ? { labels: Object.fromEntries(s.labels.map((l) => [l.name, l.value])) } : {}),
    deploy: {
      // The routing mesh's virtual IPs need IPVS; DNS round robin works on every kernel.
      endpoint_mode: 'dnsrr',
      ...(s.restart !== undefined ? { restart_policy: { condition: restartCondition(s.restart) } } : {}),
      update_config: update,
      rollback_config: { parallelism: i.swarm.parallelism, order },
    },
  };
}

/** `docker stack deploy` interpolates the file again: every `$` of a value is written `$$`. */
function escapeDollars(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/\$/g, '$$$$');
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
  return v;
}

/** The stack file as data, keys in a stable order (its hash is the release id). */
export function stackFile(project: ComposeProject, i: StackInputs): Obj {
  return escapeDollars(unescapedStackFile(project, i)) as Obj;
}

function unescapedStackFile(project: ComposeProject, i: StackInputs): Obj {
  const services = Object.fromEntries(project.services.map((s) => [s.name, service(s, i)]));
  const secrets = [...new Set(Object.values(i.envSecrets))].sort();
  const configs = [...new Set(Object.values(i.fileConfigs).flatMap((m) => Object.values(m)))].sort();
  const volumes = project.volumes.map((v) => [v.name, v.external ? { external: true, ...(v.externalName ? { name: v.externalName } : {}) } : v.driver ? { driver: v.driver } : {}] as const);
  return {
    version: '3.8',
    services,
    ...(volumes.length ? { volumes: Object.fromEntries(volumes) } : {}),
    ...(secrets.length ? { secrets: Object.fromEntries(secrets.map((n) => [n, { external: true }])) } : {}),
    ...(configs.length ? { configs: Object.fromEntries(configs.map((n) => [n, { external: true }])) } : {}),
  };
}

/** The release id: the first 12 hex of the stack file's sha256 (pinned images and object names included). */
export function releaseIdOf(stack: Obj): string {
  return createHash('sha256').update(JSON.stringify(stack)).digest('hex').slice(0, 12);
}

/** A versioned Swarm object name: `<stack>_<what>_<first 12 hex of sha256(content)>` (at most 64 chars). */
export function versionedName(stack: string, what: string, content: Buffer | string): string {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 12);
  const base = `${stack}_${what.replace(/[^A-Za-z0-9_.-]/g, '_')}`.slice(0, 50);
  return `${base}_${hash}`;
}

/** Env file values as a file `sh` can source: `export KEY='value'`, quotes escaped. */
export function shellEnvFile(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'\n`)
    .join('');
}
