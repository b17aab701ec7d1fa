// The jobs queue in PostgreSQL. Payloads go in and are read by the worker; they are never logged
// and never returned by the API.
import type { Pool, Queryable } from 'pg';

export interface JobView {
  id: number;
  status: 'queued' | 'done';
  createdAt: string;
  doneAt: string | null;
  worker: string | null;
}

interface JobRow {
  id: string; // bigint arrives as a string
  status: 'queued' | 'done';
  created_at: Date;
  done_at: Date | null;
  worker: string | null;
}

const VIEW_COLUMNS = 'id, status, created_at, done_at, worker';

function toView(row: JobRow): JobView {
  return {
    id: Number(row.id),
    status: row.status,
    createdAt: row.created_at.toISOString(),
    doneAt: row.done_at ? row.done_at.toISOString() : null,
    worker: row.worker,
  };
}

export async function enqueueJob(db: Queryable, payload: string): Promise<JobView> {
  const result = await db.query<JobRow>(`INSERT INTO jobs (payload) VALUES ($1) RETURNING ${VIEW_COLUMNS}`, [payload]);
  const row = result.rows[0];
  if (!row) throw new Error('INSERT returned no row');
  return toView(row);
}

export async function findJob(db: Queryable, id: number): Promise<JobView | undefined> {
  const result = await db.query<JobRow>(`SELECT ${VIEW_COLUMNS} FROM jobs WHERE id = $1`, [id]);
  const row = result.rows[0];
  return row ? toView(row) : undefined;
}

/**
 * Takes the oldest queued job, does its work and marks it done, all in one transaction. SKIP LOCKED
 * lets several workers poll at once without taking the same job. Returns the job id, or undefined
 * when the queue is empty.
 */
export async function processNextJob(pool: Pool, workerName: string, work: (payload: string) => Promise<void>): Promise<number | undefined> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const picked = await client.query<{ id: string; payload: string }>(
      "SELECT id, payload FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
    );
    const job = picked.rows[0];
    if (!job) {
      await client.query('COMMIT');
      return undefined;
    }
    await work(job.payload);
    await client.query("UPDATE jobs SET status = 'done', done_at = now(), worker = $2 WHERE id = $1", [job.id, workerName]);
    await client.query('COMMIT');
    return Number(job.id);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    // A connection that failed mid-transaction is not reused.
    client.release(broken);
  }
}
