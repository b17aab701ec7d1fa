// A deploy of the example stack by shipproof versus a plain script doing `compose up -d --build`
// and polling until every container is healthy, from the same clean state; then shipproof's
// no-op redeploy. Prints figures (median of BENCH_ROUNDS); asserts nothing.
// Needs Docker and the offline images from scripts/setup-test-env.sh; uses HTTPS_PORT 28443.
import { execFileSync } from 'node:child_process';
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

const plainMs: number[] = [];
const shipMs: number[] = [];
const noopMs: number[] = [];
try {
  for (let i = 0; i < rounds; i++) {
    clean();
    plainMs.push(timed(plain));
    clean();
    shipMs.push(timed(ship));
    noopMs.push(timed(ship));
  }
} finally {
  clean();
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p = median(plainMs);
const s = median(shipMs);
console.log(`deploy of examples/webapp (postgres, web, worker, caddy) on this machine, median of ${rounds}`);
console.log(`  plain script (compose up -d --build, poll until healthy): ${(p / 1000).toFixed(1)} s`);
console.log(`  shipproof deploy (milestones 1-8, 9-10 skipped; 11 signed records): ${(s / 1000).toFixed(1)} s  (${(s / p).toFixed(2)}× the plain script; target ≤ 1.20×)`);
console.log(`  shipproof no-op redeploy:                                ${(median(noopMs) / 1000).toFixed(2)} s  (target < 2 s)`);
console.log(`  all rounds (s): plain ${plainMs.map((x) => (x / 1000).toFixed(1)).join(' ')} | shipproof ${shipMs.map((x) => (x / 1000).toFixed(1)).join(' ')} | no-op ${noopMs.map((x) => (x / 1000).toFixed(2)).join(' ')}`);
console.log(`  load: ${execFileSync('uptime').toString().trim()}`);
