// shipproof.lock: image references read right, the digest chosen from docker's answer (repository
// digest, else the image id and a note), a stable file that round-trips, and --check's comparison.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load.js';
import { parseImageInspect } from '../../src/docker/parse.js';
import { ConfigError } from '../../src/errors.js';
import { withGeneratedMark } from '../../src/evidence/generated-file.js';
import { compareLock } from '../../src/pin/check.js';
import { interpolate, isDigestPinned, parseImageRef } from '../../src/pin/image-ref.js';
import { parseLock, pinnedReference, readImageLock, serializeLock, writeImageLock, type ImageLock } from '../../src/pin/lock.js';
import { lockedFromInspect } from '../../src/pin/resolve.js';
import { serviceImages } from '../../src/pin/service-images.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const root = mkdtempSync(join(tmpdir(), 'shipproof-pin-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('image references', () => {
  it('splits repository, tag and digest, minding registry ports', () => {
    expect(parseImageRef('caddy')).toEqual({ repository: 'caddy' });
    expect(parseImageRef('caddy:2.8')).toEqual({ repository: 'caddy', tag: '2.8' });
    expect(parseImageRef('localhost:5000/app')).toEqual({ repository: 'localhost:5000/app' });
    expect(parseImageRef(`localhost:5000/app:1.0@${D1}`)).toEqual({ repository: 'localhost:5000/app', tag: '1.0', digest: D1 });
    expect(isDigestPinned(`ghcr.io/a/b@${D1}`)).toBe(true);
    expect(isDigestPinned('ghcr.io/a/b:1.0')).toBe(false);
  });

  it('fills in ${…} as compose does', () => {
    const vars = { IMAGE: 'ghcr.io/a/web', EMPTY: '' };
    expect(interpolate('${IMAGE}:${TAG:-1.0}', vars)).toEqual({ text: 'ghcr.io/a/web:1.0', unresolved: [] });
    expect(interpolate('${IMAGE}:${TAG}', vars)).toEqual({ text: 'ghcr.io/a/web:', unresolved: ['TAG'] });
    expect(interpolate('$IMAGE:${EMPTY-x}${EMPTY:-y}', vars)).toEqual({ text: 'ghcr.io/a/web:y', unresolved: [] });
    expect(interpolate('a$$b${IMAGE:+-set}', vars)).toEqual({ text: 'a$b-set', unresolved: [] });
    expect(interpolate('${MISSING:-${IMAGE}}', vars)).toEqual({ text: 'ghcr.io/a/web', unresolved: [] });
  });
});

describe('choosing the digest', () => {
  const inspect = (repoDigests: string[]) =>
    parseImageInspect(JSON.stringify([{ Id: D2, RepoTags: ['caddy:2.8'], RepoDigests: repoDigests }]))[0] as NonNullable<ReturnType<typeof parseImageInspect>[0]>;

  it('takes the repository digest of the same repository, keeping the tag for people', () => {
    const locked = lockedFromInspect('caddy:2.8', ['proxy'], inspect([`other/caddy@${D2}`, `docker.io/library/caddy@${D1}`]), 'prod');
    expect(locked).toEqual({ image: 'caddy:2.8', services: ['proxy'], source: 'registry', pinned: `caddy:2.8@${D1}`, digest: D1 });
  });

  it('falls back to the image id of a locally built image, and says it is valid on that target only', () => {
    const locked = lockedFromInspect('shop-web', ['web', 'worker'], inspect([]), 'prod');
    expect(locked).toMatchObject({ source: 'local', pinned: D2, digest: D2 });
    expect(locked.note).toMatch(/image id, which exists on target "prod" only/);
  });
});

describe('the lock file', () => {
  const lock: ImageLock = {
    version: 1,
    project: 'shop',
    target: 'prod',
    images: [
      { image: 'shop-web', services: ['worker', 'web'], source: 'local', pinned: D2, digest: D2, note: 'built here' },
      { image: 'caddy:2.8', services: ['proxy'], source: 'registry', pinned: `caddy:2.8@${D1}`, digest: D1 },
    ],
  };

  it('is written in a stable order, round-trips, and is not rewritten when unchanged', async () => {
    const text = serializeLock(lock);
    expect(text.indexOf('caddy:2.8')).toBeLessThan(text.indexOf('shop-web'));
    expect(text).toContain('    services:\n      - web\n      - worker\n');
    expect(serializeLock({ ...lock, images: [...lock.images].reverse() })).toBe(text);
    expect(parseLock(text, 'shipproof.lock')).toEqual({ ...lock, images: [lock.images[1], { ...lock.images[0], services: ['web', 'worker'] }] });

    const dir = join(root, 'write');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    expect((await writeImageLock(dir, lock)).changed).toBe(true);
    expect((await writeImageLock(dir, lock)).changed).toBe(false);
    expect(readFileSync(join(dir, 'shipproof.lock'), 'utf8')).toBe(withGeneratedMark(text, 'yaml'));
    const read = await readImageLock(dir);
    expect(read === undefined ? undefined : pinnedReference(read, 'caddy:2.8')).toBe(`caddy:2.8@${D1}`);
  });

  it('is undefined when missing and a ConfigError at its line when damaged', async () => {
    const dir = mkdtempSync(join(root, 'damaged-'));
    expect(await readImageLock(dir)).toBeUndefined();
    writeFileSync(join(dir, 'shipproof.lock'), serializeLock(lock).replace(`digest: ${D1}`, 'digest: latest'));
    const e = await readImageLock(dir, dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toBe('"images[0].digest" must be a digest like sha256:<64 hex digits>, got "latest".');
    expect((e as ConfigError).location).toMatchObject({ file: 'shipproof.lock', line: 13, column: 13 });
  });
});

describe('--check: the lock against the compose files', () => {
  async function model(compose: string) {
    const dir = mkdtempSync(join(root, 'check-'));
    writeFileSync(join(dir, 'compose.yaml'), compose);
    return loadCompose([join(dir, 'compose.yaml')], { cwd: dir });
  }
  const compose = `services:\n  proxy:\n    image: caddy:2.8\n  web:\n    build: .\n  worker:\n    build: .\n    image: shop-web\n`;

  it('names the image compose builds for a build-only service after the project', async () => {
    const images = serviceImages(await model(compose), 'shop', {});
    expect(images.map((i) => [i.service, i.image, i.buildOnly])).toEqual([
      ['proxy', 'caddy:2.8', false],
      ['web', 'shop-web', true],
      ['worker', 'shop-web', false],
    ]);
  });

  it('agrees with a lock that pins every image for exactly its services', async () => {
    const lock: ImageLock = {
      version: 1,
      project: 'shop',
      target: 'prod',
      images: [
        { image: 'caddy:2.8', services: ['proxy'], source: 'registry', pinned: `caddy:2.8@${D1}`, digest: D1 },
        { image: 'shop-web', services: ['web', 'worker'], source: 'local', pinned: D2, digest: D2 },
      ],
    };
    const m = await model(compose);
    expect(compareLock(lock, m, 'shop', {}, { file: 'shipproof.lock' })).toEqual([]);

    const changed = await model(compose.replace('caddy:2.8', 'caddy:2.9').replace('  worker:\n    build: .\n    image: shop-web\n', ''));
    expect(compareLock(lock, changed, 'shop', {}, { file: 'shipproof.lock' }).map((p) => p.message)).toEqual([
      'proxy runs caddy:2.9, which shipproof.lock does not pin.',
      'shipproof.lock pins shop-web for web, worker, but the compose files use it for web.',
      'shipproof.lock pins caddy:2.8 for proxy, but no service runs it any more.',
    ]);
    const problems = compareLock(undefined, m, 'shop', {}, { file: 'shipproof.lock' });
    expect(problems.map((p) => p.message)).toEqual(['shipproof.lock does not exist, so no image is pinned.']);
  });

  it('catches a digest in the compose file that the lock does not hold', async () => {
    const m = await model(`services:\n  proxy:\n    image: caddy:2.8@${D2}\n`);
    const lock: ImageLock = { version: 1, project: 'shop', target: 'prod', images: [{ image: `caddy:2.8@${D2}`, services: ['proxy'], source: 'registry', pinned: `caddy:2.8@${D1}`, digest: D1 }] };
    const [problem] = compareLock(lock, m, 'shop', {}, { file: 'shipproof.lock' });
    expect(problem?.message).toBe(`The compose files pin caddy:2.8@${D2}, but shipproof.lock holds ${D1} for it.`);
    expect(problem?.location).toMatchObject({ file: 'compose.yaml', line: 3 });
  });
});
