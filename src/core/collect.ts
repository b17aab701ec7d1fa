// `shipproof collect`: every read-only probe, in parallel, on one target; one evidence record.
// Honest by construction: a probe that throws, times out or cannot run is recorded as an error
// with its reason, and only observed results count as passes.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { userInfo } from 'node:os';
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { resolveTargetName } from '../config/load.js';
import { loadCompose } from '../compose/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import { Docker } from '../docker/docker.js';
import { isShipproofError } from '../errors.js';
import type { CheckResult, CommandRecord, EvidencePredicate, EvidenceStatement } from '../evidence/predicate-schema.js';
import { EVIDENCE_PREDICATE_TYPE, STATEMENT_TYPE } from '../evidence/predicate-schema.js';
import { LocalTarget } from '../targets/local.js';
import { createTarget, type CreateTargetOptions } from '../targets/create.js';
import type { Target } from '../targets/target.js';
import { TOOL_VERSION } from '../version.js';
import { CommandRecorder } from '../probes/recorder.js';
import { allProbes } from '../probes/index.js';
import type { PlanContext, PlannedCommand, Probe, ProbeContext, ProbeOutcome } from '../probes/types.js';

const DEFAULT_PROBE_TIMEOUT_MS = 20_000;

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

/** Reads shared by the probes of one collect run, each with the command records behind it. */
export type SharedReads = Map<string, Promise<{ value: unknown; records: CommandRecord[] }>>;

export async function runProbe(probe: Probe, base: Omit<ProbeContext, 'run' | 'runLocal' | 'signal' | 'once'>, shared?: SharedReads): Promise<CheckResult> {
  const started = Date.now();
  const timeoutMs = probe.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const ac = new AbortController();
  const recorder = new CommandRecorder(ac.signal);
  const local = new LocalTarget();
  const ctx: ProbeContext = {
    ...base,
    signal: ac.signal,
    run: (argv, o) => recorder.run(base.host, argv, o),
    runLocal: (argv, o) => recorder.run(local, argv, o),
    ...(shared === undefined
      ? {}
      : {
          once: async <T>(key: string, read: (run: ProbeContext['run']) => Promise<T>): Promise<T> => {
            let entry = shared.get(key);
            if (entry === undefined) {
              const own = new CommandRecorder(new AbortController().signal);
              entry = read((argv, o) => own.run(base.host, argv, o)).then((value) => ({ value, records: own.records }));
              shared.set(key, entry);
            }
            const { value, records } = await entry;
            recorder.records.push(...records);
            return value as T;
          },
        }),
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ProbeOutcome>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve({ status: 'error', reason: `timed out after ${Math.round(timeoutMs / 1000)} s`, observations: {} });
    }, timeoutMs);
  });
  let outcome: ProbeOutcome;
  try {
    outcome = await Promise.race([probe.run(ctx), timedOut]);
  } catch (e) {
    const message = isShipproofError(e) ? e.message : e instanceof Error ? e.message : String(e);
    outcome = { status: 'error', reason: `could not run: ${message}`, observations: {} };
  } finally {
    clearTimeout(timer);
  }
  // A command that timed out inside a probe means the probe did not observe what it claims.
  if (outcome.status === 'pass' && recorder.records.some((c) => c.timedOut)) {
    outcome = { status: 'error', reason: 'a command timed out', observations: outcome.observations };
  }
  return {
    id: probe.id,
    title: probe.title,
    gate: probe.gate,
    status: outcome.status,
    ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
    durationMs: Date.now() - started,
    observations: outcome.observations,
    commands: recorder.records,
  };
}

async function fileSubject(path: string, name: string): Promise<Subject | undefined> {
  try {
    const data = await readFile(path);
    return { name, digest: { sha256: createHash('sha256').update(data).digest('hex') } };
  } catch {
    return undefined;
  }
}

export function recordStatus(results: CheckResult[]): EvidencePredicate['status'] {
  const gates = results.filter((r) => r.gate);
  if (gates.some((r) => r.status === 'fail')) return 'failed';
  if (gates.some((r) => r.status === 'error')) return 'error';
  // A skipped gate did not apply (e.g. no domain configured); it is not a pass, so nothing passes on skips alone.
  if (!results.some((r) => r.status === 'pass')) return 'pending';
  return 'passed';
}

export function summarize(results: CheckResult[]): EvidencePredicate['summary'] {
  const s = { passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const r of results) {
    if (r.status === 'pass') s.passed++;
    else if (r.status === 'fail') s.failed++;
    else if (r.status === 'error') s.error++;
    else s.skipped++;
  }
  return s;
}

export function operatorName(): string {
  try {
    return `${userInfo().username}`;
  } catch {
    return 'unknown';
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
  const predicate: EvidencePredicate = {
    schemaVersion: 1,
    kind: 'collect',
    title: `Read-only status of ${o.config.project} on ${resolved.name}`,
    project: o.config.project,
    target: { name: resolved.name, description: host.description },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    toolVersion: TOOL_VERSION,
    operator: o.operator ?? operatorName(),
    status: recordStatus(results),
    summary: summarize(results),
    results,
    redactions: [],
    notCollected,
  };
  const statement: EvidenceStatement = {
    _type: STATEMENT_TYPE,
    subject: subjects,
    predicateType: EVIDENCE_PREDICATE_TYPE,
    predicate,
  };
  const gateFailed = results.some((r) => r.gate && (r.status === 'fail' || r.status === 'error'));
  return { statement, exitCode: gateFailed ? 1 : 0 };
}
