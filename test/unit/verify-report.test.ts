// verify on a fixture project with four planted gaps (a stub file, a missing key link, a failing
// spot-check, a TODO): the report lists exactly those and says gaps_found; fixing them leaves
// human_needed until a person signs off; a sign-off that expires or says failed counts as such.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { EvidenceStore } from '../../src/evidence/store.js';
import { recordEvidence } from '../../src/evidence/record.js';
import { writeVerification, verificationSummary } from '../../src/verify/report.js';
import { renderVerificationMarkdown } from '../../src/verify/report-markdown.js';
import { loadProjectSettings } from '../../src/verify/settings.js';
import { defaultReportPath, runVerify, type VerifyRun } from '../../src/verify/verify.js';

const FIXTURE = new URL('../fixtures/verify/gaps', import.meta.url).pathname;
const NOW = new Date('2026-11-23T12:00:00Z');
const dirs: string[] = [];

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'shipproof-verify-'));
  dirs.push(root);
  const dir = join(root, 'app');
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function verify(dir: string): Promise<VerifyRun> {
  const config = await loadConfig({ cwd: dir });
  const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: dir });
  return runVerify({ config, settings, cwd: dir, now: () => NOW, operator: 'ana' });
}

/** Fixes the four planted gaps. */
function fixGaps(dir: string): void {
  writeFileSync(
    join(dir, 'src/handlers.ts'),
    ['import type { ServerResponse } from "node:http";', '', 'export function healthz(res: ServerResponse): void {', '  res.statusCode = 200;', '  res.setHeader("content-type", "application/json");', '  res.end(JSON.stringify({ status: "ok" }));', '}', ''].join('\n'),
  );
  writeFileSync(
    join(dir, 'src/router.ts'),
    ['import type { IncomingMessage, ServerResponse } from "node:http";', 'import { healthz } from "./handlers.js";', '', 'const routes = new Map<string, (res: ServerResponse) => void>();', 'registerHealthz(routes);', '', 'function registerHealthz(m: typeof routes) { m.set("/healthz", healthz); }', '', 'export function route(req: IncomingMessage, res: ServerResponse): void {', '  const h = routes.get(req.url ?? "");', '  if (h) return h(res);', '  res.statusCode = 404;', '  res.end();', '}', ''].join('\n'),
  );
  writeFileSync(join(dir, 'src/jobs.ts'), 'export async function runJobs(jobs: Array<() => Promise<void>>): Promise<void> {\n  for (const job of jobs) await job();\n}\n');
}

/** A sign-off by reviewer key "ana" (in the evidence folder), backed by a file named with its sha256. */
function attest(dir: string, status: 'passed' | 'failed', expires: string): void {
  const reviewers = join(dir, 'docs', 'evidence', 'reviewers');
  mkdirSync(reviewers, { recursive: true });
  if (!existsSync(join(reviewers, 'ana.pub'))) writeFileSync(join(reviewers, 'ana.pub'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const proof = 'curl -sv https://shop.example.com/healthz from a phone hotspot: 200 {"status":"ok"}\n';
  writeFileSync(join(dir, 'ops-42.txt'), proof);
  const sha = createHash('sha256').update(proof).digest('hex');
  writeFileSync(
    join(dir, 'shipproof.attestations.yaml'),
    `attestations:\n  - item: proxy-smoke\n    status: ${status}\n    by: ana\n    justification: curl from a phone hotspot returned 200 and {"status":"ok"}\n    evidence: ops-42.txt\n    sha256: ${sha}\n    expires: ${expires}\n`,
  );
}

describe('verify on the planted-gaps fixture', () => {
  it('lists exactly the four planted gaps and says gaps_found', async () => {
    const run = await verify(project());
    expect(run.verdict.status).toBe('gaps_found');
    expect(run.verdict.gaps).toHaveLength(4);
    expect(run.verdict.gaps[0]).toMatch(/^Artifact src\/handlers\.ts: STUB — 2 non-blank lines/);
    expect(run.verdict.gaps[1]).toMatch(/^Key link src\/router\.ts → healthz: NOT WIRED/);
    expect(run.verdict.gaps[2]).toMatch(/^Spot-check the router registers \/healthz: FAIL — exit 1 /);
    expect(run.verdict.gaps[3]).toBe('Anti-pattern TODO at src/jobs.ts:3 (warning)');
    expect(run.verdict.score).toEqual({ verified: 1, total: 3 });
    expect(run.verdict.truths.map((t) => t.status)).toEqual(['VERIFIED', 'FAILED', 'UNCERTAIN']);
    // What passed is not listed as a gap.
    expect(run.checks.filter((c) => c.status === 'pass').map((c) => c.id).sort()).toEqual(['server-file', 'server-uses-router', 'sources-present']);
  });

  it('writes the seed-001 shape: frontmatter, every section, the gaps summary', async () => {
    const md = renderVerificationMarkdown(await verify(project()));
    const front = md.split('---\n')[1] ?? '';
    expect(front).toContain('phase: "01-healthz"');
    expect(front).toContain('verified: "2026-11-23T12:00:00.000Z"');
    expect(front).toContain('status: gaps_found');
    expect(front).toContain('score: "1/3 must-haves verified"');
    for (const heading of ['### Observable Truths', '### Required Artifacts', '### Key Link Verification', '### Behavioral Spot-Checks', '### Probe Execution', '### Anti-Patterns Found', '### Human Verification Required', '## Gaps Summary']) {
      expect(md).toContain(heading);
    }
    expect(md).toContain('| `src/handlers.ts` | the /healthz handler | ✗ STUB |');
    expect(md).toContain('| `src/jobs.ts` | 3 | TODO | warning |');
    expect(md).toContain('**Why human:** needs real DNS and a public TLS certificate');
    expect(md).toContain('No HTTP probes are declared.');
  });

  it('gives human_needed when every automated check passes but a person has not signed off', async () => {
    const dir = project();
    fixGaps(dir);
    const run = await verify(dir);
    expect(run.verdict.gaps).toEqual([]);
    expect(run.verdict.status).toBe('human_needed');
    expect(run.verdict.score).toEqual({ verified: 2, total: 3 });
    expect(run.verdict.open).toEqual(['Human item proxy-smoke: needs a person (needs real DNS and a public TLS certificate)']);
  });

  it('gives passed only with a valid sign-off, and human_needed again once it expires', async () => {
    const dir = project();
    fixGaps(dir);
    attest(dir, 'passed', '2026-12-31');
    const run = await verify(dir);
    expect(run.verdict.status).toBe('passed');
    expect(run.verdict.score).toEqual({ verified: 3, total: 3 });
    expect(renderVerificationMarkdown(run)).toContain('✓ passed, signed off by ana (sha256:');

    attest(dir, 'passed', '2026-11-22');
    const expired = await verify(dir);
    expect(expired.verdict.status).toBe('human_needed');
    expect(expired.verdict.open[0]).toMatch(/sign-off by ana \(sha256:[0-9a-f]{12}…\) expired on 2026-11-22/);
  });

  it('counts a sign-off that says failed as a gap', async () => {
    const dir = project();
    fixGaps(dir);
    attest(dir, 'failed', '2026-12-31');
    const run = await verify(dir);
    expect(run.verdict.status).toBe('gaps_found');
    expect(run.verdict.gaps).toEqual([expect.stringMatching(/^Human item proxy-smoke: ana \(sha256:[0-9a-f]{12}…\) signed it off as failed$/)]);
  });

  it('a truth with no check behind it is never passed', async () => {
    const dir = project();
    fixGaps(dir);
    attest(dir, 'passed', '2026-12-31');
    const text = readFileSync(join(dir, 'shipproof.verify.yaml'), 'utf8').replace(
      '  artifacts:',
      '    - truth: Backups restore cleanly\n  artifacts:',
    );
    writeFileSync(join(dir, 'shipproof.verify.yaml'), text);
    const run = await verify(dir);
    expect(run.verdict.status).toBe('human_needed');
    expect(run.verdict.truths[3]?.status).toBe('UNCERTAIN');
    expect(run.verdict.open).toContain('Truth 4: no check backs it');
  });
});

describe('the written report and its evidence record', () => {
  it('writes .md and .json atomically, names the must-haves by sha256, and records a verify entry', async () => {
    const dir = project();
    const home = join(dir, '..', 'home');
    const config = await loadConfig({ cwd: dir });
    const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: dir });
    const run = await runVerify({ config, settings, cwd: dir, now: () => NOW, operator: 'ana' });
    const mdPath = defaultReportPath(config, run.spec);
    expect(mdPath).toBe(join(dir, 'docs/verification/01-healthz.md'));
    const { report, statement } = await writeVerification(run, { config, markdownPath: mdPath });
    const { entry } = await recordEvidence(statement, { config, home });

    const json = JSON.parse(readFileSync(report.jsonPath, 'utf8')) as ReturnType<typeof verificationSummary> & Record<string, any>;
    const mustHaves = readFileSync(join(dir, 'shipproof.verify.yaml'));
    expect(json.policy).toEqual({ uri: 'shipproof.verify.yaml', digest: { sha256: createHash('sha256').update(mustHaves).digest('hex') } });
    expect(json.status).toBe('gaps_found');
    expect(json.gaps).toHaveLength(4);
    expect(readFileSync(report.markdownPath, 'utf8')).toContain('status: gaps_found');

    expect(entry.kind).toBe('verify');
    expect(entry.status).toBe('failed');
    const shown = await EvidenceStore.open(config.evidenceDir, { home }).show(entry.seq);
    const subjects = shown.statement.subject.map((s) => s.name);
    expect(subjects).toEqual(['docs/verification/01-healthz.md', 'docs/verification/01-healthz.json', 'shipproof.verify.yaml']);
    const mdSha = createHash('sha256').update(readFileSync(report.markdownPath)).digest('hex');
    expect(shown.statement.subject[0]?.digest.sha256).toBe(mdSha);
    const ids = shown.statement.predicate.results.map((r) => r.id);
    expect(ids).toContain('spot-check:healthz-registered');
    expect(ids).toContain('anti-patterns');
    expect(ids).toContain('human:proxy-smoke');
    expect(ids).toContain('truth:healthz');
  });

  it('writes no planted secret: not from the env file, not from a TODO line that holds one', async () => {
    const dir = project();
    const home = join(dir, '..', 'home');
    const secret = 'Zq8v-' + createHash('sha256').update('planted').digest('base64url').slice(0, 28);
    writeFileSync(join(dir, '.env.prod'), `API_TOKEN=${secret}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'src/config.ts'), `// TODO rotate this\nexport const apiToken = "${secret}"; // FIXME move to env\n`);
    const config = await loadConfig({ cwd: dir });
    const { registerKnownSecrets } = await import('../../src/core/known-secrets.js');
    await registerKnownSecrets(config);
    const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: dir });
    const run = await runVerify({ config, settings, cwd: dir, now: () => NOW, operator: 'ana' });
    const fixme = run.antiPatterns?.findings.find((f) => f.pattern === 'FIXME');
    expect(fixme).toMatchObject({ file: 'src/config.ts', line: 2 });
    expect(fixme?.excerpt).toBeUndefined();
    expect(run.antiPatterns?.findings.find((f) => f.file === 'src/config.ts' && f.line === 1)?.excerpt).toBe('// TODO rotate this');
    const { report, statement } = await writeVerification(run, { config, markdownPath: join(dir, 'out/report.md') });
    await recordEvidence(statement, { config, home });
    expect(readFileSync(report.markdownPath, 'utf8')).toContain('line not shown: it looks like it holds a secret');
    for (const file of [report.markdownPath, report.jsonPath]) expect(readFileSync(file, 'utf8')).not.toContain(secret);
  });
});
