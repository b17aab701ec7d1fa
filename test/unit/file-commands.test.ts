import { describe, expect, it } from 'vitest';
import { getFileCommand, modeString, putFileCommand, removePartialCommand } from '../../src/targets/file-commands.js';

describe('file transfer commands', () => {
  it('put writes a partial, syncs, sets the mode and renames', () => {
    expect(putFileCommand('/opt/app/x y.txt', 0o600, false)).toEqual([
      'sh',
      '-c',
      'set -e; umask 077; cat > "$1.partial"; sync -- "$1.partial" 2>/dev/null || sync; chmod "$2" "$1.partial"; mv -f -- "$1.partial" "$1"',
      'shipproof-put',
      '/opt/app/x y.txt',
      '600',
    ]);
  });

  it('put creates folders only when asked', () => {
    expect(putFileCommand('/a/b', 0o644, true)[2]).toBe(
      'set -e; umask 077; mkdir -p -- "$(dirname -- "$1")"; cat > "$1.partial"; sync -- "$1.partial" 2>/dev/null || sync; chmod "$2" "$1.partial"; mv -f -- "$1.partial" "$1"',
    );
  });

  it('get and cleanup', () => {
    expect(getFileCommand('-weird name')).toEqual(['cat', '--', '-weird name']);
    expect(removePartialCommand('/x')).toEqual(['rm', '-f', '--', '/x.partial']);
  });

  it('modes', () => {
    expect(modeString(0o600)).toBe('600');
    expect(modeString(0o7)).toBe('007');
    expect(() => modeString(0o17777)).toThrow(RangeError);
  });
});
