// Readiness: can a new connection reach PostgreSQL and run `select 1` within the budget? A fresh,
// short-lived connection answers the real question (a pooled one may be stale) and a dead database
// gives an answer at the deadline at the latest.
import pg from 'pg';
import type { AppConfig } from './config.js';
import { errorText, log } from './log.js';

export type Readiness = { ok: true } | { ok: false; reason: string };

export async function checkDatabase(config: AppConfig): Promise<Readiness> {
  const budget = config.readyTimeoutMs;
  const client = new pg.Client({
    connectionString: config.databaseUrl,
    application_name: 'webapp-readyz',
    connectionTimeoutMillis: budget,
    query_timeout: budget,
  });
  client.on('error', () => undefined); // reported through the promise below
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${budget} ms`)), budget);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.query('select 1');
      })(),
      deadline,
    ]);
    return { ok: true };
  } catch (err) {
    const reason = errorText(err);
    log('warn', 'readiness check failed', { error: reason });
    return { ok: false, reason };
  } finally {
    clearTimeout(timer);
    // end() waits for the server; do not let a dead database hold the response.
    client.end().catch(() => undefined);
  }
}
