// `shipproof dashboard` in a real browser (Debian's chromium through playwright-core) over the
// evidence of a real deploy of examples/webapp: three releases, the third rolled back. The
// dashboard runs as the real CLI in its own process, as a user starts it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { cliEntry } from '../helpers/cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretVariants } from '../../src/redact/index.js';
import { createTestBucket, requireS3, testS3Client } from '../helpers/s3-env.js';
import { requireDocker } from '../helpers/test-env.js';
import { launchChromium, requireChromium } from './chromium.js';
import { deployThreeReleases, makeWebappSite, removeWebappSite, type WebappSite } from './webapp-site.js';

requireDocker();
requireChromium();

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/dashboard/', import.meta.url));

let site: WebappSite;
let offsiteLabel: string;
let dashboard: ChildProcess | undefined;
let url: URL;
let cookie: string;
let context: BrowserContext;
let closeBrowser: (() => Promise<void>) | undefined;
const releases: string[] = [];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A plain HTTP request to the dashboard, so a test controls the Host header and the cookie. */
function fetchRaw(path: string, headers: Record<string, string> = {}, maxBytes = Infinity): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(url.port), path, headers: { host: url.host, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString('utf8');
        if (body.length >= maxBytes) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts `shipproof dashboard` and resolves with the URL it prints. */
function startDashboard(s: WebappSite): Promise<URL> {
  const child = spawn(process.execPath, [...cliEntry(), 'dashboard'], {
    cwd: s.dir,
    env: { ...process.env, NO_COLOR: '1', SHIPPROOF_HOME: s.home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dashboard = child;
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      s.outputs.push({ code: null, stdout: d.toString('utf8'), stderr: '' });
      const m = /http:\/\/127\.0\.0\.1:\d+\/login\/\S+/.exec(out);
      if (m) resolve(new URL(m[0]));
    });
    child.stderr.on('data', (d: Buffer) => s.outputs.push({ code: null, stdout: '', stderr: d.toString('utf8') }));
    child.once('exit', (code) => reject(new Error(`shipproof dashboard exited (${code}) before printing its URL: ${out}`)));
  });
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Every heading level follows the one before by at most one step, and there is one h1. */
async function headingOutline(page: Page): Promise<number[]> {
  return page.$$eval('h1, h2, h3, h4, h5, h6', (hs) => hs.map((h) => Number(h.tagName.slice(1))));
}
function assertOutline(levels: number[], where: string): void {
  expect(levels.filter((l) => l === 1), where).toHaveLength(1);
  expect(levels[0], where).toBe(1);
  levels.forEach((l, i) => {
    if (i > 0) expect(l - (levels[i - 1] as number), `${where}: h${levels[i - 1]} then h${l}`).toBeLessThanOrEqual(1);
  });
}

beforeAll(async () => {
  // Milestone 9 copies each backup off-site to a real S3 server, so the pages show that copy apart from the local one.
  const s3 = requireS3();
  const bucket = `sp-dash-${Date.now().toString(36)}`;
  await createTestBucket(testS3Client(s3), bucket);
  offsiteLabel = `s3:${bucket}/dash/`;
  site = makeWebappSite({ offsite: { s3, bucket } });
  await deployThreeReleases(site);
  for (const o of site.outputs.slice(0, 3)) releases.push((JSON.parse(o.stdout) as { release: string }).release);
  // A report holding a planted secret (as a careless hand-written note would): the Reports page
  // reads it from disk, so only the redactor stands between it and the browser.
  mkdirSync(join(site.dir, 'docs', 'verification'), { recursive: true });
  const pw = site.secrets[0] as string;
  writeFileSync(
    join(site.dir, 'docs', 'verification', 'notes.md'),
    `# Notes\n\nThe database password is ${pw} (base64 ${Buffer.from(pw).toString('base64')}).\n\n<script>alert(1)</script>\n`,
  );
  const handover = await site.cli(['handover']);
  if (handover.code !== 0) throw new Error(`handover failed: ${handover.stderr}`);
  url = await startDashboard(site);
  ({ context, close: closeBrowser } = await launchChromium());
  // The first visit swaps the URL's token for the cookie; later requests carry only the cookie.
  const page = await context.newPage();
  await page.goto(url.href);
  const c = (await context.cookies(url.origin)).find((x) => x.name.startsWith('shipproof_dashboard_'));
  if (c === undefined) throw new Error('the dashboard set no cookie');
  cookie = `${c.name}=${c.value}`;
  await page.close();
}, 900_000);

afterAll(async () => {
  await closeBrowser?.();
  if (dashboard && dashboard.exitCode === null) {
    const exited = new Promise((r) => dashboard?.once('exit', r));
    dashboard.kill('SIGTERM');
    await exited;
  }
  if (site) removeWebappSite(site);
}, 120_000);

describe('shipproof dashboard over a real deploy', () => {
  it('prints a 127.0.0.1 URL with a token, which the first visit drops from the address bar', async () => {
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toMatch(/^\/login\/[A-Za-z0-9_-]{43}$/);
    const page = await context.newPage();
    await page.goto(url.href);
    expect(page.url()).toBe(`${url.origin}/`);
    await page.close();
  });

  it('the overview shows the real current release, the last good one, health and the rollback; refresh reads the server', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url.origin}/`);
    const [first, second, third] = releases as [string, string, string];
    expect(new Set(releases).size).toBe(3);
    // After the third release was rolled back, the second is current and the last good one.
    await expect.poll(() => page.getByTestId('current-release').textContent()).toContain(second);
    expect(await page.getByTestId('health').textContent()).toMatch(/passed/);
    expect(await page.getByTestId('verification').textContent()).toMatch(/verified\s+\d+ record\(s\)/);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('rolled-back');
    expect(text).toContain(third);
    expect(text).toMatch(/postgres[\s\S]*data came back/);
    expect(text).not.toContain(first); // the first release is history, not on the overview
    await page.getByRole('link', { name: 'Read from the server' }).click();
    await page.waitForURL(`${url.origin}/`);
    expect(await page.getByTestId('lock').textContent()).toBe('free');
    expect(await page.locator('dd', { hasText: second }).count()).toBeGreaterThanOrEqual(2); // state.json: current and last known good
    await shot(page, 'overview');
    expect(errors).toEqual([]); // the strict CSP blocked nothing the page needs
    await page.close();
  });

  it('a click on a timeline record opens its content, rendered from its JSON, with its signature status', async () => {
    const page = await context.newPage();
    await page.goto(`${url.origin}/timeline`);
    await shot(page, 'timeline');
    await page.getByRole('link', { name: new RegExp(`Milestone 7: Health gate passes — release ${releases[1]}`) }).click();
    await page.waitForURL(/\/record\/\d+$/);
    const content = page.getByTestId('record-content');
    await expect.poll(() => content.textContent()).toContain('health-gate');
    expect(await content.textContent()).toMatch(/gateMs: \d+/);
    expect(await page.locator('main').textContent()).toContain('signature valid');
    await shot(page, 'record');
    await page.close();
  });

  it('the other pages render: a release with its milestones and changes, backups with plots, trends, reports', async () => {
    const page = await context.newPage();
    await page.goto(`${url.origin}/release/${releases[1]}`);
    expect(await page.getByTestId('milestones').locator('li').count()).toBe(10);
    // The second release changed one page of the app: the deploy record says so (or, for records
    // without that account, the milestone records' digests differ).
    const recorded = page.getByTestId('recorded-changes');
    if ((await recorded.count()) > 0) expect(await recorded.textContent()).toContain('app/static/index.html');
    else expect(await page.getByTestId('changes').textContent()).toContain('bundle');
    await shot(page, 'release');
    await page.goto(`${url.origin}/backups`);
    await page.locator('.plot-area canvas').first().waitFor();
    expect(await page.locator('.plot-area canvas').count()).toBeGreaterThanOrEqual(2);
    // Every postgres backup (milestone 9 of each release) has its verified off-site copy in its own column.
    const rows = page.getByTestId('backups-postgres').locator('tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(2);
    const offsiteCol = (await page.getByTestId('backups-postgres').locator('thead th').allTextContents()).indexOf('Off-site');
    for (const cell of await rows.locator(`td:nth-child(${offsiteCol + 1})`).allTextContents()) expect(cell).toMatch(new RegExp(`passed\\s+${offsiteLabel.replace(/[/.]/g, '\\$&')}`));
    expect(await page.getByText('Off-site copies are configured.').count()).toBe(1);
    await shot(page, 'backups');
    await page.goto(`${url.origin}/trends`);
    await page.locator('.plot-area canvas').first().waitFor();
    await shot(page, 'trends');
    await page.goto(`${url.origin}/reports`);
    expect(await page.getByTestId('report').textContent()).toMatch(/Handover|HANDOVER|handover/);
    await shot(page, 'reports');
    await page.getByRole('link', { name: /verify report notes\.md/ }).click();
    const report = (await page.getByTestId('report').textContent()) ?? '';
    expect(report).toContain('[REDACTED:');
    expect(report).toContain('<script>alert(1)</script>'); // shown as text, not run
    await page.close();
  });

  it('keyboard: a skip link first, nav by Tab and Enter, one h1 and an unbroken outline on every page', async () => {
    const page = await context.newPage();
    await page.goto(`${url.origin}/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | null | undefined>('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('main');
    // A fresh load without the #main fragment the skip link added: a reload keeps it, and Tab then
    // starts after <main>, so how many presses reach the nav depended on how long the page was.
    await page.goto(`${url.origin}/`);
    let found = false;
    for (let i = 0; i < 12 && !found; i++) {
      await page.keyboard.press('Tab');
      found = (await page.evaluate<string | null | undefined>('document.activeElement?.textContent')) === 'Timeline';
    }
    expect(found).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${url.origin}/timeline`);
    expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Timeline');
    for (const path of ['/', '/timeline', '/record/7', `/release/${releases[1]}`, '/releases', '/backups', '/trends', '/reports']) {
      await page.goto(`${url.origin}${path}`);
      assertOutline(await headingOutline(page), path);
    }
    await page.close();
  });

  it('live: a record landing while the page is open shows up without a reload by hand', async () => {
    const page = await context.newPage();
    await page.goto(`${url.origin}/timeline`);
    const before = await page.locator('[data-testid="timeline"] tbody tr').count();
    const approved = await site.cli(['evidence', 'approve', '7', '--reviewer', 'dashboard-test', '-m', 'gate looked right']);
    expect(approved.code, approved.stderr).toBe(0);
    await expect.poll(() => page.locator('[data-testid="timeline"] tbody tr').count(), { timeout: 30_000 }).toBe(before + 1);
    expect(await page.locator('[data-testid="timeline"] tbody tr').first().textContent()).toContain('approval');
    await page.goto(`${url.origin}/record/7`);
    expect(await page.locator('main').textContent()).toContain('reviewed by dashboard-test');
    await page.close();
  });

  it('refuses a request without the token (403) and one with a foreign Host header (421)', async () => {
    expect((await fetchRaw('/')).status).toBe(403);
    expect((await fetchRaw('/timeline', { cookie: `${cookie.split('=')[0]}=wrong` })).status).toBe(403);
    expect((await fetchRaw('/', { cookie })).status).toBe(200);
    expect((await fetchRaw('/', { cookie, host: 'rebind.example' })).status).toBe(421);
    expect((await fetchRaw(url.pathname, { host: `rebind.example:${url.port}` })).status).toBe(421);
    const ok = await fetchRaw('/', { cookie });
    expect(ok.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('no planted secret, in any form, appears in any page, asset or event', async () => {
    const forms = site.secrets.flatMap((s) => secretVariants(s)).filter((f) => f.length >= 8);
    expect(forms.length).toBeGreaterThan(4);
    const seen = new Set<string>();
    const queue = ['/', '/timeline', '/releases', '/backups', '/trends', '/reports', '/api/summary.json'];
    const bodies: string[] = [];
    while (queue.length > 0) {
      const path = queue.shift() as string;
      if (seen.has(path)) continue;
      seen.add(path);
      const r = await fetchRaw(path, { cookie });
      expect(r.status, path).toBe(200);
      bodies.push(r.body);
      for (const m of r.body.matchAll(/(?:href|src)="(\/[^"#]*)"/g)) {
        const next = (m[1] as string).replace(/&amp;/g, '&');
        if (!seen.has(next) && !next.startsWith('/refresh')) queue.push(next);
      }
    }
    expect([...seen].some((p) => p.startsWith('/record/'))).toBe(true);
    expect([...seen]).toContain('/assets/app.js');
    expect([...seen].some((p) => p.startsWith('/reports?file='))).toBe(true);
    const events = await fetchRaw('/events', { cookie }, 40);
    expect(events.body).toMatch(/^event: ledger/);
    bodies.push(events.body);
    const all = bodies.join('\n');
    expect(all).toContain('[REDACTED:'); // the planted report was found, and redacted
    for (const f of forms) expect(all.includes(f), `a form of a planted secret (${f.length} chars)`).toBe(false);
    for (const o of site.outputs) for (const f of forms) expect(o.stdout.includes(f) || o.stderr.includes(f)).toBe(false);
  });

  it('a record edited on disk shows the ledger broken at that record, on the open page too', async () => {
    const page = await context.newPage();
    await page.goto(`${url.origin}/`);
    expect(await page.getByTestId('verification').textContent()).toContain('verified');
    const entries = readFileSync(join(site.evidenceDir, 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; record: string });
    const victim = entries[4] as { seq: number; record: string };
    const file = join(site.evidenceDir, `${victim.record}.json`);
    const original = readFileSync(file, 'utf8');
    const edited = original.replace(/"status": ?"passed"/, '"status": "failed"');
    expect(edited).not.toBe(original);
    writeFileSync(file, edited);
    try {
      // No reload by hand: the event stream notices the change and the page updates.
      await page.getByRole('alert').first().waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('verification').textContent()).toContain(`broken at #${victim.seq}`);
      const color = await page.evaluate<string>(`getComputedStyle(document.querySelector('[data-testid="verification"] .status.bad')).color`);
      expect(color).toBe('rgb(207, 34, 46)');
      await shot(page, 'broken');
      await page.goto(`${url.origin}/record/${victim.seq}`);
      expect(await page.getByTestId('record-problem').textContent()).toMatch(/changed/);
    } finally {
      writeFileSync(file, original);
    }
    await page.close();
  });
});
