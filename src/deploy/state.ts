// The deploy state kept on the server (<appDir>/.shipproof/state.json): which releases exist,
// which one is current, which was last known good, and a deploy in progress (so a crash is found
// and reconciled by the next run). Written atomically, mode 0600.
import { Readable } from 'node:stream';
import { z } from 'zod';
import { ShipproofError } from '../errors.js';
import type { Target } from '../targets/target.js';
import { readFileCommand } from './commands.js';
import type { Layout } from './layout.js';

const releaseRecord = z.object({
  id: z.string(),
  bundleSha256: z.string(),
  uploadedAt: z.string(),
  /** `unhealthy`: it was started again (by a rollback) and its own health gate failed. */
  status: z.enum(['uploaded', 'deploying', 'healthy', 'failed', 'rolled-back', 'unhealthy']),
  healthyAt: z.string().optional(),
  /**
   * The exact image of every service, built or published, kept under a per-release tag (and its
   * id), so a re-tagged or re-pulled upstream tag does not change what a rollback runs.
   */
  images: z.record(z.string(), z.object({ ref: z.string(), releaseTag: z.string(), id: z.string().optional(), built: z.boolean().optional(), /** A pulled image's `repo@sha256:…`. */ repoDigest: z.string().optional() })).default({}),
  composeFiles: z.array(z.string()).default([]),
  /** Content-addressed mount paths this release uses (kept while the release is kept). */
  mounts: z.array(z.string()).default([]),
  /** Why a rollback onto this release (whose own deploy failed) was forced. */
  forced: z.string().optional(),
});
export type ReleaseRecord = z.infer<typeof releaseRecord>;

const stateSchema = z.object({
  version: z.literal(1),
  releases: z.array(releaseRecord),
  current: z.string().optional(),
  lastKnownGood: z.string().optional(),
  inProgress: z
    .object({ release: z.string(), startedAt: z.string(), operator: z.string(), host: z.string(), pid: z.number(), phase: z.string().optional() })
    .optional(),
  /**
   * The stack is down: a rollback's own gate failed (or a first release failed with nothing to
   * go back to). Cleared only by a release whose health gate passes.
   */
  down: z
    .object({ since: z.string(), reason: z.string(), running: z.string(), recovery: z.array(z.string()) })
    .optional(),
});
export type DeployState = z.infer<typeof stateSchema>;

export function emptyState(): DeployState {
  return { version: 1, releases: [] };
}

export async function readState(host: Target, l: Layout): Promise<DeployState> {
  const r = await host.exec(readFileCommand(l.stateFile), { timeoutMs: 30_000 });
  if (r.stdout.trim() === '') return emptyState();
  let raw: unknown;
  try {
    raw = JSON.parse(r.stdout);
  } catch {
    throw new ShipproofError(`The deploy state ${l.stateFile} on ${host.description} is not valid JSON.`, {
      hint: 'It was edited by hand or damaged; restore it from the previous version or remove it to start over.',
    });
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ShipproofError(`The deploy state ${l.stateFile} on ${host.description} has an unexpected shape.`, {
      hint: 'It may come from a newer shipproof; upgrade, or move it aside.',
    });
  }
  return parsed.data;
}

export async function writeState(host: Target, l: Layout, state: DeployState): Promise<void> {
  await host.putStream(Readable.from([Buffer.from(`${JSON.stringify(state, null, 2)}\n`)]), l.stateFile, { mode: 0o600, mkdirs: true, timeoutMs: 30_000 });
}

export function releaseOf(state: DeployState, id: string | undefined): ReleaseRecord | undefined {
  return id === undefined ? undefined : state.releases.find((r) => r.id === id);
}

/** Adds or replaces a release record, keeping upload order. */
export function upsertRelease(state: DeployState, rec: ReleaseRecord): DeployState {
  const others = state.releases.filter((r) => r.id !== rec.id);
  return { ...state, releases: [...others, rec] };
}

/**
 * Releases to prune: all but the newest `keep`, never the current one nor the last known good.
 * Pure, so the policy is unit-tested.
 */
export function releasesToPrune(state: DeployState, keep: number): ReleaseRecord[] {
  const protectedIds = new Set([state.current, state.lastKnownGood, state.inProgress?.release].filter((x): x is string => x !== undefined));
  const newestFirst = [...state.releases].reverse();
  const kept = new Set(newestFirst.slice(0, Math.max(1, keep)).map((r) => r.id));
  return state.releases.filter((r) => !kept.has(r.id) && !protectedIds.has(r.id));
}

export type StackHealth = 'healthy' | 'down' | 'ungated' | 'none';

/** Pure: the stack's health word from the state, the live link and whether the in-progress holder lives. */
export function stackHealth(state: DeployState, live: string | undefined, holderAlive: boolean): { health: StackHealth; reason?: string } {
  if (state.down) return { health: 'down', reason: state.down.reason };
  if (state.inProgress && !holderAlive) return { health: 'ungated', reason: `the deploy of ${state.inProgress.release} was interrupted; what runs may not have passed a health gate` };
  if (live !== undefined && state.current !== undefined && live !== state.current) return { health: 'ungated', reason: `the stack runs from release ${live}, which has not passed its health gate as current` };
  const cur = state.releases.find((r) => r.id === state.current);
  if (!cur) return { health: 'none' };
  if (cur.status !== 'healthy') return { health: 'ungated', reason: `the current release is ${cur.status}` };
  return { health: 'healthy' };
}

