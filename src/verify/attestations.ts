// People's sign-offs on human items, from the attestation file: each with status, justification,
// evidence link and expiry. A sign-off counts until the end of its expiry day (UTC); after that
// the item needs a person again.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { suggestionHint } from '../config/did-you-mean.js';
import { displayPath } from '../config/load.js';
import { throwIfErrors } from '../config/yaml-positions.js';
import { ConfigError } from '../errors.js';
import { attestationFileSchema, type Attestation, type HumanItemSpec } from './schema.js';
import type { HumanOutcome } from './types.js';
import { checkBacking, signingIdentities, type Backing, type BackingOptions } from './attestation-backing.js';
import { parseYamlWithSchema } from '../config/yaml-schema.js';

export interface AttestationFile {
  /** Absolute. */
  path: string;
  shownPath: string;
  /** undefined when the file does not exist. */
  sha256?: string;
  attestations: Attestation[];
}

/** Reads the attestation file; a missing file holds no sign-offs. Items must name human items. */
export async function loadAttestations(file: string, cwd: string, human: readonly HumanItemSpec[]): Promise<AttestationFile> {
  const shownPath = displayPath(cwd, file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path: file, shownPath, attestations: [] };
    throw new ConfigError(`Cannot read ${shownPath} (${(e as NodeJS.ErrnoException).code ?? 'unknown error'}).`, { location: { file: shownPath } });
  }
  const { data, locate } = parseYamlWithSchema(bytes.toString('utf8'), shownPath, attestationFileSchema);
  const ids = human.map((h) => h.id);
  throwIfErrors(
    data.attestations.flatMap((a, i) =>
      ids.includes(a.item)
        ? []
        : [
            new ConfigError(`The attestation for "${a.item}" names no human item of the must-haves.`, {
              location: locate(['attestations', i, 'item']),
              hint: suggestionHint(a.item, ids, 'Human items'),
            }),
          ],
    ),
  );
  return { path: path.resolve(file), shownPath, sha256: createHash('sha256').update(bytes).digest('hex'), attestations: data.attestations };
}

/** The moment a sign-off stops counting: the end of its day for a bare date. */
export function expiryTime(expires: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(expires) ? Date.parse(`${expires}T00:00:00Z`) + 86_400_000 : Date.parse(expires);
}

export function evaluateHumanItems(human: readonly HumanItemSpec[], attestations: readonly Attestation[], now: Date, backing?: ReadonlyMap<Attestation, Backing>): HumanOutcome[] {
  return human.map((spec) => {
    // The last entry for an item wins: a new sign-off is appended below an old one.
    const attestation = [...attestations].reverse().find((a) => a.item === spec.id);
    if (attestation === undefined) return { spec, state: 'needed' };
    const b = backing?.get(attestation);
    const identity = b?.identity === undefined ? {} : { identity: { name: b.identity.name, keyid: b.identity.keyid } };
    if (expiryTime(attestation.expires) <= now.getTime()) return { spec, state: 'expired', attestation, ...identity };
    if (b?.problem !== undefined) return { spec, state: 'invalid', attestation, ...identity, problem: b.problem };
    return { spec, state: attestation.status === 'passed' ? 'attested' : 'failed', attestation, ...identity };
  });
}

/** Checks who signed and what backs each sign-off (see attestation-backing.ts). */
export async function backAttestations(attestations: readonly Attestation[], o: BackingOptions): Promise<Map<Attestation, Backing>> {
  const ids = await signingIdentities(o.evidenceDir);
  const out = new Map<Attestation, Backing>();
  for (const a of attestations) out.set(a, await checkBacking(a, ids, o));
  return out;
}
