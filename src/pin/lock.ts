// shipproof.lock: each image of the compose files with the digest it had on the target when it was
// pinned (like seed 002's VERSIONS). Written in a stable order, so the same images give the same
// bytes and a re-run that changes nothing writes nothing new. Deploy reads it through
// readImageLock() and pinnedReference().
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { displayPath } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { writeGeneratedFile } from '../evidence/generated-file.js';
import { assertNoSecrets } from '../redact/index.js';
import { parseYamlWithSchema } from '../config/yaml-schema.js';

export const LOCK_FILE_NAME = 'shipproof.lock';

const sha256Id = z.string({ error: 'a digest like sha256:<64 hex digits>' }).regex(/^sha256:[0-9a-f]{64}$/, {
  error: 'a digest like sha256:<64 hex digits>',
});

export const lockedImageSchema = z.strictObject(
  {
    /** The image as the compose files name it (interpolation filled in); for build-only services, the name compose gives the build. */
    image: z.string({ error: 'an image reference' }).min(1),
    services: z.array(z.string({ error: 'a service name' }).min(1), { error: 'a list of service names' }).min(1),
    /** `registry`: a repository digest any host can pull. `local`: an image id, valid on the pinned target only. */
    source: z.enum(['registry', 'local'], { error: 'registry or local' }),
    /** What deploy runs: "caddy@sha256:…" for registry images, the image id "sha256:…" for local ones. */
    pinned: z.string({ error: 'a pinned reference' }).min(1),
    digest: sha256Id,
    note: z.string().optional(),
  },
  { error: 'an object with image:, services:, source:, pinned: and digest:' },
);

export const imageLockSchema = z.strictObject(
  {
    version: z.literal(1, { error: 'the lock format version, 1' }),
    project: z.string({ error: 'the compose project name' }).min(1),
    target: z.string({ error: 'the target the digests were read on' }).min(1),
    images: z.array(lockedImageSchema, { error: 'a list of images' }),
  },
  { error: 'a mapping with version:, project:, target: and images:' },
);

export type LockedImage = z.output<typeof lockedImageSchema>;
export type ImageLock = z.output<typeof imageLockSchema>;

export function lockPath(rootDir: string): string {
  return path.join(rootDir, LOCK_FILE_NAME);
}

/** The lock with images sorted by name and services sorted, keys in a fixed order. */
export function normalizeLock(lock: ImageLock): ImageLock {
  const images = [...lock.images]
    .map((i) => ({
      image: i.image,
      services: [...i.services].sort(),
      source: i.source,
      pinned: i.pinned,
      digest: i.digest,
      ...(i.note === undefined ? {} : { note: i.note }),
    }))
    .sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
  return { version: 1, project: lock.project, target: lock.target, images };
}

export function serializeLock(lock: ImageLock): string {
  const header = [
    `# ${LOCK_FILE_NAME}: image digests read on target "${lock.target}" by \`shipproof pin\`.`,
    '# Deploy runs these exact images. `shipproof pin --check` fails when this file and the compose files disagree.',
    '# Written by shipproof; re-run `shipproof pin` instead of editing it.',
  ];
  return `${header.join('\n')}\n${stringify(normalizeLock(lock), { lineWidth: 0 })}`;
}

export function parseLock(text: string, shownPath: string): ImageLock {
  return parseYamlWithSchema(text, shownPath, imageLockSchema).data;
}

/**
 * shipproof.lock of the project in `rootDir`, or undefined when there is none. Throws
 * ConfigError (with file:line) when it exists but is damaged.
 */
export async function readImageLock(rootDir: string, cwd: string = process.cwd()): Promise<ImageLock | undefined> {
  const file = lockPath(rootDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(`Cannot read ${displayPath(cwd, file)} (${code ?? 'unknown error'}).`, { location: { file: displayPath(cwd, file) } });
  }
  return parseLock(text, displayPath(cwd, file));
}

/** The locked entry for an image reference, if any. */
export function lockedImage(lock: ImageLock, image: string): LockedImage | undefined {
  return lock.images.find((i) => i.image === image);
}

/** What deploy should run instead of `image`: the pinned reference, or undefined when not locked. */
export function pinnedReference(lock: ImageLock, image: string): string | undefined {
  return lockedImage(lock, image)?.pinned;
}

/** Writes the lock atomically; false (and nothing written) when the file already holds these bytes. */
export async function writeImageLock(rootDir: string, lock: ImageLock, force?: boolean): Promise<{ path: string; changed: boolean }> {
  const file = lockPath(rootDir);
  const text = serializeLock(lock);
  assertNoSecrets(text, LOCK_FILE_NAME);
  const { changed } = await writeGeneratedFile(file, text, {
    syntax: 'yaml',
    mode: 0o644,
    shown: LOCK_FILE_NAME,
    ...(force === undefined ? {} : { force }),
    // Locks written before the mark existed carry this header line.
    legacy: (existing) => existing.includes('\n# Written by shipproof; re-run `shipproof pin` instead of editing it.\n'),
  });
  return { path: file, changed };
}
