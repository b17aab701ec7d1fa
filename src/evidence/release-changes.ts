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
  /** `<service>/<key>` (environment per `environment.<NAME>`) -> keyed fingerprint of its value: names the keys that changed. */
  config?: Readonly<Record<string, string>>;
  /** Service -> its image, as shown: `repo@sha256:…` (pulled) or `sha256:… (image id)` (built). */
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
  // Images and per-key configs are compared only when both records list them (older records do not).
  const notCompared: string[] = [];
  const known = (what: string, a: object | undefined, b: object | undefined): boolean => {
    if (a !== undefined && b !== undefined) return true;
    if (a !== undefined || b !== undefined || what === 'images') notCompared.push(`${what}: ${a === undefined ? `the record of ${prev.id} does not list them` : 'not known for this release (the deploy stopped before they were read)'}`);
    return false;
  };
  const images = known('images', prev.images, next.images) ? changedKeys(pi, ni).map((s) => `${s}: ${pi[s] ?? '(none)'} -> ${ni[s] ?? '(none)'}`) : [];
  const services = prev.config !== undefined || next.config !== undefined
    ? known('service configurations', prev.config, next.config) ? configLines(prev.config ?? {}, next.config ?? {}) : []
    : changedKeys(prev.services, next.services);
  return {
    against: prev.id,
    files: { added: cap(files.added), changed: cap(files.changed), removed: cap(files.removed) },
    services: cap(services),
    images: cap(images),
    env: cap(changedKeys(prev.env, next.env)),
    ...(notCompared.length ? { notCompared } : {}),
  };
}

/** `web: command, environment.DATABASE_URL (added)`, `cache: added`: per service, the keys whose fingerprint differs. */
function configLines(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): string[] {
  const d = diff(a, b);
  const bySvc = new Map<string, string[]>();
  const svcOf = (k: string) => k.slice(0, k.indexOf('/'));
  const svcsA = new Set(Object.keys(a).map(svcOf));
  const svcsB = new Set(Object.keys(b).map(svcOf));
  const add = (k: string, mark: string) => {
    const svc = svcOf(k);
    if (!svcsA.has(svc) || !svcsB.has(svc)) return;
    bySvc.set(svc, [...(bySvc.get(svc) ?? []), `${k.slice(svc.length + 1)}${mark}`]);
  };
  for (const k of d.changed) add(k, '');
  for (const k of d.added) add(k, ' (added)');
  for (const k of d.removed) add(k, ' (removed)');
  const lines = [...bySvc].map(([svc, keys]) => `${svc}: ${keys.join(', ')}`);
  for (const svc of svcsB) if (!svcsA.has(svc)) lines.push(`${svc}: added`);
  for (const svc of svcsA) if (!svcsB.has(svc)) lines.push(`${svc}: removed`);
  return lines.sort();
}

/** Nothing at all changed. */
export function noChanges(c: ReleaseChanges): boolean {
  return [c.files.added, c.files.changed, c.files.removed, c.services, c.images, c.env].every((l) => l.length === 0) && (c.notCompared ?? []).length === 0;
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
  const images: Record<string, string> = {};
  const config: Record<string, string> = {};
  for (const s of subjects) {
    if (s.name.startsWith('file:')) files[s.name.slice(5)] = s.digest.sha256;
    else if (s.name.startsWith('env:')) env[s.name.slice(4)] = s.digest.sha256;
    else if (s.name.startsWith('config:')) config[s.name.slice(7)] = s.digest.sha256;
    else if (s.name.startsWith('image:')) {
      const rest = s.name.slice(6);
      const at = rest.indexOf('@');
      if (at < 0) images[rest] = `sha256:${s.digest.sha256} (image id)`;
      else images[rest.slice(0, at)] = `${rest.slice(at + 1)}@sha256:${s.digest.sha256}`;
    }
  }
  return { id, files, env, ...(Object.keys(images).length ? { images } : {}), ...(Object.keys(config).length ? { config } : {}) };
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
