// --open: the token must not sit on a command line (other local users can read argv), so the
// browser is pointed at a 0600 file in a private 0700 folder that redirects to the URL.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function openerArgv(file: string, platform: NodeJS.Platform = process.platform): string[] {
  if (platform === 'darwin') return ['open', file];
  if (platform === 'win32') return ['cmd', '/c', 'start', '', file];
  return ['xdg-open', file];
}

export function redirectFile(url: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipproof-dashboard-'));
  const file = join(dir, 'open.html');
  const safe = url.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  writeFileSync(file, `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${safe}"><title>shipproof dashboard</title><a href="${safe}">Open the shipproof dashboard</a>\n`, { mode: 0o600 });
  return file;
}

/**
 * Starts the system's opener; `problem` says why it could not. `cleanup` removes the redirect
 * file (it holds the token), for when the dashboard stops.
 */
export function openBrowser(url: string): Promise<{ problem?: string; cleanup: () => void }> {
  const file = redirectFile(url);
  const cleanup = (): void => rmSync(dirname(file), { recursive: true, force: true });
  const [cmd, ...args] = openerArgv(file);
  return new Promise((resolve) => {
    const child = spawn(cmd as string, args, { detached: true, stdio: 'ignore' });
    child.once('error', (e) => resolve({ problem: `could not start ${cmd}: ${e.message}`, cleanup }));
    child.once('spawn', () => {
      child.unref();
      resolve({ cleanup });
    });
  });
}
