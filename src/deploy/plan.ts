// Dry runs. `deploy --dry-run` prints each milestone's plan — the very commands `run` executes,
// every locally known value filled in — without connecting. `rollback --dry-run` reads the
// server's state (read-only), names the release it would go to and prints the commands; it
// takes no lock, asks nothing and changes nothing.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import { resolveTargetName } from '../config/load.js';
import type { ComposeContext } from '../docker/commands.js';
import { inspectContainersCommand, projectContainerIdsCommand } from '../docker/commands.js';
import { switchLinkCommand } from './commands.js';
import type { PlanContext, PlannedStepCommand, Step } from './context.js';
import { layout } from './layout.js';
import { chooseRollbackRelease, restoreCommands } from './rollback.js';
import { closeSession, composeFor, composeLive, localRelease, openSession, type DeployOptions } from './session.js';
import { STEPS } from './steps.js';
import { releaseComposeFiles } from './steps/bundle-synced.js';
import { posix } from 'node:path';

export function planContext(
  config: ResolvedConfig,
  target: ResolvedTarget,
  flavor: ComposeContext['flavor'],
  local: { compose: PlanContext['compose']; bundle: PlanContext['bundle'] },
  release = local.bundle.releaseId,
): PlanContext {
  const l = layout(target.appDir);
  const s = { config, layout: l, flavor };
  const base = { config, ...local, release, target, layout: l, composeFor: (r: string) => composeFor(s, r), composeLive: () => composeLive(s, []) };
  const files = releaseComposeFiles(base);
  return { ...base, composeLive: () => composeLive(s, files) };
}

export interface DeployPlan {
  release: string;
  target: ResolvedTarget;
  /** Published images and the id each resolves to on the target (part of the release id). */
  images: Record<string, string>;
  /** Why the plan could not read the target (then the compose flavor is assumed v2 and image ids are unknown). */
  offline?: string;
  steps: { step: Step; commands: PlannedStepCommand[] }[];
}

/**
 * `--dry-run`: every milestone's exact commands. The target is read (never changed, never pulled
 * from) for what only it knows: the compose flavor and the published images' ids, which make
 * part of the release id. Unreachable, the plan says so and assumes v2.
 */
export async function planDeploy(o: DeployOptions & { flavor?: ComposeContext['flavor'] }): Promise<DeployPlan> {
  const target = resolveTargetName(o.config, o.targetName);
  let ctx: PlanContext;
  let images: Record<string, string> = {};
  let offline: string | undefined;
  try {
    const s = await openSession({ ...o, noSignalHandlers: true });
    try {
      ctx = planContext(o.config, target, o.flavor ?? s.flavor, s, s.release);
      images = Object.fromEntries([...s.images].map(([k, v]) => [k, v ?? 'missing (milestone 5 pulls it)']));
    } finally {
      await closeSession(s);
    }
  } catch (e) {
    offline = e instanceof Error ? e.message : String(e);
    ctx = planContext(o.config, target, o.flavor ?? 'v2', await localRelease(o.config));
  }
  return { release: ctx.release, target, images, ...(offline ? { offline } : {}), steps: STEPS.map((step) => ({ step, commands: step.plan(ctx) })) };
}

export interface RollbackPlan {
  target: string;
  from?: string;
  to?: string;
  problem?: string;
  needsForce: boolean;
  commands: PlannedStepCommand[];
}

/** `rollback --dry-run`: which release, and the commands, from the server's state read only. */
export async function planRollback(o: DeployOptions & { release?: string }): Promise<RollbackPlan> {
  const s = await openSession({ ...o, noSignalHandlers: true });
  try {
    const choice = chooseRollbackRelease(s.state, o.release);
    const commands: PlannedStepCommand[] = choice.to
      ? [
          ...restoreCommands(s, choice.to).map((argv) => ({ argv })),
          { argv: projectContainerIdsCommand(s.config.project), note: `health gate: every ${s.config.deploy.healthIntervalMs / 1000} s for up to ${s.config.deploy.healthTimeoutMs / 1000} s` },
          { argv: inspectContainersCommand(['<ids of the project containers>']), serverOnly: true },
          { argv: switchLinkCommand(posix.join('releases', choice.to.id), s.layout.current), when: 'only when the gate passes' },
        ]
      : [];
    return {
      target: s.target.name,
      ...(s.state.current ? { from: s.state.current } : {}),
      ...(choice.to ? { to: choice.to.id } : {}),
      ...(choice.problem ? { problem: choice.problem } : {}),
      needsForce: choice.needsForce === true,
      commands,
    };
  } finally {
    await closeSession(s);
  }
}
