// What a deploy record says about its release beyond the bundle (src/deploy/release-facts.ts):
// images by id (built) or repo digest (pulled), each service's config keys by keyed fingerprint,
// environment per variable name; values never appear, and paths in the release folder compare as one.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { configSubjects, describeImageSubject, imageSubjects } from '../../src/deploy/release-facts.js';
import { repoDigestOf } from '../../src/deploy/steps/images.js';

const h = (c: string) => c.repeat(64);
const key = Buffer.alloc(32, 7);
const fp = (t: string) => createHmac('sha256', key).update(t).digest('hex');

describe('release facts', () => {
  it('names a built image by id and a pulled one by repo digest', () => {
    const s = imageSubjects({
      web: { ref: 'app:latest', releaseTag: 't', id: `sha256:${h('a')}`, built: true, repoDigest: `app@sha256:${h('9')}` },
      caddy: { ref: 'caddy:2', releaseTag: 't', id: `sha256:${h('b')}`, built: false, repoDigest: `caddy@sha256:${h('c')}` },
      local: { ref: 'shipproof-offline/redis:7', releaseTag: 't', id: `sha256:${h('d')}`, built: false },
      unknown: { ref: 'x', releaseTag: 't' },
    });
    expect(s).toEqual([
      { name: 'image:caddy@caddy', digest: { sha256: h('c') } },
      { name: 'image:local', digest: { sha256: h('d') } },
      { name: 'image:web', digest: { sha256: h('a') } },
    ]);
    expect(s.map(describeImageSubject)).toEqual([
      { service: 'caddy', image: `caddy@sha256:${h('c')}` },
      { service: 'local', image: `sha256:${h('d')} (image id)` },
      { service: 'web', image: `sha256:${h('a')} (image id)` },
    ]);
    expect(repoDigestOf('caddy:2', [`other@sha256:${h('1')}`, `caddy@sha256:${h('2')}`])).toBe(`caddy@sha256:${h('2')}`);
    expect(repoDigestOf('localhost:5000/app:1', [`localhost:5000/app@sha256:${h('3')}`])).toBe(`localhost:5000/app@sha256:${h('3')}`);
    expect(repoDigestOf('app:1', [])).toBeUndefined();
  });

  it('fingerprints each config key, environment per variable, without a value anywhere', () => {
    const secret = 'hunter2-very-secret-value';
    const a = configSubjects({ web: { command: ['node', 'web.js'], environment: { DATABASE_URL: `postgres://u:${secret}@db/x`, MODE: 'prod' }, volumes: [{ source: '/srv/app/releases/r1/Caddyfile' }] } }, '/srv/app/releases/r1', fp);
    const b = configSubjects({ web: { command: ['node', 'web.js'], environment: { DATABASE_URL: `postgres://u:${secret}@db/x`, MODE: 'dev' }, volumes: [{ source: '/srv/app/releases/r2/Caddyfile' }] } }, '/srv/app/releases/r2', fp);
    expect(a.map((s) => s.name)).toEqual(['config:web/command', 'config:web/environment.DATABASE_URL', 'config:web/environment.MODE', 'config:web/volumes']);
    const differs = a.filter((s, i) => s.digest.sha256 !== b[i]!.digest.sha256).map((s) => s.name);
    // Only MODE changed: the release folder's own path is not a change.
    expect(differs).toEqual(['config:web/environment.MODE']);
    expect(JSON.stringify([a, b])).not.toContain(secret);
    expect(JSON.stringify([a, b])).not.toContain('prod');
  });
});
