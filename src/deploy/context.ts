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
  retries?: number;
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
  /** Compose, run from a release's folder with its own compose files. */
  composeFor(release: string): ComposeContext;
  state(): DeployState;
  saveState(next: DeployState): Promise<void>;
  /** Runs a command on the target and records it (argv, exit, duration, output hashes). */
  run(argv: readonly string[], o?: RunOpts): Promise<ExecResult>;
  /** Asks before a change; throws when declined. */
  confirm(what: string): Promise<void>;
  log(line: string): void;
  /** Shows text to the operator (redacted by the output layer), never stored in evidence. */
  show(text: string): void;
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

export interface PlannedStepCommand {
  argv: string[];
  note?: string;
}

export interface Step {
  number: number;
  id: string;
  title: string;
  /** Changes the server (asks for consent unless --yes). */
  changes: boolean;
  plan(ctx: Pick<StepContext, 'config' | 'compose' | 'bundle' | 'release' | 'target' | 'layout' | 'composeFor'>): PlannedStepCommand[];
  run(ctx: StepContext): Promise<StepOutcome>;
}
