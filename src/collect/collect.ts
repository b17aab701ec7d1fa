// `shipproof collect`: every read-only probe, in parallel, on one target; one evidence record.
// Honest by construction: a probe that throws, times out or cannot run is recorded as an error
// with its reason, and only observed results count as passes.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { resolveTargetName } from '../config/load.js';
import { loadCompose } from '../compose/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import { Docker } from '../docker/docker.js';
import type { CheckResult, EvidenceStatement } from '../evidence/predicate-schema.js';
import { buildStatement } from '../evidence/statement.js';
import { createTarget, type CreateTargetOptions } from '../targets/create.js';
import type { Target } from '../targets/target.js';
import { allProbes } from '../probes/index.js';
import { runProbe, type SharedReads } from '../probes/run.js';
import type { PlanContext, PlannedCommand, Probe } from '../probes/types.js';

export interface CollectOptions extends CreateTargetOptions {
  config: ResolvedConfig;
  targetName?: string;
  probes?: Probe[];
  operator?: string;
  /** For tests: inject a ready target instead of building one from the config. */
  target?: Target;
  onProbeDone?: (id: string, status: string) => void;
}

type Subject = EvidenceStatement['subject'][number];

export interface CollectResult {
  statement: EvidenceStatement;
  /** 0 when every gate probe passed, 1 otherwise. */
  exitCode: 0 | 1;
}

export async function loadComposeModel(config: ResolvedConfig): Promise<ComposeModel | undefined> {
  if (config.composeFiles.length === 0) return undefined;
  return loadCompose(config.composeFiles);
}

export async function planProbes(
  config: ResolvedConfig,
  targetName?: string,
  probes: Probe[] = allProbes,
): Promise<{ target: ResolvedTarget; probes: { probe: Probe; commands: PlannedCommand[] }[] }> {
  const target = resolveTargetName(config, targetName);
  const compose = await loadComposeModel(config);
  const ctx: PlanContext = { config, target, compose };
  return { target, probes: probes.map((probe) => ({ probe, commands: probe.plan(ctx) })) };
}

async function fileSubject(path: string, name: string): Promise<Subject | undefined> {
  try {
    const data = await readFile(path);
    return { name, digest: { sha256: createHash('sha256').update(data).digest('hex') } };
  } catch {
    return undefined;
  }
}

export async function collect(o: CollectOptions): Promise<CollectResult> {
  const resolved = resolveTargetName(o.config, o.targetName);
  const compose = await loadComposeModel(o.config);
  const probes = o.probes ?? allProbes;
  const host = o.target ?? createTarget(resolved, o);
  const docker = new Docker(host);
  const startedAt = new Date();
  let results: CheckResult[];
  try {
    // Connect once up front: an unreachable host, a refused login or a host key problem is one
    // clear error (exit 1), not eighteen probe errors.
    await host.exec(['true'], { timeoutMs: 30_000 });
    const shared: SharedReads = new Map();
    results = await Promise.all(
      probes.map(async (probe) => {
        const r = await runProbe(probe, { config: o.config, target: resolved, compose, host, docker }, shared);
        o.onProbeDone?.(r.id, r.status);
        return r;
      }),
    );
  } finally {
    if (o.target === undefined) await host.close();
  }
  const finishedAt = new Date();
  const subjects = (
    await Promise.all([
      ...o.config.composeFiles.map((f) => fileSubject(f, basename(f))),
      ...(o.config.configPath ? [fileSubject(o.config.configPath, basename(o.config.configPath))] : []),
    ])
  ).filter((s): s is Subject => s !== undefined);

  const notCollected = [
    ...new Set(probes.flatMap((p) => p.neverRecords)),
    'raw command output (only its sha256 and byte count)',
  ].sort();
  const statement = buildStatement({
    kind: 'collect',
    title: `Read-only status of ${o.config.project} on ${resolved.name}`,
    project: o.config.project,
    target: { name: resolved.name, description: host.description },
    startedAt,
    finishedAt,
    ...(o.operator === undefined ? {} : { operator: o.operator }),
    results,
    subjects,
    notCollected,
  });
  const gateFailed = results.some((r) => r.gate && (r.status === 'fail' || r.status === 'error'));
  return { statement, exitCode: gateFailed ? 1 : 0 };
}
