// The health gate: every service with a compose healthcheck is healthy, services without one have
// stayed running (not restarting, restart count unchanged) over several consecutive checks, and
// each configured HTTP probe passes — all within a timeout. A timeout is a failure; `restarting`
// and an exited long-running service are failures at once. The verdict says which limit was hit.
import type { ResolvedProbe } from '../config/load.js';
import type { ContainerInfo } from '../docker/parse.js';
import { checkHealthProbe } from '../probes/http-health.js';
import type { ExecResult } from '../targets/target.js';

export interface GateInput {
  expectedServices: readonly string[];
  probes: readonly ResolvedProbe[];
  timeoutMs: number;
  intervalMs: number;
  /** Consecutive checks a service without a healthcheck must stay running. */
  stableChecks: number;
  readContainers: () => Promise<ContainerInfo[]>;
  run: (argv: string[], o: { timeoutMs: number }) => Promise<ExecResult>;
  onCheck?: (summary: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Ctrl-C / SIGTERM: the gate stops at once with an `interrupted` verdict (never a pass). */
  signal?: AbortSignal;
}

export type GateFailureKind = 'timed_out' | 'unhealthy' | 'restarting' | 'exited' | 'missing' | 'http' | 'interrupted';

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface GateVerdict {
  passed: boolean;
  kind?: GateFailureKind;
  reason?: string;
  /** Containers the failure is about, for showing their health log and log tail. */
  culprits: string[];
  services: Record<string, string>;
  probes: Record<string, { ok: boolean; status: number | null; latencyMs: number | null; why?: string }>;
  checks: number;
  durationMs: number;
}

/** One look at the containers: what is wrong right now, and whether it is final. */
export function evaluateContainers(
  expected: readonly string[],
  containers: readonly ContainerInfo[],
  stable: Map<string, { restarts: number; count: number }>,
  stableChecks: number,
): { ready: boolean; fatal?: { kind: GateFailureKind; reason: string; culprits: string[] }; waiting: string[]; services: Record<string, string> } {
  const services: Record<string, string> = {};
  const waiting: string[] = [];
  for (const name of expected) {
    const mine = containers.filter((c) => c.service === name);
    if (mine.length === 0) {
      services[name] = 'missing';
      waiting.push(`${name} has no container`);
      continue;
    }
    for (const c of mine) {
      services[name] = c.health === 'none' ? c.state : `${c.state}/${c.health}`;
      if (c.state === 'restarting') {
        return { ready: false, fatal: { kind: 'restarting', reason: `${name} is restarting (exit code ${c.exitCode})`, culprits: [c.name] }, waiting, services };
      }
      if (c.state === 'exited' || c.state === 'dead') {
        if (c.exitCode === 0 && c.restartCount === 0 && c.health === 'none') continue; // a one-shot job that finished
        return { ready: false, fatal: { kind: 'exited', reason: `${name} exited with code ${c.exitCode}`, culprits: [c.name] }, waiting, services };
      }
      if (c.health === 'unhealthy') {
        return { ready: false, fatal: { kind: 'unhealthy', reason: `${name} is unhealthy`, culprits: [c.name] }, waiting, services };
      }
      if (c.health === 'starting' || c.state !== 'running') {
        waiting.push(`${name} is ${services[name]}`);
        continue;
      }
      if (c.health === 'none') {
        const s = stable.get(c.id);
        const count = s && s.restarts === c.restartCount ? s.count + 1 : 1;
        stable.set(c.id, { restarts: c.restartCount, count });
        if (count < stableChecks) waiting.push(`${name} running for ${count}/${stableChecks} checks`);
      }
    }
  }
  return { ready: waiting.length === 0, waiting, services };
}

export async function healthGate(input: GateInput): Promise<GateVerdict> {
  const now = input.now ?? Date.now;
  const sleep = input.sleep ?? ((ms: number) => abortableSleep(ms, input.signal));
  const started = now();
  const stable = new Map<string, { restarts: number; count: number }>();
  let checks = 0;
  let last: ReturnType<typeof evaluateContainers> | undefined;
  let probes: GateVerdict['probes'] = {};
  let lastCulprits: string[] = [];
  const interrupted = (): GateVerdict => ({
    passed: false,
    kind: 'interrupted',
    reason: `interrupted (${String(input.signal?.reason ?? 'signal')}) before the gate passed`,
    culprits: [],
    services: last?.services ?? {},
    probes,
    checks,
    durationMs: now() - started,
  });
  for (;;) {
    if (input.signal?.aborted) return interrupted();
    checks++;
    const containers = await input.readContainers().catch((e: unknown) => {
      if (input.signal?.aborted) return undefined;
      throw e;
    });
    if (containers === undefined) return interrupted();
    last = evaluateContainers(input.expectedServices, containers, stable, input.stableChecks);
    if (last.fatal) {
      return { passed: false, ...last.fatal, services: last.services, probes, checks, durationMs: now() - started };
    }
    let probesOk = true;
    if (last.ready) {
      probes = {};
      for (const p of input.probes) {
        const r = await checkHealthProbe((argv, o) => input.run(argv, o), p);
        probes[p.name] = { ok: r.ok, status: r.status, latencyMs: r.latencyMs, ...(r.why ? { why: r.why } : {}) };
        if (!r.ok) probesOk = false;
      }
      if (probesOk && !input.signal?.aborted) return { passed: true, culprits: [], services: last.services, probes, checks, durationMs: now() - started };
    }
    lastCulprits = containers.filter((c) => c.health === 'starting' || c.state !== 'running').map((c) => c.name);
    input.onCheck?.(last.ready ? `HTTP probes: ${Object.entries(probes).filter(([, v]) => !v.ok).map(([k, v]) => `${k} ${v.why ?? 'failed'}`).join('; ')}` : last.waiting.join('; '));
    if (now() - started + input.intervalMs > input.timeoutMs) {
      const failedProbes = Object.entries(probes).filter(([, v]) => !v.ok);
      const why = last.ready
        ? `HTTP probe ${failedProbes.map(([k, v]) => `${k}: ${v.why ?? 'failed'}`).join('; ')}`
        : last.waiting.join('; ');
      return {
        passed: false,
        kind: last.ready ? 'http' : 'timed_out',
        reason: `timed out after ${Math.round(input.timeoutMs / 1000)} s: ${why}`,
        culprits: lastCulprits,
        services: last.services,
        probes,
        checks,
        durationMs: now() - started,
      };
    }
    await sleep(input.intervalMs);
  }
}
