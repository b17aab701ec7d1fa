// Env readiness: for each env file on the server, its mode and owner, and for each key whether it
// is set, empty or missing. The awk program runs on the server and prints key NAMES only: values
// never cross the connection.
import { isAbsolute, posix } from 'node:path';
import { fail, pass, skipped, type Observations, type Probe } from './types.js';

// Prints "mode owner group" then one "NAME<TAB>set|empty" line per assignment. Quotes around a
// value do not count as content ("" is empty). A UTF-8 byte order mark before the first key is
// skipped, as Compose skips it.
const ENV_SCRIPT = [
  'f="$1"',
  '[ -f "$f" ] || { echo missing; exit 0; }',
  'stat -c "%a %U %G" -- "$f"',
  `awk '
    /^[[:space:]]*#/ { next }
    {
      line = $0
      if (NR == 1) sub(/^\\357\\273\\277/, "", line)
      sub(/^[[:space:]]*export[[:space:]]+/, "", line)
      eq = index(line, "=")
      if (eq < 2) next
      k = substr(line, 1, eq - 1)
      gsub(/[[:space:]]+$/, "", k)
      if (k !~ /^[A-Za-z_][A-Za-z0-9_]*$/) next
      v = substr(line, eq + 1)
      gsub(/^[[:space:]]+|[[:space:]]+$/, "", v)
      if (v == "\\"\\"" || v == "\\047\\047") v = ""
      print k "\\t" (length(v) > 0 ? "set" : "empty")
    }' "$f"`,
].join('\n');

export function envFileCommand(path: string): string[] {
  return ['sh', '-c', ENV_SCRIPT, 'shipproof-env', path];
}

export function envFilePath(appDir: string, path: string): string {
  return isAbsolute(path) ? path : posix.join(appDir, path);
}

export interface EnvFileReport {
  exists: boolean;
  mode?: string;
  owner?: string;
  group?: string;
  keys: Map<string, 'set' | 'empty'>;
}

export function parseEnvReport(text: string): EnvFileReport {
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines[0] === 'missing') return { exists: false, keys: new Map() };
  const [mode, owner, group] = (lines[0] ?? '').split(' ');
  const keys = new Map<string, 'set' | 'empty'>();
  for (const l of lines.slice(1)) {
    const [k, state] = l.split('\t');
    if (k && (state === 'set' || state === 'empty')) keys.set(k, state);
  }
  return { exists: true, ...(mode ? { mode } : {}), ...(owner ? { owner } : {}), ...(group ? { group } : {}), keys };
}

/** World-readable or group-writable env files leak secrets to other users of the server. */
export function modeProblem(mode: string | undefined): string | undefined {
  if (mode === undefined) return undefined;
  const n = parseInt(mode, 8);
  if (n & 0o004) return `is readable by every user (mode ${mode}; use 600)`;
  if (n & 0o022) return `is writable by others (mode ${mode}; use 600)`;
  return undefined;
}

export const envFilesProbe: Probe = {
  id: 'env',
  title: 'Env files ready',
  reads: 'each env file on the server: mode, owner, and for each required key set / empty / missing',
  gate: true,
  neverRecords: ['env values', 'hashes of env values'],
  plan: (ctx) => ctx.config.envFiles.map((e) => ({ where: 'target' as const, argv: envFileCommand(envFilePath(ctx.target.appDir, e.path)) })),
  async run(ctx) {
    if (ctx.config.envFiles.length === 0) return skipped('no env files are declared in shipproof.yaml');
    const observations: Observations = {};
    const problems: string[] = [];
    await Promise.all(
      ctx.config.envFiles.map(async (e, i) => {
        const path = envFilePath(ctx.target.appDir, e.path);
        const r = await ctx.run(envFileCommand(path));
        const report = parseEnvReport(r.stdout);
        const prefix = `file${i}`;
        observations[`${prefix}.path`] = path;
        if (r.exitCode !== 0) {
          problems.push(`${e.path} could not be read`);
          return;
        }
        if (!report.exists) {
          observations[`${prefix}.exists`] = false;
          problems.push(`${e.path} is missing`);
          return;
        }
        observations[`${prefix}.exists`] = true;
        observations[`${prefix}.mode`] = report.mode ?? null;
        observations[`${prefix}.owner`] = `${report.owner ?? '?'}:${report.group ?? '?'}`;
        const mp = modeProblem(report.mode);
        if (mp) problems.push(`${e.path} ${mp}`);
        const missing = e.required.filter((k) => !report.keys.has(k));
        const empty = e.required.filter((k) => report.keys.get(k) === 'empty');
        observations[`${prefix}.set`] = e.required.filter((k) => report.keys.get(k) === 'set');
        observations[`${prefix}.empty`] = empty;
        observations[`${prefix}.missing`] = missing;
        observations[`${prefix}.otherKeys`] = [...report.keys.keys()].filter((k) => !e.required.includes(k)).length;
        if (missing.length) problems.push(`${e.path} lacks ${missing.join(', ')}`);
        if (empty.length) problems.push(`${e.path} has empty ${empty.join(', ')}`);
      }),
    );
    return problems.length ? fail(problems.join('; '), observations) : pass(observations);
  },
};
