// The Compose project name, which becomes the com.docker.compose.project label of every container.
// shipproof passes the same name to Compose v1 and v2 (--project-name), so it must be the one
// Compose would choose: COMPOSE_PROJECT_NAME, else the top-level `name:`, else the project
// folder's name, normalised by compose-go's rule (lowercase, only a-z 0-9 _ -, no leading _ or -).

/** compose-go's NormalizeProjectName. v1 (1.29) keeps a leading "_" or "-"; v2 and the spec trim it. */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

/** Whether Compose v2 accepts `name` as given (it refuses, rather than normalises, a bad `name:`). */
export function isValidProjectName(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]*$/.test(name);
}
