// Runs the cut-over of one service (see plan.ts for the commands, types.ts for the record). For a
// service behind Caddy: make its config reloads lossless (tcp_migrate_req), pin the proxy's
// upstreams for it to the old containers' addresses, start the new containers beside them, gate
// the new ones, switch the upstreams to the new addresses (graceful reload), wait until Caddy
// reports no request in flight to the old ones (up to the drain timeout), stop and remove them,
// and give the proxy the user's own config back. A failed gate removes the new containers; the
// old never stopped serving.
import { adminEndpoint, caddyInvocation, dialedHosts, pinUpstreams, requestsInFlight, switchUpstreams, withGracePeriod, type CaddyInvocation } from './caddy.js';
import { decideMethod, type MethodDecision } from './classify.js';
import {
  caddyAdaptCommand,
  caddyLoadStdinCommand,
  caddyReloadFileCommand,
  caddyUpstreamsCommand,
  listenerMigrationEnableCommand,
  listenerMigrationReadCommand,
  recreateCommand,
  removeContainersCommand,
  scaleUpCommand,
  serviceContainerIdsCommand,
  stopContainersCommand,
} from './commands.js';
import { gateNewContainers, reachableAddress, readContainers } from './gate.js';
import type { RunningContainer } from './inspect.js';
import type { Clock, CutoverInput, CutoverOutcome, CutoverRun, DrainRecord } from './types.js';

export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

const DRAIN_POLL_MS = 500;
const NEW_STOP_S = 10;

async function listIds(run: CutoverRun, project: string, service: string): Promise<string[]> {
  const r = await run(serviceContainerIdsCommand(project, service), { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new Error(`docker ps failed: ${r.stderr.trim().slice(0, 200)}`);
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
}

/** The proxy, pinned for one service: how to move its upstreams and how to give the user's config back. */
interface Pin {
  container: RunningContainer;
  invocation: CaddyInvocation;
  config: unknown;
  pinned: boolean;
  /** The old containers' addresses as the proxy dials them (host:port). */
  oldDials: string[];
  oldAddresses: string[];
  admin?: { host: string; port: number };
}

export async function runCutover(input: CutoverInput): Promise<CutoverOutcome> {
  const clock = input.clock ?? realClock;
  const run = input.run;
  const log = input.log ?? (() => undefined);
  const t0 = clock.now();
  const svc = input.service;
  const project = input.compose.project;
  let decision: MethodDecision = input.forceRecreate ? { method: 'recreate', reason: 'forced recreate; downtime expected' } : decideMethod(svc, input.gate);
  const out: Omit<CutoverOutcome, 'durationMs'> = {
    service: svc.name,
    method: decision.method,
    reason: decision.reason,
    ok: false,
    oldKept: false,
    oldContainers: [],
    newContainers: [],
    sideBySideMs: null,
    drain: null,
    gate: null,
    warnings: [],
    proxy: input.proxyService ? 'not-pinned' : 'no-proxy',
  };
  const finish = (): CutoverOutcome => ({ ...out, method: decision.method, reason: decision.reason, durationMs: clock.now() - t0 });
  const gate = async (ids: string[], proxy?: RunningContainer): Promise<boolean> => {
    const v = await gateNewContainers(run, ids, { service: svc, gate: input.gate, clock, log, ...(proxy ? { proxy } : {}) });
    out.gate = { passed: v.passed, checks: v.checks, durationMs: v.durationMs, ...(v.reason ? { reason: v.reason } : {}) };
    if (!v.passed) out.failure = `the new ${svc.name} container(s) failed the gate: ${v.reason ?? 'failed'}`;
    return v.passed;
  };
  const recreate = async (): Promise<CutoverOutcome> => {
    decision = { method: 'recreate', reason: decision.reason };
    const r = await run(recreateCommand(input.compose, svc.name, svc.replicas, input.forceRecreate === true), { timeoutMs: 15 * 60_000 });
    out.ok = r.exitCode === 0;
    if (!out.ok) out.failure = `compose up exited with code ${r.exitCode}: ${tail(r.stderr)}`;
    out.newContainers = await listIds(run, project, svc.name);
    return finish();
  };

  if (decision.method === 'recreate') return recreate();

  const old = await listIds(run, project, svc.name);
  out.oldContainers = old;
  const scaleUp = async (count: number): Promise<string[] | undefined> => {
    log(`${svc.name}: starting ${svc.replicas} new container(s)${old.length ? ` beside ${old.length} old` : ''}`);
    const r = await run(scaleUpCommand(input.compose, svc.name, count), { timeoutMs: 15 * 60_000 });
    const ids = (await listIds(run, project, svc.name)).filter((id) => !old.includes(id));
    out.newContainers = ids;
    if (r.exitCode !== 0) {
      out.failure = `compose up exited with code ${r.exitCode}: ${tail(r.stderr)}`;
      return undefined;
    }
    return ids;
  };

  if (decision.method === 'stop-first' || old.length === 0) {
    if (old.length > 0) {
      await run(stopContainersCommand(old, input.drainTimeoutMs / 1000), { timeoutMs: input.drainTimeoutMs + 60_000 });
      await run(removeContainersCommand(old), { timeoutMs: 60_000 });
    } else {
      decision = { ...decision, reason: `${decision.reason} (nothing was running: started)` };
    }
    const ids = await scaleUp(svc.replicas);
    out.ok = ids !== undefined && (await gate(ids));
    return finish();
  }

  // start-first / start-new-stop-old: both run side by side for a while.
  let pin: Pin | undefined;
  if (decision.method === 'start-first') {
    const p = await pinProxy(input, svc.name, old, out.warnings, log);
    if (typeof p === 'string') {
      if (p.startsWith('not-dialed:')) {
        decision = { method: 'start-new-stop-old', reason: `${p.slice('not-dialed:'.length)}; started beside the old containers` };
      } else {
        decision = { method: 'recreate', reason: `${p}; recreated instead, downtime expected` };
        return recreate();
      }
    } else {
      pin = p;
      out.proxy = 'pinned';
    }
  }
  const restoreProxy = async (): Promise<void> => {
    if (!pin?.pinned) return;
    const r = await run(caddyReloadFileCommand(pin.container.id, pin.invocation.configPath, pin.invocation.adapter), { timeoutMs: 60_000 });
    if (r.exitCode === 0) pin.pinned = false;
    else out.warnings.push(`the proxy kept pinned upstreams: reloading ${pin.invocation.configPath} failed (${tail(r.stderr)}); run \`caddy reload\` in it`);
  };
  const removeNew = async (): Promise<void> => {
    if (out.newContainers.length === 0) return;
    await run(stopContainersCommand(out.newContainers, NEW_STOP_S), { timeoutMs: 120_000 });
    await run(removeContainersCommand(out.newContainers), { timeoutMs: 60_000 });
    out.oldKept = true;
  };
  try {
    const ids = await scaleUp(old.length + svc.replicas);
    const tNew = clock.now();
    if (ids === undefined || !(await gate(ids, pin?.container))) {
      log(`${svc.name}: ${out.failure}; removing the new container(s), the old keep serving`);
      await removeNew();
      out.oldKept = true;
      return finish();
    }
    const drainStart = clock.now();
    const drainDeadline = drainStart + input.drainTimeoutMs;
    if (pin) {
      const next = await readContainers(run, ids);
      const addresses = next.map((c) => reachableAddress(c, pin!.container));
      const r = addresses.includes(undefined)
        ? { exitCode: 1, stderr: 'a new container shares no network with the proxy' }
        : await run(caddyLoadStdinCommand(pin.container.id), {
            stdin: JSON.stringify(withGracePeriod(switchUpstreams(pin.config, svc.name, addresses as string[], pin.oldAddresses).config, input.drainTimeoutMs)),
            timeoutMs: input.drainTimeoutMs + 60_000,
          });
      if (r.exitCode !== 0) {
        out.failure = `the proxy could not be switched to the new containers: ${tail(r.stderr)}`;
        await removeNew();
        return finish();
      }
      log(`${svc.name}: the proxy sends new requests to the new container(s); draining the old`);
      out.drain = await drain(run, pin, drainDeadline, clock);
    }
    const graceS = Math.max(1, Math.ceil((drainDeadline - clock.now()) / 1000));
    await run(stopContainersCommand(old, graceS), { timeoutMs: graceS * 1000 + 60_000 });
    out.sideBySideMs = clock.now() - tNew;
    await run(removeContainersCommand(old), { timeoutMs: 60_000 });
    out.ok = true;
    return finish();
  } finally {
    await restoreProxy();
  }
}

/**
 * Caddy binds a new listening socket on each reload and closes the old one; without
 * tcp_migrate_req Linux resets the connections still queued on the old socket (measured: 13 of
 * 12,800 fresh connections over 100 reloads of Caddy 2.6, none with it on). Turned on in the
 * proxy's network namespace when off; a failure is a warning, the cut-over still runs.
 */
async function ensureListenerMigration(run: CutoverRun, proxy: RunningContainer, warnings: string[], log: (l: string) => void): Promise<void> {
  const read = await run(listenerMigrationReadCommand(proxy.id), { timeoutMs: 30_000 });
  if (read.exitCode === 0 && read.stdout.trim() === '1') return;
  const r = await run(listenerMigrationEnableCommand(proxy.id, proxy.imageId), { timeoutMs: 60_000 });
  if (r.exitCode === 0) {
    log('proxy: net.ipv4.tcp_migrate_req turned on in its network namespace (config reloads hand queued connections over)');
    return;
  }
  warnings.push(`net.ipv4.tcp_migrate_req could not be turned on in the proxy's network namespace (${tail(r.stderr)}): a config reload can reset connections being opened; set it with compose \`sysctls:\``);
}

/** Pins the proxy's upstreams for `service` to the old containers; a string says why it cannot. */
async function pinProxy(input: CutoverInput, service: string, old: string[], warnings: string[], log: (l: string) => void): Promise<Pin | string> {
  const run = input.run;
  const proxyIds = input.proxyService ? await listIds(run, input.compose.project, input.proxyService) : [];
  const proxy = (await readContainers(run, proxyIds.slice(0, 1)))[0];
  if (!proxy) return `the proxy (${input.proxyService ?? 'none configured'}) is not running`;
  const invocation = caddyInvocation(proxy.command);
  const adapted = await run(caddyAdaptCommand(proxy.id, invocation.configPath, invocation.adapter), { timeoutMs: 60_000 });
  let config: unknown;
  try {
    config = adapted.exitCode === 0 ? JSON.parse(adapted.stdout) : undefined;
  } catch {
    config = undefined;
  }
  if (config === undefined) return `the proxy's config could not be read with \`caddy adapt\` (exit ${adapted.exitCode})`;
  const ports = dialedHosts(config).get(service);
  if (!ports) return `not-dialed:the running proxy config does not dial ${service} by name`;
  const oldContainers = await readContainers(run, old);
  const addresses = oldContainers.map((c) => reachableAddress(c, proxy));
  if (addresses.includes(undefined) || addresses.length !== old.length) return `an old ${service} container shares no network with the proxy`;
  await ensureListenerMigration(run, proxy, warnings, log);
  const pinned = withGracePeriod(pinUpstreams(config, service, addresses as string[]).config, input.drainTimeoutMs);
  const r = await run(caddyLoadStdinCommand(proxy.id), { stdin: JSON.stringify(pinned), timeoutMs: 60_000 });
  if (r.exitCode !== 0) return `the proxy refused a config reload (${tail(r.stderr)})`;
  const admin = adminEndpoint(config);
  const oldAddresses = addresses as string[];
  const oldDials = [...ports].flatMap((p) => oldAddresses.map((a) => `${a}:${p}`));
  return { container: proxy, invocation, config, pinned: true, oldAddresses, oldDials, ...(admin ? { admin } : {}) };
}

/**
 * Waits until Caddy reports no request in flight to the old containers, or the deadline. Idle
 * keep-alive connections to them do not count: they carry no request, and the old config's
 * transport never uses them again.
 */
async function drain(run: CutoverRun, pin: Pin, deadline: number, clock: Clock): Promise<DrainRecord> {
  const started = clock.now();
  let first: number | null = null;
  let open: number | null = null;
  for (;;) {
    const r = pin.admin ? await run(caddyUpstreamsCommand(pin.container.id, pin.admin.host, pin.admin.port), { timeoutMs: 15_000 }) : undefined;
    const n = r?.exitCode === 0 ? requestsInFlight(r.stdout, pin.oldDials) : undefined;
    // No admin API to read: the stop's grace period (what is left of the drain timeout) is the drain.
    if (n === undefined) return { observed: false, requestsAtSwitch: first, requestsAtStop: null, waitedMs: clock.now() - started };
    first ??= n;
    open = n;
    if (open === 0 || clock.now() + DRAIN_POLL_MS > deadline) break;
    await clock.sleep(DRAIN_POLL_MS);
  }
  return { observed: true, requestsAtSwitch: first, requestsAtStop: open, waitedMs: clock.now() - started };
}
