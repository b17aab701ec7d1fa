// A compose file as a plain tree whose every node remembers where it was written. YAML aliases and
// `<<` merge keys are expanded here, and the Compose tags `!reset` / `!override` are kept on the
// node they mark, so merging, `extends` and `include` can work on data and still point at lines.
import { isAlias, isMap, isScalar, isSeq, type Alias, type Document, type LineCounter } from 'yaml';
import type { AliasTable } from '../config/yaml-bounds.js';
import { nodePosition } from '../config/yaml-positions.js';
import type { SourceLocation } from '../errors.js';

export type ComposeTag = '!reset' | '!override';

interface Base {
  loc: SourceLocation;
  tag?: ComposeTag;
}

export interface PMap extends Base {
  kind: 'map';
  entries: PEntry[];
}

export interface PEntry {
  key: string;
  keyLoc: SourceLocation;
  value: PNode;
}

export interface PSeq extends Base {
  kind: 'seq';
  items: PNode[];
}

export interface PScalar extends Base {
  kind: 'scalar';
  value: string | number | boolean | null;
  /** The text before interpolation, when interpolation changed it. */
  written?: string;
}

export type PNode = PMap | PSeq | PScalar;

/** The tree of one parsed document; an empty document is an empty mapping. */
export function toTree(doc: Document, lineCounter: LineCounter, file: string, aliases?: AliasTable): PNode {
  // parseYaml's table resolves each alias in O(1); the library's Alias.resolve walks the document.
  const resolve = (a: Alias): unknown => (aliases === undefined ? a.resolve(doc) : aliases.resolve(a));
  const loc = (node: unknown): SourceLocation => {
    const range = (node as { range?: readonly number[] } | null)?.range;
    return range === undefined ? { file, line: 1, column: 1 } : { file, ...nodePosition({ range }, lineCounter) };
  };
  const convert = (node: unknown, seen: ReadonlySet<unknown>): PNode => {
    if (isAlias(node)) {
      const target = resolve(node);
      // A self-referencing alias would loop; parseYaml already rejects a missing anchor.
      if (target === undefined || seen.has(target)) return { kind: 'scalar', value: null, loc: loc(node) };
      return convert(target, new Set([...seen, target]));
    }
    const tag = composeTag((node as { tag?: string } | null)?.tag);
    const tagged = tag === undefined ? {} : { tag };
    if (isMap(node)) {
      const own: PEntry[] = [];
      const merged: PEntry[] = [];
      for (const pair of node.items) {
        const keyText = isScalar(pair.key) ? pair.key.value : undefined;
        if (isScalar(pair.key) && (pair.key.source === '<<' || keyText === '<<')) {
          const source = isAlias(pair.value) ? resolve(pair.value) : pair.value;
          for (const item of isSeq(source) ? source.items : [pair.value]) {
            const sub = convert(item, seen);
            if (sub.kind === 'map') merged.push(...sub.entries);
          }
          continue;
        }
        own.push({ key: keyText === null || keyText === undefined ? '' : String(keyText), keyLoc: loc(pair.key), value: convert(pair.value, seen) });
      }
      const keys = new Set(own.map((e) => e.key));
      for (const entry of merged) {
        if (!keys.has(entry.key)) own.push(entry);
        keys.add(entry.key);
      }
      return { kind: 'map', entries: own, loc: loc(node), ...tagged };
    }
    if (isSeq(node)) return { kind: 'seq', items: node.items.map((item) => convert(item, seen)), loc: loc(node), ...tagged };
    if (isScalar(node)) {
      const v = node.value;
      const value = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v : typeof v === 'bigint' ? Number(v) : String(v);
      return { kind: 'scalar', value, loc: loc(node), ...tagged };
    }
    return { kind: 'scalar', value: null, loc: loc(node), ...tagged };
  };
  const root = convert(doc.contents, new Set());
  return root.kind === 'scalar' && root.value === null ? { kind: 'map', entries: [], loc: root.loc } : root;
}

function composeTag(tag: string | undefined): ComposeTag | undefined {
  return tag === '!reset' || tag === '!override' ? tag : undefined;
}

export function isNull(node: PNode | undefined): boolean {
  return node === undefined || (node.kind === 'scalar' && node.value === null);
}

export function get(node: PNode | undefined, key: string): PNode | undefined {
  return node?.kind === 'map' ? node.entries.find((e) => e.key === key)?.value : undefined;
}

export function entry(node: PNode | undefined, key: string): PEntry | undefined {
  return node?.kind === 'map' ? node.entries.find((e) => e.key === key) : undefined;
}

/** A scalar's text (numbers and booleans as written by String()); undefined for null and collections. */
export function text(node: PNode | undefined): string | undefined {
  return node?.kind === 'scalar' && node.value !== null ? String(node.value) : undefined;
}

export function shapeOf(node: PNode | undefined): string {
  if (node === undefined || isNull(node)) return 'nothing';
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  return typeof node.value === 'string' ? 'a string' : typeof node.value === 'number' ? 'a number' : String(node.value);
}

/** A copy of `node` with every string scalar passed through `fn` (keys are left alone). */
export function mapStrings(node: PNode, fn: (s: PScalar & { value: string }) => PScalar): PNode {
  if (node.kind === 'map') return { ...node, entries: node.entries.map((e) => ({ ...e, value: mapStrings(e.value, fn) })) };
  if (node.kind === 'seq') return { ...node, items: node.items.map((i) => mapStrings(i, fn)) };
  return typeof node.value === 'string' ? fn(node as PScalar & { value: string }) : node;
}

export function withEntry(map: PMap, key: string, value: PNode | undefined, keyLoc?: SourceLocation): PMap {
  const entries = map.entries.filter((e) => e.key !== key);
  const old = map.entries.find((e) => e.key === key);
  if (value === undefined) return { ...map, entries };
  const at = map.entries.findIndex((e) => e.key === key);
  const next = { key, keyLoc: keyLoc ?? old?.keyLoc ?? value.loc, value };
  if (at < 0) return { ...map, entries: [...entries, next] };
  return { ...map, entries: map.entries.map((e) => (e.key === key ? next : e)) };
}
