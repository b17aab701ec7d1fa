// The example stack examples/webapp for real: build.sh, then docker-compose with the offline
// stand-in images; checked through Caddy over TLS. Health, readiness, static files, the job queue,
// idempotent migrations (also two runs at once), the FAIL_MODE hooks, readiness while PostgreSQL
// is stopped or hangs, and no secret or payload in any log.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load.js';
import { detectStatefulServices } from '../../src/compose/stateful.js';
import { loadConfig } from '../../src/config/load.js';
import { requireDocker } from '../helpers/test-env.js';

requireDocker();

const execFileP = promisify(execFile);
const EXAMPLE = fileURLToPath(new URL('../../examples/webapp/', import.meta.url));
const id = randomBytes(3).toString('hex');
const project = `sp-webapp-${id}`;
const appImage = `shipproof-test/webapp-${id}:test`;
const dir = mkdtempSync(join(tmpdir(), 'shipproof-webapp-'));
const envPath = join(dir, '.env');

const dbUser = 'webapp';
const dbName = 'webapp';
const dbPassword = `Pg-${randomBytes(12).toString('hex')}`;
const sessionSecret = randomBytes(24).toString('base64url');
const databaseUrl = `postgres://${dbUser}:${dbPassword}@postgres:5432/${dbName}`;
const payload = `payload-${randomBytes(10).toString('hex')}`;
const secrets = [dbPassword, sessionSecret, databaseUrl, payload];

let httpsPort = 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function compose(args: string[], timeoutMs = 120_000): Promise<Run> {
  const argv = ['--project-name', project, '--project-directory', dir, '--file', join(dir, 'compose.yaml'), '--env-file', envPath, ...args];
  try {
    const { stdout, stderr } = await execFileP('docker-compose', argv, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function composeOk(args: string[], timeoutMs?: number): Promise<string> {
  const r = await compose(args, timeoutMs);
  if (r.code !== 0) throw new Error(`docker-compose ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

const psql = (sql: string, db = dbName): Promise<string> =>
  composeOk(['exec', '-T', 'postgres', 'psql', '-U', dbUser, '-d', db, '-v', 'ON_ERROR_STOP=1', '-Atc', sql]);

interface Answer {
  status: number;
  body: string;
  ms: number;
  contentType: string;
  issuer: string;
}

/** One request through Caddy on 127.0.0.1, SNI and Host "localhost", accepting its local CA. */
function https(method: string, path: string, body?: string): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: httpsPort,
        servername: 'localhost',
        method,
        path,
        headers: { host: `localhost:${httpsPort}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        rejectUnauthorized: false,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        const issuer = (res.socket as TLSSocket).getPeerCertificate().issuer?.CN ?? '';
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
            contentType: String(res.headers['content-type'] ?? ''),
            issuer: String(issuer),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function until<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await attempt();
      if (v !== undefined) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function containerId(service: string): Promise<string> {
  const out = (await composeOk(['ps', '-q', service])).trim();
  if (out === '') throw new Error(`no container for ${service}`);
  return out;
}

function inspect(idOrName: string, format: string): string {
  return execFileSync('docker', ['inspect', '--format', format, idOrName]).toString().trim();
}

async function waitHealthy(service: string, timeoutMs = 60_000): Promise<void> {
  const cid = await containerId(service);
  await until(`${service} to be healthy`, timeoutMs, async () => (inspect(cid, '{{.State.Health.Status}}') === 'healthy' ? true : undefined));
}

interface LogLine {
  msg?: string;
  [key: string]: unknown;
}

/** The JSON log lines of one service (compose prefixes each with "<container> | "). */
async function appLog(service: string): Promise<LogLine[]> {
  const out = await composeOk(['logs', '--no-color', service]);
  return out
    .split('\n')
    .map((l) => l.slice(l.indexOf('|') + 1).trim())
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

beforeAll(async () => {
  execFileSync('bash', [join(EXAMPLE, 'build.sh')], { stdio: 'pipe', timeout: 180_000 });
  // A private copy: the project folder of this run (its own .env; the repo's folder stays clean).
  cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !['.env', 'docs'].includes(basename(src)) });
  const http = await freePort();
  httpsPort = await freePort();
  const env = [
    readFileSync(join(EXAMPLE, 'offline.env'), 'utf8').trim(),
    `POSTGRES_USER=${dbUser}`,
    `POSTGRES_PASSWORD=${dbPassword}`,
    `POSTGRES_DB=${dbName}`,
    `DATABASE_URL=${databaseUrl}`,
    `SESSION_SECRET=${sessionSecret}`,
    'DOMAIN=localhost',
    'TLS_MODE=internal',
    `HTTP_PORT=${http}`,
    `HTTPS_PORT=${httpsPort}`,
    `APP_IMAGE=${appImage}`,
  ];
  writeFileSync(envPath, `${env.join('\n')}\n`, { mode: 0o600 });
  await composeOk(['up', '--detach', '--build'], 240_000);
  await until('Caddy to serve /healthz over TLS', 60_000, async () => ((await https('GET', '/healthz')).status === 200 ? true : undefined));
}, 300_000);

afterAll(async () => {
  await compose(['down', '--volumes', '--remove-orphans', '--timeout', '5'], 120_000);
  try {
    execFileSync('docker', ['image', 'rm', '--force', appImage], { stdio: 'pipe' });
  } catch {
    // Never built (beforeAll failed early): nothing to remove.
  }
  rmSync(dir, { recursive: true, force: true });
}, 180_000);

describe('examples/webapp', () => {
  it('has a shipproof.yaml that loads, and a compose file with postgres and caddy_data stateful and only caddy published', async () => {
    const config = await loadConfig({ cwd: EXAMPLE });
    expect(config.project).toBe('webapp');
    expect(config.envFiles.map((e) => e.path)).toEqual(['.env']);
    expect(config.envFiles[0]?.required).toEqual(expect.arrayContaining(['POSTGRES_PASSWORD', 'DATABASE_URL', 'SESSION_SECRET', 'DOMAIN', 'TLS_MODE']));
    expect(config.health.map((p) => [p.name, new URL(p.url).pathname, p.insecure])).toEqual([
      ['healthz', '/healthz', true],
      ['readyz', '/readyz', true],
    ]);
    const model = await loadCompose(config.composeFiles, { cwd: EXAMPLE });
    expect(model.services.map((s) => s.name).sort()).toEqual(['caddy', 'postgres', 'web', 'worker']);
    expect(model.services.filter((s) => s.ports.length > 0).map((s) => s.name)).toEqual(['caddy']);
    // Caddy's data volume holds its certificates and keys: state too, backed up as a volume.
    expect(detectStatefulServices(model).map((s) => [s.service, s.engine, s.source])).toEqual([
      ['postgres', 'postgres', 'label'],
      ['caddy', 'volume', 'volume'],
    ]);
  });

  it('serves /healthz, /readyz and static files through Caddy with a certificate from its local CA', async () => {
    const healthz = await https('GET', '/healthz');
    expect([healthz.status, JSON.parse(healthz.body)]).toEqual([200, { status: 'ok' }]);
    expect(healthz.issuer).toMatch(/Caddy Local Authority/);
    const readyz = await https('GET', '/readyz');
    expect([readyz.status, JSON.parse(readyz.body)]).toEqual([200, { status: 'ok', db: 'ok' }]);
    const index = await https('GET', '/');
    expect(index.status).toBe(200);
    expect(index.contentType).toMatch(/^text\/html/);
    expect(index.body).toContain('<link rel="stylesheet" href="/static/app.css">');
    const css = await https('GET', '/static/app.css');
    expect(css.status).toBe(200);
    expect(css.contentType).toMatch(/^text\/css/);
    expect(css.body).toBe(readFileSync(join(EXAMPLE, 'app', 'static', 'app.css'), 'utf8'));
    expect((await https('GET', '/static/nope.css')).status).toBe(404);
  });

  it('runs web and worker from one image, not as root, with postgres unpublished', async () => {
    const [web, worker, postgres] = await Promise.all([containerId('web'), containerId('worker'), containerId('postgres')]);
    expect(inspect(web, '{{.Image}}')).toBe(inspect(worker, '{{.Image}}'));
    expect(inspect(web, '{{.Config.Image}}')).toBe(appImage);
    expect(inspect(web, '{{json .Config.Cmd}}')).toBe('["node","dist/web.js"]');
    expect(inspect(worker, '{{json .Config.Cmd}}')).toBe('["node","dist/worker.js"]');
    expect(inspect(web, '{{.Config.User}}')).toBe('10001:10001');
    expect(inspect(postgres, '{{json .NetworkSettings.Ports}}')).not.toContain('HostPort');
  });

  it('queues a job that the worker marks done, logging its id and never its payload', async () => {
    const created = await https('POST', '/jobs', JSON.stringify({ payload }));
    expect(created.status).toBe(201);
    const job = JSON.parse(created.body) as { id: number; status: string };
    expect(job.status).toBe('queued');
    expect(created.body).not.toContain(payload);
    const done = await until('the worker to finish the job', 20_000, async () => {
      const r = await https('GET', `/jobs/${job.id}`);
      const j = JSON.parse(r.body) as { status: string; worker: string | null; doneAt: string | null };
      return j.status === 'done' ? j : undefined;
    });
    expect(done.worker).toBe(inspect(await containerId('worker'), '{{.Config.Hostname}}'));
    expect(done.doneAt).not.toBeNull();
    expect((await appLog('worker')).filter((l) => l.msg === 'job done').map((l) => l.jobId)).toContain(job.id);
    expect((await https('GET', '/jobs/999999')).status).toBe(404);
    expect((await https('POST', '/jobs', '{"payload": 42}')).status).toBe(400);
    expect((await https('POST', '/jobs', 'not json')).status).toBe(400);
  });

  it('runs migrations idempotently: a restart applies nothing, and concurrent runs on a fresh database take turns', async () => {
    const migrations = readdirSync(join(EXAMPLE, 'app', 'migrations'))
      .filter((f) => f.endsWith('.sql'))
      .map((f) => f.replace(/\.sql$/, ''))
      .sort();
    const rows = async (db?: string): Promise<string[]> =>
      (await psql('SELECT version || \'=\' || count(*) FROM schema_migrations GROUP BY version ORDER BY version', db)).trim().split('\n');
    expect(await rows()).toEqual(migrations.map((m) => `${m}=1`));

    await composeOk(['restart', '--timeout', '10', 'web']);
    await waitHealthy('web');
    expect(await rows()).toEqual(migrations.map((m) => `${m}=1`));
    const summaries = (await appLog('web')).filter((l) => l.msg === 'migrations up to date').map((l) => l.applied);
    expect(summaries).toEqual([migrations.length, 0]);

    // Three processes at once on an empty database: without the advisory lock one of them fails
    // (a duplicate table or column); with it, all exit 0 and each migration is recorded once.
    await psql('CREATE DATABASE race');
    const script = [
      'export DATABASE_URL="${DATABASE_URL%/*}/race"',
      'node dist/migrate.js & a=$!; node dist/migrate.js & b=$!; node dist/migrate.js & c=$!',
      'wait $a; ra=$?; wait $b; rb=$?; wait $c; rc=$?',
      'echo "exits=$ra,$rb,$rc"',
    ].join('\n');
    const race = await composeOk(['exec', '-T', 'web', 'sh', '-c', script]);
    expect(race).toContain('exits=0,0,0');
    expect(await rows('race')).toEqual(migrations.map((m) => `${m}=1`));
    expect((await https('GET', '/healthz')).status).toBe(200);
  });

  it('FAIL_MODE: exit and bad-migration end web with status 1, healthz500 fails its probe', async () => {
    const run = (mode: string, ...command: string[]) => compose(['run', '--rm', '--no-deps', '-T', '-e', `FAIL_MODE=${mode}`, 'web', ...command], 60_000);
    const [exit, badMigration, unknown] = await Promise.all([run('exit'), run('bad-migration'), run('sideways')]);
    expect(exit.code).toBe(1);
    expect(exit.stdout).toContain('FAIL_MODE=exit');
    expect(badMigration.code).toBe(1);
    expect(badMigration.stdout).toContain('Migration 9999_fail_mode_bad_migration failed');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('FAIL_MODE must be unset or one of');
    // The failed migration rolled back: nothing recorded.
    expect(await psql("SELECT count(*) FROM schema_migrations WHERE version LIKE '9999%'")).toBe('0\n');

    const script = [
      'node dist/web.js >/dev/null &',
      'ok=no; for i in $(seq 1 60); do if node dist/probe.js http://127.0.0.1:8080/readyz 2>/dev/null; then ok=yes; break; fi; sleep 0.2; done',
      'echo "ready=$ok"',
      'node dist/probe.js http://127.0.0.1:8080/healthz; echo "healthz=$?"',
    ].join('\n');
    const healthz500 = await run('healthz500', 'sh', '-c', script);
    expect(healthz500.stdout).toContain('ready=yes');
    expect(healthz500.stdout).toContain('healthz=1');
    expect(healthz500.stderr).toContain('probe: HTTP 500');
  });

  it('answers /readyz 503 (by its own 1.8 s timeout, not the client\'s) while PostgreSQL is stopped or hangs, keeps /healthz 200, and recovers', async () => {
    const degraded = { status: 'degraded', db: 'down' };
    await composeOk(['stop', '--timeout', '10', 'postgres']);
    for (let i = 0; i < 2; i++) {
      const r = await https('GET', '/readyz');
      expect([r.status, JSON.parse(r.body)]).toEqual([503, degraded]);
      // The app answered before this client's own 10 s timeout; the margin is for a loaded machine.
      expect(r.ms).toBeLessThan(8000);
    }
    expect((await https('GET', '/healthz')).status).toBe(200);
    await composeOk(['start', 'postgres']);
    await until('/readyz 200 after postgres started', 60_000, async () => ((await https('GET', '/readyz')).status === 200 ? true : undefined));

    // A paused database accepts no connection and sends no error: the timeout has to answer.
    await composeOk(['pause', 'postgres']);
    try {
      const r = await https('GET', '/readyz');
      expect([r.status, JSON.parse(r.body)]).toEqual([503, degraded]);
      expect(r.ms).toBeGreaterThan(1000);
      // The app's own timeout answered, not this client's 10 s one (margin for a loaded machine).
      expect(r.ms).toBeLessThan(8000);
      expect((await https('GET', '/healthz')).status).toBe(200);
    } finally {
      await composeOk(['unpause', 'postgres']);
    }
    const ready = await until('/readyz 200 after unpause', 30_000, async () => {
      const r = await https('GET', '/readyz');
      return r.status === 200 ? r : undefined;
    });
    expect(JSON.parse(ready.body)).toEqual({ status: 'ok', db: 'ok' });

    // The worker lived through the outage and takes new jobs.
    const created = JSON.parse((await https('POST', '/jobs', JSON.stringify({ payload }))).body) as { id: number };
    await until('the worker to finish a job after the outage', 30_000, async () => {
      const j = JSON.parse((await https('GET', `/jobs/${created.id}`)).body) as { status: string };
      return j.status === 'done' ? true : undefined;
    });
  });

  it('writes no secret, connection string or payload to any log', async () => {
    const logs = await composeOk(['logs', '--no-color']);
    expect(logs).toContain('job done'); // the logs were read
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
