// A probe is one read-only look at a target: what it reads, whether it gates, what it never
// records, the exact commands it would run (for `plan`), and how it runs (for `collect`).
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import type { Docker } from '../docker/docker.js';
import type { ObservationValue, ResultStatus } from '../evidence/predicate-schema.js';
import type { ExecResult, Target } from '../targets/target.js';

export type Observations = Record<string, ObservationValue>;

export interface ProbeOutcome {
  status: ResultStatus;
  /** Why, for anything but a pass; a pass may say what it saw. */
  reason?: string;
  observations: Observations;
}

/** What a probe needs to describe its commands without connecting. */
export interface PlanContext {
  config: ResolvedConfig;
  target: ResolvedTarget;
  compose: ComposeModel | undefined;
}

export interface RunOptions {
  timeoutMs?: number;
  stdin?: string;
}

export interface ProbeContext extends PlanContext {
  host: Target;
  docker: Docker;
  /** Runs a read-only command on the target and records it (argv, exit code, duration, output hashes: never the output). */
  run(argv: readonly string[], options?: RunOptions): Promise<ExecResult>;
  /** Records a command that ran elsewhere (e.g. git on the operator's machine). */
  runLocal(argv: readonly string[], options?: RunOptions): Promise<ExecResult>;
  /** Abort when the probe's time is up. */
  signal: AbortSignal;
  /**
   * Within one collect run: reads shared by several probes (the project's containers) run once;
   * every probe that used the result still records the commands behind it. Absent elsewhere
   * (the health gate must see fresh state on every look).
   */
  once?: <T>(key: string, read: (run: ProbeContext['run']) => Promise<T>) => Promise<T>;
}

export interface Probe {
  id: string;
  title: string;
  /** What it reads, for `plan` and the evidence's "what ran". */
  reads: string;
  /** A failing gate probe makes `collect` exit 1. */
  gate: boolean;
  /** What this probe never records (its redaction contract), for the evidence's "not collected". */
  neverRecords: string[];
  /** The exact read-only commands, with <placeholders> for what is only known at run time. */
  plan(ctx: PlanContext): PlannedCommand[];
  run(ctx: ProbeContext): Promise<ProbeOutcome>;
  /** Per-probe time limit; default 20 s. */
  timeoutMs?: number;
}

export interface PlannedCommand {
  where: 'target' | 'operator';
  argv: string[];
}

export const pass = (observations: Observations, reason?: string): ProbeOutcome => ({
  status: 'pass',
  observations,
  ...(reason === undefined ? {} : { reason }),
});
export const fail = (reason: string, observations: Observations = {}): ProbeOutcome => ({ status: 'fail', reason, observations });
export const skipped = (reason: string, observations: Observations = {}): ProbeOutcome => ({ status: 'skipped', reason, observations });
