// The availability watch bound to a deploy's target: which way each service is observed (an HTTP
// probe whose URL port the service publishes, else its compose healthcheck, else container
// state), and one look = one `docker ps` + `docker inspect` of the project's containers and each
// probe's curl, all as reads. The looks are not recorded one by one (hundreds per deploy): the
// availability result says how many there were and how each service was observed.
import type { ResolvedProbe } from '../config/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import { inspectContainersCommand, projectContainerIdsCommand } from '../docker/commands.js';
import { parseContainerInspect, type ContainerInfo } from '../docker/parse.js';
import { checkHealthProbe } from '../probes/http-health.js';
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
export function containerVerdict(containers: readonly ContainerInfo[], service: string): boolean | undefined {
  const mine = containers.filter((c) => c.service === service);
  // A one-shot job that finished is not a service that can be unavailable.
  if (mine.length > 0 && mine.every((c) => (c.state === 'exited' || c.state === 'dead') && c.exitCode === 0 && c.restartCount === 0 && c.health === 'none')) return undefined;
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
    const observe = async (): Promise<Observation> => {
      const httpProbes = plan.flatMap((w) => (w.method === 'http' ? (w.probes ?? []).flatMap((name) => { const p = byName.get(name); return p ? [{ w, p }] : []; }) : []));
      const [containers, results] = await Promise.all([
        readProjectContainers(i.host, i.project).catch(() => undefined),
        Promise.all(
          httpProbes.map(async ({ w, p }) => {
            const cap = { ...p, timeoutMs: Math.min(p.timeoutMs, PROBE_CAP_MS) };
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
export async function stopWatch(w: AvailabilityWatch | undefined, rolledBack: boolean): Promise<CheckResult | undefined> {
  if (w === undefined) return undefined;
  return availabilityResult(await w.stop(), rolledBack ? 'from milestone 6 (stack starts) to the end of the rollback' : 'from milestone 6 (stack starts) to the end of milestone 8 (or the failure)');
}
