// The cut-over of one service as data: the commands, in order, with placeholders (<…>) only for
// what only the server knows (container ids, addresses, counts). `--dry-run` prints this list; the
// runner (run.ts) builds each command it executes with the same builders, and a unit test checks
// that every command it ran matches a planned one.
import { curlCommand } from '../probes/http-health.js';
import type { ComposeContext } from '../docker/commands.js';
import {
  caddyAdaptCommand,
  caddyLoadStdinCommand,
  caddyReloadFileCommand,
  inspectCommand,
  recreateCommand,
  removeContainersCommand,
  scaleUpCommand,
  serviceContainerIdsCommand,
  stopContainersCommand,
  caddyUpstreamsCommand,
  listenerMigrationEnableCommand,
  listenerMigrationReadCommand,
} from './commands.js';
import type { MethodDecision } from './classify.js';
import type { GateProbe, GateSettings, ServiceFacts } from './types.js';

export interface PlannedCommand {
  argv: string[];
  note?: string;
}

export interface ServicePlan {
  service: string;
  method: MethodDecision['method'];
  reason: string;
  commands: PlannedCommand[];
}

export interface PlanInput {
  compose: ComposeContext;
  service: ServiceFacts;
  decision: MethodDecision;
  proxyService?: string;
  gate: GateSettings;
  drainTimeoutMs: number;
  forceRecreate?: boolean;
}

export const ph = {
  old: (s: string) => `<old ${s} containers>`,
  new: (s: string) => `<new ${s} containers>`,
  proxy: '<proxy container>',
  proxyConfig: '<proxy config file>',
  proxyImage: '<proxy image id>',
  adminHost: '<admin host>',
  adminPort: '<admin port>',
  count: '<old count + replicas>',
  grace: '<drain time left, s>',
  address: '<new container address>',
};

/** The URL a gate probe is sent to: the new container itself, on the port the proxy dials. */
export function probeUrl(address: string, port: number, p: GateProbe): string {
  return `http://${address}:${port}${p.path.startsWith('/') ? p.path : `/${p.path}`}`;
}

export function probeCommand(address: string, port: number, p: GateProbe): string[] {
  return curlCommand({ url: probeUrl(address, port, p), timeoutMs: p.timeoutMs, insecure: false });
}

export function planServiceCutover(i: PlanInput): ServicePlan {
  const s = i.service.name;
  const project = i.compose.project;
  const method = i.forceRecreate ? 'recreate' : i.decision.method;
  const reason = i.forceRecreate ? 'forced recreate; downtime expected' : i.decision.reason;
  const c: PlannedCommand[] = [];
  const every = `every ${i.gate.intervalMs / 1000} s, up to ${i.gate.timeoutMs / 1000} s`;
  const gate = (): void => {
    c.push({ argv: serviceContainerIdsCommand(project, s), note: 'new containers = these minus the old ones' });
    c.push({ argv: inspectCommand([ph.new(s)]), note: `until running and ${i.service.healthcheck ? 'healthy' : `up for ${i.gate.stableChecks} checks`} (${every})` });
    if (i.service.proxiedPort !== undefined) {
      for (const p of i.gate.probes) c.push({ argv: probeCommand(ph.address, i.service.proxiedPort, p), note: `probe ${p.name}, sent to each new container` });
    }
  };
  const drainS = i.drainTimeoutMs / 1000;
  if (method === 'recreate') {
    c.push({ argv: recreateCommand(i.compose, s, i.service.replicas, i.forceRecreate === true) });
    return { service: s, method, reason, commands: c };
  }
  c.push({ argv: serviceContainerIdsCommand(project, s), note: 'the old containers' });
  c.push({ argv: inspectCommand([ph.old(s)]) });
  if (method === 'stop-first') {
    c.push({ argv: stopContainersCommand([ph.old(s)], drainS) });
    c.push({ argv: removeContainersCommand([ph.old(s)]) });
    c.push({ argv: scaleUpCommand(i.compose, s, i.service.replicas) });
    gate();
    return { service: s, method, reason, commands: c };
  }
  const proxied = method === 'start-first' && i.proxyService !== undefined && i.service.proxiedPort !== undefined;
  if (proxied) {
    const target = `${s}:${i.service.proxiedPort}`;
    c.push({ argv: serviceContainerIdsCommand(project, i.proxyService!), note: 'the proxy' });
    c.push({ argv: inspectCommand([ph.proxy]), note: 'its config file and networks' });
    c.push({ argv: caddyAdaptCommand(ph.proxy, ph.proxyConfig), note: 'its running config as JSON, kept in memory only' });
    c.push({ argv: listenerMigrationReadCommand(ph.proxy), note: 'does Linux hand connections queued on a closing listener to the new one (Caddy re-binds on each reload)?' });
    c.push({ argv: listenerMigrationEnableCommand(ph.proxy, ph.proxyImage), note: "only when that is 0: tcp_migrate_req=1 in the proxy's network namespace only" });
    c.push({ argv: caddyLoadStdinCommand(ph.proxy), note: `stdin: that config with ${target} pinned to the old containers' addresses, grace_period ${drainS} s unless set (graceful reload)` });
  }
  c.push({ argv: scaleUpCommand(i.compose, s, ph.count), note: `${i.service.replicas} new container(s) beside the old` });
  gate();
  if (proxied) {
    c.push({ argv: caddyLoadStdinCommand(ph.proxy), note: `stdin: the config with ${s}:${i.service.proxiedPort} pinned to the new containers' addresses, the old ones kept in a route no request matches so their requests stay counted (graceful reload)` });
    c.push({ argv: caddyUpstreamsCommand(ph.proxy, ph.adminHost, ph.adminPort), note: `Caddy's admin API, every 0.5 s until no request is in flight to the old containers, up to ${drainS} s` });
  }
  c.push({ argv: stopContainersCommand([ph.old(s)], proxied ? ph.grace : drainS), note: 'SIGTERM, SIGKILL when the time is up' });
  c.push({ argv: removeContainersCommand([ph.old(s)]) });
  if (proxied) c.push({ argv: caddyReloadFileCommand(ph.proxy, ph.proxyConfig), note: "the user's own proxy config again (Docker DNS now lists the new containers only)" });
  c.push({ argv: stopContainersCommand([ph.new(s)], 10), note: 'only if the gate fails: the new containers go, the old keep serving' });
  c.push({ argv: removeContainersCommand([ph.new(s)]), note: 'only if the gate fails' });
  if (proxied) c.push({ argv: caddyReloadFileCommand(ph.proxy, ph.proxyConfig), note: 'only if the gate fails' });
  return { service: s, method, reason, commands: c };
}

/** Does an executed argv match a planned one? A whole-element placeholder stands for one or more elements. */
export function matchesPlanned(argv: readonly string[], planned: readonly string[]): boolean {
  const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const parts = planned.map((el) =>
    /^<[^>]+>$/.test(el) ? '[^\\u0000]+(?:\\u0000[^\\u0000]+)*' : el.split(/(<[^>]+>)/).map((p) => (/^<[^>]+>$/.test(p) ? '[^\\u0000]+' : esc(p))).join(''),
  );
  return new RegExp(`^${parts.join('\\u0000')}$`).test(argv.join('\u0000'));
}
