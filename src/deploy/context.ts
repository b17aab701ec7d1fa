// What every milestone step of a deploy works with.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import type { ComposeContext } from '../docker/commands.js';
import type { Docker } from '../docker/docker.js';
import type { CheckResult, ObservationValue, ResultStatus } from '../evidence/predicate-schema.js';
import type { ExecResult, Target } from '../targets/target.js';
import type { Bundle } from './bundle.js';
import type { Layout } from './layout.js';
import type { DeployState } from './state.js';

export interface RunOpts {
  timeoutMs?: number;
  stdin?: string;
  /**
   * The command only reads: after a dropped connection it may be run again (ARCHITECTURE.md,
   * "one retry rule"). Anything that changes the server is never re-run blindly.
   */
  read?: boolean;
}

export interface StepContext {
  config: ResolvedConfig;
  compose: ComposeModel;
  bundle: Bundle;
  release: string;
  target: ResolvedTarget;
  host: Target;
  docker: Docker;
  layout: Layout;
  /** Compose, run from a release's folder with its own compose files (build, config). */
  composeFor(release: string): ComposeContext;
  /** Compose as the stack runs it: from the stable <appDir>/live folder, with the release's files and mounts override. */
  composeLive(release: string): ComposeContext;
  /** Aborted by Ctrl-C / SIGTERM: long commands and the health gate stop, the runner rolls back. */
  signal: AbortSignal;
  /** Called right before the running stack is changed: from here a failure restores the last good release. */
  touchStack(): void;
  state(): DeployState;
  saveState(next: DeployState): Promise<void>;
  /** Runs a command on the target and records it (argv, exit, duration, output hashes). */
  run(argv: readonly string[], o?: RunOpts): Promise<ExecResult>;
  /** Asks before a change; throws when declined. */
  confirm(what: string): Promise<void>;
  log(line: string): void;
  /** Shows text to the operator (redacted by the output layer), never stored in evidence. */
  show(text: string): void;
  /** --overwrite: replace env files on the server that shipproof did not upload. */
  overwrite?: boolean;
}

export interface StepOutcome {
  status: ResultStatus;
  reason?: string;
  observations: Record<string, ObservationValue>;
  /** Extra results (e.g. the probes a gate ran), recorded beside the step's own. */
  more?: CheckResult[];
  /** The record's status when it is not implied by `status` (a skipped step that needs a person). */
  recordStatus?: 'human_needed';
}

export type PlanContext = Pick<StepContext, 'config' | 'compose' | 'bundle' | 'release' | 'target' | 'layout' | 'composeFor' | 'composeLive'>;

export interface PlannedStepCommand {
  argv: string[];
  note?: string;
  /** Arguments in <angle brackets> stand for what only the server knows (ids, which images are missing). */
  serverOnly?: boolean;
  /** Runs only in some cases (e.g. upload only when the files differ). */
  when?: string;
}

export interface Step {
  number: number;
  id: string;
  title: string;
  /** Changes the server (asks for consent unless --yes). */
  changes: boolean;
  /** The step's commands, every locally known value filled in; what only the server knows is a marked placeholder. */
  plan(ctx: PlanContext): PlannedStepCommand[];
  run(ctx: StepContext): Promise<StepOutcome>;
}
