// S3 upload of a backup-sized file: shipproof's streamed multipart upload (the path `backup run`
// takes to an S3 off-site: read from the target, parts with Content-MD5, through this process)
// versus `rclone copy` (Debian's rclone) to the same radosgw, at growing sizes (BENCH_SIZES_MB,
// default "256,1024": the second is at least 1 GB). Prints each throughput, their ratio (target:
// shipproof ≥ 0.9× rclone), shipproof's peak RSS (target: flat as the size grows) and the time of
// the streamed read-back shipproof does after every upload. Asserts nothing; not a test.
// Needs the test S3 server (scripts/setup/ceph-s3.sh).  npx tsx bench/s3-upload.ts
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ENV_FILE = `${process.env.SHIPPROOF_TEST_HOME ?? '/var/lib/shipproof-test'}/s3.env`;
const env = Object.fromEntries(
  readFileSync(ENV_FILE, 'utf8')
    .split('\n')
    .flatMap((l) => (/^([A-Z0-9_]+)=(.*)$/.exec(l.trim()) ? [[RegExp.$1, RegExp.$2]] : [])),
) as Record<string, string>;
const BUCKET = process.env.BENCH_BUCKET ?? `sp-bench-${process.pid}`;
const dest = { endpoint: env['SHIPPROOF_TEST_S3_ENDPOINT'] as string, bucket: BUCKET, prefix: 'bench/', region: 'us-east-1', forcePathStyle: true, partSizeMiB: 16 };

/** Child mode: upload the file through a LocalTarget stream, then read it back; timings and peak RSS as JSON. */
async function child(file: string, key: string): Promise<void> {
  const { LocalTarget } = await import('../src/targets/local.js');
  const { openS3 } = await import('../src/backup/s3/client.js');
  const { uploadStream, readBack } = await import('../src/backup/s3/transfer.js');
  const { PassThrough } = await import('node:stream');
  const h = await openS3(dest, { env: { AWS_ACCESS_KEY_ID: env['AWS_ACCESS_KEY_ID'], AWS_SECRET_ACCESS_KEY: env['AWS_SECRET_ACCESS_KEY'] } });
  const host = new LocalTarget();
  const t0 = performance.now();
  const pass = new PassThrough({ highWaterMark: 1 << 20 });
  const reading = host.getStream(file, pass);
  const up = await uploadStream(h, key, pass, { partSize: dest.partSizeMiB * 1_048_576, concurrency: 4 });
  await reading;
  const uploadMs = performance.now() - t0;
  const t1 = performance.now();
  const back = await readBack(h, key);
  const readBackMs = performance.now() - t1;
  process.stdout.write(JSON.stringify({ uploadMs, readBackMs, bytes: up.bytes, parts: up.parts, sha256: up.sha256, backSha256: back.sha256, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

function makeFile(path: string, mb: number): Promise<string> {
  // Incompressible, like a gzip or age backup; hashed as written.
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path);
    const h = createHash('sha256');
    const block = Buffer.alloc(1 << 20);
    let i = 0;
    const write = (): void => {
      while (i < mb) {
        for (let j = 0; j < block.length; j += 4) block.writeUInt32LE((Math.imul(i * 262_147 + j, 2_654_435_761) ^ (j * 40_503)) >>> 0, j);
        h.update(block);
        i++;
        if (!out.write(block)) return void out.once('drain', write);
      }
      out.end(() => resolve(h.digest('hex')));
    };
    out.on('error', reject);
    write();
  });
}

function timed(cmd: string, args: string[], extraEnv: Record<string, string>): Promise<{ ms: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // A CA bundle for https proxies makes rclone refuse its plain-http transport; the endpoint is local http.
    const { AWS_CA_BUNDLE: _ca, ...base } = process.env;
    const p = spawn(cmd, args, { env: { ...base, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - t0, out, err }) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-500)}`))));
  });
}

async function main(): Promise<void> {
  const [, , mode, a, b] = process.argv;
  if (mode === '--child') return child(a as string, b as string);
  const sizes = (process.env.BENCH_SIZES_MB ?? '256,1024').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'sp-bench-s3-'));
  const rcloneConf = join(dir, 'rclone.conf');
  // rclone reads its keys from the environment too (never argv).
  writeFileSync(rcloneConf, `[rgw]\ntype = s3\nprovider = Ceph\nenv_auth = true\nendpoint = ${dest.endpoint}\nforce_path_style = true\n`, { mode: 0o600 });
  const keys = { AWS_ACCESS_KEY_ID: env['AWS_ACCESS_KEY_ID'] as string, AWS_SECRET_ACCESS_KEY: env['AWS_SECRET_ACCESS_KEY'] as string };
  const uptime = execFileSync('uptime').toString().trim();
  console.log(`S3 upload to radosgw ${dest.endpoint}, part size ${dest.partSizeMiB} MiB; load: ${uptime.replace(/.*load/, 'load')}`);
  try {
    await timed('rclone', ['--config', rcloneConf, 'mkdir', `rgw:${BUCKET}`], keys);
    console.log('size MB | shipproof MB/s | rclone MB/s | ratio | shipproof peak RSS MB | rclone peak RSS MB | read-back MB/s');
    for (const mb of sizes) {
      const file = join(dir, `f-${mb}.bin`);
      const sha = await makeFile(file, mb);
      // rclone first, then shipproof, so neither always gets the warmer server.
      const r = await timed('/usr/bin/time', ['-f', '%M', 'rclone', '--config', rcloneConf, 'copy', '--s3-chunk-size', '16M', '--s3-upload-concurrency', '4', file, `rgw:${BUCKET}/rclone/`], keys);
      const rcloneRss = Number(r.err.trim().split('\n').pop()) / 1024;
      await timed('rclone', ['--config', rcloneConf, 'delete', `rgw:${BUCKET}/rclone/`], keys);
      const s = await timed(process.execPath, ['--import', 'tsx', SELF, '--child', file, `bench/f-${mb}.bin`], { BENCH_BUCKET: BUCKET });
      const j = JSON.parse(s.out) as { uploadMs: number; readBackMs: number; bytes: number; sha256: string; backSha256: string; peakRssMb: number };
      if (j.sha256 !== sha || j.backSha256 !== sha) throw new Error('sha256 mismatch in the benchmark');
      await timed('rclone', ['--config', rcloneConf, 'delete', `rgw:${BUCKET}/bench/`], keys);
      const ours = mb / (j.uploadMs / 1000);
      const theirs = mb / (r.ms / 1000);
      console.log(`${mb} | ${ours.toFixed(1)} | ${theirs.toFixed(1)} | ${(ours / theirs).toFixed(2)} | ${j.peakRssMb.toFixed(0)} | ${rcloneRss.toFixed(0)} | ${(mb / (j.readBackMs / 1000)).toFixed(1)}`);
      rmSync(file);
    }
  } finally {
    await timed('rclone', ['--config', rcloneConf, 'purge', `rgw:${BUCKET}`], keys).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
