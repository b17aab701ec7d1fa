import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PidMarkerScanner, killProcessGroupCommand, remoteCommandLine } from '../../src/targets/remote-command.js';

const PRINT_PID = `printf 'SHIPPROOF-PID %s\\n' "$$" >&2`;

describe('remoteCommandLine', () => {
  it('prints the PID marker, then execs the quoted argv', () => {
    expect(remoteCommandLine(['echo', 'hi'])).toBe(`${PRINT_PID} && exec echo hi`);
  });

  it('changes to cwd first, quoted', () => {
    expect(remoteCommandLine(['ls', '-la'], { cwd: '/x y' })).toBe(`${PRINT_PID} && cd -- '/x y' && exec ls -la`);
  });

  it('passes env through `env K=V`, each pair quoted as one word', () => {
    expect(remoteCommandLine(['echo', 'hi'], { env: { A: '1', B: "it's $(id)" } })).toBe(
      `${PRINT_PID} && exec env A=1 'B=it'\\''s $(id)' echo hi`,
    );
  });

  it('omits env for an empty env object', () => {
    expect(remoteCommandLine(['true'], { env: {} })).toBe(`${PRINT_PID} && exec true`);
  });

  it('quotes every hostile argument', () => {
    expect(remoteCommandLine(['printf', '%s', "a'b", '$(id)', 'x;y', '`z`', 'l1\nl2', '*'], { cwd: '/tmp' })).toBe(
      `${PRINT_PID} && cd -- /tmp && exec printf %s 'a'\\''b' '$(id)' 'x;y' '\`z\`' 'l1\nl2' '*'`,
    );
  });

  it('rejects argv and env that exec or env would misread', () => {
    expect(() => remoteCommandLine([])).toThrow(/empty argv/);
    expect(() => remoteCommandLine([''])).toThrow(/invalid program/);
    expect(() => remoteCommandLine(['-l'])).toThrow(/invalid program/);
    expect(() => remoteCommandLine(['echo'], { env: { 'A-B': '1' } })).toThrow(/invalid environment variable name/);
    expect(() => remoteCommandLine(['echo'], { env: { 'A=B': '1' } })).toThrow(/invalid environment variable name/);
    expect(() => remoteCommandLine(['X=1'], { env: { A: '1' } })).toThrow(/contains "="/);
  });

  it('runs in a real POSIX shell: marker first, then the argv byte-exact', () => {
    const args = ["a'b", '$(echo pwned)', 'x;y', '`id`', 'l1\nl2', '\t', '*', 'héllo 世界 🚀', ''];
    const line = remoteCommandLine(['printf', '%s\\0', ...args], { cwd: '/', env: { SP_T: 'v w' } });
    const r = spawnSync('sh', ['-c', line], { encoding: 'utf8' });
    expect(r.stderr).toBe(`SHIPPROOF-PID ${r.pid}\n`);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(args);
  });
});

describe('killProcessGroupCommand', () => {
  it('builds TERM, one second of grace, then KILL for the negative pid', () => {
    expect(killProcessGroupCommand(4242)).toEqual([
      'sh',
      '-c',
      'kill -s TERM -- "-$1" 2>/dev/null; sleep 1; kill -s KILL -- "-$1" 2>/dev/null; exit 0',
      'shipproof-kill',
      '4242',
    ]);
  });

  it('refuses pids that would hit everything or nothing sensible', () => {
    expect(() => killProcessGroupCommand(0)).toThrow(RangeError);
    expect(() => killProcessGroupCommand(1)).toThrow(RangeError);
    expect(() => killProcessGroupCommand(-5)).toThrow(RangeError);
    expect(() => killProcessGroupCommand(1.5)).toThrow(RangeError);
  });
});

function scanAll(chunks: string[]): { out: string; pid: number | undefined } {
  const s = new PidMarkerScanner();
  let out = '';
  for (const c of chunks) out += s.push(Buffer.from(c)).toString();
  out += s.flush().toString();
  return { out, pid: s.pid };
}

describe('PidMarkerScanner', () => {
  it('takes the marker out of one chunk', () => {
    expect(scanAll(['SHIPPROOF-PID 123\nerror text\n'])).toEqual({ out: 'error text\n', pid: 123 });
  });

  it('finds a marker split across chunks, byte by byte', () => {
    const text = 'SHIPPROOF-PID 98765\nrest';
    expect(scanAll([...text])).toEqual({ out: 'rest', pid: 98765 });
  });

  it('passes lines before the marker on, and leaves later look-alikes alone', () => {
    expect(scanAll(['motd line\nSHIPP', 'ROOF-PID 7\nSHIPPROOF-PID 8\n'])).toEqual({
      out: 'motd line\nSHIPPROOF-PID 8\n',
      pid: 7,
    });
  });

  it('passes everything on when no marker comes', () => {
    expect(scanAll(['no marker here\n', 'partial'])).toEqual({ out: 'no marker here\npartial', pid: undefined });
    expect(scanAll(['SHIPPROOF-PID abc\n'])).toEqual({ out: 'SHIPPROOF-PID abc\n', pid: undefined });
  });

  it('gives up after 64 KiB without a newline', () => {
    const s = new PidMarkerScanner();
    const big = Buffer.alloc(70 * 1024, 0x61);
    expect(s.push(big).length).toBe(big.length);
    expect(s.done).toBe(true);
    expect(s.push(Buffer.from('SHIPPROOF-PID 5\n')).toString()).toBe('SHIPPROOF-PID 5\n');
    expect(s.pid).toBeUndefined();
  });

  it('keeps binary bytes after the marker intact', () => {
    const s = new PidMarkerScanner();
    const tail = Buffer.from([0xff, 0x00, 0x0a, 0xc3]);
    const out = s.push(Buffer.concat([Buffer.from('SHIPPROOF-PID 1\n'), tail]));
    expect(out.equals(tail)).toBe(true);
    expect(s.pid).toBe(1);
  });
});
