// The same behaviour, checked against both target implementations: the local machine and a real
// sshd on 127.0.0.1 (started by scripts/setup-test-env.sh).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandFailedError, CommandTimeoutError } from '../../src/errors.js';
import { LocalTarget } from '../../src/targets/local.js';
import { SshTarget } from '../../src/targets/ssh.js';
import type { Target } from '../../src/targets/target.js';
import { requireTestEnv } from '../helpers/test-env.js';

const env = requireTestEnv();

function makeTargets(): [string, () => Target][] {
  return [
    ['local', () => new LocalTarget()],
    [
      'ssh',
      () =>
        new SshTarget({
          name: 'test-ssh',
          host: env.sshHost,
          port: env.sshPort,
          user: env.sshUser,
          identityFile: env.sshKey,
          knownHostsFile: env.knownHosts,
        }),
    ],
  ];
}

const NASTY = [
  'plain',
  'with space',
  "single ' quote",
  'double " quote',
  '$(touch /tmp/shipproof-pwned)',
  '`id`',
  'a; echo injected',
  'line1\nline2\n',
  'tab\there',
  '*',
  '~',
  '$HOME',
  '\\backslash\\',
  'héllo 世界 🚀',
  '-n',
  '--',
  '',
];

/** A readable producing `size` pseudo-random bytes in chunks, never holding them all. */
function randomStream(size: number, seed: number): Readable {
  let left = size;
  let state = seed;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, 256 * 1024);
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i += 4) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        b.writeUInt32LE(state, i);
      }
      left -= n;
      this.push(b);
    },
  });
}

describe.each(makeTargets())('%s target', (_kind, make) => {
  const target = make();
  const dir = mkdtempSync(join(tmpdir(), 'shipproof-target-'));
  afterAll(async () => {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes every argument byte-exact', async () => {
    rmSync('/tmp/shipproof-pwned', { force: true });
    const r = await target.exec(['printf', '%s\\0', ...NASTY]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(NASTY);
    // nothing was interpreted by a shell
    const check = await target.exec(['test', '-e', '/tmp/shipproof-pwned'], { reject: false });
    expect(check.exitCode).toBe(1);
  });

  it('reports exit codes, stderr and stdin', async () => {
    const r = await target.exec(['sh', '-c', 'cat; echo oops >&2; exit 3'], { stdin: 'fed via stdin', reject: false });
    expect(r).toMatchObject({ exitCode: 3, stdout: 'fed via stdin', stderr: 'oops\n', timedOut: false });
    await expect(target.exec(['sh', '-c', 'exit 4'])).rejects.toBeInstanceOf(CommandFailedError);
  });

  it('runs in a working directory with extra environment', async () => {
    const r = await target.exec(['sh', '-c', 'pwd; printf %s "$GREETING"'], { cwd: '/tmp', env: { GREETING: 'hi there' } });
    expect(r.stdout).toBe('/tmp\nhi there');
  });

  it('a missing program exits 127', async () => {
    const r = await target.exec(['shipproof-no-such-program'], { reject: false });
    expect(r.exitCode).toBe(127);
  });

  it('a timeout kills the process and everything it started', async () => {
    const tag = `shipproof-timeout-${randomBytes(4).toString('hex')}`;
    // Sleep lengths of this run only, so another run of this suite on the machine is not seen.
    const n = Math.floor(Math.random() * 900_000) + 100_000;
    const [a, b] = [`301.${n}`, `302.${n}`];
    const started = Date.now();
    await expect(
      target.exec(['sh', '-c', `sleep ${a} & sleep ${b}; : ${tag}`], { timeoutMs: 800 }),
    ).rejects.toBeInstanceOf(CommandTimeoutError);
    // Ended by the timeout, long before the 300 s sleeps could end by themselves (not a speed limit).
    expect(Date.now() - started).toBeLessThan(120_000);
    // exec resolves once the kill is sent; the processes are gone very soon after. Wait for that
    // state (bounded), not for a guessed time.
    const gone = async (pattern: string) => (await target.exec(['pgrep', '-f', pattern], { reject: false })).stdout === '';
    const until = Date.now() + 30_000;
    while (Date.now() < until && !((await gone(tag)) && (await gone(`sleep ${a}`)) && (await gone(`sleep ${b}`)))) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await gone(tag)).toBe(true);
    expect(await gone(`sleep ${a}`)).toBe(true);
    expect(await gone(`sleep ${b}`)).toBe(true);
  });

  it('an abort signal kills the command', async () => {
    const ac = new AbortController();
    const p = target.exec(['sleep', '303'], { signal: ac.signal, reject: false });
    setTimeout(() => ac.abort(), 300);
    const r = await p;
    expect(r.aborted).toBe(true);
    expect(r.exitCode).not.toBe(0);
    await new Promise((res) => setTimeout(res, 1_000));
    expect((await target.exec(['pgrep', '-f', 'sleep 303'], { reject: false })).stdout).toBe('');
  });

  it('streams 100 MB up and down with equal sha256 and bounded memory', async () => {
    const size = 100 * 1024 * 1024;
    const remote = join(dir, 'big.bin');
    const expected = createHash('sha256');
    await new Promise<void>((resolve) => {
      const s = randomStream(size, 42);
      s.on('data', (c: Buffer) => expected.update(c));
      s.on('end', resolve);
    });
    const want = expected.digest('hex');
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    try {
      const put = await target.putStream(randomStream(size, 42), remote, { mode: 0o600 });
      expect(put).toEqual({ bytes: size, sha256: want });
      const onHost = await target.exec(['sha256sum', remote]);
      expect(onHost.stdout.split(' ')[0]).toBe(want);
      const mode = await target.exec(['stat', '-c', '%a', remote]);
      expect(mode.stdout.trim()).toBe('600');
      const sinkHash = createHash('sha256');
      let got = 0;
      const sink = new Writable({
        write(chunk: Buffer, _e, cb) {
          sinkHash.update(chunk);
          got += chunk.length;
          cb();
        },
      });
      const back = await target.getStream(remote, sink);
      expect(back).toEqual({ bytes: size, sha256: want });
      expect(got).toBe(size);
      expect(sinkHash.digest('hex')).toBe(want);
    } finally {
      clearInterval(timer);
    }
    // The data never sat in memory whole: growth stays well under the 100 MB moved each way.
    expect(peak - rssBefore).toBeLessThan(80 * 1024 * 1024);
  });

  it('a failed upload leaves neither the file nor its partial', async () => {
    const remote = join(dir, 'no-such-dir', 'f.txt');
    await expect(target.putStream(Readable.from([Buffer.from('x')]), remote)).rejects.toThrow();
    const r = await target.exec(['sh', '-c', 'ls -A "$1" 2>/dev/null || true', 'sh', join(dir, 'no-such-dir')]);
    expect(r.stdout).toBe('');
  });

  it('put/get files, creating folders when asked', async () => {
    const remote = join(dir, 'nested', 'deeper', 'hello.txt');
    await target.putStream(Readable.from([Buffer.from('hello\n')]), remote, { mkdirs: true, mode: 0o640 });
    const local = join(dir, 'hello.copy');
    const r = await target.getFile(remote, local);
    expect(r.bytes).toBe(6);
    expect((await target.exec(['cat', local])).stdout).toBe('hello\n');
  });

  it('getting a missing file fails and leaves no local file', async () => {
    const local = join(dir, 'missing.copy');
    await expect(target.getFile(join(dir, 'does-not-exist'), local)).rejects.toBeInstanceOf(CommandFailedError);
    const r = await new LocalTarget().exec(['ls', '-A', dir]);
    expect(r.stdout).not.toMatch(/missing\.copy/);
  });
});
