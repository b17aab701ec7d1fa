// Every docker command the swarm target runs, as argv data (unit-tested by exact comparison).
// Secret and config values never appear here: `create` reads them from stdin (`-`).

export const swarmInfo = (): string[] => ['docker', 'info', '--format', '{{json .Swarm}}'];

export const nodeList = (): string[] => ['docker', 'node', 'ls', '--format', '{{json .}}'];

export const imageInspect = (ref: string): string[] => ['docker', 'image', 'inspect', '--format', '{{json .}}', ref];

export const imageTag = (from: string, to: string): string[] => ['docker', 'image', 'tag', from, to];

/** Built on the operator's machine (its own engine), tagged once per release. */
export const imageBuild = (context: string, tag: string, dockerfile?: string, target?: string): string[] => [
  'docker',
  'build',
  '--quiet',
  ...(dockerfile === undefined ? [] : ['--file', dockerfile]),
  ...(target === undefined ? [] : ['--target', target]),
  '--tag',
  tag,
  context,
];

export const imageSave = (ref: string): string[] => ['docker', 'image', 'save', ref];

/** Reads the image archive from stdin (the save stream of another engine). */
export const imageLoad = (): string[] => ['docker', 'image', 'load', '--quiet'];

export const secretInspect = (name: string): string[] => ['docker', 'secret', 'inspect', '--format', '{{.ID}}', name];

/** The value comes on stdin, never on the command line. */
export const secretCreate = (name: string, labels: Record<string, string>): string[] => [
  'docker',
  'secret',
  'create',
  ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
  name,
  '-',
];

export const configInspect = (name: string): string[] => ['docker', 'config', 'inspect', '--format', '{{.ID}}', name];

export const configCreate = (name: string, labels: Record<string, string>): string[] => [
  'docker',
  'config',
  'create',
  ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
  name,
  '-',
];

/** Secrets (or configs) of this stack that shipproof made, by label. */
export const listByLabel = (kind: 'secret' | 'config', stack: string): string[] => ['docker', kind, 'ls', '--filter', `label=dev.shipproof.stack=${stack}`, '--format', '{{.Name}}'];

export const removeObjects = (kind: 'secret' | 'config', names: readonly string[]): string[] => ['docker', kind, 'rm', ...names];

/**
 * Deploys the stack file at `file` (on the manager). Its exit code proves nothing about the
 * rollout (docker/cli#6752: 0 after Swarm rolled an update back); shipproof watches UpdateStatus.
 * `--resolve-image never`: images are pinned by shipproof (digest or per-release tag), so the
 * manager must not re-resolve them against a registry.
 */
export const stackDeploy = (file: string, stack: string): string[] => ['docker', 'stack', 'deploy', '--prune', '--resolve-image', 'never', '--compose-file', file, stack];

export const stackServices = (stack: string): string[] => ['docker', 'stack', 'services', '--format', '{{.ID}}', stack];

export const stackRemove = (stack: string): string[] => ['docker', 'stack', 'rm', stack];

export const serviceInspect = (ids: readonly string[]): string[] => ['docker', 'service', 'inspect', ...ids];

/** Task ids of a stack's services (all states, not truncated). */
export const stackTasks = (stack: string): string[] => ['docker', 'stack', 'ps', '--no-trunc', '--format', '{{.ID}}', stack];

export const taskInspect = (ids: readonly string[]): string[] => ['docker', 'inspect', '--type', 'task', ...ids];

/** On the node that runs them: the image id and health of task containers. */
export const containerInspect = (ids: readonly string[]): string[] => ['docker', 'container', 'inspect', '--format', '{{json .}}', ...ids];
