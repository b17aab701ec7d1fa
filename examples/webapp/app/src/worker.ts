// Entry point `worker`: polls the jobs table and finishes jobs. Logs job ids only, never payloads.
// Survives database outages: it backs off and keeps polling.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { loadAppConfig } from './config.js';
import { createPool } from './db.js';
import { errorText, log } from './log.js';
import { processNextJob } from './jobs.js';

const MAX_BACKOFF_MS = 5000;

/** The "work" of this example: hash the payload (a stand-in for real processing). */
async function work(payload: string): Promise<void> {
  createHash('sha256').update(payload).digest();
}

async function main(): Promise<void> {
  const config = loadAppConfig();
  const pool = createPool(config, 'webapp-worker');
  const name = hostname();
  let stopping = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const stop = (signal: string): void => {
    log('info', 'shutting down', { signal });
    stopping = true;
    wake?.();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  log('info', 'worker started', { pollIntervalMs: config.pollIntervalMs });
  let failures = 0;
  while (!stopping) {
    try {
      const id = await processNextJob(pool, name, work);
      if (failures > 0) log('info', 'database reachable again');
      failures = 0;
      if (id !== undefined) {
        log('info', 'job done', { jobId: id });
        continue; // drain the queue before sleeping
      }
    } catch (err) {
      failures++;
      // Once per outage, then every tenth attempt: an outage should not flood the log.
      if (failures === 1 || failures % 10 === 0) log('warn', 'polling failed', { attempt: failures, error: errorText(err) });
    }
    await sleep(failures === 0 ? config.pollIntervalMs : Math.min(MAX_BACKOFF_MS, config.pollIntervalMs * 2 ** Math.min(failures, 4)));
  }
  await pool.end().catch(() => undefined);
  process.exit(0);
}

main().catch((err: unknown) => {
  log('error', 'worker failed', { error: errorText(err) });
  process.exit(1);
});
