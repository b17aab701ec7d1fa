// Issue 10: shipproof never silently replaces a file a person wrote, through the real CLI. An env
// file upload over a server file shipproof did not write stops the deploy with exit 2 before the
// server changes (no release folder, the file and its mode as they were); --overwrite consents.
// HANDOVER.md written by a person is refused the same way; --force replaces it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { requireDocker } from '../helpers/test-env.js';

requireDocker();
const STACK = /\n\s+at .*\.(ts|js):\d+/;
const root = mkdtempSync(join(tmpdir(), 'shipproof-noover-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const SECRET = 'Vq8sK2mZ7xT4nB9wL3pR6cY1';

function project(): { dir: string; appDir: string; foreign: string; home: string } {
  const dir = join(root, 'project');
  const appDir = join(root, 'app');
  const foreign = join(root, 'etc', 'app.env');
  const home = join(root, 'home');
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: shipproof-offline/busybox:1.35\n');
  writeFileSync(join(dir, 'server.env'), `API_TOKEN=${SECRET}\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'shipproof.yaml'),
    `project: noover\ndefaultTarget: here\ntargets:\n  here:\n    host: local\n    appDir: ${appDir}\nenvFiles:\n  - path: ${foreign}\n    source: server.env\n    required: [API_TOKEN]\n`,
  );
  writeFileSync(foreign, '# the cron job reads this\nSCHEDULE=hourly\n', { mode: 0o644 });
  return { dir, appDir, foreign, home };
}

describe('no file a person wrote is replaced without consent', () => {
  const p = project();
  const cli = (args: string[]) => runCli(args, { cwd: p.dir, env: { SHIPPROOF_HOME: p.home } });

  it('deploy: exit 2 naming the file and --overwrite, before anything changes on the server', async () => {
    const r = await cli(['deploy', '--yes']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(p.foreign);
    expect(r.stderr).toMatch(/shipproof did not upload it/);
    expect(r.stderr).toMatch(/--overwrite/);
    expect(r.stderr).not.toMatch(STACK);
    expect(readFileSync(p.foreign, 'utf8')).toBe('# the cron job reads this\nSCHEDULE=hourly\n');
    expect(statSync(p.foreign).mode & 0o777).toBe(0o644);
    expect(existsSync(join(p.appDir, 'releases'))).toBe(false);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('run 2 --overwrite replaces it (0600) and records the upload; the next upload needs no consent', async () => {
    const r = await cli(['run', '2', '--yes', '--force', 'integration test', '--overwrite']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(p.foreign, 'utf8')).toBe(`API_TOKEN=${SECRET}\n`);
    expect(statSync(p.foreign).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(join(p.appDir, '.shipproof', 'uploaded.json'), 'utf8')) as object)).toEqual([p.foreign]);
    writeFileSync(join(p.dir, 'server.env'), `API_TOKEN=${SECRET}x\n`, { mode: 0o600 });
    const again = await cli(['run', '2', '--yes', '--force', 'integration test']);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(p.foreign, 'utf8')).toBe(`API_TOKEN=${SECRET}x\n`);
    expect(r.stdout + r.stderr + again.stdout + again.stderr).not.toContain(SECRET);
  });

  it("handover: a person's HANDOVER.md is refused (exit 2, --force named) and kept; --force replaces it with a marked file", async () => {
    writeFileSync(join(p.dir, 'HANDOVER.md'), '# Our handover\n\nWritten by the team.\n');
    const r = await cli(['handover']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/HANDOVER\.md exists and was not written by shipproof/);
    expect(r.stderr).toMatch(/--force/);
    expect(r.stderr).not.toMatch(STACK);
    expect(readFileSync(join(p.dir, 'HANDOVER.md'), 'utf8')).toBe('# Our handover\n\nWritten by the team.\n');
    const forced = await cli(['handover', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(p.dir, 'HANDOVER.md'), 'utf8')).toMatch(/\[\/\/\]: # \(shipproof:generated sha256=[0-9a-f]{64}/);
    const again = await cli(['handover']);
    expect(again.code, again.stderr).toBe(0);
  });
});
