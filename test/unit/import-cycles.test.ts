// Import cycles make layers meaningless and module order fragile; this fails on any cycle in
// src/, type-only imports included (they tie the modules together just the same for readers).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Relative specifiers of `import … from` / `export … from` / `import('…')`. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2])!);
  return out;
}

function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('import graph of src/', () => {
  it('finds a planted cycle (the checker itself works)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(findCycles(g)).toEqual([['a', 'b', 'c', 'a']]);
    expect(importsOf("import type { X } from './x.js';\nexport { y } from '../y.js';\nconst z = await import('./z.js');")).toEqual(['./x.js', '../y.js', './z.js']);
  });

  it('has no cycles', () => {
    const graph = new Map<string, string[]>();
    for (const file of tsFiles(SRC)) {
      const rel = path.relative(SRC, file);
      const deps = importsOf(readFileSync(file, 'utf8')).map((spec) =>
        path.relative(SRC, path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'))),
      );
      graph.set(rel, deps);
    }
    expect(graph.size).toBeGreaterThan(50);
    expect(findCycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });
});
