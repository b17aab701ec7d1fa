// Issue 10 item 6: an env file upload never replaces a file on the server that shipproof did not
// write (or that was changed there since): the deploy stops with exit 2 before anything changes,
// naming --overwrite. shipproof's own uploads are recorded (sha256 by path, 0600, on the server)
// and replaced freely. Against a recording fake target.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ResolvedConfig } from '../../src/config/load.js';
import { deploy, runMilestone } from '../../src/deploy/deploy.js';
import { mayReplace, parseUploaded, uploadedRecordPath } from '../../src/deploy/env-ownership.js';
import { layout } from '../../src/deploy/layout.js';
import { emptyState } from '../../src/deploy/state.js';
import { ExitCode, UsageError } from '../../src/errors.js';
import { containerJson, dockerHost, FakeTarget } from '../helpers/fake-target.js';

const APP = '/srv/own';
const L = layout(APP);
const SOURCE = 'API_URL=https://api.example.org\n';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
let root: string;
let config: ResolvedConfig;
let outside: ResolvedConfig;

function project(name: string, envPath: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: busybox:1.36\n');
  writeFileSync(join(dir, 'server.env'), SOURCE, { mode: 0o600 });
  writeFileSync(join(dir, 'shipproof.yaml'), `project: own\ndefaultTarget: prod\ntargets:\n  prod:\n    host: local\n    appDir: ${APP}\nenvFiles:\n  - path: ${envPath}\n    source: server.env\n    required: [API_URL]\n`);
  return dir;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'shipproof-own-'));
  process.env.SHIPPROOF_HOME = join(root, 'home');
  config = await loadConfig({ cwd: project('p', '.env') });
  outside = await loadConfig({ cwd: project('abs', '/etc/own/app.env') });
});

function server(files: Record<string, string> = {}): FakeTarget {
  const t = dockerHost(new FakeTarget());
  t.files.set(L.stateFile, JSON.stringify(emptyState()));
  for (const [p, c] of Object.entries(files)) t.files.set(p, c);
  return t
    .on('docker image inspect', { stdout: '[]', exitCode: 1 })
    .on('docker container inspect', { stdout: containerJson('own', []) })
    .on('sha256sum', (argv, _stdin, f) => (f.files.has(argv[2]!) ? { stdout: `${sha(f.files.get(argv[2]!)!)}  ${argv[2]}\n` } : { exitCode: 1 }))
    .on((argv) => argv[3] === 'shipproof-env', { stdout: '600 deploy deploy\nAPI_URL\tset\n' });
}

const run2 = (c: ResolvedConfig, t: FakeTarget, more: object = {}) => runMilestone({ config: c, target: t, yes: true, noSignalHandlers: true, milestone: '2', forceReason: 'unit test', ...more });

async function refused(p: Promise<unknown>): Promise<UsageError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(UsageError);
  expect((e as UsageError).exitCode).toBe(ExitCode.badInput);
  expect((e as UsageError).hint).toMatch(/--overwrite/);
  return e as UsageError;
}

describe('the rule', () => {
  it('replaces nothing there, or exactly what shipproof last uploaded; nothing else', () => {
    expect(mayReplace('absent', undefined)).toBe(true);
    expect(mayReplace('a'.repeat(64), 'a'.repeat(64))).toBe(true);
    expect(mayReplace('a'.repeat(64), 'b'.repeat(64))).toBe(false);
    expect(mayReplace('a'.repeat(64), undefined)).toBe(false);
    expect(mayReplace('unreadable', undefined)).toBe(false);
    expect(parseUploaded('not json')).toEqual(new Map());
  });
});

describe('env files on the server', () => {
  it.each([
    ['deploy', config, `${APP}/.env`],
    ['deploy, an absolute path outside appDir', outside, '/etc/own/app.env'],
  ])("%s: a person's file is refused before anything changes, and left as it was", async (_what, _c, remote) => {
    const c = remote.startsWith('/etc') ? outside : config;
    const t = server({ [remote]: 'MINE=1\n' });
    const e = await refused(deploy({ config: c, target: t, yes: true, noSignalHandlers: true }));
    expect(e.message).toContain(remote);
    expect(t.files.get(remote)).toBe('MINE=1\n');
    expect(t.ran(/shipproof-(put|lock)/)).toEqual([]);
  });

  it('run 2 refuses too; with --overwrite it replaces the file and records the upload', async () => {
    const t = server({ [`${APP}/.env`]: 'MINE=1\n' });
    await refused(run2(config, t));
    expect(t.files.get(`${APP}/.env`)).toBe('MINE=1\n');
    const r = await run2(config, t, { overwrite: true });
    expect(r.exitCode, JSON.stringify(r.milestones)).toBe(0);
    expect(t.files.get(`${APP}/.env`)).toBe(SOURCE);
    expect(parseUploaded(t.files.get(uploadedRecordPath(L))!).get(`${APP}/.env`)).toBe(sha(SOURCE));
  });

  it("shipproof's own unchanged upload is replaced when the source changes; one edited on the server is not", async () => {
    const t = server();
    expect((await run2(config, t)).exitCode).toBe(0);
    expect(t.files.get(`${APP}/.env`)).toBe(SOURCE);
    // The source changed locally: ours, unchanged on the server, so it is replaced.
    t.files.set(`${APP}/.env`, 'API_URL=https://old.example.org\n');
    t.files.set(uploadedRecordPath(L), JSON.stringify({ [`${APP}/.env`]: sha('API_URL=https://old.example.org\n') }));
    expect((await run2(config, t)).exitCode).toBe(0);
    expect(t.files.get(`${APP}/.env`)).toBe(SOURCE);
    // Someone edited it on the server since.
    t.files.set(`${APP}/.env`, `${SOURCE}HOTFIX=1\n`);
    await refused(run2(config, t));
    expect(t.files.get(`${APP}/.env`)).toBe(`${SOURCE}HOTFIX=1\n`);
  });

  it('the same bytes as the source need no consent (nothing is uploaded)', async () => {
    const t = server({ [`${APP}/.env`]: SOURCE });
    expect((await run2(config, t)).exitCode).toBe(0);
    expect(t.ran(/shipproof-put .*\.env$/)).toEqual([]);
  });
});
