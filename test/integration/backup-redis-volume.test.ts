// Backups of Redis (BGSAVE + RDB, password from the container env), a plain named volume archived
// with its service stopped and started again, SQLite files copied online while the app writes,
// and a bind-mounted folder of an unknown engine (the `files` engine: what Docker really mounts);
// each rehearsed in scratch containers; a real restore of the volume. Local target.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingCli } from '../helpers/cli.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';
import { expectNoRehearsalLeftovers } from './backup-helpers.js';

requireTestEnv();
requireDocker();

const project = `sp-bkrv-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-backup-rv-'));
const local = join(root, 'project');
const appDir = join(root, 'server', 'app');
const backups = join(appDir, 'backups');
const home = join(root, 'home');
const redisPassword = `Rd-${randomBytes(12).toString('hex')}`;
const c = (service: string) => `${project}_${service}_1`;
const HELPER = ['--volume-image', 'shipproof-offline/busybox:1.35'];
const tiny = join(root, 'tiny-disk');

const compose = `services:
  cache:
    image: shipproof-offline/redis:7
    env_file: .env
    volumes: ["cache_data:/data"]
  files:
    image: shipproof-offline/busybox:1.35
    command: ["sh", "-c", "mkdir -p /srv/files/sub && echo original > /srv/files/a.txt && printf 'x%.0s' $$(seq 1 3000) > /srv/files/sub/b.bin && head -c 200000 /dev/urandom > /srv/files/sub/noise.bin && ln -sf a.txt /srv/files/link && exec sleep 100000"]
    volumes: ["files_data:/srv/files"]
    stop_grace_period: 1s
  notes:
    image: shipproof-offline/sqlite:3
    command: ["sh", "-c", "sqlite3 /data/app.db 'pragma journal_mode=wal; create table if not exists notes(id integer primary key, body text); create table if not exists tags(name text);' && i=0; while true; do i=$$((i+1)); sqlite3 /data/app.db \\"insert into notes(body) values ('note $$i')\\"; sleep 0.1; done"]
    volumes: ["notes_data:/data"]
    depends_on: [cache]
  uploads:
    image: shipproof-offline/busybox:1.35
    command: ["sleep", "100000"]
    volumes: ["./uploads:/srv/uploads"]
    stop_grace_period: 1s
volumes:
  cache_data:
  files_data:
  notes_data:
`;
const config = `project: ${project}
evidence: evidence
defaultTarget: local
targets:
  local:
    host: local
    appDir: ${appDir}
  tiny:
    host: local
    appDir: ${appDir}
    backupsDir: ${tiny}
stateful:
  files: { engine: volume, stop: true }
  notes: sqlite
`;

const { cli, outputs, json } = recordingCli({ cwd: local, env: { SHIPPROOF_HOME: home } });
function redis(...args: string[]): string {
  return execFileSync('docker', ['exec', '-e', `REDISCLI_AUTH=${redisPassword}`, c('cache'), 'redis-cli', ...args]).toString().trim();
}
function composeCli(...args: string[]): void {
  execFileSync('docker-compose', ['--project-name', project, '--file', join(local, 'compose.yaml'), ...args], { stdio: 'pipe' });
}
function startedAt(container: string): string {
  return execFileSync('docker', ['inspect', '--format', '{{.State.Running}} {{.State.StartedAt}}', container]).toString().trim();
}

interface BackupJson {
  ok: boolean;
  backups: { service: string; engine: string; status: string; reason?: string; stopped: string[]; manifest?: { id: string; fingerprint: Record<string, unknown>; restoreImage: { ref: string } } }[];
}
interface RestoreJson {
  ok: boolean;
  results: { id: string; status: string; reason?: string; observations: Record<string, unknown> }[];
}

const ids: Record<string, string> = {};

beforeAll(async () => {
  mkdirSync(local, { recursive: true });
  writeFileSync(join(local, 'compose.yaml'), compose);
  writeFileSync(join(local, 'shipproof.yaml'), config);
  writeFileSync(join(local, '.env'), `REDIS_PASSWORD=${redisPassword}\n`, { mode: 0o600 });
  mkdirSync(join(local, 'uploads', '2026'), { recursive: true });
  writeFileSync(join(local, 'uploads', '2026', 'a.jpg'), 'photo');
  writeFileSync(join(local, 'uploads', 'index.txt'), 'x'.repeat(4096));
  composeCli('up', '--detach');
  for (let i = 0; i < 100; i++) {
    try {
      if (execFileSync('docker', ['exec', c('cache'), 'redis-cli', 'ping']).toString().includes('PONG')) break;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  execFileSync('docker', ['exec', c('cache'), 'redis-cli', 'config', 'set', 'requirepass', redisPassword], { stdio: 'pipe' });
  execFileSync('docker', ['exec', '-e', `REDISCLI_AUTH=${redisPassword}`, c('cache'), 'sh', '-c', 'for i in $(seq 0 199); do echo "SET key:$i \\"value $i\\""; done | redis-cli >/dev/null']);
  redis('hset', 'h', 'a', '1', 'b', '2');
  redis('set', 'temp', 'x', 'EX', '100000');
  redis('-n', '2', 'rpush', 'list', 'a', 'b', 'c');
  // Let the SQLite writer commit a few rows.
  await new Promise((r) => setTimeout(r, 1_500));
}, 180_000);

afterAll(() => {
  try {
    execFileSync('umount', [tiny], { stdio: 'pipe' });
  } catch {
    // not mounted
  }
  try {
    composeCli('down', '--volumes', '--timeout', '1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('Redis, volume and SQLite backups', () => {
  it('backs up all four; the volume service is stopped for its archive and running again after', async () => {
    const filesBefore = startedAt(c('files'));
    const r = await cli(['--json', 'backup', 'run', ...HELPER]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = json<BackupJson>(r);
    expect(out.backups.map((b) => [b.service, b.engine, b.status])).toEqual([
      ['cache', 'redis', 'passed'],
      ['files', 'volume', 'passed'],
      ['notes', 'sqlite', 'passed'],
      ['uploads', 'files', 'passed'],
    ]);
    for (const b of out.backups) ids[b.service] = b.manifest?.id as string;
    const [cache, files, notes, uploads] = out.backups;
    expect(cache?.manifest?.fingerprint).toMatchObject({ kind: 'redis', keys: 203, expires: 1, databases: [{ db: 0, keys: 202, expires: 1 }, { db: 2, keys: 1, expires: 0 }], digest: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(files?.stopped).toEqual([c('files')]);
    const after = startedAt(c('files'));
    expect(after.startsWith('true ')).toBe(true);
    expect(after).not.toBe(filesBefore);
    const fileList = (files?.manifest?.fingerprint as { files: { path: string; type: string; size: number }[] }).files;
    expect(fileList).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'files_data/a.txt', type: 'file', size: 9 }),
        expect.objectContaining({ path: 'files_data/sub/b.bin', type: 'file', size: 3000 }),
        expect.objectContaining({ path: 'files_data/sub/noise.bin', type: 'file', size: 200000 }),
        expect.objectContaining({ path: 'files_data/link', type: 'symlink' }),
      ]),
    );
    const db = (notes?.manifest?.fingerprint as { databases: { path: string; integrity: string; tables: { name: string; rows: number }[] }[] }).databases;
    expect(db).toHaveLength(1);
    expect(db[0]).toMatchObject({ path: 'data/app.db', integrity: 'ok' });
    expect(db[0]?.tables.map((t) => t.name)).toEqual(['notes', 'tags']);
    expect(db[0]?.tables[0]?.rows).toBeGreaterThan(3);
    expect(notes?.manifest?.restoreImage.ref).toBe('shipproof-offline/sqlite:3');
    for (const n of readdirSync(backups)) expect(statSync(join(backups, n)).mode & 0o777).toBe(0o600);
    // The bind-mounted folder, archived under the name of where the service mounts it.
    expect((uploads?.manifest?.fingerprint as { files: { path: string; type: string; size: number }[] }).files).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'srv_uploads/2026/a.jpg', type: 'file', size: 5 }),
        expect.objectContaining({ path: 'srv_uploads/index.txt', type: 'file', size: 4096 }),
      ]),
    );
    expect(uploads?.stopped).toEqual([]);
  });

  it('rehearses each: the scratch copies equal the backups while the live data moves on', async () => {
    redis('flushdb');
    redis('set', 'after', 'backup');
    execFileSync('docker', ['exec', c('files'), 'sh', '-c', 'echo changed > /srv/files/a.txt && rm /srv/files/sub/b.bin && touch /srv/files/new']);
    writeFileSync(join(local, 'uploads', 'index.txt'), 'moved on');
    for (const service of ['cache', 'files', 'notes', 'uploads']) {
      const r = await cli(['--json', 'restore', ids[service] as string, '--rehearse']);
      expect(r.code, `${service}: ${r.stdout}${r.stderr}`).toBe(0);
      const out = json<RestoreJson>(r);
      expect(out.results.map((x) => x.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
    }
    await expectNoRehearsalLeftovers();
    expect(redis('dbsize')).toBe('1');
  });

  it('copies SQLite through the helper image when the service is stopped, and says what is missing without one', async () => {
    execFileSync('docker', ['stop', '--time', '1', c('notes')]);
    try {
      const missing = await cli(['--json', 'backup', 'run', 'notes']);
      expect(missing.code).toBe(1);
      expect(json<BackupJson>(missing).backups[0]?.reason).toMatch(/no helper image is set/);
      const r = await cli(['--json', 'backup', 'run', 'notes', '--sqlite-image', 'shipproof-offline/sqlite:3']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const b = json<BackupJson>(r).backups[0];
      expect(b?.status).toBe('passed');
      const rh = await cli(['--json', 'restore', b?.manifest?.id as string]);
      expect(rh.code, rh.stdout).toBe(0);
    } finally {
      execFileSync('docker', ['start', c('notes')]);
    }
  });

  it('restores the volume into the live service: stopped, replaced, started, checked', async () => {
    const r = await cli(['--json', 'restore', ids.files as string, '--into', 'files', '--yes', ...HELPER]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = json<RestoreJson>(r);
    expect(out.results.map((x) => [x.id, x.status])).toEqual([
      ['before-restore.backup.files', 'pass'],
      ['restore', 'pass'],
      ['verify', 'pass'],
      ['dependents', 'skipped'],
      ['health-gate', 'pass'],
    ]);
    expect(startedAt(c('files')).startsWith('true ')).toBe(true);
    expect(execFileSync('docker', ['exec', c('files'), 'cat', '/srv/files/a.txt']).toString()).toBe('original\n');
    expect(execFileSync('docker', ['exec', c('files'), 'ls', '/srv/files']).toString().split('\n').filter(Boolean).sort()).toEqual(['a.txt', 'link', 'sub']);
  });

  it('a full disk fails the backup, removes the partial file and says why', async () => {
    mkdirSync(tiny, { recursive: true, mode: 0o700 });
    // A 64 KiB file system for the backups: the archive (200 kB of random bytes) cannot fit.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=700', 'tmpfs', tiny]);
    const r = await cli(['--target', 'tiny', '--json', 'backup', 'run', 'files', ...HELPER]);
    expect(r.code).toBe(1);
    expect(json<BackupJson>(r).backups[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/No space left on device/) });
    expect(readdirSync(tiny).filter((n) => !n.endsWith('.last-run.json'))).toEqual([]);
    expect(startedAt(c('files')).startsWith('true ')).toBe(true);
  });

  it('the Redis password appears in no output or evidence record', () => {
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(redisPassword);
    for (const name of readdirSync(join(local, 'evidence'))) expect(readFileSync(join(local, 'evidence', name), 'utf8')).not.toContain(redisPassword);
  });
});
