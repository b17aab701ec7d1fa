// Entry point `migrate`: runs pending migrations and exits (web also does this at start-up). For
// operators who want migrations as a separate step, and safe to run next to a starting web.
import { loadAppConfig } from './config.js';
import { connectClient } from './db.js';
import { errorText, log } from './log.js';
import { loadMigrations, runMigrations } from './migrations.js';
import { MIGRATIONS_DIR } from './paths.js';

async function main(): Promise<void> {
  const config = loadAppConfig();
  const client = await connectClient(config, 'webapp-migrate');
  try {
    const applied = await runMigrations(client, await loadMigrations(MIGRATIONS_DIR));
    log('info', 'migrations up to date', { applied: applied.length });
  } finally {
    await client.end().catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  log('error', 'migrate failed', { error: errorText(err) });
  process.exit(1);
});
