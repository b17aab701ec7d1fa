// How fast the redactor is on a large input: 5 MB of log lines against 1000 known secrets, in one
// call and streamed in 64 KiB chunks. Prints figures; asserts nothing (test/unit/redact-perf.test.ts
// checks the results are right).
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { createRedactingStream, Redactor } from '../src/redact/index.js';
import { prng, randomString } from '../test/helpers/redact-corpus.js';

const rnd = prng(1234);
const secrets = Array.from({ length: 1000 }, (_, i) => randomString(rnd, 10 + (i % 40), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!@%+/= '));
const lines: string[] = [];
let size = 0;
for (let i = 0; size < 5 * 1024 * 1024; i++) {
  const digest = createHash('sha256').update(String(i)).digest('hex');
  const line = i % 40 === 0 ? `web-1 | config ${secrets[i % 1000]}\n` : `web-1 | GET /api/items/${i} 200 sha256:${digest}\n`;
  lines.push(line);
  size += line.length;
}
const text = lines.join('');
const r = new Redactor();
secrets.forEach((s, i) => r.addSecret(s, `env:.env:KEY_${i}`));

let t = performance.now();
r.redact(text);
const whole = performance.now() - t;

t = performance.now();
const stream = createRedactingStream(r);
stream.resume();
const ended = new Promise((resolve) => stream.on('end', resolve));
const bytes = Buffer.from(text);
for (let pos = 0; pos < bytes.length; pos += 65536) stream.write(bytes.subarray(pos, pos + 65536));
stream.end();
await ended;
const streamed = performance.now() - t;

console.log(`redact 5 MB, 1000 secrets: ${whole.toFixed(0)} ms in one call, ${streamed.toFixed(0)} ms streamed in 64 KiB chunks (load ${loadavg()[0]?.toFixed(1)})`);
