// Image references: "caddy:2.8", "ghcr.io/acme/web@sha256:…", "localhost:5000/app:1.0", and the
// `${IMAGE}:${TAG}` forms compose fills in from the project's .env and the environment.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findInterpolations } from '../compose/model.js';
import { parseEnvValues } from '../redact/index.js';

export interface ImageRef {
  /** Registry and path, without tag or digest: "caddy", "ghcr.io/acme/web". */
  repository: string;
  tag?: string;
  /** "sha256:…" */
  digest?: string;
}

export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf('@');
  const digest = at < 0 ? undefined : ref.slice(at + 1);
  const name = at < 0 ? ref : ref.slice(0, at);
  // A ':' after the last '/' is a tag; one before it is a registry port.
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
  const repository = tag === undefined ? name : name.slice(0, colon);
  return { repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

export function isDigestPinned(ref: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(parseImageRef(ref).digest ?? '');
}

/** "caddy" and "docker.io/library/caddy" name the same repository. */
export function normalizeRepository(repository: string): string {
  let r = repository.toLowerCase();
  if (r.startsWith('docker.io/')) r = r.slice('docker.io/'.length);
  if (r.startsWith('index.docker.io/')) r = r.slice('index.docker.io/'.length);
  if (r.startsWith('library/')) r = r.slice('library/'.length);
  return r;
}

export interface Interpolated {
  text: string;
  /** Variables that were needed and not set. */
  unresolved: string[];
}

/** Fills in `${…}` the way compose does; `$$` is a literal `$`. */
export function interpolate(text: string, vars: Readonly<Record<string, string>>): Interpolated {
  const unresolved = new Set<string>();
  const refs = findInterpolations(text);
  // Only the outermost references: nested ones are handled by recursing into the default.
  const outer = refs.filter((r) => !refs.some((o) => o !== r && o.index <= r.index && o.end >= r.end));
  let out = '';
  let last = 0;
  for (const ref of outer) {
    out += text.slice(last, ref.index).replace(/\$\$/g, '$');
    const value = Object.hasOwn(vars, ref.name) ? vars[ref.name] : undefined;
    const inner = () => {
      const r = interpolate(ref.argument ?? '', vars);
      r.unresolved.forEach((u) => unresolved.add(u));
      return r.text;
    };
    switch (ref.operator) {
      case ':-':
        out += value !== undefined && value !== '' ? value : inner();
        break;
      case '-':
        out += value !== undefined ? value : inner();
        break;
      case ':+':
        out += value !== undefined && value !== '' ? inner() : '';
        break;
      case '+':
        out += value !== undefined ? inner() : '';
        break;
      default:
        // '', ':?' and '?': the value is needed.
        if (value === undefined || (value === '' && ref.operator !== '?')) unresolved.add(ref.name);
        out += value ?? '';
    }
    last = ref.end;
  }
  out += text.slice(last).replace(/\$\$/g, '$');
  return { text: out, unresolved: [...unresolved] };
}

/**
 * The variables compose interpolates with: the project folder's .env, overridden by the
 * environment. Only used to resolve image names; the values are never printed.
 */
export async function interpolationVariables(projectDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  const vars: Record<string, string> = {};
  const text = await readFile(path.join(projectDir, '.env'), 'utf8').catch(() => undefined);
  if (text !== undefined) {
    for (const entry of parseEnvValues(text)) {
      const value = entry.values[0];
      if (value !== undefined) vars[entry.key] = value;
    }
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined) vars[k] = v;
  return vars;
}
