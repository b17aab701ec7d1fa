// Backups of MariaDB for real: mariadb-dump --single-transaction with the root password read
// inside the container, a rehearsal that proves the earlier state came back, a real restore, and
// a wrong password failing the backup with failure evidence and no file. Local target.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingCli } from '../helpers/cli.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';
import { expectNoRehearsalLeftovers } from './backup-helpers.js';

requireTestEnv();
requireDocker();

const project = `sp-bkmd-${randomBytes(3).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-backup-md-'));
const local = join(root, 'project');
const appDir = join(root, 'server', 'app');
const backups = join(appDir, 'backups');
const home = join(root, 'home');
const rootPassword = `Md-${randomBytes(12).toString('hex')}`;
const container = `${project}_sql_1`;

const compose = `services:
  sql:
    image: shipproof-offline/mariadb:10.11
    env_file: .env
    environment:
      MARIADB_DATABASE: shop
    volumes: ["sql_data:/var/lib/mysql"]
volumes:
  sql_data:
`;
const config = `project: ${project}
evidence: evidence
targets:
  local:
    host: local
    appDir: ${appDir}
`;

const { cli, outputs, json } = recordingCli({ cwd: local, env: { SHIPPROOF_HOME: home } });
function sql(statement: string, password = rootPassword): string {
  return execFileSync('docker', ['exec', '-e', `MYSQL_PWD=${password}`, container, 'mariadb', '-uroot', '-N', '-B', 'shop', '-e', statement]).toString().trim();
}
function composeCli(...args: string[]): void {
  execFileSync('docker-compose', ['--project-name', project, '--file', join(local, 'compose.yaml'), ...args], { stdio: 'pipe' });
}

interface BackupJson {
  ok: boolean;
  backups: { status: string; reason?: string; manifest?: { id: string; fingerprint: { databases: string[]; tables: { database: string; table: string; rows: number }[] } } }[];
  evidence: { record: string };
}
interface RestoreJson {
  ok: boolean;
  results: { id: string; status: string; reason?: string }[];
  mismatches: string[];
}

let id = '';

beforeAll(async () => {
  mkdirSync(local, { recursive: true });
  writeFileSync(join(local, 'compose.yaml'), compose);
  writeFileSync(join(local, 'shipproof.yaml'), config);
  writeFileSync(join(local, '.env'), `MARIADB_ROOT_PASSWORD=${rootPassword}\n`, { mode: 0o600 });
  composeCli('up', '--detach');
  for (let i = 0; i < 120; i++) {
    try {
      sql('select 1');
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  sql(
    "create table products(id int primary key, name text, note text); insert into products select seq, concat('p', seq), if(seq % 7 = 0, 'it''s (tricky),(x); right', null) from seq_1_to_400;" +
      ' create table empty_one(x int); create table `odd name`(v varchar(20)); insert into `odd name` values (\'a\\nb\'), (\'c\');',
  );
}, 180_000);

afterAll(() => {
  try {
    composeCli('down', '--volumes', '--timeout', '1');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('MariaDB backups', () => {
  it('dumps the application databases with counts per table', async () => {
    const r = await cli(['--json', 'backup', 'run']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const b = json<BackupJson>(r).backups[0];
    expect(b?.status).toBe('passed');
    id = b?.manifest?.id as string;
    expect(id).toMatch(/^sql-mariadb-/);
    expect(b?.manifest?.fingerprint.databases).toEqual(['shop']);
    expect(b?.manifest?.fingerprint.tables.map((t) => [t.table, t.rows])).toEqual([
      ['empty_one', 0],
      ['odd name', 2],
      ['products', 400],
    ]);
  });

  it('rehearses: the scratch copy equals the backup, not the changed live data', async () => {
    sql("delete from products where id > 390; update `odd name` set v = 'changed' where v = 'c';");
    const r = await cli(['--json', 'restore', id, '--rehearse']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(json<RestoreJson>(r).results.map((x) => [x.id, x.status])).toEqual([
      ['integrity', 'pass'],
      ['restore', 'pass'],
      ['fingerprint', 'pass'],
      ['cleanup', 'pass'],
    ]);
    await expectNoRehearsalLeftovers();
    expect(sql('select count(*) from products')).toBe('390');
  });

  it('restores into the live service after taking a backup of it', async () => {
    const r = await cli(['--json', 'restore', id, '--into', 'sql', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // No service depends on sql, so there is nothing to stop around it; the gate still runs.
    expect(json<RestoreJson>(r).results.map((x) => [x.id, x.status])).toEqual([
      ['before-restore.backup.sql', 'pass'],
      ['restore', 'pass'],
      ['verify', 'pass'],
      ['dependents', 'skipped'],
      ['health-gate', 'pass'],
    ]);
    expect(sql('select count(*) from products')).toBe('400');
    expect(sql("select count(*) from `odd name` where v = 'c'")).toBe('1');
  });

  it('a wrong password fails the backup: failure evidence, no file, nothing secret printed', async () => {
    const other = `Other-${randomBytes(8).toString('hex')}`;
    sql(`alter user 'root'@'localhost' identified by '${other}'; alter user 'root'@'%' identified by '${other}'; flush privileges;`);
    const names = new Set(readdirSync(backups));
    const r = await cli(['--json', 'backup', 'run', 'sql']);
    expect(r.code).toBe(1);
    const out = json<BackupJson>(r);
    expect(out.backups[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/Access denied/) });
    expect(readdirSync(backups).filter((n) => !names.has(n) && !n.endsWith('.last-run.json'))).toEqual([]);
    const record = JSON.parse(readFileSync(join(local, 'evidence', `${out.evidence.record}.json`), 'utf8')) as { predicate: { status: string } };
    expect(record.predicate.status).toBe('failed');
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(rootPassword);
    for (const n of readdirSync(join(local, 'evidence'))) expect(readFileSync(join(local, 'evidence', n), 'utf8')).not.toContain(rootPassword);
  });
});
