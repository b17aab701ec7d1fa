// Issue 10 items 1 and 3 for real: with a running MariaDB, `collect` writes its record (shipproof's
// own probe command `MYSQL_PWD="${MARIADB_ROOT_PASSWORD…}"` is not a secret), `--json` output of
// plan and collect parses, and `evidence approve` with a secret in its note writes signed files
// that hold neither the secret nor its base64/URL/JSON-escaped forms. Local target.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingCli } from '../helpers/cli.js';
import { claimedForms, leaksIn } from '../helpers/redact-corpus.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';

requireTestEnv();
requireDocker();

const project = `sp-hard-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-hard-live-'));
const local = join(root, 'project');
const appDir = join(root, 'server', 'app');
const home = join(root, 'home');
const rootPassword = `Md${randomBytes(16).toString('hex')}`;
const noteSecret = `tok${randomBytes(16).toString('hex')}`;
const container = `${project}_sql_1`;
const needles = [...claimedForms(rootPassword), ...claimedForms(noteSecret), JSON.stringify(`"${rootPassword}"`).slice(1, -1)];

const { cli, outputs, json } = recordingCli({ cwd: local, env: { SHIPPROOF_HOME: home } });
function composeCli(...args: string[]): void {
  execFileSync('docker-compose', ['--project-name', project, '--file', join(local, 'compose.yaml'), ...args], { stdio: 'pipe' });
}

beforeAll(async () => {
  mkdirSync(local, { recursive: true });
  writeFileSync(join(local, 'compose.yaml'), 'services:\n  sql:\n    image: shipproof-offline/mariadb:10.11\n    env_file: config/db.env\n');
  mkdirSync(join(local, 'config'));
  // In a sub-folder, named only by compose's env_file: it must be registered all the same.
  writeFileSync(join(local, 'config', 'db.env'), `MARIADB_ROOT_PASSWORD=${rootPassword}\n`, { mode: 0o600 });
  writeFileSync(join(local, 'shipproof.yaml'), `project: ${project}\nevidence: evidence\ntargets:\n  local:\n    host: local\n    appDir: ${appDir}\n`);
  composeCli('up', '--detach');
  for (let i = 0; i < 240; i++) {
    try {
      execFileSync('docker', ['exec', '-e', `MYSQL_PWD=${rootPassword}`, container, 'mariadb', '-uroot', '-e', 'select 1'], { stdio: 'pipe' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}, 180_000);

afterAll(() => {
  try {
    composeCli('down', '--volumes', '--timeout', '1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('MariaDB stack: collect, plan --json and approvals', () => {
  it('plan --json parses', async () => {
    const r = await cli(['--json', 'plan']);
    expect(r.code, r.stderr).toBe(0);
    expect(() => json(r)).not.toThrow();
  });

  it('collect writes its record (the probe command is not refused as a secret) and its --json parses', async () => {
    const r = await cli(['--json', 'collect']);
    expect(r.stderr).not.toMatch(/Refusing to write/);
    const out = json<{ evidence?: unknown }>(r);
    expect(out).toBeTruthy();
    expect(readdirSync(join(local, 'evidence')).some((f) => f.endsWith('-collect.json'))).toBe(true);
  }, 180_000);

  it('evidence approve with a secret in the note and reviewer writes no secret, and the ledger verifies', async () => {
    const r = await cli(['--json', 'evidence', 'approve', '1', '--reviewer', `bo ${rootPassword}`, '--note', `checked; token=${noteSecret} pw ${rootPassword}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(() => json(r)).not.toThrow();
    const v = await cli(['--json', 'evidence', 'verify']);
    expect(v.code, v.stderr).toBe(0);
  });

  it('no planted secret in any output or evidence file', () => {
    for (const r of outputs) expect(leaksIn(r.stdout + r.stderr, needles)).toEqual([]);
    for (const f of readdirSync(join(local, 'evidence'))) {
      let text = readFileSync(join(local, 'evidence', f), 'utf8');
      const payload = f.endsWith('.json') ? (JSON.parse(text) as { payload?: unknown }).payload : undefined;
      if (typeof payload === 'string') text += Buffer.from(payload, 'base64').toString('utf8');
      expect(leaksIn(text, needles), f).toEqual([]);
    }
  });
});
