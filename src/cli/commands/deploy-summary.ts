// The end of a deploy, from the records it wrote: which URLs answered, which evidence records
// were written, and per service how long it was unavailable (from the availability watch's result).
// Pure over the records, so it says nothing the evidence does not.
import type { ResolvedConfig } from '../../config/load.js';
import type { LedgerEntry } from '../../evidence/ledger.js';
import type { EvidenceStatement } from '../../evidence/predicate-schema.js';
import { EvidenceStore } from '../../evidence/store.js';

export interface WrittenRecord {
  entry: LedgerEntry;
  statement: EvidenceStatement;
}

export interface DeploySummary {
  /** URLs a health probe or the TLS check saw answer during this deploy. */
  answered: { url: string; by: string }[];
  records: { seq: number; record: string; status: string; what: string }[];
  /**
   * Per service, from the `availability` result (src/deploy/availability.ts): `ms` only when it
   * was measured, and always how it was observed; undefined when no watch ran.
   */
  unavailable?: { service: string; ms?: number; how: string }[];
}

export function deploySummary(written: readonly WrittenRecord[], config: Pick<ResolvedConfig, 'health'>): DeploySummary {
  const answered = new Map<string, string>();
  const unavailable = new Map<string, { ms?: number; how: string }>();
  for (const { entry, statement } of written) {
    for (const r of statement.predicate.results) {
      const o = r.observations;
      // The health gate: "name: ok 200 12ms".
      const probes = o['probes'];
      if (Array.isArray(probes)) {
        for (const line of probes) {
          const m = /^(.+?): ok\b/.exec(line);
          const p = m === null ? undefined : config.health.find((h) => h.name === m[1]);
          if (p !== undefined) answered.set(p.url, `health probe ${p.name} (#${entry.seq})`);
        }
      }
      // The HTTP health probe (milestone 8, collect): "<name>.url" with a status that was expected.
      if (r.id === 'http-health') {
        for (const p of config.health) {
          if (o[`${p.name}.url`] === p.url && o[`${p.name}.status`] === p.status) answered.set(p.url, `health probe ${p.name} (#${entry.seq})`);
        }
      }
      // TLS: "<domain>.served" true.
      if (r.id === 'tls') {
        for (const [k, v] of Object.entries(o)) {
          if (k.endsWith('.served') && v === true) answered.set(`https://${k.slice(0, -'.served'.length)}`, `TLS check (#${entry.seq})`);
        }
      }
      if (r.id === 'availability') {
        for (const [k, v] of Object.entries(o)) {
          const m = /^(.+)\.availability$/.exec(k);
          if (m === null || typeof v !== 'string') continue;
          const ms = o[`${m[1]}.downtimeMs`];
          unavailable.set(m[1] as string, { ...(typeof ms === 'number' ? { ms } : {}), how: v });
        }
      }
    }
  }
  return {
    answered: [...answered].map(([url, by]) => ({ url, by })),
    records: written.map(({ entry }) => ({
      seq: entry.seq,
      record: entry.record,
      status: entry.status,
      what: entry.milestone === undefined ? entry.kind : `milestone ${entry.milestone.number} ${entry.milestone.id}`,
    })),
    ...(unavailable.size === 0 ? {} : { unavailable: [...unavailable].sort(([a], [b]) => a.localeCompare(b)).map(([service, u]) => ({ service, ...u })) }),
  };
}

export function renderDeploySummary(s: DeploySummary, evidenceDir: string): string[] {
  const lines: string[] = [];
  lines.push(s.answered.length === 0 ? 'answered: no URL was seen answering in this deploy' : `answered: ${s.answered.map((a) => `${a.url} (${a.by})`).join(', ')}`);
  if (s.records.length === 0) lines.push('evidence: no record written');
  else {
    lines.push(`evidence: ${s.records.length} ${s.records.length === 1 ? 'record' : 'records'} in ${evidenceDir}`);
    for (const r of s.records) lines.push(`  #${r.seq} ${r.record} ${r.status}`);
  }
  if (s.unavailable === undefined) lines.push('unavailable: not measured (no availability watch ran: the stack was not changed)');
  else {
    const fig = (ms: number | undefined) => (ms === undefined ? 'no figure' : ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
    lines.push(`unavailable: ${s.unavailable.map((u) => `${u.service} ${fig(u.ms)}`).join(', ')}`);
    // How each was observed and how often: a 0 is a measurement, not a default.
    for (const u of s.unavailable) lines.push(`  ${u.how}`);
  }
  return lines;
}

/** The ledger's length now, so the records a command writes can be read back after it. */
export async function ledgerLength(evidenceDir: string): Promise<number> {
  return (await EvidenceStore.open(evidenceDir).list().catch(() => [])).length;
}

export async function recordsSince(evidenceDir: string, seen: number): Promise<WrittenRecord[]> {
  const store = EvidenceStore.open(evidenceDir);
  const entries = (await store.list().catch(() => [])).slice(seen);
  const out: WrittenRecord[] = [];
  for (const entry of entries) {
    const shown = await store.show(entry.seq).catch(() => undefined);
    if (shown !== undefined) out.push({ entry, statement: shown.statement });
  }
  return out;
}
