// HANDOVER.md from a ledger written the way deploy writes it (milestone, deploy and rollback
// records carrying release ids, through recordEvidence): it names the real release, says honestly
// when nothing was deployed, lists what to watch and what is next, and holds no planted secret.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type ResolvedConfig } from '../../src/config/load.js';
import { registerKnownSecrets } from '../../src/core/known-secrets.js';
import { writeHandover } from '../../src/handover/handover.js';
import { recordEvidence } from '../../src/evidence/record.js';
import { EVIDENCE_PREDICATE_TYPE, STATEMENT_TYPE, type CheckResult, type EvidenceStatement, type RecordStatus } from '../../src/evidence/predicate-schema.js';
import { MILESTONES } from '../../src/milestones/catalog.js';
import { loadProjectSettings } from '../../src/verify/settings.js';

const dbPassword = `Pg-${randomBytes(12).toString('hex')}`;
const apiKey = `sk_live_${randomBytes(18).toString('base64url')}`;
const NOW = new Date('2026-11-23T18:00:00Z');
const COMMANDS = ['deploy', 'rollback', 'collect', 'verify', 'lint', 'pin', 'handover'];

let dir: string;
let home: string;
let config: ResolvedConfig;

beforeEach(async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipproof-handover-'));
  dir = join(root, 'shop');
  home = join(root, 'home');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'compose.yaml'),
    [
      'services:',
      '  web:',
      '    image: ghcr.io/shop/web:1.2.0',
      '    restart: unless-stopped',
      '    env_file: .env.prod',
      '    healthcheck: { test: ["CMD", "true"] }',
      '    depends_on: { db: { condition: service_healthy } }',
      '  db:',
      '    image: postgres:16.4',
      '    restart: unless-stopped',
      '    env_file: .env.prod',
      '    volumes: ["pgdata:/var/lib/postgresql/data"]',
      '    healthcheck: { test: ["CMD", "pg_isready"] }',
      'volumes:',
      '  pgdata:',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'shipproof.yaml'), 'targets:\n  prod: ssh://deploy@203.0.113.10:2222\nenvFiles:\n  - path: .env.prod\n    required: [POSTGRES_PASSWORD, API_KEY]\n');
  // The operator's copy of the env file: the redactor learns these values, and they must not be written.
  writeFileSync(join(dir, '.env.prod'), `POSTGRES_PASSWORD=${dbPassword}\nAPI_KEY=${apiKey}\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'shipproof.verify.yaml'),
    'verify:\n  phase: launch\n  truths:\n    - truth: the site answers\n      checks: [tls-smoke]\n  human:\n    - id: tls-smoke\n      test: open https://shop.example.com\n      expected: the shop with a valid certificate\n      why: needs a browser outside the server\n',
  );
  config = await loadConfig({ cwd: dir });
  await registerKnownSecrets(config);
});

afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

function statement(kind: string, status: RecordStatus, release?: string, milestone?: number, extra: Partial<CheckResult> = {}): EvidenceStatement {
  const m = milestone === undefined ? undefined : MILESTONES[milestone - 1];
  const result: CheckResult = {
    id: kind,
    title: `${kind} step`,
    gate: true,
    status: status === 'passed' ? 'pass' : 'fail',
    ...(status === 'passed' ? {} : { reason: `failed while DATABASE_URL=postgres://app:${dbPassword}@db/app was set` }),
    durationMs: 5,
    observations: {},
    commands: [],
    ...extra,
  };
  return {
    _type: STATEMENT_TYPE,
    subject: [],
    predicateType: EVIDENCE_PREDICATE_TYPE,
    predicate: {
      schemaVersion: 1,
      kind,
      title: `${kind}${m === undefined ? '' : ` ${m.id}`}`,
      project: 'shop',
      target: { name: 'prod', description: 'deploy@203.0.113.10:2222' },
      ...(release === undefined ? {} : { release }),
      ...(m === undefined ? {} : { milestone: { number: m.number, id: m.id } }),
      startedAt: '2026-11-23T15:00:00.000Z',
      finishedAt: '2026-11-23T15:00:01.000Z',
      toolVersion: '0.1.0',
      operator: 'ana',
      status,
      summary: { passed: status === 'passed' ? 1 : 0, failed: status === 'passed' ? 0 : 1, error: 0, skipped: 0 },
      results: [result],
      redactions: [],
      notCollected: [],
    },
  };
}

async function record(kind: string, status: RecordStatus, release?: string, milestone?: number, extra: Partial<CheckResult> = {}, more: Partial<EvidenceStatement['predicate']> = {}): Promise<number> {
  const st = statement(kind, status, release, milestone, extra);
  Object.assign(st.predicate, more);
  const { entry } = await recordEvidence(st, { config, home });
  return entry.seq;
}

/** Every "#N `record`" a line names must be a ledger record of that number and name. */
function claimsBacked(text: string, records: { seq: number; record: string }[]): void {
  for (const m of text.matchAll(/\[#(\d+) `([^`]+)`\]\(([^)]+)\)/g)) {
    const r = records[Number(m[1]) - 1];
    expect(r?.record, m[0]).toBe(m[2]);
    expect(m[3]).toBe(`docs/evidence/${m[2]}.md`);
  }
}

async function handover(now: Date = NOW): Promise<string> {
  const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: dir });
  const written = await writeHandover({ config, settings, cwd: dir, commands: COMMANDS, now: () => now });
  expect(written.path).toBe(join(dir, 'HANDOVER.md'));
  return readFileSync(written.path, 'utf8');
}

describe('HANDOVER.md', () => {
  it('says honestly that nothing is recorded yet', async () => {
    const text = await handover();
    expect(text).toContain('- **Current release:** none recorded _(no record)_');
    expect(text).toContain('- **Last good release:** none recorded _(no record)_');
    expect(text).toContain('### Milestones (no release recorded yet)');
    expect(text).toContain('no backup recorded _(no record)_');
    expect(text).toContain('Nothing was deployed, rolled back, backed up or restored.');
    expect(text).toContain('1. Deploy for the first time: `shipproof --target prod deploy`.');
  });

  it('names the deployed release with its record, the milestone table, watch-outs and next steps, and no secret', async () => {
    const release = '20261123T150000Z-3f2a9c1';
    for (let n = 1; n <= 7; n++) await record('milestone', 'passed', release, n);
    await record('milestone', 'failed', release, 8);
    await record('deploy', 'passed', release);
    await record('collect', 'passed', undefined, undefined, {
      id: 'tls',
      observations: { 'shop.example.com.daysLeft': 9, 'shop.example.com.notAfter': '2026-12-02T00:00:00.000Z' },
    });

    const text = await handover();
    const entries = await (await import('../../src/evidence/store.js')).EvidenceStore.open(config.evidenceDir).list();
    claimsBacked(text, entries);
    expect(text).toMatch(new RegExp(`- \\*\\*Current release:\\*\\* \`${release}\` — \\[#9 `));
    expect(text).toMatch(new RegExp(`- \\*\\*Last good release:\\*\\* \`${release}\` — \\[#9 `));
    expect(text).toContain(`### Milestones of release \`${release}\``);
    expect(text).toMatch(/\| 7 \| Health gate passes \| passed \| \[#7 /);
    expect(text).toMatch(/\| 8 \| Reverse proxy \/ TLS serves \| failed \| \[#8 /);
    expect(text).toContain('| 9 | Backup runs | pending | no record |');
    expect(text).toMatch(/- \S+ Release `20261123T150000Z-3f2a9c1` was deployed: every milestone passed or did not apply\. — \[#9 /);
    expect(text).toContain('- **Server:** `ssh -p 2222 deploy@203.0.113.10`');
    expect(text).toContain('| Roll back to the previous healthy release | `shipproof --target prod rollback` |');
    expect(text).toContain('Env files on the server** (names only; values never leave the server): `.env.prod`');
    expect(text).toContain('- **Off-site copies:** none configured in shipproof.yaml, so every backup lives only on prod _(no record)_');
    expect(text).toContain('- **Retention:** none configured: backups are never pruned (from shipproof.yaml) _(no record)_');
    // Watch-outs.
    expect(text).toMatch(/Evidence: the newest milestone 8 \(proxy-tls\) record is \*\*failed\*\* \(release `20261123T150000Z-3f2a9c1`\) — \[#8 /);
    expect(text).toMatch(/Certificate of shop\.example\.com: expires in 9 days \(seen at \S+\) — \[#10 /);
    expect(text).toContain('- Images: shipproof.lock does not exist, so no image is pinned. _(no record)_');
    expect(text).toContain('\n  - `compose.yaml:3:5` warning image-pinned: Service "web" runs ghcr.io/shop/web:1.2.0, pinned by a tag only.\n');
    // Next steps.
    expect(text).toContain(`Milestones without passing evidence for \`${release}\`: 8 proxy-tls (failed), 9 backup-runs (pending), 10 restore-rehearsal (pending).`);
    expect(text).toContain('Human item `tls-smoke` (needs a person): open https://shop.example.com — expected: the shop with a valid certificate.');
    expect(text).not.toContain(dbPassword);
    expect(text).not.toContain(apiKey);
  });

  it('a milestone skipped as not applicable is not a next step', async () => {
    for (let n = 1; n <= 7; n++) await record('milestone', 'passed', 'r1', n);
    for (let n = 8; n <= 10; n++) await record('milestone', 'skipped', 'r1', n, { status: 'skipped', reason: 'no domains are declared' }, { summary: { passed: 0, failed: 0, error: 0, skipped: 1 } });
    await record('deploy', 'passed', 'r1');
    const text = await handover();
    expect(text).toContain('| 8 | Reverse proxy / TLS serves | did not apply |');
    expect(text).not.toContain('Milestones without passing evidence');
    expect(text).not.toContain('no domains are declared');
  });

  it('tells deploys, failures, rollbacks, crashed deploys, live restores and rehearsals apart', async () => {
    await record('deploy', 'passed', 'r1');
    await record('backup', 'passed', undefined, undefined, { id: 'backup.db' });
    await record('milestone', 'passed', 'r2', 1);
    await record('milestone', 'failed', 'r2', 7, { title: 'Health gate' });
    await record('rollback', 'passed', 'r1', undefined, { id: 'health-gate-after-rollback' }, { rollback: { from: 'r2', to: 'r1', serves: true } });
    await record('deploy', 'failed', 'r2');
    await record('milestone', 'passed', 'r3', 1);
    await record('milestone', 'passed', 'r3', 2);
    await record('restore', 'passed', undefined, undefined, { id: 'restore', title: 'Restore into db' }, { title: 'Restore of db-20261123 into db on prod' });
    // As rehearse.ts writes it: its restore step goes "into a scratch container".
    await record('restore', 'passed', undefined, undefined, { id: 'restore', title: 'Restore into a scratch container' }, { title: 'Restore rehearsal of db-20261123 on prod' });
    const text = await handover();
    const entries = await (await import('../../src/evidence/store.js')).EvidenceStore.open(config.evidenceDir).list();
    claimsBacked(text, entries);
    const happened = text.split('## What happened')[1]!.split('## Operating essentials')[0]!;
    const lines = happened.split('\n').filter((l) => l.startsWith('- '));
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/Release `r1` was deployed.* — \[#1 /);
    expect(lines[1]).toMatch(/Backup taken \(db passed\)\. — \[#2 /);
    expect(lines[2]).toMatch(/\*\*A deploy of release `r2` failed at milestone 7 \(health-gate\): Health gate: failed while/);
    expect(lines[3]).toMatch(/Rolled back automatically from `r2` to `r1`: `r1` serves\. — \[#5 /);
    expect(lines[4]).toMatch(/\*\*A deploy of release `r3` stopped after milestone 2 \(env-files-present, passed\) and wrote no deploy record: it crashed or was killed\.\*\* — \[#7 .*\[#8 /);
    expect(happened).toMatch(/Restore into the live service `db` from backup `db-20261123`.*— \[#9 /);
    expect(happened).toMatch(/Restore rehearsal of backup `db-20261123` \(into a scratch container.*— \[#10 /);
    expect(happened.match(/rehearsal/gi)).toHaveLength(1);
    expect(text).toMatch(/- \*\*Current release:\*\* `r1` — \[#5 /);
    expect(text).toMatch(/last restore into a live service passed at .* — \[#9 /);
    // The live restore came after the last health observation (the rollback's gate).
    expect(text).toContain('**Stale:** something changed after it');
    expect(text).not.toContain(dbPassword);
  });

  it('a failed rollback says nothing serves, first in the next steps', async () => {
    await record('deploy', 'passed', 'r1');
    await record('rollback', 'failed', 'r1', undefined, { id: 'health-gate-after-rollback' }, { rollback: { from: 'r2', to: 'r1', serves: false } });
    const text = await handover();
    expect(text).toMatch(/- \*\*Current release:\*\* \*\*nothing serves\*\* — the newest rollback failed — \[#2 /);
    expect(text).toMatch(/1\. Bring prod back: nothing serves since the failed rollback/);
    expect(text).toContain('Rollback failed automatically: nothing serves');
  });

  it('lists only what happened since the last handover', async () => {
    await record('deploy', 'passed', 'r1');
    await handover();
    await record('deploy', 'passed', 'r2');
    const text = await handover();
    expect(text).toContain('## What happened since the last handover (records after #1)');
    expect(text).toContain('Release `r2` was deployed');
    expect(text).not.toContain('Release `r1` was deployed');
  });

  it('flags a stale backup', async () => {
    await record('deploy', 'passed', 'r1');
    await record('backup', 'passed');
    const text = await handover(new Date(Date.now() + 3 * 86_400_000));
    expect(text).toMatch(/- Backups: stale — the last passing backup is 3 days old — \[#2 /);
    expect(text).toMatch(/Rehearse a restore of the newest backup/);
  });
});

describe('the runbook', () => {
  it('names the exact backup and restore commands when this shipproof has them', async () => {
    const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: dir });
    const written = await writeHandover({ config, settings, cwd: dir, commands: [...COMMANDS, 'backup', 'restore'], configFlag: 'ops/shipproof.yaml', now: () => NOW });
    expect(written.text).toContain('| Back up the stateful services | `shipproof --config ops/shipproof.yaml --target prod backup run` |');
    expect(written.text).toContain('| Rehearse a restore into a scratch container (the live service is untouched) | `shipproof --config ops/shipproof.yaml --target prod restore <backup> --rehearse` |');
  });
});
