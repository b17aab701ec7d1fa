// Requests lost while a release changes: `hey` (Debian) at 200 GET/s for at least 45 s against
// https://localhost:<port>/healthz through Caddy (TLS), during (a) a code-change redeploy, (b) a
// deploy whose release fails its gate (a migration that breaks web's start), (c) a rollback by
// hand, and (d) the control: `compose up --force-recreate web` (what a deploy without the
// cut-over does), which must show failures so the zeros are not vacuous. Prints total, failed,
// p50/p99 for each and the machine's load; asserts nothing.
// Needs Docker, the offline images and hey (scripts/setup/hey.sh). Uses HTTPS_PORT 28643.
//   npx tsx bench/cutover.ts
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples/webapp');
const MAIN = join(ROOT, 'src/cli/main.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const port = Number(process.env.HTTPS_PORT ?? 28643);
const minSeconds = Number(process.env.BENCH_SECONDS ?? 47); // 47 s at 200/s: at least 9,000 requests per case
const project = 'benchcutover';

try {
  execFileSync('hey', ['-h'], { stdio: 'ignore' });
} catch (e) {
  // hey -h exits 2 after printing usage; only a missing binary is a problem.
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
    console.error('hey is not installed: run `sudo bash scripts/setup/hey.sh` (Debian package hey).');
    process.exit(2);
  }
}

execFileSync('bash', [join(EXAMPLE, 'build.sh')], { stdio: 'ignore' });
const dir = mkdtempSync(join(tmpdir(), 'shipproof-bench-cutover-'));
const app = join(dir, 'project');
cpSync(EXAMPLE, app, { recursive: true, filter: (s) => !/\/(docs|\.env)$/.test(s) });
// Strong random secrets: milestone 3 refuses weak ones before anything changes.
const pw = randomBytes(16).toString('hex');
writeFileSync(
  join(app, '.env'),
  `POSTGRES_USER=webapp\nPOSTGRES_PASSWORD=${pw}\nPOSTGRES_DB=webapp\nDATABASE_URL=postgres://webapp:${pw}@postgres:5432/webapp\nSESSION_SECRET=${randomBytes(24).toString('hex')}\nDOMAIN=localhost\nTLS_MODE=internal\nHTTP_PORT=${port + 1}\nHTTPS_PORT=${port}\nAPP_IMAGE=${project}/app:latest\n${readFileSync(join(EXAMPLE, 'offline.env'), 'utf8')}`,
  { mode: 0o600 },
);
writeFileSync(
  join(app, 'shipproof.yaml'),
  `project: ${project}\ntargets:\n  here:\n    host: local\n    appDir: ${dir}/server\nenvFiles:\n  - path: .env\n    source: .env\nhealth:\n  - name: healthz\n    url: https://localhost:${port}/healthz\n    body: '"status":"ok"'\n    insecure: true\n  - name: readyz\n    url: https://localhost:${port}/readyz\n    body: '"db":"ok"'\n    insecure: true\ndeploy:\n  healthInterval: 1s\n  stableChecks: 2\nstateful:\n  postgres: false\n  caddy: false\n`,
);
const env = { ...process.env, NO_COLOR: '1', SHIPPROOF_HOME: join(dir, 'home') };

function shipproof(args: string[]): Promise<{ code: number | null; ms: number }> {
  const t = performance.now();
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: app, env, stdio: 'ignore' });
    c.on('close', (code) => resolve({ code, ms: performance.now() - t }));
  });
}

interface HeyFigures {
  total: number;
  failed: number;
  p50: string;
  p99: string;
  detail: string;
}

function parseHey(text: string): HeyFigures {
  const section = (name: string): string[] => {
    const at = text.indexOf(`${name}:`);
    if (at < 0) return [];
    return text.slice(at).split('\n').slice(1).filter((l, i, all) => all.slice(0, i + 1).every((x) => x.trim() !== '')).map((l) => l.trim());
  };
  let total = 0;
  let failed = 0;
  const detail: string[] = [];
  for (const l of section('Status code distribution')) {
    const m = /^\[(\d+)\]\s+(\d+) responses/.exec(l);
    if (!m) continue;
    total += Number(m[2]);
    if (!m[1]!.startsWith('2')) {
      failed += Number(m[2]);
      detail.push(`${m[2]}×${m[1]}`);
    }
  }
  for (const l of section('Error distribution')) {
    const m = /^\[(\d+)\]\s+(.*)$/.exec(l);
    if (!m) continue;
    total += Number(m[1]);
    failed += Number(m[1]);
    detail.push(`${m[1]}×${m[2]!.replace(/https:\/\/[^\s"]+/, '<url>').slice(0, 60)}`);
  }
  const pct = (p: string): string => /in ([\d.]+) secs/.exec(section('Latency distribution').find((l) => l.startsWith(`${p}%`)) ?? '')?.[1] ?? '-';
  const ms = (s: string): string => (s === '-' ? '-' : `${(Number(s) * 1000).toFixed(1)} ms`);
  return { total, failed, p50: ms(pct('50')), p99: ms(pct('99')), detail: detail.join(', ') };
}

/** hey at 200 GET/s (10 workers × 20/s) until the action is done and at least minSeconds passed. */
async function underLoad(action: () => Promise<string>): Promise<HeyFigures & { action: string }> {
  // -host: Debian's hey sends no TLS server name (SNI) unless the Host is set, and Caddy refuses a
  // handshake without one ("tls: internal error": it cannot pick the certificate).
  const hey = spawn('hey', ['-z', '600s', '-c', '10', '-q', '20', '-t', '10', '-host', 'localhost', `https://localhost:${port}/healthz`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  hey.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const ended = new Promise<void>((r) => hey.on('close', () => r()));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 3_000)); // load first, then the change
  const what = await action();
  const left = minSeconds * 1000 - (performance.now() - t0);
  await new Promise((r) => setTimeout(r, Math.max(3_000, left)));
  hey.kill('SIGINT'); // hey prints its summary on Ctrl-C
  await ended;
  return { ...parseHey(out), action: what };
}

function webLabels(): { files: string[]; workdir: string } {
  const id = execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', 'label=com.docker.compose.service=web']).toString().split('\n')[0]!;
  const labels = JSON.parse(execFileSync('docker', ['inspect', '--format', '{{json .Config.Labels}}', id]).toString()) as Record<string, string>;
  return { files: labels['com.docker.compose.project.config_files']!.split(','), workdir: labels['com.docker.compose.project.working_dir']! };
}

const rows: [string, HeyFigures & { action: string }][] = [];
try {
  const first = await shipproof(['deploy', '--yes']);
  if (first.code !== 0) throw new Error(`the first deploy failed (exit ${first.code})`);

  rows.push(['(a) code-change redeploy', await underLoad(async () => {
    appendFileSync(join(app, 'app/static/app.css'), `\n/* bench ${Date.now()} */\n`);
    const r = await shipproof(['deploy', '--yes']);
    return `deploy exit ${r.code} in ${(r.ms / 1000).toFixed(1)} s`;
  })]);

  const broken = join(app, 'app/migrations/003_broken.sql');
  rows.push(['(b) deploy that fails its gate', await underLoad(async () => {
    writeFileSync(broken, 'ALTER TABLE no_such_table ADD COLUMN x int;\n');
    const r = await shipproof(['deploy', '--yes']);
    rmSync(broken, { force: true });
    return `deploy exit ${r.code} (1 = failed and rolled back) in ${(r.ms / 1000).toFixed(1)} s`;
  })]);

  rows.push(['(c) rollback by hand', await underLoad(async () => {
    const r = await shipproof(['rollback', '--yes']);
    return `rollback exit ${r.code} in ${(r.ms / 1000).toFixed(1)} s`;
  })]);

  rows.push(['(d) control: compose up --force-recreate web', await underLoad(async () => {
    const { files, workdir } = webLabels();
    const t = performance.now();
    execFileSync('docker-compose', ['--project-name', project, '--project-directory', workdir, ...files.flatMap((f) => ['--file', f]), 'up', '--detach', '--no-deps', '--force-recreate', 'web'], { stdio: 'ignore' });
    return `recreate in ${((performance.now() - t) / 1000).toFixed(1)} s`;
  })]);
} finally {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]).toString().split('\n').filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
  const vols = execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]).toString().split('\n').filter(Boolean);
  if (vols.length) execFileSync('docker', ['volume', 'rm', '-f', ...vols], { stdio: 'ignore' });
  const nets = execFileSync('docker', ['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]).toString().split('\n').filter(Boolean);
  if (nets.length) execFileSync('docker', ['network', 'rm', ...nets], { stdio: 'ignore' });
  // By tag, never by image id: a release tag of a published image shares its id with the
  // image itself (shipproof-offline/postgres:15), and removing the id removes that image too.
  execFileSync('sh', ['-c', `docker image rm $(docker images --format '{{.Repository}}:{{.Tag}}' | grep '^shipproof-release/${project}-') ${project}/app:latest 2>/dev/null || true`], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}

console.log(`cut-over of examples/webapp under hey at 200 GET/s through Caddy (TLS), >= ${minSeconds} s each`);
for (const [name, f] of rows) {
  console.log(`  ${name.padEnd(46)} total ${String(f.total).padStart(6)}  failed ${String(f.failed).padStart(4)}  p50 ${f.p50.padStart(9)}  p99 ${f.p99.padStart(9)}  (${f.action})${f.detail ? `  failures: ${f.detail}` : ''}`);
}
console.log(`  load: ${execFileSync('uptime').toString().trim()}`);
