// What a release changed against the one before it, from two release descriptions: file hashes,
// per-service config hashes, image digests and env fingerprints. Pure; names and digests only, so
// the result can go into evidence (an env value never reaches here, only its HMAC fingerprint).
import { createHash } from 'node:crypto';
import { MAX_OBSERVATION_ITEMS, type ReleaseChanges, type Subject } from './predicate-schema.js';
import { EvidenceStore } from './store.js';

export interface ReleaseDescription {
  id: string;
  /** Bundle files by path -> sha256. */
  files: Readonly<Record<string, string>>;
  /** Service -> hash of its resolved compose configuration. */
  services?: Readonly<Record<string, string>>;
  /** Service -> image digest (or id). */
  images?: Readonly<Record<string, string>>;
  /** Env file path -> HMAC fingerprint. */
  env?: Readonly<Record<string, string>>;
}

export function releaseChanges(prev: ReleaseDescription, next: ReleaseDescription): ReleaseChanges {
  const files = diff(prev.files, next.files);
  const changedKeys = (a: Readonly<Record<string, string>> = {}, b: Readonly<Record<string, string>> = {}) => {
    const d = diff(a, b);
    return [...d.added, ...d.changed, ...d.removed].sort();
  };
  const pi = prev.images ?? {};
  const ni = next.images ?? {};
  const images = changedKeys(pi, ni).map((s) => `${s}: ${pi[s] ?? '(none)'} -> ${ni[s] ?? '(none)'}`);
  return {
    against: prev.id,
    files: { added: cap(files.added), changed: cap(files.changed), removed: cap(files.removed) },
    services: cap(changedKeys(prev.services, next.services)),
    images: cap(images),
    env: cap(changedKeys(prev.env, next.env)),
  };
}

/** Nothing at all changed. */
export function noChanges(c: ReleaseChanges): boolean {
  return [c.files.added, c.files.changed, c.files.removed, c.services, c.images, c.env].every((l) => l.length === 0);
}

function diff(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): { added: string[]; changed: string[]; removed: string[] } {
  const added = Object.keys(b).filter((k) => !(k in a)).sort();
  const removed = Object.keys(a).filter((k) => !(k in b)).sort();
  const changed = Object.keys(b).filter((k) => k in a && a[k] !== b[k]).sort();
  return { added, changed, removed };
}

function cap(list: string[]): string[] {
  if (list.length <= MAX_OBSERVATION_ITEMS) return list;
  return [...list.slice(0, MAX_OBSERVATION_ITEMS - 1), `… and ${list.length - MAX_OBSERVATION_ITEMS + 1} more`];
}

/**
 * The subjects a deploy record carries so the next deploy can say what changed: every bundle file
 * (`file:<path>`) and every uploaded env file by the sha256 of its keyed fingerprint (`env:<path>`).
 */
export function releaseSubjects(files: readonly { rel: string; sha256: string }[], envFingerprints: readonly string[]): Subject[] {
  return [
    ...files.map((f) => ({ name: `file:${f.rel}`, digest: { sha256: f.sha256 } })),
    ...envFingerprints.map((fp) => {
      const at = fp.lastIndexOf(':');
      return { name: `env:${fp.slice(0, at)}`, digest: { sha256: createHash('sha256').update(fp).digest('hex') } };
    }),
  ];
}

function describeFromSubjects(id: string, subjects: readonly Subject[]): ReleaseDescription {
  const files: Record<string, string> = {};
  const env: Record<string, string> = {};
  for (const s of subjects) {
    if (s.name.startsWith('file:')) files[s.name.slice(5)] = s.digest.sha256;
    else if (s.name.startsWith('env:')) env[s.name.slice(4)] = s.digest.sha256;
  }
  return { id, files, env };
}

/**
 * What this release changed against the newest deployed release before it on the target, from that
 * deploy record's subjects; undefined when the ledger holds no such record (or it predates file subjects).
 */
export async function changesSincePrevious(evidenceDir: string, target: string, release: string, subjects: readonly Subject[]): Promise<ReleaseChanges | undefined> {
  const store = EvidenceStore.open(evidenceDir);
  const entries = await store.list().catch(() => []);
  const prev = [...entries].reverse().find((e) => e.kind === 'deploy' && e.target === target && e.status === 'passed' && e.release !== undefined && e.release !== release);
  if (prev === undefined) return undefined;
  const shown = await store.show(prev.seq).catch(() => undefined);
  if (shown === undefined || !shown.statement.subject.some((s) => s.name.startsWith('file:'))) return undefined;
  return releaseChanges(describeFromSubjects(prev.release as string, shown.statement.subject), describeFromSubjects(release, subjects));
}
