// Milestone completion: which of the ten milestones have passing evidence for the newest release
// recorded for this target, read from the evidence ledger on this machine.
import { EvidenceStore } from '../evidence/store.js';
import type { LedgerEntry } from '../evidence/ledger.js';
import { MILESTONES } from '../milestones/catalog.js';
import { pass, type Observations, type Probe } from './types.js';

export interface MilestoneTable {
  release: string | null;
  rows: { number: number; id: string; status: string; record: string | null }[];
}

/** The milestone table of one release, from ledger entries (the newest entry per milestone wins). */
export function milestoneTable(entries: readonly LedgerEntry[], target: string, release?: string): MilestoneTable {
  const mine = entries.filter((e) => e.kind === 'milestone' && e.target === target && e.milestone !== undefined);
  const chosen = release ?? [...mine].reverse().find((e) => e.release !== undefined)?.release ?? null;
  const rows = MILESTONES.map((m) => {
    const last = [...mine].reverse().find((e) => e.milestone?.number === m.number && (chosen === null || e.release === chosen));
    return { number: m.number, id: m.id, status: last?.status ?? 'pending', record: last?.record ?? null };
  });
  return { release: chosen, rows };
}

export const milestonesProbe: Probe = {
  id: 'milestones',
  title: 'Milestone completion',
  reads: 'the evidence ledger on this machine: the newest status of each milestone for the current release',
  gate: false,
  neverRecords: [],
  plan: (ctx) => [{ where: 'operator', argv: ['read', `${ctx.config.evidenceDir}/ledger.jsonl`] }],
  async run(ctx) {
    const store = EvidenceStore.open(ctx.config.evidenceDir);
    const entries = await store.list().catch(() => [] as LedgerEntry[]);
    const table = milestoneTable(entries, ctx.target.name);
    const observations: Observations = { release: table.release };
    for (const row of table.rows) observations[`m${row.number}.${row.id}`] = row.status;
    const passed = table.rows.filter((r) => r.status === 'passed').length;
    return pass(observations, `${passed} of ${MILESTONES.length} milestones have passing evidence`);
  },
};
