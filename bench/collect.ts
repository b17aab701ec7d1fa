// `collect` over SSH (one multiplexed connection, probes in parallel) versus the same commands run
// the way seed 000's collector runs them: one `ssh` process per command, one after another.
// Prints wall times, the ratio and the TCP connections each opened. Asserts nothing.
// Needs the test sshd and Docker from scripts/setup-test-env.sh.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { collect } from '../src/collect/collect.js';
import { allProbes } from '../src/probes/index.js';
import { shellJoin } from '../src/shell/quote.js';
import { SshTarget } from '../src/targets/ssh.js';
import { requireTestEnv } from '../test/helpers/test-env.js';

const run = promisify(execFile);
const env = requireTestEnv();
const dir = mkdtempSync(join(tmpdir(), 'shipproof-bench-collect-'));
writeFileSync(
  join(dir, 'compose.yaml'),
  'services:\n  web:\n    image: shipproof-offline/busybox:1.35\n  db:\n    image: shipproof-offline/postgres:15\n    volumes: ["db:/var/lib/postgresql/data"]\nvolumes:\n  db:\n',
);
writeFileSync(
  join(dir, 'shipproof.yaml'),
  `project: benchcollect\ntargets:\n  box:\n    host: ssh://${env.sshUser}@${env.sshHost}:${env.sshPort}\n    identity: ${env.sshKey}\n    knownHosts: ${env.knownHosts}\n    appDir: ${dir}/app\nenvFiles:\n  - path: .env\n    required: [A]\nhealth:\n  - name: local\n    url: http://127.0.0.1:9/\n    timeout: 1s\ndomains: [localhost:9]\n`,
);

const config = await loadConfig({ cwd: dir });
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const ours: number[] = [];
let connections = 0;
let commands: string[][] = [];
for (let i = 0; i < rounds; i++) {
  const target = new SshTarget({
    name: 'box',
    host: env.sshHost,
    port: env.sshPort,
    user: env.sshUser,
    identityFile: env.sshKey,
    knownHostsFile: env.knownHosts,
  });
  const started = performance.now();
  const r = await collect({ config, targetName: 'box', target });
  ours.push(performance.now() - started);
  connections = target.connectionsOpened;
  await target.close();
  // The commands the probes ran on the target (git ran locally and is left out of both sides).
  commands = r.statement.predicate.results.flatMap((x) => x.commands.map((c) => c.argv)).filter((a) => a[0] !== 'git');
}

const theirs: number[] = [];
for (let i = 0; i < rounds; i++) {
  const started = performance.now();
  for (const argv of commands) {
    await run('ssh', [
      '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${env.knownHosts}`, '-o', 'StrictHostKeyChecking=yes',
      '-i', env.sshKey, '-p', String(env.sshPort), `${env.sshUser}@${env.sshHost}`, shellJoin(argv),
    ]).catch(() => undefined); // a failing probe command still costs its connection
  }
  theirs.push(performance.now() - started);
}
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const a = median(ours);
const b = median(theirs);
console.log(`collect over SSH, ${commands.length} target commands from ${allProbes.length} probes, median of ${rounds} rounds`);
console.log(`  shipproof collect (1 connection, parallel probes): ${a.toFixed(0)} ms, ${connections} TCP connection(s)`);
console.log(`  one ssh process per command, sequential          : ${b.toFixed(0)} ms, ${commands.length} TCP connections`);
console.log(`  ratio: ${(b / a).toFixed(1)}x`);
