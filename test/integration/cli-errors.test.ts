// Bad input and unreachable servers through the real CLI: each gives one clear message, the right
// exit code (2 bad input, 1 a failed check), no stack trace without --debug, and nothing reaches
// the server when the input is at fault.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tcpCounter, type Counter } from '../helpers/tcp-counter.js';
import { requireTestEnv } from '../helpers/test-env.js';

const env = requireTestEnv();
const COMPOSE = 'services:\n  web:\n    image: shipproof-offline/busybox:1.35\n';

// Started at load time: the test table below is built from its port.
const counter: Counter = await tcpCounter();
const dirs: string[] = [];

function project(config: string | undefined, compose: string | undefined = COMPOSE): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipproof-cli-'));
  dirs.push(dir);
  if (compose !== undefined) writeFileSync(join(dir, 'compose.yaml'), compose);
  if (config !== undefined) writeFileSync(join(dir, 'shipproof.yaml'), config);
  return dir;
}

/** A config whose only server is the connection counter: any connection attempt is seen. */
function withCounter(extra: string): string {
  return `project: badinput\ntargets:\n  box:\n    host: ssh://root@127.0.0.1:${counter.port}\n    identity: ${env.sshKey}\n    knownHosts: ${env.knownHosts}\n${extra}`;
}

afterAll(async () => {
  await counter.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('bad input: exit 2, file:line:column, nothing reaches the server', () => {
  it.each([
    ['a YAML syntax error', withCounter('health:\n  - name: web\n    url: [unclosed\n'), /shipproof\.yaml:\d+:\d+/],
    ['a wrong type', withCounter('    maxChannels: eight\n'), /shipproof\.yaml:7:18: .*maxChannels/],
    ['an unknown key', withCounter('taregts: {}\n'), /shipproof\.yaml:7:1: .*"taregts"[\s\S]*Did you mean "targets"/],
    ['a bad duration', withCounter('    connectTimeout: soon\n'), /shipproof\.yaml:7:\d+/],
    ['an unknown default target', withCounter('defaultTarget: prdo\n'), /shipproof\.yaml:7:\d+[\s\S]*prdo/],
  ])('%s', async (_what, config, message) => {
    const dir = project(config);
    for (const command of [['check'], ['collect'], ['plan'], ['targets']]) {
      const r = await runCli(command, { cwd: dir });
      expect(r.code, `${command.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at .*\.(ts|js):\d+/); // no stack trace
      expect(r.stdout).toBe('');
    }
    expect(counter.connections()).toBe(0);
  });

  it('a missing compose file names it', async () => {
    const dir = project('project: nocompose\ncompose: missing.yaml\n', undefined);
    const r = await runCli(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\.yaml/);
  });

  it('a missing --config file names it', async () => {
    const dir = project(undefined);
    const r = await runCli(['--config', 'nope.yaml', 'check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.yaml/);
  });

  it('a compose file with a YAML error points into it', async () => {
    const dir = project('project: badcompose\n', 'services:\n  web:\n    image: [oops\n');
    const r = await runCli(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/compose\.yaml:\d+:\d+/);
  });

  it('an unknown target, command or option is a usage error', async () => {
    const dir = project(withCounter(''));
    const unknownTarget = await runCli(['--target', 'bxo', 'collect'], { cwd: dir });
    expect(unknownTarget.code).toBe(2);
    expect(unknownTarget.stderr).toMatch(/Unknown target "bxo"[\s\S]*box/);
    expect((await runCli(['deploy-everything'], { cwd: dir })).code).toBe(2);
    expect((await runCli(['check', '--frobnicate'], { cwd: dir })).code).toBe(2);
    expect(counter.connections()).toBe(0);
  });

  it('--debug adds the stack trace, --json gives a machine-readable error', async () => {
    const dir = project(withCounter('taregts: {}\n'));
    const debug = await runCli(['--debug', 'check'], { cwd: dir });
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/\n\s+at /);
    const json = await runCli(['--json', 'check'], { cwd: dir });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'config_invalid', location: expect.stringMatching(/shipproof\.yaml:7:1/) } });
  });
});

describe('servers that cannot be used: exit 1 with the reason', () => {
  const sshConfig = (o: { port?: number; key?: string; knownHosts?: string }): string =>
    `project: reach\ntargets:\n  box:\n    host: ssh://root@127.0.0.1:${o.port ?? env.sshPort}\n    identity: ${o.key ?? env.sshKey}\n    knownHosts: ${o.knownHosts ?? env.knownHosts}\n    connectTimeout: 3s\n`;

  it('a reachable server shows Docker and Compose', async () => {
    const r = await runCli(['--json', 'targets', 'box'], { cwd: project(sshConfig({})) });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { targets: { name: string; reachable: boolean; docker?: { engine: string } }[] };
    expect(out.targets[0]).toMatchObject({ name: 'box', reachable: true, docker: { engine: expect.stringMatching(/^\d+\./) } });
  });

  it('an unreachable host fails within the timeout', async () => {
    const started = Date.now();
    const r = await runCli(['targets', 'box'], { cwd: project(sshConfig({ port: 1 })) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/127\.0\.0\.1:1/);
    // Refused at once rather than hanging (a bound on a hang; a loaded machine starts node slowly).
    expect(Date.now() - started).toBeLessThan(90_000);
  });

  it('a key the server does not accept', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'shipproof-key-'));
    dirs.push(keyDir);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id')]);
    const r = await runCli(['targets', 'box'], { cwd: project(sshConfig({ key: join(keyDir, 'id') })) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/log in/i);
  });

  it('an unknown host key is refused, and accepted only when asked', async () => {
    const khDir = mkdtempSync(join(tmpdir(), 'shipproof-kh-'));
    dirs.push(khDir);
    const kh = join(khDir, 'known_hosts');
    writeFileSync(kh, '');
    const dir = project(sshConfig({ knownHosts: kh }));
    const refused = await runCli(['collect'], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/SHA256:/);
    expect(refused.stderr).toMatch(/accept-new-host-key|acceptNewHostKey/);
    expect(readFileSync(kh, 'utf8')).toBe('');
    const accepted = await runCli(['--accept-new-host-key', 'targets', 'box'], { cwd: dir });
    expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
    expect(readFileSync(kh, 'utf8')).toContain(readFileSync(env.hostPubKey, 'utf8').split(' ')[1]);
  });

  it('a changed host key is always refused with a warning', async () => {
    const khDir = mkdtempSync(join(tmpdir(), 'shipproof-kh-'));
    dirs.push(khDir);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(khDir, 'other')]);
    const other = readFileSync(join(khDir, 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const kh = join(khDir, 'known_hosts');
    writeFileSync(kh, `[127.0.0.1]:${env.sshPort} ${other}\n`);
    const r = await runCli(['--accept-new-host-key', 'collect'], { cwd: project(sshConfig({ knownHosts: kh })) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/changed/i);
    expect(r.stderr).toMatch(/known_hosts:1/);
  });
});
