// Every read-only probe `collect` runs, in the order reports list them.
import { backupSupportProbe, databaseProbe, readinessProbe } from './engines.js';
import { composeProbe, dockerDaemonProbe, dockerEngineProbe } from './docker.js';
import { deployStateProbe } from './deploy-state.js';
import { diskProbe } from './disk.js';
import { dnsProbe } from './dns.js';
import { envFilesProbe } from './env-files.js';
import { hostProbe } from './host.js';
import { httpHealthProbe } from './http-health.js';
import { milestonesProbe } from './milestones.js';
import { sourceProbe } from './source.js';
import { imagesProbe, portsProbe, restartsProbe, servicesProbe } from './stack.js';
import { stagingFilesProbe } from './staging.js';
import { tlsProbe } from './tls.js';
import type { Probe } from './types.js';

export const allProbes: Probe[] = [
  sourceProbe,
  hostProbe,
  diskProbe,
  dockerEngineProbe,
  dockerDaemonProbe,
  composeProbe,
  servicesProbe,
  imagesProbe,
  envFilesProbe,
  stagingFilesProbe,
  httpHealthProbe,
  readinessProbe,
  databaseProbe,
  backupSupportProbe,
  dnsProbe,
  tlsProbe,
  portsProbe,
  restartsProbe,
  milestonesProbe,
  deployStateProbe,
];

export function probeById(id: string): Probe | undefined {
  return allProbes.find((p) => p.id === id);
}
