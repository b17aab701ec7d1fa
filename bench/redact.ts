// Redaction throughput: 5 MB of log lines against 1000 known secrets, whole-text redact() beside
// the 64 KiB-chunked stream, and a plain scan of the same text for scale. Prints figures; asserts nothing.
import { createHash } from 'node:crypto';
import { createRedactingStream, Redactor } from '../src/redact/index.js';
import { prng, randomString } from '../test/helpers/redact-corpus.js';

const MB = Number(process.env.BENCH_MB ?? 5);
const rnd = prng(1234);
const secrets = Array.from({ length: 1000 }, (_, i) =>
  randomString(rnd, 10 + (i % 40), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!@%+/= '),
);
const lines: string[] = [];
let size = 0;
for (let i = 0; size < MB * 1024 * 1024; i++) {
  const digest = createHash('sha256').update(String(i)).digest('hex');
  const line =
    i % 40 === 0
      ? `2024-05-01T10:00:00Z web-1 | config ${secrets[i % 1000]} b64=${Buffer.from(secrets[(i + 1) % 1000] as string).toString('base64')}\n`
      : `2024-05-01T10:00:00Z web-1 | GET /api/items/${i} 200 sha256:${digest} path=/srv/app/releases/${i}/compose.yaml user=deploy\n`;
  lines.push(line);
  size += line.length;
}
const text = lines.join('');
const redactor = new Redactor();
secrets.forEach((s, i) => redactor.addSecret(s, `env:.env:KEY_${i}`));

function time(label: string, fn: () => void): void {
  const started = performance.now();
  fn();
  const ms = performance.now() - started;
  console.log(`${label.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  ${((size / 1024 / 1024) / (ms / 1000)).toFixed(1)} MB/s`);
}

console.log(`${MB} MB, 1000 secrets`);
time('baseline: split lines + indexOf', () => {
  let n = 0;
  for (const l of text.split('\n')) if (l.indexOf('config') >= 0) n++;
  if (n < 0) console.log(n);
});
time('redact() whole text', () => void redactor.redact(text));
const bytes = Buffer.from(text);
const started = performance.now();
const stream = createRedactingStream(redactor);
stream.on('data', () => undefined);
stream.on('end', () => {
  const ms = performance.now() - started;
  console.log(`${'stream, 64 KiB chunks'.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  ${((size / 1024 / 1024) / (ms / 1000)).toFixed(1)} MB/s`);
});
for (let pos = 0; pos < bytes.length; pos += 65536) stream.write(bytes.subarray(pos, pos + 65536));
stream.end();
