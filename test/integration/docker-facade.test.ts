// The Docker facade against the real engine, through both targets: detect the engine and Compose,
// then up / ps / down of a one-service busybox stack.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Docker } from '../../src/docker/docker.js';
import { LocalTarget } from '../../src/targets/local.js';
import { SshTarget } from '../../src/targets/ssh.js';
import type { Target } from '../../src/targets/target.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';

const env = requireTestEnv();
requireDocker();

const BUSYBOX = process.env.SHIPPROOF_BUSYBOX_IMAGE ?? 'shipproof-offline/busybox:1.35';
const COMPOSE = `services:
  app:
    image: ${BUSYBOX}
    command: ["sh", "-c", "echo ready > /tmp/ready; exec sleep 3600"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 30
    labels:
      dev.shipproof.test: "facade"
`;

const targets: [string, () => Target][] = [
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

describe.each(targets)('docker facade over the %s target', (kind, make) => {
  const target = make();
  const docker = new Docker(target);
  const project = `sp-facade-${kind}-${randomBytes(3).toString('hex')}`;
  const dir = `/tmp/${project}`;

  beforeAll(async () => {
    await target.putStream(Readable.from([Buffer.from(COMPOSE)]), `${dir}/compose.yaml`, { mkdirs: true });
  });
  afterAll(async () => {
    const compose = await docker.compose({ project, files: [`${dir}/compose.yaml`], projectDir: dir });
    await compose.down({ volumes: true, timeoutSeconds: 1 }, { reject: false });
    await target.exec(['rm', '-rf', dir]);
    await target.close();
  });

  it('detects the engine and the Compose flavor', async () => {
    const info = await docker.info();
    expect(info.engine.serverVersion).toMatch(/^\d+\.\d+/);
    expect(['v1', 'v2']).toContain(info.compose.flavor);
    expect(info.compose.version).toMatch(/^\d+\.\d+\.\d+/);
    // The flavor matches what this host really has.
    const v2 = await target.exec(['docker', 'compose', 'version'], { reject: false });
    expect(info.compose.flavor).toBe(v2.exitCode === 0 ? 'v2' : 'v1');
  });

  it('brings a stack up, reads it back typed, and takes it down', async () => {
    const compose = await docker.compose({ project, files: [`${dir}/compose.yaml`], projectDir: dir });
    await compose.up();
    let containers = await compose.ps();
    for (let i = 0; i < 40 && containers[0]?.health !== 'healthy'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      containers = await compose.ps();
    }
    expect(containers).toHaveLength(1);
    const c = containers[0]!;
    expect(c).toMatchObject({ project, service: 'app', image: BUSYBOX, state: 'running', health: 'healthy', restartCount: 0, oomKilled: false });
    expect(c.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(c.labels['dev.shipproof.test']).toBe('facade');

    await compose.down({ timeoutSeconds: 1 });
    expect(await compose.ps()).toEqual([]);
  });

  it('a compose error is reported with the exit code, not hidden', async () => {
    const compose = await docker.compose({ project, files: [`${dir}/missing.yaml`], projectDir: dir });
    const r = await compose.run(['config', '--quiet'], { reject: false });
    expect(r.exitCode).not.toBe(0);
  });
});
