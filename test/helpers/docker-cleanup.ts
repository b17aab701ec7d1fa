// Removes what one compose project left on the test engine, found by its compose label (never a
// host-wide prune: other test files run beside this one): containers with their anonymous volumes,
// named volumes, the images whose tag names the project, and its networks.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';

const lines = (...args: string[]): string[] => execFileSync('docker', args).toString().split('\n').filter(Boolean);

export function removeComposeProject(project: string): void {
  const label = `label=com.docker.compose.project=${project}`;
  const ids = lines('ps', '-aq', '--filter', label);
  if (ids.length) execFileSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'pipe' });
  const vols = lines('volume', 'ls', '-q', '--filter', label);
  if (vols.length) execFileSync('docker', ['volume', 'rm', '-f', ...vols], { stdio: 'pipe' });
  // By tag, never by id: a release tag of a published image shares the image's own id.
  const images = lines('images', '--format', '{{.Repository}}:{{.Tag}}').filter((i) => i.includes(project));
  if (images.length) execFileSync('docker', ['rmi', '-f', ...images], { stdio: 'pipe' });
  const nets = lines('network', 'ls', '-q', '--filter', label);
  if (nets.length) execFileSync('docker', ['network', 'rm', ...nets], { stdio: 'pipe' });
}

const tracked: { project: string; root: string }[] = [];
let registered = false;

/** Removes the compose project and its folder after the calling test file (each file is its own module instance under vitest's forks pool). */
export function removeAfterAll(project: string, root: string): void {
  if (!registered) {
    registered = true;
    afterAll(() => {
      for (const t of tracked.splice(0)) {
        removeComposeProject(t.project);
        rmSync(t.root, { recursive: true, force: true });
      }
    });
  }
  tracked.push({ project, root });
}
