// The weak-secret gate (milestone 3 and `check`): every secret-named value this machine knows
// (env files, uploaded sources, compose env_file and literal environment values) must be strong
// enough to redact. Reads local files only; names keys and files, never values.
import path from 'node:path';
import type { ComposeProject } from '../compose/model.js';
import type { ResolvedConfig } from '../config/load.js';
import { knownSecretValues, onlyReferences } from '../config/secret-values.js';
import { classifyKeyName } from '../redact/patterns.js';
import { SECRET_ADVICE, secretWeakness, visibleNames } from '../redact/secret-strength.js';
import { fail, pass, type Probe } from './types.js';

export interface WeakSecret {
  key: string;
  /** Absolute. */
  file: string;
  line?: number;
  reason: string;
  /** The reason from `secrets.allowWeak`, when shipproof.yaml accepts it. */
  allowed?: string;
}

/** Names that appear in records and that a secret must therefore not equal or hide in. */
export function recordNames(config: ResolvedConfig, compose: ComposeProject | undefined): string[] {
  const names: string[] = [config.project, path.basename(config.rootDir), ...config.domains];
  for (const t of Object.values(config.targets)) names.push(...t.appDir.split('/'));
  for (const f of config.composeFiles) names.push(...path.relative(config.rootDir, f).split(path.sep));
  if (compose !== undefined) {
    if (compose.name !== undefined) names.push(compose.name);
    for (const s of compose.services) {
      names.push(s.name);
      if (s.image !== undefined) names.push(s.image);
      if (s.build !== undefined) names.push(s.build.context, ...(s.build.dockerfile ? [s.build.dockerfile] : []));
    }
    for (const v of compose.volumes) names.push(v.name);
  }
  return visibleNames(names);
}

export async function findWeakSecrets(config: ResolvedConfig, compose: ComposeProject | undefined): Promise<WeakSecret[]> {
  const names = recordNames(config, compose);
  const out: WeakSecret[] = [];
  const seen = new Set<string>();
  for (const s of await knownSecretValues(config)) {
    if (!classifyKeyName(s.key).secret) continue;
    const value = s.values[0] ?? '';
    if (value !== '' && onlyReferences(value)) continue;
    const reason = secretWeakness(s.key, value, names);
    if (reason === undefined) continue;
    const id = `${s.file}\0${s.key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const allowed = config.allowWeakSecrets[s.key];
    out.push({ key: s.key, file: s.file, ...(s.line === undefined ? {} : { line: s.line }), reason, ...(allowed === undefined ? {} : { allowed }) });
  }
  return out;
}

export function describeWeakSecret(w: WeakSecret, rootDir: string): string {
  return `the secret ${w.key} in ${path.relative(rootDir, w.file) || w.file} ${w.reason}`;
}

export const WEAK_SECRET_HINT = `${SECRET_ADVICE} and put it in the env file. If this value is acceptable (a local-only database, say), allow the key in shipproof.yaml with a reason: secrets: { allowWeak: { KEY: "why" } } — it is then recorded and left unredacted.`;

export const secretStrengthProbe: Probe = {
  id: 'secret-strength',
  title: 'Secret values are strong enough to redact',
  reads: 'the secret-named values of local env files and compose files, on this machine (never recorded)',
  gate: true,
  neverRecords: ['secret values'],
  plan: () => [],
  async run(ctx) {
    const weak = await findWeakSecrets(ctx.config, ctx.compose);
    const refused = weak.filter((w) => w.allowed === undefined);
    const observations = {
      weakKeys: refused.map((w) => w.key),
      allowedWeak: weak.filter((w) => w.allowed !== undefined).map((w) => `${w.key}: ${w.allowed}`),
    };
    if (refused.length > 0) {
      return fail(`${refused.map((w) => describeWeakSecret(w, ctx.config.rootDir)).join('; ')}. ${SECRET_ADVICE}, or allow the key with a reason under secrets.allowWeak`, observations);
    }
    return pass(observations, weak.length > 0 ? `weak values allowed by shipproof.yaml: ${observations.allowedWeak.join('; ')}` : undefined);
  },
};
