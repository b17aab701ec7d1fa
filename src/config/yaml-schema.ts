// A YAML file checked against a zod schema: every problem a ConfigError at file:line:column with
// what was expected, unknown keys with "did you mean". shipproof.yaml and every other file
// shipproof reads (must-haves, attestations, the image lock) go through here.
import path from 'node:path';
import type { z } from 'zod';
import { suggestionHint } from './did-you-mean.js';
import { AFTER_PATH } from './sections/common.js';
import { locatePath, parseYaml, throwIfErrors, type PathSegment, type PathTarget } from './yaml-positions.js';
import { ConfigError, type SourceLocation } from '../errors.js';
import { redactText } from '../redact/index.js';

export type Locate = (at: readonly PathSegment[], target?: PathTarget) => SourceLocation;

export interface ParsedYamlFile<T> {
  data: T;
  locate: Locate;
}

/** Parses `text` (shown as `file`) and validates it; throws ConfigError (with `more`) on any problem. */
export function parseYamlWithSchema<S extends z.ZodType>(text: string, file: string, schema: S): ParsedYamlFile<z.output<S>> {
  const { doc, lineCounter } = parseYaml(text, file);
  // Aliases were bounded by parseYaml (checkBounds), so the library's own cap is not needed.
  const data: unknown = doc.toJS({ maxAliasCount: -1 }) ?? {};
  const locate: Locate = (at, target = 'value') => ({ file, ...pick(locatePath(doc, lineCounter, at, target)) });
  const result = schema.safeParse(data);
  if (!result.success) {
    const ctx: IssueContext = { data, base: path.basename(file), locate, schema };
    throwIfErrors(flattenIssues(result.error.issues, data, []).flatMap((issue) => issueToErrors(issue, ctx)));
  }
  return { data: result.data as z.output<S>, locate };
}

function pick(p: { line: number; column: number }): { line: number; column: number } {
  return { line: p.line, column: p.column };
}

type Issue = z.core.$ZodIssue;
type LocatedIssue = Issue & { path: PathSegment[] };

interface IssueContext {
  data: unknown;
  base: string;
  locate: Locate;
  schema: z.ZodType;
}

/** Absolute paths; a failed union becomes the issues of the one branch whose type matched. */
function flattenIssues(issues: readonly Issue[], data: unknown, prefix: readonly PathSegment[]): LocatedIssue[] {
  return issues.flatMap((issue): LocatedIssue[] => {
    const at = [...prefix, ...(issue.path as PathSegment[])];
    if (issue.code === 'invalid_union') {
      const input = valueAt(data, at);
      const matching = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && isTypeMismatch(i, input)));
      if (matching.length === 1) return flattenIssues(matching[0] as Issue[], data, at);
    }
    return [{ ...issue, path: at } as LocatedIssue];
  });
}

function isTypeMismatch(issue: Issue, input: unknown): boolean {
  if (issue.code === 'invalid_type') return true;
  return issue.code === 'invalid_value' && !issue.values.some((v) => typeof v === typeof input);
}

function issueToErrors(issue: LocatedIssue, ctx: IssueContext): ConfigError[] {
  const at: PathSegment[] = issue.path as PathSegment[];
  const parent = at.slice(0, -1);
  const last = String(at[at.length - 1]);
  const placeOf = (p: readonly PathSegment[]) => (p.length === 0 ? `in ${ctx.base}` : `under "${formatPath(p)}"`);

  if (issue.code === 'unrecognized_keys') {
    const allowed = keysAt(ctx.schema, at) ?? [];
    return issue.keys.map(
      (key) => new ConfigError(`Unknown key "${key}" ${placeOf(at)}.`, { location: ctx.locate([...at, key], 'key'), hint: suggestionHint(key, allowed) }),
    );
  }
  if (issue.code === 'invalid_key') {
    const phrase = issue.issues[0]?.message ?? 'a valid name';
    const allowed = (issue.issues[0] as { values?: unknown[] } | undefined)?.values?.filter((v): v is string => typeof v === 'string') ?? [];
    return [
      new ConfigError(`The name "${last}" ${placeOf(parent)} must be ${phrase}.`, {
        location: ctx.locate(at, 'key'),
        ...(allowed.length > 0 ? { hint: suggestionHint(last, allowed, 'Allowed names') } : {}),
      }),
    ];
  }
  const value = valueAt(ctx.data, at);
  if (value === undefined && issue.code === 'invalid_type' && at.length > 0) {
    return [new ConfigError(`Missing key "${last}" ${placeOf(parent)}.`, { location: ctx.locate(at), hint: `"${last}" must be ${issue.message}.` })];
  }
  const subject = at.length === 0 ? ctx.base : `"${formatPath(at)}"`;
  if (issue.code === 'custom' && issue.params?.form === AFTER_PATH.form) {
    return [new ConfigError(`${subject} ${issue.message}.`, { location: ctx.locate(at) })];
  }
  const hint =
    issue.code === 'invalid_value' && typeof value === 'string'
      ? suggestionHint(value, issue.values.filter((v): v is string => typeof v === 'string'), 'Allowed values')
      : undefined;
  return [new ConfigError(`${subject} must be ${issue.message}, got ${describeValue(value)}.`, { location: ctx.locate(at), hint })];
}

export function formatPath(at: readonly PathSegment[]): string {
  return at.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out === '' ? seg : `${out}.${seg}`), '');
}

function valueAt(data: unknown, at: readonly PathSegment[]): unknown {
  let current = data;
  for (const seg of at) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PathSegment, unknown>)[seg];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    // Never repeat what may be a secret: assignments keep their name only, the rest is redacted.
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(value);
    const shown = assignment === null ? redactText(value) : `${assignment[1]}=…`;
    return JSON.stringify(shown.length > 80 ? `${shown.slice(0, 77)}...` : shown);
  }
  return String(value);
}

interface SchemaInternals {
  _zod: { def: { type: string; [key: string]: unknown } };
}

/** The keys an object at `at` accepts, walking records, lists, unions and wrappers. */
export function keysAt(schema: unknown, at: readonly PropertyKey[]): string[] | undefined {
  const def = (schema as SchemaInternals)._zod.def;
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      if (at.length === 0) return Object.keys(shape);
      const [head, ...rest] = at;
      return typeof head === 'string' && head in shape ? keysAt(shape[head], rest) : undefined;
    }
    case 'record': {
      if (at.length > 0) return keysAt(def.valueType, at.slice(1));
      // A record keyed by an enum accepts exactly the enum's values.
      const keyDef = (def.keyType as SchemaInternals)._zod.def;
      return keyDef.type === 'enum' ? Object.values(keyDef.entries as Record<string, string>) : undefined;
    }
    case 'array':
      return at.length === 0 ? undefined : keysAt(def.element, at.slice(1));
    case 'union':
      for (const option of def.options as unknown[]) {
        const keys = keysAt(option, at);
        if (keys !== undefined) return keys;
      }
      return undefined;
    case 'pipe':
      return keysAt(def.in, at);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      return keysAt(def.innerType, at);
    default:
      return undefined;
  }
}
