// The swap behind `restore --into` for Redis and SQLite: argv builders by exact comparison, and the
// swap scripts run for real with sh on a temporary folder (stage, swap in, put back, commit).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRedisConfig, rdbPathInVolumes } from '../../src/backup/engines/redis.js';
import {
  SWAP_BACK_SCRIPT,
  SWAP_COMMIT_SCRIPT,
  SWAP_IN_SCRIPT,
  swapBackCommand,
  swapInCommand,
} from '../../src/backup/restore-swap.js';

const volumes = [{ name: 'cache_data', volume: 'p_cache_data', destination: '/data' }];

describe('swap command builders', () => {
  it('mounts the volumes under one root where the service mounts them, and passes files as arguments', () => {
    expect(swapInCommand('sha256:abc', volumes, 'redis', ['data/dump.rdb'], { 'shipproof.restore': 'live' })).toEqual([
      'docker', 'run', '--rm', '-i', '--label', 'shipproof.restore=live', '--network', 'none',
      '--mount', 'type=volume,source=p_cache_data,target=/shipproof-swap/data', '--entrypoint', '',
      'sha256:abc', 'sh', '-c', SWAP_IN_SCRIPT, 'shipproof-swap-in', '/shipproof-swap', 'redis', 'data/dump.rdb',
    ]);
    expect(swapBackCommand('img', volumes, ['data/dump.rdb'], {})).toEqual([
      'docker', 'run', '--rm', '--network', 'none', '--mount', 'type=volume,source=p_cache_data,target=/shipproof-swap/data',
      '--entrypoint', '', 'img', 'sh', '-c', SWAP_BACK_SCRIPT, 'shipproof-swap-back', '/shipproof-swap', 'data/dump.rdb',
    ]);
  });

  it('reads where Redis keeps its RDB, and finds it in a volume or says it is not', () => {
    const layout = parseRedisConfig('/data\ndump.rdb\nno\n');
    expect(layout).toEqual({ dir: '/data', file: 'dump.rdb', appendonly: false });
    expect(parseRedisConfig('/data\ndump.rdb\nyes\n').appendonly).toBe(true);
    expect(() => parseRedisConfig('\n\n')).toThrow(/did not say where its RDB file is/);
    expect(rdbPathInVolumes(layout, volumes)).toBe('data/dump.rdb');
    expect(rdbPathInVolumes({ ...layout, dir: '/data/sub/' }, volumes)).toBe('data/sub/dump.rdb');
    expect(rdbPathInVolumes({ ...layout, dir: '/database' }, volumes)).toBeUndefined();
    expect(rdbPathInVolumes({ ...layout, dir: '/' }, volumes)).toBeUndefined();
  });
});

describe('swap scripts (sh, on a temporary folder)', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function setup(): { root: string; tarOf: (content: string) => Buffer } {
    dir = mkdtempSync(join(tmpdir(), 'shipproof-swap-'));
    const root = join(dir, 'root');
    mkdirSync(join(root, 'data'), { recursive: true });
    const tarOf = (content: string): Buffer => {
      const src = join(dir, `src-${Math.random().toString(36).slice(2)}`);
      mkdirSync(join(src, 'data'), { recursive: true });
      writeFileSync(join(src, 'data', 'app.db'), content);
      return execFileSync('tar', ['-c', '-f', '-', '-C', src, '.']);
    };
    return { root, tarOf };
  }
  const sh = (script: string, args: string[], input?: Buffer) => execFileSync('sh', ['-c', script, 'test', ...args], { input: input ?? Buffer.alloc(0), stdio: ['pipe', 'pipe', 'pipe'] });

  it('swaps in, keeps the old file and its -wal aside, puts them back exactly', () => {
    const { root, tarOf } = setup();
    writeFileSync(join(root, 'data', 'app.db'), 'old');
    writeFileSync(join(root, 'data', 'app.db-wal'), 'old wal');
    sh(SWAP_IN_SCRIPT, [root, 'plain', 'data/app.db'], tarOf('new'));
    expect(readFileSync(join(root, 'data', 'app.db'), 'utf8')).toBe('new');
    expect(readdirSync(join(root, 'data')).sort()).toEqual(['app.db', 'app.db-wal.shipproof-old', 'app.db.shipproof-old']);
    writeFileSync(join(root, 'data', 'app.db-shm'), 'made by the restarted service');
    sh(SWAP_BACK_SCRIPT, [root, 'data/app.db']);
    expect(readdirSync(join(root, 'data')).sort()).toEqual(['app.db', 'app.db-wal']);
    expect(readFileSync(join(root, 'data', 'app.db'), 'utf8')).toBe('old');
    expect(readFileSync(join(root, 'data', 'app.db-wal'), 'utf8')).toBe('old wal');
  });

  it('commit removes only what was kept aside', () => {
    const { root, tarOf } = setup();
    writeFileSync(join(root, 'data', 'app.db'), 'old');
    sh(SWAP_IN_SCRIPT, [root, 'plain', 'data/app.db'], tarOf('new'));
    sh(SWAP_COMMIT_SCRIPT, [root, 'data/app.db']);
    expect(readdirSync(join(root, 'data'))).toEqual(['app.db']);
    expect(readFileSync(join(root, 'data', 'app.db'), 'utf8')).toBe('new');
  });

  it('when there was no live file, putting back removes the restored one', () => {
    const { root, tarOf } = setup();
    sh(SWAP_IN_SCRIPT, [root, 'plain', 'data/app.db'], tarOf('new'));
    sh(SWAP_BACK_SCRIPT, [root, 'data/app.db']);
    expect(readdirSync(join(root, 'data'))).toEqual([]);
  });

  it('a backup without the expected file fails before anything is moved, and putting back is then harmless', () => {
    const { root, tarOf } = setup();
    writeFileSync(join(root, 'data', 'app.db'), 'old');
    expect(() => sh(SWAP_IN_SCRIPT, [root, 'plain', 'data/other.db'], tarOf('new'))).toThrow(/the backup has no file data\/other.db/);
    sh(SWAP_BACK_SCRIPT, [root, 'data/other.db']);
    expect(readdirSync(join(root, 'data'))).toEqual(['app.db']);
    expect(existsSync(join(root, 'data', 'other.db'))).toBe(false);
  });
});
