// The deploy lock on the server: `mkdir` is atomic, so two deploys never overlap. The holder
// (who, when, which release, a message, and the operator's host and pid) is written inside it.
// A lock whose holder provably died (same host, pid gone) is recovered; any other lock is only
// broken on request.
import { hostname, userInfo } from 'node:os';
import { Readable } from 'node:stream';
import { ShipproofError } from '../errors.js';
import { redactText } from '../redact/index.js';
import type { Target } from '../targets/target.js';
import { acquireLockCommand, readFileCommand, releaseLockCommand } from './commands.js';
import type { Layout } from './layout.js';

export interface LockHolder {
  operator: string;
  host: string;
  pid: number;
  since: string;
  release?: string;
  message?: string;
}

export class LockHeldError extends ShipproofError {
  override readonly code = 'lock_held';
  constructor(readonly holder: LockHolder | undefined, where: string) {
    super(
      holder
        ? `Another deploy holds the lock on ${where}: ${holder.operator}@${holder.host} (pid ${holder.pid}) since ${holder.since}${holder.release ? `, release ${holder.release}` : ''}${holder.message ? ` — "${holder.message}"` : ''}.`
        : `The deploy lock on ${where} is held, and its holder is not recorded.`,
      { hint: 'Wait for it (--lock-wait 5m), or if that deploy is gone for good: `shipproof lock release --force`.' },
    );
  }
}

export function currentHolder(release?: string, message?: string): LockHolder {
  return {
    operator: (() => {
      try {
        return userInfo().username;
      } catch {
        return 'unknown';
      }
    })(),
    host: hostname(),
    pid: process.pid,
    since: new Date().toISOString(),
    ...(release ? { release } : {}),
    // The holder file sits on the server in clear: a secret typed into --message stays out of it.
    ...(message ? { message: redactText(message) } : {}),
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A holder on this machine whose process is gone: its deploy was killed. */
export function holderIsDead(h: LockHolder | undefined): boolean {
  // pid 0 marks a lock taken by hand (`shipproof lock acquire`): it outlives its process on purpose.
  return h !== undefined && h.pid > 0 && h.host === hostname() && !pidAlive(h.pid);
}

export async function readLockHolder(host: Target, l: Layout): Promise<LockHolder | undefined> {
  const r = await host.exec(readFileCommand(l.lockHolder), { timeoutMs: 30_000 });
  if (r.stdout.trim() === '') return undefined;
  try {
    return JSON.parse(r.stdout) as LockHolder;
  } catch {
    return undefined;
  }
}

/** The holder, read again for a few seconds while the lock exists without one (its taker is writing it); 'gone' when the lock went meanwhile. */
async function readHolderSoon(host: Target, l: Layout): Promise<LockHolder | undefined | 'gone'> {
  for (let i = 0; ; i++) {
    const holder = await readLockHolder(host, l);
    if (holder !== undefined || i >= 15) return holder;
    const still = await host.exec(['test', '-d', l.lockDir], { reject: false, timeoutMs: 30_000 });
    if (still.exitCode !== 0) return 'gone';
    await new Promise((res) => setTimeout(res, 200));
  }
}

export interface LockStatus {
  held: boolean;
  holder?: LockHolder;
  /** The holder's process is gone (same host, dead pid). */
  stale: boolean;
}

export async function lockStatus(host: Target, l: Layout): Promise<LockStatus> {
  const r = await host.exec(['test', '-d', l.lockDir], { reject: false, timeoutMs: 30_000 });
  if (r.exitCode !== 0) return { held: false, stale: false };
  const holder = await readLockHolder(host, l);
  return { held: true, ...(holder ? { holder } : {}), stale: holderIsDead(holder) };
}

export interface AcquireOptions {
  release?: string;
  message?: string;
  /** Poll this long for a held lock to be released. Default 0: fail at once. */
  waitMs?: number;
  pollMs?: number;
  /** A lock taken by hand, held until released explicitly (recorded with pid 0). */
  manual?: boolean;
  onRecovered?: (dead: LockHolder) => void;
}

export async function acquireLock(host: Target, l: Layout, o: AcquireOptions = {}): Promise<LockHolder> {
  const deadline = Date.now() + (o.waitMs ?? 0);
  const me = { ...currentHolder(o.release, o.message), ...(o.manual ? { pid: 0 } : {}) };
  for (;;) {
    const r = await host.exec(acquireLockCommand(l.lockDir), { reject: false, timeoutMs: 30_000 });
    if (r.exitCode === 0) {
      await host.putStream(Readable.from([Buffer.from(JSON.stringify(me))]), l.lockHolder, { mode: 0o600, timeoutMs: 30_000 });
      return me;
    }
    if (r.exitCode !== 17) throw new ShipproofError(`Could not create the deploy lock on ${host.description}.`, { hint: r.stderr.trim().slice(0, 200) });
    // The holder is written just after mkdir: a lock taken a moment ago may not name it yet.
    const read = await readHolderSoon(host, l);
    if (read === 'gone') continue;
    const holder = read;
    if (holderIsDead(holder)) {
      // Our own earlier run on this machine was killed: its lock is provably abandoned.
      o.onRecovered?.(holder!);
      await host.exec(releaseLockCommand(l.lockDir), { timeoutMs: 30_000 });
      continue;
    }
    if (Date.now() >= deadline) throw new LockHeldError(holder, host.description);
    await new Promise((res) => setTimeout(res, o.pollMs ?? 1_000));
  }
}

/** Releases the lock if we hold it (or unconditionally with force). */
export async function releaseLock(host: Target, l: Layout, o: { force?: boolean; me?: LockHolder } = {}): Promise<boolean> {
  const status = await lockStatus(host, l);
  if (!status.held) return false;
  const mine = o.me !== undefined && status.holder?.pid === o.me.pid && status.holder.host === o.me.host && status.holder.since === o.me.since;
  if (!mine && !o.force && !status.stale) throw new LockHeldError(status.holder, host.description);
  await host.exec(releaseLockCommand(l.lockDir), { timeoutMs: 30_000 });
  return true;
}
