// Which services hold data, and of what kind: the engine decides how a service is backed up.
// Precedence, lowest first: the image name, a `shipproof.engine` label, shipproof.yaml `stateful:`.
// A service with named volumes and no engine is a plain `volume` (its files are archived).
import type { StatefulOverride } from '../config/load.js';
import { suggestionHint } from '../config/did-you-mean.js';
import { ENGINES, type Engine } from '../config/schema.js';
import { ConfigError, type SourceLocation } from '../errors.js';
import { substituteDefaults, type ComposeProject, type ComposeService } from './model.js';

export const ENGINE_LABEL = 'shipproof.engine';
/** Label value that marks a service as not stateful. */
const NO_ENGINE = 'none';

export type EngineSource = 'image' | 'label' | 'config' | 'volume';

export interface StatefulService {
  service: string;
  engine: Engine;
  /** Where the engine came from. */
  source: EngineSource;
  /** Named volumes the service mounts (compose names, not Docker's prefixed ones). */
  volumes: string[];
  /** Stop the service while it is backed up; only ever set by shipproof.yaml. */
  stop: boolean;
  image?: string;
  location: SourceLocation;
}

/** The last part of an image's repository, without registry, tag or digest, mapped to an engine. */
const IMAGE_ENGINES: Record<string, Engine> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  postgis: 'postgres',
  timescaledb: 'postgres',
  'timescaledb-ha': 'postgres',
  pgvector: 'postgres',
  mysql: 'mariadb',
  'mysql-server': 'mariadb',
  mariadb: 'mariadb',
  percona: 'mariadb',
  'percona-server': 'mariadb',
  redis: 'redis',
  'redis-stack': 'redis',
  'redis-stack-server': 'redis',
  valkey: 'redis',
  keydb: 'redis',
  mongo: 'mongodb',
  mongodb: 'mongodb',
  'mongodb-community-server': 'mongodb',
  vault: 'vault',
  openbao: 'vault',
  minio: 'minio',
};

/**
 * The engine an image name implies: "postgres:16-alpine", "docker.io/bitnami/redis@sha256:…",
 * "timescale/timescaledb:latest-pg16". Exact names only, so "postgres-exporter" or
 * "redis-commander" (tools, not stores) are not taken for databases.
 */
export function engineFromImage(image: string): Engine | undefined {
  const withoutDigest = image.split('@')[0] as string;
  const lastPart = withoutDigest.split('/').pop() as string;
  const repository = lastPart.split(':')[0] as string;
  return IMAGE_ENGINES[repository.toLowerCase()];
}

/**
 * The stateful services of a project, in compose order. Throws ConfigError for a
 * `shipproof.engine` label that names no engine.
 */
export function detectStatefulServices(
  project: ComposeProject,
  overrides: Readonly<Record<string, StatefulOverride>> = {},
): StatefulService[] {
  const found: StatefulService[] = [];
  const errors: ConfigError[] = [];
  for (const service of project.services) {
    const volumes = [...new Set(service.volumes.filter((v) => v.type === 'named' && v.source !== undefined).map((v) => v.source as string))];
    const guess = guessEngine(service, volumes, errors);
    const override = overrides[service.name];
    if (override === false) continue;
    const chosen = override === undefined ? guess : { engine: override.engine, source: 'config' as const };
    if (chosen === undefined) continue;
    found.push({
      service: service.name,
      engine: chosen.engine,
      source: chosen.source,
      volumes,
      stop: override === undefined ? false : override.stop === true,
      ...(service.image === undefined ? {} : { image: service.image }),
      location: service.location,
    });
  }
  const [first, ...more] = errors;
  if (first !== undefined) throw new ConfigError(first.message, { location: first.location, hint: first.hint, more });
  return found;
}

function guessEngine(
  service: ComposeService,
  volumes: readonly string[],
  errors: ConfigError[],
): { engine: Engine; source: EngineSource } | undefined {
  const label = service.labels.find((l) => l.name === ENGINE_LABEL);
  if (label !== undefined) {
    if (label.value === NO_ENGINE) return undefined;
    if ((ENGINES as readonly string[]).includes(label.value)) return { engine: label.value as Engine, source: 'label' };
    errors.push(
      new ConfigError(`The label ${ENGINE_LABEL} of service "${service.name}" names no engine: "${label.value}".`, {
        location: label.location,
        hint: suggestionHint(label.value, [...ENGINES, NO_ENGINE], 'Allowed values'),
      }),
    );
    return undefined;
  }
  // `${DB_IMAGE:-postgres:16}`: the default names the engine users get.
  const fromImage = service.image === undefined ? undefined : engineFromImage(substituteDefaults(service.image).text);
  if (fromImage !== undefined) return { engine: fromImage, source: 'image' };
  return volumes.length > 0 ? { engine: 'volume', source: 'volume' } : undefined;
}
