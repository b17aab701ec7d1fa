// The backups folder on a target, read in one round trip: manifests, the data files they name,
// rehearsal, off-site and last-run records, and anything else lying there (partial or orphan
// files). A backup counts as complete only when its manifest parses and its data file is present
// with the size the manifest says.
import { Readable } from 'node:stream';
import type { Target } from '../targets/target.js';
import { listBackupsCommand, NO_DIR_MARKER } from './commands.js';
import {
  lastRunRecordSchema,
  offsiteRecordSchema,
  parseManifest,
  parseWith,
  rehearsalRecordSchema,
  serializeRecord,
  type BackupManifest,
  type LastRunRecord,
  type OffsiteRecord,
  type RehearsalRecord,
} from './manifest.js';
import { checksumName, manifestName, offsiteName, PARTIAL_SUFFIX, rehearsalName } from './naming.js';

export interface ListedBackup {
  manifest: BackupManifest;
  /** Absolute path of the data file on the target. */
  path: string;
  /** The data file exists with the size the manifest records. */
  complete: boolean;
  /** Why it is not complete. */
  problem?: string;
  rehearsal?: RehearsalRecord;
  offsite?: OffsiteRecord;
}

export interface BackupsFolder {
  dir: string;
  exists: boolean;
  backups: ListedBackup[];
  lastRuns: Map<string, LastRunRecord>;
  /** Files no manifest claims (including `.partial` leftovers). */
  orphans: { name: string; bytes: number }[];
  /** Records that did not parse. */
  unreadable: string[];
  /** Every base id in use, to pick a fresh name. */
  ids: Set<string>;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

export function parseListing(dir: string, stdout: string): BackupsFolder {
  const folder: BackupsFolder = { dir, exists: true, backups: [], lastRuns: new Map(), orphans: [], unreadable: [], ids: new Set() };
  if (stdout.trim() === NO_DIR_MARKER) return { ...folder, exists: false };
  const sizes = new Map<string, number>();
  const json = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [kind, a, ...rest] = line.split('\t');
    if (kind === 'F' && a !== undefined) sizes.set(rest.join('\t'), Number(a));
    else if (kind === 'J' && a !== undefined) json.set(a, rest.join('\t'));
  }
  const claimed = new Set<string>();
  const rehearsals = new Map<string, RehearsalRecord>();
  const offsites = new Map<string, OffsiteRecord>();
  for (const [name, text] of json) {
    claimed.add(name);
    if (name.endsWith('.rehearsal.json')) {
      const r = parseWith(rehearsalRecordSchema, text);
      if (r) rehearsals.set(r.id, r);
      else folder.unreadable.push(name);
    } else if (name.endsWith('.offsite.json')) {
      const r = parseWith(offsiteRecordSchema, text);
      if (r) offsites.set(r.id, r);
      else folder.unreadable.push(name);
    } else if (name.endsWith('.last-run.json')) {
      const r = parseWith(lastRunRecordSchema, text);
      if (r) folder.lastRuns.set(r.service, r);
      else folder.unreadable.push(name);
    }
  }
  for (const [name, text] of json) {
    if (!name.endsWith('.manifest.json')) continue;
    const m = parseManifest(text);
    if (m === undefined || manifestName(m.id) !== name) {
      folder.unreadable.push(name);
      continue;
    }
    folder.ids.add(m.id);
    claimed.add(m.file);
    claimed.add(checksumName(m.id));
    const size = sizes.get(m.file);
    const problem = size === undefined ? 'its data file is missing' : size !== m.bytes ? `its data file is ${size} bytes, the manifest says ${m.bytes}` : undefined;
    const rehearsal = rehearsals.get(m.id);
    const offsite = offsites.get(m.id);
    folder.backups.push({
      manifest: m,
      path: joinPath(dir, m.file),
      complete: problem === undefined,
      ...(problem ? { problem } : {}),
      ...(rehearsal ? { rehearsal } : {}),
      ...(offsite ? { offsite } : {}),
    });
  }
  for (const [name, bytes] of sizes) {
    if (claimed.has(name)) continue;
    folder.orphans.push({ name, bytes });
    // A leftover or stray file still blocks its name from reuse.
    folder.ids.add(name.replace(PARTIAL_SUFFIX, '').replace(/\.(manifest\.json|sha256|rehearsal\.json|offsite\.json)$/, '').replace(/\.[a-z0-9]+\.gz(\.age)?$/, ''));
  }
  folder.backups.sort((a, b) => (a.manifest.createdAt < b.manifest.createdAt ? 1 : a.manifest.createdAt > b.manifest.createdAt ? -1 : 0));
  return folder;
}

export async function readBackupsFolder(host: Target, dir: string): Promise<BackupsFolder> {
  const r = await host.exec(listBackupsCommand(dir), { timeoutMs: 60_000 });
  return parseListing(dir, r.stdout);
}

/** Writes a small JSON record atomically (partial, sync, rename), mode 0600. */
export async function writeRecord(host: Target, path: string, value: unknown): Promise<void> {
  await host.putStream(Readable.from([Buffer.from(serializeRecord(value))]), path, { mode: 0o600, timeoutMs: 60_000 });
}

export async function writeText(host: Target, path: string, text: string): Promise<void> {
  await host.putStream(Readable.from([Buffer.from(text)]), path, { mode: 0o600, timeoutMs: 60_000 });
}

export function recordPaths(dir: string, id: string): { manifest: string; checksum: string; rehearsal: string; offsite: string } {
  return {
    manifest: joinPath(dir, manifestName(id)),
    checksum: joinPath(dir, checksumName(id)),
    rehearsal: joinPath(dir, rehearsalName(id)),
    offsite: joinPath(dir, offsiteName(id)),
  };
}

/** Newest complete backups first; optionally only those of one service. */
export function completeBackups(folder: BackupsFolder, service?: string): ListedBackup[] {
  return folder.backups.filter((b) => b.complete && (service === undefined || b.manifest.service === service));
}

/** Finds a backup by id, data file name, manifest name or a path ending in one of them. */
export function findBackup(folder: BackupsFolder, ref: string): ListedBackup | undefined {
  const base = ref.split('/').pop() ?? ref;
  return folder.backups.find((b) => b.manifest.id === base || b.manifest.file === base || manifestName(b.manifest.id) === base || `${b.manifest.id}.sha256` === base);
}
