// `backup audit` and `backup status`: read-only views of the stateful services and their backups.
// The audit is a table (engine class, procedure, volumes, data size, newest backup and its age,
// whether a rehearsal passed); the status says, per service, whether the newest complete backup
// is fresh enough, and fails for one that is stale, missing, or dated in the future.
import type { ResolvedConfig, ResolvedTarget } from '../config/load.js';
import type { Docker } from '../docker/docker.js';
import type { Target } from '../targets/target.js';
import { volumeSizesCommand } from './commands.js';
import { engineSpec } from './engines/index.js';
import { liveServices, loadStateful } from './live.js';
import type { NotDataMount } from '../compose/stateful.js';
import { completeBackups, readBackupsFolder, type BackupsFolder, type ListedBackup } from './store.js';
import type { Engine } from '../config/schema.js';

/** Clock skew tolerated before a backup counts as dated in the future. */
export const FUTURE_SKEW_MS = 5 * 60_000;

export interface AuditRow {
  service: string;
  engine: Engine;
  /** Where the engine came from: image, label, config, volume, bind. */
  source: string;
  /** Why the service counts as stateful, in a sentence. */
  reason: string;
  /** Bind-mounted data folders (source as written -> container path). */
  binds: string[];
  procedure: string;
  tested: boolean;
  volumes: string[];
  stop: boolean;
  running: boolean;
  /** Bytes on disk of the service's volumes; null when unknown. */
  dataBytes: number | null;
  newest?: { id: string; createdAt: string; ageMs: number; bytes: number; encrypted: boolean };
  backups: number;
  /** The newest passed rehearsal of any of its backups. */
  rehearsal?: { id: string; at: string; ofNewest: boolean };
}

export interface AuditReport {
  target: string;
  backupsDir: string;
  folderExists: boolean;
  rows: AuditRow[];
  /** Mounts judged not data (caches, build output, configuration), each with why. */
  notData: NotDataMount[];
  /** Services that keep nothing. */
  stateless: string[];
  orphans: string[];
  unreadable: string[];
}

/** "1.2GB" (docker's decimal units) -> bytes. */
export function parseHumanSize(text: string): number | undefined {
  const m = /^([\d.]+)\s*([kKMGTP]?B)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15 }[m[2] as string];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

export function parseVolumeSizes(stdout: string): Map<string, number> {
  const out = new Map<string, number>();
  try {
    const list = JSON.parse(stdout.trim() || '[]') as { Name?: string; Size?: string }[];
    for (const v of list) {
      const size = v.Size ? parseHumanSize(v.Size) : undefined;
      if (v.Name && size !== undefined) out.set(v.Name, size);
    }
  } catch {
    // unknown sizes stay unknown
  }
  return out;
}

export function newestVerified(folder: BackupsFolder, service: string, o: { rehearsed?: boolean } = {}): ListedBackup | undefined {
  return completeBackups(folder, service).find((b) => !o.rehearsed || b.rehearsal?.status === 'passed');
}

export async function backupAudit(o: { config: ResolvedConfig; target: ResolvedTarget; host: Target; docker: Docker; now?: Date }): Promise<AuditReport> {
  const now = (o.now ?? new Date()).getTime();
  const { compose, stateful, classification } = await loadStateful(o.config);
  const [folder, lives, sizes] = await Promise.all([
    readBackupsFolder(o.host, o.target.backupsDir),
    liveServices({ host: o.host, docker: o.docker, project: o.config.project, compose, services: stateful }),
    o.host.exec(volumeSizesCommand(), { reject: false, timeoutMs: 120_000 }).then((r) => parseVolumeSizes(r.stdout)),
  ]);
  const rows = lives.map((live): AuditRow => {
    const s = live.stateful;
    const spec = engineSpec(s.engine);
    const mine = completeBackups(folder, s.service);
    const newest = mine[0];
    const rehearsed = mine.find((b) => b.rehearsal?.status === 'passed');
    const known = live.volumes.map((v) => sizes.get(v.volume));
    return {
      service: s.service,
      engine: s.engine,
      source: s.source,
      reason: s.reason,
      binds: s.binds.map((b) => `${b.source} -> ${b.target}`),
      procedure: spec.procedure,
      tested: spec.tested,
      volumes: s.volumes,
      stop: s.stop,
      running: live.container?.running ?? false,
      dataBytes: known.length > 0 && known.every((x) => x !== undefined) ? known.reduce<number>((a, b) => a + (b ?? 0), 0) : null,
      backups: mine.length,
      ...(newest
        ? {
            newest: {
              id: newest.manifest.id,
              createdAt: newest.manifest.createdAt,
              ageMs: now - Date.parse(newest.manifest.createdAt),
              bytes: newest.manifest.bytes,
              encrypted: newest.manifest.encryption !== null,
            },
          }
        : {}),
      ...(rehearsed?.rehearsal ? { rehearsal: { id: rehearsed.manifest.id, at: rehearsed.rehearsal.at, ofNewest: rehearsed === newest } } : {}),
    };
  });
  return {
    target: o.target.name,
    backupsDir: o.target.backupsDir,
    folderExists: folder.exists,
    rows,
    notData: classification.notData,
    stateless: classification.stateless,
    orphans: folder.orphans.map((x) => x.name),
    unreadable: folder.unreadable,
  };
}

/**
 * What the audit says besides its table, so it never answers "none" without saying why: each
 * stateful service's reason, each mount judged not data, and the services that keep nothing.
 */
export function auditExplanation(report: Pick<AuditReport, 'rows' | 'notData' | 'stateless'>): string[] {
  const lines: string[] = [];
  if (report.rows.length === 0) lines.push('No service keeps data that needs a backup:');
  for (const r of report.rows) lines.push(`${r.service}: ${r.reason}.`);
  for (const m of report.notData) lines.push(`${m.service}: ${m.source ?? '(anonymous)'} -> ${m.target} is not data (${m.reason}).`);
  if (report.stateless.length > 0) lines.push(`No volumes or data folders: ${report.stateless.join(', ')}.`);
  return lines;
}

export type FreshnessState = 'fresh' | 'stale' | 'missing' | 'future';

export interface StatusRow {
  service: string;
  engine: Engine;
  state: FreshnessState;
  reason: string;
  newest?: { id: string; createdAt: string; ageMs: number };
}

export function freshness(backup: ListedBackup | undefined, now: Date, maxAgeMs: number): { state: FreshnessState; reason: string; ageMs?: number } {
  if (!backup) return { state: 'missing', reason: 'no complete backup' };
  const ageMs = now.getTime() - Date.parse(backup.manifest.createdAt);
  if (ageMs < -FUTURE_SKEW_MS) return { state: 'future', reason: `the newest backup is dated ${backup.manifest.createdAt}, in the future: check the clocks`, ageMs };
  if (ageMs > maxAgeMs) return { state: 'stale', reason: `the newest backup is ${formatAge(ageMs)} old, more than ${formatAge(maxAgeMs)}`, ageMs };
  return { state: 'fresh', reason: `the newest backup is ${formatAge(Math.max(0, ageMs))} old`, ageMs };
}

export async function backupStatus(o: { config: ResolvedConfig; target: ResolvedTarget; host: Target; now?: Date; maxAgeMs: number }): Promise<{ ok: boolean; rows: StatusRow[] }> {
  const now = o.now ?? new Date();
  const { stateful } = await loadStateful(o.config);
  const folder = await readBackupsFolder(o.host, o.target.backupsDir);
  const rows = stateful.map((s): StatusRow => {
    const newest = newestVerified(folder, s.service);
    const f = freshness(newest, now, o.maxAgeMs);
    return {
      service: s.service,
      engine: s.engine,
      state: f.state,
      reason: f.reason,
      ...(newest && f.ageMs !== undefined ? { newest: { id: newest.manifest.id, createdAt: newest.manifest.createdAt, ageMs: f.ageMs } } : {}),
    };
  });
  return { ok: rows.every((r) => r.state === 'fresh'), rows };
}

/** 90061000 -> "1d 1h", 5400000 -> "1h 30m", 42000 -> "42s". */
export function formatAge(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}
