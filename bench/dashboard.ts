// The dashboard on large ledgers: signed ledgers of N records (deploys of ten milestone records,
// collects, backups, rehearsals; about the size of real ones), then, for each N side by side: the
// first snapshot (every record's hashes and signature checked, and the whole verification), each
// page's render from that snapshot, and the snapshot after one more record lands (what the live
// view pays per new record). Prints figures and the machine's load; asserts nothing.
//   npx tsx bench/dashboard.ts            (N = 100, 1000, 5000; BENCH_SIZES=100,2000 to choose)
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDashboardApp } from '../src/dashboard/app.js';
import { cookieName } from '../src/dashboard/security.js';
import { loadSnapshot } from '../src/dashboard/snapshot.js';
import type { CheckResult, EvidenceStatement } from '../src/evidence/predicate-schema.js';
import { EVIDENCE_PREDICATE_TYPE, STATEMENT_TYPE } from '../src/evidence/predicate-schema.js';
import { EvidenceStore } from '../src/evidence/store.js';

const SIZES = (process.env.BENCH_SIZES ?? '100,1000,5000').split(',').map(Number);
const TOKEN = 'bench-token-0123456789abcdefghijklmnopqrstuvwxyz';
const PORT = 45998;

let clock = Date.parse('2026-01-01T00:00:00.000Z');
const hex = (n: number, len = 64): string => (n.toString(16).padStart(8, '0').repeat(8)).slice(0, len);

function result(id: string, i: number): CheckResult {
  return {
    id,
    title: `${id} check`,
    gate: true,
    status: 'pass',
    durationMs: 40 + (i % 300),
    observations: { service: 'web', image: `sha256:${hex(i)}`, restarts: 0, latencyMs: 12 + (i % 50), url: 'https://localhost/healthz' },
    commands: [
      ['docker', 'inspect', '--format', '{{json .State}}', hex(i, 12)],
      ['curl', '-fsS', '--max-time', '5', 'https://localhost/healthz'],
    ].map((argv, k) => ({ argv, exitCode: 0, durationMs: 30 + k, attempts: 1, timedOut: false, stdout: { sha256: hex(i + k), bytes: 220 }, stderr: { sha256: hex(0), bytes: 0 } })),
  };
}

function statement(i: number, kind: string, release: string, milestone?: { number: number; id: string }): EvidenceStatement {
  const started = new Date(clock);
  clock += 1500 + (i % 7) * 400;
  const results = Array.from({ length: kind === 'collect' ? 19 : 4 }, (_, k) => result(`${kind}-${k}`, i + k));
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: 'compose.yaml', digest: { sha256: hex(i) } }],
    predicateType: EVIDENCE_PREDICATE_TYPE,
    predicate: {
      schemaVersion: 1,
      kind,
      title: milestone ? `milestone ${milestone.number} ${milestone.id}` : kind,
      project: 'bench',
      target: { name: 'prod', description: 'bench machine' },
      release,
      ...(milestone ? { milestone } : {}),
      startedAt: started.toISOString(),
      finishedAt: new Date(clock).toISOString(),
      toolVersion: '0.0.0-bench',
      operator: 'bench',
      status: 'passed',
      summary: { passed: results.length, failed: 0, error: 0, skipped: 0 },
      results,
      redactions: [],
      notCollected: [],
    },
  };
}

const MILESTONES = ['bundle-synced', 'env-files-present', 'host-env-gates', 'key-image-builds', 'all-images-build', 'stack-starts', 'health-gate', 'proxy-tls', 'backup-runs', 'restore-rehearsal'];

/** Records in the mix a real project accumulates: per release ten milestones, a deploy, a collect, a backup, a rehearsal. */
function* records(n: number): Generator<EvidenceStatement> {
  for (let i = 0; i < n; ) {
    const release = `r-${new Date(clock).toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${hex(i, 6)}`;
    for (let m = 0; m < MILESTONES.length && i < n; m++, i++) yield statement(i, 'milestone', release, { number: m + 1, id: MILESTONES[m]! });
    for (const kind of ['deploy', 'collect', 'backup', 'restore-rehearsal']) if (i < n) yield statement(i++, kind, release);
  }
}

async function append(store: EvidenceStore, s: EvidenceStatement): Promise<void> {
  const p = s.predicate;
  await store.append(s, { kind: p.kind, target: p.target.name, status: p.status, ...(p.release ? { release: p.release } : {}), ...(p.milestone ? { milestone: p.milestone } : {}) });
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

const PAGES = ['/', '/timeline', '/releases', '/backups', '/trends'];
interface Row {
  n: number;
  bytes: number;
  writeS: number;
  snapshotMs: number;
  pages: Record<string, { ms: number; kb: number }>;
  afterOneMoreMs: number;
  rssMb: number;
}

async function measure(n: number): Promise<Row> {
  const root = mkdtempSync(join(tmpdir(), 'shipproof-bench-dash-'));
  const dir = join(root, 'evidence');
  const home = join(root, 'home');
  try {
    const store = EvidenceStore.open(dir, { toolVersion: '0.0.0-bench', home });
    const [, writeMs] = await timed(async () => {
      for (const s of records(n)) await append(store, s);
    });
    const bytes = readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    const [, snapshotMs] = await timed(() => loadSnapshot(dir, { home }));
    const app = createDashboardApp({ evidenceDir: dir, project: 'bench', token: TOKEN, port: () => PORT, home });
    const headers = { host: `127.0.0.1:${PORT}`, cookie: `${cookieName(PORT)}=${TOKEN}` };
    // The first request pays the snapshot; pages are timed from the second on.
    const first = await app.request('/', { headers });
    if (first.status !== 200) throw new Error(`the dashboard answered ${first.status} (cookie name changed?): ${(await first.text()).slice(0, 200)}`);
    const pages: Row['pages'] = {};
    for (const p of PAGES) {
      const [res, ms] = await timed(async () => app.request(p, { headers }));
      const body = await res.text();
      pages[p] = { ms, kb: Buffer.byteLength(body) / 1024 };
    }
    await append(store, statement(n + 1, 'collect', 'r-bench-last'));
    const [, afterOneMoreMs] = await timed(async () => (await app.request('/', { headers })).text());
    return { n, bytes, writeS: writeMs / 1000, snapshotMs, pages, afterOneMoreMs, rssMb: process.memoryUsage().rss / 2 ** 20 };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const n of SIZES) rows.push(await measure(n));
const real = process.env.BENCH_REAL_RECORD;
console.log(`dashboard on large ledgers (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; node ${process.version})`);
if (real) console.log(`  a real record for scale: ${(readFileSync(real).length / 1024).toFixed(1)} KiB`);
const col = (s: string | number) => String(s).padStart(12);
console.log(`  ${'records'.padEnd(24)}${rows.map((r) => col(r.n)).join('')}`);
console.log(`  ${'evidence folder (MiB)'.padEnd(24)}${rows.map((r) => col((r.bytes / 2 ** 20).toFixed(1))).join('')}`);
console.log(`  ${'write all (s)'.padEnd(24)}${rows.map((r) => col(r.writeS.toFixed(1))).join('')}`);
console.log(`  ${'first snapshot (ms)'.padEnd(24)}${rows.map((r) => col(r.snapshotMs.toFixed(0))).join('')}`);
for (const p of PAGES) console.log(`  ${`page ${p} (ms / KiB)`.padEnd(24)}${rows.map((r) => col(`${r.pages[p]!.ms.toFixed(0)} / ${r.pages[p]!.kb.toFixed(0)}`)).join('')}`);
console.log(`  ${'one more record (ms)'.padEnd(24)}${rows.map((r) => col(r.afterOneMoreMs.toFixed(0))).join('')}`);
console.log(`  ${'RSS after (MiB)'.padEnd(24)}${rows.map((r) => col(r.rssMb.toFixed(0))).join('')}`);
