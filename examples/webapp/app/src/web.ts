// Entry point `web`: migrations first, then the HTTP server. Any start-up failure exits non-zero,
// so a bad release never becomes healthy.
import { createServer } from 'node:http';
import { AppConfigError, loadAppConfig, type AppConfig } from './config.js';
import { connectWithRetry, createPool } from './db.js';
import { errorText, log } from './log.js';
import { BAD_MIGRATION, loadMigrations, runMigrations } from './migrations.js';
import { MIGRATIONS_DIR, STATIC_DIR } from './paths.js';
import { createHandler } from './server.js';
import { loadStaticAssets } from './static-assets.js';

const DB_STARTUP_BUDGET_MS = 30_000;
const SHUTDOWN_GRACE_MS = 5000;

async function migrate(config: AppConfig): Promise<void> {
  const migrations = await loadMigrations(MIGRATIONS_DIR);
  if (config.failMode === 'bad-migration') migrations.push(BAD_MIGRATION);
  const client = await connectWithRetry(config, 'webapp-migrate', DB_STARTUP_BUDGET_MS);
  try {
    const applied = await runMigrations(client, migrations);
    log('info', 'migrations up to date', { applied: applied.length, known: migrations.length });
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const config = loadAppConfig();
  if (config.failMode === 'exit') {
    log('error', 'FAIL_MODE=exit: exiting at start-up (deploy test hook)');
    process.exit(1);
  }
  if (config.failMode !== 'none') log('warn', `FAIL_MODE=${config.failMode} is set (deploy test hook)`);

  await migrate(config);
  const assets = await loadStaticAssets(STATIC_DIR);
  const pool = createPool(config, 'webapp-web');
  const server = createServer(createHandler({ config, pool, assets }));
  server.keepAliveTimeout = 65_000; // longer than the proxy's idle timeout, so it closes first

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, resolve);
  });
  log('info', 'web listening', { port: config.port });

  // PID 1 in a container gets no default SIGTERM handling: stop cleanly, or be killed after 10 s.
  const stop = (signal: string): void => {
    log('info', 'shutting down', { signal });
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    server.close(() => {
      pool.end().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  log('error', 'web failed to start', { error: errorText(err), ...(err instanceof AppConfigError ? { config: true } : {}) });
  process.exit(1);
});
