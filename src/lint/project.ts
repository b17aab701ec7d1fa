// Lints the project as configured: its compose files, shipproof.lock, the lint: settings, and, when
// a target is named, the env files on that server.
import type { ResolvedConfig } from '../config/load.js';
import { resolveTargetName } from '../config/load.js';
import { loadCompose } from '../compose/load.js';
import { interpolationVariables } from '../pin/image-ref.js';
import { readImageLock } from '../pin/lock.js';
import { createTarget, type CreateTargetOptions } from '../targets/create.js';
import type { Target } from '../targets/target.js';
import type { ProjectSettings } from '../verify/settings.js';
import { lintCompose, type LintReport } from './lint.js';

export interface LintProjectOptions extends CreateTargetOptions {
  config: ResolvedConfig;
  settings: ProjectSettings;
  cwd: string;
  /** Check env files on this target; none: next to the compose file. */
  targetName?: string;
  /** Tests: a ready target. */
  target?: Target;
}

export async function lintProject(o: LintProjectOptions): Promise<LintReport> {
  const model = await loadCompose(o.config.composeFiles, { cwd: o.cwd });
  const lock = await readImageLock(o.config.rootDir, o.cwd);
  const variables = await interpolationVariables(model.projectDir);
  const base = { config: o.config, model, settings: o.settings.lint, variables, ...(lock === undefined ? {} : { lock }) };
  if (o.targetName === undefined) return lintCompose(base);
  const resolved = resolveTargetName(o.config, o.targetName);
  const host = o.target ?? createTarget(resolved, o);
  try {
    return await lintCompose({ ...base, target: { resolved, host } });
  } finally {
    if (o.target === undefined) await host.close();
  }
}
