// When Compose itself refuses a release, the deploy says why in Compose's own words (redacted)
// and what to do: here the case a new user met, an env file compose reads that shipproof.yaml does
// not declare (so it is never uploaded or linked into the release), deployed for real to the local
// target, where Compose refuses at milestone 5. `check` finds the same thing before any deploy.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingCli } from '../helpers/cli.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';

requireTestEnv();
requireDocker();

const project = `sp-cerr-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-compose-errors-'));
const dir = join(root, 'project');
const secret = `Prod-${randomBytes(12).toString('hex')}`;
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, 'compose.yaml'),
  [
    'services:', // 1
    '  web:', // 2
    '    image: shipproof-offline/busybox:1.35', // 3
    '    command: ["sleep", "600"]', // 4
    '    env_file:', // 5
    '      - .env.prod', // 6
    '    restart: unless-stopped', // 7
    '    healthcheck: { test: ["CMD", "true"], interval: 1s }', // 8
    '',
  ].join('\n'),
);
writeFileSync(join(dir, '.env.prod'), `API_TOKEN=${secret}\n`, { mode: 0o600 });
// Lint (milestone 3) would already name the file missing on the server; switched off here, as a user
// who knows better might, so the deploy reaches Compose and Compose itself refuses.
writeFileSync(join(dir, 'shipproof.verify.yaml'), 'lint:\n  rules:\n    env-files-exist: { off: true, reason: "the env file is put on the server by hand" }\n');
writeFileSync(join(dir, 'shipproof.yaml'), `project: ${project}\ndefaultTarget: here\ntargets:\n  here:\n    host: local\n    appDir: ${join(root, 'server')}\n`);
const { cli, outputs, json } = recordingCli({ cwd: dir, env: { SHIPPROOF_HOME: join(root, 'home') }, timeoutMs: 600_000 });

afterAll(() => {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]).toString().split('\n').filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'pipe' });
  rmSync(root, { recursive: true, force: true });
});

describe('Compose refusing a release', () => {
  it('check finds the undeclared env file at its compose line, before any deploy', async () => {
    const r = await cli(['check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('compose.yaml:6 names env_file `.env.prod`, which shipproof.yaml does not declare: add it under envFiles (with `source:` to upload it)');
  });

  it('a deploy anyway fails at milestone 5 with Compose\'s own line and what to do', async () => {
    const r = await cli(['--json', 'deploy', '--yes']);
    expect(r.code, r.stderr).toBe(1);
    const out = json<{ milestones: { number: number; status: string; reason?: string }[] }>(r);
    const m5 = out.milestones.find((m) => m.number === 5);
    expect(m5?.status).toBe('error');
    // Compose v1 words it "Couldn't find env file: <path>", v2 "env file <path> not found".
    expect(m5?.reason).toMatch(/compose could not read the release configuration: (Couldn't find env file: \S*\.env\.prod|env file \S*\.env\.prod not found)/);
    expect(m5?.reason).toContain('declare it in shipproof.yaml under envFiles (with `source:` to upload it)');
  });

  it('the env file value appears in no output', () => {
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(secret);
  });
});
