// Bind-mounted bundle files and folders at stable, content-addressed paths on the server. Compose
// runs from <appDir>/live, so relative paths do not move with the release; each bind mount of a
// bundle file is overridden to <appDir>/mounts/<sha256>-<name>, so a service's config hash (and
// with it whether compose recreates the container) changes only when that content changes.
// Pure: computed locally from the bundle, so the plan shows the exact paths.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { ComposeProject as ComposeModel } from '../compose/model.js';
import type { Bundle } from './bundle.js';
import type { Layout } from './layout.js';

/** Where a release's generated compose override lives, relative to the release folder. */
export const MOUNTS_OVERRIDE = '.shipproof/mounts.compose.yaml';

export interface BundleMount {
  service: string;
  /** Path inside the container. */
  target: string;
  readOnly: boolean;
  /** Path of the source inside the release (relative). */
  rel: string;
  kind: 'file' | 'dir';
  /** Content hash (file mode and bytes; for a folder every file's path, mode and bytes). */
  hash: string;
  /** The content-addressed path on the server. */
  path: string;
}

export function bundleMounts(compose: ComposeModel, bundle: Bundle, l: Layout): BundleMount[] {
  const out: BundleMount[] = [];
  const byRel = new Map(bundle.files.map((f) => [f.rel, f]));
  for (const s of compose.services) {
    for (const v of s.volumes) {
      if (v.type !== 'bind' || v.source === undefined || v.source.includes('$')) continue;
      const rel = path.relative(bundle.root, path.resolve(compose.projectDir, v.source)).split(path.sep).join('/');
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
      const file = byRel.get(rel);
      let kind: BundleMount['kind'];
      let hash: string;
      if (file) {
        kind = 'file';
        hash = createHash('sha256').update(`${file.mode.toString(8)}\0${file.sha256}`).digest('hex');
      } else {
        const inside = bundle.files.filter((f) => rel === '' || f.rel.startsWith(`${rel}/`));
        if (inside.length === 0) continue; // not shipped (compose creates a missing source as a folder)
        kind = 'dir';
        const h = createHash('sha256');
        for (const f of inside) h.update(`${f.rel.slice(rel.length)}\0${f.mode.toString(8)}\0${f.sha256}\n`);
        hash = h.digest('hex');
      }
      const name = posix.basename(rel) || 'root';
      out.push({ service: s.name, target: v.target, readOnly: v.readOnly, rel, kind, hash, path: posix.join(l.mountsDir, `${hash.slice(0, 32)}-${name}`) });
    }
  }
  return out;
}

/** The compose override that points each bundle bind mount at its content-addressed path (compose merges volumes by container path). */
export function mountsOverride(mounts: readonly BundleMount[]): string | undefined {
  if (mounts.length === 0) return undefined;
  const services: Record<string, { volumes: string[] }> = {};
  for (const m of mounts) (services[m.service] ??= { volumes: [] }).volumes.push(`${m.path}:${m.target}${m.readOnly ? ':ro' : ''}`);
  return `# Written by shipproof: bundle bind mounts at content-addressed paths.\n${stringify({ services })}`;
}

/** (source in the release, content-addressed destination) pairs, one per distinct mount. */
export function mountPairs(mounts: readonly BundleMount[], releaseDir: string): [string, string][] {
  const seen = new Map<string, string>();
  for (const m of mounts) seen.set(m.path, posix.join(releaseDir, m.rel));
  return [...seen].map(([dst, src]) => [src, dst]);
}
