// Several compose files folded into one tree the way Compose does it: each file is interpolated,
// its `include:` entries are loaded as projects of their own (with their project_directory and
// env_file) and added, its `extends:` are resolved, and then the files are merged in order.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { readDotenv, type Env } from './dotenv.js';
import { resolveExtends } from './extends.js';
import { mergeFiles } from './merge.js';
import { rebaseTree } from './rebase.js';
import type { ComposeSources } from './sources.js';
import { entry, get, text, withEntry, type PEntry, type PMap, type PNode } from './tree.js';

const RESOURCES = ['services', 'volumes', 'networks', 'secrets', 'configs'] as const;

export interface AssembleContext {
  sources: ComposeSources;
  /** The process environment: it wins over every env file. */
  processEnv: Env;
}

/**
 * The merged tree of `files` (absolute), whose relative paths mean paths under `dir`. `chain`
 * holds the files that include this project, to refuse an include cycle.
 */
export async function assemble(files: readonly string[], dir: string, env: Env, ctx: AssembleContext, chain: readonly string[] = []): Promise<PNode> {
  let merged: PNode = { kind: 'map', entries: [], loc: { file: ctx.sources.display(files[0] ?? dir), line: 1, column: 1 } };
  for (const [i, file] of files.entries()) {
    const tree = await ctx.sources.tree(file, env);
    if (tree === undefined) continue;
    if (tree.kind !== 'map') {
      ctx.sources.errors.push(new ConfigError(`${path.basename(file)} must be a mapping with services:, got ${tree.kind === 'seq' ? 'a list' : 'a value'}.`, { location: tree.loc }));
      continue;
    }
    const included = await applyIncludes(tree, file, dir, env, ctx, [...chain, file]);
    const extended = await resolveExtends(included, file, dir, { sources: ctx.sources, env });
    merged = i === 0 ? extended : mergeFiles(merged, extended);
  }
  return merged;
}

async function applyIncludes(tree: PMap, file: string, dir: string, env: Env, ctx: AssembleContext, chain: readonly string[]): Promise<PNode> {
  const inc = entry(tree, 'include');
  if (inc === undefined) return tree;
  let out: PMap = withEntry(tree, 'include', undefined);
  ctx.sources.warnings.push({
    message: '`include:` needs Compose v2.20 or later; Compose v1 cannot read this file. shipproof follows it as the current specification says.',
    location: inc.keyLoc,
  });
  const items = inc.value.kind === 'seq' ? inc.value.items : [inc.value];
  for (const item of items) {
    const spec = readIncludeSpec(item, dir, ctx);
    if (spec === undefined) continue;
    const cyclic = spec.files.find((f) => chain.includes(f.abs));
    if (cyclic !== undefined) {
      const trail = [...chain.slice(chain.indexOf(cyclic.abs)), cyclic.abs].map((f) => ctx.sources.display(f)).join(' -> ');
      ctx.sources.errors.push(new ConfigError(`The include of ${ctx.sources.display(cyclic.abs)} makes a cycle: ${trail}.`, { location: cyclic.loc, hint: 'Compose rejects include cycles; remove one of the includes.' }));
      continue;
    }
    const missing = spec.files.filter((f) => !existsSync(f.abs));
    for (const f of missing) {
      ctx.sources.errors.push(new ConfigError(`include names ${ctx.sources.display(f.abs)}, which does not exist.`, { location: f.loc, hint: 'Include paths are relative to the folder of the file that includes them.' }));
    }
    if (missing.length > 0) continue;
    const own = spec.envFiles.length === 0 ? [path.join(spec.projectDir, '.env')] : spec.envFiles;
    const fromFiles: Record<string, string> = {};
    for (const f of own) Object.assign(fromFiles, (await readDotenv(f)) ?? {});
    // The including project's variables (and the process environment) win over the include's env file.
    const includedEnv: Env = { ...fromFiles, ...env, ...ctx.processEnv };
    const project = await assemble(spec.files.map((f) => f.abs), spec.projectDir, includedEnv, ctx, chain);
    const rebased = rebaseTree(project, spec.projectDir, dir);
    out = addIncluded(out, rebased, item, ctx);
  }
  return out;
}

interface IncludeSpec {
  files: { abs: string; loc: PNode['loc'] }[];
  projectDir: string;
  envFiles: string[];
}

function readIncludeSpec(item: PNode, dir: string, ctx: AssembleContext): IncludeSpec | undefined {
  if (item.kind === 'scalar') {
    const p = text(item);
    if (p === undefined) return undefined;
    const abs = path.resolve(dir, p);
    return { files: [{ abs, loc: item.loc }], projectDir: path.dirname(abs), envFiles: [] };
  }
  if (item.kind !== 'map') {
    ctx.sources.errors.push(new ConfigError('An include entry must be a path, or a mapping with path:.', { location: item.loc }));
    return undefined;
  }
  const pathNode = get(item, 'path');
  const paths = pathNode?.kind === 'seq' ? pathNode.items : pathNode === undefined ? [] : [pathNode];
  const files = paths.flatMap((n) => (text(n) === undefined ? [] : [{ abs: path.resolve(dir, text(n) as string), loc: n.loc }]));
  if (files.length === 0) {
    ctx.sources.errors.push(new ConfigError('This include entry has no path:.', { location: item.loc }));
    return undefined;
  }
  const pd = text(get(item, 'project_directory'));
  const envNode = get(item, 'env_file');
  const envList = envNode?.kind === 'seq' ? envNode.items.map(text) : [text(envNode)];
  return {
    files,
    projectDir: pd === undefined ? path.dirname((files[0] as { abs: string }).abs) : path.resolve(dir, pd),
    envFiles: envList.flatMap((e) => (e === undefined ? [] : [path.resolve(dir, e)])),
  };
}

/** Adds an included project's resources; a service both here and in the include is an error, as in Compose. */
function addIncluded(tree: PMap, included: PNode, item: PNode, ctx: AssembleContext): PMap {
  let out = tree;
  for (const section of RESOURCES) {
    const theirs = get(included, section);
    if (theirs?.kind !== 'map') continue;
    const mine = get(out, section);
    const entries: PEntry[] = mine?.kind === 'map' ? [...mine.entries] : [];
    for (const e of theirs.entries) {
      const clash = entries.find((m) => m.key === e.key);
      if (clash === undefined) entries.push(e);
      else if (section === 'services') {
        ctx.sources.errors.push(
          new ConfigError(`Service "${e.key}" is defined here and also in an included file (${e.keyLoc.file}:${e.keyLoc.line ?? 1}).`, {
            location: clash.keyLoc,
            hint: 'Compose rejects a service that conflicts with an included one; change it with an override file (-f) instead.',
          }),
        );
      }
    }
    out = withEntry(out, section, { kind: 'map', entries, loc: mine?.loc ?? theirs.loc }, entry(out, section)?.keyLoc ?? item.loc);
  }
  return out;
}
