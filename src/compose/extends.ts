// `extends:` as the Compose specification defines it: a service starts from another service (in
// the same file or in `extends.file`, recursively) and its own settings are merged on top by the
// usual merge rules. Relative paths of a service taken from another file stay relative to that
// file. A chain that comes back to itself, a missing file or a missing service is an error at
// the `extends:` that causes it.
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { Env } from './dotenv.js';
import { mergeService } from './merge.js';
import { rebaseService } from './rebase.js';
import type { ComposeSources } from './sources.js';
import { entry, get, text, withEntry, type PMap, type PNode } from './tree.js';

interface ExtendsContext {
  sources: ComposeSources;
  env: Env;
}

/**
 * `tree` (the file at `abs`, whose relative paths mean paths under `dir`) with every service's
 * `extends:` resolved and removed.
 */
export async function resolveExtends(tree: PNode, abs: string, dir: string, ctx: ExtendsContext): Promise<PNode> {
  const services = get(tree, 'services');
  if (tree.kind !== 'map' || services?.kind !== 'map') return tree;
  const entries = [];
  for (const e of services.entries) {
    entries.push({ ...e, value: (await resolveService(tree, abs, dir, e.key, ctx, [])) ?? e.value });
  }
  return withEntry(tree, 'services', { ...services, entries });
}

async function resolveService(tree: PNode, abs: string, dir: string, name: string, ctx: ExtendsContext, chain: string[]): Promise<PNode | undefined> {
  const service = get(get(tree, 'services'), name);
  const ext = entry(service, 'extends');
  if (service?.kind !== 'map' || ext === undefined) return service;
  const own: PMap = { ...service, entries: service.entries.filter((e) => e.key !== 'extends') };
  const spec = ext.value;
  const baseName = spec.kind === 'map' ? text(get(spec, 'service')) : text(spec);
  const fileNode = spec.kind === 'map' ? get(spec, 'file') : undefined;
  const file = text(fileNode);
  if (baseName === undefined) {
    ctx.sources.errors.push(
      new ConfigError(`"services.${name}.extends" must name a service: a string, or a mapping with service: (and optionally file:).`, { location: spec.loc }),
    );
    return own;
  }
  const baseAbs = file === undefined ? abs : path.resolve(path.dirname(abs), file);
  const key = `${baseAbs}#${baseName}`;
  const here = `${abs}#${name}`;
  const trail = [...chain, here];
  if (trail.includes(key)) {
    const cycle = trail.slice(trail.indexOf(key));
    const id = [...cycle].sort().join('|');
    if (!ctx.sources.reported.has(id)) {
      ctx.sources.reported.add(id);
      const shown = [...cycle, key].map((k) => `"${k.slice(k.lastIndexOf('#') + 1)}"`).join(' -> ');
      ctx.sources.errors.push(
        new ConfigError(`Services ${shown} extend each other in a cycle.`, {
          location: ext.keyLoc,
          hint: 'Compose v1 and v2 both reject an extends cycle; break the chain.',
        }),
      );
    }
    return own;
  }
  const baseTree = file === undefined ? tree : await ctx.sources.tree(baseAbs, ctx.env, { location: fileNode?.loc ?? ext.keyLoc, what: `"services.${name}.extends.file"` });
  if (baseTree === undefined) return own;
  if (get(get(baseTree, 'services'), baseName) === undefined) {
    ctx.sources.errors.push(
      new ConfigError(`Service "${name}" extends "${baseName}", which is not a service${file === undefined ? ' of this file' : ` of ${ctx.sources.display(baseAbs)}`}.`, {
        location: (spec.kind === 'map' ? get(spec, 'service')?.loc : undefined) ?? spec.loc,
      }),
    );
    return own;
  }
  const baseDir = file === undefined ? dir : path.dirname(baseAbs);
  const base = await resolveService(baseTree, baseAbs, baseDir, baseName, ctx, trail);
  if (base === undefined) return own;
  const rebased = rebaseService(base, baseDir, dir);
  const merged = mergeService(rebased, own);
  // The service keeps its own place in the file; inherited keys keep theirs.
  return merged.kind === 'map' ? { ...merged, loc: service.loc } : merged;
}
