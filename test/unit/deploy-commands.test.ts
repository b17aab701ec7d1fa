import { describe, expect, it } from 'vitest';
import {
  acquireLockCommand,
  linkFileCommand,
  releaseChecksumsCommand,
  switchLinkCommand,
  tagImageCommand,
  unpackReleaseCommand,
} from '../../src/deploy/commands.js';
import { inRelease, layout } from '../../src/deploy/layout.js';
import { checksumMismatches, localTarCommand, parseChecksums } from '../../src/deploy/sync.js';
import { releaseTag } from '../../src/deploy/steps.js';

describe('deploy command builders', () => {
  it('unpack replaces a release atomically from a partial folder', () => {
    expect(unpackReleaseCommand('/opt/app/releases/r-1')).toEqual([
      'sh',
      '-c',
      'set -e; rm -rf -- "$1.partial"; mkdir -p -- "$1.partial"; tar -x -f - -C "$1.partial"; rm -rf -- "$1"; mv -- "$1.partial" "$1"',
      'shipproof-unpack',
      '/opt/app/releases/r-1',
    ]);
  });

  it('current is switched with a rename, never left missing', () => {
    expect(switchLinkCommand('releases/r-2', '/opt/app/current')).toEqual([
      'sh',
      '-c',
      'set -e; ln -sfn -- "$1" "$2.next"; mv -fT -- "$2.next" "$2"',
      'shipproof-switch',
      'releases/r-2',
      '/opt/app/current',
    ]);
  });

  it('the lock is a mkdir whose exit code says who won', () => {
    expect(acquireLockCommand('/opt/app/.shipproof/lock')).toEqual([
      'sh',
      '-c',
      'mkdir -p -- "$(dirname -- "$1")"; if mkdir -m 700 -- "$1" 2>/dev/null; then exit 0; else exit 17; fi',
      'shipproof-lock',
      '/opt/app/.shipproof/lock',
    ]);
  });

  it('checksums, links, tags, tar', () => {
    expect(releaseChecksumsCommand('/r')).toEqual(['sh', '-c', 'cd -- "$1" && find . -type f ! -path "./.shipproof/*" -print0 | sort -z | xargs -0 -r sha256sum', 'shipproof-sums', '/r']);
    expect(linkFileCommand('/opt/app/.env', '/opt/app/releases/r/.env').slice(3)).toEqual(['shipproof-link', '/opt/app/.env', '/opt/app/releases/r/.env']);
    expect(tagImageCommand('web:latest', 'shipproof-release/shop-web:r-1')).toEqual(['docker', 'image', 'tag', 'web:latest', 'shipproof-release/shop-web:r-1']);
    expect(localTarCommand('/src')).toEqual(['tar', '-c', '--dereference', '-f', '-', '-C', '/src', '--null', '--no-recursion', '-T', '-']);
    expect(releaseTag('Shop', 'Web', 'r-ABC')).toBe('shipproof-release/shop-web:r-abc');
  });

  it('layout', () => {
    const l = layout('/opt/app/');
    expect(l.current).toBe('/opt/app/current');
    expect(l.releaseDir('r-1')).toBe('/opt/app/releases/r-1');
    expect(l.releaseMeta('r-1')).toBe('/opt/app/releases/r-1/.shipproof/release.json');
    expect(l.lockHolder).toBe('/opt/app/.shipproof/lock/holder.json');
    expect(inRelease(l, 'r-1', 'deploy/compose.yaml')).toBe('/opt/app/releases/r-1/deploy/compose.yaml');
  });

  it('checksums are compared file by file', () => {
    const remote = parseChecksums(`${'a'.repeat(64)}  ./compose.yaml\n${'b'.repeat(64)}  ./app/x y.txt\n`);
    expect(remote.get('app/x y.txt')).toBe('b'.repeat(64));
    const bundle = {
      root: '/',
      sha256: '',
      releaseId: 'r',
      files: [
        { rel: 'compose.yaml', abs: '', mode: 0o644, size: 1, sha256: 'a'.repeat(64) },
        { rel: 'app/x y.txt', abs: '', mode: 0o644, size: 1, sha256: 'c'.repeat(64) },
        { rel: 'new.txt', abs: '', mode: 0o644, size: 1, sha256: 'd'.repeat(64) },
      ],
    };
    expect(checksumMismatches(bundle, remote)).toEqual(['app/x y.txt', 'new.txt']);
  });
});
