// What the pages say, derived from the records alone (pure, unit-tested): releases and their
// milestones, deploy runs and their durations, health, backups per service with their rehearsal
// and off-site copies, and the series the trend plots draw. Records are read through the
// predicate schema's shape; a field this code does not know is left for the generic views.
import type { LedgerEntry } from '../evidence/ledger.js';
import type { CheckResult, EvidencePredicate, EvidenceStatement, ObservationValue } from '../evidence/predicate-schema.js';
import { MILESTONES } from '../milestones/catalog.js';
import { milestoneTable } from '../probes/milestones.js';
import { currentRelease } from '../verify/release.js';
import type { RecordView } from './snapshot.js';

export const pred = (r: RecordView): EvidencePredicate | undefined => r.statement?.predicate;
export const durationMs = (p: Pick<EvidencePredicate, 'startedAt' | 'finishedAt'>): number => Math.max(0, Date.parse(p.finishedAt) - Date.parse(p.startedAt));

export function targetsOf(records: readonly RecordView[]): string[] {
  return [...new Set(records.map((r) => r.entry.target))].sort();
}

/** One `shipproof deploy` run: the milestone records since the previous deploy/rollback, and its outcome record. */
export interface DeployRun {
  target: string;
  release: string;
  outcome: RecordView;
  milestones: RecordView[];
  rollbacks: RecordView[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

export function deployRuns(records: readonly RecordView[], target?: string): DeployRun[] {
  const runs: DeployRun[] = [];
  const byTarget = new Map<string, RecordView[]>();
  for (const r of records) {
    if (target !== undefined && r.entry.target !== target) continue;
    const pending = byTarget.get(r.entry.target) ?? [];
    byTarget.set(r.entry.target, pending);
    // A rollback is written before the outcome of the run it undoes, so it joins that run.
    if (r.entry.kind === 'milestone' || r.entry.kind === 'rollback') pending.push(r);
    else if (r.entry.kind === 'deploy') {
      const ms = pending.filter((x) => x.entry.kind === 'milestone' && x.entry.release === r.entry.release);
      const rollbacks = pending.filter((x) => x.entry.kind === 'rollback');
      const p = pred(r);
      const first = ms.map(pred).find((x) => x !== undefined);
      const startedAt = first?.startedAt ?? p?.startedAt ?? r.entry.time;
      const finishedAt = p?.finishedAt ?? r.entry.time;
      runs.push({
        target: r.entry.target,
        release: r.entry.release ?? 'unknown',
        outcome: r,
        milestones: ms,
        rollbacks,
        startedAt,
        finishedAt,
        durationMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)),
      });
      byTarget.set(r.entry.target, []);
    }
  }
  return runs;
}

export interface ReleaseFacts {
  release: string;
  target: string;
  milestones: { number: number; id: string; title: string; status: string; record?: RecordView; durationMs?: number }[];
  runs: DeployRun[];
  rollbacks: RecordView[];
  firstSeen: string;
}

/** Releases in the order they first appear in the ledger, per target. */
export function releasesOf(records: readonly RecordView[], target?: string): ReleaseFacts[] {
  const order: { release: string; target: string; firstSeen: string }[] = [];
  for (const r of records) {
    if (r.entry.release === undefined || r.entry.kind === 'rollback') continue;
    if (target !== undefined && r.entry.target !== target) continue;
    if (!order.some((o) => o.release === r.entry.release && o.target === r.entry.target)) {
      order.push({ release: r.entry.release, target: r.entry.target, firstSeen: r.entry.time });
    }
  }
  const runs = deployRuns(records);
  return order.map((o) => {
    const entries = records.map((r) => r.entry);
    const table = milestoneTable(entries, o.target, o.release);
    const milestones = table.rows.map((row) => {
      const rec = row.record === null ? undefined : records.find((r) => r.entry.record === row.record);
      const p = rec === undefined ? undefined : pred(rec);
      return {
        number: row.number,
        id: row.id,
        title: MILESTONES.find((m) => m.number === row.number)?.title ?? row.id,
        status: row.status,
        ...(rec === undefined ? {} : { record: rec }),
        ...(p === undefined ? {} : { durationMs: durationMs(p) }),
      };
    });
    const mine = runs.filter((r) => r.target === o.target && r.release === o.release);
    return {
      release: o.release,
      target: o.target,
      milestones,
      runs: mine,
      rollbacks: mine.flatMap((r) => r.rollbacks),
      firstSeen: o.firstSeen,
    };
  });
}

export interface Change {
  where: string;
  key: string;
  before: string | undefined;
  after: string | undefined;
}

/**
 * What changed from one release to the next, from the records alone: the subjects (bundle,
 * compose and config digests, backup files) and every observation of each milestone of the
 * newest run. Env values never reach a record, so only names and keyed fingerprints can differ.
 */
export function releaseChanges(prev: ReleaseFacts | undefined, next: ReleaseFacts): Change[] {
  if (prev === undefined) return [];
  const changes: Change[] = [];
  for (let i = 0; i < next.milestones.length; i++) {
    // Backups and rehearsals differ every run (new file, new time): the Backups page shows them.
    if ((next.milestones[i]?.number ?? 0) >= 9) continue;
    const a = prev.milestones[i]?.record?.statement;
    const b = next.milestones[i]?.record?.statement;
    if (a === undefined || b === undefined) continue;
    const where = `${next.milestones[i]?.number}. ${next.milestones[i]?.title}`;
    diffMaps(where, subjectMap(a), subjectMap(b), changes);
    diffMaps(where, observationMap(a), observationMap(b), changes);
  }
  // The same fact is often in several milestones (subjects repeat): show it once.
  const seen = new Set<string>();
  return changes.filter((c) => {
    const id = `${c.key}\u0000${c.before}\u0000${c.after}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function subjectMap(s: EvidenceStatement): Map<string, string> {
  // The bundle subject is named after its release; compare it as "the bundle".
  return new Map(s.subject.map((x) => [x.name.startsWith('bundle:') ? 'bundle' : x.name, `sha256:${x.digest.sha256.slice(0, 16)}…`]));
}

function observationMap(s: EvidenceStatement): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of s.predicate.results) for (const [k, v] of Object.entries(r.observations)) m.set(`${r.id}.${k}`, showValue(v));
  return m;
}

/** Observations that differ on every run without anything having changed: timings and host load. */
const NOISE = /(^|\.)(release|[a-zA-Z]*Ms|uptimeSeconds|memAvailableMiB|appFreeBytes|appFreePercent|mounts)$|^docker-daemon\.(containersRunning|containersStopped|images)$/;

function diffMaps(where: string, a: Map<string, string>, b: Map<string, string>, out: Change[]): void {
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    if (NOISE.test(k)) continue;
    const before = a.get(k);
    const after = b.get(k);
    if (before !== after) out.push({ where, key: k, before, after });
  }
}

export function showValue(v: ObservationValue | unknown): string {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.length === 0 ? '(none)' : v.map(String).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export interface HealthFacts {
  record: RecordView;
  status: string;
  at: string;
  checks: { name: string; status: string; detail: string }[];
}

/** Health now: the newest health gate on the target — milestone 7, a collect, or the gate after a rollback. */
export function healthNow(records: readonly RecordView[], target: string): HealthFacts | undefined {
  const r = [...records]
    .reverse()
    .find(
      (x) =>
        x.entry.target === target &&
        (x.entry.kind === 'collect' ||
          (x.entry.kind === 'milestone' && x.entry.milestone?.number === 7) ||
          (x.entry.kind === 'rollback' && pred(x)?.results.some((res) => res.id.startsWith('health-gate')) === true)),
    );
  const p = r === undefined ? undefined : pred(r);
  if (r === undefined) return undefined;
  const checks: HealthFacts['checks'] = [];
  for (const res of p?.results ?? []) {
    if (!/health|stack|tls/.test(res.id)) continue;
    const probes = res.observations.probes;
    if (Array.isArray(probes)) for (const line of probes) checks.push({ name: line.split(':')[0] ?? line, status: res.status, detail: line });
    else checks.push({ name: res.id, status: res.status, detail: res.reason ?? '' });
  }
  return { record: r, status: r.entry.status, at: p?.finishedAt ?? r.entry.time, checks };
}

export interface BackupFacts {
  service: string;
  engine: string;
  file: string;
  bytes: number | undefined;
  sha256: string | undefined;
  encrypted: boolean | undefined;
  fingerprint: string[];
  status: string;
  at: string;
  record: RecordView;
  rehearsal?: { status: string; detail: string; record: RecordView };
  offsite: { destination: string; status: string; readBack: boolean }[];
  retention?: string;
}

/** Every backup taken (milestone 9 or `shipproof backup`), oldest first, with its rehearsal and off-site copies. */
export function backupsOf(records: readonly RecordView[], target?: string): BackupFacts[] {
  const out: BackupFacts[] = [];
  for (const r of records) {
    if (target !== undefined && r.entry.target !== target) continue;
    const p = pred(r);
    if (p === undefined) continue;
    const isBackup = p.kind === 'backup' || (p.kind === 'milestone' && p.milestone?.number === 9);
    if (isBackup) {
      const prune = p.results.find((x) => x.id === 'prune');
      for (const res of p.results.filter((x) => x.id.startsWith('backup.'))) {
        const o = res.observations;
        const file = typeof o.file === 'string' ? o.file : '';
        out.push({
          service: res.id.slice('backup.'.length),
          engine: typeof o.engine === 'string' ? o.engine : 'unknown',
          file,
          bytes: typeof o.bytes === 'number' ? o.bytes : undefined,
          sha256: typeof o.sha256 === 'string' ? o.sha256 : undefined,
          encrypted: typeof o.encrypted === 'boolean' ? o.encrypted : undefined,
          fingerprint: Object.entries(o)
            .filter(([k]) => k.startsWith('count.'))
            .map(([k, v]) => `${k.slice('count.'.length)} ${showValue(v)}`),
          status: res.status,
          at: p.finishedAt,
          record: r,
          offsite: p.results
            // The copy's read-back sha256 is the backup's; older records are matched by name.
            .filter((x) => x.id.startsWith('offsite.') && ((typeof o.sha256 === 'string' && x.observations.sha256 === o.sha256) || (file !== '' && x.id.includes(file.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 20)))))
            .map((x) => ({ destination: showValue(x.observations.destination), status: x.status, readBack: x.observations.readBack === true })),
          ...(prune === undefined ? {} : { retention: `kept ${showValue(prune.observations.kept)}, deleted ${showValue(prune.observations.deleted)}` }),
        });
      }
    }
    // A rehearsal names each backup it restored (by file base name) with what it found.
    const isRehearsal = p.kind === 'restore' || (p.kind === 'milestone' && p.milestone?.number === 10);
    if (isRehearsal) {
      for (const b of out) {
        const base = b.file.replace(/\.(sql|rdb|tar|db|dump)?(\.gz)?(\.age)?$/, '').replace(/\.(sql|tar)$/, '');
        const res = p.results.find((x) => Object.prototype.hasOwnProperty.call(x.observations, base));
        if (res !== undefined) b.rehearsal = { status: res.status, detail: showValue(res.observations[base]), record: r };
      }
    }
  }
  return out;
}

/** A backup much smaller than the one before of the same service: the "empty backup" that still says success. */
export function suddenDrops(backups: readonly BackupFacts[], ratio = 0.5): Set<BackupFacts> {
  const drops = new Set<BackupFacts>();
  const last = new Map<string, number>();
  for (const b of backups) {
    if (b.bytes === undefined) continue;
    const before = last.get(b.service);
    if (before !== undefined && before > 0 && b.bytes < before * ratio) drops.add(b);
    last.set(b.service, b.bytes);
  }
  return drops;
}

export interface Series {
  label: string;
  unit: string;
  points: { x: number; y: number; label: string }[];
}

/** The trend plots: deploy duration and gate time per release, downtime, probe latencies over time. */
export function trendSeries(records: readonly RecordView[], target?: string): Series[] {
  const runs = deployRuns(records, target);
  const deploy: Series = { label: 'deploy duration', unit: 's', points: runs.map((r) => ({ x: Date.parse(r.finishedAt) / 1000, y: r.durationMs / 1000, label: r.release })) };
  const gate: Series = { label: 'health-gate time', unit: 's', points: [] };
  const downtime: Series = { label: 'downtime', unit: 's', points: [] };
  const latency = new Map<string, Series>();
  for (const r of records) {
    if (target !== undefined && r.entry.target !== target) continue;
    const p = pred(r);
    if (p === undefined) continue;
    const x = Date.parse(p.finishedAt) / 1000;
    for (const res of p.results) {
      const o = res.observations;
      if (typeof o.gateMs === 'number') gate.points.push({ x, y: o.gateMs / 1000, label: p.release ?? '' });
      for (const [k, v] of Object.entries(o)) {
        if (typeof v !== 'number') continue;
        // `<service>.downtimeMs`: the availability watch's measured figure per service (src/deploy/availability.ts).
        if (/^(downtimeMs|downtime\.ms|failedRequestsMs)$/.test(k) || k.endsWith('.downtimeMs')) downtime.points.push({ x, y: v / 1000, label: k.endsWith('.downtimeMs') ? `${p.release ?? ''} ${k.slice(0, -'.downtimeMs'.length)}` : (p.release ?? '') });
        const m = /^(.+)\.latencyMs$/.exec(k);
        if (m?.[1] !== undefined) {
          const s = latency.get(m[1]) ?? { label: `${m[1]} latency`, unit: 'ms', points: [] };
          latency.set(m[1], s);
          s.points.push({ x, y: v, label: p.release ?? p.kind });
        }
      }
    }
  }
  return [deploy, gate, downtime, ...latency.values()];
}

export interface TargetOverview {
  target: string;
  current?: { release: string; entry: LedgerEntry };
  lastGood?: string;
  health?: HealthFacts;
  lastRun?: DeployRun;
  backups: BackupFacts[];
  notPassing: RecordView[];
}

/** The newest record of each kind (and milestone) on a target that did not pass. */
export function notPassing(records: readonly RecordView[], target: string): RecordView[] {
  const newest = new Map<string, RecordView>();
  for (const r of records) {
    if (r.entry.target !== target || r.entry.kind === 'approval') continue;
    newest.set(`${r.entry.kind}:${r.entry.milestone?.number ?? ''}`, r);
  }
  return [...newest.values()].filter((r) => r.entry.status !== 'passed' && r.entry.status !== 'skipped').sort((a, b) => a.entry.seq - b.entry.seq);
}

export function overviewOf(records: readonly RecordView[], target: string): TargetOverview {
  const entries = records.map((r) => r.entry);
  const cur = currentRelease(entries, target);
  const runs = deployRuns(records, target);
  const good = [...runs].reverse().find((r) => r.outcome.entry.status === 'passed');
  const all = backupsOf(records, target);
  const newestPerService = new Map<string, BackupFacts>();
  for (const b of all) if (b.status === 'pass') newestPerService.set(b.service, b);
  for (const b of all) if (!newestPerService.has(b.service)) newestPerService.set(b.service, b);
  const health = healthNow(records, target);
  const lastRun = runs[runs.length - 1];
  return {
    target,
    ...(cur === undefined ? {} : { current: cur }),
    ...(good === undefined ? {} : { lastGood: good.release }),
    ...(health === undefined ? {} : { health }),
    ...(lastRun === undefined ? {} : { lastRun }),
    backups: [...newestPerService.values()],
    notPassing: notPassing(records, target),
  };
}

/** Certificates from TLS observations (`<domain>.daysLeft`) closer to expiry than `days`. */
export function expiringCertificates(records: readonly RecordView[], target: string, days: number): { domain: string; daysLeft: number; record: RecordView }[] {
  const r = [...records].reverse().find((x) => x.entry.target === target && pred(x)?.results.some((res) => res.id === 'tls'));
  const tls: CheckResult | undefined = r === undefined ? undefined : pred(r)?.results.find((res) => res.id === 'tls');
  if (r === undefined || tls === undefined) return [];
  return Object.entries(tls.observations)
    .filter(([k, v]) => k.endsWith('.daysLeft') && typeof v === 'number' && v < days)
    .map(([k, v]) => ({ domain: k.slice(0, -'.daysLeft'.length), daysLeft: v as number, record: r }));
}

/** Approvals of a record (seq), from the approval records that name it. */
export function approvalsOf(records: readonly RecordView[], seq: number): RecordView[] {
  return records.filter((r) => pred(r)?.approval?.seq === seq);
}
