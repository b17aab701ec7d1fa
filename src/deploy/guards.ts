// The milestone guard: a milestone counts only when the earlier ones have passing evidence for
// the same release on the same target (read from the ledger).
import type { ResolvedConfig } from '../config/load.js';
import type { LedgerEntry } from '../evidence/ledger.js';
import { EvidenceStore } from '../evidence/store.js';
import { milestoneTable } from '../probes/milestones.js';
import { TOOL_VERSION } from '../version.js';

/** The newest milestone statuses for a release on a target, from the ledger. */
export async function ledgerTable(config: ResolvedConfig, target: string, release: string) {
  const entries: LedgerEntry[] = await EvidenceStore.open(config.evidenceDir, { toolVersion: TOOL_VERSION }).list().catch(() => []);
  return milestoneTable(entries, target, release);
}

/** Earlier milestones must have passing (or not-applicable) evidence for the same release. */
export function guardProblems(table: Awaited<ReturnType<typeof ledgerTable>>, upTo: number): string[] {
  return table.rows
    .filter((r) => r.number < upTo && r.status !== 'passed' && r.status !== 'skipped')
    .map((r) => `milestone ${r.number} (${r.id}) is ${r.status}`);
}

