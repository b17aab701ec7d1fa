// The example stack (examples/webapp) after a real deploy through the local target: verify runs its
// must-haves for real (probes through Caddy over TLS, a spot-check in the live release, milestone
// evidence of the deployed release) and says human_needed, as the one public-TLS item warrants;
// HANDOVER.md names the real release and holds none of the planted secrets.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { copyWebapp } from '../helpers/webapp-copy.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';
import { shipproof } from '../fixtures/verify/cli.js';

requireTestEnv();
requireDocker();

const MUST_HAVES = fileURLToPath(new URL('../fixtures/verify/webapp.verify.yaml', import.meta.url));
const project = `sp-handover-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-handover-webapp-'));
const dir = join(root, 'project');
const appDir = join(root, 'server');
const home = join(root, 'home');
const https = 22000 + Math.floor(Math.random() * 20000);
const password = `pw-${randomBytes(12).toString('hex')}`;
const session = randomBytes(24).toString('hex');
const outputs: CliResult[] = [];

async function cli(args: string[]): Promise<CliResult> {
  const r = await shipproof(args, { cwd: dir, env: { SHIPPROOF_HOME: home }, timeoutMs: 600_000 });
  outputs.push(r);
  return r;
}

let release = '';

beforeAll(async () => {
  copyWebapp(dir, { project, https, password, session });
  writeFileSync(
    join(dir, 'shipproof.yaml'),
    `project: ${project}
defaultTarget: here
targets:
  here:
    host: local
    appDir: ${appDir}
envFiles:
  - path: .env
    source: .env
    required: [POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, DATABASE_URL, SESSION_SECRET, DOMAIN, TLS_MODE]
health:
  - name: healthz
    url: https://localhost:${https}/healthz
    body: '"status":"ok"'
    insecure: true
deploy:
  keyService: web
  healthTimeout: 150s
  healthInterval: 2s
backups:
  images:
    volume: shipproof-offline/busybox:1.35
`,
  );
  writeFileSync(join(dir, 'shipproof.verify.yaml'), readFileSync(MUST_HAVES, 'utf8').replaceAll('__HTTPS__', String(https)));
  const r = await cli(['--json', 'deploy', '--yes']);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  release = (JSON.parse(r.stdout) as { release: string }).release;
  expect(release).not.toBe('');
}, 600_000);

afterAll(() => {
  try {
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]).toString().split('\n').filter(Boolean);
    if (ids.length) execFileSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'pipe' });
    const vols = execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]).toString().split('\n').filter(Boolean);
    if (vols.length) execFileSync('docker', ['volume', 'rm', '-f', ...vols], { stdio: 'pipe' });
    const images = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']).toString().split('\n').filter((i) => i.includes(project));
    if (images.length) execFileSync('docker', ['rmi', '-f', ...images], { stdio: 'pipe' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('the deployed example', () => {
  it('verifies as human_needed: every automated check passed, the public certificate needs a person', async () => {
    const r = await cli(['--json', 'verify']);
    const out = JSON.parse(r.stdout) as { status: string; gaps: string[]; open: string[]; score: { verified: number; total: number } };
    expect(out.gaps).toEqual([]);
    expect(out.status).toBe('human_needed');
    expect(out.score).toEqual({ verified: 4, total: 5 });
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'docs', 'verification', 'webapp-v1.json'), 'utf8')) as { release: string; inputAttestations: { kind: string; sha256: string }[] };
    expect(report.release).toBe(release);
    expect(report.inputAttestations.map((a) => a.kind)).toEqual(expect.arrayContaining(['milestone', 'deploy']));
  });

  it('writes HANDOVER.md naming the real release, with no planted secret', async () => {
    const r = await cli(['handover']);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(dir, 'HANDOVER.md'), 'utf8');
    expect(text).toContain(`- **Current release:** \`${release}\` — [#`);
    expect(text).toContain(`- **Last good release:** \`${release}\` — [#`);
    expect(text).toContain(`Release \`${release}\` was deployed: every milestone passed or did not apply.`);
    expect(text).toContain(`### Milestones of release \`${release}\``);
    expect(text).toContain('| 7 | Health gate passes | passed |');
    expect(text).toContain('- **Verification:** verification status: human_needed, score 4/5 must-haves verified');
    expect(text).toContain('| Roll back to the previous healthy release | `shipproof --target here rollback` |');
    expect(text).toContain('Human item `public-tls` (needs a person)');
    for (const secret of [password, session]) {
      expect(text).not.toContain(secret);
      for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(secret);
      for (const f of readdirSync(join(dir, 'docs', 'verification'))) expect(readFileSync(join(dir, 'docs', 'verification', f), 'utf8')).not.toContain(secret);
    }
  });
});
