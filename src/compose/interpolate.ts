// Compose's variable interpolation over a file's tree: `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`,
// `${VAR:?err}`, `${VAR?err}`, `${VAR:+r}`, `${VAR+r}` and `$$` for a literal `$`.
//
// Two modes. `compose` does what Compose does: an unset variable becomes "" and a `?` reference
// without a value is an error. `keep-unresolved` (the default for shipproof's own commands, which
// usually run where the server's values are absent) keeps the text as written whenever some
// reference cannot be resolved, and leaves a failed `?` to the env checks; the model then still
// shows `${VAR}` and later steps (pin, lint) can fill it from the same environment.
import { ConfigError, type SourceLocation } from '../errors.js';
import type { Env } from './dotenv.js';
import { replaceInterpolations } from './model.js';
import { mapStrings, type PNode } from './tree.js';

export type InterpolationMode = 'compose' | 'keep-unresolved';

export interface InterpolationResult {
  text: string;
  /** Some reference had no value and no default. */
  unresolved: boolean;
  /** The first `${X:?message}` / `${X?message}` whose variable is missing. */
  missing?: { name: string; message: string };
}

export function interpolateText(text: string, env: Env): InterpolationResult {
  let unresolved = false;
  let missing: InterpolationResult['missing'];
  const sub = (arg: string | undefined): string => {
    const inner = interpolateText(arg ?? '', env);
    unresolved ||= inner.unresolved;
    missing ??= inner.missing;
    return inner.text;
  };
  const out = replaceInterpolations(text, (ref) => {
    const value = env[ref.name];
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    switch (ref.operator) {
      case '':
        if (!set) unresolved = true;
        return value ?? '';
      case ':-':
        return nonEmpty ? value : sub(ref.argument);
      case '-':
        return set ? value : sub(ref.argument);
      case ':?':
      case '?':
        if (ref.operator === ':?' ? nonEmpty : set) return value ?? '';
        missing ??= { name: ref.name, message: sub(ref.argument) };
        return '';
      case ':+':
        return nonEmpty ? sub(ref.argument) : '';
      case '+':
        return set ? sub(ref.argument) : '';
    }
  });
  return { text: out, unresolved, ...(missing === undefined ? {} : { missing }) };
}

export interface InterpolationIssues {
  errors: ConfigError[];
  warnings: { message: string; location: SourceLocation }[];
}

/** Interpolates every string value of a file's tree (keys stay as written, as in Compose). */
export function interpolateTree(tree: PNode, env: Env, mode: InterpolationMode, issues: InterpolationIssues): PNode {
  return mapStrings(tree, (scalar) => {
    if (!scalar.value.includes('$')) return scalar;
    const result = interpolateText(scalar.value, env);
    if (result.missing !== undefined) {
      const { name, message } = result.missing;
      const said = message === '' ? `${name} is required` : message;
      if (mode === 'compose') {
        issues.errors.push(
          new ConfigError(`Variable ${name} is not set: ${said}.`, {
            location: scalar.loc,
            hint: `Set ${name} in the environment or in the project's .env file.`,
          }),
        );
      } else {
        // Where it runs the value may be set (it often lives only on the server); the inventory
        // of interpolation variables marks it required, and env checks look for it there.
        return scalar;
      }
    }
    if (mode === 'keep-unresolved' && (result.unresolved || result.missing !== undefined)) return scalar;
    return result.text === scalar.value ? scalar : { ...scalar, value: result.text, written: scalar.value };
  });
}
