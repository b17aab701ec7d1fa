// Settings from the environment. DATABASE_URL wins; without it pg reads PGHOST, PGPORT, PGUSER,
// PGPASSWORD and PGDATABASE itself. No value read here is ever logged.

/**
 * Test hook for shipproof's deploy tests (see README): makes a release fail in a chosen way.
 *  - none: normal operation
 *  - exit: web exits with status 1 at start-up
 *  - healthz500: /healthz answers 500, so the container never becomes healthy
 *  - bad-migration: start-up runs a migration that fails, so web exits with status 1
 */
export const FAIL_MODES = ['none', 'exit', 'healthz500', 'bad-migration'] as const;
export type FailMode = (typeof FAIL_MODES)[number];

export interface AppConfig {
  port: number;
  /** undefined: pg falls back to the PG* variables. */
  databaseUrl: string | undefined;
  failMode: FailMode;
  /** Budget of one readiness check (connect + `select 1`): under 2 s, so /readyz answers within 2 s through the proxy. */
  readyTimeoutMs: number;
  /** Pause between worker polls when the queue is empty. */
  pollIntervalMs: number;
}

export class AppConfigError extends Error {}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new AppConfigError(`${name} must be a whole number between 1 and ${max}.`);
  }
  return n;
}

export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const failMode = env.FAIL_MODE === undefined || env.FAIL_MODE === '' ? 'none' : env.FAIL_MODE;
  if (!(FAIL_MODES as readonly string[]).includes(failMode)) {
    throw new AppConfigError(`FAIL_MODE must be unset or one of ${FAIL_MODES.filter((m) => m !== 'none').join(', ')}.`);
  }
  return {
    port: positiveInt(env, 'PORT', 8080, 65535),
    databaseUrl: env.DATABASE_URL === '' ? undefined : env.DATABASE_URL,
    failMode: failMode as FailMode,
    readyTimeoutMs: positiveInt(env, 'READY_TIMEOUT_MS', 1800, 60_000),
    pollIntervalMs: positiveInt(env, 'WORKER_POLL_MS', 500, 60_000),
  };
}
