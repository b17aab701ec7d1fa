// Every lint rule, in the order they are documented (rule-ids.ts).
import type { LintRule } from '../types.js';
import { dbNoPublishedPorts } from './db-no-published-ports.js';
import { dependsOnHealthy } from './depends-on-healthy.js';
import { envFilesExist } from './env-files-exist.js';
import { healthcheckFailsOnErrors } from './healthcheck-fails-on-errors.js';
import { healthcheckRequired } from './healthcheck-required.js';
import { imagePinned } from './image-pinned.js';
import { noSecretLiterals } from './no-secret-literals.js';
import { proxyOnlyPublicPorts } from './proxy-only-public-ports.js';
import { restartPolicyRequired } from './restart-policy-required.js';
import { statefulNamedVolumes } from './stateful-named-volumes.js';

export const LINT_RULES: readonly LintRule[] = [
  dbNoPublishedPorts,
  proxyOnlyPublicPorts,
  healthcheckRequired,
  healthcheckFailsOnErrors,
  restartPolicyRequired,
  statefulNamedVolumes,
  imagePinned,
  noSecretLiterals,
  envFilesExist,
  dependsOnHealthy,
];
