// restore --into reads which engines can be restored, and how, from the engine modules only: the
// orchestration (src/backup/restore.ts) names no engine, and each tested engine brings its own
// restoreInto. The tar procedure shared by `volume` and `files` is checked by exact argv.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BACKUP_ENGINES } from '../../src/backup/engines/catalogue.js';
import { ENGINE_SPECS } from '../../src/backup/engines/index.js';
import { archivedSources, tarReplaceCommand } from '../../src/backup/engines/tar-archive.js';
import type { BackupManifest } from '../../src/backup/manifest.js';

const folders = [{ name: 'srv_world', volume: '/home/me/app/world', destination: '/srv/world' }];

describe('restore --into and the engine modules', () => {
  it('restore.ts names no engine: no list, no if-chain', () => {
    const src = readFileSync(new URL('../../src/backup/restore.ts', import.meta.url), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    for (const e of BACKUP_ENGINES) expect(src, e).not.toMatch(new RegExp(`['"\`]${e}['"\`]`));
  });

  it('every tested engine restores into a live service; the untested ones say it is not supported', () => {
    const restorable = Object.values(ENGINE_SPECS).filter((s) => s.restoreInto !== undefined).map((s) => s.engine).sort();
    // minio's data is archived as a volume, so it restores as one.
    expect(restorable).toEqual(['files', 'mariadb', 'minio', 'postgres', 'redis', 'sqlite', 'volume']);
    for (const s of Object.values(ENGINE_SPECS)) if (s.tested) expect(s.restoreInto, s.engine).toBeDefined();
  });

  it('each engine describes its restore step for --dry-run', () => {
    const m = { file: 'x.tar.gz', restoreImage: { id: 'sha256:0123456789abcdef0123456789', ref: null } } as unknown as BackupManifest;
    expect(ENGINE_SPECS.files.restoreInto?.describe('mc', m)).toBe("stop the services using mc's bind-mounted folders, replace their contents from x.tar.gz with the helper image sha256:0123456789ab, start them again");
    expect(ENGINE_SPECS.volume.restoreInto?.describe('mc', m)).toMatch(/^stop the services using mc's volumes, /);
    expect(ENGINE_SPECS.postgres.restoreInto?.describe('db', m)).toBe('stream x.tar.gz into psql inside db (roles kept, each database replaced)');
  });
});

describe('tar replace (volume and files)', () => {
  it('bind-mounts host folders read-write under /restore, empties each, extracts stdin', () => {
    expect(tarReplaceCommand('sha256:img', folders, 'bind', { 'shipproof.restore': 'live' })).toEqual([
      'docker', 'run', '--rm', '-i', '--label', 'shipproof.restore=live', '--network', 'none',
      '--mount', 'type=bind,source=/home/me/app/world,target=/restore/srv_world', '--entrypoint', '', 'sha256:img',
      'sh', '-c', 'set -e; for d in /restore/*/; do find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +; done; tar -x -f - --numeric-owner -C /restore',
    ]);
    expect(tarReplaceCommand('i', [{ name: 'd', volume: 'p_d', destination: '/d' }], 'volume', {})).toContain('type=volume,source=p_d,target=/restore/d');
    expect(() => tarReplaceCommand('i', [], 'bind', {})).toThrow(/nothing/);
  });

  it('reads the top-level folders an archive holds from its fingerprint', () => {
    const fp = { kind: 'files' as const, files: [
      { path: 'srv_world', type: 'dir' as const, size: 0, mode: '755' },
      { path: 'srv_world/level.dat', type: 'file' as const, size: 3, mode: '644' },
      { path: './etc_pihole/x', type: 'file' as const, size: 1, mode: '600' },
    ] };
    expect(archivedSources(fp)).toEqual(['etc_pihole', 'srv_world']);
  });
});
