// Parsers for docker's JSON output into typed results. Pure; they throw ShipproofError on output
// that is not what docker prints, rather than returning half-filled objects.
import { ShipproofError } from '../errors.js';

export interface DockerVersion {
  clientVersion: string | undefined;
  serverVersion: string;
  apiVersion: string | undefined;
  os: string | undefined;
  arch: string | undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ShipproofError(`Could not read ${what}: docker printed something that is not JSON.`);
  }
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function parseDockerVersion(text: string): DockerVersion {
  const j = obj(parseJson(text.trim(), 'the Docker version'));
  const server = obj(j.Server);
  const serverVersion = str(server.Version) ?? str(obj(obj(server.Components)[0]).Version);
  if (serverVersion === undefined) {
    throw new ShipproofError('The Docker engine did not report its version: is the daemon running?', {
      hint: 'Start it (e.g. `systemctl start docker`, or `dockerd &`) and try again.',
    });
  }
  return {
    clientVersion: str(obj(j.Client).Version),
    serverVersion,
    apiVersion: str(server.ApiVersion),
    os: str(server.Os),
    arch: str(server.Arch),
  };
}

/** `docker compose version --short` prints "2.24.5" (sometimes "v2.24.5"); v1 prints "1.29.2". */
export function parseComposeVersion(text: string): string | undefined {
  const m = /v?(\d+\.\d+\.\d+[\w.+-]*)/.exec(text.trim());
  return m?.[1];
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type HealthState = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ContainerInfo {
  id: string;
  name: string;
  project: string | undefined;
  service: string | undefined;
  /** The image reference the container was created from, e.g. "postgres:15". */
  image: string;
  /** The image id (sha256:…) the container runs. */
  imageId: string;
  state: ContainerState;
  health: HealthState;
  exitCode: number;
  restartCount: number;
  oomKilled: boolean;
  startedAt: string | undefined;
  labels: Record<string, string>;
  publishedPorts: { hostIp: string; hostPort: number; containerPort: number; protocol: string }[];
}

export function parseContainerInspect(text: string): ContainerInfo[] {
  const j = parseJson(text, 'container details');
  if (!Array.isArray(j)) throw new ShipproofError('Could not read container details: expected a JSON list from docker inspect.');
  return j.map((raw) => {
    const c = obj(raw);
    const state = obj(c.State);
    const config = obj(c.Config);
    const labels = Object.fromEntries(
      Object.entries(obj(config.Labels)).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
    const ports: ContainerInfo['publishedPorts'] = [];
    for (const [key, bindings] of Object.entries(obj(obj(c.NetworkSettings).Ports))) {
      const [port, protocol = 'tcp'] = key.split('/');
      if (!Array.isArray(bindings)) continue;
      for (const b of bindings) {
        const bb = obj(b);
        ports.push({
          hostIp: str(bb.HostIp) ?? '',
          hostPort: Number(str(bb.HostPort) ?? 0),
          containerPort: Number(port),
          protocol,
        });
      }
    }
    const health = str(obj(state.Health).Status);
    return {
      id: str(c.Id) ?? '',
      name: (str(c.Name) ?? '').replace(/^\//, ''),
      project: labels['com.docker.compose.project'],
      service: labels['com.docker.compose.service'],
      image: str(config.Image) ?? '',
      imageId: str(c.Image) ?? '',
      state: (str(state.Status) ?? 'dead') as ContainerState,
      health: health === 'healthy' || health === 'unhealthy' || health === 'starting' ? health : 'none',
      exitCode: typeof state.ExitCode === 'number' ? state.ExitCode : 0,
      restartCount: typeof c.RestartCount === 'number' ? c.RestartCount : 0,
      oomKilled: state.OOMKilled === true,
      startedAt: str(state.StartedAt),
      labels,
      publishedPorts: ports,
    };
  });
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
}

export function parseImageInspect(text: string): ImageInfo[] {
  const j = parseJson(text, 'image details');
  if (!Array.isArray(j)) throw new ShipproofError('Could not read image details: expected a JSON list from docker image inspect.');
  return j.map((raw) => {
    const i = obj(raw);
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return { id: str(i.Id) ?? '', repoTags: list(i.RepoTags), repoDigests: list(i.RepoDigests) };
  });
}

/** What one `docker ps` line says of a container (projectContainerStatesCommand). */
export type ContainerStateLine = Pick<ContainerInfo, 'id' | 'service' | 'state' | 'health' | 'exitCode'>;

const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

/**
 * Reads `<id>\t<service>\t<state>\t<status>` lines. The health is the status line's
 * "(healthy)" / "(unhealthy)" / "(health: starting)"; the exit code its "Exited (N)".
 */
export function parseContainerStates(text: string): ContainerStateLine[] {
  return text.split('\n').flatMap((line) => {
    const [id, service, state, status = ''] = line.split('\t');
    if (!id || state === undefined) return [];
    const health: HealthState = /\(healthy\)/.test(status) ? 'healthy' : /\(unhealthy\)/.test(status) ? 'unhealthy' : /\(health: starting\)/.test(status) ? 'starting' : 'none';
    const exit = /^Exited \((-?\d+)\)/.exec(status);
    return [{ id, service: service === '' ? undefined : service, state: (STATES as readonly string[]).includes(state) ? (state as ContainerState) : 'dead', health, exitCode: exit ? Number(exit[1]) : 0 }];
  });
}
