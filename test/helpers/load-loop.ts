// An open-loop load generator for cut-over tests: one GET every 1000/rate ms through the proxy
// (loopback only), whatever the answers take, until stopped. Counts every non-2xx answer, socket
// error and timeout as a failure, and which body each success carried.
//
// Like browsers and Go's net/http (so hey), a GET that fails on a reused keep-alive connection
// before any byte of an answer came back (the server closed that idle connection just as the
// request went out, e.g. when Caddy reloads) is sent once more on a fresh connection (RFC 9112
// §9.3.1; Node leaves this to the caller, see `request.reusedSocket`). Those are counted in
// `retriedStale`; a retry that fails too is a failure.
import http from 'node:http';
import https from 'node:https';

export interface LoadReport {
  sent: number;
  ok: number;
  failed: number;
  /** Requests retried once because their reused keep-alive connection was closed under them. */
  retriedStale: number;
  /** Failure kinds, e.g. "502" or "ECONNRESET", with counts. */
  failures: Record<string, number>;
  /** Successful bodies (trimmed, first 40 chars) with counts. */
  bodies: Record<string, number>;
}

export interface LoadLoop {
  /** Resolves once `n` requests have succeeded. */
  succeeded(n: number): Promise<void>;
  /** Resolves once `n` requests have been sent. */
  sent(n: number): Promise<void>;
  /** Stops sending and resolves when every request sent has ended. */
  stop(): Promise<LoadReport>;
}

export function startLoad(url: string, rate: number, o: { timeoutMs?: number; insecure?: boolean } = {}): LoadLoop {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  const agent = new lib.Agent({ keepAlive: true, maxSockets: 64 });
  const report: LoadReport = { sent: 0, ok: 0, failed: 0, retriedStale: 0, failures: {}, bodies: {} };
  const pending = new Set<Promise<void>>();
  const waiters: { n: number; resolve: () => void }[] = [];
  const sentWaiters: { n: number; resolve: () => void }[] = [];
  const fail = (kind: string): void => {
    report.failed++;
    report.failures[kind] = (report.failures[kind] ?? 0) + 1;
  };
  const one = (retry = false): Promise<void> =>
    new Promise<void>((resolve) => {
      if (!retry) report.sent++;
      let answered = false;
      const req = lib.get(u, { agent: retry ? false : agent, timeout: o.timeoutMs ?? 10_000, ...(o.insecure ? { rejectUnauthorized: false } : {}) }, (res) => {
        answered = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) {
            report.ok++;
            const key = body.trim().slice(0, 40);
            report.bodies[key] = (report.bodies[key] ?? 0) + 1;
            for (const w of waiters.filter((x) => report.ok >= x.n)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve();
            }
          } else fail(String(res.statusCode));
          resolve();
        });
        res.on('error', (e: NodeJS.ErrnoException) => {
          fail(e.code ?? 'response error');
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (!retry && !answered && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
          report.retriedStale++;
          void one(true).then(resolve);
          return;
        }
        fail(e.code ?? e.message);
        resolve();
      });
    });
  const started = Date.now();
  let stopped = false;
  // Fixed schedule: the n-th request goes at started + n/rate, so slow answers do not slow the rate.
  const tick = (): void => {
    if (stopped) return;
    const p = one();
    for (const w of sentWaiters.filter((x) => report.sent >= x.n)) {
      sentWaiters.splice(sentWaiters.indexOf(w), 1);
      w.resolve();
    }
    pending.add(p);
    void p.then(() => pending.delete(p));
    setTimeout(tick, Math.max(0, started + ((report.sent + 1) * 1000) / rate - Date.now()));
  };
  tick();
  return {
    succeeded: (n) => (report.ok >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
    sent: (n) => (report.sent >= n ? Promise.resolve() : new Promise<void>((resolve) => sentWaiters.push({ n, resolve }))),
    async stop() {
      stopped = true;
      await Promise.all([...pending]);
      agent.destroy();
      return report;
    },
  };
}
