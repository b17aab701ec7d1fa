// Pure builders for every docker / compose command shipproof runs. Argv arrays only; the target
// quotes them. Unit-tested by exact comparison (test/unit/docker-commands.test.ts).

export type ComposeFlavor = 'v2' | 'v1';

export interface ComposeContext {
  flavor: ComposeFlavor;
  /** Fixed project name, so containers are found by label whatever folder compose ran from. */
  project: string;
  /** Compose files, as paths on the target. */
  files: readonly string[];
  /** Folder relative paths in the compose files resolve against, on the target. */
  projectDir?: string;
  /** Env files on the target passed with --env-file (values stay on the server). */
  envFiles?: readonly string[];
}

export function dockerVersionCommand(): string[] {
  return ['docker', 'version', '--format', '{{json .}}'];
}

export function composeVersionCommand(flavor: ComposeFlavor): string[] {
  return flavor === 'v2' ? ['docker', 'compose', 'version', '--short'] : ['docker-compose', 'version', '--short'];
}

/** `docker compose …` (v2 plugin) or `docker-compose …` (v1), with project, files and env files fixed. */
export function composeCommand(ctx: ComposeContext, args: readonly string[]): string[] {
  const base = ctx.flavor === 'v2' ? ['docker', 'compose'] : ['docker-compose'];
  const out = [...base, '--project-name', ctx.project];
  if (ctx.projectDir !== undefined) out.push('--project-directory', ctx.projectDir);
  for (const f of ctx.files) out.push('--file', f);
  for (const e of ctx.envFiles ?? []) out.push('--env-file', e);
  return [...out, ...args];
}

export interface UpOptions {
  services?: readonly string[];
  build?: boolean;
  /** Recreate containers even if their configuration is unchanged. */
  forceRecreate?: boolean;
  /** Never build: run the images already on the host (a release's images were built earlier). */
  noBuild?: boolean;
}

export function composeUpCommand(ctx: ComposeContext, o: UpOptions = {}): string[] {
  const args = ['up', '--detach', '--remove-orphans'];
  if (o.build) args.push('--build');
  if (o.forceRecreate) args.push('--force-recreate');
  if (o.noBuild) args.push('--no-build');
  return composeCommand(ctx, [...args, ...(o.services ?? [])]);
}

export function composeBuildCommand(ctx: ComposeContext, services: readonly string[] = []): string[] {
  return composeCommand(ctx, ['build', ...services]);
}

export function composePullCommand(ctx: ComposeContext, services: readonly string[] = []): string[] {
  return composeCommand(ctx, ['pull', ...services]);
}

/**
 * The fully resolved configuration (variables substituted). Its output can hold env values:
 * it is parsed in memory for image names only, never printed or stored.
 */
export function composeResolvedConfigCommand(ctx: ComposeContext): string[] {
  return composeCommand(ctx, ['config']);
}

export interface DownOptions {
  /** Also remove the project's named volumes. Destroys data: only for scratch stacks. */
  volumes?: boolean;
  timeoutSeconds?: number;
}

export function composeDownCommand(ctx: ComposeContext, o: DownOptions = {}): string[] {
  const args = ['down', '--remove-orphans'];
  if (o.volumes) args.push('--volumes');
  if (o.timeoutSeconds !== undefined) args.push('--timeout', String(o.timeoutSeconds));
  return composeCommand(ctx, args);
}

export function composeConfigCommand(ctx: ComposeContext): string[] {
  return composeCommand(ctx, ['config', '--quiet']);
}

/**
 * Container ids of a compose project, running or not. Uses the labels both compose versions set,
 * so v1 and v2 are read the same way.
 */
export function projectContainerIdsCommand(project: string): string[] {
  return ['docker', 'ps', '--all', '--quiet', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`];
}

/** One `docker ps` for the state of every container of a project: id, service, state, and the status line (health, exit code). */
export function projectContainerStatesCommand(project: string): string[] {
  return ['docker', 'ps', '--all', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.ID}}\t{{.Label "com.docker.compose.service"}}\t{{.State}}\t{{.Status}}'];
}

export function inspectContainersCommand(ids: readonly string[]): string[] {
  return ['docker', 'container', 'inspect', ...ids];
}

export function inspectImagesCommand(refs: readonly string[]): string[] {
  return ['docker', 'image', 'inspect', ...refs];
}

/** The config hash compose would give each service (`<service> <hash>` lines), the same one it labels containers with. */
export function composeConfigHashCommand(ctx: ComposeContext): string[] {
  return composeCommand(ctx, ['config', '--hash', '*']);
}
