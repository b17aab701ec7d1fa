// Connections to PostgreSQL. Every connection attempt is bounded, so a database that is gone makes
// callers fail fast instead of hanging.
import pg, { type Client, type Pool } from 'pg';
import type { AppConfig } from './config.js';
import { errorText, log } from './log.js';

const CONNECT_TIMEOUT_MS = 5000;

export function createPool(config: AppConfig, applicationName: string): Pool {
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    application_name: applicationName,
    max: 5,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: 30_000,
    idleTimeoutMillis: 10_000,
  });
  // An idle connection dies when PostgreSQL stops; unhandled, that error would end the process.
  pool.on('error', (err: unknown) => log('warn', 'idle database connection lost', { error: errorText(err) }));
  return pool;
}

/** A connected single client (for migrations, which hold a session-level advisory lock). */
export async function connectClient(config: AppConfig, applicationName: string): Promise<Client> {
  const client = new pg.Client({
    connectionString: config.databaseUrl,
    application_name: applicationName,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  client.on('error', (err: unknown) => log('warn', 'database connection lost', { error: errorText(err) }));
  await client.connect();
  return client;
}

/**
 * Connects, retrying while the database is still starting (for example right after a restart of
 * the postgres container), for at most `budgetMs`.
 */
export async function connectWithRetry(config: AppConfig, applicationName: string, budgetMs: number): Promise<Client> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectClient(config, applicationName);
    } catch (err) {
      if (Date.now() + 1000 > deadline) throw err;
      log('warn', 'database not reachable yet, retrying', { attempt, error: errorText(err) });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
