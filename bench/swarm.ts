// Deploy time of a code change on the swarm test ground (scripts/setup/swarm.sh): shipproof
// (`deploy --yes` over SSH: build, load, secret, stack deploy, UpdateStatus + task + image-id
// watch, evidence) against a plain script on the same engine (docker build, save | load, `docker
// stack deploy`, then polling `docker service inspect` UpdateStatus and the task count every
// second). One web service (busybox httpd, healthcheck 1 s, start-first, monitor 3 s). Prints both
// side by side and the load; asserts nothing.
//   npx tsx bench/swarm.ts        (under flock /tmp/shipproof-integration.lock)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const HOME = process.env.SHIPPROOF_TEST_HOME ?? '/var/lib/shipproof-test';
const sw = Object.fromEntries(readFileSync(`${HOME}/swarm.env`, 'utf8').split('\n').flatMap((l) => (/^([A-Z0-9_]+)=(.*)$/.exec(l.trim()) ? [[RegExp.$1, RegExp.$2]] : [])));
const key = /SHIPPROOF_TEST_SSH_KEY=(.*)/.exec(readFileSync(`${HOME}/env.sh`, 'utf8'))![1]!;
const SWENV = { ...process.env, DOCKER_HOST: sw['SHIPPROOF_TEST_SWARM_DOCKER_HOST']! };
const sd = (...a: string[]): string => execFileSync('docker', a, { env: SWENV }).toString().trim();
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

const dir = mkdtempSync(join(tmpdir(), 'sp-bench-swarm-'));
mkdirSync(join(dir, 'web'));
const dockerfile = (n: string): string => `FROM shipproof-offline/busybox:1.35\nRUN mkdir -p /www && echo "release ${n}" > /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`;
const health = { test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/index.html'], interval: '1s', timeout: '2s', retries: 2 };
writeFileSync(join(dir, 'compose.yaml'), `services:\n  web:\n    build: ./web\n    image: spbench-web\n    healthcheck:\n      test: ${JSON.stringify(health.test)}\n      interval: 1s\n      timeout: 2s\n      retries: 2\n`);
writeFileSync(
  join(dir, 'shipproof.yaml'),
  `project: spbenchsp\ndefaultTarget: swarm\ntargets:\n  swarm:\n    kind: swarm\n    host: ssh://root@127.0.0.1:${sw['SHIPPROOF_TEST_SWARM_SSH_PORT']}\n    identity: ${key}\n    knownHosts: ${sw['SHIPPROOF_TEST_SWARM_KNOWN_HOSTS']}\n    appDir: /tmp/sp-bench-swarm-app\nswarm:\n  monitor: 3s\n`,
);

function shipproof(n: string): number {
  writeFileSync(join(dir, 'web', 'Dockerfile'), dockerfile(`sp-${n}`));
  const t = Date.now();
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, '--json', 'deploy', '--yes'], { cwd: dir, env: { ...process.env, SHIPPROOF_HOME: join(dir, 'home') } });
  if (r.status !== 0) throw new Error(`shipproof deploy failed: ${r.stdout.toString().slice(0, 500)} ${r.stderr.toString().slice(0, 500)}`);
  return Date.now() - t;
}

function plain(n: string): number {
  writeFileSync(join(dir, 'web', 'Dockerfile'), dockerfile(`plain-${n}`));
  const t = Date.now();
  const tag = `spbench-plain:${n}`;
  execFileSync('docker', ['build', '-q', '-t', tag, join(dir, 'web')], { stdio: 'ignore' });
  execFileSync('sh', ['-c', `docker save ${tag} | DOCKER_HOST=${SWENV.DOCKER_HOST} docker load -q`]);
  const stack = { version: '3.8', services: { web: { image: tag, healthcheck: health, deploy: { endpoint_mode: 'dnsrr', update_config: { order: 'start-first', failure_action: 'rollback', monitor: '3s' } } } } };
  writeFileSync(join(dir, 'plain.json'), JSON.stringify(stack));
  execFileSync('docker', ['stack', 'deploy', '--resolve-image', 'never', '-c', join(dir, 'plain.json'), 'spbenchplain'], { env: SWENV, stdio: 'ignore' });
  for (;;) {
    const state = sd('service', 'inspect', '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{else}}none{{end}}', 'spbenchplain_web');
    const running = sd('service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Image}} {{.CurrentState}}', 'spbenchplain_web').split('\n').filter((l) => l.startsWith(`${tag} Running`));
    if ((state === 'completed' || state === 'none') && running.length === 1) break;
    if (state.startsWith('rollback') || state === 'paused') throw new Error(`plain deploy: ${state}`);
    execFileSync('sleep', ['1']);
  }
  return Date.now() - t;
}

const rows: [string, number, number][] = [];
try {
  for (let i = 0; i <= ROUNDS; i++) rows.push([i === 0 ? 'first deploy' : `code change ${i}`, shipproof(String(i)), plain(String(i))]);
} finally {
  for (const s of ['spbenchsp', 'spbenchplain']) spawnSync('docker', ['stack', 'rm', s], { env: SWENV });
  spawnSync('sh', ['-c', `sleep 3; for t in $(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^spbench-(web|plain):'); do docker rmi $t; done >/dev/null 2>&1; rm -rf /tmp/sp-bench-swarm-app`]);
  // Images in use by a stopping task cannot be removed: wait for the stacks' containers to go.
  spawnSync('sh', ['-c', `for i in $(seq 1 60); do [ -z "$(docker ps -aq --filter label=com.docker.stack.namespace=spbenchsp; docker ps -aq --filter label=com.docker.stack.namespace=spbenchplain)" ] && break; sleep 0.5; done`], { env: SWENV });
  spawnSync('sh', ['-c', `for t in $(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^spbench-(web|plain):'); do docker rmi $t; done >/dev/null 2>&1`], { env: SWENV });
  rmSync(dir, { recursive: true, force: true });
}
console.log('swarm deploy time (ms): shipproof deploy --yes over SSH vs plain build + save|load + stack deploy + polling (local socket)');
console.log(['step'.padEnd(16), 'shipproof'.padStart(10), 'plain'.padStart(10)].join(' '));
for (const [name, a, b] of rows) console.log([name.padEnd(16), String(a).padStart(10), String(b).padStart(10)].join(' '));
console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
