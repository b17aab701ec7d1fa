// Relative paths in a compose file are relative to its own folder (an extended or included file)
// or to the project folder. Once trees from several folders meet, every relative path is
// rewritten to be relative to one folder, so the model's paths all mean the same thing.
import path from 'node:path';
import { get, mapStrings, text, withEntry, type PEntry, type PMap, type PNode, type PScalar } from './tree.js';

/** A relative local path written in `fromDir`, as seen from `toDir`. URLs and absolute paths stay. */
export function rebasePath(p: string, fromDir: string, toDir: string): string {
  if (fromDir === toDir || !isRelativeLocal(p)) return p;
  const rel = path.relative(toDir, path.resolve(fromDir, p)) || '.';
  return rel.startsWith('..') || rel === '.' ? rel : `./${rel}`;
}

function isRelativeLocal(p: string): boolean {
  return p !== '' && !path.isAbsolute(p) && !p.startsWith('~') && !p.startsWith('$') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p) && !p.startsWith('git@');
}

const scalarWith = (node: PScalar, value: string): PScalar => ({ ...node, value });

function rebaseScalar(node: PNode, fromDir: string, toDir: string): PNode {
  const t = text(node);
  return t === undefined || node.kind !== 'scalar' ? node : scalarWith(node, rebasePath(t, fromDir, toDir));
}

/** The services of a file's tree with build contexts, env files and bind sources rebased. */
export function rebaseTree(tree: PNode, fromDir: string, toDir: string): PNode {
  if (fromDir === toDir || tree.kind !== 'map') return tree;
  const services = get(tree, 'services');
  if (services?.kind !== 'map') return tree;
  const rebased: PMap = { ...services, entries: services.entries.map((e): PEntry => ({ ...e, value: rebaseService(e.value, fromDir, toDir) })) };
  return withEntry(tree, 'services', rebased);
}

export function rebaseService(service: PNode, fromDir: string, toDir: string): PNode {
  if (fromDir === toDir || service.kind !== 'map') return service;
  let out: PMap = service;
  const build = get(service, 'build');
  if (build?.kind === 'scalar') out = withEntry(out, 'build', rebaseScalar(build, fromDir, toDir));
  else if (build?.kind === 'map') {
    const context = get(build, 'context');
    out = withEntry(out, 'build', withEntry(build, 'context', context === undefined ? { kind: 'scalar', value: rebasePath('.', fromDir, toDir), loc: build.loc } : rebaseScalar(context, fromDir, toDir)));
  }
  const envFile = get(service, 'env_file');
  if (envFile !== undefined) {
    const one = (n: PNode): PNode => (n.kind === 'map' ? withEntry(n, 'path', get(n, 'path') && rebaseScalar(get(n, 'path') as PNode, fromDir, toDir)) : rebaseScalar(n, fromDir, toDir));
    out = withEntry(out, 'env_file', envFile.kind === 'seq' ? { ...envFile, items: envFile.items.map(one) } : one(envFile));
  }
  const volumes = get(service, 'volumes');
  if (volumes?.kind === 'seq') {
    out = withEntry(out, 'volumes', {
      ...volumes,
      items: volumes.items.map((v) => {
        if (v.kind === 'map') {
          const source = get(v, 'source');
          return text(get(v, 'type')) === 'bind' && source !== undefined ? withEntry(v, 'source', rebaseScalar(source, fromDir, toDir)) : v;
        }
        return mapStrings(v, (s) => {
          const colon = s.value.indexOf(':');
          if (colon <= 0 || !s.value.startsWith('.')) return s;
          return scalarWith(s, rebasePath(s.value.slice(0, colon), fromDir, toDir) + s.value.slice(colon));
        });
      }),
    });
  }
  return out;
}
