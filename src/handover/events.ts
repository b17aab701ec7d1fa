// What happened, from the ledger: deploys (and their failures), rollbacks, crashed deploys,
// restores into live services, restore rehearsals and backups. Pure over the entries and their
// statements, and every event names the record it comes from.
import type { LedgerEntry } from '../evidence/ledger.js';
import type { EvidenceStatement } from '../evidence/predicate-schema.js';

export interface Loaded {
  entry: LedgerEntry;
  statement?: EvidenceStatement;
}

export type EventKind = 'deploy' | 'deploy-failed' | 'noop' | 'rollback' | 'rollback-failed' | 'crashed' | 'restore-live' | 'rehearsal' | 'backup' | 'milestone-by-hand';

export interface HandoverEvent {
  kind: EventKind;
  time: string;
  text: string;
  /** The records this sentence rests on (never empty). */
  records: LedgerEntry[];
  failed: boolean;
}

/** A restore record is a rehearsal (scratch container) or a restore into the live service. */
export function isRehearsal(l: Loaded): boolean {
  const p = l.statement?.predicate;
  if (l.entry.kind === 'milestone') return l.entry.milestone?.number === 10;
  if (p === undefined) return false;
  // A rehearsal says so in its title and restores "into a scratch container"; restoreInto records
  // a "restore" step into the live service.
  if (/rehears/i.test(p.title) || p.results.some((r) => /scratch container/i.test(r.title))) return true;
  if (p.results.some((r) => r.id === 'restore' && r.title.startsWith('Restore into '))) return false;
  return !/ into /.test(p.title);
}

function firstProblem(st: EvidenceStatement | undefined): string | undefined {
  const bad = st?.predicate.results.find((r) => r.gate && (r.status === 'fail' || r.status === 'error'));
  return bad === undefined ? undefined : `${bad.title}${bad.reason === undefined ? '' : `: ${bad.reason}`}`;
}

function short(s: string, n = 240): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
}

export function handoverEvents(loaded: readonly Loaded[]): HandoverEvent[] {
  const events: HandoverEvent[] = [];
  // Milestone records of a deploy run that no deploy record closed: started at milestone 1 and
  // never summed up (the process was killed, or crashed before its summary).
  let run: Loaded[] = [];
  const closeRun = (closedBy?: Loaded) => {
    if (run.length === 0) return;
    const first = run[0] as Loaded;
    const last = run[run.length - 1] as Loaded;
    if (closedBy === undefined) {
      if (first.entry.milestone?.number === 1) {
        events.push({
          kind: 'crashed',
          time: first.entry.time,
          text: `A deploy of release \`${first.entry.release ?? '?'}\` stopped after milestone ${last.entry.milestone?.number ?? '?'} (${last.entry.milestone?.id ?? '?'}, ${last.entry.status}) and wrote no deploy record: it crashed or was killed.`,
          records: [first.entry, last.entry],
          failed: true,
        });
      } else {
        for (const m of run) {
          events.push({
            kind: 'milestone-by-hand',
            time: m.entry.time,
            text: `Milestone ${m.entry.milestone?.number ?? '?'} (${m.entry.milestone?.id ?? '?'}) was run by hand for release \`${m.entry.release ?? '?'}\`: ${m.entry.status}.`,
            records: [m.entry],
            failed: m.entry.status === 'failed' || m.entry.status === 'error',
          });
        }
      }
    }
    run = [];
  };

  let noops: Loaded[] = [];
  const flushNoops = () => {
    if (noops.length === 0) return;
    const first = noops[0] as Loaded;
    const last = noops[noops.length - 1] as Loaded;
    events.push({
      kind: 'noop',
      time: last.entry.time,
      text:
        noops.length === 1
          ? `A redeploy of release \`${first.entry.release ?? '?'}\` changed nothing (already current and healthy).`
          : `${noops.length} redeploys of release \`${first.entry.release ?? '?'}\` changed nothing (already current and healthy).`,
      records: noops.length === 1 ? [first.entry] : [first.entry, last.entry],
      failed: false,
    });
    noops = [];
  };

  for (const l of loaded) {
    const e = l.entry;
    const p = l.statement?.predicate;
    if (e.kind === 'milestone') {
      if (e.milestone?.number === 1 || (run.length > 0 && run[run.length - 1]?.entry.release !== e.release)) closeRun();
      run.push(l);
      continue;
    }
    if (e.kind === 'deploy') {
      const unchanged = p?.results.some((r) => r.id === 'unchanged') ?? false;
      if (unchanged && e.status === 'passed') {
        closeRun(l);
        noops.push(l);
        continue;
      }
      flushNoops();
      const runRecords = run.filter((m) => m.entry.release === e.release);
      closeRun(l);
      if (e.status === 'passed') {
        events.push({ kind: 'deploy', time: e.time, text: `Release \`${e.release ?? '?'}\` was deployed: every milestone passed or did not apply.`, records: [e], failed: false });
      } else {
        const failedRun = runRecords.find((m) => m.entry.status === 'failed' || m.entry.status === 'error');
        const where = failedRun?.entry.milestone === undefined ? '' : ` at milestone ${failedRun.entry.milestone.number} (${failedRun.entry.milestone.id})`;
        const why = firstProblem(failedRun?.statement) ?? firstProblem(l.statement);
        events.push({
          kind: 'deploy-failed',
          time: failedRun?.entry.time ?? e.time,
          text: `A deploy of release \`${e.release ?? '?'}\` failed${where}${why === undefined ? '' : `: ${short(why)}`}.`,
          records: failedRun === undefined ? [e] : [failedRun.entry, e],
          failed: true,
        });
      }
      for (const n of p?.notes ?? []) {
        if (n.startsWith('found an interrupted deploy')) events.push({ kind: 'crashed', time: e.time, text: `The deploy ${n.replace(/^found /, 'found ')}.`, records: [e], failed: true });
      }
      continue;
    }
    flushNoops();
    if (e.kind === 'rollback') {
      const r = p?.rollback;
      const serves = r?.serves ?? e.status === 'passed';
      const by = p?.notes?.includes('requested by hand') ? ' by hand' : ' automatically';
      events.push({
        kind: serves ? 'rollback' : 'rollback-failed',
        time: e.time,
        text: serves
          ? `Rolled back${by} from \`${r?.from ?? '?'}\` to \`${r?.to ?? e.release ?? '?'}\`: \`${r?.to ?? e.release ?? '?'}\` serves.`
          : `Rollback failed${by}: nothing serves (tried \`${r?.from ?? '?'}\` back to \`${r?.to ?? e.release ?? '?'}\`${firstProblem(l.statement) === undefined ? '' : `; ${short(firstProblem(l.statement) as string)}`}).`,
        records: [e],
        failed: !serves,
      });
      continue;
    }
    if (e.kind === 'restore') {
      const rehearsal = isRehearsal(l);
      const service = /into (\S+) on /.exec(p?.title ?? '')?.[1];
      const backup = /of (\S+)/.exec(p?.title ?? '')?.[1] ?? '?';
      const ok = e.status === 'passed';
      events.push({
        kind: rehearsal ? 'rehearsal' : 'restore-live',
        time: e.time,
        text: rehearsal
          ? `Restore rehearsal of backup \`${backup}\` (into a scratch container, the live service untouched): ${ok ? 'the data came back and matched' : `failed${firstProblem(l.statement) === undefined ? '' : `: ${short(firstProblem(l.statement) as string)}`}`}.`
          : `Restore into the live service \`${service ?? '?'}\` from backup \`${backup}\` (a backup of it was taken first): ${ok ? 'done and verified' : `failed${firstProblem(l.statement) === undefined ? '' : `: ${short(firstProblem(l.statement) as string)}`}`}.`,
        records: [e],
        failed: !ok,
      });
      continue;
    }
    if (e.kind === 'backup') {
      const services = (p?.results ?? []).filter((r) => r.id.startsWith('backup.')).map((r) => `${r.id.slice('backup.'.length)} ${r.status === 'pass' ? 'passed' : r.status === 'fail' ? 'failed' : r.status}`);
      events.push({
        kind: 'backup',
        time: e.time,
        text: `Backup ${e.status === 'passed' ? 'taken' : e.status}${services.length === 0 ? '' : ` (${services.join(', ')})`}.`,
        records: [e],
        failed: e.status !== 'passed',
      });
    }
  }
  closeRun();
  flushNoops();
  const first = (x: HandoverEvent) => Math.min(...x.records.map((r) => r.seq));
  return events.sort((a, b) => first(a) - first(b));
}
