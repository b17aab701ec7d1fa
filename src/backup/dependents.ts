// Restoring into a live service: the services that depend on it (compose depends_on and links,
// followed transitively) are stopped first, so none of them keeps writing to, or holding
// connections into, data that is being replaced; they are started again afterwards, dependencies
// first, and the health gate then checks the whole stack.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import type { ResolvedConfig } from '../config/load.js';
import { healthGate, type GateVerdict } from '../deploy/health-gate.js';
import type { Docker } from '../docker/docker.js';
import { TargetError } from '../errors.js';
import type { CommandRecorder } from '../probes/recorder.js';
import type { Target } from '../targets/target.js';
import { stopContainersCommand } from './commands.js';
import { dependencyOrder, startWithRetry, type StoppedContainer } from './stop.js';

/** `links:` per service, read from the compose files (`db` and `db:alias` both name db). */
export async function readLinks(composeFiles: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const f of composeFiles) {
    const doc = parseYaml(await readFile(f, 'utf8')) as { services?: Record<string, { links?: unknown }> } | null;
    for (const [name, svc] of Object.entries(doc?.services ?? {})) {
      const links = Array.isArray(svc?.links) ? svc.links.filter((l): l is string => typeof l === 'string').map((l) => l.split(':')[0] as string) : [];
      if (links.length) out.set(name, [...(out.get(name) ?? []), ...links]);
    }
  }
  return out;
}

/** Every service that needs `service`, directly or through others (not `service` itself). */
export function dependentsOf(compose: ComposeModel | undefined, links: ReadonlyMap<string, readonly string[]>, service: string): string[] {
  const needs = new Map<string, Set<string>>();
  for (const s of compose?.services ?? []) needs.set(s.name, new Set([...s.dependsOn.map((d) => d.service), ...(links.get(s.name) ?? [])]));
  for (const [s, l] of links) if (!needs.has(s)) needs.set(s, new Set(l));
  const found = new Set<string>();
  const queue = [service];
  while (queue.length) {
    const cur = queue.shift() as string;
    for (const [s, deps] of needs) {
      if (deps.has(cur) && s !== service && !found.has(s)) {
        found.add(s);
        queue.push(s);
      }
    }
  }
  return dependencyOrder(compose, [...found]);
}

export interface DependentsOutcome<T> {
  value?: T;
  error?: unknown;
  dependents: string[];
  stopped: StoppedContainer[];
  restartProblem?: string;
}

/** Runs `fn` with the running containers of the dependents stopped (dependents of dependents first). */
export async function withDependentsStopped<T>(
  o: { host: Target; docker: Docker; project: string; compose: ComposeModel | undefined; dependents: readonly string[]; recorder: CommandRecorder },
  fn: () => Promise<T>,
): Promise<DependentsOutcome<T>> {
  const outcome: DependentsOutcome<T> = { dependents: [...o.dependents], stopped: [] };
  const running = (await o.docker.containers(o.project)).filter((c) => c.state === 'running' && c.service !== undefined && o.dependents.includes(c.service));
  const order = (c: { service?: string }) => o.dependents.indexOf(c.service ?? '');
  try {
    for (const c of [...running].sort((a, b) => order(b) - order(a))) {
      const r = await o.recorder.run(o.host, stopContainersCommand([c.id]), { timeoutMs: 600_000 });
      if (r.exitCode !== 0) throw new TargetError(`Could not stop ${c.name} (it depends on the service being restored).`);
      outcome.stopped.push({ id: c.id, name: c.name, service: c.service ?? c.name });
    }
    outcome.value = await fn();
  } catch (e) {
    outcome.error = e;
  } finally {
    const problems: string[] = [];
    for (const c of [...outcome.stopped].sort((a, b) => order(a) - order(b))) if (!(await startWithRetry(o.host, o.recorder, c.id))) problems.push(c.name);
    if (problems.length) outcome.restartProblem = `could not start ${problems.join(', ')} again after the restore; start it by hand (docker start)`;
  }
  return outcome;
}

/** The deploy health gate over the whole stack, after a restore. */
export async function healthAfterRestore(o: { config: ResolvedConfig; compose: ComposeModel | undefined; docker: Docker; host: Target; recorder: CommandRecorder }): Promise<GateVerdict> {
  return healthGate({
    expectedServices: (o.compose?.services ?? []).filter((s) => s.profiles.length === 0).map((s) => s.name),
    probes: o.config.health,
    timeoutMs: o.config.deploy.healthTimeoutMs,
    intervalMs: o.config.deploy.healthIntervalMs,
    stableChecks: o.config.deploy.stableChecks,
    readContainers: () => o.docker.containers(o.config.project),
    run: (argv, x) => o.recorder.run(o.host, argv, x),
  });
}
