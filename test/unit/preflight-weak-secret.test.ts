// A weak secret stops a deploy in the preflight, before milestone 1 uploads the bundle or
// milestone 2 the env files: on a recording fake target nothing is run and nothing is put.
// `secrets.allowWeak` still lets the same deploy through.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { deploy, runMilestone } from '../../src/deploy/deploy.js';
import { layout } from '../../src/deploy/layout.js';
import { emptyState } from '../../src/deploy/state.js';
import { ConfigError } from '../../src/errors.js';
import { containerJson, dockerHost, FakeTarget } from '../helpers/fake-target.js';

const APP = '/srv/weak';
const WEAK = 'change-me';
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'shipproof-weak-'));
  process.env.SHIPPROOF_HOME = join(root, 'home');
});

function project(name: string, extra = ''): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: busybox:1.36\n    env_file: .env\n');
  writeFileSync(join(dir, 'server.env'), `DB_PASSWORD=${WEAK}\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'shipproof.yaml'),
    `project: weak\ndefaultTarget: prod\ntargets:\n  prod:\n    host: local\n    appDir: ${APP}\nenvFiles:\n  - path: .env\n    source: server.env\n    required: [DB_PASSWORD]\n${extra}`,
  );
  return dir;
}

function server(): FakeTarget {
  const t = dockerHost(new FakeTarget());
  t.files.set(layout(APP).stateFile, JSON.stringify(emptyState()));
  return t.on('docker image inspect', { stdout: '[]', exitCode: 1 }).on('docker container inspect', { stdout: containerJson('weak', []) });
}

describe('weak secrets are refused before the server changes', () => {
  it.each([
    ['deploy', (o: Parameters<typeof deploy>[0]) => deploy(o)],
    ['run 1', (o: Parameters<typeof deploy>[0]) => runMilestone({ ...o, milestone: '1' })],
    ['run 2', (o: Parameters<typeof deploy>[0]) => runMilestone({ ...o, milestone: '2', forceReason: 'unit test' })],
  ])('%s: exit 2 at the env file, naming the key, never the value; nothing run or put on the target', async (_name, go) => {
    const config = await loadConfig({ cwd: project('refused') });
    const t = server();
    const before = new Map(t.files);
    const error = await go({ config, target: t, yes: true, noSignalHandlers: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/DB_PASSWORD/);
    expect(e.location?.file).toMatch(/server\.env$/);
    expect(e.location?.line).toBe(1);
    expect(`${e.message} ${e.hint ?? ''}`).not.toContain(WEAK);
    expect(t.calls).toEqual([]);
    expect(t.files).toEqual(before);
  });

  it('with secrets.allowWeak naming the key (and a reason) milestone 2 gets past the preflight and uploads the env file', async () => {
    const config = await loadConfig({ cwd: project('allowed', 'secrets:\n  allowWeak:\n    DB_PASSWORD: throwaway review app, database not published\n') });
    const t = server();
    await runMilestone({ config, target: t, yes: true, noSignalHandlers: true, milestone: '2', forceReason: 'unit test' });
    expect(t.calls.length).toBeGreaterThan(0);
    expect(t.files.get(`${APP}/.env`)).toBe(`DB_PASSWORD=${WEAK}\n`);
  });
});
