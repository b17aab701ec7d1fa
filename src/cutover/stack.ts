// The cut-over of every changed service of a release, in compose order, stopping at the first
// failure. Services that must be recreated are left to the deploy's `compose up` (the plan says
// why); the proxy itself is never cut over. Also the lines the deploy record keeps per service.
import type { ComposeContext } from '../docker/commands.js';
import { decideMethod, serviceFacts } from './classify.js';
import { planServiceCutover, type ServicePlan } from './plan.js';
import { runCutover } from './run.js';
import type { CutoverOutcome, CutoverRun, GateProbe, GateSettings } from './types.js';

export interface StackCutoverInput {
  run: CutoverRun;
  /** Compose as the new release runs. */
  compose: ComposeContext;
  /** The release's parsed `compose config` (in memory only). */
  resolved: unknown;
  /** Services whose containers compose would recreate. */
  changed: readonly string[];
  stateful: ReadonlySet<string>;
  stopFirst: readonly string[];
  proxyService?: string;
  /** The proxy's Caddyfile text, to see which services it routes to. */
  caddyfile?: string;
  gate: GateSettings;
  drainTimeoutMs: number;
  log?: (line: string) => void;
}

export interface StackCutover {
  plans: ServicePlan[];
  outcomes: CutoverOutcome[];
  failed?: CutoverOutcome;
}

/** The proxy: the service running a Caddy image (official or a stand-in named …/caddy). */
export function detectProxyService(resolved: unknown): string | undefined {
  const services = (resolved as { services?: Record<string, { image?: unknown }> } | undefined)?.services ?? {};
  return Object.entries(services).find(([, s]) => typeof s.image === 'string' && /(^|\/)caddy(:|@|$)/.test(s.image))?.[0];
}

/** Gate probes from shipproof.yaml's health URLs: their path, sent to each new container itself. */
export function gateProbes(health: readonly { name: string; url: string; status: number; body?: string; bodyRegex?: string; timeoutMs: number }[]): GateProbe[] {
  return health.map((h) => {
    const u = new URL(h.url);
    return { name: h.name, path: `${u.pathname}${u.search}`, status: h.status, timeoutMs: h.timeoutMs, ...(h.body !== undefined ? { body: h.body } : {}), ...(h.bodyRegex !== undefined ? { bodyRegex: h.bodyRegex } : {}) };
  });
}

export function planStackCutover(i: Omit<StackCutoverInput, 'run' | 'log'>): ServicePlan[] {
  const facts = serviceFacts(i.resolved, { stateful: i.stateful, stopFirst: i.stopFirst, ...(i.caddyfile !== undefined ? { caddyfile: i.caddyfile } : {}), ...(i.proxyService ? { proxyService: i.proxyService } : {}) });
  return facts
    .filter((f) => i.changed.includes(f.name) && f.name !== i.proxyService)
    .map((f) => planServiceCutover({ compose: i.compose, service: f, decision: decideMethod(f, i.gate), ...(i.proxyService ? { proxyService: i.proxyService } : {}), gate: i.gate, drainTimeoutMs: i.drainTimeoutMs }));
}

export async function cutOverStack(i: StackCutoverInput): Promise<StackCutover> {
  const plans = planStackCutover(i);
  const facts = serviceFacts(i.resolved, { stateful: i.stateful, stopFirst: i.stopFirst, ...(i.caddyfile !== undefined ? { caddyfile: i.caddyfile } : {}), ...(i.proxyService ? { proxyService: i.proxyService } : {}) });
  const outcomes: CutoverOutcome[] = [];
  for (const p of plans) {
    i.log?.(`${p.service}: ${p.method} (${p.reason})`);
    if (p.method === 'recreate') continue; // compose up recreates it with the rest
    const service = facts.find((f) => f.name === p.service)!;
    const out = await runCutover({ run: i.run, compose: i.compose, service, ...(i.proxyService ? { proxyService: i.proxyService } : {}), gate: i.gate, drainTimeoutMs: i.drainTimeoutMs, ...(i.log ? { log: i.log } : {}) });
    outcomes.push(out);
    if (!out.ok) return { plans, outcomes, failed: out };
  }
  return { plans, outcomes };
}

const s = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

/** One line per service for the deploy record: how it was cut over, side by side, drain. */
export function describeCutover(c: StackCutover): string[] {
  return c.plans.map((p) => {
    const o = c.outcomes.find((x) => x.service === p.service);
    if (!o) return `${p.service}: ${p.method} (${p.reason})${p.method === 'recreate' ? ' by compose up' : ' — not run'}`;
    const drain = o.drain ? (o.drain.observed ? `drain: ${o.drain.requestsAtSwitch} request(s) in flight at the switch, ${o.drain.requestsAtStop} at stop, after ${s(o.drain.waitedMs)}` : `drain: requests not observable (the proxy's admin API could not be read), waited ${s(o.drain.waitedMs)}`) : 'drain: -';
    const status = o.ok ? 'done' : `FAILED: ${o.failure ?? 'failed'}${o.oldKept ? ' (the old containers kept serving)' : ''}`;
    return `${o.service}: ${o.method} (${o.reason}); ${status}; old and new side by side ${s(o.sideBySideMs)}; ${drain}; gate ${o.gate ? `${o.gate.checks} check(s) in ${s(o.gate.durationMs)}` : '-'}${o.warnings.length ? `; ${o.warnings.join('; ')}` : ''}`;
  });
}
