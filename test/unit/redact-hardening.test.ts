// Issue 10: JSON output keeps its structure under redaction (property test), a rejected key=value
// no longer hides the token= inside it, variable references are not secrets, BOM env files parse,
// approvals and every record pass through one sealing rule, and the weak-secret rules.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEnvValues, redactedJson, Redactor } from '../../src/redact/index.js';
import { secretWeakness } from '../../src/redact/secret-strength.js';
import { envFileCommand, parseEnvReport } from '../../src/probes/env-files.js';
import { currentHolder } from '../../src/deploy/lock.js';
import { claimedForms, leaksIn, prng, randomString } from '../helpers/redact-corpus.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The shape of a JSON value: keys, array lengths and types, not string contents. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') return Object.keys(v).map((k, i) => [i, shape((v as Record<string, unknown>)[k])]);
  return typeof v;
}

describe('JSON output under redaction (property test)', () => {
  const nasty = ['"', '\\', '\\"', '\n', '\r\n', '\t', '\\n', ':', '=', ' ', "'", '${', '}', '\u2028', '{', '[', ','];
  const keys = ['password', 'token', 'db_password', 'note', 'cmd', 'MYSQL_PWD', 'url', 'api_key', 'api_token', 'x'];

  it('JSON.parse of redacted output has the same shape, for 400 random documents with planted secrets', () => {
    const rnd = prng(0x10);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    for (let round = 0; round < 400; round++) {
      const r = new Redactor();
      const secret = randomString(rnd, 16 + Math.floor(rnd() * 20));
      r.addSecret(secret, 'env:.env:SECRET');
      const piece = (): string => {
        const parts: string[] = [];
        const n = 1 + Math.floor(rnd() * 8);
        for (let i = 0; i < n; i++) {
          const c = rnd();
          if (c < 0.35) parts.push(pick(nasty));
          else if (c < 0.5) parts.push(secret);
          else if (c < 0.65) parts.push(`${pick(keys)}=${pick(['', '"', '\\"', '\\\\\\"', '%22'])}${randomString(rnd, 12 + Math.floor(rnd() * 12))}${pick(['', '"', '\\"', '\\\\\\"', '%22'])}`);
          else if (c < 0.75) parts.push(`${pick(keys)}: "${randomString(rnd, 20)}\\"`);
          else if (c < 0.82) parts.push('MYSQL_PWD="${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}" mariadb');
          else parts.push(randomString(rnd, 1 + Math.floor(rnd() * 10)));
        }
        return parts.join('');
      };
      const doc: Record<string, unknown> = {};
      for (let i = 0; i < 1 + Math.floor(rnd() * 5); i++) {
        doc[`${pick(keys)}${i}`] = rnd() < 0.3 ? [piece(), { [pick(keys)]: piece() }, 3] : piece();
      }
      const indent = rnd() < 0.5 ? 2 : 0;
      const text = redactedJson(doc, indent, r);
      let parsed: unknown;
      expect(() => (parsed = JSON.parse(text)), text).not.toThrow();
      expect(shape(parsed)).toEqual(shape(doc));
      expect(leaksIn(text, claimedForms(secret))).toEqual([]);
      // Redacting the parsed output again changes nothing: markers are opaque.
      expect(redactedJson(parsed, indent, r)).toBe(text);
    }
  });

  it('the MariaDB probe command is not a secret, in text or in JSON', () => {
    const r = new Redactor();
    const cmd = 'MYSQL_PWD="${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}" mariadb -uroot -N -B -e "select version()"';
    expect(r.scan(cmd)).toEqual([]);
    expect(JSON.parse(redactedJson({ argv: ['sh', '-c', cmd] }, 2, r))).toEqual({ argv: ['sh', '-c', cmd] });
  });
});

describe('the pattern rules keep looking after a rejected candidate', () => {
  const r = new Redactor();
  const token = 'Zk3q9XvB7mPq2LwT8rN5';
  it.each([
    [`url: https://h.example/health?token=${token}`],
    [`healthcheck=http://localhost/readyz?x=1&token=${token}`],
    [`x:password=${token}a`],
    [`note=see;password=${token}`],
  ])('%s', (line) => {
    const out = r.redact(line).text;
    expect(out).not.toContain(token);
    expect(out).toContain('[REDACTED:secret-assignment]');
  });
  it('a plain URL with an ordinary query stays readable', () => {
    expect(r.redact('url: https://h.example/health?page=2&sort=name').text).toBe('url: https://h.example/health?page=2&sort=name');
  });
});

describe('env files with a UTF-8 byte order mark', () => {
  it('the first key is read locally', () => {
    expect(parseEnvValues('\ufeffAPI_KEY=abc123def456\nB=2\n').map((e) => e.key)).toEqual(['API_KEY', 'B']);
  });
  it('the first key is read by the server-side key check (milestone 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipproof-bom-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'app.env'), '\ufeffAPI_KEY=abc\nEMPTY=\n');
    const [cmd, ...args] = envFileCommand(join(dir, 'app.env'));
    const report = parseEnvReport(execFileSync(cmd as string, args, { encoding: 'utf8' }));
    expect([...report.keys]).toEqual([['API_KEY', 'set'], ['EMPTY', 'empty']]);
  });
});

describe('the deploy lock holder', () => {
  it('keeps a secret typed into --message out of holder.json', () => {
    const holder = currentHolder('r-1', 'hotfix, api_token=Zk3q9XvB7mPq2LwT8rN5 rotated');
    expect(JSON.stringify(holder)).not.toContain('Zk3q9XvB7mPq2LwT8rN5');
  });
});

describe('secretWeakness', () => {
  const names = ['umami', 'web', 'postgres', 'ghcr.io', 'acme', 'app'];
  it.each([
    ['', 'is empty'],
    ['change-me', 'is a placeholder'],
    ['changeme', 'is a placeholder'],
    ['replace-me-with-a-real-one', 'is a placeholder'],
    ['password', "is a placeholder|is the key's own name"],
    ['secret', 'is a placeholder'],
    ['example', 'is a placeholder'],
    ['<your password>', 'is a placeholder'],
    ['DB_PASSWORD', "is the key's own name"],
    ['umami', 'equals a name'],
    ['mam', 'is part of a name'],
    ['qwerty', 'is a common password'],
    ['s3Cr!t', 'is shorter than 12'],
    ['abababababababab', 'is too regular'],
  ])('%j %s', (value, reason) => {
    const why = secretWeakness('DB_PASSWORD', value, names);
    expect(why).toMatch(new RegExp(reason));
    if (value.length > 3) expect(why).not.toContain(value);
  });
  it('accepts a strong value and a variable reference', () => {
    expect(secretWeakness('DB_PASSWORD', 'Zk3q9XvB7mPq2LwT8rN5', names)).toBeUndefined();
    expect(secretWeakness('DB_PASSWORD', '${DB_PASSWORD}', names)).toBeUndefined();
  });
});

describe('a secret assignment quoted inside an escaped or encoded string', () => {
  const token = 'Zk3q9XvB7mPq2LwT8rN5';
  const r = new Redactor();
  it.each([
    ['JSON-escaped, as a logged command line shows it', `curl -d api_token=\\"${token}\\" https://h.example/x`],
    ['escaped twice (a JSON string inside a JSON string)', `api_token=\\\\\\"${token}\\\\\\"`],
    ['an escaped JSON object inside a string', `{\\"api_token\\": \\"${token}\\", \\"page\\": 2}`],
    ['URL-encoded value quotes', `api_token=%22${token}%22`],
    ['URL-encoded all through', `cmd%3Dcurl%20-d%20api_token%3D%22${token}%22`],
    ['URL-encoded JSON', `%7B%22api_token%22%3A%22${token}%22%7D`],
    ['inside a rejected candidate', `cmd="sh -c 'run --x api_token=\\"${token}\\"'"`],
  ])('%s', (_what, line) => {
    const out = r.redact(line).text;
    expect(out).not.toContain(token);
    expect(out).toContain('[REDACTED:secret-assignment]');
  });

  it('keeps the escapes around the value, so the escaped string still reads back', () => {
    expect(r.redact(`api_token=\\"${token}\\" next`).text).toBe('api_token=\\"[REDACTED:secret-assignment]\\" next');
  });

  it('in serialised JSON (the raw, escaped and twice-escaped forms): parses to the same shape, the token gone', () => {
    for (const cmd of [`api_token="${token}"`, `api_token=\\"${token}\\"`, `run -e 'api_token=\\\\\\"${token}\\\\\\"'`, JSON.stringify({ api_token: token })]) {
      const doc = { argv: ['sh', '-c', cmd], nested: { log: JSON.stringify({ cmd }) } };
      const text = redactedJson(doc, 2, r);
      const parsed = JSON.parse(text) as typeof doc;
      expect(shape(parsed)).toEqual(shape(doc));
      expect(text).not.toContain(token);
      expect(redactedJson(parsed, 2, r)).toBe(text);
    }
  });

  it('still leaves ordinary escaped values and variable references alone', () => {
    for (const line of ['page=\\"2\\" sort=\\"name\\"', 'api_token=\\"$API_TOKEN\\"', 'MYSQL_PWD=\\"${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}\\" mariadb', 'name%3D%22web%22']) {
      expect(r.redact(line).text).toBe(line);
    }
  });
});
