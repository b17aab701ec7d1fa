// Which way each service is cut over, and why. Pure: the facts come from the release's resolved
// compose config (`compose config`, parsed in memory only) and shipproof.yaml.
import { caddyfilePortFor } from './caddy.js';
import type { CutoverMethod, GateSettings, ServiceFacts } from './types.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

function healthcheckEnabled(v: unknown): boolean {
  const h = obj(v);
  if (Object.keys(h).length === 0 || h.disable === true) return false;
  const test = h.test;
  if (Array.isArray(test) && test[0] === 'NONE') return false;
  return test !== undefined;
}

function replicasOf(s: Obj): number {
  const r = obj(s.deploy).replicas ?? s.scale;
  const n = typeof r === 'number' ? r : typeof r === 'string' ? Number(r) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : 1;
}

export interface FactOptions {
  stateful: ReadonlySet<string>;
  stopFirst: readonly string[];
  /** The proxy's Caddyfile text, to see which services it routes to. */
  caddyfile?: string;
  proxyService?: string;
}

/** One record per service of the resolved compose document (`services:` of `compose config`). */
export function serviceFacts(resolved: unknown, o: FactOptions): ServiceFacts[] {
  return Object.entries(obj(obj(resolved).services)).map(([name, raw]) => {
    const s = obj(raw);
    const port = o.caddyfile !== undefined && name !== o.proxyService ? caddyfilePortFor(o.caddyfile, name) : undefined;
    return {
      name,
      publishesPorts: Array.isArray(s.ports) && s.ports.length > 0,
      ...(typeof s.container_name === 'string' ? { containerName: s.container_name } : {}),
      stateful: o.stateful.has(name),
      healthcheck: healthcheckEnabled(s.healthcheck),
      replicas: replicasOf(s),
      ...(port !== undefined ? { proxiedPort: port } : {}),
      stopFirst: o.stopFirst.includes(name),
    };
  });
}

export interface MethodDecision {
  method: CutoverMethod;
  reason: string;
}

/** The rule, in order: configured stop-first, then what makes two containers side by side impossible. */
export function decideMethod(f: ServiceFacts, gate: Pick<GateSettings, 'probes'>): MethodDecision {
  if (f.stopFirst) return { method: 'stop-first', reason: 'configured in deploy.stopFirst; a gap is expected' };
  if (f.stateful) return { method: 'recreate', reason: 'stateful; downtime expected' };
  if (f.containerName !== undefined) return { method: 'recreate', reason: `container_name "${f.containerName}" allows one container only; downtime expected` };
  if (f.publishesPorts) return { method: 'recreate', reason: 'publishes host ports, which two containers cannot share; downtime expected' };
  if (f.proxiedPort !== undefined) {
    const gates = [...(f.healthcheck ? ['healthcheck'] : []), ...(gate.probes.length ? [`${gate.probes.length} HTTP probe(s) to each new container`] : [])];
    if (gates.length === 0) return { method: 'recreate', reason: 'behind the proxy but nothing can gate it (no healthcheck, no HTTP probe); downtime expected' };
    return { method: 'start-first', reason: `behind the proxy on port ${f.proxiedPort}; gated by ${gates.join(' and ')}` };
  }
  return { method: 'start-new-stop-old', reason: f.healthcheck ? 'not behind the proxy; gated by its healthcheck' : 'not behind the proxy; gated by staying up' };
}
