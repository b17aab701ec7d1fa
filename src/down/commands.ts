// `shipproof down` as argv arrays: what a project's Compose labels find (v1 and v2 set the same
// ones on containers, networks and volumes), and how each thing is removed. Pure; unit-tested by
// exact comparison.

export const PROJECT_LABEL = 'com.docker.compose.project';
const label = (project: string): string => `label=${PROJECT_LABEL}=${project}`;

/** id, name, service, state of every container of the project, running or not, one per line. */
export function listProjectContainersCommand(project: string): string[] {
  return ['docker', 'ps', '--all', '--no-trunc', '--filter', label(project), '--format', '{{.ID}}\t{{.Names}}\t{{.Label "com.docker.compose.service"}}\t{{.State}}'];
}

/** id and name of every network Compose created for the project. */
export function listProjectNetworksCommand(project: string): string[] {
  return ['docker', 'network', 'ls', '--no-trunc', '--filter', label(project), '--format', '{{.ID}}\t{{.Name}}'];
}

/** Names of the volumes Compose created for the project (external volumes carry no project label). */
export function listProjectVolumesCommand(project: string): string[] {
  return ['docker', 'volume', 'ls', '--filter', label(project), '--format', '{{.Name}}'];
}

/** Which of these image references exist (one id per line per found ref; missing ones fail the command). */
export function imageIdsCommand(refs: readonly string[]): string[] {
  return ['docker', 'image', 'inspect', '--format', '{{.Id}}', ...refs];
}

/** Stops the containers gracefully (SIGTERM, then SIGKILL after the timeout). */
export function stopContainersCommand(ids: readonly string[], timeoutSeconds = 10): string[] {
  return ['docker', 'stop', '--time', String(timeoutSeconds), ...ids];
}

/** Removes stopped containers; their anonymous volumes stay unless --volumes was asked for. */
export function removeContainersCommand(ids: readonly string[], anonymousVolumes = false): string[] {
  return ['docker', 'rm', ...(anonymousVolumes ? ['--volumes'] : []), ...ids];
}

export function removeNetworksCommand(ids: readonly string[]): string[] {
  return ['docker', 'network', 'rm', ...ids];
}

export function removeVolumesCommand(names: readonly string[]): string[] {
  return ['docker', 'volume', 'rm', ...names];
}

/** Untags shipproof's own release tags (the image itself goes when no other tag holds it). */
export function removeImageTagsCommand(refs: readonly string[]): string[] {
  return ['docker', 'image', 'rm', ...refs];
}

/** The app folder, whole. */
export function removeFolderCommand(dir: string): string[] {
  return ['rm', '-rf', '--', dir];
}

/** Everything directly inside `dir` except `keep` (a direct child: the backups folder). */
export function removeFolderExceptCommand(dir: string, keep: string): string[] {
  return ['find', dir, '-mindepth', '1', '-maxdepth', '1', '!', '-path', keep, '-exec', 'rm', '-rf', '--', '{}', '+'];
}

/** Exits 0 when `dir` is a shipproof app folder (it holds the deploy state). */
export function isAppFolderCommand(stateFile: string): string[] {
  return ['test', '-f', stateFile];
}
