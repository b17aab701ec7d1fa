// lint through the CLI: exit 1 on errors and 0 on a clean stack, JSON for machines, and with
// --target the env files checked on the server over the real test sshd (existence and mode only).
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTestEnv } from '../helpers/test-env.js';
import { shipproof } from '../fixtures/verify/cli.js';

const env = requireTestEnv();
const FIXTURES = new URL('../fixtures/lint/', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'shipproof-lint-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('shipproof lint', () => {
  it('exits 1 on the planted violations, printing rule, file:line, why and fix', async () => {
    const r = await shipproof(['lint'], { cwd: join(FIXTURES, 'violations') });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('compose.yaml:8:9  error  db-no-published-ports  Service "db" (PostgreSQL) publishes 5432 → 5432 on every address.\n  why: ');
    expect(r.stdout).toContain('\n  fix: Remove the mapping from "ports:"');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('9 errors, 8 warnings.');
  });

  it('exits 0 on the clean stack, and gives JSON with --json', async () => {
    const r = await shipproof(['--json', 'lint'], { cwd: join(FIXTURES, 'clean') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ findings: [], errors: 0, warnings: 0, switchedOff: [] });
  });

  it('with --target checks the env files on the server: a world-readable one is an error', async () => {
    const project = join(root, 'clean');
    cpSync(join(FIXTURES, 'clean'), project, { recursive: true });
    const appDir = join(root, 'server');
    mkdirSync(join(appDir, 'current'), { recursive: true });
    writeFileSync(join(appDir, 'current', '.env.prod'), 'POSTGRES_PASSWORD=x\n');
    chmodSync(join(appDir, 'current', '.env.prod'), 0o644);
    writeFileSync(
      join(project, 'shipproof.yaml'),
      `targets:\n  box:\n    host: ssh://${env.sshUser}@${env.sshHost}:${env.sshPort}\n    identity: ${env.sshKey}\n    knownHosts: ${env.knownHosts}\n    appDir: ${appDir}\n`,
    );
    const bad = await shipproof(['--target', 'box', 'lint'], { cwd: project });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('compose.yaml:19:15  error  env-files-exist  The env file .env.prod on box has mode 644, so other users can read or change it.');
    expect(bad.stdout).toContain('1 error, 0 warnings (env files checked on box).');

    chmodSync(join(appDir, 'current', '.env.prod'), 0o600);
    const ok = await shipproof(['--target', 'box', 'lint'], { cwd: project });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('ok: no findings (env files checked on box).\n');
  });
});
