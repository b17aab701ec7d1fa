// The ten milestones of a deploy (PRODUCT.md), each an action and a verification, one module per
// milestone under ./steps. Steps only compute and run commands through the StepContext; the
// runner (deploy.ts) guards, asks consent, records evidence and rolls back.
import type { Step } from './context.js';
import { backupRuns, restoreRehearsal } from './steps/backups.js';
import { bundleSynced } from './steps/bundle-synced.js';
import { envFilesPresent } from './steps/env-files.js';
import { healthGateStep } from './steps/health-gate.js';
import { hostEnvGates } from './steps/host-env-gates.js';
import { allImagesBuild, keyImageBuilds } from './steps/images.js';
import { proxyTls } from './steps/proxy-tls.js';
import { stackStarts } from './steps/stack-starts.js';

export { expectedServices, explainContainers } from './steps/shared.js';
export { releaseTag, resolvedImages } from './steps/images.js';
export { releaseComposeFiles } from './steps/bundle-synced.js';

export const STEPS: Step[] = [
  bundleSynced,
  envFilesPresent,
  hostEnvGates,
  keyImageBuilds,
  allImagesBuild,
  stackStarts,
  healthGateStep,
  proxyTls,
  backupRuns,
  restoreRehearsal,
];

export { ROLLBACK_FROM } from './steps/shared.js';

export function stepByRef(ref: string): Step | undefined {
  return STEPS.find((s) => String(s.number) === ref || s.id === ref);
}
