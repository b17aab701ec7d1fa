// `restore <backup> --into <service>` for Redis (RDB swapped in with the service stopped) and
// SQLite (files swapped in with the service stopped, checked before it starts again), on real
// containers; and the Redis backup + rehearsal over the SSH target.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingCli, type CliResult } from '../helpers/cli.js';
import { requireDocker, requireTestEnv, sshTargetYaml } from '../helpers/test-env.js';

const env = requireTestEnv();
requireDocker();

const project = `sp-bkri-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-backup-ri-'));
const local = join(root, 'project');
const appDir = join(root, 'server', 'app');
const home = join(root, 'home');
const redisPassword = `Rd-${randomBytes(12).toString('hex')}`;
const c = (service: string) => `${project}_${service}_1`;

// The password comes from the env file, so it survives the restart the restore does.
const compose = `services:
  cache:
    image: shipproof-offline/redis:7
    env_file: .env
    command: ["sh", "-c", "exec redis-server --dir /data --requirepass \\"$$REDIS_PASSWORD\\""]
    volumes: ["cache_data:/data"]
  notes:
    image: shipproof-offline/sqlite:3
    command: ["sh", "-c", "sqlite3 /data/app.db 'pragma journal_mode=wal; create table if not exists notes(id integer primary key, body text);' && i=0; while true; do i=$$((i+1)); sqlite3 /data/app.db \\"insert into notes(body) values ('note $$i')\\"; sleep 0.3; done"]
    volumes: ["notes_data:/data"]
    stop_grace_period: 1s
  app:
    image: shipproof-offline/busybox:1.35
    command: ["sh", "-c", "exec sleep 100000"]
    depends_on: [cache]
    stop_grace_period: 1s
  worker:
    image: shipproof-offline/busybox:1.35
    command: ["sh", "-c", "exec sleep 100000"]
    links: ["app:frontend"]
    stop_grace_period: 1s
volumes:
  cache_data:
  notes_data:
`;
const config = `project: ${project}
evidence: evidence
defaultTarget: local
targets:
  local:
    host: local
    appDir: ${appDir}
  box:
${sshTargetYaml(env, appDir)}stateful:
  notes: sqlite
`;

const { cli, outputs, json } = recordingCli({ cwd: local, env: { SHIPPROOF_HOME: home } });
function redis(...args: string[]): string {
  return execFileSync('docker', ['exec', '-e', `REDISCLI_AUTH=${redisPassword}`, c('cache'), 'redis-cli', '--no-auth-warning', ...args]).toString().trim();
}
function sqlite(sql: string): string {
  return execFileSync('docker', ['exec', c('notes'), 'sqlite3', '-cmd', '.timeout 10000', '/data/app.db', sql]).toString().trim();
}
function composeCli(...args: string[]): void {
  execFileSync('docker-compose', ['--project-name', project, '--file', join(local, 'compose.yaml'), ...args], { stdio: 'pipe' });
}
function startedAt(container: string): string {
  return execFileSync('docker', ['inspect', '--format', '{{.State.Running}} {{.State.StartedAt}}', container]).toString().trim();
}
function ls(container: string, dir: string): string[] {
  return execFileSync('docker', ['exec', container, 'ls', '-a', dir]).toString().split('\n').filter((n) => n && n !== '.' && n !== '..').sort();
}
/** What a dry run must leave as it was: each container (id, running, started at), the volumes, every file under the server folder and the evidence folder (name, size, mtime). */
function snapshot(): string {
  const ids = execFileSync('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`]).toString().split('\n').filter(Boolean).sort();
  const lines = ids.map((id) => `${id} ${startedAt(id)}`);
  lines.push(execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]).toString().trim());
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const f = join(dir, n.name);
      if (n.isDirectory()) walk(f);
      else {
        const st = statSync(f);
        lines.push(`${f} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(join(root, 'server'));
  walk(join(local, 'evidence'));
  return lines.join('\n');
}
async function redisUp(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if (redis('ping') === 'PONG') return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface BackupJson {
  ok: boolean;
  backups: { service: string; status: string; reason?: string; manifest?: { id: string; fingerprint: Record<string, unknown> } }[];
}
interface RestoreJson {
  ok: boolean;
  results: { id: string; status: string; reason?: string; observations?: Record<string, unknown> }[];
}

const ids: Record<string, string> = {};

beforeAll(async () => {
  mkdirSync(local, { recursive: true });
  writeFileSync(join(local, 'compose.yaml'), compose);
  writeFileSync(join(local, 'shipproof.yaml'), config);
  writeFileSync(join(local, '.env'), `REDIS_PASSWORD=${redisPassword}\n`, { mode: 0o600 });
  composeCli('up', '--detach');
  await redisUp();
  execFileSync('docker', ['exec', '-e', `REDISCLI_AUTH=${redisPassword}`, c('cache'), 'sh', '-c', 'for i in $(seq 0 99); do echo "SET key:$i \\"value $i\\""; done | redis-cli --no-auth-warning >/dev/null']);
  redis('hset', 'h', 'a', '1');
  redis('set', 'temp', 'x', 'EX', '100000');
  await new Promise((r) => setTimeout(r, 1_000));
}, 120_000);

afterAll(() => {
  try {
    composeCli('down', '--volumes', '--timeout', '1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('restore --into for Redis and SQLite', () => {
  it('backs up both services', async () => {
    const r = await cli(['--json', 'backup', 'run', 'cache', 'notes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const b of json<BackupJson>(r).backups) ids[b.service] = b.manifest?.id as string;
    expect(Object.keys(ids).sort()).toEqual(['cache', 'notes']);
  });

  it('restores the RDB into the live Redis: stopped, swapped, started, fingerprint equal; the old file is removed', async () => {
    redis('flushall');
    redis('set', 'after', 'backup');
    const before = startedAt(c('cache'));
    const dependentsBefore = [startedAt(c('app')), startedAt(c('worker'))];
    const r = await cli(['--json', 'restore', ids.cache as string, '--into', 'cache', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = json<RestoreJson & { safetyBackup?: string }>(r);
    expect(out.results.map((x) => [x.id, x.status])).toEqual([
      ['before-restore.backup.cache', 'pass'],
      ['restore', 'pass'],
      ['verify', 'pass'],
      ['dependents', 'pass'],
      ['health-gate', 'pass'],
    ]);
    // app depends on cache, worker links to app: both were stopped for the restore and started again.
    expect(out.results.find((x) => x.id === 'dependents')?.observations).toMatchObject({ dependents: ['app', 'worker'], stopped: [c('worker'), c('app')] });
    for (const [i, name] of ['app', 'worker'].entries()) {
      const now = startedAt(c(name));
      expect(now.startsWith('true ')).toBe(true);
      expect(now).not.toBe(dependentsBefore[i]);
    }
    expect(out.safetyBackup).toMatch(/^cache-redis-/);
    expect(readdirSync(join(appDir, 'backups'))).toContain(`${out.safetyBackup}.manifest.json`);
    const text = await cli(['restore', ids.cache as string, '--into', 'cache', '--yes']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/safety backup: cache-redis-\S+/);
    const after = startedAt(c('cache'));
    expect(after.startsWith('true ')).toBe(true);
    expect(after).not.toBe(before);
    expect(redis('dbsize')).toBe('102');
    expect(redis('get', 'key:42')).toBe('value 42');
    expect(redis('exists', 'after')).toBe('0');
    expect(ls(c('cache'), '/data').filter((n) => n.includes('shipproof'))).toEqual([]);
  });

  it('restore --into --dry-run and backup prune --dry-run change nothing: containers, volumes, files, evidence', async () => {
    const before = snapshot();
    const plan = await cli(['--json', 'restore', ids.cache as string, '--into', 'cache', '--dry-run']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const p = json<{ dryRun: boolean; steps: { step: string; what: string }[] }>(plan);
    expect(p.dryRun).toBe(true);
    expect(p.steps.map((x) => x.step)).toEqual(['integrity', 'before-restore', 'dependents', 'restore', 'verify', 'health-gate']);
    expect(p.steps.find((x) => x.step === 'dependents')?.what).toMatch(/stop app, worker/);
    const human = await cli(['restore', ids.cache as string, '--into', 'cache', '--dry-run']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/dry run: nothing changed/);
    expect(human.stdout + human.stderr).not.toMatch(/\?\s*$/m); // asked nothing
    // cache has more than one backup by now (the safety backup of the restore above): some would go.
    const prune = await cli(['--json', 'backup', 'prune', 'cache', '--keep', '1', '--dry-run']);
    expect(prune.code, prune.stdout + prune.stderr).toBe(0);
    const pr = json<{ dryRun: boolean; deleted: string[]; plan: { decisions: { id: string; action: string }[] } }>(prune);
    expect(pr.dryRun).toBe(true);
    expect(pr.plan.decisions.filter((d) => d.action === 'delete').length).toBeGreaterThan(0);
    expect(pr.deleted).toEqual([]);
    expect(snapshot()).toEqual(before);
  });

  it('restores the SQLite file into the live service: stopped, swapped, checked before it starts, started again', async () => {
    const backupRows = (json<BackupJson>(outputs[0] as CliResult).backups.find((b) => b.service === 'notes')?.manifest?.fingerprint as { databases: { tables: { rows: number }[] }[] }).databases[0]?.tables[0]?.rows as number;
    expect(backupRows).toBeGreaterThan(0);
    sqlite('delete from notes');
    sqlite("insert into notes(id, body) values (1000000, 'after the backup')");
    const before = startedAt(c('notes'));
    const r = await cli(['--json', 'restore', ids.notes as string, '--into', 'notes', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(json<RestoreJson>(r).results.map((x) => [x.id, x.status])).toEqual([
      ['before-restore.backup.notes', 'pass'],
      ['restore', 'pass'],
      ['verify', 'pass'],
      ['dependents', 'skipped'],
      ['health-gate', 'pass'],
    ]);
    const after = startedAt(c('notes'));
    expect(after.startsWith('true ')).toBe(true);
    expect(after).not.toBe(before);
    expect(sqlite("select count(*) from notes where body = 'after the backup'")).toBe('0');
    // The writer started again after the check, so it may have added rows since.
    expect(Number(sqlite(`select count(*) from notes where id <= ${backupRows}`))).toBe(backupRows);
    expect(sqlite('pragma integrity_check')).toBe('ok');
    expect(ls(c('notes'), '/data').filter((n) => n.includes('shipproof'))).toEqual([]);
  });

  it('refuses a backup of another engine, and without consent', async () => {
    const wrong = await cli(['restore', ids.notes as string, '--into', 'cache', '--yes']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/sqlite backup, but cache is a redis service/);
    const noConsent = await cli(['restore', ids.cache as string, '--into', 'cache']);
    expect(noConsent.code).not.toBe(0);
    expect(noConsent.stderr).toMatch(/needs consent/);
  });

  it('puts the old data back and starts the service when the restored data does not verify', async () => {
    // A manifest whose fingerprint no longer matches its file: the swap succeeds, the check after it fails.
    const tamper = (id: string, edit: (fp: Record<string, unknown>) => void): void => {
      const path = join(appDir, 'backups', `${id}.manifest.json`);
      const m = JSON.parse(readFileSync(path, 'utf8')) as { fingerprint: Record<string, unknown> };
      edit(m.fingerprint);
      writeFileSync(path, JSON.stringify(m, null, 2));
    };
    tamper(ids.cache as string, (fp) => {
      fp.keys = (fp.keys as number) + 1;
    });
    tamper(ids.notes as string, (fp) => {
      const t = (fp.databases as { tables: { rows: number }[] }[])[0]?.tables[0] as { rows: number };
      t.rows += 1;
    });
    redis('flushall');
    redis('set', 'marker', 'live');
    sqlite('delete from notes');
    sqlite("insert into notes(id, body) values (2000000, 'live marker')");
    for (const service of ['cache', 'notes']) {
      const r = await cli(['--json', 'restore', ids[service] as string, '--into', service, '--yes']);
      expect(r.code, `${service}: ${r.stdout}${r.stderr}`).toBe(1);
      const restore = json<RestoreJson>(r).results.find((x) => x.id === 'restore');
      expect(restore?.status).toBe('fail');
      expect(restore?.reason).toMatch(/differ.*from the backup.*; the old data was put back$/);
      expect(startedAt(c(service)).startsWith('true ')).toBe(true);
    }
    await redisUp();
    expect(redis('get', 'marker')).toBe('live');
    expect(redis('dbsize')).toBe('1');
    expect(sqlite("select count(*) from notes where body = 'live marker'")).toBe('1');
    expect(sqlite('pragma integrity_check')).toBe('ok');
    expect(ls(c('cache'), '/data').filter((n) => n.includes('shipproof'))).toEqual([]);
    expect(ls(c('notes'), '/data').filter((n) => n.includes('shipproof'))).toEqual([]);
  });

  it('backs up and rehearses Redis over the SSH target', async () => {
    redis('flushall');
    execFileSync('docker', ['exec', '-e', `REDISCLI_AUTH=${redisPassword}`, c('cache'), 'sh', '-c', 'for i in $(seq 0 99); do echo "SET key:$i \\"value $i\\""; done | redis-cli --no-auth-warning >/dev/null']);
    redis('hset', 'h', 'a', '1');
    redis('set', 'temp', 'x', 'EX', '100000');
    const r = await cli(['--target', 'box', '--json', 'backup', 'run', 'cache']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const b = json<BackupJson>(r).backups[0];
    expect(b).toMatchObject({ service: 'cache', status: 'passed' });
    expect(b?.manifest?.fingerprint).toMatchObject({ kind: 'redis', keys: 102, expires: 1 });
    const rh = await cli(['--target', 'box', '--json', 'restore', b?.manifest?.id as string, '--rehearse']);
    expect(rh.code, rh.stdout + rh.stderr).toBe(0);
    const out = json<RestoreJson & { leftovers: string[] }>(rh);
    expect(out.results.map((x) => [x.id, x.status])).toEqual([
      ['integrity', 'pass'],
      ['restore', 'pass'],
      ['fingerprint', 'pass'],
      ['cleanup', 'pass'],
    ]);
    // This rehearsal's own scratch resources (a global label check would race with other test files).
    expect(out.leftovers).toEqual([]);
  });

  it('the Redis password appears in no output or evidence record', () => {
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(redisPassword);
    for (const name of readdirSync(join(local, 'evidence'))) expect(readFileSync(join(local, 'evidence', name), 'utf8')).not.toContain(redisPassword);
  });
});
