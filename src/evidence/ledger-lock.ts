// One writer at a time per evidence folder: ledger.lock, created with O_EXCL, holding the
// writer's pid, host, time and a nonce. A lock whose process is gone (same host, pid dead) is
// stale and broken; breaking goes through a second O_EXCL file and re-reads the lock first, so
// two waiters can never both break it and delete a live writer's fresh lock.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ShipproofError } from '../errors.js';

export const LOCK_FILE = 'ledger.lock';

export interface LockOptions {
  /** Give up waiting after this long. Default 30 s. */
  timeoutMs?: number;
}

interface LockContent {
  pid: number;
  host: string;
  time: string;
  nonce: string;
}

// A lock file that is still empty this long after it was made belongs to a writer that died
// between creating and filling it.
const EMPTY_LOCK_GRACE_MS = 5_000;
const BREAK_LOCK_GRACE_MS = 10_000;

export async function withLedgerLock<T>(evidenceDir: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lockPath = join(evidenceDir, LOCK_FILE);
  const nonce = await acquire(lockPath, options.timeoutMs ?? 30_000);
  try {
    return await fn();
  } finally {
    await release(lockPath, nonce);
  }
}

async function acquire(lockPath: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const nonce = randomBytes(8).toString('hex');
  const content: LockContent = { pid: process.pid, host: hostname(), time: new Date().toISOString(), nonce };
  for (let wait = 5; ; wait = Math.min(wait * 2, 50)) {
    try {
      const fh = await open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      try {
        await fh.writeFile(`${JSON.stringify(content)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return nonce;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = await readLock(lockPath);
    if (held !== undefined && (await isStale(lockPath, held))) {
      await breakStaleLock(lockPath, held.raw);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = held?.content ? `process ${held.content.pid} on ${held.content.host} since ${held.content.time}` : 'another process';
      throw new ShipproofError(`The evidence folder is locked by ${who}, which is still writing evidence.`, {
        hint: `Wait for it to finish. If no shipproof is running, remove ${lockPath}.`,
      });
    }
    await sleep(wait + Math.floor(Math.random() * wait));
  }
}

interface HeldLock {
  raw: string;
  content: LockContent | undefined;
}

async function readLock(lockPath: string): Promise<HeldLock | undefined> {
  let raw: string;
  try {
    raw = await readFile(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const v = JSON.parse(raw) as Partial<LockContent>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.nonce === 'string') {
      return { raw, content: { pid: v.pid, host: v.host, time: String(v.time), nonce: v.nonce } };
    }
  } catch {
    // Empty or half-written: judged by age below.
  }
  return { raw, content: undefined };
}

async function isStale(lockPath: string, held: HeldLock): Promise<boolean> {
  if (held.content === undefined) return olderThan(lockPath, EMPTY_LOCK_GRACE_MS);
  // A pid on another host can't be checked from here: never break it automatically.
  if (held.content.host !== hostname()) return false;
  return !isAlive(held.content.pid);
}

/** Exported for tests and for verify's warning about a stale lock. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms;
  } catch {
    return false;
  }
}

async function breakStaleLock(lockPath: string, staleRaw: string): Promise<void> {
  const breakPath = `${lockPath}.break`;
  let fh;
  try {
    fh = await open(breakPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Someone else is breaking it; clear a break file left by a crashed breaker.
    if (await olderThan(breakPath, BREAK_LOCK_GRACE_MS)) await unlink(breakPath).catch(() => undefined);
    return;
  }
  try {
    await fh.close();
    // Only remove the exact stale lock we judged; a fresh lock from a live writer stays.
    const now = await readLock(lockPath);
    if (now !== undefined && now.raw === staleRaw) await unlink(lockPath).catch(() => undefined);
  } finally {
    await unlink(breakPath).catch(() => undefined);
  }
}

async function release(lockPath: string, nonce: string): Promise<void> {
  const held = await readLock(lockPath);
  if (held?.content?.nonce === nonce) await unlink(lockPath);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Describes a lock left in the folder, for verify's warnings; undefined when there is none. */
export async function describeLeftoverLock(evidenceDir: string): Promise<string | undefined> {
  const held = await readLock(join(evidenceDir, LOCK_FILE));
  if (held === undefined) return undefined;
  if (held.content === undefined) return `${LOCK_FILE} is present but unreadable`;
  const stale = held.content.host === hostname() && !isAlive(held.content.pid);
  return stale
    ? `${LOCK_FILE} was left by process ${held.content.pid}, which is gone (an interrupted append); the next append removes it`
    : `${LOCK_FILE} is held by process ${held.content.pid} on ${held.content.host} (an append in progress?)`;
}
