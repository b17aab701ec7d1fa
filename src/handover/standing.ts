// Where things stand on one target, from the ledger: the current release, the last good one, the
// newest health observation with its age, and which app URLs were last seen answering. Every
// fact carries the record it comes from.
import type { ResolvedConfig } from '../config/load.js';
import type { LedgerEntry } from '../evidence/ledger.js';
import { isRehearsal, type Loaded } from './events.js';

export interface Fact<T> {
  value: T;
  /** The record behind it; undefined when none is (the fact is then marked as unrecorded). */
  record?: LedgerEntry;
}

export interface Standing {
  target: string;
  /** Release serving now, or null when the newest record says nothing serves. */
  current?: Fact<string | null>;
  lastGood?: Fact<string>;
  health?: Fact<{ status: string; reason?: string; time: string }>;
  /** Config URLs, each with the newest record that saw it answer as expected. */
  urls: { url: string; name: string; seen?: Fact<{ time: string; status: number | null }> }[];
  /** A change (deploy, rollback, restore) newer than the newest health observation. */
  healthStale: boolean;
}

export function standingOf(loaded: readonly Loaded[], target: string, config: Pick<ResolvedConfig, 'health' | 'domains'>): Standing {
  const mine = loaded.filter((l) => l.entry.target === target);
  let current: Standing['current'];
  let lastGood: Standing['lastGood'];
  let health: Standing['health'];
  let lastChange: LedgerEntry | undefined;
  const seen = new Map<string, Fact<{ time: string; status: number | null }>>();

  for (const l of mine) {
    const e = l.entry;
    const p = l.statement?.predicate;
    if (e.kind === 'deploy' && e.status === 'passed' && e.release !== undefined) {
      current = { value: e.release, record: e };
      lastGood = { value: e.release, record: e };
    }
    if (e.kind === 'rollback') {
      lastChange = e;
      const to = p?.rollback?.to ?? e.release;
      const serves = p?.rollback?.serves ?? e.status === 'passed';
      if (serves && to !== undefined) {
        current = { value: to, record: e };
        lastGood = { value: to, record: e };
      } else current = { value: null, record: e };
      // The rollback ran the health gate on the release it went back to.
      const g = p?.results.find((r) => r.id === 'health-gate-after-rollback');
      if (g !== undefined) health = { value: { status: g.status, ...(g.reason === undefined ? {} : { reason: g.reason }), time: e.time }, record: e };
    }
    // A restore into a live service changes what serves; a later health observation is needed.
    if (e.kind === 'restore' && !isRehearsal(l)) lastChange = e;
    // Health: the health gate (milestone 7) and collect's HTTP probe are observations of it.
    const gate = e.kind === 'milestone' && e.milestone?.number === 7;
    const http = p?.results.find((r) => r.id === 'http-health');
    if (gate || (e.kind === 'collect' && http !== undefined)) {
      const r = gate ? p?.results[0] : http;
      if (r !== undefined) health = { value: { status: r.status, ...(r.reason === undefined ? {} : { reason: r.reason }), time: e.time }, record: e };
      if (gate && e.status === 'passed' && e.release !== undefined) lastGood = { value: e.release, record: e };
    }
    for (const r of p?.results ?? []) {
      const probes = r.observations['probes'];
      if (Array.isArray(probes)) {
        for (const line of probes) {
          const m = /^(.+?): ok\b(?: (\d+))?/.exec(line);
          const h = m === null ? undefined : config.health.find((x) => x.name === m[1]);
          if (h !== undefined && m !== null) seen.set(h.url, { value: { time: e.time, status: m[2] === undefined ? null : Number(m[2]) }, record: e });
        }
      }
      if (r.id === 'http-health') {
        for (const h of config.health) {
          const status = r.observations[`${h.name}.status`];
          if (r.observations[`${h.name}.url`] === h.url && status === h.status) seen.set(h.url, { value: { time: e.time, status }, record: e });
        }
      }
      if (r.id === 'tls') {
        for (const d of config.domains) if (r.observations[`${d}.served`] === true) seen.set(`https://${d}`, { value: { time: e.time, status: null }, record: e });
      }
    }
  }
  const urls = [
    ...config.health.map((h) => ({ url: h.url, name: `health probe ${h.name}` })),
    ...config.domains.map((d) => ({ url: `https://${d}`, name: `domain ${d}` })),
  ].map((u) => {
    const s = seen.get(u.url);
    return { ...u, ...(s === undefined ? {} : { seen: s }) };
  });
  return {
    target,
    ...(current === undefined ? {} : { current }),
    ...(lastGood === undefined ? {} : { lastGood }),
    ...(health === undefined ? {} : { health }),
    urls,
    healthStale: health !== undefined && lastChange !== undefined && (health.record?.seq ?? 0) < lastChange.seq,
  };
}
