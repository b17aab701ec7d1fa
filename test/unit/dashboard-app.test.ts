// The dashboard's routes without a socket (Hono's app.request): the gate (Host, token, cookie,
// read-only), the pages built from a real signed ledger, escaping, redaction, a tampered record,
// fields this version does not know, and the event stream.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardApp } from '../../src/dashboard/app.js';
import { backupsOf, deployRuns, releaseChanges, releasesOf, suddenDrops } from '../../src/dashboard/facts.js';
import { recordPage } from '../../src/dashboard/pages/record.js';
import { CONTENT_SECURITY_POLICY, cookieName, tokenMatches } from '../../src/dashboard/security.js';
import { loadSnapshot } from '../../src/dashboard/snapshot.js';
import type { CheckResult, EvidenceStatement, ObservationValue } from '../../src/evidence/predicate-schema.js';
import { EVIDENCE_PREDICATE_TYPE, STATEMENT_TYPE } from '../../src/evidence/predicate-schema.js';
import { EvidenceStore } from '../../src/evidence/store.js';
import { redactor } from '../../src/redact/index.js';

const PORT = 45999;
const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';
const HOST = `127.0.0.1:${PORT}`;
const SECRET = 'Sup3r-s3cret-PLANTED-value-7f4a9c2e';
const SHA = (c: string) => c.repeat(64).slice(0, 64);

function res(id: string, status: CheckResult['status'], observations: Record<string, ObservationValue> = {}, gate = true): CheckResult {
  return { id, title: id, gate, status, ...(status === 'pass' ? {} : { reason: `${id} did not pass` }), durationMs: 5, observations, commands: [] };
}

let clock = Date.parse('2026-11-20T10:00:00.000Z');
function statement(o: { kind: string; title: string; release?: string; milestone?: { number: number; id: string }; results: CheckResult[]; subjects?: { name: string; sha: string }[]; notes?: string[]; ms?: number; changes?: NonNullable<EvidenceStatement['predicate']['changes']> }): EvidenceStatement {
  const started = new Date(clock);
  clock += o.ms ?? 2000;
  const count = (s: string) => o.results.filter((r) => r.status === s).length;
  const failed = o.results.some((r) => r.gate && (r.status === 'fail' || r.status === 'error'));
  return {
    _type: STATEMENT_TYPE,
    subject: (o.subjects ?? [{ name: 'compose.yaml', sha: SHA('a') }]).map((s) => ({ name: s.name, digest: { sha256: s.sha } })),
    predicateType: EVIDENCE_PREDICATE_TYPE,
    predicate: {
      schemaVersion: 1,
      kind: o.kind,
      title: o.title,
      project: 'demo',
      target: { name: 'prod', description: 'this machine' },
      ...(o.release ? { release: o.release } : {}),
      ...(o.milestone ? { milestone: o.milestone } : {}),
      startedAt: started.toISOString(),
      finishedAt: new Date(clock).toISOString(),
      toolVersion: '0.1.0',
      operator: 'tester',
      status: failed ? 'failed' : 'passed',
      summary: { passed: count('pass'), failed: count('fail'), error: count('error'), skipped: count('skipped') },
      results: o.results,
      redactions: [],
      notCollected: [],
      ...(o.notes ? { notes: o.notes } : {}),
      ...(o.changes ? { changes: o.changes } : {}),
    },
  };
}

let root: string;
let dir: string;
let home: string;
let store: EvidenceStore;

async function append(s: EvidenceStatement): Promise<void> {
  const p = s.predicate;
  await store.append(s, { kind: p.kind, target: p.target.name, status: p.status, ...(p.release ? { release: p.release } : {}), ...(p.milestone ? { milestone: p.milestone } : {}) });
}

async function deployRelease(release: string, composeSha: string, backupBytes: number, opts: { failAt6?: boolean } = {}): Promise<void> {
  const subjects = [{ name: `bundle:${release}`, sha: SHA(release.slice(-1)) }, { name: 'compose.yaml', sha: composeSha }];
  for (const n of [1, 2, 3, 4, 5]) await append(statement({ kind: 'milestone', title: `Milestone ${n} of ${release}`, release, milestone: { number: n, id: `m${n}` }, subjects, results: [res(`m${n}`, 'pass', n === 5 ? { images: ['web: demo/web:latest', 'db: postgres@sha256:' + SHA('b')] } : {})] }));
  if (opts.failAt6) {
    await append(statement({ kind: 'milestone', title: `Milestone 6 of ${release}`, release, milestone: { number: 6, id: 'stack-starts' }, subjects, results: [res('stack-starts', 'fail')] }));
    await append(statement({ kind: 'rollback', title: `Rollback to r-1`, release: 'r-1', results: [res('failure', 'fail', { failedRelease: release }, false), res('health-gate-after-rollback', 'pass', { services: ['web: running/healthy'] })] }));
    await append(statement({ kind: 'deploy', title: `Deploy of ${release} to prod: rolled-back`, release, results: [res('m6-stack-starts', 'fail')], notes: ['rolled back to r-1: healthy'], ms: 0 }));
    return;
  }
  await append(statement({ kind: 'milestone', title: `Milestone 6 of ${release}`, release, milestone: { number: 6, id: 'stack-starts' }, subjects, results: [res('stack-starts', 'pass')] }));
  await append(statement({ kind: 'milestone', title: `Milestone 7 of ${release}`, release, milestone: { number: 7, id: 'health-gate' }, subjects, results: [res('health-gate', 'pass', { gateMs: 4200, probes: ['healthz: ok 200 12ms'] })] }));
  await append(statement({ kind: 'milestone', title: `Milestone 8 of ${release}`, release, milestone: { number: 8, id: 'proxy-tls' }, subjects, results: [res('http-health', 'pass', { 'healthz.latencyMs': 12 })] }));
  const file = `db-postgres-${release}.sql.gz`;
  await append(statement({ kind: 'milestone', title: `Milestone 9 of ${release}`, release, milestone: { number: 9, id: 'backup-runs' }, subjects, results: [res('backup.db', 'pass', { engine: 'postgres', file, bytes: backupBytes, sha256: SHA('c'), 'count.rows': backupBytes > 100 ? 40 : 0 })] }));
  await append(statement({ kind: 'milestone', title: `Milestone 10 of ${release}`, release, milestone: { number: 10, id: 'restore-rehearsal' }, subjects, results: [res('restore-rehearsal', 'pass', { [`db-postgres-${release}`]: 'data came back' })] }));
  const changes = release === 'r-2' ? { against: 'r-1', files: { added: [], changed: ['app/static/index.html'], removed: [] }, services: ['web'], images: [], env: ['.env'] } : undefined;
  await append(statement({ kind: 'deploy', title: `Deploy of ${release} to prod: deployed`, release, results: [res('m1', 'pass')], ms: 0, ...(changes ? { changes } : {}) }));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'shipproof-dash-unit-'));
  dir = join(root, 'evidence');
  home = join(root, 'home');
  store = EvidenceStore.open(dir, { home, toolVersion: '0.1.0' });
  // #1: a record whose title tries to inject markup, and a note holding a planted secret.
  await append(statement({ kind: 'collect', title: 'Collect <script>alert("x")</script>', results: [res('docker', 'pass')], notes: [`token was ${SECRET}`] }));
  await deployRelease('r-1', SHA('1'), 5000); // #2-#12
  await deployRelease('r-2', SHA('2'), 40); // #13-#23, its backup the "empty" one: a sudden drop
  await deployRelease('r-3', SHA('3'), 5000, { failAt6: true }); // #24-#31, rolled back to r-1
  redactor.addSecret(SECRET, 'test:planted');
  await writeFile(join(root, 'HANDOVER.md'), '# Handover\n\n<script>alert(1)</script>\n\n- the stack is up\n');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let shared: ReturnType<typeof createDashboardApp> | undefined;
function app() {
  return (shared ??= createDashboardApp({ evidenceDir: dir, project: 'demo', token: TOKEN, port: () => PORT, home, reports: { handover: join(root, 'HANDOVER.md') }, watchIntervalMs: 50 }));
}
const cookie = `${cookieName(PORT)}=${TOKEN}`;
const get = (path: string, headers: Record<string, string> = {}) => app().request(path, { headers: { host: HOST, cookie, ...headers } });

describe('the gate', () => {
  it('compares tokens in constant time over hashes, so any length is fine', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokenMatches('', TOKEN)).toBe(false);
    expect(tokenMatches(undefined, TOKEN)).toBe(false);
  });

  it('refuses a request without the token (403), with a wrong one (403), and a foreign Host (421)', async () => {
    const a = app();
    expect((await a.request('/', { headers: { host: HOST } })).status).toBe(403);
    expect((await a.request('/?token=nope', { headers: { host: HOST } })).status).toBe(403);
    expect((await a.request('/', { headers: { host: HOST, cookie: `${cookieName(PORT)}=nope` } })).status).toBe(403);
    // The cookie of another dashboard (another port) does not open this one.
    expect((await a.request('/', { headers: { host: HOST, cookie: `${cookieName(PORT + 1)}=${TOKEN}` } })).status).toBe(403);
    for (const host of ['evil.example', `evil.example:${PORT}`, `127.0.0.1:${PORT + 1}`, '127.0.0.1']) {
      const r = await a.request(`/?token=${TOKEN}`, { headers: { host } });
      expect(r.status, host).toBe(421);
      expect(r.headers.get('set-cookie')).toBeNull();
    }
  });

  it('a /login/<token> link sets the cookie and lands on the overview; a wrong one is refused', async () => {
    const r = await app().request(`/login/${TOKEN}`, { headers: { host: HOST } });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/');
    expect(r.headers.get('set-cookie')).toContain(`${cookieName(PORT)}=${TOKEN}; Path=/; HttpOnly; SameSite=Strict`);
    expect((await app().request('/login/wrong', { headers: { host: HOST } })).status).toBe(403);
  });

  it('swaps the URL token for an HttpOnly, SameSite=Strict cookie and drops it from the address', async () => {
    const r = await app().request(`/timeline?kind=deploy&token=${TOKEN}`, { headers: { host: `localhost:${PORT}` } });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/timeline?kind=deploy');
    expect(r.headers.get('set-cookie')).toMatch(new RegExp(`^${cookieName(PORT)}=${TOKEN}; Path=/; HttpOnly; SameSite=Strict$`));
  });

  it('is read-only (405 for anything but GET and HEAD) and sends the strict headers on every answer', async () => {
    const post = await app().request('/', { method: 'POST', headers: { host: HOST, cookie } });
    expect(post.status).toBe(405);
    for (const r of [post, await get('/'), await app().request('/', { headers: { host: HOST } })]) {
      expect(r.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  });
});

describe('the pages', () => {
  it('overview: current release, last good, health, last deploy with its rollback, backups and warnings', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    const page = await r.text();
    expect(page).toMatch(/data-testid="current-release"><a href="\/release\/r-1"><code class="rel">r-1<\/code>/);
    expect(page).toMatch(/Last good<\/dt><dd><a href="\/release\/r-2">/);
    expect(page).toContain('health-gate-after-rollback'); // health now comes from the gate after the rollback
    expect(page).toContain('rolled-back');
    expect(page).toMatch(/rolled back to <a href="\/release\/r-1">/);
    expect(page).toContain('verified</span> 31 record(s)');
    expect(page).toContain('<code>demo/web:latest</code> has no digest');
    expect(page).not.toContain('postgres@sha256'); // a pinned image is no warning
    // No inline script anywhere: only files from this origin.
    expect(page.match(/<script(?![^>]*(src="\/assets\/|type="application\/json"))/g)).toBeNull();
  });

  it('timeline: filters by kind, target, status and release; each row links to its record', async () => {
    const page = await (await get('/timeline?kind=deploy')).text();
    expect(page).toContain('3 of 31 record(s)');
    expect(page).not.toContain('href="/record/1"');
    expect(page).toContain('<td><a href="/record/31">Deploy of r-3 to prod: rolled-back</a></td>');
    const failed = await (await get('/timeline?status=failed&release=r-3&target=prod')).text();
    expect(failed).toContain('2 of 31 record(s)');
    expect(failed).toContain('<option value="failed" selected>failed</option>');
  });

  it('a record: escaped, redacted, rendered from its JSON, with its signature status', async () => {
    const page = await (await get('/record/1')).text();
    expect(page).toContain('signature valid');
    expect(page).toContain('&lt;script&gt;alert');
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain(SECRET);
    expect(page).toContain('[REDACTED:known:test:planted]');
    expect(page).toMatch(/<h4>Results<\/h4>/); // the record's headings sit under the page's
    expect(page.match(/<h1[ >]/g)).toHaveLength(1);
  });

  it('a release: ten milestones, what changed since the one before, its rollback', async () => {
    const page = await (await get('/release/r-2')).text();
    expect(page.match(/<li><span class="status ok">passed<\/span> <strong>\d+\./g)).toHaveLength(10);
    expect(page).toMatch(/<code>compose.yaml<\/code><\/th><td><code>sha256:1111111111111111…<\/code><\/td><td><code>sha256:2222222222222222…/);
    // The deploy record's own account of what changed comes first.
    expect(page).toMatch(/files changed<\/th><td><code>app\/static\/index.html<\/code>/);
    expect(page).toMatch(/env files changed \(by keyed fingerprint\)<\/th><td><code>.env<\/code>/);
    const r3 = await (await get('/release/r-3')).text();
    expect(r3).toMatch(/rolled back to <a href="\/release\/r-1">/);
    expect((await get('/release/nope')).status).toBe(404);
  });

  it('backups: a sudden drop in size is marked, the rehearsal shown', async () => {
    const page = await (await get('/backups')).text();
    expect(page).toContain('<span class="status bad">sudden drop</span>');
    expect(page.match(/sudden drop<\/span>/g)).toHaveLength(2); // in the row and in the numbers under the plot
    expect(page).toContain('data came back');
    expect(page).toContain('"fromZero":true');
  });

  it('reports: HANDOVER.md rendered with raw HTML off', async () => {
    const page = await (await get('/reports')).text();
    expect(page).toContain('<h2>Handover</h2>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>alert(1)');
  });

  it('assets come from the package; unknown paths are 404', async () => {
    for (const [path, type] of [['/assets/app.js', 'text/javascript'], ['/assets/uPlot.iife.min.js', 'text/javascript'], ['/assets/app.css', 'text/css'], ['/assets/uPlot.min.css', 'text/css']] as const) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toContain(type);
    }
    expect((await get('/assets/../package.json')).status).toBe(404);
    expect((await get('/record/999')).status).toBe(404);
  });

  it('the event stream says the folder version first, redacted', async () => {
    const r = await get('/events');
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const reader = r.body!.getReader();
    const { value } = await reader.read();
    await reader.cancel();
    const text = new TextDecoder().decode(value);
    expect(text).toMatch(/^event: ledger\ndata: \{"version":"31-[0-9a-f]+","entries":31,"ok":true/);
  });

  it('a record edited on disk: the ledger is shown broken at that record, everywhere', async () => {
    const entries = await store.list();
    const victim = entries[4]!;
    const path = join(dir, `${victim.record}.json`);
    const original = await readFile(path, 'utf8');
    const edited = original.replace(/"operator": ?"tester"/, '"operator": "mallory"');
    expect(edited).not.toBe(original);
    await writeFile(path, edited);
    try {
      const overview = await (await get('/')).text();
      expect(overview).toContain('broken at #5');
      expect(overview).toContain('role="alert"');
      const rec = await (await get('/record/5')).text();
      expect(rec).toContain('data-testid="record-problem"');
      expect(rec).toContain('was changed');
      expect(rec).toContain('mallory'); // shown as found, flagged as untrusted
      const timeline = await (await get('/timeline')).text();
      expect(timeline).toContain('<span class="status bad">broken</span>');
    } finally {
      await writeFile(path, original);
    }
    expect(await (await get('/')).text()).not.toContain('broken at');
  });
});

describe('derived facts', () => {
  it('deploy runs last from their first milestone to their outcome; rollbacks belong to the failed run', async () => {
    const s = await loadSnapshot(dir, { home });
    const runs = deployRuns(s.records);
    expect(runs.map((r) => [r.release, r.outcome.entry.status, r.milestones.length, r.rollbacks.length])).toEqual([
      ['r-1', 'passed', 10, 0],
      ['r-2', 'passed', 10, 0],
      ['r-3', 'failed', 6, 1],
    ]);
    expect(runs[0]!.durationMs).toBe(20_000);
    const rels = releasesOf(s.records);
    expect(rels.map((r) => r.release)).toEqual(['r-1', 'r-2', 'r-3']);
    expect(releaseChanges(rels[0], rels[1]!).map((c) => c.key)).toEqual(['bundle', 'compose.yaml']);
    const backups = backupsOf(s.records);
    expect(backups.map((b) => [b.bytes, b.rehearsal?.detail])).toEqual([[5000, 'data came back'], [40, 'data came back']]);
    expect([...suddenDrops(backups)].map((b) => b.bytes)).toEqual([40]);
  });

  it('fields this version does not know are shown generically, escaped', async () => {
    const s = await loadSnapshot(dir, { home });
    const r = s.records[0]!;
    const withExtra = { ...r, statement: { ...r.statement!, predicate: { ...r.statement!.predicate, cutover: { requests: 1200, failed: 0, note: '<b>x</b>' } } } };
    const page = String(await recordPage({ snapshot: s, project: 'demo', now: new Date(), section: '/timeline' }, withExtra));
    expect(page).toContain('More fields');
    expect(page).toContain('<dt>cutover</dt>');
    expect(page).toContain('<dt>requests</dt><dd><code>1200</code>');
    expect(page).toContain('&lt;b&gt;x&lt;/b&gt;');
  });
});

describe('live server state', () => {
  it('a target read once is read again when new evidence lands, so the lock holder follows a deploy', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'shipproof-dash-live-'));
    try {
      await cp(dir, copy, { recursive: true });
      const holder = { operator: 'alice', host: 'laptop', pid: 4242, since: '2026-11-20T11:00:00.000Z' };
      let reads = 0;
      const live = createDashboardApp({
        evidenceDir: copy,
        project: 'demo',
        token: TOKEN,
        port: () => PORT,
        home,
        watchIntervalMs: 20,
        // First read: free; every later one: held by alice.
        readServer: async (target) => ({ target, at: new Date().toISOString(), ok: true, lock: reads++ === 0 ? { held: false, stale: false } : { held: true, holder, stale: false } }),
      });
      const req = (path: string) => live.request(path, { headers: { host: HOST, cookie } });
      expect((await req('/refresh?target=prod')).status).toBe(303);
      expect(await (await req('/')).text()).toMatch(/data-testid="lock">free</);
      const events = (await req('/events')).body!.getReader();
      const next = async () => new TextDecoder().decode((await events.read()).value);
      expect(await next()).toMatch(/^event: ledger/); // what the page shows: no read
      expect(reads).toBe(1);
      const more = EvidenceStore.open(copy, { toolVersion: '0.1.0', home });
      const s = statement({ kind: 'milestone', title: 'milestone 1', release: 'r-4', milestone: { number: 1, id: 'bundle-synced' }, results: [res('bundle', 'pass')] });
      await more.append(s, { kind: 'milestone', target: 'prod', status: 'passed', release: 'r-4', milestone: { number: 1, id: 'bundle-synced' } });
      // The watch may see the folder mid-append (record files before the ledger line): events until the new entry is in.
      while (!/"entries":32/.test(await next()));
      await events.cancel();
      expect(reads).toBeGreaterThanOrEqual(2);
      expect(await (await req('/')).text()).toMatch(/data-testid="lock"><span class="status warn">held<\/span> by alice@laptop \(pid 4242\)/);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
