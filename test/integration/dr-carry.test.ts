// The disaster-recovery test ground and its first step: a second, empty Docker engine reached
// over SSH (scripts/setup/second-dockerd.sh: the sshd on 2223 points DOCKER_HOST at it), and an
// image carried there from this engine by `docker save | docker load` streamed through the
// target layer, arriving with the same image id.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { carryImages } from '../../src/dr/carry-images.js';
import { LocalTarget } from '../../src/targets/local.js';
import { SshTarget } from '../../src/targets/ssh.js';
import { requireDocker, requireTestEnv } from '../helpers/test-env.js';

const env = requireTestEnv();
requireDocker();
const DR_FILE = `${process.env.SHIPPROOF_TEST_HOME ?? '/var/lib/shipproof-test'}/dr.env`;
function drEnv(): Record<string, string> {
  try {
    return Object.fromEntries(readFileSync(DR_FILE, 'utf8').split('\n').flatMap((l) => (/^([A-Z0-9_]+)=(.*)$/.exec(l.trim()) ? [[RegExp.$1, RegExp.$2]] : [])));
  } catch {
    throw new Error(`The DR test engine is missing (${DR_FILE}). Run \`sudo bash scripts/setup/second-dockerd.sh\` (after scripts/setup-test-env.sh).`);
  }
}
const dr = drEnv();
const IMAGE = 'shipproof-offline/busybox:1.35';
const drDocker = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: dr['SHIPPROOF_TEST_DR_DOCKER_HOST'] as string } }).toString().trim();

const to = new SshTarget({ name: 'dr', host: env.sshHost, port: Number(dr['SHIPPROOF_TEST_DR_SSH_PORT']), user: env.sshUser, identityFile: env.sshKey, knownHostsFile: dr['SHIPPROOF_TEST_DR_KNOWN_HOSTS'] as string });
const from = new LocalTarget();

afterAll(async () => {
  drDocker('image', 'rm', '--force', IMAGE);
  await to.close();
});

describe('DR test ground', () => {
  it('is another engine: its own data root, and it does not have our images or volumes', async () => {
    const info = await to.exec(['docker', 'info', '--format', '{{.DockerRootDir}}']);
    expect(info.stdout.trim()).toBe('/var/lib/shipproof-dr/docker');
    const mainRoot = execFileSync('docker', ['info', '--format', '{{.DockerRootDir}}']).toString().trim();
    expect(mainRoot).not.toBe('/var/lib/shipproof-dr/docker');
    expect((await to.exec(['docker', 'images', '-q', IMAGE])).stdout.trim()).toBe('');
    expect((await to.exec(['docker', 'volume', 'ls', '-q', '--filter', 'label=com.docker.compose.project'])).stdout.trim()).toBe('');
  });

  it('carries an image over with docker save | docker load, same id, and skips one already there', async () => {
    const id = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', IMAGE]).toString().trim();
    const first = await carryImages({ from, to, refs: [IMAGE] });
    expect(first.images).toEqual([{ ref: IMAGE, id, present: false }]);
    expect(first.bytes).toBeGreaterThan(100_000);
    expect(drDocker('image', 'inspect', '--format', '{{.Id}}', IMAGE)).toBe(id);
    const again = await carryImages({ from, to, refs: [IMAGE] });
    expect(again).toEqual({ images: [{ ref: IMAGE, id, present: true }], bytes: 0 });
  });

  it('names an image the source does not have', async () => {
    await expect(carryImages({ from, to, refs: ['shipproof-offline/none:0'] })).rejects.toThrow(/not on this machine|is not on/);
  });
});
