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

async function record(kind: string, status: RecordStatus, release?: string, milestone?: number, extra: Partial<CheckResult> = {}): Promise<void> {
  await recordEvidence(statement(kind, status, release, milestone, extra), { config, home });
}

async function handover(now: Date = NOW): Promise<string> {
  const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: dir });
  const written = await writeHandover({ config, settings, cwd: dir, commands: COMMANDS, now: () => now });
  expect(written.path).toBe(join(dir, 'HANDOVER.md'));
  return readFileSync(written.path, 'utf8');
}

describe('HANDOVER.md', () => {
  it('says honestly that no deploy is recorded yet', async () => {
    const text = await handover();
    expect(text).toContain('- **Last deploy:** no deploy recorded yet.');
    expect(text).toContain('- **Current release:** none recorded.');
    expect(text).toContain('### Milestones (no release recorded yet)');
    expect(text).toContain('no backup recorded in the ledger; whether backups exist on the server is unknown');
    expect(text).toContain('1. Deploy for the first time: `shipproof --target prod deploy`.');
  });

  it('names the deployed release, the milestone table, watch-outs and next steps, and no secret', async () => {
    const release = '20261123T150000Z-3f2a9c1';
    for (let n = 1; n <= 7; n++) await record('milestone', 'passed', release, n);
    await record('milestone', 'failed', release, 8);
    await record('deploy', 'passed', release);
    await record('collect', 'passed', undefined, undefined, {
      id: 'tls',
      observations: { 'shop.example.com.daysLeft': 9, 'shop.example.com.notAfter': '2026-12-02T00:00:00.000Z' },
    });

    const text = await handover();
    expect(text).toMatch(new RegExp(`- \\*\\*Last deploy:\\*\\* passed, release \`${release}\`, at `));
    expect(text).toContain(`- **Current release:** \`${release}\` (from deploy #9`);
    expect(text).toContain(`### Milestones of release \`${release}\``);
    expect(text).toContain('| 7 | Health gate passes | passed |');
    expect(text).toContain('| 8 | Reverse proxy / TLS serves | failed |');
    expect(text).toContain('| 9 | Backup runs | pending | — |');
    expect(text).toContain('- **Server:** `ssh -p 2222 deploy@203.0.113.10`');
    expect(text).toContain('| Roll back to the previous healthy release | `shipproof --target prod rollback` |');
    expect(text).toContain('| Back up the stateful services | _not available in shipproof 0.1.0_ |');
    expect(text).toContain('| Restore a backup into a live service (asks first, backs it up before) | _not available in shipproof 0.1.0_ |');
    expect(text).toContain('Env files on the server** (names only; values never leave the server): `.env.prod`');
    // Watch-outs.
    expect(text).toContain(`Evidence: the newest milestone 8 (proxy-tls) record is **failed** (#8, `);
    expect(text).toContain('Certificate of shop.example.com: expires in 9 days (seen by collect #10');
    expect(text).toContain('Backups: none recorded in the ledger.');
    expect(text).toContain('- Images: shipproof.lock does not exist, so no image is pinned.');
    expect(text).toContain('\n  - `compose.yaml:3:5` warning image-pinned: Service "web" runs ghcr.io/shop/web:1.2.0, pinned by a tag only.\n');
    expect(text).toContain('Lint: 0 errors, 2 warnings');
    // Next steps.
    expect(text).toContain(`Milestones without passing evidence for \`${release}\`: 8 proxy-tls (failed), 9 backup-runs (pending), 10 restore-rehearsal (pending).`);
    expect(text).toContain('Human item `tls-smoke` (needs a person): open https://shop.example.com — expected: the shop with a valid certificate.');
    // No secret, though the env file, the ledger's (redacted) reasons and the redactor all saw them.
    expect(text).not.toContain(dbPassword);
    expect(text).not.toContain(apiKey);
  });

  it('follows a rollback to the release it returned to, and flags a stale backup', async () => {
    await record('deploy', 'passed', 'r1');
    await record('backup', 'passed');
    await record('deploy', 'failed', 'r2');
    await record('rollback', 'passed', 'r1');
    // Records carry the real clock's time; the handover is written three days later.
    const text = await handover(new Date(Date.now() + 3 * 86_400_000));
    expect(text).toContain('- **Last deploy:** failed, release `r2`');
    expect(text).toContain('- **Last rollback:** passed, to release `r1`');
    expect(text).toContain('- **Current release:** `r1` (from rollback #4');
    expect(text).toContain('Evidence: the newest deploy record is **failed** (#3');
    expect(text).toContain('- Backups: stale — the last passing backup is 3 days old.');
    expect(text).toMatch(/- \*\*Backups:\*\* last backup passed at .* \(3 days ago, #2\); no restore rehearsal recorded\./);
  });
});

describe('the runbook', () => {
  it('names the exact backup and restore commands when this shipproof has them', async () => {
    const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: dir });
    const written = await writeHandover({ config, settings, cwd: dir, commands: [...COMMANDS, 'backup', 'restore'], configFlag: 'ops/shipproof.yaml', now: () => NOW });
    expect(written.text).toContain('| Back up the stateful services | `shipproof --config ops/shipproof.yaml --target prod backup run` |');
    expect(written.text).toContain('| Rehearse a restore into a scratch container | `shipproof --config ops/shipproof.yaml --target prod restore <backup> --rehearse` |');
  });
});
