// Records that read well: file names carry the milestone, the status line cannot read against the
// status, a rollback says plainly where it went and whether that serves, a deploy's summary rows
// point at the record with the detail, and what changed between releases is listed by name.
import { afterEach, describe, expect, it } from 'vitest';
import { renderEvidenceMarkdown } from '../../src/evidence/render-markdown.js';
import { recordLabel } from '../../src/evidence/store.js';
import { buildStatement, recordStatus } from '../../src/evidence/statement.js';
import { releaseChanges, noChanges } from '../../src/evidence/release-changes.js';
import type { CheckResult } from '../../src/evidence/predicate-schema.js';
import { sandbox, type Sandbox } from '../fixtures/evidence/helpers.js';

const T0 = new Date('2026-12-01T10:00:00.000Z');
const T1 = new Date('2026-12-01T10:00:02.500Z');

function result(id: string, status: CheckResult['status'], extra: Partial<CheckResult> = {}): CheckResult {
  return { id, title: id, gate: true, status, ...(status === 'pass' ? {} : { reason: `${id} ${status}` }), durationMs: 1200, observations: {}, commands: [], ...extra };
}

function base(kind: string, results: CheckResult[], extra: Partial<Parameters<typeof buildStatement>[0]> = {}) {
  return buildStatement({
    kind,
    title: `${kind} record`,
    project: 'webapp',
    target: { name: 'local', description: 'this machine' },
    startedAt: T0,
    finishedAt: T1,
    operator: 'ana',
    toolVersion: '9.9.9',
    results,
    subjects: [],
    notCollected: [],
    ...extra,
  });
}

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
});

describe('record names', () => {
  it('say which milestone a record is', () => {
    expect(recordLabel({ kind: 'milestone', milestone: { number: 6, id: 'stack-starts' } })).toBe('m06-stack-starts');
    expect(recordLabel({ kind: 'milestone', milestone: { number: 10, id: 'restore-rehearsal' } })).toBe('m10-restore-rehearsal');
    expect(recordLabel({ kind: 'approval', milestone: { number: 6, id: 'stack-starts' } })).toBe('approval-m06-stack-starts');
    expect(recordLabel({ kind: 'deploy' })).toBe('deploy');
  });

  it('are used for the files in the folder', async () => {
    sb = await sandbox();
    const store = sb.open();
    const st = base('milestone', [result('stack-starts', 'pass')], { milestone: { number: 6, id: 'stack-starts' }, release: 'r1' });
    const a = await store.append(st, { kind: 'milestone', target: 'local', status: 'passed', release: 'r1', milestone: { number: 6, id: 'stack-starts' } });
    const b = await store.append(st, { kind: 'milestone', target: 'local', status: 'passed', release: 'r1', milestone: { number: 6, id: 'stack-starts' } });
    expect(a.record).toMatch(/^\d{8}T\d{6}Z-local-m06-stack-starts$/);
    expect(b.record).not.toBe(a.record);
    expect(a.files.map((f) => f.name)).toEqual([`${a.record}.json`, `${a.record}.md`, `${a.record}.dsse.json`]);
  });
});

describe('the one statement builder', () => {
  it('counts, takes the gate rule for the status, and never finishes before it starts', () => {
    const st = base('collect', [result('a', 'pass'), result('b', 'fail', { gate: false })], { finishedAt: new Date(T0.getTime() - 5000) });
    expect(st.predicate.summary).toEqual({ passed: 1, failed: 1, error: 0, skipped: 0 });
    expect(st.predicate.status).toBe('passed');
    expect(st.predicate.finishedAt).toBe(st.predicate.startedAt);
    expect(recordStatus([result('a', 'skipped')])).toBe('pending');
  });
});

describe('rendering', () => {
  it('counts gates apart from other results, so a passed rollback does not read "1 failed"', () => {
    const st = base('rollback', [result('failure', 'fail', { gate: false }), result('restore-release', 'pass'), result('health-gate-after-rollback', 'pass')], {
      status: 'passed',
      release: 'r1',
      rollback: { from: 'r2', to: 'r1', serves: true },
    });
    const md = renderEvidenceMarkdown(st);
    expect(md).toContain('**Rolled back from r2 to r1: r1 serves.**');
    expect(md).toContain('**Status: PASSED** — 2 gates: 2 passed; 1 other result (not gates): 1 failed');
    expect(md).not.toContain('2 passed, 1 failed');
  });

  it('says a failed rollback leaves nothing serving', () => {
    const st = base('rollback', [result('restore-release', 'pass'), result('health-gate-after-rollback', 'fail')], {
      status: 'failed',
      release: 'r1',
      rollback: { from: 'r2', to: 'r1', serves: false },
    });
    expect(renderEvidenceMarkdown(st)).toContain('**Rollback failed: nothing serves (tried to go from r2 back to r1).**');
  });

  it('shows real durations and commands, and a summary row points at the record with them', () => {
    const cmd = { argv: ['docker', 'compose', 'up', '-d'], exitCode: 0, durationMs: 3400, attempts: 1, timedOut: false, stdout: { sha256: 'a'.repeat(64), bytes: 10 }, stderr: { sha256: 'b'.repeat(64), bytes: 0 } };
    const st = base('deploy', [
      result('stack-starts', 'pass', { durationMs: 3456, commands: [cmd] }),
      result('m7-health-gate', 'pass', { durationMs: 0, observations: { record: '20261201T100000Z-local-m07-health-gate' } }),
    ]);
    const md = renderEvidenceMarkdown(st);
    expect(md).toContain('pass (gate) in 3456 ms.');
    expect(md).toContain('`docker compose up -d` → exit 0 in 3400 ms');
    expect(md).toContain('pass (gate); its duration and commands are in record `20261201T100000Z-local-m07-health-gate`.');
    expect(md.split('### m7-health-gate')[1]!.split('###')[0]).not.toContain('No commands ran');
  });

  it('a result nothing timed says so, never "0 ms"', () => {
    const { durationMs: _none, ...untimed } = result('failure', 'fail');
    const md = renderEvidenceMarkdown(base('rollback', [untimed, result('health-gate-after-rollback', 'pass')]));
    const section = md.split('### failure')[1]!.split('###')[0]!;
    expect(section).toContain('fail (gate); not timed (no duration was measured for it).');
    expect(section).not.toContain('0 ms');
  });

  it('lists what changed against the previous release by name, never values', () => {
    const changes = releaseChanges(
      { id: 'r1', files: { 'app.js': '1', 'old.txt': '2', Caddyfile: '3' }, images: { db: 'sha256:aaa' }, env: { '.env': 'f1' }, services: { web: 'c1', db: 'c2' } },
      { id: 'r2', files: { 'app.js': '9', Caddyfile: '3', 'new.txt': '4' }, images: { db: 'sha256:bbb' }, env: { '.env': 'f2' }, services: { web: 'c9', db: 'c2' } },
    );
    expect(changes).toEqual({
      against: 'r1',
      files: { added: ['new.txt'], changed: ['app.js'], removed: ['old.txt'] },
      services: ['web'],
      images: ['db: sha256:aaa -> sha256:bbb'],
      env: ['.env'],
    });
    expect(noChanges(changes)).toBe(false);
    const md = renderEvidenceMarkdown(base('deploy', [result('x', 'pass')], { changes }));
    expect(md).toContain('## What changed against release r1');
    expect(md).toContain('- Files changed: `app.js`');
    expect(md).toContain('- Env files changed (fingerprint only): `.env`');
    expect(md).not.toContain('f2');
    const same = releaseChanges({ id: 'r1', files: { a: '1' }, images: { web: 'x' } }, { id: 'r2', files: { a: '1' }, images: { web: 'x' } });
    expect(noChanges(same)).toBe(true);
    expect(renderEvidenceMarkdown(base('deploy', [result('x', 'pass')], { changes: same }))).toContain('Nothing changed.');
  });
});

describe('what changed, from the ledger', () => {
  it('diffs a release against the newest deployed one before it, by file and env fingerprint', async () => {
    sb = await sandbox();
    const { recordEvidence } = await import('../../src/evidence/record.js');
    const { changesSincePrevious, releaseSubjects } = await import('../../src/evidence/release-changes.js');
    const h = (c: string) => c.repeat(64);
    const r1 = releaseSubjects([{ rel: 'app.js', sha256: h('1') }, { rel: 'Caddyfile', sha256: h('2') }], ['.env:fp-one']);
    const r2 = releaseSubjects([{ rel: 'app.js', sha256: h('3') }, { rel: 'Caddyfile', sha256: h('2') }, { rel: 'new.sql', sha256: h('4') }], ['.env:fp-two']);
    expect(await changesSincePrevious(sb.dir, 'local', 'r1', r1)).toBeUndefined();
    await recordEvidence(base('deploy', [result('m1', 'pass')], { release: 'r1', subjects: r1 }), { config: { evidenceDir: sb.dir }, home: sb.home });
    const c = await changesSincePrevious(sb.dir, 'local', 'r2', r2);
    expect(c).toEqual({ against: 'r1', files: { added: ['new.sql'], changed: ['app.js'], removed: [] }, services: [], images: [], env: ['.env'], notCompared: ['images: the record of r1 does not list them'] });
    expect(JSON.stringify(r2)).not.toContain('fp-two');
    // With the image and per-key config subjects a deploy record now carries (src/deploy/release-facts.ts).
    const sub = (name: string, c: string) => ({ name, digest: { sha256: h(c) } });
    const r3 = [...r2, sub('image:web', 'a'), sub('image:caddy@caddy', 'b'), sub('config:web/command', 'c'), sub('config:web/environment.DATABASE_URL', 'd'), sub('config:caddy/image', 'e'), sub('config:old/image', '5')];
    await recordEvidence(base('deploy', [result('m1', 'pass')], { release: 'r3', subjects: r3 }), { config: { evidenceDir: sb.dir }, home: sb.home });
    const r4 = [...r2, sub('image:web', 'f'), sub('image:caddy@caddy', 'b'), sub('config:web/command', 'c'), sub('config:web/environment.DATABASE_URL', '9'), sub('config:web/environment.NEW', '8'), sub('config:caddy/image', 'e'), sub('config:cache/image', '7')];
    const c4 = await changesSincePrevious(sb.dir, 'local', 'r4', r4);
    expect(c4?.against).toBe('r3');
    expect(c4?.images).toEqual([`web: sha256:${h('a')} (image id) -> sha256:${h('f')} (image id)`]);
    expect(c4?.services).toEqual(['cache: added', 'old: removed', 'web: environment.DATABASE_URL, environment.NEW (added)']);
    expect(c4?.notCompared).toBeUndefined();
    const md = renderEvidenceMarkdown(base('deploy', [result('x', 'pass')], { changes: c4! }));
    expect(md).toContain('- Images changed: `web: sha256:');
    expect(md).toContain('- Service configurations changed: `cache: added`, `old: removed`, `web: environment.DATABASE_URL, environment.NEW (added)`');
  });
});
