// `shipproof down` for real on a webapp-like stack (PostgreSQL on an internal network with a named
// volume, a built web service in front), deployed by shipproof to the local target: --dry-run
// changes nothing, consent is required, --volumes is refused when the fresh backup fails, a plain
// down removes containers and networks and keeps volumes, backups, releases and the ledger, and
// --volumes --purge goes only after a fresh backup that passed its restore rehearsal.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingCli } from '../helpers/cli.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';

requireTestEnv();
requireDocker();

const project = `sp-down-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-down-'));
const dir = join(root, 'project');
const appDir = join(root, 'server');
const backups = join(appDir, 'backups');
const port = 21000 + Math.floor(Math.random() * 20000);
const dbPassword = `Down-${randomBytes(12).toString('hex')}`;
const { cli, outputs, json } = recordingCli({ cwd: dir, env: { SHIPPROOF_HOME: join(root, 'home') }, timeoutMs: 600_000 });

const compose = `services:
  db:
    image: shipproof-offline/postgres:15
    environment:
      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD}
    restart: unless-stopped
    volumes: ["db_data:/var/lib/postgresql/data"]
    networks: [backend]
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres"]
      interval: 1s
      retries: 60
  web:
    build: ./app
    image: ${project}/web:latest
    restart: unless-stopped
    ports: ["127.0.0.1:${port}:8080"]
    networks: [backend, default]
    depends_on:
      db: { condition: service_healthy }
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
      interval: 1s
      retries: 10
networks:
  backend: { internal: true }
volumes:
  db_data:
`;

function docker(...args: string[]): string[] {
  return execFileSync('docker', args).toString().split('\n').map((l) => l.trim()).filter(Boolean);
}
const byLabel = ['--filter', `label=com.docker.compose.project=${project}`];
const containers = (): string[] => docker('ps', '-a', '--format', '{{.Names}}', ...byLabel);
const networks = (): string[] => docker('network', 'ls', '--format', '{{.Name}}', ...byLabel);
const volumes = (): string[] => docker('volume', 'ls', '--format', '{{.Name}}', ...byLabel);
const releaseImages = (): string[] => docker('images', '--format', '{{.Repository}}:{{.Tag}}').filter((i) => i.startsWith(`shipproof-release/${project}-`));
const manifests = (): string[] => (existsSync(backups) ? readdirSync(backups).filter((n) => n.endsWith('.manifest.json')).sort() : []);

async function waitHealthy(name: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const s = docker('inspect', '--format', '{{if .State.Health}}{{.State.Health.Status}}{{end}}', name)[0];
    if (s === 'healthy') return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${name} did not become healthy`);
}

interface DownJson {
  ok: boolean;
  plan: { steps: { id: string; argv: string[] }[]; keeps: string[]; backupFirst: unknown };
  results: { id: string; status: string; reason?: string }[];
  backupEvidence: { seq: number; record: string }[];
  evidence: { seq: number; record: string };
}

beforeAll(async () => {
  mkdirSync(join(dir, 'app', 'www'), { recursive: true });
  writeFileSync(join(dir, 'compose.yaml'), compose);
  writeFileSync(join(dir, 'app', 'Dockerfile'), 'FROM shipproof-offline/busybox:1.35\nCOPY www /www\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n');
  writeFileSync(join(dir, 'app', 'www', 'healthz'), '{"status":"ok"}\n');
  writeFileSync(join(dir, 'server.env'), `POSTGRES_PASSWORD=${dbPassword}\n`, { mode: 0o600 });
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
    required: [POSTGRES_PASSWORD]
    source: server.env
health:
  - name: web
    url: http://127.0.0.1:${port}/healthz
    timeout: 2s
deploy:
  healthTimeout: 120s
  healthInterval: 1s
  stableChecks: 2
`,
  );
  const r = await cli(['--json', 'deploy', '--yes']);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(containers().sort()).toEqual([`${project}_db_1`, `${project}_web_1`].sort());
}, 900_000);

afterAll(() => {
  try {
    const ids = docker('ps', '-aq', ...byLabel);
    if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'pipe' });
    const nets = docker('network', 'ls', '-q', ...byLabel);
    if (nets.length) execFileSync('docker', ['network', 'rm', ...nets], { stdio: 'pipe' });
    const vols = volumes();
    if (vols.length) execFileSync('docker', ['volume', 'rm', ...vols], { stdio: 'pipe' });
    const images = docker('images', '--format', '{{.Repository}}:{{.Tag}}').filter((i) => i.includes(project));
    if (images.length) execFileSync('docker', ['rmi', '-f', ...images], { stdio: 'pipe' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('shipproof down', () => {
  it('--dry-run shows exactly what goes and what stays, and changes nothing', async () => {
    const before = { c: containers(), n: networks(), v: volumes() };
    const r = await cli(['--json', 'down', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ dryRun: boolean; plan: DownJson['plan'] }>(r);
    expect(out.plan.steps.map((s) => s.id)).toEqual(['stop-containers', 'remove-containers', 'remove-networks']);
    expect(out.plan.keeps.join('\n')).toContain(`volumes ${project}_db_data`);
    const human = await cli(['down', '--dry-run']);
    expect(human.stdout).toContain(`$ docker network rm`);
    expect(human.stdout).toContain('(dry run: nothing changed)');
    expect({ c: containers(), n: networks(), v: volumes() }).toEqual(before);
  });

  it('asks first: without a terminal and without --yes it refuses and changes nothing', async () => {
    const r = await cli(['down']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs your consent[\s\S]*--yes/);
    expect(containers().length).toBe(2);
  });

  it('--volumes is refused when the fresh backup fails: nothing is removed, and the failure is recorded', async () => {
    execFileSync('docker', ['stop', '--time', '5', `${project}_db_1`]);
    try {
      const n = manifests().length;
      const r = await cli(['--json', 'down', '--volumes', '--yes']);
      expect(r.code, r.stderr).toBe(1);
      const out = json<DownJson>(r);
      expect(out.results[0]).toMatchObject({ id: 'backup-first', status: 'fail', reason: expect.stringMatching(/no volume was removed: the backup failed .*db/) });
      expect(out.results.slice(1).every((x) => x.status === 'skipped')).toBe(true);
      expect(volumes()).toEqual([`${project}_db_data`]);
      expect(containers().length).toBe(2);
      expect(manifests().length).toBe(n);
      const record = JSON.parse(readFileSync(join(dir, 'docs', 'evidence', `${out.evidence.record}.json`), 'utf8')) as { predicate: { kind: string; status: string } };
      expect(record.predicate).toMatchObject({ kind: 'down', status: 'failed' });
    } finally {
      execFileSync('docker', ['start', `${project}_db_1`]);
      await waitHealthy(`${project}_db_1`);
    }
  });

  it('takes the stack down: containers and networks gone; volumes, backups, releases, state and the ledger kept; evidence recorded', async () => {
    const kept = manifests();
    expect(kept.length).toBeGreaterThan(0); // milestone 9 of the deploy took one
    const releases = readdirSync(join(appDir, 'releases'));
    const r = await cli(['--json', 'down', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<DownJson>(r);
    expect(out.results.map((x) => `${x.id}:${x.status}`)).toEqual(['stop-containers:pass', 'remove-containers:pass', 'remove-networks:pass']);
    expect(containers()).toEqual([]);
    expect(networks()).toEqual([]);
    expect(volumes()).toEqual([`${project}_db_data`]);
    expect(manifests()).toEqual(kept);
    expect(readdirSync(join(appDir, 'releases'))).toEqual(releases);
    expect(existsSync(join(appDir, '.shipproof', 'state.json'))).toBe(true);
    expect(existsSync(join(appDir, '.shipproof', 'lock'))).toBe(false);
    expect(releaseImages().length).toBeGreaterThan(0);
    const record = JSON.parse(readFileSync(join(dir, 'docs', 'evidence', `${out.evidence.record}.json`), 'utf8')) as { predicate: { kind: string; status: string; notes: string[] } };
    expect(record.predicate).toMatchObject({ kind: 'down', status: 'passed' });
    expect(record.predicate.notes.join('\n')).toContain(`kept: volumes ${project}_db_data`);
    expect((await cli(['evidence', 'verify'])).code).toBe(0);
    // Again: nothing left to take down, and it says so.
    const again = await cli(['--json', 'down', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(json<DownJson>(again).plan.steps).toEqual([]);
  });

  it('--volumes --purge goes only after a fresh backup passed its restore rehearsal; backups stay', async () => {
    // Start the current release again by hand, as an operator would.
    const current = join(appDir, 'current');
    execFileSync('docker-compose', ['--project-name', project, '--project-directory', current, '--file', join(current, 'compose.yaml'), 'up', '--detach', '--no-build'], { stdio: 'pipe' });
    await waitHealthy(`${project}_db_1`);
    const n = manifests().length;
    const r = await cli(['--json', 'down', '--volumes', '--purge', '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = json<DownJson>(r);
    expect(out.results.map((x) => `${x.id}:${x.status}`)).toEqual([
      'backup-first:pass',
      'stop-containers:pass',
      'remove-containers:pass',
      'remove-networks:pass',
      'remove-volumes:pass',
      'remove-images:pass',
      'remove-app-folder:pass',
    ]);
    expect(out.backupEvidence.length).toBe(2); // the backup and its rehearsal
    const rehearsal = JSON.parse(readFileSync(join(dir, 'docs', 'evidence', `${out.backupEvidence[1]?.record}.json`), 'utf8')) as { predicate: { kind: string; status: string } };
    expect(rehearsal.predicate).toMatchObject({ kind: 'restore', status: 'passed' });
    expect(containers()).toEqual([]);
    expect(networks()).toEqual([]);
    expect(volumes()).toEqual([]);
    expect(releaseImages()).toEqual([]);
    expect(readdirSync(appDir)).toEqual(['backups']);
    expect(manifests().length).toBe(n + 1);
    expect((await cli(['evidence', 'verify'])).code).toBe(0);
  });

  it('the database password appears in no output', () => {
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(dbPassword);
  });
});
