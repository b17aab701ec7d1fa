import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRedactingStream, Redactor } from '../../src/redact/index.js';
import { prng, randomString } from '../helpers/redact-corpus.js';

// Redaction of a large log against many secrets: the results only. How fast it runs is a figure
// printed by bench/redact.ts, never a timed assert (a loaded CI machine would make it flaky).
describe('redaction at scale', () => {
  const rnd = prng(1234);
  const secrets = Array.from({ length: 1000 }, (_, i) =>
    randomString(rnd, 10 + (i % 40), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!@%+/= '),
  );
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 5 * 1024 * 1024; i++) {
    const digest = createHash('sha256').update(String(i)).digest('hex');
    const line =
      i % 40 === 0
        ? `2024-05-01T10:00:00Z web-1 | config ${secrets[i % 1000]} b64=${Buffer.from(secrets[(i + 1) % 1000] as string).toString('base64')}\n`
        : `2024-05-01T10:00:00Z web-1 | GET /api/items/${i} 200 sha256:${digest} path=/srv/app/releases/${i}/compose.yaml user=deploy\n`;
    lines.push(line);
    size += line.length;
  }
  const text = lines.join('');

  function redactorWithSecrets(): Redactor {
    const r = new Redactor();
    secrets.forEach((s, i) => r.addSecret(s, `env:.env:KEY_${i}`));
    return r;
  }

  it('redacts 5 MB against 1000 secrets, every planted value and its base64 gone, the rest kept', () => {
    const r = redactorWithSecrets();
    const out = r.redact(text).text;
    for (let i = 0; i < 1000; i += 40) {
      expect(out.includes(secrets[i] as string)).toBe(false);
      expect(out.includes(Buffer.from(secrets[(i + 1) % 1000] as string).toString('base64'))).toBe(false);
    }
    expect(out).toContain(`sha256:${createHash('sha256').update('1').digest('hex')}`);
  }, 120_000);

  it('streams 5 MB in 64 KiB chunks against 1000 secrets with the same result as redact()', async () => {
    const r = redactorWithSecrets();
    const bytes = Buffer.from(text);
    const stream = createRedactingStream(r);
    const out: Buffer[] = [];
    stream.on('data', (c: Buffer) => out.push(c));
    const ended = new Promise((resolve) => stream.on('end', resolve));
    for (let pos = 0; pos < bytes.length; pos += 65536) stream.write(bytes.subarray(pos, pos + 65536));
    stream.end();
    await ended;
    expect(Buffer.concat(out).toString('utf8') === r.redact(text).text).toBe(true);
  }, 120_000);
});
