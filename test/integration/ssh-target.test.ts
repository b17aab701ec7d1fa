// SshTarget against the real test sshd started by scripts/setup-test-env.sh (127.0.0.1:2222).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { requireTestEnv } from '../helpers/test-env.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandFailedError, CommandTimeoutError, ConnectionLostError, HostKeyError, TargetError } from '../../src/errors.js';
import { SshTarget, type SshTargetOptions } from '../../src/targets/ssh.js';

interface SshTestEnv {
  host: string;
  port: number;
  user: string;
  key: string;
  knownHosts: string;
  hostPubKey: string;
}

/** The shared test environment (fails, never skips, when it is missing), in this file's shape. */
function loadSshTestEnv(): SshTestEnv {
  const e = requireTestEnv();
  return { host: e.sshHost, port: e.sshPort, user: e.sshUser, key: e.sshKey, knownHosts: e.knownHosts, hostPubKey: e.hostPubKey };
}

let env: SshTestEnv;
let tmp: string;
/** A scratch folder on the server (the same machine, but reached only through SSH). */
let remoteDir: string;
const opened: SshTarget[] = [];
/** Command lines of remote processes a test started, killed in afterAll in case the test failed half-way. */
const leftovers: string[] = [];
let main: SshTarget;

function makeTarget(over: Partial<SshTargetOptions> = {}): SshTarget {
  const t = new SshTarget({
    name: 'test-ssh',
    host: env.host,
    port: env.port,
    user: env.user,
    identityFile: env.key,
    knownHostsFile: env.knownHosts,
    ...over,
  });
  opened.push(t);
  return t;
}

function sshKeygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'shipproof-test-other', '-f', path], { stdio: 'pipe' });
}

/** A fresh number for `sleep`, so pgrep finds only this test's processes. */
function uniqueSeconds(base: number): string {
  const s = `${base}.${randomInt(100_000, 999_999)}`;
  leftovers.push(`sleep ${s}`);
  return s;
}

/** pgrep pattern that does not match pgrep's own command line. */
function pgrepPattern(text: string): string {
  return `[${text[0]}]${text.slice(1).replace(/\./g, '\\.')}`;
}

async function remoteProcesses(pattern: string): Promise<string> {
  const r = await main.exec(['pgrep', '-f', pgrepPattern(pattern)], { reject: false });
  return r.stdout.trim();
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function remoteExists(path: string): Promise<boolean> {
  return (await main.exec(['test', '-e', path], { reject: false })).exitCode === 0;
}

function fingerprintWithSshKeygen(pubFile: string): string {
  const out = execFileSync('ssh-keygen', ['-lf', pubFile], { encoding: 'utf8' });
  const fp = out.split(' ')[1];
  if (fp === undefined) throw new Error(`unexpected ssh-keygen output: ${out}`);
  return fp;
}

beforeAll(async () => {
  env = loadSshTestEnv();
  tmp = mkdtempSync(join(tmpdir(), 'shipproof-ssh-test-'));
  main = makeTarget();
  remoteDir = (await main.exec(['mktemp', '-d', '/tmp/shipproof-ssh-remote-XXXXXX'])).stdout.trim();
});

afterAll(async () => {
  for (const l of leftovers) await main.exec(['pkill', '-f', pgrepPattern(l)], { reject: false }).catch(() => undefined);
  if (remoteDir) await main.exec(['rm', '-rf', '--', remoteDir], { reject: false }).catch(() => undefined);
  await Promise.all(opened.map((t) => t.close()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('SshTarget: commands', { timeout: 30_000 }, () => {
  it('describes itself as user@host:port', () => {
    expect(main.kind).toBe('ssh');
    expect(main.description).toBe(`${env.user}@${env.host}:${env.port}`);
  });

  it('returns stdout, stderr (without the PID marker) and exit codes', async () => {
    const r = await main.exec(['sh', '-c', 'printf out; printf "err\\n" >&2; exit 7', 'shipproof-t'], { reject: false });
    expect(r).toMatchObject({ exitCode: 7, signal: null, stdout: 'out', stderr: 'err\n', timedOut: false, aborted: false });
    expect((await main.exec(['true'])).stderr).toBe('');
    await expect(main.exec(['sh', '-c', 'exit 3'])).rejects.toBeInstanceOf(CommandFailedError);
    expect((await main.exec(['shipproof-no-such-program'], { reject: false })).exitCode).toBe(127);
  });

  it('passes hostile arguments, cwd and env byte-exact', async () => {
    const marker = join(remoteDir, 'injected');
    const args = [
      'with space',
      "single ' quote",
      'double " quote',
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `a; touch ${marker}`,
      'line1\nline2\n',
      'tab\there',
      '*',
      '$HOME',
      'héllo 世界 🚀',
      '',
    ];
    const r = await main.exec(['printf', '%s\\0', ...args]);
    expect(Buffer.from(r.stdout, 'utf8').equals(Buffer.from(args.map((a) => `${a}\0`).join(''), 'utf8'))).toBe(true);
    const cwd = join(remoteDir, "dir with 'quote' and $(x)");
    await main.exec(['mkdir', '-p', cwd]);
    const inDir = await main.exec(['sh', '-c', 'pwd; printf "%s" "$SP_VALUE"', 'shipproof-t'], { cwd, env: { SP_VALUE: "v $(id) 'q' 🚀" } });
    expect(inDir.stdout).toBe(`${cwd}\nv $(id) 'q' 🚀`);
    expect(await remoteExists(marker)).toBe(false);
  });

  it('feeds stdin and keeps stdout binary-safe', async () => {
    const data = randomBytes(300_000);
    const r = await main.exec(['sha256sum'], { stdin: data });
    expect(r.stdout.split(' ')[0]).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('runs 50 concurrent commands over ONE connection, at most maxChannels at a time', async () => {
    const t = makeTarget({ maxChannels: 8 });
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => t.exec(['sh', '-c', 'sleep 0.2; echo "$1"', 'shipproof-t', String(i)])),
    );
    const elapsed = Date.now() - started;
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 50 }, (_, i) => `${i}\n`));
    expect(t.connectionsOpened).toBe(1);
    // 50 commands of 0.2 s, 8 at a time, need at least 7 rounds.
    expect(elapsed).toBeGreaterThanOrEqual(7 * 200 - 50);
    await t.close();
    await t.close(); // idempotent
  });
});

describe('SshTarget: killing', { timeout: 30_000 }, () => {
  it('a timeout kills the remote process group, children included', async () => {
    const a = uniqueSeconds(401);
    const b = uniqueSeconds(402);
    const started = Date.now();
    // The timeout must outlast the test's own look at the remote processes (each look is an SSH
    // session, seconds on a loaded machine), or the kill could come before the sleeps are seen.
    const child = await main.spawn(['sh', '-c', `sleep ${a} & sleep ${b}`, 'shipproof-t'], { timeoutMs: 15_000 });
    child.stdin.end();
    child.stdout.resume();
    child.stderr.resume();
    // Both really ran...
    await waitFor('both sleeps to start', async () => (await remoteProcesses(`sleep ${a}`)) !== '' && (await remoteProcesses(`sleep ${b}`)) !== '', 14_000);
    const end = await child.done;
    expect(end).toMatchObject({ timedOut: true, aborted: false, exitCode: null });
    // Ended by the timeout, long before the 400 s sleeps could end by themselves (not a speed limit).
    expect(Date.now() - started).toBeLessThan(120_000);
    // ...and both are gone once done has resolved.
    expect(await remoteProcesses(`sleep ${a}`)).toBe('');
    expect(await remoteProcesses(`sleep ${b}`)).toBe('');
    // exec reports it as a timeout.
    await expect(main.exec(['sleep', uniqueSeconds(403)], { timeoutMs: 300 })).rejects.toBeInstanceOf(CommandTimeoutError);
  });

  it('an AbortSignal kills the remote process group', async () => {
    const s = uniqueSeconds(404);
    const ac = new AbortController();
    const p = main.exec(['sh', '-c', `sleep ${s} & wait`, 'shipproof-t'], { signal: ac.signal, reject: false });
    await waitFor('the sleep to start', async () => (await remoteProcesses(`sleep ${s}`)) !== '');
    ac.abort();
    const r = await p;
    expect(r).toMatchObject({ aborted: true, timedOut: false, exitCode: null });
    expect(await remoteProcesses(`sleep ${s}`)).toBe('');
  });

  it('does not hang when a process that escaped the group keeps the output open', async () => {
    const escaped = uniqueSeconds(408);
    const started = Date.now();
    const r = await main.exec(['sh', '-c', `setsid sleep ${escaped} & sleep ${uniqueSeconds(409)}`, 'shipproof-t'], {
      timeoutMs: 500,
      reject: false,
    });
    expect(r.timedOut).toBe(true);
    // Returned (no hang on the escaped process's open output), long before its 400 s sleep ends.
    expect(Date.now() - started).toBeLessThan(120_000);
    // Out of reach of a process-group kill, by design; afterAll removes it.
    expect(await remoteProcesses(`sleep ${escaped}`)).not.toBe('');
  });

  it('still ends a timed-out command when no channel is left for the kill', async () => {
    // maxChannels 10 fills sshd's MaxSessions (10), so the kill command's channel is refused and
    // this sshd also refuses signal requests: the command's own channel must still be given up.
    const t = makeTarget({ maxChannels: 10 });
    const s = uniqueSeconds(410);
    const holders = await Promise.all(Array.from({ length: 9 }, () => t.spawn(['sleep', s])));
    for (const h of holders) {
      h.stdin.end();
      h.stdout.resume();
      h.stderr.resume();
    }
    const started = Date.now();
    const r = await t.exec(['sleep', s], { timeoutMs: 300, reject: false });
    expect(r.timedOut).toBe(true);
    // Returned long before the 400 s sleep could end by itself (a bound on a hang, not a speed limit).
    expect(Date.now() - started).toBeLessThan(120_000);
    await main.exec(['pkill', '-f', pgrepPattern(`sleep ${s}`)]);
    const ends = await Promise.all(holders.map((h) => h.done));
    expect(ends.every((e) => e.signal === 'SIGTERM')).toBe(true);
  });

  it('kill() ends a command and its children', async () => {
    const s = uniqueSeconds(405);
    const child = await main.spawn(['sh', '-c', `sleep ${s} & sleep ${s}`, 'shipproof-t']);
    child.stdin.end();
    child.stdout.resume();
    child.stderr.resume();
    // The two sleeps, and sh whose command line names them too.
    await waitFor('the sleeps to start', async () => (await remoteProcesses(`sleep ${s}`)).split('\n').length >= 3);
    await child.kill();
    const end = await child.done;
    expect(end.exitCode).toBeNull();
    expect(end.signal).toMatch(/^SIG/);
    expect(await remoteProcesses(`sleep ${s}`)).toBe('');
  });
});

describe('SshTarget: connection loss', { timeout: 180_000 }, () => {
  it('fails the command in flight with ConnectionLostError, then reconnects for the next one', async () => {
    const t = makeTarget();
    const s = uniqueSeconds(406);
    const inFlight = t.exec(['sleep', s]);
    inFlight.catch(() => undefined);
    await waitFor('the sleep to start', async () => (await remoteProcesses(`sleep ${s}`)) !== '');
    const cut = Date.now();
    // Kill the sshd process serving this connection (the shell's parent).
    const killer = t.exec(['sh', '-c', 'kill -9 "$PPID"', 'shipproof-t']);
    await expect(inFlight).rejects.toBeInstanceOf(ConnectionLostError);
    // Noticed long before the 400 s sleep would have ended (a bound on a hang, not a speed limit).
    expect(Date.now() - cut).toBeLessThan(60_000);
    await expect(killer).rejects.toBeInstanceOf(ConnectionLostError);
    // Not re-run: the orphaned sleep is still the only one.
    expect((await remoteProcesses(`sleep ${s}`)).split('\n')).toHaveLength(1);
    expect((await t.exec(['echo', 'again'])).stdout).toBe('again\n');
    expect(t.connectionsOpened).toBe(2);
    await main.exec(['pkill', '-f', pgrepPattern(`sleep ${s}`)], { reject: false });
  });

  it('notices a server that stops answering, through keepalives', async () => {
    const t = makeTarget({ keepaliveIntervalMs: 250 });
    const pidFile = join(remoteDir, `frozen-${randomBytes(4).toString('hex')}`);
    // The command freezes (SIGSTOP) the sshd process serving its own connection.
    const s = uniqueSeconds(407);
    const freezer = t.exec(['sh', '-c', 'echo "$PPID" > "$1"; kill -STOP "$PPID"; sleep "$2"', 'shipproof-t', pidFile, s]);
    try {
      const started = Date.now();
      await expect(freezer).rejects.toBeInstanceOf(ConnectionLostError);
      // Through keepalives, long before the frozen command's 400 s sleep (a bound on a hang).
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      await main.exec(['sh', '-c', 'test -s "$1" && kill -9 "$(cat "$1")"', 'shipproof-t', pidFile], { reject: false });
      await main.exec(['pkill', '-f', pgrepPattern(`sleep ${s}`)], { reject: false });
    }
  });
});

describe('SshTarget: host keys', { timeout: 30_000 }, () => {
  it('refuses an unknown host key, and nothing runs', async () => {
    const knownHostsFile = join(tmp, 'empty_known_hosts');
    writeFileSync(knownHostsFile, '');
    const marker = join(remoteDir, 'unknown-host-ran');
    const t = makeTarget({ knownHostsFile });
    const err = await t.exec(['touch', marker]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).code).toBe('host_key_unknown');
    expect((err as HostKeyError).message).toContain(fingerprintWithSshKeygen(env.hostPubKey));
    expect((err as HostKeyError).hint).toMatch(/acceptNewHostKey|--accept-new-host-key/);
    expect(await remoteExists(marker)).toBe(false);
    expect(readFileSync(knownHostsFile, 'utf8')).toBe('');
  });

  it('records an unknown host key with acceptNewHostKey (file created 0600), then trusts it', async () => {
    const knownHostsFile = join(tmp, 'new-dir', 'known_hosts');
    const t = makeTarget({ knownHostsFile, acceptNewHostKey: true });
    expect((await t.exec(['echo', 'ok'])).stdout).toBe('ok\n');
    const hostKey = readFileSync(env.hostPubKey, 'utf8').split(' ').slice(0, 2).join(' ');
    const expectedName = env.port === 22 ? env.host : `[${env.host}]:${env.port}`;
    expect(readFileSync(knownHostsFile, 'utf8')).toBe(`${expectedName} ${hostKey}\n`);
    expect(statSync(knownHostsFile).mode & 0o777).toBe(0o600);
    // A strict target now accepts it, and OpenSSH agrees with what was written.
    const strict = makeTarget({ knownHostsFile });
    expect((await strict.exec(['echo', 'ok'])).stdout).toBe('ok\n');
    execFileSync('ssh-keygen', ['-F', expectedName, '-f', knownHostsFile], { stdio: 'pipe' });
  });

  it('refuses a changed host key loudly, even with acceptNewHostKey', async () => {
    const other = join(tmp, 'other_host_key');
    sshKeygen(other);
    const knownHostsFile = join(tmp, 'changed_known_hosts');
    const otherKey = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    const content = `# a comment line\n[${env.host}]:${env.port} ${otherKey}\n`;
    writeFileSync(knownHostsFile, content);
    const marker = join(remoteDir, 'changed-host-ran');
    for (const acceptNewHostKey of [false, true]) {
      const t = makeTarget({ knownHostsFile, acceptNewHostKey });
      const err = await t.exec(['touch', marker]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyError);
      const e = err as HostKeyError;
      expect(e.code).toBe('host_key_changed');
      expect(e.message).toMatch(/man-in-the-middle/);
      expect(e.message).toContain(`${knownHostsFile}:2`);
      expect(e.message).toContain(fingerprintWithSshKeygen(env.hostPubKey));
    }
    expect(await remoteExists(marker)).toBe(false);
    expect(readFileSync(knownHostsFile, 'utf8')).toBe(content);
  });
});

describe('SshTarget: login and reachability errors', { timeout: 30_000 }, () => {
  it('reports a key the server does not accept as a login failure', async () => {
    const wrongKey = join(tmp, 'wrong_client_key');
    sshKeygen(wrongKey);
    const t = makeTarget({ identityFile: wrongKey });
    const err = await t.exec(['true']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetError);
    expect(err).not.toBeInstanceOf(HostKeyError);
    expect((err as TargetError).message).toBe(`Could not log in to ${env.user}@${env.host}:${env.port} with identity file ${wrongKey}.`);
    expect((err as TargetError).hint).toMatch(/authorized_keys/);
    // The private key itself never appears in the error.
    const secret = readFileSync(wrongKey, 'utf8').split('\n')[1] ?? '';
    expect(secret.length).toBeGreaterThan(20);
    expect(JSON.stringify({ m: (err as TargetError).message, h: (err as TargetError).hint })).not.toContain(secret);
  });

  it('logs in with the keys in ssh-agent (agent: path, and agent: true through SSH_AUTH_SOCK)', async () => {
    const sock = join(tmp, 'agent.sock');
    const out = execFileSync('ssh-agent', ['-s', '-a', sock], { encoding: 'utf8' });
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)?.[1]);
    expect(agentPid).toBeGreaterThan(1);
    const savedSock = process.env.SSH_AUTH_SOCK;
    try {
      execFileSync('ssh-add', [env.key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'pipe' });
      const byPath = makeTarget({ identityFile: undefined, agent: sock });
      expect((await byPath.exec(['echo', 'via agent'])).stdout).toBe('via agent\n');
      process.env.SSH_AUTH_SOCK = sock;
      const byEnv = makeTarget({ identityFile: undefined, agent: true });
      expect((await byEnv.exec(['echo', 'via env'])).stdout).toBe('via env\n');
      delete process.env.SSH_AUTH_SOCK;
      await expect(makeTarget({ identityFile: undefined, agent: true }).exec(['true'])).rejects.toThrow(/SSH_AUTH_SOCK is not set/);
      await expect(makeTarget({ identityFile: undefined }).exec(['true'])).rejects.toThrow(/neither an identity file nor ssh-agent/);
    } finally {
      if (savedSock === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = savedSock;
      process.kill(agentPid);
    }
  });

  it('names a missing identity file', async () => {
    const missing = join(tmp, 'no-such-key');
    const t = makeTarget({ identityFile: missing });
    await expect(t.exec(['true'])).rejects.toThrow(new RegExp(`identity file ${missing} .*does not exist`));
    expect(t.connectionsOpened).toBe(0);
  });

  it('fails fast on a closed port, naming host:port', async () => {
    const t = makeTarget({ port: 1, connectTimeoutMs: 120_000 });
    const started = Date.now();
    const err = await t.exec(['true']).catch((e: unknown) => e);
    // Refused at once, not waited out until the connect timeout (a bound on waiting, not a speed limit).
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(err).toBeInstanceOf(TargetError);
    expect((err as TargetError).message).toMatch(new RegExp(`${env.host.replace(/\./g, '\\.')}:1\\b.*refused`));
  });

  it('times out within connectTimeoutMs on a server that never answers', async () => {
    // A listening socket that accepts but never speaks SSH.
    const net = await import('node:net');
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const t = makeTarget({ host: '127.0.0.1', port, connectTimeoutMs: 700 });
      const started = Date.now();
      const err = await t.exec(['true']).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(TargetError);
      expect((err as TargetError).message).toContain(`127.0.0.1:${port}`);
      expect(elapsed).toBeGreaterThanOrEqual(600);
      // Given up at the connect timeout, not never (a bound on a hang, not a speed limit).
      expect(elapsed).toBeLessThan(60_000);
    } finally {
      silent.close();
    }
  });
});

describe('SshTarget: streaming', { timeout: 30_000 }, () => {
  /** `size` pseudo-random bytes in 256 KiB chunks, never all in memory, hashed as they go. */
  function randomSource(size: number, hash: ReturnType<typeof createHash>): Readable {
    let left = size;
    return new Readable({
      read() {
        if (left <= 0) {
          this.push(null);
          return;
        }
        const chunk = randomBytes(Math.min(left, 256 * 1024));
        left -= chunk.length;
        hash.update(chunk);
        this.push(chunk);
      },
    });
  }

  it('puts and gets 100 MB with equal sha256 both ways and bounded memory', async () => {
    const size = 100 * 1024 * 1024;
    const remote = join(remoteDir, 'big.bin');
    const produced = createHash('sha256');
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
    try {
      const put = await main.putStream(randomSource(size, produced), remote, { mode: 0o600 });
      const want = produced.digest('hex');
      expect(put).toEqual({ bytes: size, sha256: want });
      expect((await main.exec(['sha256sum', remote])).stdout.split(' ')[0]).toBe(want);

      const received = createHash('sha256');
      let got = 0;
      const sink = new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _enc, cb) {
          received.update(chunk);
          got += chunk.length;
          // A slow consumer now and then, so backpressure has to hold the sender back.
          if (got % (8 * 1024 * 1024) < chunk.length) setTimeout(cb, 20);
          else cb();
        },
      });
      const back = await main.getStream(remote, sink);
      expect(back).toEqual({ bytes: size, sha256: want });
      expect(received.digest('hex')).toBe(want);
    } finally {
      clearInterval(sampler);
    }
    expect(peak - baseline).toBeLessThan(150 * 1024 * 1024);
  }, 60_000);

  it('a failed getFile leaves no local file', async () => {
    const local = join(tmp, 'missing.copy');
    await expect(main.getFile(join(remoteDir, 'does-not-exist'), local)).rejects.toBeInstanceOf(CommandFailedError);
    expect(existsSync(local)).toBe(false);
    expect(existsSync(`${local}.partial`)).toBe(false);
  });
});
