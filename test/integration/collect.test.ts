// `collect` for real: a small stack (busybox web, PostgreSQL, Redis) on the real engine, collected
// through the local target and the SSH target; the evidence verifies; 50+ planted secrets appear
// in no file written and no line printed.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allProbes } from '../../src/probes/index.js';
import { recordingCli } from '../helpers/cli.js';
import { requireDocker, requireTestEnv, sshTargetYaml } from '../helpers/test-env.js';

const env = requireTestEnv();
requireDocker();

const project = `sp-collect-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-collect-'));
const local = join(root, 'project'); // the operator's checkout
const appDir = join(root, 'server', 'app'); // the app folder "on the server" (same machine, reached two ways)
const home = join(root, 'home'); // SHIPPROOF_HOME: signing key and head cache
const port = 20000 + Math.floor(Math.random() * 20000);

// 52 distinct secrets of the shapes real ones have.
const secrets: string[] = Array.from({ length: 48 }, (_, i) =>
  i % 3 === 0 ? randomBytes(24).toString('base64') : i % 3 === 1 ? randomBytes(20).toString('hex') : `pw-${randomBytes(9).toString('base64url')}!`,
);
const dbPassword = `Pg-${randomBytes(12).toString('hex')}`;
const urlToken = `tok_${randomBytes(16).toString('hex')}`;
const urlPassword = `Url-${randomBytes(10).toString('hex')}`;
const bodySecret = `body-${randomBytes(12).toString('hex')}`;
secrets.push(dbPassword, urlToken, urlPassword, bodySecret);

const envLines = [
  `POSTGRES_PASSWORD=${dbPassword}`,
  `HEALTH_TOKEN=${urlToken}`,
  `HEALTH_PASSWORD=${urlPassword}`,
  `BODY_SECRET=${bodySecret}`,
  ...secrets.slice(0, 48).map((s, i) => `PLANTED_SECRET_${i}=${i % 2 ? `"${s}"` : s}`),
];

const compose = `services:
  web:
    image: shipproof-offline/busybox:1.35
    env_file: ../.env.prod
    command: ["sh", "-c", "mkdir -p /www && printf '{\\"status\\":\\"ok\\",\\"echo\\":\\"%s\\"}' \\"$$BODY_SECRET\\" > /www/healthz && exec httpd -f -p 8080 -h /www"]
    ports: ["127.0.0.1:${port}:8080"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
      interval: 1s
      retries: 30
    restart: unless-stopped
  db:
    image: shipproof-offline/postgres:15
    env_file: ../.env.prod
    volumes: ["db_data:/var/lib/postgresql/data"]
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres"]
      interval: 1s
      retries: 60
    restart: unless-stopped
  cache:
    image: shipproof-offline/redis:7
    volumes: ["cache_data:/data"]
    restart: unless-stopped
volumes:
  db_data:
  cache_data:
`;

const config = `project: ${project}
evidence: evidence
defaultTarget: local
targets:
  local:
    host: local
    appDir: ${appDir}
  box:
${sshTargetYaml(env, appDir)}envFiles:
  - path: .env.prod
    required: [POSTGRES_PASSWORD, HEALTH_TOKEN, BODY_SECRET]
health:
  - name: web
    url: http://probe:${urlPassword}@127.0.0.1:${port}/healthz?token=${urlToken}
    body: '"status":"ok"'
`;

function composeCli(...args: string[]): void {
  execFileSync('docker-compose', ['--project-name', project, '--project-directory', join(appDir, 'current'), '--file', join(appDir, 'current', 'compose.yaml'), ...args], {
    stdio: 'pipe',
  });
}

const { cli, outputs } = recordingCli({ cwd: local, env: { SHIPPROOF_HOME: home } });

beforeAll(async () => {
  mkdirSync(local, { recursive: true });
  mkdirSync(join(appDir, 'current'), { recursive: true });
  mkdirSync(join(appDir, 'backups'), { recursive: true, mode: 0o700 });
  chmodSync(join(appDir, 'backups'), 0o700);
  writeFileSync(join(local, 'compose.yaml'), compose);
  writeFileSync(join(local, 'shipproof.yaml'), config);
  // The operator's local copy of the env file: its values are what the redactor learns.
  writeFileSync(join(local, '.env.prod'), `${envLines.join('\n')}\n`, { mode: 0o600 });
  copyFileSync(join(local, 'compose.yaml'), join(appDir, 'current', 'compose.yaml'));
  writeFileSync(join(appDir, '.env.prod'), `${envLines.join('\n')}\n`, { mode: 0o600 });
  composeCli('up', '--detach');
  // Wait until web and db report healthy.
  for (let i = 0; i < 120; i++) {
    const ps = execFileSync('docker', ['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Status}}']).toString();
    if ((ps.match(/\(healthy\)/g) ?? []).length >= 2) break;
    await new Promise((r) => setTimeout(r, 500));
  }
}, 180_000);

afterAll(() => {
  try {
    composeCli('down', '--volumes', '--timeout', '1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

interface CollectJson {
  exitCode: number;
  seq: number;
  status: string;
  results: { id: string; status: string; reason?: string; observations: Record<string, unknown> }[];
}

describe.each(['local', 'box'])('collect through the %s target', (target) => {
  let out: CollectJson;

  it('runs every probe and passes every gate on a healthy stack', async () => {
    const r = await cli(['--target', target, '--json', 'collect']);
    expect(r.stdout, r.stderr).not.toBe('');
    out = JSON.parse(r.stdout) as CollectJson;
    const notPassing = out.results.filter((x) => x.status !== 'pass' && x.status !== 'skipped');
    expect(notPassing, JSON.stringify(notPassing, null, 2)).toEqual([]);
    expect(r.code).toBe(0);
    expect(out.status).toBe('passed');
    expect(out.results).toHaveLength(allProbes.length);
    expect(allProbes.length).toBeGreaterThanOrEqual(19);
  });

  it('observes the real stack', () => {
    const by = (id: string) => out.results.find((x) => x.id === id)!;
    expect(by('services').observations).toMatchObject({ web: 'running/healthy', db: 'running/healthy', cache: 'running' });
    expect(by('readiness').observations).toMatchObject({ 'db.ready': true, 'cache.ready': true });
    expect(by('database').observations['db.version']).toMatch(/^15\./);
    expect(by('env').observations).toMatchObject({ 'file0.mode': '600', 'file0.missing': [], 'file0.empty': [] });
    expect(by('http-health').observations).toMatchObject({ 'web.status': 200, 'web.bodyMatched': true });
    expect(by('staging-files').observations).toMatchObject({ 'file0.present': true, 'file0.matchesLocal': true });
    expect(by('backup-support').observations).toMatchObject({ backupsDirState: 'writable', backupsDirMode: '700' });
    expect(by('tls').status).toBe('skipped');
  });
});

describe('after collecting', () => {
  it('the ledger verifies and lists both records', async () => {
    const verify = await cli(['evidence', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const list = await cli(['evidence', 'list']);
    expect(list.stdout).toMatch(/collect\s+local\s+passed/);
    expect(list.stdout).toMatch(/collect\s+box\s+passed/);
    const show = await cli(['evidence', 'show', '1']);
    expect(show.stdout).toMatch(/^---\nkind: "collect"/);
  });

  it('a gate that fails makes collect exit 1 and says why', async () => {
    execFileSync('docker', ['stop', '-t', '1', `${project}_cache_1`], { stdio: 'pipe' });
    try {
      const r = await cli(['--json', 'collect']);
      expect(r.code).toBe(1);
      const res = JSON.parse(r.stdout) as CollectJson;
      expect(res.status).toBe('failed');
      expect(res.results.find((x) => x.id === 'services')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/cache is exited/) });
      expect(res.results.find((x) => x.id === 'readiness')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/cache is not running/) });
    } finally {
      execFileSync('docker', ['start', `${project}_cache_1`], { stdio: 'pipe' });
    }
  });

  it('plan prints the commands and connects to nothing', async () => {
    const r = await cli(['--target', 'box', 'plan']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\$ docker version --format/);
    expect(r.stdout).toMatch(/curl .*--max-time/);
  });

  it('no planted secret appears in any file written or any line printed', () => {
    const files = readdirSync(join(local, 'evidence')).map((f) => join(local, 'evidence', f));
    const texts: [string, string][] = [
      ...files.map((f): [string, string] => [f, readFileSync(f, 'utf8')]),
      ...outputs.flatMap((o, i): [string, string][] => [[`output ${i} stdout`, o.stdout], [`output ${i} stderr`, o.stderr]]),
    ];
    expect(files.length).toBeGreaterThan(6);
    secrets.forEach((s, i) => {
      const b64 = Buffer.from(s).toString('base64').replace(/=+$/, '');
      for (const [where, t] of texts) {
        // The message names the secret's index and the place, never the secret.
        expect(t.includes(s), `planted secret #${i} leaked into ${where}`).toBe(false);
        expect(t.includes(b64), `the base64 of planted secret #${i} leaked into ${where}`).toBe(false);
      }
    });
    // The URL's credentials were caught, and the record says which rule fired.
    const json = files.filter((f) => f.endsWith('-collect.json')).map((f) => readFileSync(f, 'utf8'));
    expect(json.some((t) => /\[REDACTED:[^\]]+\]/.test(t))).toBe(true);
    expect(json.some((t) => /"rule": "[^"]+",\s*"count": [1-9]/.test(t))).toBe(true);
  });
});
