// Which services hold data, and of what kind: the engine decides how a service is backed up.
// Precedence, lowest first: the image name (the engine catalogue), a `shipproof.engine` label,
// shipproof.yaml `stateful:`. A service with no known engine that keeps data in named volumes is
// a `volume` archive, in bind-mounted folders a `files` archive: "stateful, engine unknown:
// archived as files", with the reason. Caches and build output (node_modules, target, .cache,
// tmp) and configuration mounts are "not data", each with its reason.
import type { StatefulOverride } from '../config/load.js';
import { suggestionHint } from '../config/did-you-mean.js';
import { bindNotDataReason, familyById, familyOfImage, notDataReason } from '../backup/engines/catalogue.js';
import { ENGINES, type Engine } from '../config/schema.js';
import { ConfigError, type SourceLocation } from '../errors.js';
import { substituteDefaults, type ComposeProject, type ComposeService } from './model.js';

export const ENGINE_LABEL = 'shipproof.engine';
/** Label value that marks a service as not stateful. */
const NO_ENGINE = 'none';

export type EngineSource = 'image' | 'label' | 'config' | 'volume' | 'bind';

export interface StatefulService {
  service: string;
  engine: Engine;
  /** Where the engine came from. */
  source: EngineSource;
  /** Named volumes the service keeps data in (compose names, not Docker's prefixed ones). */
  volumes: string[];
  /** Bind-mounted folders it keeps data in: source as written (relative to the project), container path. */
  binds: { source: string; target: string }[];
  /** Why it counts as stateful, in a sentence. */
  reason: string;
  /** The engine family (catalogue id), when the image or label names one. */
  family?: string;
  /** Stop the service while it is backed up; only ever set by shipproof.yaml. */
  stop: boolean;
  image?: string;
  location: SourceLocation;
}

/** The backup engine class an image implies, from the one engine catalogue. */
export function engineFromImage(image: string): Engine | undefined {
  return familyOfImage(image)?.backup;
}

export interface NotDataMount {
  service: string;
  target: string;
  source?: string;
  reason: string;
}

export interface Classification {
  stateful: StatefulService[];
  /** Mounts that were looked at and judged not data, with why. */
  notData: NotDataMount[];
  /** Services that keep nothing: no volumes, no data binds, no data engine. */
  stateless: string[];
}

/**
 * The stateful services of a project, in compose order. Throws ConfigError for a
 * `shipproof.engine` label that names no engine.
 */
export function detectStatefulServices(project: ComposeProject, overrides: Readonly<Record<string, StatefulOverride>> = {}): StatefulService[] {
  return classifyServices(project, overrides).stateful;
}

/** Every service judged: stateful (engine, reason), or why its mounts are not data. */
export function classifyServices(project: ComposeProject, overrides: Readonly<Record<string, StatefulOverride>> = {}): Classification {
  const out: Classification = { stateful: [], notData: [], stateless: [] };
  const errors: ConfigError[] = [];
  for (const service of project.services) {
    const mounts = dataMounts(service, out.notData);
    const guess = guessEngine(service, mounts, errors);
    const override = overrides[service.name];
    if (override === false) {
      out.stateless.push(service.name);
      continue;
    }
    const chosen = override === undefined ? guess : { engine: override.engine, source: 'config' as const, reason: 'declared in shipproof.yaml stateful:' };
    if (chosen === undefined) {
      out.stateless.push(service.name);
      continue;
    }
    out.stateful.push({
      service: service.name,
      engine: chosen.engine,
      source: chosen.source,
      volumes: mounts.volumes,
      binds: mounts.binds,
      reason: chosen.reason,
      ...('family' in chosen && chosen.family !== undefined ? { family: chosen.family } : {}),
      stop: override === undefined ? false : override.stop === true,
      ...(service.image === undefined ? {} : { image: service.image }),
      location: service.location,
    });
  }
  const [first, ...more] = errors;
  if (first !== undefined) throw new ConfigError(first.message, { location: first.location, hint: first.hint, more });
  return out;
}

interface DataMounts {
  volumes: string[];
  binds: { source: string; target: string }[];
}

/** Named volumes and writable bind mounts that may hold data; the rest recorded as not data. */
function dataMounts(service: ComposeService, notData: NotDataMount[]): DataMounts {
  const volumes = new Set<string>();
  const binds: DataMounts['binds'] = [];
  for (const v of service.volumes) {
    if (v.type !== 'named' && v.type !== 'bind') continue;
    const cache = notDataReason(v.target);
    const src = v.source === undefined ? {} : { source: v.source };
    if (cache !== undefined) {
      notData.push({ service: service.name, target: v.target, ...src, reason: cache });
      continue;
    }
    if (v.type === 'named' && v.source !== undefined) {
      volumes.add(v.source);
      continue;
    }
    if (v.type === 'bind' && v.source !== undefined) {
      const why = bindNotDataReason(v.source, v.target, v.readOnly);
      if (why !== undefined) {
        notData.push({ service: service.name, target: v.target, ...src, reason: why });
        continue;
      }
      binds.push({ source: v.source, target: v.target });
    }
  }
  return { volumes: [...volumes], binds };
}

type Guess = { engine: Engine; source: EngineSource; reason: string; family?: string };

function guessEngine(service: ComposeService, mounts: DataMounts, errors: ConfigError[]): Guess | undefined {
  const label = service.labels.find((l) => l.name === ENGINE_LABEL);
  if (label !== undefined) {
    if (label.value === NO_ENGINE) return undefined;
    if ((ENGINES as readonly string[]).includes(label.value)) return { engine: label.value as Engine, source: 'label', reason: `labelled ${ENGINE_LABEL}=${label.value}` };
    const family = familyById(label.value);
    if (family !== undefined) return { ...fileOrEngine(family.backup, mounts), source: 'label', reason: `labelled ${ENGINE_LABEL}=${label.value} (${family.label})`, family: family.id };
    errors.push(
      new ConfigError(`The label ${ENGINE_LABEL} of service "${service.name}" names no engine: "${label.value}".`, {
        location: label.location,
        hint: suggestionHint(label.value, [...ENGINES, NO_ENGINE], 'Allowed values'),
      }),
    );
    return undefined;
  }
  // `${DB_IMAGE:-postgres:16}`: the default names the engine users get.
  const family = service.image === undefined ? undefined : familyOfImage(substituteDefaults(service.image).text);
  if (family !== undefined) {
    const where = [...mounts.volumes.map((v) => `volume ${v}`), ...mounts.binds.map((b) => b.source)];
    return {
      ...fileOrEngine(family.backup, mounts),
      source: 'image',
      family: family.id,
      reason: `the image is ${family.label}${where.length > 0 ? `, data in ${where.join(', ')}` : ', data inside the container (no volume: lost when it is recreated)'}`,
    };
  }
  if (mounts.volumes.length > 0) {
    return { engine: 'volume', source: 'volume', reason: `stateful, engine unknown: archived as files (it writes to the named volume${mounts.volumes.length > 1 ? 's' : ''} ${mounts.volumes.join(', ')})` };
  }
  if (mounts.binds.length > 0) {
    return { engine: 'files', source: 'bind', reason: `stateful, engine unknown: archived as files (it writes to the bind-mounted folder${mounts.binds.length > 1 ? 's' : ''} ${mounts.binds.map((b) => `${b.source} -> ${b.target}`).join(', ')})` };
  }
  return undefined;
}

/** A file-level engine class over bind mounts only is the `files` archive, not `volume`. */
function fileOrEngine(engine: Engine, mounts: DataMounts): { engine: Engine } {
  return { engine: engine === 'volume' && mounts.volumes.length === 0 && mounts.binds.length > 0 ? 'files' : engine };
}
