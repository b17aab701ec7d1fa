// A deploy of the example stack by shipproof versus a plain script doing `compose up -d --build`
// and polling until every container is healthy, from the same clean state; then the same code
// change to web deployed both ways; then shipproof's no-op redeploy. Prints figures side by side
// (median of BENCH_ROUNDS) with the machine's load; asserts nothing.
// Needs Docker and the offline images from scripts/setup-test-env.sh; uses HTTPS_PORT 28443.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples/webapp');
const CLI = join(ROOT, 'dist/cli/main.js');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const port = Number(process.env.HTTPS_PORT ?? 28443);

execFileSync('bash', [join(EXAMPLE, 'build.sh')], { stdio: 'ignore' });
execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });

// Strong secrets: a weak one that also appears in a name ("bench" in "benchdeploy") is refused before anything changes.
const pw = randomBytes(16).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'shipproof-bench-deploy-'));
const project = join(dir, 'project');
cpSync(EXAMPLE, project, { recursive: true, filter: (s) => !/\/(docs|\.env)$/.test(s) });
writeFileSync(
  join(project, '.env'),
  `POSTGRES_USER=webapp\nPOSTGRES_PASSWORD=${pw}\nPOSTGRES_DB=webapp\nDATABASE_URL=postgres://webapp:${pw}@postgres:5432/webapp\nSESSION_SECRET=${randomBytes(24).toString('hex')}\nDOMAIN=localhost\nTLS_MODE=internal\nHTTP_PORT=${port + 1}\nHTTPS_PORT=${port}\nAPP_IMAGE=benchdeploy/app:latest\n${readFileSync(join(EXAMPLE, 'offline.env'), 'utf8')}`,
  { mode: 0o600 },
);
writeFileSync(
  join(project, 'shipproof.yaml'),
  `project: benchdeploy\ntargets:\n  here:\n    host: local\n    appDir: ${dir}/server\nenvFiles:\n  - path: .env\n    source: .env\nhealth:\n  - name: readyz\n    url: https://localhost:${port}/readyz\n    insecure: true\ndeploy:\n  healthInterval: 1s\n# Like for like with the plain script: no backup or restore rehearsal (milestones 9 and 10 skip).\nstateful:\n  postgres: false\n  caddy: false\n`,
);

const compose = (...args: string[]) => execFileSync('docker-compose', ['-p', 'benchdeploy', '--project-directory', project, '-f', join(project, 'compose.yaml'), ...args], { stdio: 'ignore' });
function clean(): void {
  compose('down', '-v', '-t', '1');
  rmSync(join(dir, 'server'), { recursive: true, force: true });
  rmSync(join(project, 'docs'), { recursive: true, force: true });
  rmSync(join(dir, 'home'), { recursive: true, force: true });
  // By tag, never by image id: a release tag of a published image shares its id with the
  // image itself (shipproof-offline/postgres:15), and removing the id removes that image too.
  execFileSync('sh', ['-c', "docker image rm $(docker images --format '{{.Repository}}:{{.Tag}}' | grep '^shipproof-release/benchdeploy-') benchdeploy/app:latest 2>/dev/null || true"], { stdio: 'ignore' });
}
function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}
function plain(): void {
  compose('up', '-d', '--build');
  for (;;) {
    const ids = execFileSync('docker', ['ps', '-q', '--filter', 'label=com.docker.compose.project=benchdeploy']).toString().split('\n').filter(Boolean);
    const states = execFileSync('docker', ['inspect', '--format', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', ...ids]).toString();
    if (ids.length === 4 && !/starting|unhealthy|restarting|created/.test(states)) break;
    execFileSync('sleep', ['1']);
  }
  // Then until the app answers through the proxy, as shipproof's health gate requires.
  for (;;) {
    try {
      execFileSync('curl', ['-sfk', `https://localhost:${port}/readyz`], { stdio: 'ignore' });
      return;
    } catch {
      execFileSync('sleep', ['1']);
    }
  }
}
const env = { ...process.env, SHIPPROOF_HOME: join(dir, 'home') };
const ship = (): void => void execFileSync('node', [CLI, 'deploy', '--yes'], { cwd: project, env, stdio: ['ignore', 'ignore', 'pipe'] });
// Where a shipproof deploy spends its time: each milestone's duration from the --json result.
let lastSplit = '';
const shipSplit = (): void => {
  const out = JSON.parse(execFileSync('node', [CLI, '--json', 'deploy', '--yes'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] }).toString()) as { milestones: { number: number; durationMs?: number }[] };
  lastSplit = out.milestones.map((m) => `m${m.number} ${((m.durationMs ?? 0) / 1000).toFixed(1)}`).join(', ');
};

// The same code change for both: a static file of web changes, so its image is rebuilt and web recreated.
let change = 0;
const changeCode = (): void => writeFileSync(join(project, 'app/static/bench-change.txt'), `change ${++change}\n`);
const loads: string[] = [];
const load = (): string => execFileSync('uptime').toString().trim().replace(/^.*load average/, 'load average');

const plainMs: number[] = [];
const shipMs: number[] = [];
const plainChangeMs: number[] = [];
const shipChangeMs: number[] = [];
const noopMs: number[] = [];
const noopCpu: string[] = [];
const changeSplits: string[] = [];
// Wall and CPU of a no-op redeploy (the CLI and every process it starts), by /usr/bin/time.
const cpuOf = (): string => {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', 'node', CLI, 'deploy', '--yes'], { cwd: project, env, encoding: 'utf8' });
  const m = /TIME (\S+) (\S+) (\S+)/.exec(r.stderr ?? '');
  return m ? `${m[1]} s wall / ${(Number(m[2]) + Number(m[3])).toFixed(2)} s CPU` : 'not measured (/usr/bin/time missing)';
};
try {
  for (let i = 0; i < rounds; i++) {
    clean();
    loads.push(load());
    plainMs.push(timed(plain));
    changeCode();
    plainChangeMs.push(timed(plain));
    clean();
    shipMs.push(timed(ship));
    changeCode();
    shipChangeMs.push(timed(shipSplit));
    changeSplits.push(lastSplit);
    noopMs.push(timed(ship));
    noopCpu.push(cpuOf());
    loads.push(load());
  }
} finally {
  clean();
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const row = (what: string, p: number[], s: number[]): string => `  ${what.padEnd(34)} ${sec(median(p)).padStart(8)} ${sec(median(s)).padStart(10)} ${`${(median(s) / median(p)).toFixed(2)}×`.padStart(7)}`;
console.log(`deploy of examples/webapp (postgres, web, worker, caddy) on this machine, median of ${rounds}`);
console.log(`  ${''.padEnd(34)} ${'plain'.padStart(8)} ${'shipproof'.padStart(10)} ${'ratio'.padStart(7)}   (target ≤ 1.20×)`);
console.log(row('first deploy (clean state)', plainMs, shipMs));
console.log(row('code change to web', plainChangeMs, shipChangeMs));
console.log(`  ${'no-op redeploy'.padEnd(34)} ${'-'.padStart(8)} ${`${(median(noopMs) / 1000).toFixed(2)} s`.padStart(10)}           (target < 2 s)`);
console.log('  plain = compose up -d --build, then poll until every container is healthy and /readyz answers through Caddy');
console.log('  shipproof = shipproof deploy --yes (milestones 1-8, 9-10 skipped: no stateful service declared; signed records)');
console.log(`  all rounds (s): plain ${plainMs.map((x) => (x / 1000).toFixed(1)).join(' ')} | shipproof ${shipMs.map((x) => (x / 1000).toFixed(1)).join(' ')} | plain change ${plainChangeMs.map((x) => (x / 1000).toFixed(1)).join(' ')} | shipproof change ${shipChangeMs.map((x) => (x / 1000).toFixed(1)).join(' ')} | no-op ${noopMs.map((x) => (x / 1000).toFixed(2)).join(' ')}`);
console.log(`  shipproof code change, per milestone (s): ${changeSplits.join(' | ')}`);
console.log(`  no-op redeploy, wall and CPU (CLI + children): ${noopCpu.join(' | ')}`);
console.log(`  load at the start and end of each round: ${loads.join(' | ')}`);
