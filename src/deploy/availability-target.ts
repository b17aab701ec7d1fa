// The availability watch bound to a deploy's target: which way each service is observed (an HTTP
// probe whose URL port the service publishes, else its compose healthcheck, else container
// state), and one look = one `docker ps` of the project's containers' states (only when a service
// is observed by its container) and each probe's curl, all as reads. The looks are not recorded one by one (hundreds per deploy): the
// availability result says how many there were and how each service was observed.
import type { ResolvedProbe } from '../config/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import { inspectContainersCommand, projectContainerIdsCommand, projectContainerStatesCommand } from '../docker/commands.js';
import { parseContainerInspect, parseContainerStates, type ContainerInfo, type ContainerStateLine } from '../docker/parse.js';
import { checkHealthProbe, curlCommand } from '../probes/http-health.js';
import { expectedServices } from '../probes/stack.js';
import type { Target } from '../targets/target.js';
import type { CheckResult } from '../evidence/predicate-schema.js';
import { availabilityResult, startAvailabilityWatch, type AvailabilityWatch, type Observation, type WatchedService } from './availability.js';

/** A look every half second: fine enough to see a recreate's gap, light enough for a loaded host. */
export const WATCH_INTERVAL_MS = 500;
/** A probe that hangs longer than this counts as failed for that look (the gate uses its own timeout). */
const PROBE_CAP_MS = 3_000;

function urlPort(url: string): number | undefined {
  try {
    const u = new URL(url);
    return u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  } catch {
    return undefined;
  }
}

/** A probe as the watch sends it: capped, so one hung look does not hold the next. */
function watchProbe(p: ResolvedProbe): ResolvedProbe {
  return { ...p, timeoutMs: Math.min(p.timeoutMs, PROBE_CAP_MS) };
}

/** What the watch runs (for milestone 6's plan): the first read, then per look one `docker ps` and each probe that reaches a service. */
export function watchCommands(project: string, probes: readonly ResolvedProbe[]): { argv: string[]; serverOnly?: boolean; when: string }[] {
  const when = `availability watch: one look every ${WATCH_INTERVAL_MS} ms from milestone 6 to the end of milestone 8 (or of the rollback)`;
  return [
    { argv: projectContainerIdsCommand(project), when: 'availability watch: once, to learn which service publishes which port' },
    { argv: inspectContainersCommand(['<ids of the project containers>']), serverOnly: true, when: 'availability watch: once' },
    { argv: projectContainerStatesCommand(project), when: `${when}, when a service is observed by its container` },
    ...probes.map((p) => ({ argv: curlCommand(watchProbe(p)), when: `${when}, when a service publishes the port of probe ${p.name}` })),
  ];
}

/** Which way each service is observed. Pure: published ports from the running containers first, the compose file's otherwise. */
export function planWatch(model: Pick<ComposeModel, 'services'>, probes: readonly ResolvedProbe[], running: readonly Pick<ContainerInfo, 'service' | 'publishedPorts'>[]): WatchedService[] {
  const publisher = new Map<number, string>();
  for (const s of model.services) for (const p of s.ports) if (p.published !== undefined && !publisher.has(p.published)) publisher.set(p.published, s.name);
  for (const c of running) for (const p of c.publishedPorts) if (c.service !== undefined) publisher.set(p.hostPort, c.service);
  return expectedServices(model as ComposeModel).map((service) => {
    const mine = probes.filter((p) => {
      const port = urlPort(p.url);
      return port !== undefined && publisher.get(port) === service;
    });
    if (mine.length > 0) return { service, method: 'http' as const, probes: mine.map((p) => p.name) };
    const hc = model.services.find((s) => s.name === service)?.healthcheck;
    return { service, method: hc !== undefined && !hc.disabled ? ('healthcheck' as const) : ('running' as const) };
  });
}

/** Good for container-observed services: a container runs and is healthy (or has no healthcheck to say otherwise). */
export function containerVerdict(containers: readonly (ContainerStateLine & { restartCount?: number })[], service: string): boolean | undefined {
  const mine = containers.filter((c) => c.service === service);
  // A one-shot job that finished is not a service that can be unavailable.
  if (mine.length > 0 && mine.every((c) => (c.state === 'exited' || c.state === 'dead') && c.exitCode === 0 && (c.restartCount ?? 0) === 0 && c.health === 'none')) return undefined;
  return mine.some((c) => c.state === 'running' && (c.health === 'healthy' || c.health === 'none'));
}

async function readProjectContainers(host: Target, project: string): Promise<ContainerInfo[]> {
  const ids = await host.exec(projectContainerIdsCommand(project), { reject: false, timeoutMs: 15_000 });
  if (ids.exitCode !== 0) throw new Error('docker ps failed');
  const list = ids.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (list.length === 0) return [];
  const r = await host.exec(inspectContainersCommand(list), { reject: false, timeoutMs: 15_000 });
  return r.stdout.trim() === '' ? [] : parseContainerInspect(r.stdout);
}

/** One look at every container's state: a single `docker ps` (no inspect). */
async function readProjectStates(host: Target, project: string): Promise<ContainerStateLine[]> {
  const r = await host.exec(projectContainerStatesCommand(project), { reject: false, timeoutMs: 15_000 });
  if (r.exitCode !== 0) throw new Error('docker ps failed');
  return parseContainerStates(r.stdout);
}

export interface TargetWatchInput {
  host: Target;
  project: string;
  model: ComposeModel;
  probes: readonly ResolvedProbe[];
  intervalMs?: number;
}

/** Reads the stack once to learn who publishes which port, then starts the watch. Never throws: no watch means no figure. */
export async function watchTarget(i: TargetWatchInput): Promise<AvailabilityWatch | undefined> {
  try {
    const first = await readProjectContainers(i.host, i.project).catch(() => []);
    const plan = planWatch(i.model, i.probes, first.filter((c) => c.state === 'running'));
    const byName = new Map(i.probes.map((p) => [p.name, p]));
    const httpProbes = plan.flatMap((w) => (w.method === 'http' ? (w.probes ?? []).flatMap((name) => { const p = byName.get(name); return p ? [{ w, p }] : []; }) : []));
    const byContainer = plan.some((w) => w.method !== 'http');
    const observe = async (): Promise<Observation> => {
      const [containers, results] = await Promise.all([
        byContainer ? readProjectStates(i.host, i.project).catch(() => undefined) : Promise.resolve(undefined),
        Promise.all(
          httpProbes.map(async ({ w, p }) => {
            const cap = watchProbe(p);
            // A probe whose command could not run at all is no observation; curl's own failure is a failed one.
            const r = await checkHealthProbe((argv, o) => i.host.exec(argv, { reject: false, timeoutMs: o.timeoutMs }), cap).catch(() => undefined);
            return { service: w.service, ok: r?.ok };
          }),
        ),
      ]);
      const seen: Record<string, boolean> = {};
      for (const w of plan) {
        if (w.method === 'http') {
          const mine = results.filter((x) => x.service === w.service);
          if (mine.some((x) => x.ok === undefined)) continue;
          seen[w.service] = mine.every((x) => x.ok === true);
        } else if (containers !== undefined) {
          const v = containerVerdict(containers, w.service);
          if (v !== undefined) seen[w.service] = v;
        }
      }
      return seen;
    };
    return startAvailabilityWatch({ services: plan, observe, intervalMs: i.intervalMs ?? WATCH_INTERVAL_MS });
  } catch {
    return undefined;
  }
}

/** The watch of a deploy session's stack. */
export function watchSession(s: { host: Target; config: { project: string; health: readonly ResolvedProbe[] }; compose: ComposeModel }): Promise<AvailabilityWatch | undefined> {
  return watchTarget({ host: s.host, project: s.config.project, model: s.compose, probes: s.config.health });
}

/** The deploy record's availability result, or none when no watch ran. */
export async function stopWatch(w: AvailabilityWatch | undefined, rolledBack: boolean, during?: string): Promise<CheckResult | undefined> {
  if (w === undefined) return undefined;
  return availabilityResult(await w.stop(), during ?? (rolledBack ? 'from milestone 6 (stack starts) to the end of the rollback' : 'from milestone 6 (stack starts) to the end of milestone 8 (or the failure)'));
}
