import { describe, expect, it } from 'vitest';
import { freshness, formatAge, parseHumanSize, parseVolumeSizes } from '../../src/backup/audit.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import { planPrune, suspiciousDrop } from '../../src/backup/retention.js';
import { parseAge, resolveBackupSettings } from '../../src/backup/settings.js';
import { parseListing, type BackupsFolder } from '../../src/backup/store.js';
import { dependencyOrder } from '../../src/backup/stop.js';
import type { ComposeProject as ComposeModel } from '../../src/compose/model.js';
import type { ResolvedConfig } from '../../src/config/load.js';

const H = (c: string) => c.repeat(64);

function manifest(service: string, createdAt: string, o: Partial<BackupManifest> = {}): BackupManifest {
  const stamp = createdAt.replace(/[-:]/g, '').replace('.000Z', 'Z');
  const id = `${service}-postgres-${stamp}`;
  return {
    schemaVersion: 1,
    id,
    project: 'p',
    target: 'local',
    service,
    engine: 'postgres',
    procedure: 'pg_dumpall',
    tested: true,
    createdAt,
    finishedAt: createdAt,
    durationMs: 1,
    image: { ref: 'postgres:15', id: `sha256:${H('1')}`, repoDigests: [] },
    restoreImage: { ref: 'postgres:15', id: `sha256:${H('1')}` },
    container: 'p_db_1',
    volumes: [],
    command: ['docker', 'exec'],
    format: 'sql',
    compression: 'gzip',
    encryption: null,
    file: `${id}.sql.gz`,
    bytes: 100,
    sha256: H('a'),
    contentSha256: H('a'),
    rawBytes: 1000,
    fingerprint: { kind: 'sql', databases: ['app'], tables: [{ database: 'app', table: 't', rows: 100, sha256: H('c') }] },
    fingerprintDigest: H('d'),
    validation: [],
    stopped: [],
    toolVersion: '0.1.0',
    ...o,
  };
}

/** The listing the folder command would print for these manifests (data files present). */
function listing(ms: BackupManifest[], extra: string[] = []): string {
  return [
    ...ms.map((m) => `F\t${m.bytes}\t${m.file}`),
    ...ms.map((m) => `F\t10\t${m.id}.manifest.json`),
    ...ms.map((m) => `J\t${m.id}.manifest.json\t${JSON.stringify(m)}`),
    ...extra,
  ].join('\n');
}

const days = (n: number) => new Date(Date.UTC(2026, 4, 20) - n * 86_400_000).toISOString().replace(/\.\d{3}Z$/, '.000Z');
const NOW = new Date(Date.UTC(2026, 4, 20, 0, 0, 30));

describe('backups folder listing', () => {
  it('counts a backup complete only with its data file at the recorded size; the rest are orphans', () => {
    const ok = manifest('db', days(1));
    const missing = manifest('db', days(2));
    const short = manifest('db', days(3));
    const text = [
      `F\t${ok.bytes}\t${ok.file}`,
      `F\t5\t${short.file}`,
      `F\t7\tdb-postgres-20260520T000000Z.sql.gz.partial`,
      `J\t${ok.id}.manifest.json\t${JSON.stringify(ok)}`,
      `J\t${missing.id}.manifest.json\t${JSON.stringify(missing)}`,
      `J\t${short.id}.manifest.json\t${JSON.stringify(short)}`,
      `J\tbroken.manifest.json\t{"schemaVersion":1`,
      `J\t${ok.id}.rehearsal.json\t${JSON.stringify({ schemaVersion: 1, id: ok.id, status: 'passed', at: days(0), imageId: null, fingerprintDigest: null, mismatches: 0 })}`,
      `J\tdb.last-run.json\t${JSON.stringify({ schemaVersion: 1, service: 'db', status: 'failed', at: days(0) })}`,
    ].join('\n');
    const folder = parseListing('/b', text);
    expect(folder.backups.map((b) => [b.manifest.id, b.complete, b.problem])).toEqual([
      [ok.id, true, undefined],
      [missing.id, false, 'its data file is missing'],
      [short.id, false, 'its data file is 5 bytes, the manifest says 100'],
    ]);
    expect(folder.backups[0]?.rehearsal?.status).toBe('passed');
    expect(folder.backups[0]?.path).toBe(`/b/${ok.file}`);
    expect(folder.orphans).toEqual([{ name: 'db-postgres-20260520T000000Z.sql.gz.partial', bytes: 7 }]);
    expect(folder.unreadable).toEqual(['broken.manifest.json']);
    expect(folder.lastRuns.get('db')?.status).toBe('failed');
    expect(folder.ids.has('db-postgres-20260520T000000Z')).toBe(true);
    expect(parseListing('/x', 'SHIPPROOF-NO-DIR\n').exists).toBe(false);
  });
});

describe('retention', () => {
  const five = [0, 1, 2, 3, 10].map((d) => manifest('db', days(d)));
  const folder: BackupsFolder = parseListing('/b', listing([...five, manifest('cache', days(30))]));

  it('keeps exactly the newest N per service, and never the newest one', () => {
    const plan = planPrune(folder, { keep: 2, dropThreshold: 0.5, requireOffsite: [] }, NOW);
    const del = plan.decisions.filter((d) => d.action === 'delete').map((d) => d.id);
    expect(del).toEqual([five[2]?.id, five[3]?.id, five[4]?.id]);
    expect(plan.decisions.find((d) => d.service === 'cache')).toMatchObject({ action: 'keep', reason: 'the newest backup of the service' });
  });

  it('keeps backups younger than N days (manifest time, not file time); with both rules, either keeps', () => {
    const byAge = planPrune(folder, { keepDays: 2.5, dropThreshold: 0.5, requireOffsite: [] }, NOW);
    expect(byAge.decisions.filter((d) => d.action === 'delete').map((d) => d.id)).toEqual([five[3]?.id, five[4]?.id]);
    const both = planPrune(folder, { keep: 4, keepDays: 1.5, dropThreshold: 0.5, requireOffsite: [] }, NOW);
    expect(both.decisions.filter((d) => d.action === 'delete').map((d) => d.id)).toEqual([five[4]?.id]);
    const none = planPrune(folder, { dropThreshold: 0.5, requireOffsite: [] }, NOW);
    expect(none.decisions.every((d) => d.action === 'keep')).toBe(true);
  });

  it('refuses after a failed run or a suspicious drop, unless forced', () => {
    const failed = parseListing('/b', listing(five, [`J\tdb.last-run.json\t${JSON.stringify({ schemaVersion: 1, service: 'db', status: 'failed', at: days(0) })}`]));
    const plan = planPrune(failed, { keep: 1, dropThreshold: 0.5, requireOffsite: [] }, NOW);
    expect(plan.refused).toEqual([{ service: 'db', reason: expect.stringContaining('last backup run of db failed') }]);
    expect(plan.decisions.every((d) => d.action === 'keep')).toBe(true);
    expect(planPrune(failed, { keep: 1, dropThreshold: 0.5, requireOffsite: [] }, NOW, { force: true }).decisions.filter((d) => d.action === 'delete')).toHaveLength(4);

    const shrunk = [manifest('db', days(0), { rawBytes: 400 }), ...five.slice(1)];
    const drop = planPrune(parseListing('/b', listing(shrunk)), { keep: 1, dropThreshold: 0.5, requireOffsite: [] }, NOW);
    expect(drop.refused[0]?.reason).toMatch(/400 bytes of data, under 50% of the 1000/);
    const fewerRows = manifest('db', days(0), { fingerprint: { kind: 'sql', databases: ['app'], tables: [{ database: 'app', table: 't', rows: 10, sha256: H('c') }] } });
    expect(suspiciousDrop(parseListing('/b', listing([fewerRows])).backups[0]!, parseListing('/b', listing([five[1]!])).backups[0], 0.5)).toMatch(/counts 10 rows\/keys\/files, under 50% of the 100/);
  });

  it('keeps a backup until its required off-site copies are verified', () => {
    const old = five[4] as BackupManifest;
    const offsite = (status: string) => `J\t${old.id}.offsite.json\t${JSON.stringify({ schemaVersion: 1, id: old.id, copies: [{ destination: 'local:/x', status, at: days(0), sha256: null }] })}`;
    const pending = planPrune(parseListing('/b', listing(five, [offsite('failed')])), { keep: 4, dropThreshold: 0.5, requireOffsite: ['local:/x'] }, NOW);
    expect(pending.decisions.find((d) => d.id === old.id)).toMatchObject({ action: 'keep', reason: 'no verified off-site copy on local:/x yet' });
    const done = planPrune(parseListing('/b', listing(five, [offsite('verified')])), { keep: 4, dropThreshold: 0.5, requireOffsite: ['local:/x'] }, NOW);
    expect(done.decisions.find((d) => d.id === old.id)?.action).toBe('delete');
  });
});

describe('freshness and settings', () => {
  const folder = parseListing('/b', listing([manifest('db', days(2))]));

  it('is stale past max age, missing without a backup, and suspicious when dated in the future', () => {
    const b = folder.backups[0];
    expect(freshness(b, NOW, 3 * 86_400_000).state).toBe('fresh');
    expect(freshness(b, NOW, 86_400_000)).toMatchObject({ state: 'stale', reason: expect.stringMatching(/2d 0h old, more than 1d 0h/) });
    expect(freshness(undefined, NOW, 1).state).toBe('missing');
    expect(freshness(b, new Date(Date.parse(days(2)) - 3_600_000), 86_400_000).state).toBe('future');
    expect(formatAge(5_400_000)).toBe('1h 30m');
    expect(formatAge(42_000)).toBe('42s');
  });

  it('reads docker volume sizes', () => {
    expect(parseHumanSize('158B')).toBe(158);
    expect(parseHumanSize('1.5kB')).toBe(1500);
    expect(parseHumanSize('2.25GB')).toBe(2_250_000_000);
    expect(parseHumanSize('N/A')).toBeUndefined();
    expect(parseVolumeSizes('[{"Name":"a","Size":"1MB"},{"Name":"b","Size":"N/A"}]')).toEqual(new Map([['a', 1_000_000]]));
  });

  it('resolves settings from config and overrides, and rejects bad ones', () => {
    const config = { backups: { keep: 3 } } as unknown as ResolvedConfig;
    const s = resolveBackupSettings(config, { keepDays: 7 });
    expect(s).toMatchObject({ keep: 3, keepDays: 7, maxAgeMs: 26 * 3_600_000, beforeApply: 'auto', encryptTo: [], volumeImage: 'busybox:1.36', gzipLevel: 6 });
    const ext = { backups: { encryptTo: ['age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq'], beforeApply: { policy: 'off', reason: 'r' }, maxAge: 1000 } } as unknown as ResolvedConfig;
    expect(resolveBackupSettings(ext)).toMatchObject({ beforeApply: 'off', beforeApplyReason: 'r', maxAgeMs: 1000 });
    expect(() => resolveBackupSettings(config, { encryptTo: ['not-a-recipient'] })).toThrow(/not an age recipient/);
    expect(() => resolveBackupSettings(config, { keep: 0 })).toThrow();
    expect(parseAge('2d', '--max-age')).toBe(172_800_000);
    expect(parseAge('26h', '--max-age')).toBe(93_600_000);
    expect(() => parseAge('soon', '--max-age')).toThrow(/not a duration/);
  });
});

describe('manifests from the folder are not trusted blindly', () => {
  it('refuses a manifest whose file name points outside the folder', () => {
    const bad = manifest('db', days(1), { file: '../../etc/passwd' });
    const folder = parseListing('/b', listing([bad]));
    expect(folder.backups).toEqual([]);
    expect(folder.unreadable).toEqual([`${bad.id}.manifest.json`]);
  });
});

describe('stopping services for an archive', () => {
  it('orders services so dependencies start first (and stop last)', () => {
    const svc = (name: string, deps: string[]) => ({ name, dependsOn: deps.map((service) => ({ service })) });
    const compose = { services: [svc('web', ['api']), svc('api', ['db', 'cache']), svc('db', []), svc('cache', []), svc('worker', ['db'])] } as unknown as ComposeModel;
    expect(dependencyOrder(compose, ['web', 'db', 'worker', 'api'])).toEqual(['db', 'api', 'web', 'worker']);
    expect(dependencyOrder(undefined, ['b', 'a'])).toEqual(['b', 'a']);
  });
});
