// What of a compose file Docker Swarm (`docker stack deploy`, compose v3 schema) ignores or
// rejects, and what shipproof does about each, at the file:line it was written. Pure: reads the
// compose model only. Sources: docker/cli cli/compose/types (unsupported/deprecated properties),
// loader.go (every service needs an image), config_schema_v3.x (depends_on is a list of names).
import type { ComposeProject, ComposeService } from '../compose/model.js';
import type { SourceLocation } from '../errors.js';

export type SwarmHandling = 'converted' | 'dropped' | 'refused';

export interface SwarmFinding {
  service: string;
  key: string;
  /** What Swarm does with it. */
  swarm: 'rejects' | 'ignores';
  /** What shipproof does: converted (to the stack file or its own gate), dropped (with this note), refused (deploy stops). */
  handling: SwarmHandling;
  message: string;
  location?: SourceLocation;
}

/** Keys Swarm ignores with "Ignoring unsupported options" that shipproof cannot stand in for. */
const IGNORED_DROPPED: Record<string, string> = {
  cgroupns_mode: 'Swarm has no cgroup namespace setting; dropped',
  cgroup_parent: 'dropped (Swarm places tasks in its own cgroups)',
  devices: 'Swarm cannot pass devices to a task; dropped',
  domainname: 'dropped',
  external_links: 'dropped: services reach each other by name on the stack network',
  ipc: 'dropped',
  links: 'dropped: services reach each other by name on the stack network',
  mac_address: 'dropped',
  pid: 'dropped',
  privileged: 'Swarm runs no privileged task; dropped (use cap_add for what the service really needs)',
  security_opt: 'dropped',
  shm_size: 'dropped',
  userns_mode: 'dropped',
  container_name: 'dropped: Swarm names tasks <stack>_<service>.<n>; address the service by its name',
  expose: 'dropped: every port is reachable on the stack network anyway',
  network_mode: 'dropped: Swarm services join the stack\'s overlay network',
};

/** Keys `docker stack deploy` refuses outright; shipproof has no equivalent. */
const REJECTED: Record<string, string> = {
  volume_driver: 'set the driver on the top-level volume instead',
  volumes_from: 'mount the same named volume in both services instead',
  cpu_quota: 'use deploy.resources.limits.cpus',
  cpu_shares: 'use deploy.resources.reservations.cpus',
  cpuset: 'no Swarm equivalent',
  mem_limit: 'use deploy.resources.limits.memory',
  memswap_limit: 'no Swarm equivalent',
};

function at(s: ComposeService, key: string): SourceLocation | undefined {
  return s.fieldLocations[key] ?? s.location;
}

function serviceFindings(s: ComposeService): SwarmFinding[] {
  const out: SwarmFinding[] = [];
  const add = (key: string, swarm: SwarmFinding['swarm'], handling: SwarmHandling, message: string, location = at(s, key)): void => {
    out.push({ service: s.name, key, swarm, handling, message, ...(location ? { location } : {}) });
  };
  if (s.build !== undefined) {
    add('build', 'ignores', 'converted', s.image === undefined
      ? 'Swarm ignores build: shipproof builds the image, tags it per release (sp-<release>) and loads it on the nodes (docker save | docker load); give the service an image: name'
      : 'Swarm ignores build: shipproof builds the image, tags it per release (sp-<release>) and loads it on the nodes (docker save | docker load)');
  } else if (s.image === undefined) {
    add('image', 'rejects', 'refused', 'Swarm needs an image for every service; add image: (or build:)', s.location);
  }
  const conditional = s.dependsOn.filter((d) => d.condition !== 'service_started');
  if (conditional.length > 0) {
    add('depends_on', 'rejects', 'converted', `Swarm refuses the long depends_on form ("must be a list") and never orders start-up: shipproof drops it from the stack file and gates ${s.name} after ${conditional.map((d) => `${d.service} (${d.condition})`).join(', ')} in its own health gate`);
  } else if (s.dependsOn.length > 0) {
    add('depends_on', 'ignores', 'converted', 'Swarm does not order start-up by depends_on: shipproof\'s health gate checks the services in dependency order');
  }
  if (s.restart !== undefined) {
    add('restart', 'ignores', 'converted', `Swarm ignores restart: shipproof writes deploy.restart_policy (condition ${restartCondition(s.restart)})`);
  }
  if (s.envFiles.length > 0) {
    add('env_file', 'ignores', 'converted', 'shipproof carries env_file values as a versioned Swarm secret (a new name when they change), loaded into the environment by a small entrypoint wrapper (the image needs /bin/sh); the values never appear in the stack file or on a command line');
  }
  if (s.environment.some((e) => e.hasValue)) {
    add('environment', 'ignores', 'refused', 'shipproof does not carry environment: values to Swarm yet (they would sit in the stack file): move them to an env_file');
  }
  if (s.volumes.some((v) => v.type === 'bind')) {
    add('volumes', 'ignores', 'converted', 'a bind-mounted file becomes a versioned Swarm config (a new name when it changes), so every node gets the same bytes; a bind-mounted folder is refused');
  }
  if (s.ports.length > 0) {
    add('ports', 'ignores', 'converted', 'published in host mode (mode: host): the routing mesh needs IPVS; two tasks on one node cannot share the port, so this service is updated stop-first');
  }
  for (const [key, note] of Object.entries(IGNORED_DROPPED)) {
    if (s.fieldLocations[key] !== undefined) add(key, 'ignores', 'dropped', note);
  }
  for (const [key, note] of Object.entries(REJECTED)) {
    if (s.fieldLocations[key] !== undefined) add(key, 'rejects', 'refused', `docker stack deploy refuses ${key}: ${note}`);
  }
  return out;
}

/** Swarm's restart_policy condition for a compose restart: value. */
export function restartCondition(restart: string): 'none' | 'on-failure' | 'any' {
  if (restart === 'no') return 'none';
  if (restart.startsWith('on-failure')) return 'on-failure';
  return 'any';
}

export function swarmFindings(project: ComposeProject): SwarmFinding[] {
  return project.services.flatMap(serviceFindings);
}

/** The findings that stop a swarm deploy. */
export function refusals(findings: readonly SwarmFinding[]): SwarmFinding[] {
  return findings.filter((f) => f.handling === 'refused');
}
