// Names of everything shipproof keeps in a backups folder. A backup is
// `<service>-<engine>-<UTC stamp>.<format>.gz[.age]`, described by `<id>.manifest.json` and
// `<id>.sha256` (a line `sha256sum -c` reads). Pure functions, unit-tested.
import type { Engine } from '../config/schema.js';

const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** 2026-05-13T23:31:49.123Z -> "20260513T233149Z" (UTC, whole seconds). */
export function backupStamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** The Date a stamp names, or undefined when it is not a stamp. */
export function parseStamp(stamp: string): Date | undefined {
  const m = STAMP.exec(stamp);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function backupId(service: string, engine: Engine, stamp: string): string {
  return `${service}-${engine}-${stamp}`;
}

export interface FileNameParts {
  format: string;
  compression: 'gzip';
  encrypted: boolean;
}

export function backupFileName(id: string, parts: FileNameParts): string {
  return `${id}.${parts.format}.gz${parts.encrypted ? '.age' : ''}`;
}

export const manifestName = (id: string): string => `${id}.manifest.json`;
export const checksumName = (id: string): string => `${id}.sha256`;
export const rehearsalName = (id: string): string => `${id}.rehearsal.json`;
export const offsiteName = (id: string): string => `${id}.offsite.json`;
/** The outcome of the newest `backup run` for a service: prune refuses after a failed one. */
export const lastRunName = (service: string): string => `${service}.last-run.json`;

/** The suffix of a file being written; such a file is never a backup. */
export const PARTIAL_SUFFIX = '.partial';

/** `sha256sum -c` input for one file. Two spaces: text mode, as sha256sum writes it. */
export function checksumLine(sha256: string, fileName: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`checksumLine: not a sha256: ${sha256}`);
  if (/[\n\\]/.test(fileName)) throw new Error('checksumLine: file names with a newline or backslash are not supported');
  return `${sha256}  ${fileName}\n`;
}

/** A stamp not yet used by any of `taken` (ids), moving forward a second at a time. */
export function freeStamp(service: string, engine: Engine, now: Date, taken: ReadonlySet<string>): { stamp: string; at: Date } {
  let at = new Date(Math.floor(now.getTime() / 1000) * 1000);
  for (let i = 0; i < 3600; i++) {
    const stamp = backupStamp(at);
    if (!taken.has(backupId(service, engine, stamp))) return { stamp, at };
    at = new Date(at.getTime() + 1000);
  }
  throw new Error('freeStamp: no free stamp within an hour');
}
