// Milestone 6's (and a rollback's) hook into src/cutover: before `compose up`, the services compose
// would recreate are cut over one by one (start-first behind the proxy, start-new-stop-old,
// stop-first), so the `compose up` that follows finds them up to date and leaves them alone.
import { readFileSync } from 'node:fs';
import path, { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ResolvedConfig } from '../../config/load.js';
import { substituteDefaults, type ComposeProject as ComposeModel } from '../../compose/model.js';
import { detectStatefulServices } from '../../compose/stateful.js';
import { cutOverStack, describeCutover, detectProxyService, gateProbes, planStackCutover } from '../../cutover/stack.js';
import type { CutoverRun, GateSettings } from '../../cutover/types.js';
import { composeConfigHashCommand, composeResolvedConfigCommand, inspectContainersCommand, projectContainerIdsCommand, type ComposeContext } from '../../docker/commands.js';
import { parseContainerInspect } from '../../docker/parse.js';
import { parseConfigHashes, planServices } from '../service-plan.js';
import type { PlanContext, PlannedStepCommand, RunOpts, StepContext } from '../context.js';
import type { ExecResult } from '../../targets/target.js';

export interface CutoverHook {
  run: (argv: readonly string[], o?: RunOpts) => Promise<ExecResult>;
  compose: ComposeContext;
  /** The folder compose runs from (<appDir>/live), where the release's files are. */
  liveDir: string;
  model: ComposeModel;
  config: ResolvedConfig;
  log: (line: string) => void;
}

/**
 * Services two containers of which must never run at once: a known engine (whatever
 * `stateful:` says about backups) or anything writing a named volume.
 */
function statefulForCutover(model: ComposeModel): Set<string> {
  const out = new Set(detectStatefulServices(model).map((x) => x.service));
  for (const s of model.services) if (s.volumes.some((v) => v.type === 'named' && !v.readOnly)) out.add(s.name);
  return out;
}

function gate(config: ResolvedConfig): GateSettings {
  const d = config.deploy;
  return { timeoutMs: d.healthTimeoutMs, intervalMs: d.healthIntervalMs, stableChecks: d.stableChecks, probes: gateProbes(config.health) };
}

/** The Caddyfile the proxy mounts, relative to the project folder (as in the bundle). */
function caddyfileRel(model: ComposeModel, proxy: string | undefined): string | undefined {
  const v = model.services.find((s) => s.name === proxy)?.volumes.find((m) => m.type === 'bind' && m.source !== undefined && /Caddyfile$/.test(m.target));
  return v?.source ? path.relative(model.projectDir, path.resolve(model.projectDir, v.source)).split(path.sep).join('/') : undefined;
}

/** Cuts over `changed` services; lines for the record, and the failure if one failed (its old containers still serve when it says so). */
export async function cutOverChanged(h: CutoverHook, changed: readonly string[]): Promise<{ lines: string[]; failed?: string }> {
  if (changed.length === 0) return { lines: [] };
  const r = await h.run(composeResolvedConfigCommand(h.compose), { timeoutMs: 60_000, read: true });
  if (r.exitCode !== 0) return { lines: [], failed: 'compose could not read the release configuration for the cut-over' };
  const resolved: unknown = parseYaml(r.stdout);
  const proxyService = detectProxyService(resolved);
  const rel = caddyfileRel(h.model, proxyService);
  const text = rel ? await h.run(['cat', '--', posix.join(h.liveDir, rel)], { timeoutMs: 30_000, read: true }) : undefined;
  const run: CutoverRun = (argv, o) => h.run(argv, { ...(o?.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), ...(o?.stdin !== undefined ? { stdin: o.stdin } : {}) });
  const result = await cutOverStack({
    run,
    compose: h.compose,
    resolved,
    changed,
    stateful: statefulForCutover(h.model),
    stopFirst: h.config.deploy.stopFirst,
    ...(proxyService ? { proxyService } : {}),
    ...(text?.exitCode === 0 ? { caddyfile: text.stdout } : {}),
    gate: gate(h.config),
    drainTimeoutMs: h.config.deploy.drainTimeoutMs,
    log: h.log,
  });
  const lines = describeCutover(result);
  return result.failed ? { lines, failed: `${result.failed.service}: ${result.failed.failure ?? 'the cut-over failed'}` } : { lines };
}

/** For --dry-run: what each service would get if it changes, from the local compose files. */
export function planCutover(model: ComposeModel, config: ResolvedConfig, compose: ComposeContext, liveDir: string): { commands: PlannedStepCommand[]; recreated: string[] } {
  const services: Record<string, unknown> = {};
  for (const f of model.files) {
    const doc = parseYaml(readFileSync(f, 'utf8')) as { services?: Record<string, Record<string, unknown>> } | null;
    for (const [k, v] of Object.entries(doc?.services ?? {})) {
      // `${CADDY_IMAGE:-caddy:2}` as its default, so the proxy is recognised before compose resolves it.
      const image = typeof v.image === 'string' ? { image: substituteDefaults(v.image).text } : {};
      services[k] = { ...(services[k] as object | undefined), ...v, ...image };
    }
  }
  const resolved = { services };
  const proxyService = detectProxyService(resolved);
  const rel = caddyfileRel(model, proxyService);
  let caddyfile: string | undefined;
  try {
    caddyfile = rel ? readFileSync(path.join(model.projectDir, rel), 'utf8') : undefined;
  } catch {
    caddyfile = undefined; // not in the bundle: the running config decides at cut-over
  }
  const plans = planStackCutover({
    compose,
    resolved,
    changed: Object.keys(services),
    stateful: statefulForCutover(model),
    stopFirst: config.deploy.stopFirst,
    ...(proxyService ? { proxyService } : {}),
    ...(caddyfile !== undefined ? { caddyfile } : {}),
    gate: gate(config),
    drainTimeoutMs: config.deploy.drainTimeoutMs,
  });
  const reads: PlannedStepCommand[] = [
    { argv: composeResolvedConfigCommand(compose), note: 'per service: ports, container_name, healthcheck, replicas (output never shown or stored)', when: 'when a service changes' },
    ...(rel ? [{ argv: ['cat', '--', posix.join(liveDir, rel)], note: 'which services the proxy routes to', when: 'when a service changes' }] : []),
  ];
  return {
    commands: [...reads, ...plans
      .filter((p) => p.method !== 'recreate')
      .flatMap((p) => p.commands.map((c) => ({ argv: c.argv, ...(c.note ? { note: c.note } : {}), serverOnly: c.argv.some((a) => a.includes('<')), when: `when ${p.service} changes: ${p.method} — ${p.reason}` })))],
    recreated: plans.filter((p) => p.method === 'recreate').map((p) => `${p.service}: recreate — ${p.reason}`),
  };
}

export function stepHook(ctx: StepContext): CutoverHook {
  return { run: ctx.run, compose: ctx.composeLive(ctx.release), liveDir: ctx.layout.live, model: ctx.compose, config: ctx.config, log: ctx.log };
}

export function stepPlan(ctx: PlanContext): { commands: PlannedStepCommand[]; recreated: string[] } {
  return planCutover(ctx.compose, ctx.config, ctx.composeLive(ctx.release), ctx.layout.live);
}

/** For a rollback: what would compose recreate to bring `images` back, then cut those over. */
export async function cutOverBeforeUp(h: CutoverHook, images: Readonly<Record<string, string | undefined>>): Promise<{ lines: string[]; failed?: string }> {
  const hashes = await h.run(composeConfigHashCommand(h.compose), { timeoutMs: 60_000, read: true });
  const ids = (await h.run(projectContainerIdsCommand(h.compose.project), { timeoutMs: 30_000, read: true })).stdout.split('\n').filter(Boolean);
  const inspected = ids.length ? await h.run(inspectContainersCommand(ids), { timeoutMs: 30_000, read: true }) : undefined;
  const running = inspected?.stdout.trim() ? parseContainerInspect(inspected.stdout).filter((c) => c.state === 'running') : [];
  if (hashes.exitCode !== 0) return { lines: [], failed: 'compose could not compute the config hashes' };
  const changed = planServices(parseConfigHashes(hashes.stdout), running, images).filter((p) => p.action === 'recreated').map((p) => p.service);
  return cutOverChanged(h, changed);
}
