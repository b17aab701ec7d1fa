// The one thing the dashboard reads from a server, and only when the page asks: the deploy state
// (current / last known good release, a deploy in progress) and the deploy lock, over the same
// target layer deploy uses. Read-only, with a timeout; the answer is kept with its time, so the
// page can say how old it is.
import type { ResolvedConfig } from '../config/load.js';
import { layout } from '../deploy/layout.js';
import { lockStatus, type LockStatus } from '../deploy/lock.js';
import { readState } from '../deploy/state.js';
import { createTarget, type CreateTargetOptions } from '../targets/create.js';
import { redactValue } from '../redact/index.js';

export interface ServerView {
  target: string;
  at: string;
  ok: boolean;
  problem?: string;
  current?: string;
  lastKnownGood?: string;
  inProgress?: { release: string; startedAt: string; operator: string };
  releases?: { id: string; status: string; uploadedAt: string }[];
  lock?: LockStatus;
}

export const REFRESH_TIMEOUT_MS = 20_000;

export type ServerReader = (target: string) => Promise<ServerView>;

export function serverReader(config: ResolvedConfig, o: CreateTargetOptions & { timeoutMs?: number } = {}): ServerReader {
  return async (name) => {
    const at = new Date().toISOString();
    const t = config.targets[name];
    if (t === undefined) return { target: name, at, ok: false, problem: `shipproof.yaml has no target "${name}"` };
    const host = createTarget(t, o);
    const l = layout(t.appDir);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${(o.timeoutMs ?? REFRESH_TIMEOUT_MS) / 1000} s`)), o.timeoutMs ?? REFRESH_TIMEOUT_MS);
      });
      const [state, lock] = await Promise.race([Promise.all([readState(host, l), lockStatus(host, l)]), timeout]);
      return redactValue({
        target: name,
        at,
        ok: true,
        ...(state.current === undefined ? {} : { current: state.current }),
        ...(state.lastKnownGood === undefined ? {} : { lastKnownGood: state.lastKnownGood }),
        ...(state.inProgress === undefined ? {} : { inProgress: { release: state.inProgress.release, startedAt: state.inProgress.startedAt, operator: state.inProgress.operator } }),
        releases: state.releases.map((r) => ({ id: r.id, status: r.status, uploadedAt: r.uploadedAt })),
        lock,
      });
    } catch (e) {
      return redactValue({ target: name, at, ok: false, problem: e instanceof Error ? e.message : String(e) });
    } finally {
      clearTimeout(timer);
      await host.close().catch(() => undefined);
    }
  };
}
