// Parsing YAML with positions, shared by shipproof.yaml and compose files: syntax errors become
// ConfigErrors at file:line:column, and a path inside a document (["targets", "prod",
// "maxChannels"]) maps to the line and column of the node it names.
import path from 'node:path';
import {
  LineCounter,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node,
  type Pair,
} from 'yaml';
import { ConfigError } from '../errors.js';
import { checkBounds, sizeError, type AliasTable } from './yaml-bounds.js';

export interface LineColumn {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface PathPosition extends LineColumn {
  /** False when the path runs past the document (a missing key): the position is then of the deepest part found. */
  found: boolean;
}

/** Which end of a `key: value` pair to point at. */
export type PathTarget = 'key' | 'value';

export type PathSegment = string | number;

/** Line and column (1-based) of a node's first character. */
export function nodePosition(node: { range?: readonly number[] | null }, lineCounter: LineCounter): LineColumn {
  const offset = node.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/**
 * Finds the node at `path`. For a key in a mapping, `target: 'key'` points at the key itself
 * (right for "unknown key"), `'value'` at its value (right for "wrong type"); an empty value
 * falls back to its key. A path that does not exist resolves to the deepest key that does.
 */
export function locatePath(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
  target: PathTarget = 'value',
): PathPosition {
  let node: unknown = doc.contents;
  let lastPair: Pair | undefined;
  let found = true;

  for (const segment of path) {
    node = deref(doc, node);
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (pair !== undefined) {
        lastPair = pair;
        next = pair.value;
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
      if (next !== undefined) lastPair = undefined;
    }
    if (next === undefined) {
      found = false;
      break;
    }
    node = next;
  }

  const anchor = pickAnchor(node, lastPair, found, target);
  const position = anchor === undefined ? { line: 1, column: 1 } : nodePosition(anchor, lineCounter);
  return { ...position, found };
}

function pickAnchor(node: unknown, pair: Pair | undefined, found: boolean, target: PathTarget): Node | undefined {
  const key = pair !== undefined && isNode(pair.key) ? pair.key : undefined;
  if (!found) return key ?? asNode(node);
  if (target === 'key' && key !== undefined) return key;
  const value = asNode(node);
  // `key:` with nothing after it has a null scalar whose range sits after the colon; the key reads better.
  if (value === undefined || (isScalar(value) && value.value === null && key !== undefined)) return key ?? value;
  return value;
}

function deref(doc: Document, node: unknown): unknown {
  if (!isAlias(node)) return node;
  const table = resolvers.get(doc);
  return table === undefined ? node.resolve(doc) : table.resolve(node);
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value;
}

function asNode(value: unknown): Node | undefined {
  return isNode(value) ? value : undefined;
}

export interface ParsedYaml {
  doc: Document;
  lineCounter: LineCounter;
  /** Resolves an alias in O(1) (Alias.resolve walks the whole document each call). */
  aliases: AliasTable;
}

/**
 * Parses one YAML document with `<<` merge keys, throwing a ConfigError (first problem, the rest in
 * `more`) for syntax errors and for aliases without an anchor. `file` is the path shown to people.
 */
export function parseYaml(text: string, file: string): ParsedYaml {
  const tooBig = sizeError(text, file);
  if (tooBig !== undefined) throw tooBig;
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    // uniqueKeys: the library compares every pair of keys (quadratic); checkBounds uses a Set.
    doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: true, uniqueKeys: false });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ConfigError(`${path.basename(file)} nests too deeply to read.`, { location: { file, line: 1, column: 1 }, cause: error });
  }
  throwIfErrors(syntaxErrors(doc, file, lineCounter));
  const { errors, aliases } = checkBounds(doc, file, lineCounter, (node) => nodePosition(node, lineCounter));
  throwIfErrors(errors);
  resolvers.set(doc, aliases);
  return { doc, lineCounter, aliases };
}

const resolvers = new WeakMap<Document, AliasTable>();

function syntaxErrors(doc: Document, file: string, lineCounter: LineCounter): ConfigError[] {
  const base = path.basename(file);
  const errors = doc.errors.map((error) => {
    // The library's message ends in " at line 3, column 1:" and a code frame; the location says that.
    const reason = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').replace(/[.:]$/, '');
    // The library reports its own stack overflow as a syntax error: say what the file did.
    if (/Maximum call stack/.test(reason)) return new ConfigError(`${base} nests too deeply to read.`, { location: { file, line: error.linePos?.[0]?.line, column: error.linePos?.[0]?.col }, hint: 'Flatten the structure; no setting shipproof or Compose reads is this deep.' });
    const position = error.linePos?.[0];
    return new ConfigError(`${base} is not valid YAML: ${reason}.`, {
      location: { file, line: position?.line, column: position?.col },
      hint: SYNTAX_HINTS[error.code] ?? 'Check the indentation and quoting on that line and the one before it.',
    });
  });
  return errors;
}

const SYNTAX_HINTS: Partial<Record<string, string>> = {
  TAB_AS_INDENT: 'Indent with spaces; YAML does not allow tabs for indentation.',
  DUPLICATE_KEY: 'Each key may appear only once in a mapping; remove or merge the repeated one.',
  MISSING_CHAR: 'A quote or bracket was opened and not closed.',
};

/** Throws the first error (by position; files in the order met) with the others in `more`; does nothing for none. */
export function throwIfErrors(errors: readonly ConfigError[]): void {
  const fileOrder = new Map<string, number>();
  for (const error of errors) {
    const file = error.location?.file ?? '';
    if (!fileOrder.has(file)) fileOrder.set(file, fileOrder.size);
  }
  const rank = (e: ConfigError) => fileOrder.get(e.location?.file ?? '') ?? 0;
  const sorted = [...errors].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0),
  );
  const [first, ...rest] = sorted;
  if (first === undefined) return;
  throw new ConfigError(first.message, { location: first.location, hint: first.hint, more: rest });
}
