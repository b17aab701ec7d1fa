// Deploy uses shipproof.lock: a published image must be the one `shipproof pin` recorded.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { requireDocker } from '../helpers/test-env.js';

requireDocker();

const root = mkdtempSync(join(tmpdir(), 'shipproof-deploy-lock-'));
const dir = join(root, 'project');
const project = `sp-lock-${randomBytes(3).toString('hex')}`;
execFileSync('mkdir', ['-p', dir]);
writeFileSync(
  join(dir, 'compose.yaml'),
  'services:\n  app:\n    image: shipproof-offline/busybox:1.35\n    command: ["sleep", "3600"]\n    restart: unless-stopped\n',
);
writeFileSync(
  join(dir, 'shipproof.yaml'),
  `project: ${project}\ntargets:\n  here:\n    host: local\n    appDir: ${join(root, 'server')}\ndefaultTarget: here\ndeploy:\n  healthTimeout: 20s\n  healthInterval: 1s\n  stableChecks: 2\n`,
);
const cli = (args: string[]) => runCli(args, { cwd: dir, env: { SHIPPROOF_HOME: join(root, 'home') } });

afterAll(() => {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]).toString().split('\n').filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'pipe' });
  rmSync(root, { recursive: true, force: true });
});

describe('deploy and shipproof.lock', () => {
  it('deploys when the image on the host is the pinned one', async () => {
    const pin = await cli(['pin']);
    expect(pin.code, pin.stderr + pin.stdout).toBe(0);
    const r = await cli(['--json', 'deploy', '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
  });

  it('refuses at milestone 5 when the lock pins another image', async () => {
    const lock = readFileSync(join(dir, 'shipproof.lock'), 'utf8');
    writeFileSync(join(dir, 'shipproof.lock'), lock.replace(/sha256:[0-9a-f]{64}/g, `sha256:${'0'.repeat(64)}`));
    // A changed lock is part of the bundle, so this is a new release.
    const r = await cli(['--json', 'deploy', '--yes']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { milestones: { number: number; status: string; reason?: string }[] };
    expect(out.milestones.find((m) => m.number === 5)).toMatchObject({ status: 'fail', reason: expect.stringMatching(/app runs shipproof-offline\/busybox:1\.35, which is not the image shipproof\.lock pins/) });
  });
});
