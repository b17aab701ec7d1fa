import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { classifyKeyName, createRedactingStream, Redactor, redactingWriter } from '../../src/redact/index.js';
import type { RedactingStreamOptions } from '../../src/redact/index.js';
import { buildCorpus, harmlessText, leaksIn, prng } from '../helpers/redact-corpus.js';

const corpus = buildCorpus();

function corpusRedactor(): Redactor {
  const r = new Redactor();
  r.addSecretsFromEnvFile(corpus.envProd, 'env:.env.prod');
  r.addSecretsFromEnvFile(corpus.containerEnv, 'env:web', { include: (key) => classifyKeyName(key).secret });
  return r;
}

/** Streams the chunks through a redacting stream and returns everything that came out. */
async function streamThrough(r: Redactor, chunks: readonly (Buffer | string)[], options: RedactingStreamOptions = {}): Promise<string> {
  const stream = createRedactingStream(r, options);
  const out: Buffer[] = [];
  stream.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  for (const c of chunks) stream.write(c);
  stream.end();
  await ended;
  return Buffer.concat(out).toString('utf8');
}

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts, buf.length]) {
    pieces.push(buf.subarray(prev, c));
    prev = c;
  }
  return pieces;
}

function randomChunks(buf: Buffer, rnd: () => number, maxSize: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const size = 1 + Math.floor(rnd() * maxSize);
    pieces.push(buf.subarray(pos, pos + size));
    pos += size;
  }
  return pieces;
}

const byName = (name: string) => {
  const p = corpus.planted.find((x) => x.name === name);
  if (p === undefined) throw new Error(`no planted secret named ${name}`);
  return p;
};

describe('createRedactingStream: every chunk boundary', () => {
  const cases = [
    byName('DB_PASSWORD plain in a log line'),
    byName('SMTP_PASSWORD docker inspect JSON'),
    byName('LONG_TOKEN echo | base64'),
    byName('TLS_PRIVATE_KEY plain in a log line'),
    byName('pem ec sec1'),
    byName('OAUTH_CLIENT_SECRET embedded base64 at alignment 1'),
    byName('jwt in JSON'),
    byName('postgres url credentials'),
    byName('assignment "api_key": "'),
  ];
  for (const p of cases) {
    it(`${p.name}: split in two at every byte gives the same text as redact()`, async () => {
      const r = corpusRedactor();
      const input = `${harmlessText().split('\n').slice(0, 3).join('\n')}\n${p.context}\nafter line\n`;
      const expected = r.redact(input).text;
      expect(leaksIn(expected, p.needles)).toEqual([]);
      const bytes = Buffer.from(input, 'utf8');
      for (let cut = 1; cut < bytes.length; cut++) {
        const out = await streamThrough(r, splitAt(bytes, [cut]));
        if (out !== expected) {
          // Report the first failing cut with the leak, not a 2 kB diff.
          expect({ cut, leaks: leaksIn(out, p.needles), same: false }).toEqual({ cut, leaks: [], same: true });
        }
      }
    });
  }

  it('keeps a multi-byte secret split inside a UTF-8 character', async () => {
    const r = new Redactor();
    r.addSecret('pässwörd-日本語-✓', 'env:X');
    const input = 'a ✓ line\nkey pässwörd-日本語-✓ end ✓\n';
    const bytes = Buffer.from(input, 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      for (let cut2 = cut + 1; cut2 < bytes.length; cut2 += 3) {
        expect(await streamThrough(r, splitAt(bytes, [cut, cut2]))).toBe('a ✓ line\nkey [REDACTED:known:env:X] end ✓\n');
      }
    }
  });
});

describe('createRedactingStream: random chunkings of the whole corpus', () => {
  const doc = [harmlessText(), ...corpus.planted.map((p) => p.context), harmlessText(8), ''].join('\n');
  const bytes = Buffer.from(doc, 'utf8');

  it('gives the same text as redact() for 30 random chunkings, small and large', async () => {
    const r = corpusRedactor();
    const expected = r.redact(doc).text;
    expect(corpus.planted.flatMap((p) => leaksIn(expected, p.needles))).toEqual([]);
    const rnd = prng(99);
    for (let i = 0; i < 30; i++) {
      const maxSize = i % 3 === 0 ? 16 : i % 3 === 1 ? 700 : 20000;
      const out = await streamThrough(r, randomChunks(bytes, rnd, maxSize));
      expect(out.length).toBe(expected.length);
      expect(out === expected).toBe(true);
    }
  });

  it('one byte at a time', async () => {
    const r = corpusRedactor();
    const pieces = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const out = await streamThrough(r, pieces);
    expect(corpus.planted.flatMap((p) => leaksIn(out, p.needles))).toEqual([]);
    expect(out === r.redact(doc).text).toBe(true);
  });
});

describe('createRedactingStream: holding back', () => {
  function collector(r: Redactor, options: RedactingStreamOptions = {}) {
    const stream = createRedactingStream(r, options);
    const out: string[] = [];
    stream.on('data', (c: Buffer) => out.push(c.toString('utf8')));
    return { stream, text: () => out.join('') };
  }

  it('lets whole lines out at once when nothing could be a secret', () => {
    const { stream, text } = collector(new Redactor());
    stream.write('Deploying web...\n');
    expect(text()).toBe('Deploying web...\n');
    stream.write('partial line without newline');
    expect(text()).toBe('Deploying web...\n');
  });

  it('holds an unfinished PEM block until its END line, then redacts it whole', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const lines = pem.trimEnd().split('\n');
    const { stream, text } = collector(new Redactor());
    stream.write('$ cat id_rsa\n');
    for (const line of lines.slice(0, -1)) {
      stream.write(`${line}\n`);
      expect(text()).toBe('$ cat id_rsa\n');
    }
    stream.write(`${lines[lines.length - 1]}\nok\n`);
    expect(text()).toBe('$ cat id_rsa\n[REDACTED:pem-private-key]\nok\n');
  });

  it('past the hold limit, redacts the block so far and every further body line', async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const r = new Redactor();
    const lines = pem.trimEnd().split('\n').map((l) => `${l}\n`);
    const out = await streamThrough(r, ['start\n', ...lines, 'after\n'], { pemHoldLimit: 300 });
    const body = pem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
    expect(leaksIn(out, body)).toEqual([]);
    expect(out.startsWith('start\n[REDACTED:pem-private-key]')).toBe(true);
    expect(out.endsWith('[REDACTED:pem-private-key]\nafter\n')).toBe(true);
    expect(r.stats().byRule.find((h) => h.rule === 'pem-private-key')?.count).toBeGreaterThanOrEqual(2);
  });

  it('holds back only the tail that could begin a registered value', () => {
    const r = new Redactor();
    r.addSecret('zebra-secret-123', 'k');
    const { stream, text } = collector(r);
    stream.write('line one\nthe zebra-sec');
    expect(text()).toBe('line one\n');
    stream.write('ret-123 done\n');
    expect(text()).toBe('line one\nthe [REDACTED:known:k] done\n');
  });

  it('a value spanning lines keeps every line it touches back until it is complete', () => {
    const r = new Redactor();
    r.addSecret('first-line-x\nsecond-line-y', 'multi');
    const { stream, text } = collector(r);
    stream.write('a\nfirst-line-x\n');
    expect(text()).toBe('a\n');
    stream.write('second-line-y\nb\n');
    expect(text()).toBe('a\n[REDACTED:known:multi]\nb\n');
  });

  it('flushPending lets a prompt without newline out, redacted', () => {
    const r = new Redactor();
    r.addSecret('prompt-secret-9', 'k');
    const { stream, text } = collector(r);
    stream.write('Use prompt-secret-9? [y/N] ');
    expect(text()).toBe('');
    stream.flushPending();
    expect(text()).toBe('Use [REDACTED:known:k]? [y/N] ');
  });

  it('splits a line longer than maxLineLength without cutting through a secret', async () => {
    const r = new Redactor();
    r.addSecret('needle-secret-77', 'k');
    const rnd = prng(3);
    const filler = (n: number) => Array.from({ length: n }, () => 'abcdefgh '[Math.floor(rnd() * 9)]).join('');
    const line = `${filler(3000)}needle-secret-77${filler(3000)}needle-secret-77${filler(100)}`;
    const out = await streamThrough(r, randomChunks(Buffer.from(line), rnd, 97), { maxLineLength: 256, pemHoldLimit: 256 });
    expect(out).not.toContain('needle-secret-77');
    expect(out.split('[REDACTED:known:k]').length).toBe(3);
  });
});

describe('redactingWriter', () => {
  function sink() {
    const chunks: string[] = [];
    const target = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString('utf8'));
        cb();
      },
    });
    return { target, text: () => chunks.join('') };
  }

  it('redacts what is written across several writes and leaves the target open', async () => {
    const r = new Redactor();
    r.addSecret('writer-secret-value', 'env:.env:W');
    const { target, text } = sink();
    const w = redactingWriter(r, target);
    w.write('x writer-sec');
    w.write('ret-value y\n');
    w.end('tail AKIAABCDEFGHIJKLMNOP');
    await new Promise((resolve) => w.on('end', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(text()).toBe('x [REDACTED:known:env:.env:W] y\ntail [REDACTED:aws-access-key-id]');
    expect(target.writableEnded).toBe(false);
  });

  it('ends the target when asked', async () => {
    const { target } = sink();
    const w = redactingWriter(new Redactor(), target, { end: true });
    const finished = new Promise((resolve) => target.on('finish', resolve));
    w.end('bye\n');
    await finished;
    expect(target.writableEnded).toBe(true);
  });
});
