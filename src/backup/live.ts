// What runs now: each stateful service's container (running or not), the Docker volumes it keeps
// its data in, and the images involved, resolved to ids so a rehearsal uses the same bytes.
import type { ResolvedConfig } from '../config/load.js';
import { loadCompose } from '../compose/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import { classifyServices, type Classification, type StatefulService } from '../compose/stateful.js';
import type { Docker } from '../docker/docker.js';
import type { ContainerInfo } from '../docker/parse.js';
import { ShipproofError, UsageError } from '../errors.js';
import { suggestionHint } from '../config/did-you-mean.js';
import type { Target } from '../targets/target.js';
import { containerMountsCommand } from './commands.js';
import { engineSpec } from './engines/index.js';
import { dataMountsOf, type DataVolume, type ImageRef, type LiveContainer, type LiveService } from './engines/types.js';

export interface Mount {
  type: string;
  name?: string;
  source?: string;
  destination: string;
  rw: boolean;
}

export function parseMounts(json: string): Mount[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json.trim() === '' ? '[]' : json);
  } catch {
    throw new ShipproofError('Could not read the mounts of a container: docker printed something that is not JSON.');
  }
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((m: Record<string, unknown>) =>
    typeof m.Destination === 'string'
      ? [
          {
            type: String(m.Type ?? ''),
            ...(typeof m.Name === 'string' ? { name: m.Name } : {}),
            ...(typeof m.Source === 'string' ? { source: m.Source } : {}),
            destination: m.Destination,
            rw: m.RW !== false,
          },
        ]
      : [],
  );
}

export async function loadStateful(config: ResolvedConfig): Promise<{ compose: ComposeModel | undefined; stateful: StatefulService[]; classification: Classification }> {
  if (config.composeFiles.length === 0) return { compose: undefined, stateful: [], classification: { stateful: [], notData: [], stateless: [] } };
  const compose = await loadCompose(config.composeFiles);
  const classification = classifyServices(compose, config.stateful);
  return { compose, stateful: classification.stateful, classification };
}

/** The stateful services named (all when none are), or a UsageError naming the unknown one. */
export function selectServices(stateful: readonly StatefulService[], compose: ComposeModel | undefined, names: readonly string[] | undefined): StatefulService[] {
  if (names === undefined || names.length === 0) return [...stateful];
  return names.map((name) => {
    const found = stateful.find((s) => s.service === name);
    if (found) return found;
    const all = compose?.services.map((s) => s.name) ?? [];
    if (all.includes(name)) {
      throw new UsageError(`The service "${name}" holds no data shipproof knows how to back up.`, {
        hint: `Declare it in shipproof.yaml, e.g. stateful: { ${name}: { engine: volume } }, or label it shipproof.engine.`,
      });
    }
    throw new UsageError(`There is no service "${name}" in the compose file.`, { hint: suggestionHint(name, stateful.map((s) => s.service), 'Stateful services') });
  });
}

/** The compose project's name for a volume key (external and `name:` volumes keep their own name). */
export function dockerVolumeName(compose: ComposeModel | undefined, project: string, key: string): string {
  const v = compose?.volumes.find((x) => x.name === key);
  if (v?.externalName) return v.externalName;
  if (v?.external) return key;
  return `${project}_${key}`;
}

function toLive(c: ContainerInfo): LiveContainer {
  return { id: c.id, name: c.name, image: c.image, imageId: c.imageId, running: c.state === 'running' };
}

export async function liveServices(o: {
  host: Target;
  docker: Docker;
  project: string;
  compose: ComposeModel | undefined;
  services: readonly StatefulService[];
}): Promise<LiveService[]> {
  const containers = await o.docker.containers(o.project);
  return Promise.all(
    o.services.map(async (s) => {
      const mine = containers.filter((c) => c.service === s.service);
      const chosen = mine.find((c) => c.state === 'running') ?? mine[0];
      const container = chosen ? toLive(chosen) : undefined;
      let volumes: DataVolume[];
      const binds = dataMountsOf(engineSpec(s.engine)) === 'bind';
      if (chosen) {
        const r = await o.host.exec(containerMountsCommand(chosen.id), { timeoutMs: 30_000 });
        const mounts = parseMounts(r.stdout);
        // The `files` engine archives the host folders the container really bind-mounts.
        const folders = s.binds.flatMap((b) => {
          const m = mounts.find((x) => x.type === 'bind' && x.destination === b.target);
          return m?.source ? [{ name: bindName(b.target), volume: m.source, destination: m.destination }] : [];
        });
        volumes = binds ? folders : s.volumes.flatMap((key) => {
          const wanted = dockerVolumeName(o.compose, o.project, key);
          const m = mounts.find((x) => x.type === 'volume' && x.name === wanted) ?? mounts.find((x) => x.type === 'volume' && x.name?.endsWith(`_${key}`));
          return m?.name ? [{ name: key, volume: m.name, destination: m.destination }] : [];
        });
      } else if (binds) {
        // Without a container the host folders are not known for sure; the backup says so.
        volumes = [];
      } else {
        const svc = o.compose?.services.find((x) => x.name === s.service);
        volumes = s.volumes.map((key) => ({
          name: key,
          volume: dockerVolumeName(o.compose, o.project, key),
          destination: svc?.volumes.find((v) => v.source === key)?.target ?? `/${key}`,
        }));
      }
      return { stateful: s, container, volumes };
    }),
  );
}

/** "/var/lib/app/data" -> "var_lib_app_data": a folder name inside the archive. */
function bindName(target: string): string {
  return target.replace(/^\/+|\/+$/g, '').replace(/[^A-Za-z0-9_.-]+/g, '_') || 'root';
}

/** The image's id and repo digests; undefined when the host does not have it. */
export async function resolveImage(docker: Docker, ref: string): Promise<(ImageRef & { repoDigests: string[] }) | undefined> {
  const [info] = await docker.images([ref]);
  if (!info) return undefined;
  return { ref: ref.startsWith('sha256:') ? null : ref, id: info.id, repoDigests: info.repoDigests };
}

/** The argv that succeeds when a data source exists: a Docker volume, or (the `files` engine) a host folder. */
export function dataSourceExistsCommand(v: DataVolume, kind: 'volume' | 'bind'): string[] {
  return kind === 'bind' ? ['test', '-d', v.volume] : ['docker', 'volume', 'inspect', '--format', '{{.Name}}', v.volume];
}

/**
 * Fails with a clear message when a Docker volume does not exist (a helper would create it
 * empty), or, for bind-mounted folders, when the host folder is gone.
 */
export async function requireVolumes(host: Target, volumes: readonly DataVolume[], kind: 'volume' | 'bind' = 'volume'): Promise<void> {
  for (const v of volumes) {
    const r = await host.exec(dataSourceExistsCommand(v, kind), { reject: false, timeoutMs: 30_000 });
    if (r.exitCode !== 0 && kind === 'bind') throw new ShipproofError(`The folder ${v.volume} (${v.name}) does not exist on ${host.description}.`, { hint: 'The service bind-mounts it; check that the folder is still there.' });
    if (r.exitCode !== 0) throw new ShipproofError(`The volume ${v.volume} (${v.name}) does not exist on ${host.description}.`, { hint: 'Start the stack once so compose creates it, or check the volume name.' });
  }
}
