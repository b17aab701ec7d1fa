// Migrations at start-up: every .sql file in migrations/ runs once, in name order, each in its own
// transaction together with its schema_migrations row. A session-level advisory lock makes two
// processes starting at once take turns; the second finds nothing left to do.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'pg';
import { log } from './log.js';

export interface Migration {
  version: string;
  sql: string;
}

/** Any constant works; it only has to be the same in every process of this app. */
const MIGRATION_LOCK_KEY = 4_207_312_001;

/** Used by FAIL_MODE=bad-migration: fails inside its transaction, so nothing is recorded. */
export const BAD_MIGRATION: Migration = {
  version: '9999_fail_mode_bad_migration',
  sql: 'ALTER TABLE fail_mode_no_such_table ADD COLUMN never_added integer;',
};

export class MigrationError extends Error {
  constructor(
    readonly version: string,
    cause: unknown,
  ) {
    super(`Migration ${version} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export async function loadMigrations(dir: string): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  return Promise.all(names.map(async (name) => ({ version: name.replace(/\.sql$/, ''), sql: await readFile(join(dir, name), 'utf8') })));
}

/** Runs what is pending; returns the versions applied by this call. */
export async function runMigrations(client: Client, migrations: readonly Migration[]): Promise<string[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    // Inside the lock: two concurrent CREATE TABLE IF NOT EXISTS can still collide.
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        await client.query('BEGIN');
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(migration.version, err);
      }
      log('info', 'migration applied', { version: migration.version });
      applied.push(migration.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
  }
}
