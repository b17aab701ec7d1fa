// The bundle holds only files that really live inside the project, honours BuildKit's
// per-Dockerfile ignore file, and milestone 3's weak-secret probe names keys, never values.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load.js';
import { loadConfig } from '../../src/config/load.js';
import { computeBundle } from '../../src/deploy/bundle.js';
import { secretStrengthProbe } from '../../src/probes/secret-strength.js';
import type { ProbeContext } from '../../src/probes/types.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipproof-bundle-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function bundleOf(dir: string) {
  const config = await loadConfig({ cwd: dir });
  return computeBundle({ config, compose: await loadCompose(config.composeFiles, { cwd: dir }) });
}

describe('computeBundle', () => {
  it('honours Dockerfile.prod.dockerignore over .dockerignore, and ships both ignore files', async () => {
    const dir = project({
      'compose.yaml': 'services:\n  web:\n    build:\n      context: app\n      dockerfile: Dockerfile.prod\n',
      'app/Dockerfile.prod': 'FROM scratch\n',
      'app/Dockerfile.prod.dockerignore': 'secret.txt\n',
      'app/.dockerignore': 'other.txt\n',
      'app/secret.txt': 'x',
      'app/other.txt': 'y',
    });
    const rels = (await bundleOf(dir)).files.map((f) => f.rel);
    expect(rels).not.toContain('app/secret.txt');
    expect(rels).toContain('app/other.txt');
    expect(rels).toContain('app/Dockerfile.prod.dockerignore');
  });

  it('refuses a bind-mounted file that links outside, and a linked folder that leads outside', async () => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    volumes:\n      - ./shadow:/etc/x:ro\n' });
    symlinkSync('/etc/passwd', join(dir, 'shadow'));
    await expect(bundleOf(dir)).rejects.toThrow(/shadow is a symbolic link .* to \/etc\/passwd, outside the project/);
    const outside = project({ 'data/a.txt': 'a' });
    const dir2 = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    volumes:\n      - ./site:/srv\n' });
    symlinkSync(join(outside, 'data'), join(dir2, 'site'));
    await expect(bundleOf(dir2)).rejects.toThrow(/site\/a\.txt is a symbolic link \(or lies under one\)/);
  });

  it('keeps a link inside the project, as the file it names (same content and hash)', async () => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    volumes:\n      - ./conf/app.conf:/etc/app.conf:ro\n', 'conf/real.conf': 'k=v\n' });
    symlinkSync('real.conf', join(dir, 'conf', 'app.conf'));
    const f = (await bundleOf(dir)).files.find((x) => x.rel === 'conf/app.conf');
    expect(f?.size).toBe(4);
  });
});

describe('secretStrengthProbe (milestone 3)', () => {
  it('fails naming the key and file, never the value; passes with allowWeak and records the reason', async () => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n', '.env': 'DB_PASSWORD=change-me\nAPI_TOKEN=Zk3q9XvB7mPq2LwT8rN5\n' });
    const config = await loadConfig({ cwd: dir });
    const compose = await loadCompose(config.composeFiles, { cwd: dir });
    const ctx = { config, compose, target: config.targets.local } as unknown as ProbeContext;
    const failed = await secretStrengthProbe.run(ctx);
    expect(failed.status).toBe('fail');
    expect(failed.reason).toMatch(/the secret DB_PASSWORD in \.env is a placeholder.*openssl rand -hex 32/);
    expect(JSON.stringify(failed)).not.toContain('change-me');
    expect(failed.observations.weakKeys).toEqual(['DB_PASSWORD']);
    writeFileSync(join(dir, 'shipproof.yaml'), 'secrets:\n  allowWeak:\n    DB_PASSWORD: throwaway review app\n');
    const config2 = await loadConfig({ cwd: dir });
    const passed = await secretStrengthProbe.run({ ...ctx, config: config2 } as ProbeContext);
    expect(passed.status).toBe('pass');
    expect(passed.observations.allowedWeak).toEqual(['DB_PASSWORD: throwaway review app']);
  });
});
