// Stopping services for a file-level backup: remember which containers were running, stop the
// dependents first, and in a finally block start them again in dependency order (dependencies
// first). The restart is retried, and a dropped SSH connection is survived because the target
// reconnects on the next command.
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import type { Docker } from '../docker/docker.js';
import { ConnectionLostError, TargetError } from '../errors.js';
import type { CommandRecorder } from '../probes/recorder.js';
import type { Target } from '../targets/target.js';
import { containerMountsCommand, startContainersCommand, stopContainersCommand } from './commands.js';
import type { DataVolume } from './engines/types.js';
import { parseMounts } from './live.js';

/** Services in dependency order: each after everything it depends on. Cycles keep compose order. */
export function dependencyOrder(compose: ComposeModel | undefined, services: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  for (const s of compose?.services ?? []) deps.set(s.name, s.dependsOn.map((d) => d.service));
  const out: string[] = [];
  const visiting = new Set<string>();
  const visit = (s: string): void => {
    if (out.includes(s) || visiting.has(s)) return;
    visiting.add(s);
    for (const d of deps.get(s) ?? []) visit(d);
    visiting.delete(s);
    out.push(s);
  };
  for (const s of compose?.services.map((x) => x.name) ?? []) visit(s);
  for (const s of services) visit(s);
  return out.filter((s) => services.includes(s));
}

export interface StoppedContainer {
  id: string;
  name: string;
  service: string;
}

export interface StopOutcome<T> {
  value?: T;
  error?: unknown;
  stopped: StoppedContainer[];
  /** Set when a container could not be started again. */
  restartProblem?: string;
}

const RESTART_ATTEMPTS = 5;

/**
 * Runs `fn` with every running container of `project` that mounts one of `volumes` stopped
 * (`kind: 'bind'`: the `volume` of each is a host folder, matched against bind mounts' sources).
 */
export async function withVolumeUsersStopped<T>(
  o: { host: Target; docker: Docker; project: string; compose: ComposeModel | undefined; volumes: readonly DataVolume[]; kind?: 'volume' | 'bind'; recorder: CommandRecorder; stopTimeoutSeconds?: number },
  fn: () => Promise<T>,
): Promise<StopOutcome<T>> {
  const wanted = new Set(o.volumes.map((v) => v.volume));
  const running = (await o.docker.containers(o.project)).filter((c) => c.state === 'running');
  const users: StoppedContainer[] = [];
  for (const c of running) {
    const r = await o.host.exec(containerMountsCommand(c.id), { timeoutMs: 30_000 });
    const uses = (m: ReturnType<typeof parseMounts>[number]): boolean =>
      o.kind === 'bind' ? m.type === 'bind' && m.source !== undefined && wanted.has(m.source) : m.type === 'volume' && m.name !== undefined && wanted.has(m.name);
    if (parseMounts(r.stdout).some(uses)) {
      users.push({ id: c.id, name: c.name, service: c.service ?? c.name });
    }
  }
  const order = dependencyOrder(o.compose, [...new Set(users.map((u) => u.service))]);
  const byOrder = (a: StoppedContainer, b: StoppedContainer) => order.indexOf(a.service) - order.indexOf(b.service);
  const stopSequence = [...users].sort(byOrder).reverse();
  const outcome: StopOutcome<T> = { stopped: [] };
  try {
    for (const c of stopSequence) {
      const r = await o.recorder.run(o.host, stopContainersCommand([c.id], o.stopTimeoutSeconds), { timeoutMs: 600_000 });
      if (r.exitCode !== 0) throw new TargetError(`Could not stop ${c.name} for the backup.`);
      outcome.stopped.push(c);
    }
    outcome.value = await fn();
  } catch (e) {
    outcome.error = e;
  } finally {
    const problems: string[] = [];
    for (const c of [...outcome.stopped].sort(byOrder)) {
      const ok = await startWithRetry(o.host, o.recorder, c.id);
      if (!ok) problems.push(c.name);
    }
    if (problems.length) outcome.restartProblem = `could not start ${problems.join(', ')} again after the backup; start it by hand (docker start)`;
  }
  return outcome;
}

export async function startWithRetry(host: Target, recorder: CommandRecorder, id: string): Promise<boolean> {
  for (let attempt = 1; attempt <= RESTART_ATTEMPTS; attempt++) {
    try {
      const r = await recorder.run(host, startContainersCommand([id]), { timeoutMs: 120_000 });
      if (r.exitCode === 0) return true;
    } catch (e) {
      // A dropped connection: the next attempt reconnects.
      if (!(e instanceof ConnectionLostError) && !(e instanceof TargetError)) throw e;
    }
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
  return false;
}
