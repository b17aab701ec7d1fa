// Backups of PostgreSQL for real, through the CLI, on the local target and the SSH target: files
// and manifests, rehearsals that prove the data came back, a corrupt file caught, encryption,
// off-site copies, retention, status, backup-before-apply, and every failure (a stopped service,
// a dump killed midway, a dropped SSH connection) leaving no complete-looking file and failure
// evidence. The database password is planted and must appear in no file, output or command line.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFreshBackup } from '../../src/backup/index.js';
import { loadConfig, resolveTargetName } from '../../src/config/load.js';
import { Docker } from '../../src/docker/docker.js';
import { UsageError } from '../../src/errors.js';
import { LocalTarget } from '../../src/targets/local.js';
import { recordingCli, type CliResult } from '../helpers/cli.js';
import { requireDocker, requireTestEnv, sshTargetYaml } from '../helpers/test-env.js';
import { listModes, expectNoRehearsalLeftovers } from './backup-helpers.js';

const env = requireTestEnv();
requireDocker();
const run = promisify(execFile);

const project = `sp-bkpg-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-backup-pg-'));
const local = join(root, 'project');
const appDir = join(root, 'server', 'app');
const backups = join(appDir, 'backups');
const home = join(root, 'home');
const dbPassword = `Pg-${randomBytes(12).toString('hex')}`;
const container = `${project}_db_1`;

const compose = `services:
  db:
    image: shipproof-offline/postgres:15
    env_file: .env
    volumes: ["db_data:/var/lib/postgresql/data"]
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres"]
      interval: 1s
      retries: 60
volumes:
  db_data:
`;
const config = `project: ${project}
evidence: evidence
defaultTarget: local
targets:
  local:
    host: local
    appDir: ${appDir}
  box:
${sshTargetYaml(env, appDir)}`;

const { cli, outputs, json } = recordingCli({ cwd: local, env: { SHIPPROOF_HOME: home } });
function psql(sql: string, db = 'app'): string {
  return execFileSync('docker', ['exec', container, 'psql', '-X', '-q', '-A', '-t', '-U', 'postgres', '-d', db, '-c', sql]).toString().trim();
}
function composeCli(...args: string[]): void {
  execFileSync('docker-compose', ['--project-name', project, '--file', join(local, 'compose.yaml'), ...args], { stdio: 'pipe' });
}
async function waitHealthy(): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const s = execFileSync('docker', ['inspect', '--format', '{{.State.Health.Status}}', container]).toString().trim();
    if (s === 'healthy') return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('db did not become healthy');
}
function manifests(): string[] {
  return readdirSync(backups).filter((n) => n.endsWith('.manifest.json')).sort();
}
function counts(): Record<string, number> {
  return { items: Number(psql('select count(*) from items')), lines: Number(psql('select count(*) from "Order Lines"')) };
}

interface BackupJson {
  ok: boolean;
  backups: { service: string; status: string; reason?: string; path?: string; manifest?: { id: string; file: string; fingerprint: { tables: { table: string; rows: number }[] } } }[];
  notes: string[];
  evidence: { seq: number; record: string };
}
interface RestoreJson {
  ok: boolean;
  results: { id: string; status: string; reason?: string; observations: Record<string, unknown> }[];
  mismatches: string[];
  leftovers: string[];
}

let firstId = '';
let before: Record<string, number> = {};

beforeAll(async () => {
  mkdirSync(local, { recursive: true });
  writeFileSync(join(local, 'compose.yaml'), compose);
  writeFileSync(join(local, 'shipproof.yaml'), config);
  writeFileSync(join(local, '.env'), `POSTGRES_PASSWORD=${dbPassword}\n`, { mode: 0o600 });
  composeCli('up', '--detach');
  await waitHealthy();
  psql('create database app', 'postgres');
  psql(
    "create table items(id int primary key, name text, price numeric); insert into items select g, 'item ' || g, g * 1.5 from generate_series(1, 500) g;" +
      ' create table "Order Lines"(id serial primary key, item int references items(id), qty int);' +
      ' insert into "Order Lines"(item, qty) select (g % 500) + 1, g from generate_series(1, 1200) g;',
  );
  psql('create table notes(t text); insert into notes values (\'in the postgres database\');', 'postgres');
}, 180_000);

afterAll(() => {
  try {
    composeCli('down', '--volumes', '--timeout', '1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('PostgreSQL backups', () => {
  it('backs up through the CLI: a 0600 file in a 0700 folder, a manifest and a sha256sum -c file, evidence with counts', async () => {
    const r = await cli(['--json', 'backup', 'run', 'db']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<BackupJson>(r);
    const b = out.backups[0];
    expect(b?.status).toBe('passed');
    firstId = b?.manifest?.id ?? '';
    expect(firstId).toMatch(/^db-postgres-\d{8}T\d{6}Z$/);
    const modes = listModes(backups);
    expect(statSync(backups).mode & 0o777).toBe(0o700);
    expect(modes[`${firstId}.sql.gz`]).toBe(0o600);
    expect(modes[`${firstId}.manifest.json`]).toBe(0o600);
    expect(modes[`${firstId}.sha256`]).toBe(0o600);
    expect(Object.keys(modes).some((n) => n.endsWith('.partial'))).toBe(false);
    expect(execFileSync('sha256sum', ['-c', `${firstId}.sha256`], { cwd: backups }).toString()).toContain(': OK');
    const m = JSON.parse(readFileSync(join(backups, `${firstId}.manifest.json`), 'utf8')) as { engine: string; image: { id: string }; fingerprint: { tables: { database: string; table: string; rows: number }[] } };
    expect(m.engine).toBe('postgres');
    expect(m.image.id).toMatch(/^sha256:/);
    expect(m.fingerprint.tables).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ database: 'app', table: 'public.items', rows: 500 }),
        expect.objectContaining({ database: 'app', table: 'public."Order Lines"', rows: 1200 }),
        expect.objectContaining({ database: 'postgres', table: 'public.notes', rows: 1 }),
      ]),
    );
    const record = JSON.parse(readFileSync(join(local, 'evidence', `${out.evidence.record}.json`), 'utf8')) as { predicate: { kind: string; status: string; results: { observations: Record<string, unknown> }[] }; subject: { name: string }[] };
    expect(record.predicate).toMatchObject({ kind: 'backup', status: 'passed' });
    expect(record.predicate.results[0]?.observations).toMatchObject({ 'count.rows': 1701, 'count.tables': 3, engine: 'postgres' });
    expect(record.subject[0]?.name).toBe(`${firstId}.sql.gz`);
    before = counts();
  });

  it('rehearses: the scratch copy equals the backup, not the live data that changed since; nothing is left behind', async () => {
    psql("delete from \"Order Lines\" where id <= 100; update items set name = 'changed' where id = 1; insert into items values (501, 'new', 1);");
    const r = await cli(['--json', 'restore', firstId, '--rehearse']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = json<RestoreJson>(r);
    expect(out.results.map((x) => [x.id, x.status])).toEqual([
      ['integrity', 'pass'],
      ['restore', 'pass'],
      ['fingerprint', 'pass'],
      ['cleanup', 'pass'],
    ]);
    expect(out.results.find((x) => x.id === 'fingerprint')?.observations).toMatchObject({ mismatches: 0, 'restored.rows': 1701 });
    await expectNoRehearsalLeftovers();
    // The live service was not touched by the rehearsal.
    expect(counts()).toEqual({ items: 501, lines: 1100 });
    expect(JSON.parse(readFileSync(join(backups, `${firstId}.rehearsal.json`), 'utf8'))).toMatchObject({ status: 'passed', mismatches: 0 });
  });

  it('a backup with one byte changed fails its rehearsal and says so', async () => {
    const file = join(backups, `${firstId}.sql.gz`);
    const original = readFileSync(file);
    const damaged = Buffer.from(original);
    const at = Math.floor(damaged.length / 2);
    damaged[at] = (damaged[at] as number) ^ 0x01;
    writeFileSync(file, damaged);
    try {
      const r = await cli(['--json', 'restore', firstId, '--rehearse']);
      expect(r.code).toBe(1);
      const out = json<RestoreJson>(r);
      expect(out.ok).toBe(false);
      expect(out.results[0]).toMatchObject({ id: 'integrity', status: 'fail', reason: expect.stringMatching(/sha256 of the file differs from its manifest/) });
      expect(JSON.parse(readFileSync(join(backups, `${firstId}.rehearsal.json`), 'utf8'))).toMatchObject({ status: 'failed' });
    } finally {
      writeFileSync(file, original, { mode: 0o600 });
    }
  });

  it('over SSH: a plain backup, and an encrypted one that is unreadable without the identity and restores with it', async () => {
    const plain = await cli(['--target', 'box', '--json', 'backup', 'run', 'db']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(json<BackupJson>(plain).backups[0]?.status).toBe('passed');

    const idFile = join(root, 'age-identity.txt');
    const wrongFile = join(root, 'wrong-identity.txt');
    const kg = await cli(['--json', 'backup', 'keygen', '--out', idFile]);
    expect(kg.code, kg.stderr).toBe(0);
    const { recipient } = json<{ recipient: string }>(kg);
    expect((await cli(['backup', 'keygen', '--out', wrongFile])).code).toBe(0);
    expect(statSync(idFile).mode & 0o777).toBe(0o600);

    const enc = await cli(['--target', 'box', '--json', 'backup', 'run', 'db', '--encrypt-to', recipient]);
    expect(enc.code, enc.stderr).toBe(0);
    const b = json<BackupJson>(enc).backups[0];
    const id = b?.manifest?.id as string;
    const file = join(backups, b?.manifest?.file as string);
    expect(file.endsWith('.sql.gz.age')).toBe(true);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(() => execFileSync('gzip', ['-t', file], { stdio: 'pipe' })).toThrow();
    expect(bytes.includes(Buffer.from('Order Lines'))).toBe(false);

    const noId = await cli(['--target', 'box', '--json', 'restore', id]);
    expect(noId.code).toBe(1);
    expect(json<RestoreJson>(noId).results.find((x) => x.id === 'decrypt')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/encrypted/) });
    const wrong = await cli(['--target', 'box', '--json', 'restore', id, '--identity', wrongFile]);
    expect(wrong.code).toBe(1);
    expect(JSON.stringify(json<RestoreJson>(wrong).results)).toMatch(/other recipients/);
    const right = await cli(['--target', 'box', '--json', 'restore', id, '--identity', idFile]);
    expect(right.code, right.stdout + right.stderr).toBe(0);
    expect(json<RestoreJson>(right).results.map((x) => x.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    const identity = readFileSync(idFile, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-')) as string;
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(identity);
    await expectNoRehearsalLeftovers();
  });

  it('copies off-site: pulled here and pushed to the second target, each read back and verified', async () => {
    const pulled = join(root, 'offsite-here');
    const pushed = join(root, 'offsite-box');
    const r = await cli(['--json', 'backup', 'run', 'db', '--offsite-pull', pulled, '--offsite-push', `box:${pushed}`]);
    expect(r.code, r.stderr).toBe(0);
    const out = json<BackupJson & { offsite: { destination: string; status: string; sha256: string }[] }>(r);
    const file = out.backups[0]?.manifest?.file as string;
    expect(out.offsite.map((x) => [x.destination, x.status])).toEqual([
      [`local:${pulled}`, 'verified'],
      [`box:${pushed}`, 'verified'],
    ]);
    for (const dir of [pulled, pushed]) {
      expect(readFileSync(join(dir, file))).toEqual(readFileSync(join(backups, file)));
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
      expect(execFileSync('sha256sum', ['-c', file.replace(/\.sql\.gz$/, '.sha256')], { cwd: dir }).toString()).toContain(': OK');
    }
    const record = JSON.parse(readFileSync(join(backups, file.replace(/\.sql\.gz$/, '.offsite.json')), 'utf8')) as { copies: { status: string }[] };
    expect(record.copies.map((c) => c.status)).toEqual(['verified', 'verified']);
  });

  it('prunes exactly what the policy says, and never the newest backup', async () => {
    const all = manifests();
    expect(all.length).toBe(4);
    const dry = await cli(['--json', 'backup', 'prune', '--keep', '2', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(json<{ plan: { decisions: { action: string }[] } }>(dry).plan.decisions.filter((d) => d.action === 'delete')).toHaveLength(2);
    expect(manifests()).toEqual(all);
    const r = await cli(['--json', 'backup', 'prune', '--keep', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(manifests()).toEqual(all.slice(-2));
    const left = readdirSync(backups);
    expect(left.some((n) => n.startsWith(firstId))).toBe(false);
  });

  it('status fails when the newest backup is older than the limit', async () => {
    expect((await cli(['backup', 'status', '--max-age', '1h'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 2_100));
    const stale = await cli(['--json', 'backup', 'status', '--max-age', '1s']);
    expect(stale.code).toBe(1);
    expect(json<{ rows: { service: string; state: string }[] }>(stale).rows).toEqual([expect.objectContaining({ service: 'db', state: 'stale' })]);
  });

  it('backup-before-apply: fresh passes, require refuses a stale one, auto takes one, off needs a reason', async () => {
    const cfg = await loadConfig({ cwd: local });
    const target = resolveTargetName(cfg, 'local');
    const host = new LocalTarget();
    const docker = new Docker(host);
    const base = { config: cfg, target, host, docker, services: ['db', 'not-a-db-service'] };
    const fresh = await ensureFreshBackup({ ...base, maxAgeMs: 3_600_000, policy: 'require' });
    expect(fresh.ok).toBe(true);
    expect(fresh.decisions).toEqual([expect.objectContaining({ service: 'db', outcome: 'fresh' })]);
    expect(fresh.ignored).toEqual(['not-a-db-service']);
    const refused = await ensureFreshBackup({ ...base, maxAgeMs: 1, policy: 'require' });
    expect(refused.ok).toBe(false);
    expect(refused.results[0]).toMatchObject({ status: 'fail', reason: expect.stringMatching(/refusing to change db/) });
    const taken = await ensureFreshBackup({ ...base, maxAgeMs: 1, policy: 'auto' });
    expect(taken.ok).toBe(true);
    expect(taken.decisions[0]).toMatchObject({ outcome: 'taken' });
    expect(existsSync(join(backups, `${taken.decisions[0]?.backup?.id}.manifest.json`))).toBe(true);
    await expect(ensureFreshBackup({ ...base, maxAgeMs: 1, policy: 'off' })).rejects.toBeInstanceOf(UsageError);
    const off = await ensureFreshBackup({ ...base, maxAgeMs: 1, policy: 'off', reason: 'schema-only change, reviewed' });
    expect(off.results[0]).toMatchObject({ status: 'skipped', reason: 'backup-before-apply is off: schema-only change, reviewed' });
  });

  it('a stopped service fails its backup clearly, with failure evidence and no file', async () => {
    const names = readdirSync(backups);
    execFileSync('docker', ['stop', '--time', '5', container]);
    try {
      const r = await cli(['--json', 'backup', 'run', 'db']);
      expect(r.code).toBe(1);
      const out = json<BackupJson>(r);
      expect(out.backups[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/db is not running/) });
      const record = JSON.parse(readFileSync(join(local, 'evidence', `${out.evidence.record}.json`), 'utf8')) as { predicate: { status: string } };
      expect(record.predicate.status).toBe('failed');
      expect(readdirSync(backups).filter((n) => !names.includes(n) && !n.endsWith('.last-run.json'))).toEqual([]);
    } finally {
      execFileSync('docker', ['start', container]);
      await waitHealthy();
    }
  });

  describe('with a large table (a dump that takes seconds)', () => {
    beforeAll(() => {
      psql("create table bulk(id int, payload text); insert into bulk select g, md5(g::text) || md5((g + 1)::text) from generate_series(1, 900000) g;");
    }, 120_000);

    /**
     * Runs a backup in the background and calls `during` while the dump is held mid-stream: another
     * session holds an exclusive lock on a table of the last database pg_dumpall reaches, so the
     * dump has streamed the others and then waits on that lock until `during` is done. The test
     * waits for that state (a backend waiting on the lock), not for a guessed moment.
     */
    async function duringDump(args: string[], during: (partial: string) => Promise<void>): Promise<CliResult> {
      const known = new Set(readdirSync(backups));
      psql('create database zz_hold', 'postgres');
      psql('create table held(id int)', 'zz_hold');
      const holder = spawn('docker', ['exec', '-i', container, 'psql', '-X', '-U', 'postgres', '-d', 'zz_hold'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let released = false;
      const exited = new Promise<void>((resolve) => holder.on('close', () => resolve()));
      const release = async (): Promise<void> => {
        if (!released) holder.stdin.end();
        released = true;
        await exited;
      };
      try {
        await new Promise<void>((resolve, reject) => {
          let out = '';
          holder.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes('LOCK TABLE')) resolve();
          });
          holder.on('close', () => reject(new Error(`the lock holder exited: ${out}`)));
          holder.stdin.write('begin;\nlock table held in access exclusive mode;\n');
        });
        const pending = cli(args);
        let done = false;
        void pending.then(() => (done = true));
        for (;;) {
          if (done) throw new Error(`the backup ended before it could be interrupted: ${(await pending).stderr}`);
          const waiting = psql("select count(*) from pg_stat_activity where datname = 'zz_hold' and wait_event_type = 'Lock'", 'postgres');
          const partial = readdirSync(backups).find((n) => n.endsWith('.partial') && !known.has(n));
          if (waiting !== '0' && partial) {
            await during(join(backups, partial));
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        await release();
        return await pending;
      } finally {
        await release();
        psql('drop database zz_hold with (force)', 'postgres');
      }
    }

    it('the password is on no command line while the dump runs', async () => {
      let samples = 0;
      let sawDump = 0;
      const r = await duringDump(['backup', 'run', 'db'], async () => {
        // The dump is held mid-stream: sample every command line until pg_dumpall has been seen a few times.
        while (samples < 6 || sawDump < 2) {
          const { stdout } = await run('ps', ['-eo', 'args']);
          samples++;
          expect(stdout).not.toContain(dbPassword);
          if (stdout.includes('pg_dumpall')) sawDump++;
          expect(samples).toBeLessThan(200);
        }
      });
      expect(r.code, r.stderr).toBe(0);
      expect(sawDump).toBeGreaterThan(1);
    });

    it('killing the dump midway leaves no complete-looking file and records failure evidence', async () => {
      const before = new Set(readdirSync(backups));
      const r = await duringDump(['--json', 'backup', 'run', 'db'], async () => {
        const top = execFileSync('docker', ['top', container, '-o', 'pid,args']).toString();
        const pid = top.split('\n').find((l) => l.includes('pg_dumpall'))?.trim().split(/\s+/)[0];
        expect(pid).toMatch(/^\d+$/);
        execFileSync('kill', ['-9', pid as string]);
      });
      expect(r.code).toBe(1);
      const out = json<BackupJson>(r);
      expect(out.backups[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/postgres dump step exited with code/) });
      const added = readdirSync(backups).filter((n) => !before.has(n));
      expect(added).toEqual([]);
      const record = JSON.parse(readFileSync(join(local, 'evidence', `${out.evidence.record}.json`), 'utf8')) as { predicate: { status: string; results: { status: string }[] } };
      expect(record.predicate.status).toBe('failed');
      expect(JSON.parse(readFileSync(join(backups, 'db.last-run.json'), 'utf8'))).toMatchObject({ status: 'failed' });
    });

    it('a dropped SSH connection fails the backup, leaves nothing, and then nothing is pruned', async () => {
      const before = new Set(readdirSync(backups));
      const r = await duringDump(['--target', 'box', '--json', 'backup', 'run', 'db'], async (partial) => {
        const ps = execFileSync('ps', ['-eo', 'pid=,ppid=,args=']).toString().split('\n').map((l) => l.trim().split(/\s+/));
        const writer = ps.find((p) => p[2] === 'bash' && p.join(' ').includes(partial));
        const session = ps.find((p) => p[0] === writer?.[1]);
        expect(session?.slice(2).join(' ')).toMatch(/^sshd: /);
        execFileSync('kill', ['-9', session?.[0] as string]);
      });
      expect(r.code).toBe(1);
      const out = json<BackupJson>(r);
      expect(out.backups[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/SSH connection .* was lost/) });
      expect(readdirSync(backups).filter((n) => !before.has(n))).toEqual([]);
      const prune = await cli(['--json', 'backup', 'prune', '--keep', '1']);
      expect(prune.code).toBe(1);
      expect(json<{ plan: { refused: { reason: string }[] } }>(prune).plan.refused[0]?.reason).toMatch(/last backup run of db failed/);
      expect(readdirSync(backups).filter((n) => n.endsWith('.manifest.json')).length).toBeGreaterThan(1);
    });

    it('after data shrinks suspiciously, the run succeeds but prunes nothing', async () => {
      psql('drop table bulk');
      const kept = manifests();
      const r = await cli(['--json', 'backup', 'run', 'db', '--keep', '1']);
      expect(r.code, r.stderr).toBe(0);
      const out = json<BackupJson>(r);
      expect(out.notes.join('\n')).toMatch(/not pruned: the newest backup .* under 50%/);
      expect(manifests()).toEqual(expect.arrayContaining(kept));
    });
  });

  it('restores into the live service only with consent, after a backup of it, and the data comes back', async () => {
    type M = { id: string; encryption: unknown; fingerprint: { tables: { database: string; table: string; rows: number }[] } };
    const plain = manifests()
      .map((n) => JSON.parse(readFileSync(join(backups, n), 'utf8')) as M)
      .filter((x) => x.encryption === null);
    const m = plain[plain.length - 1] as M;
    const target = m.id;
    const expected = m.fingerprint.tables.find((t) => t.database === 'app' && t.table === 'public.items')?.rows;
    psql('delete from items where id > 400 and id not in (select item from "Order Lines")');
    const refused = await cli(['restore', target, '--into', 'db']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/needs consent/);
    const n = manifests().length;
    const r = await cli(['--json', 'restore', target, '--into', 'db', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = json<RestoreJson>(r);
    expect(out.results.map((x) => [x.id, x.status])).toEqual([
      ['before-restore.backup.db', 'pass'],
      ['restore', 'pass'],
      ['verify', 'pass'],
      // Nothing depends on db in this stack; the health gate runs after every restore into a live service.
      ['dependents', 'skipped'],
      ['health-gate', 'pass'],
    ]);
    expect(manifests().length).toBe(n + 1);
    expect(Number(psql('select count(*) from items'))).toBe(expected);
  });

  it('audits: the service, its engine class, newest backup and rehearsal', async () => {
    const r = await cli(['--json', 'backup', 'audit']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ rows: { service: string; engine: string; tested: boolean; volumes: string[]; dataBytes: number | null; newest?: { id: string } }[] }>(r);
    expect(out.rows).toEqual([expect.objectContaining({ service: 'db', engine: 'postgres', tested: true, volumes: ['db_data'], newest: expect.objectContaining({ id: expect.stringMatching(/^db-postgres-/) }) })]);
    expect(out.rows[0]?.dataBytes).toBeGreaterThan(1_000_000);
    const human = await cli(['backup', 'audit']);
    expect(human.stdout).toMatch(/db\s+postgres\s+image\s+db_data/);
  });

  it('the planted password appears in no output, evidence record or manifest', () => {
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(dbPassword);
    for (const dir of [join(local, 'evidence'), backups]) {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isFile() && !name.endsWith('.gz') && !name.endsWith('.age')) expect(readFileSync(path, 'utf8')).not.toContain(dbPassword);
      }
    }
    expect(before.items).toBe(500);
  });
});
