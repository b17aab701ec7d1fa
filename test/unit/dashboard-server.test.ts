// The dashboard server on a real socket: 127.0.0.1 only, a free port by default, a busy port
// refused as bad input, and --open never putting the token on a command line.
import { readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openerArgv, redirectFile } from '../../src/dashboard/open-browser.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/server.js';
import { UsageError } from '../../src/errors.js';

let root: string;
let running: RunningDashboard;

function status(port: number, path: string, host: string, cookie?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, ...(cookie ? { cookie } : {}) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'shipproof-dash-server-'));
  running = await startDashboard({ evidenceDir: join(root, 'evidence'), project: 'demo', home: join(root, 'home') });
});
afterAll(async () => {
  await running.close();
  await rm(root, { recursive: true, force: true });
});

describe('startDashboard', () => {
  it('listens on 127.0.0.1 on a free port and prints a URL with a fresh token', async () => {
    const u = new URL(running.url);
    expect(u.hostname).toBe('127.0.0.1');
    expect(Number(u.port)).toBe(running.port);
    expect(running.port).toBeGreaterThan(0);
    const token = u.pathname.replace('/login/', '');
    expect(u.pathname).toBe(`/login/${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = `shipproof_dashboard_${running.port}=${token}`;
    expect(await status(running.port, '/', `127.0.0.1:${running.port}`, cookie)).toBe(200);
    expect(await status(running.port, '/', `localhost:${running.port}`, cookie)).toBe(200);
    expect(await status(running.port, '/', `attacker.example:${running.port}`, cookie)).toBe(421);
    expect(await status(running.port, '/', `127.0.0.1:${running.port}`)).toBe(403);
    // An empty evidence folder is a page that says so, not an error.
    const other = await startDashboard({ evidenceDir: join(root, 'nothing-here'), project: 'demo', home: join(root, 'home') });
    try {
      expect(new URL(other.url).pathname).not.toBe(u.pathname);
    } finally {
      await other.close();
    }
  });

  it('a port in use is bad input with a hint', async () => {
    const err = await startDashboard({ evidenceDir: root, project: 'demo', port: running.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain(`Port ${running.port}`);
  });
});

describe('--open', () => {
  it('opens a private redirect file, so the token is on no command line', () => {
    const file = redirectFile('http://127.0.0.1:1234/?token=abc&x=<y>');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).toContain('content="0;url=http://127.0.0.1:1234/?token=abc&#38;x=&#60;y&#62;"');
    expect(openerArgv(file, 'linux')).toEqual(['xdg-open', file]);
    expect(openerArgv(file, 'darwin')).toEqual(['open', file]);
    expect(openerArgv(file, 'linux').join(' ')).not.toContain('token');
    rmSync(dirname(file), { recursive: true, force: true });
  });
});
