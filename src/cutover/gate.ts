// The gate for the new containers of one service, before any traffic reaches them: each is
// running and healthy (or, without a healthcheck, stays up over several checks), and every HTTP
// probe passes when sent to the container itself. A timeout, an exit, a restart or "unhealthy"
// fails the gate.
import { checkHealthProbe } from '../probes/http-health.js';
import { inspectCommand } from './commands.js';
import { addressSeenBy, parseContainers, type RunningContainer } from './inspect.js';
import { probeUrl } from './plan.js';
import type { Clock, CutoverRun, GateSettings, ServiceFacts } from './types.js';

export interface NewGateVerdict {
  passed: boolean;
  reason?: string;
  checks: number;
  durationMs: number;
  containers: RunningContainer[];
}

export async function readContainers(run: CutoverRun, ids: readonly string[]): Promise<RunningContainer[]> {
  if (ids.length === 0) return [];
  const r = await run(inspectCommand(ids), { timeoutMs: 30_000 });
  // A container can vanish between listing and inspecting: docker then prints the others and exits 1.
  return r.stdout.trim() === '' ? [] : parseContainers(r.stdout);
}

/** The address the proxy (or, without one, the server) reaches a container at. */
export function reachableAddress(c: RunningContainer, proxy: RunningContainer | undefined): string | undefined {
  return proxy ? addressSeenBy(c, proxy) : Object.values(c.addresses)[0];
}

export async function gateNewContainers(
  run: CutoverRun,
  ids: readonly string[],
  o: { service: ServiceFacts; gate: GateSettings; proxy?: RunningContainer; clock: Clock; log?: (l: string) => void },
): Promise<NewGateVerdict> {
  const started = o.clock.now();
  const stable = new Map<string, { restarts: number; count: number }>();
  let checks = 0;
  let containers: RunningContainer[] = [];
  for (;;) {
    checks++;
    containers = await readContainers(run, ids);
    const waiting: string[] = [];
    const fail = (reason: string): NewGateVerdict => ({ passed: false, reason, checks, durationMs: o.clock.now() - started, containers });
    for (const id of ids) {
      const c = containers.find((x) => x.id === id);
      if (!c) return fail(`new container ${id.slice(0, 12)} vanished`);
      if (c.state === 'restarting') return fail(`${c.name} is restarting (exit code ${c.exitCode})`);
      if (c.state === 'exited' || c.state === 'dead') return fail(`${c.name} exited with code ${c.exitCode}`);
      if (c.health === 'unhealthy') return fail(`${c.name} is unhealthy`);
      if (c.state !== 'running' || c.health === 'starting') {
        waiting.push(`${c.name} is ${c.state}${c.health === 'none' ? '' : `/${c.health}`}`);
        continue;
      }
      if (c.health === 'none') {
        const s = stable.get(c.id);
        const count = s && s.restarts === c.restartCount ? s.count + 1 : 1;
        stable.set(c.id, { restarts: c.restartCount, count });
        if (count < o.gate.stableChecks) waiting.push(`${c.name} up for ${count}/${o.gate.stableChecks} checks`);
      }
    }
    if (waiting.length === 0 && o.service.proxiedPort !== undefined) {
      for (const c of containers) {
        const address = reachableAddress(c, o.proxy);
        if (address === undefined) return fail(`${c.name} shares no network with the proxy`);
        for (const p of o.gate.probes) {
          const url = probeUrl(address, o.service.proxiedPort, p);
          const r = await checkHealthProbe((argv, opts) => run(argv, opts), { name: p.name, url, status: p.status, timeoutMs: p.timeoutMs, intervalMs: o.gate.intervalMs, insecure: false, ...(p.body !== undefined ? { body: p.body } : {}), ...(p.bodyRegex !== undefined ? { bodyRegex: p.bodyRegex } : {}) });
          if (!r.ok) waiting.push(`${c.name} probe ${p.name}: ${r.why ?? 'failed'}`);
        }
      }
    }
    if (waiting.length === 0) return { passed: true, checks, durationMs: o.clock.now() - started, containers };
    o.log?.(`waiting: ${waiting.join('; ')}`);
    if (o.clock.now() - started + o.gate.intervalMs > o.gate.timeoutMs) {
      return fail(`timed out after ${Math.round(o.gate.timeoutMs / 1000)} s: ${waiting.join('; ')}`);
    }
    await o.clock.sleep(o.gate.intervalMs);
  }
}
