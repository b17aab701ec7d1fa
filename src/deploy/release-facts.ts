// What a deploy record says about its release beyond the bundle, so the next record can say what
// changed: each service's image (a built one by image id, a pulled one by repo digest) and each key
// of each service's resolved compose configuration (environment per variable name) by a keyed
// HMAC fingerprint — names and fingerprints only: `compose config` output holds env values, so it
// is parsed in memory and never stored, and an unkeyed hash of a short value could be guessed.
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { composeResolvedConfigCommand } from '../docker/commands.js';
import type { Subject } from '../evidence/predicate-schema.js';
import { shipproofHome } from '../evidence/signing-key.js';
import { loadOrCreateFingerprintKey, valueFingerprint } from '../redact/hmac.js';
import { composeFor, type Session } from './session.js';
import type { ReleaseRecord } from './state.js';

const HEX = /^[0-9a-f]{64}$/;

/** `image:<service>` (image id) or `image:<service>@<repository>` (repo digest). Pure. */
export function imageSubjects(images: ReleaseRecord['images']): Subject[] {
  const out: Subject[] = [];
  for (const [svc, img] of Object.entries(images).sort(([a], [b]) => a.localeCompare(b))) {
    const at = img.repoDigest?.lastIndexOf('@sha256:') ?? -1;
    if (img.built !== true && img.repoDigest !== undefined && at > 0 && HEX.test(img.repoDigest.slice(at + 8))) {
      out.push({ name: `image:${svc}@${img.repoDigest.slice(0, at)}`, digest: { sha256: img.repoDigest.slice(at + 8) } });
    } else if (img.id !== undefined && HEX.test(img.id.replace(/^sha256:/, ''))) {
      out.push({ name: `image:${svc}`, digest: { sha256: img.id.replace(/^sha256:/, '') } });
    }
  }
  return out;
}

/** A subject back to what it says: `service` and `repo@sha256:…` or `sha256:… (image id)`. Pure. */
export function describeImageSubject(s: Subject): { service: string; image: string } | undefined {
  if (!s.name.startsWith('image:')) return undefined;
  const rest = s.name.slice(6);
  const at = rest.indexOf('@');
  return at < 0 ? { service: rest, image: `sha256:${s.digest.sha256} (image id)` } : { service: rest.slice(0, at), image: `${rest.slice(at + 1)}@sha256:${s.digest.sha256}` };
}

/**
 * `config:<service>/<key>` per top-level key of each resolved service, `config:<service>/environment.<NAME>`
 * per variable; the digest is `fingerprint(JSON of the value)`. Paths inside the release folder are
 * compared as one (they differ by release id only). Pure.
 */
export function configSubjects(services: Readonly<Record<string, unknown>>, releaseDir: string, fingerprint: (text: string) => string): Subject[] {
  const norm = (v: unknown): string => JSON.stringify(v ?? null).split(releaseDir).join('<release>');
  const out: Subject[] = [];
  for (const [svc, def] of Object.entries(services).sort(([a], [b]) => a.localeCompare(b))) {
    if (def === null || typeof def !== 'object') continue;
    for (const [key, value] of Object.entries(def as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) {
      if (key === 'environment' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [name, v] of Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) {
          out.push({ name: `config:${svc}/environment.${name}`, digest: { sha256: fingerprint(norm(v)) } });
        }
        continue;
      }
      out.push({ name: `config:${svc}/${key}`, digest: { sha256: fingerprint(norm(value)) } });
    }
  }
  return out;
}

/** The image and service-config subjects of this session's release; empty parts when they cannot be read (then the record says they were not compared). */
export async function releaseFactSubjects(s: Session): Promise<Subject[]> {
  const rec = s.state.releases.find((r) => r.id === s.release);
  const images = rec ? imageSubjects(rec.images) : [];
  let config: Subject[] = [];
  try {
    const files = rec?.composeFiles.length ? rec.composeFiles : undefined;
    const r = await s.host.exec(composeResolvedConfigCommand(composeFor(s, s.release, files)), { reject: false, timeoutMs: 60_000 });
    if (r.exitCode === 0) {
      const doc = parseYaml(r.stdout) as { services?: Record<string, unknown> } | null;
      const key = await loadOrCreateFingerprintKey(join(shipproofHome(), 'fingerprint.key'));
      config = configSubjects(doc?.services ?? {}, s.layout.releaseDir(s.release), (t) => valueFingerprint(key, t));
    }
  } catch {
    config = [];
  }
  return [...images, ...config];
}
