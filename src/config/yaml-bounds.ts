// Bounds on the work one YAML file may cost, checked right after parsing and before anything
// walks the document: a merge-key bomb or "billion laughs" is refused at the alias that makes it
// explode, a deep nest at the node that is too deep, a huge file before it is parsed. Also
// resolves every alias once (the library's Alias.resolve walks the whole document per call) and
// finds repeated keys with one Set per mapping (the library's check compares every pair).
import path from 'node:path';
import { isAlias, isCollection, isMap, isNode, isPair, isScalar, visit, type Alias, type Document, type LineCounter, type Node } from 'yaml';
import { ConfigError } from '../errors.js';

/** Larger files are not hand-written config; refusing them keeps every reader fast. */
export const MAX_YAML_CHARS = 5 * 1024 * 1024;
/** Nodes that aliases may add on top of the document's own (a real file adds a few hundred). */
export const MAX_ALIAS_EXPANSION = 100_000;
export const MAX_ALIASES = 10_000;
export const MAX_DEPTH = 100;

export interface AliasTable {
  /** The node an alias stands for (the last anchor of that name before it). */
  resolve(alias: Alias): Node | undefined;
}

type Position = (node: { range?: readonly number[] | null }) => { line: number; column: number };

/** A ConfigError for a file too big to read, before parsing it. */
export function sizeError(text: string, file: string): ConfigError | undefined {
  if (text.length <= MAX_YAML_CHARS) return undefined;
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return new ConfigError(`${path.basename(file)} is ${mb(text.length)}; shipproof reads YAML files up to ${mb(MAX_YAML_CHARS)}.`, {
    location: { file, line: 1, column: 1 },
    hint: 'A file this large is not hand-written: split it, or generate a smaller one.',
  });
}

/**
 * One pass over a parsed document: repeated keys, missing anchors, too many aliases, nodes nested
 * too deep, aliases that expand too far. Returns the problems and the alias table.
 */
export function checkBounds(doc: Document, file: string, lineCounter: LineCounter, position: Position): { errors: ConfigError[]; aliases: AliasTable } {
  const base = path.basename(file);
  const at = (node: unknown) => ({ file, ...position(node as { range?: readonly number[] | null }) });
  const errors: ConfigError[] = [];
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  let aliasCount = 0;
  let deepReported = false;
  void lineCounter;

  visit(doc, {
    Node(_key, node, trail) {
      if (!deepReported && trail.length > MAX_DEPTH && trail.filter((t) => isCollection(t)).length > MAX_DEPTH) {
        deepReported = true;
        errors.push(new ConfigError(`${base} nests deeper than ${MAX_DEPTH} levels.`, { location: at(node), hint: 'Flatten the structure; no setting shipproof or Compose reads is this deep.' }));
        return visit.BREAK;
      }
      if (isAlias(node)) {
        aliasCount++;
        const target = anchors.get(node.source);
        if (target === undefined) {
          errors.push(new ConfigError(`${base} uses the alias *${node.source}, but no anchor &${node.source} comes before it.`, { location: at(node) }));
        } else targets.set(node, target);
        if (aliasCount === MAX_ALIASES + 1) {
          errors.push(new ConfigError(`${base} uses more than ${MAX_ALIASES} aliases.`, { location: at(node), hint: 'Write the repeated parts out, or use fewer anchors.' }));
          return visit.BREAK;
        }
        return undefined;
      }
      // Registered on entry: an alias inside its own anchor finds it, and is caught below as a cycle.
      if (node.anchor !== undefined) anchors.set(node.anchor, node);
      if (isMap(node)) {
        const seen = new Set<string>();
        for (const pair of node.items) {
          if (!isScalar(pair.key)) continue;
          const k = String(pair.key.value);
          if (k === '<<' && pair.key.source === '<<') continue;
          if (seen.has(k)) {
            errors.push(new ConfigError(`${base} is not valid YAML: Map keys must be unique.`, {
              location: at(pair.key),
              hint: 'Each key may appear only once in a mapping; remove or merge the repeated one.',
            }));
          }
          seen.add(k);
        }
      }
      return undefined;
    },
  });
  if (errors.length > 0) return { errors, aliases: { resolve: (a) => targets.get(a) } };

  // Expanded size: every node counts once per path that reaches it through aliases.
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let own = 0;
  let expansionError: ConfigError | undefined;
  const sizeOf = (node: unknown, viaAlias: boolean): number => {
    if (expansionError !== undefined) return 0;
    if (isPair(node)) {
      if (!viaAlias) own++;
      return 1 + sizeOf(node.key, viaAlias) + sizeOf(node.value, viaAlias);
    }
    if (!isNode(node)) return 0;
    if (isAlias(node)) {
      const target = targets.get(node);
      if (target === undefined) return 1;
      if (open.has(target)) {
        expansionError = new ConfigError(`${base}: the alias *${node.source} lies inside its own anchor &${node.source}.`, { location: at(node) });
        return 0;
      }
      const size = sizes.get(target) ?? sizeOf(target, true);
      return size;
    }
    const known = sizes.get(node);
    if (known !== undefined) return known;
    open.add(node);
    let size = 1;
    if (!viaAlias) own++;
    if (isCollection(node)) for (const item of node.items) size += sizeOf(item, viaAlias);
    open.delete(node);
    sizes.set(node, size);
    return size;
  };
  // Walk the top level item by item so the error points at the entry that explodes.
  const root = doc.contents;
  let total = 0;
  const items: unknown[] = isCollection(root) ? root.items : [root];
  for (const item of items) {
    total += sizeOf(item, false);
    if (expansionError !== undefined) break;
    if (total - own > MAX_ALIAS_EXPANSION) {
      const culprit = isPair(item) ? item.key : item;
      expansionError = new ConfigError(`${base}: its aliases expand to more than ${MAX_ALIAS_EXPANSION} extra nodes (a "billion laughs" or merge-key bomb).`, {
        location: at(culprit),
        hint: 'Anchors and aliases (&name, *name, <<: *name) may repeat a block, not multiply it; write the values out.',
      });
    }
  }
  if (expansionError !== undefined) errors.push(expansionError);
  return { errors, aliases: { resolve: (a) => targets.get(a) } };
}
