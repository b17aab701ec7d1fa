// Probes of the running compose stack, read through the engine by compose labels: service status,
// images and digests, restarts and OOM kills, and published ports.
import { inspectContainersCommand, inspectImagesCommand, projectContainerIdsCommand } from '../docker/commands.js';
import { parseContainerInspect, parseImageInspect, type ContainerInfo } from '../docker/parse.js';
import { detectStatefulServices } from '../compose/stateful.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import { fail, pass, skipped, type Observations, type Probe, type ProbeContext } from './types.js';

/** Services compose starts by default (services behind a profile are optional). */
export function expectedServices(model: ComposeModel | undefined): string[] {
  return (model?.services ?? []).filter((s) => s.profiles.length === 0).map((s) => s.name);
}

/** The project's containers, read with two recorded commands (once per collect run). */
export async function readContainers(ctx: ProbeContext): Promise<ContainerInfo[]> {
  const read = (run: ProbeContext['run']): Promise<ContainerInfo[]> => readContainersWith(run, ctx.config.project);
  return ctx.once ? ctx.once('containers', read) : read(ctx.run);
}

async function readContainersWith(run: ProbeContext['run'], project: string): Promise<ContainerInfo[]> {
  const ids = await run(projectContainerIdsCommand(project));
  if (ids.exitCode !== 0) throw new Error('docker ps failed: is the daemon running?');
  const list = ids.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (list.length === 0) return [];
  const r = await run(inspectContainersCommand(list));
  return r.stdout.trim() === '' ? [] : parseContainerInspect(r.stdout);
}

const containersPlan = (project: string) => [
  { where: 'target' as const, argv: projectContainerIdsCommand(project) },
  { where: 'target' as const, argv: inspectContainersCommand(['<ids of the project containers>']) },
];

export function serviceState(c: ContainerInfo): string {
  return c.health === 'none' ? c.state : `${c.state}/${c.health}`;
}

export const servicesProbe: Probe = {
  id: 'services',
  title: 'Compose services running',
  reads: 'state and health of each compose service container',
  gate: true,
  neverRecords: ['service logs', 'container environment'],
  plan: (ctx) => containersPlan(ctx.config.project),
  async run(ctx) {
    const expected = expectedServices(ctx.compose);
    const containers = await readContainers(ctx);
    const observations: Observations = {};
    const problems: string[] = [];
    for (const name of expected) {
      const mine = containers.filter((c) => c.service === name);
      if (mine.length === 0) {
        observations[name] = 'missing';
        problems.push(`${name} has no container`);
        continue;
      }
      observations[name] = mine.map(serviceState).join(', ');
      for (const c of mine) {
        if (c.state !== 'running') problems.push(`${name} is ${c.state}${c.state === 'exited' ? ` (exit ${c.exitCode})` : ''}`);
        else if (c.health === 'unhealthy') problems.push(`${name} is unhealthy`);
        else if (c.health === 'starting') problems.push(`${name} is still starting (health not yet reported)`);
      }
    }
    const extra = containers.filter((c) => c.service === undefined || !expected.includes(c.service));
    observations.otherContainers = extra.length;
    if (expected.length === 0) return skipped('the compose file declares no services');
    return problems.length ? fail(problems.join('; '), observations) : pass(observations);
  },
};

export function isPinned(ref: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(ref);
}

export const imagesProbe: Probe = {
  id: 'images',
  title: 'Images and digests',
  reads: 'the image each service runs, its id and registry digest, and whether compose pins it by digest',
  gate: false,
  neverRecords: ['registry credentials'],
  plan: (ctx) => [...containersPlan(ctx.config.project), { where: 'target', argv: inspectImagesCommand(['<image ids of the containers>']) }],
  async run(ctx) {
    const containers = await readContainers(ctx);
    if (containers.length === 0) return skipped('no containers of this project are on the target');
    const ids = [...new Set(containers.map((c) => c.imageId))];
    const r = await ctx.run(inspectImagesCommand(ids));
    const images = r.stdout.trim() === '' ? [] : parseImageInspect(r.stdout);
    const observations: Observations = {};
    const unpinned: string[] = [];
    for (const s of ctx.compose?.services ?? []) {
      const c = containers.find((x) => x.service === s.name);
      if (c === undefined) continue;
      const img = images.find((i) => i.id === c.imageId);
      const pinned = isPinned(s.image ?? c.image);
      if (!pinned) unpinned.push(s.name);
      observations[`${s.name}.image`] = c.image;
      observations[`${s.name}.id`] = c.imageId;
      observations[`${s.name}.repoDigests`] = img?.repoDigests ?? [];
      observations[`${s.name}.pinned`] = pinned;
    }
    observations.unpinned = unpinned;
    return pass(observations, unpinned.length ? `${unpinned.length} service(s) not pinned by digest` : 'every image pinned by digest');
  },
};

export const restartsProbe: Probe = {
  id: 'restarts',
  title: 'Restarts and OOM kills',
  reads: 'restart count, restarting state and OOM-killed flag of each container',
  gate: true,
  neverRecords: ['service logs'],
  plan: (ctx) => containersPlan(ctx.config.project),
  async run(ctx) {
    const containers = await readContainers(ctx);
    if (containers.length === 0) return skipped('no containers of this project are on the target');
    const observations: Observations = {};
    const problems: string[] = [];
    for (const c of containers) {
      const key = c.service ?? c.name;
      observations[`${key}.restarts`] = c.restartCount;
      observations[`${key}.oomKilled`] = c.oomKilled;
      if (c.state === 'restarting') problems.push(`${key} is restarting`);
      if (c.oomKilled) problems.push(`${key} was killed for lack of memory`);
      if (c.restartCount > 0 && c.state !== 'running') problems.push(`${key} restarted ${c.restartCount} time(s) and is ${c.state}`);
    }
    return problems.length ? fail(problems.join('; '), observations) : pass(observations);
  },
};

/** Container ports a proxy may publish to the world. */
export const PUBLIC_PROXY_PORTS = new Set([80, 443]);

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip === 'localhost';
}

export function listeningCommand(): string[] {
  return ['ss', '-H', '-l', '-t', '-n'];
}

export const portsProbe: Probe = {
  id: 'ports',
  title: 'Listening ports',
  reads: 'ports published by the stack and listening sockets on the host: only the proxy may be public, databases never',
  gate: true,
  neverRecords: ['traffic', 'connected peers'],
  plan: (ctx) => [...containersPlan(ctx.config.project), { where: 'target', argv: listeningCommand() }],
  async run(ctx) {
    const [containers, ss] = await Promise.all([readContainers(ctx), ctx.run(listeningCommand())]);
    // Databases and caches (not plain volume holders such as a proxy keeping its certificates).
    const stateful = new Set(
      ctx.compose ? detectStatefulServices(ctx.compose, ctx.config.stateful).filter((s) => s.engine !== 'volume').map((s) => s.service) : [],
    );
    const observations: Observations = {};
    const problems: string[] = [];
    const publicPorts: string[] = [];
    for (const c of containers) {
      const key = c.service ?? c.name;
      for (const p of c.publishedPorts) {
        if (isLoopback(p.hostIp)) continue;
        publicPorts.push(`${key} ${p.hostPort}->${p.containerPort}/${p.protocol}`);
        if (stateful.has(key)) problems.push(`${key} (a data store) publishes port ${p.hostPort} to every address`);
        else if (!PUBLIC_PROXY_PORTS.has(p.hostPort)) problems.push(`${key} publishes port ${p.hostPort} publicly; only the proxy's 80/443 should be`);
      }
    }
    observations.publicStackPorts = [...new Set(publicPorts)];
    problems.splice(0, problems.length, ...new Set(problems));
    if (ss.exitCode === 0) {
      const listening = ss.stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[3])
        .filter((a): a is string => a !== undefined && a !== '');
      observations.hostListening = [...new Set(listening)].sort().slice(0, 200);
    } else {
      observations.hostListening = null;
    }
    return problems.length ? fail(problems.join('; '), observations) : pass(observations);
  },
};
