// The example stack (examples/webapp: PostgreSQL, web + worker from one image, Caddy with TLS)
// deployed by shipproof for real, to the local target and over SSH: /healthz and /readyz through
// Caddy over TLS, /readyz turning 503 when PostgreSQL stops, and a release with a failing
// migration rolled back while the old release keeps serving.
import { removeComposeProject } from '../helpers/docker-cleanup.js';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';

const env = requireTestEnv();
requireDocker();

const EXAMPLE = fileURLToPath(new URL('../../examples/webapp', import.meta.url));
// Built before the sites are copied from it (makeSite runs while the tests are collected): a fresh
// checkout has no app/node_modules or app/dist until build.sh made them.
execFileSync('bash', [join(EXAMPLE, 'build.sh')], { stdio: 'pipe' });

function get(port: number, path: string): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, servername: 'localhost', headers: { host: 'localhost' }, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - started }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

interface Site {
  kind: 'local' | 'ssh';
  project: string;
  dir: string;
  appDir: string;
  https: number;
  home: string;
  secrets: string[];
}

function makeSite(kind: 'local' | 'ssh'): Site {
  const root = mkdtempSync(join(tmpdir(), `shipproof-webapp-${kind}-`));
  const site: Site = {
    kind,
    project: `sp-webapp-${kind}-${randomBytes(3).toString('hex')}`,
    dir: join(root, 'project'),
    appDir: join(root, 'server'),
    https: 22000 + Math.floor(Math.random() * 20000),
    home: join(root, 'home'),
    secrets: [],
  };
  cpSync(EXAMPLE, site.dir, { recursive: true, filter: (src) => !/\/(docs|\.env)$/.test(src) });
  const pw = `pw-${randomBytes(12).toString('hex')}`;
  const session = randomBytes(24).toString('hex');
  site.secrets.push(pw, session);
  const offline = readFileSync(join(EXAMPLE, 'offline.env'), 'utf8');
  writeFileSync(
    join(site.dir, '.env'),
    [
      'POSTGRES_USER=webapp',
      `POSTGRES_PASSWORD=${pw}`,
      'POSTGRES_DB=webapp',
      `DATABASE_URL=postgres://webapp:${pw}@postgres:5432/webapp`,
      `SESSION_SECRET=${session}`,
      'DOMAIN=localhost',
      'TLS_MODE=internal',
      `HTTP_PORT=${site.https + 1}`,
      `HTTPS_PORT=${site.https}`,
      `APP_IMAGE=${site.project}/app:latest`,
      offline,
    ].join('\n'),
    { mode: 0o600 },
  );
  const target =
    kind === 'local'
      ? `  here:\n    host: local\n    appDir: ${site.appDir}\n`
      : `  here:\n    host: ssh://${env.sshUser}@${env.sshHost}:${env.sshPort}\n    identity: ${env.sshKey}\n    knownHosts: ${env.knownHosts}\n    appDir: ${site.appDir}\n`;
  writeFileSync(
    join(site.dir, 'shipproof.yaml'),
    `project: ${site.project}
defaultTarget: here
targets:
${target}envFiles:
  - path: .env
    source: .env
    required: [POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, DATABASE_URL, SESSION_SECRET, DOMAIN, TLS_MODE]
health:
  - name: healthz
    url: https://localhost:${site.https}/healthz
    body: '"status":"ok"'
    insecure: true
  - name: readyz
    url: https://localhost:${site.https}/readyz
    body: '"db":"ok"'
    insecure: true
domains: [localhost:${site.https}]
deploy:
  keyService: web
  healthTimeout: 150s
  healthInterval: 2s
backups:
  images:
    volume: shipproof-offline/busybox:1.35
`,
  );
  return site;
}

const cli = (s: Site, args: string[]) => runCli(args, { cwd: s.dir, env: { SHIPPROOF_HOME: s.home }, timeoutMs: 600_000 });
const sites: Site[] = [];


afterAll(() => {
  for (const s of sites) {
    removeComposeProject(s.project);
    rmSync(join(s.dir, '..'), { recursive: true, force: true });
  }
});

describe.each(['local', 'ssh'] as const)('the example stack deployed through the %s target', (kind) => {
  const site = makeSite(kind);
  sites.push(site);
  const outputs: string[] = [];

  it('deploys: all ten milestones pass, TLS, backup and restore rehearsal included', async () => {
    const r = await cli(site, ['--json', 'deploy', '--yes']);
    outputs.push(r.stdout, r.stderr);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = JSON.parse(r.stdout) as { milestones: { number: number; status: string; reason?: string }[] };
    expect(out.milestones.map((m) => `${m.number}:${m.status}`)).toEqual(['1:pass', '2:pass', '3:pass', '4:pass', '5:pass', '6:pass', '7:pass', '8:pass', '9:pass', '10:pass']);
    // The backups are on the server, mode 0600 in a 0700 folder.
    const listing = execFileSync('sh', ['-c', `stat -c '%a %n' "${site.appDir}/backups" "${site.appDir}/backups"/*`]).toString();
    expect(listing).toMatch(/^700 /);
    expect(listing).toMatch(/\n600 .*postgres-postgres-/);
  });

  it('serves /healthz and /readyz through Caddy over TLS', async () => {
    expect(await get(site.https, '/healthz')).toMatchObject({ status: 200, body: expect.stringContaining('"status":"ok"') });
    expect(await get(site.https, '/readyz')).toMatchObject({ status: 200, body: expect.stringContaining('"db":"ok"') });
  });

  it('/readyz turns 503 within 2 s when PostgreSQL stops, /healthz stays 200', async () => {
    execFileSync('docker', ['stop', '-t', '5', `${site.project}_postgres_1`], { stdio: 'pipe' });
    try {
      const ready = await get(site.https, '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toContain('"db":"down"');
      expect(ready.ms).toBeLessThan(2_500);
      expect((await get(site.https, '/healthz')).status).toBe(200);
    } finally {
      execFileSync('docker', ['start', `${site.project}_postgres_1`], { stdio: 'pipe' });
    }
    for (let i = 0; i < 60 && (await get(site.https, '/readyz')).status !== 200; i++) await new Promise((r) => setTimeout(r, 1_000));
    expect((await get(site.https, '/readyz')).status).toBe(200);
  });

  it('a release whose migration fails is rolled back; the old release keeps serving', async () => {
    writeFileSync(join(site.dir, 'app', 'migrations', '003_broken.sql'), 'ALTER TABLE no_such_table ADD COLUMN x int;\n');
    try {
      const r = await cli(site, ['--json', 'deploy', '--yes']);
      outputs.push(r.stdout, r.stderr);
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout) as { outcome: string; rollback?: { healthy: boolean } };
      expect(out.outcome).toBe('rolled-back');
      expect(out.rollback?.healthy).toBe(true);
      expect((await get(site.https, '/readyz')).status).toBe(200);
      expect((await cli(site, ['evidence', 'verify'])).code).toBe(0);
    } finally {
      rmSync(join(site.dir, 'app', 'migrations', '003_broken.sql'), { force: true });
    }
  });

  it.runIf(kind === 'local')('changing the database service needs a fresh backup first (backup-before-apply)', async () => {
    const composePath = join(site.dir, 'compose.yaml');
    const configPath = join(site.dir, 'shipproof.yaml');
    const compose = readFileSync(composePath, 'utf8');
    const config = readFileSync(configPath, 'utf8');
    writeFileSync(composePath, compose.replace('      shipproof.engine: postgres', '      shipproof.engine: postgres\n      dev.example.revision: "2"'));
    try {
      writeFileSync(configPath, `${config}  beforeApply: require\n  maxAge: 1s\n`);
      await new Promise((r) => setTimeout(r, 1_500)); // the backup from milestone 9 is now too old
      const refused = await cli(site, ['--json', 'deploy', '--yes']);
      outputs.push(refused.stdout, refused.stderr);
      expect(refused.code).toBe(1);
      const r1 = JSON.parse(refused.stdout) as { milestones: { number: number; status: string; reason?: string }[] };
      expect(r1.milestones.find((m) => m.number === 6)).toMatchObject({ status: 'fail', reason: expect.stringMatching(/backup-before-apply \(require\) refused.*postgres/) });
      expect((await get(site.https, '/readyz')).status).toBe(200);

      writeFileSync(configPath, `${config}  beforeApply: auto\n  maxAge: 1s\n`);
      const taken = await cli(site, ['--json', 'deploy', '--yes']);
      outputs.push(taken.stdout, taken.stderr);
      expect(taken.code, taken.stderr).toBe(0);
      const list = await cli(site, ['--json', 'evidence', 'list']);
      const entries = (JSON.parse(list.stdout) as { entries: { seq: number; kind: string; milestone?: { number: number }; record: string }[] }).entries;
      const m6 = [...entries].reverse().find((e) => e.milestone?.number === 6)!;
      const shown = JSON.parse((await cli(site, ['--json', 'evidence', 'show', String(m6.seq)])).stdout) as { statement: { predicate: { results: { observations: Record<string, unknown> }[] } } };
      const obs = shown.statement.predicate.results[0]!.observations;
      expect(obs, JSON.stringify(obs)).toMatchObject({ changedStatefulServices: ['postgres'], backups: ['postgres: taken'] });
    } finally {
      writeFileSync(composePath, compose);
      writeFileSync(configPath, config);
    }
  });

  it('no secret of the stack appears in any output or evidence file', () => {
    const dir = join(site.dir, 'docs', 'evidence');
    const evidence = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(evidence.length).toBeGreaterThan(1000);
    for (const secret of site.secrets) {
      expect(evidence.includes(secret)).toBe(false);
      for (const o of outputs) expect(o.includes(secret)).toBe(false);
    }
  });
});
