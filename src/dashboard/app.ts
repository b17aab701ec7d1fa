// The dashboard's routes, as a Hono app (tested without a socket through app.request()).
// Every request passes, in order: security headers, the Host check (421), GET/HEAD only (405),
// the token (403; the URL's token becomes a port-scoped HttpOnly cookie). Every body this app
// generates passes the one redactor once more on the way out, on top of the snapshot's redaction.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { redactText } from '../redact/index.js';
import { TOOL_VERSION } from '../version.js';
import { backupsPage } from './pages/backups.js';
import { type Html, type PageContext, PAGES, versionTag } from './pages/layout.js';
import { overviewPage } from './pages/overview.js';
import { recordPage } from './pages/record.js';
import { releasePage, releasesPage } from './pages/release.js';
import { listReports, reportsPage, type ReportSources } from './pages/reports.js';
import { timelinePage } from './pages/timeline.js';
import { trendsPage } from './pages/trends.js';
import type { ServerReader, ServerView } from './refresh.js';
import { SECURITY_HEADERS, allowedHosts, cookieName, tokenMatches } from './security.js';
import { SnapshotCache, folderVersion, type EvidenceSnapshot } from './snapshot.js';

export interface DashboardOptions {
  evidenceDir: string;
  project: string;
  token: string;
  /** The port the server listens on (known after listen), for the Host check and the cookie name. */
  port: () => number;
  /** SHIPPROOF_HOME override: where the head cache is read from. */
  home?: string;
  reports?: ReportSources;
  backups?: { maxAgeMs: number; offsiteConfigured: boolean; retention: string };
  /** Reads a target's deploy state and lock; absent means refresh is unavailable. */
  readServer?: ServerReader;
  now?: () => Date;
  /** How often the event stream looks for a changed folder. Default 1 s. */
  watchIntervalMs?: number;
  certWarnDays?: number;
}

const ASSET_DIR = new URL('../../assets/dashboard/', import.meta.url);
const require = createRequire(import.meta.url);

interface Asset {
  type: string;
  body: Buffer;
}

/** Every asset comes from the package (no CDN): our script and style, and uPlot from node_modules. */
export function loadAssets(): Map<string, Asset> {
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  return new Map<string, Asset>([
    ['app.js', { type: js, body: readFileSync(fileURLToPath(new URL('app.js', ASSET_DIR))) }],
    ['app.css', { type: css, body: readFileSync(fileURLToPath(new URL('app.css', ASSET_DIR))) }],
    ['uPlot.iife.min.js', { type: js, body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')) }],
    ['uPlot.min.css', { type: css, body: readFileSync(require.resolve('uplot/dist/uPlot.min.css')) }],
  ]);
}

export function createDashboardApp(o: DashboardOptions): Hono {
  const app = new Hono();
  const cache = new SnapshotCache(o.evidenceDir, { toolVersion: TOOL_VERSION, ...(o.home === undefined ? {} : { home: o.home }) });
  const servers = new Map<string, ServerView>();
  // A target the page asked to read once is read again whenever new evidence lands (a deploy in a
  // terminal writes a record per milestone), so its lock holder and state follow the deploy
  // without another click. Once per folder version, however many pages are open.
  let serversReadFor = '';
  let serversReading: Promise<void> | undefined;
  const rereadServers = async (version: string): Promise<void> => {
    if (o.readServer === undefined || servers.size === 0 || version === serversReadFor) return serversReading;
    serversReadFor = version;
    const read = o.readServer;
    serversReading = Promise.all([...servers.keys()].map(async (t) => servers.set(t, await read(t).catch(() => servers.get(t) as ServerView)))).then(() => undefined);
    return serversReading;
  };
  const assets = loadAssets();
  const now = o.now ?? (() => new Date());

  app.use('*', async (c, next) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    // DNS rebinding: a foreign page resolving its own name to 127.0.0.1 still sends its own Host.
    if (!allowedHosts(o.port()).has(c.req.header('host') ?? '')) return c.text('Misdirected request: this dashboard answers only to its own 127.0.0.1 address.\n', 421);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return c.text('The dashboard is read-only.\n', 405, { Allow: 'GET, HEAD' });
    const name = cookieName(o.port());
    // The printed URL carries the token as /login/<token> (a `token=` query would read as a secret
    // assignment to the redactor, which then blanks it in the terminal); ?token= works as well.
    const login = /^\/login\/([A-Za-z0-9_-]+)$/.exec(c.req.path);
    if (login !== null) {
      if (!tokenMatches(login[1], o.token)) return c.text('Forbidden: this login link is not the one `shipproof dashboard` printed.\n', 403);
      setCookie(c, name, o.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      return c.redirect('/', 303);
    }
    const fromUrl = c.req.query('token');
    if (fromUrl !== undefined && tokenMatches(fromUrl, o.token)) {
      setCookie(c, name, o.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      // Drop the token from the address bar and history.
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    if (!tokenMatches(getCookie(c, name), o.token)) {
      return c.text('Forbidden: open the URL `shipproof dashboard` printed (it carries the access token).\n', 403);
    }
    await next();
  });

  const page = async (c: Context, section: PageContext['section'], render: (ctx: PageContext) => Html | Promise<Html> | undefined): Promise<Response> => {
    const snapshot = await cache.get();
    const out = await render({ snapshot, project: o.project, now: now(), section });
    if (out === undefined) return c.html(redactText(notFound(c.req.path)), 404);
    return c.html(redactText(String(await out)));
  };

  const backupOpts = {
    maxBackupAgeMs: o.backups?.maxAgeMs ?? 26 * 3_600_000,
    offsiteConfigured: o.backups?.offsiteConfigured ?? false,
  };

  app.get('/', (c) =>
    page(c, '/', (ctx) => overviewPage(ctx, { ...backupOpts, server: servers, staleAfterMs: 5 * 60_000, certWarnDays: o.certWarnDays ?? 21 })),
  );
  app.get('/timeline', (c) =>
    page(c, '/timeline', (ctx) =>
      timelinePage(ctx, {
        ...opt('kind', c.req.query('kind')),
        ...opt('target', c.req.query('target')),
        ...opt('status', c.req.query('status')),
        ...opt('release', c.req.query('release')),
      }),
    ),
  );
  app.get('/record/:seq', (c) =>
    page(c, '/timeline', (ctx) => {
      const seq = Number(c.req.param('seq'));
      const r = Number.isInteger(seq) ? ctx.snapshot.records[seq - 1] : undefined;
      return r === undefined ? undefined : recordPage(ctx, r);
    }),
  );
  app.get('/releases', (c) => page(c, '/releases', (ctx) => releasesPage(ctx)));
  app.get('/release/:id', (c) => page(c, '/releases', (ctx) => releasePage(ctx, c.req.param('id'))));
  app.get('/backups', (c) => page(c, '/backups', (ctx) => backupsPage(ctx, { ...backupOpts, retention: o.backups?.retention ?? 'not configured' })));
  app.get('/trends', (c) => page(c, '/trends', (ctx) => trendsPage(ctx)));
  app.get('/reports', async (c) => {
    const files = await listReports(o.reports ?? {});
    return page(c, '/reports', (ctx) => reportsPage(ctx, files, Number(c.req.query('file') ?? 0)));
  });

  app.get('/refresh', async (c) => {
    const target = c.req.query('target') ?? '';
    if (o.readServer === undefined) return c.text('Reading the server is not available in this dashboard.\n', 404);
    const view = await o.readServer(target);
    servers.set(view.target, view);
    return c.redirect('/', 303);
  });

  // Browsers ask for it on their own; there is none, and a 404 would show as a console error.
  app.get('/favicon.ico', (c) => c.body(null, 204));

  app.get('/assets/:name', (c) => {
    const a = assets.get(c.req.param('name'));
    if (a === undefined) return c.text('Not found\n', 404);
    c.header('Content-Type', a.type);
    return c.body(new Uint8Array(a.body));
  });

  // Live updates: one event whenever the evidence folder changes (a record landed, a file was edited).
  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      let closed = false;
      stream.onAbort(() => {
        closed = true;
      });
      let last = '';
      while (!closed) {
        const version = await folderVersion(o.evidenceDir);
        if (version !== last) {
          // The first event only says what the page shows; later ones follow a change.
          if (last !== '') await rereadServers(version);
          last = version;
          const s = await cache.get();
          await stream.writeSSE({ event: 'ledger', data: redactText(JSON.stringify(summary(s))) });
        }
        await stream.sleep(o.watchIntervalMs ?? 1000);
      }
    }),
  );

  app.get('/api/summary.json', async (c) => c.body(redactText(JSON.stringify(summary(await cache.get()))), 200, { 'Content-Type': 'application/json' }));

  app.notFound((c) => c.html(notFound(c.req.path), 404));
  app.onError((e, c) => c.text(redactText(`The dashboard could not build this page: ${e.message}\n`), 500));
  return app;
}

function opt<K extends string>(k: K, v: string | undefined): Partial<Record<K, string>> {
  return v === undefined || v === '' ? {} : ({ [k]: v } as Record<K, string>);
}

/** What the live view needs to know: the folder's version tag and the ledger's verdict. */
function summary(s: EvidenceSnapshot): { version: string; entries: number; ok: boolean; firstBad?: number; newest?: { seq: number; kind: string; status: string } } {
  const newest = s.records[s.records.length - 1]?.entry;
  return {
    version: versionTag(s),
    entries: s.verify.entries,
    ok: s.verify.ok,
    ...(s.verify.firstBad?.seq === undefined ? {} : { firstBad: s.verify.firstBad.seq }),
    ...(newest === undefined ? {} : { newest: { seq: newest.seq, kind: newest.kind, status: newest.status } }),
  };
}

function notFound(path: string): string {
  const esc = path.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found · shipproof</title><link rel="stylesheet" href="/assets/app.css"></head><body><main id="main"><h1>Not found</h1><p><code>${esc}</code> is not a page of this dashboard.</p><p>${PAGES.map((p) => `<a href="${p.path}">${p.label}</a>`).join(' · ')}</p></main></body></html>`;
}
