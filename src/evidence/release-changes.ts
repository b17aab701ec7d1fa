// What a release changed against the one before it, from two release descriptions: file hashes,
// per-service config hashes, image digests and env fingerprints. Pure; names and digests only, so
// the result can go into evidence (an env value never reaches here, only its HMAC fingerprint).
import { MAX_OBSERVATION_ITEMS, type ReleaseChanges } from './predicate-schema.js';

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
