// 50 small commands through shipproof's SSH target (one multiplexed connection) versus 50
// separate `ssh` processes against the same sshd. Prints figures; asserts nothing.
// Needs the test sshd from scripts/setup-test-env.sh.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SshTarget } from '../src/targets/ssh.js';
import { requireTestEnv } from '../test/helpers/test-env.js';

const run = promisify(execFile);
const N = Number(process.env.BENCH_N ?? 50);
const env = requireTestEnv();

async function viaTarget(parallel: boolean): Promise<{ ms: number; connections: number }> {
  const t = new SshTarget({
    name: 'bench',
    host: env.sshHost,
    port: env.sshPort,
    user: env.sshUser,
    identityFile: env.sshKey,
    knownHostsFile: env.knownHosts,
  });
  const started = performance.now();
  if (parallel) {
    await Promise.all(Array.from({ length: N }, (_, i) => t.exec(['echo', String(i)])));
  } else {
    for (let i = 0; i < N; i++) await t.exec(['echo', String(i)]);
  }
  const ms = performance.now() - started;
  const connections = t.connectionsOpened;
  await t.close();
  return { ms, connections };
}

async function viaSshProcesses(): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    await run('ssh', [
      '-o', 'BatchMode=yes',
      '-o', `UserKnownHostsFile=${env.knownHosts}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-i', env.sshKey,
      '-p', String(env.sshPort),
      `${env.sshUser}@${env.sshHost}`,
      'echo', String(i),
    ]);
  }
  return performance.now() - started;
}

const seq = await viaTarget(false);
const par = await viaTarget(true);
const ssh = await viaSshProcesses();
const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;
console.log(`${N} small commands against ${env.sshUser}@${env.sshHost}:${env.sshPort}`);
console.log(`  shipproof SSH target, sequential : ${fmt(seq.ms)}  (${seq.connections} TCP connection)`);
console.log(`  shipproof SSH target, parallel   : ${fmt(par.ms)}  (${par.connections} TCP connection)`);
console.log(`  ${N} separate ssh processes       : ${fmt(ssh)}  (${N} TCP connections)`);
console.log(`  ratio ssh processes / target     : sequential ${(ssh / seq.ms).toFixed(1)}x, parallel ${(ssh / par.ms).toFixed(1)}x`);
