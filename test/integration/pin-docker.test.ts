// pin for real: image digests read from the real Docker engine through the local target and over
// the test sshd. The offline images have no registry digest, so they are pinned by image id (and
// the lock says so); a build-only service is found under the name compose gives its build.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';
import { shipproof } from '../fixtures/verify/cli.js';

const env = requireTestEnv();
requireDocker();

const projectName = `sp-pin-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-pin-'));
const project = join(root, 'project');
const built = `${projectName}-web`;
const busyboxId = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', 'shipproof-offline/busybox:1.35']).toString().trim();
const redisId = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', 'shipproof-offline/redis:7']).toString().trim();

const compose = (appImage: string) => `services:\n  app:\n    image: ${appImage}\n  worker:\n    image: ${appImage}\n  web:\n    build: .\n`;
const cli = (args: string[]) => shipproof(args, { cwd: project });
const lockText = () => readFileSync(join(project, 'shipproof.lock'), 'utf8');

beforeAll(() => {
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'compose.yaml'), compose('shipproof-offline/busybox:1.35'));
  writeFileSync(
    join(project, 'shipproof.yaml'),
    `project: ${projectName}\ntargets:\n  local:\n    host: local\n  box:\n    host: ssh://${env.sshUser}@${env.sshHost}:${env.sshPort}\n    identity: ${env.sshKey}\n    knownHosts: ${env.knownHosts}\n`,
  );
  // Stands in for `docker compose build`: the image under the name compose v2 gives a build.
  execFileSync('docker', ['tag', 'shipproof-offline/redis:7', built]);
});

afterAll(() => {
  try {
    execFileSync('docker', ['rmi', built], { stdio: 'pipe' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('shipproof pin', () => {
  it('writes the lock from the engine: image ids for local images, with a note, in a stable order', async () => {
    const r = await cli(['--target', 'local', 'pin']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(project, 'shipproof.lock')}`);
    const text = lockText();
    expect(text).toContain(`project: ${projectName}\ntarget: local\n`);
    expect(text).toContain(`  - image: ${built}\n    services:\n      - web\n    source: local\n    pinned: ${redisId}\n`);
    expect(text).toContain(`  - image: shipproof-offline/busybox:1.35\n    services:\n      - app\n      - worker\n    source: local\n    pinned: ${busyboxId}\n`);
    expect(text).toContain('    note: no registry digest (built or loaded locally), so pinned by image id, which exists on target "local" only\n');

    const again = await cli(['--target', 'local', 'pin']);
    expect(again.stdout).toContain('shipproof.lock is unchanged');
  });

  it('--check agrees with the compose files, then fails (exit 1) when they change', async () => {
    const ok = await cli(['pin', '--check']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('ok: shipproof.lock pins every image the compose files use (2).\n');

    writeFileSync(join(project, 'compose.yaml'), compose('shipproof-offline/redis:7'));
    const bad = await cli(['--json', 'pin', '--check']);
    expect(bad.code).toBe(1);
    const out = JSON.parse(bad.stdout) as { ok: boolean; problems: { message: string; at: string }[] };
    expect(out.ok).toBe(false);
    expect(out.problems.map((p) => p.message)).toEqual([
      'app, worker run shipproof-offline/redis:7, which shipproof.lock does not pin.',
      'shipproof.lock pins shipproof-offline/busybox:1.35 for app, worker, but no service runs it any more.',
    ]);
    expect(out.problems[0]?.at).toBe('compose.yaml:3:5');
  });

  it('reads the digests on the target over SSH', async () => {
    const r = await cli(['--target', 'box', 'pin']);
    expect(r.code).toBe(0);
    expect(lockText()).toContain('target: box\n');
    expect(lockText()).toContain(`  - image: shipproof-offline/redis:7\n    services:\n      - app\n      - worker\n    source: local\n    pinned: ${redisId}\n`);
    expect((await cli(['pin', '--check'])).code).toBe(0);
  });

  it('writes nothing when an image is not on the target', async () => {
    const before = lockText();
    writeFileSync(join(project, 'compose.yaml'), compose(`shipproof-offline/absent:${projectName}`));
    const r = await cli(['--target', 'local', 'pin']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Nothing written: not every image could be pinned on local:');
    expect(r.stdout).toContain(`compose.yaml:3:5: The image shipproof-offline/absent:${projectName} (used by app, worker) is not on local.`);
    expect(lockText()).toBe(before);
  });
});
