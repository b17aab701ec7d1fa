// `backup run` of PostgreSQL versus the raw pipeline an operator would type
// (`docker exec <c> pg_dumpall | gzip > file`) on the same machine, at growing database sizes
// (BENCH_SIZES_MB, default "256,1024": the second is at least 1 GB). Prints the throughput of each,
// their ratio (target: shipproof ≥ 0.9× raw) and shipproof's peak memory (target: flat as the
// size grows). Asserts nothing; not part of the test suite. Needs Docker and the offline images.
//   npx tsx bench/backup.ts            (BENCH_TARGET=box to go through the test sshd)
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);

/** Child mode: one backup run, then its wall time and this process's peak RSS as JSON. */
async function child(dir: string, targetName: string): Promise<void> {
  const { loadConfig, resolveTargetName } = await import('../src/config/load.js');
  const { createTarget } = await import('../src/targets/create.js');
  const { Docker } = await import('../src/docker/docker.js');
  const { runBackups } = await import('../src/backup/index.js');
  const config = await loadConfig({ cwd: dir });
  const target = resolveTargetName(config, targetName);
  const host = createTarget(target);
  const started = performance.now();
  const r = await runBackups({ config, target, host, docker: new Docker(host), prune: false, offsite: false });
  const ms = performance.now() - started;
  await host.close();
  const b = r.backups[0];
  process.stdout.write(`${JSON.stringify({ ok: r.ok, reason: b?.reason, ms, bytes: b?.manifest?.bytes, rawBytes: b?.manifest?.rawBytes, maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES_MB ?? '256,1024').split(',').map(Number);
  const targetName = process.env.BENCH_TARGET ?? 'local';
  const project = `spbenchbk${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'shipproof-bench-backup-'));
  const app = join(dir, 'app');
  mkdirSync(app, { recursive: true });
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  db:\n    image: shipproof-offline/postgres:15\n    environment:\n      POSTGRES_PASSWORD: bench-only\n    volumes: ["db:/var/lib/postgresql/data"]\nvolumes:\n  db:\n');
  let targets = `targets:\n  local:\n    host: local\n    appDir: ${app}\n`;
  if (targetName !== 'local') {
    const { requireTestEnv } = await import('../test/helpers/test-env.js');
    const env = requireTestEnv();
    targets += `  ${targetName}:\n    host: ssh://${env.sshUser}@${env.sshHost}:${env.sshPort}\n    identity: ${env.sshKey}\n    knownHosts: ${env.knownHosts}\n    appDir: ${app}\n`;
  }
  writeFileSync(join(dir, 'shipproof.yaml'), `project: ${project}\n${targets}`);
  const compose = (...args: string[]) => execFileSync('docker-compose', ['--project-name', project, '--file', join(dir, 'compose.yaml'), ...args], { stdio: 'pipe' });
  const container = `${project}_db_1`;
  const psql = (sql: string) => execFileSync('docker', ['exec', container, 'psql', '-X', '-q', '-A', '-t', '-U', 'postgres', '-c', sql], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  compose('up', '--detach');
  try {
    for (let i = 0; i < 120; i++) {
      try {
        psql('select 1');
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    psql('create table bulk(id bigint, a text, b text, n numeric)');
    console.log(`PostgreSQL backup benchmark (${targetName} target), ${new Date().toISOString()}`);
    console.log('size_MB  raw_s   raw_MB/s  tool_s  tool_MB/s  ratio  tool_peak_RSS_MB  file_MB');
    let next = 0;
    for (const mb of sizes) {
      // Grow the table until the database reaches the size (text that compresses like real rows).
      while (Number(psql("select pg_database_size('postgres')")) < mb * 1e6) {
        psql(`insert into bulk select g, md5(g::text) || ' ' || repeat(chr(97 + (g % 26)), 20), 'user' || (g % 9973) || '@example.com', g * 1.37 from generate_series(${next + 1}, ${next + 500_000}) g`);
        next += 500_000;
      }
      psql('vacuum analyze bulk');
      const dbBytes = Number(psql("select sum(pg_database_size(datname)) from pg_database where not datistemplate"));
      const rawFile = join(dir, 'raw.sql.gz');
      // Alternate the two and keep the best of each: other work on the machine only slows runs down.
      let rawS = Infinity;
      let rawFileBytes = 0;
      let r = { ok: false, ms: Infinity, bytes: 0, maxRssKb: 0 } as { ok: boolean; reason?: string; ms: number; bytes: number; maxRssKb: number };
      for (let round = 0; round < rounds; round++) {
        const t0 = performance.now();
        await run('bash', ['-o', 'pipefail', '-c', `docker exec ${container} pg_dumpall -U postgres | gzip > ${rawFile}`], { maxBuffer: 1 << 20 });
        rawS = Math.min(rawS, (performance.now() - t0) / 1000);
        rawFileBytes = statSync(rawFile).size;
        rmSync(rawFile);
        const out = await new Promise<string>((resolve, reject) => {
          const p = spawn(process.execPath, ['--import', 'tsx', SELF, '--child', dir, targetName], { stdio: ['ignore', 'pipe', 'inherit'] });
          let text = '';
          p.stdout.on('data', (d: Buffer) => (text += d.toString()));
          p.on('error', reject);
          p.on('close', () => resolve(text));
        });
        const one = JSON.parse(out.trim().split('\n').pop() ?? '{}') as typeof r;
        if (!one.ok) throw new Error(`the backup failed: ${one.reason ?? '?'}`);
        if (one.ms < r.ms) r = { ...one, maxRssKb: Math.max(one.maxRssKb, r.maxRssKb) };
        else r.maxRssKb = Math.max(one.maxRssKb, r.maxRssKb);
        rmSync(join(app, 'backups'), { recursive: true, force: true });
      }
      const toolS = r.ms / 1000;
      const size = dbBytes / 1e6;
      console.log(
        [
          size.toFixed(0).padStart(7),
          rawS.toFixed(1).padStart(6),
          (size / rawS).toFixed(1).padStart(9),
          toolS.toFixed(1).padStart(7),
          (size / toolS).toFixed(1).padStart(10),
          (rawS / toolS).toFixed(2).padStart(6),
          (r.maxRssKb / 1024).toFixed(0).padStart(17),
          `${(r.bytes / 1e6).toFixed(0)} (raw pipeline ${(rawFileBytes / 1e6).toFixed(0)})`.padStart(9),
        ].join('  '),
      );
    }
    console.log(`ratio = raw time / shipproof time, best of ${rounds} each (≥ 0.9 is the target); peak RSS is the whole shipproof process, Node and tsx included.`);
  } finally {
    compose('down', '--volumes', '--timeout', '1');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3] as string, process.argv[4] as string);
else await main();
