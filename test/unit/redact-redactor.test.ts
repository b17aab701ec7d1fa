import { describe, expect, it } from 'vitest';
import { ShipproofError } from '../../src/errors.js';
import { assertNoSecrets, classifyKeyName, Redactor, redactor as processRedactor, redactText } from '../../src/redact/index.js';
import { buildCorpus, harmlessText, leaksIn } from '../helpers/redact-corpus.js';

const corpus = buildCorpus();

function corpusRedactor(): Redactor {
  const r = new Redactor();
  r.addSecretsFromEnvFile(corpus.envProd, 'env:.env.prod');
  r.addSecretsFromEnvFile(corpus.containerEnv, 'env:web', { include: (key) => classifyKeyName(key).secret });
  return r;
}

describe('Redactor: planted secrets', () => {
  it('plants at least 50 distinct secrets', () => {
    const distinct = new Set(corpus.planted.map((p) => p.needles[0]));
    expect(distinct.size).toBeGreaterThanOrEqual(50);
  });

  const r = corpusRedactor();
  for (const p of corpus.planted) {
    it(`redacts ${p.name}`, () => {
      const out = r.redact(p.context).text;
      expect(leaksIn(out, p.needles)).toEqual([]);
      expect(out).toContain(`[REDACTED:${p.rule}]`);
    });
  }

  it('redacts the whole document at once, and again changes nothing', () => {
    const doc = [harmlessText(), ...corpus.planted.map((p) => p.context), harmlessText(8)].join('\n');
    const once = r.redact(doc);
    const leaks = corpus.planted.flatMap((p) => leaksIn(once.text, p.needles));
    expect(leaks).toEqual([]);
    for (const line of harmlessText().split('\n')) expect(once.text).toContain(line);
    const twice = r.redact(once.text);
    expect(twice.text).toBe(once.text);
    expect(twice.hits).toEqual([]);
    expect(r.scan(once.text)).toEqual([]);
  });
});

describe('Redactor: markers and rules', () => {
  it('keeps the user of a URL and redacts only the password', () => {
    const r = new Redactor();
    expect(r.redact('DATABASE_URL=postgres://app:S3cretPw9x@db:5432/app').text).toBe(
      'DATABASE_URL=postgres://app:[REDACTED:url-credentials]@db:5432/app',
    );
  });

  it('keeps the key name and the bearer scheme', () => {
    const r = new Redactor();
    expect(r.redact('password=Zx81-kkPq0w').text).toBe('password=[REDACTED:secret-assignment]');
    expect(r.redact('"client_secret": "Abc123xyz789"').text).toBe('"client_secret": "[REDACTED:secret-assignment]"');
    expect(r.redact('Authorization: Bearer abc.def.ghi-123').text).toBe('Authorization: Bearer [REDACTED:bearer-token]');
  });

  it('names a registered value by its label, not its value', () => {
    const r = new Redactor();
    r.addSecret('hunter2hunter2', 'env:.env:DB_PASSWORD');
    const out = r.redact('pw is hunter2hunter2.');
    expect(out.text).toBe('pw is [REDACTED:known:env:.env:DB_PASSWORD].');
    expect(out.hits).toEqual([{ rule: 'known:env:.env:DB_PASSWORD', count: 1 }]);
  });

  it('never writes a label that contains the value, and reduces labels to marker-safe characters', () => {
    const r = new Redactor();
    r.addSecret('tops3cretvalue', 'oops tops3cretvalue');
    r.addSecret('other-s3cret-99', 'weird label ]]');
    expect(r.redact('tops3cretvalue other-s3cret-99').text).toBe(
      '[REDACTED:known:label-withheld] [REDACTED:known:weird_label___]',
    );
  });

  it('merges overlapping matches into one marker named after the longest', () => {
    const r = new Redactor();
    r.addSecret('abcdefgh', 'short');
    r.addSecret('defghijklmnop', 'long');
    const out = r.redact('x abcdefghijklmnop y');
    expect(out.text).toBe('x [REDACTED:known:long] y');
    expect(out.hits).toEqual([{ rule: 'known:long', count: 1 }]);
  });

  it('prefers the longest value when one secret contains another', () => {
    const r = new Redactor();
    r.addSecret('inner-secret', 'inner');
    r.addSecret('outer-inner-secret-x', 'outer');
    expect(r.redact('outer-inner-secret-x and inner-secret').text).toBe(
      '[REDACTED:known:outer] and [REDACTED:known:inner]',
    );
  });

  it('is idempotent even when a secret value looks like part of a marker', () => {
    const r = new Redactor();
    r.addSecret('REDACTED', 'a');
    r.addSecret('secret:a', 'b');
    const once = r.redact('REDACTED and secret:a');
    expect(once.text).toBe('[REDACTED:known:a] and [REDACTED:known:b]');
    expect(r.redact(once.text).text).toBe(once.text);
  });

  it('does not add values shorter than 4 characters, and says so in stats', () => {
    const r = new Redactor();
    r.addSecret('abc', 'env:.env:PIN');
    r.addSecret('  x ', 'env:.env:SPACEY');
    expect(r.redact('abc abcd').text).toBe('abc abcd');
    expect(r.stats().ignoredShort).toEqual(['env:.env:PIN', 'env:.env:SPACEY']);
    expect(r.stats().secrets).toBe(0);
  });

  it('counts redactions per rule cumulatively, and scan() counts nothing', () => {
    const r = new Redactor();
    r.addSecret('Xy7-secret-value', 'env:A');
    r.redact('Xy7-secret-value and AKIAABCDEFGHIJKLMNOP');
    r.redact('again Xy7-secret-value');
    expect(r.scan('Xy7-secret-value')).toEqual([{ rule: 'known:env:A', count: 1 }]);
    expect(r.stats().byRule).toEqual([
      { rule: 'aws-access-key-id', count: 1 },
      { rule: 'known:env:A', count: 2 },
    ]);
  });

  it('registers the env file values of the corpus, not the names, and skips short ones', () => {
    const r = corpusRedactor();
    expect(r.stats().ignoredShort).toEqual(['env:.env.prod:SHORT_PIN']);
    // Key names stay readable; values of non-secret container keys were filtered out.
    expect(r.redact('DB_PASSWORD HOSTNAME=web-1 NODE_ENV=production').text).toBe('DB_PASSWORD HOSTNAME=web-1 NODE_ENV=production');
  });
});

describe('Redactor: false positives', () => {
  it('leaves ordinary evidence text untouched (digests, UUIDs, dates, paths, service names)', () => {
    const r = corpusRedactor();
    const text = harmlessText();
    const out = r.redact(text);
    expect(out.hits).toEqual([]);
    expect(out.text).toBe(text);
  });

  it('never takes a 64-hex digest for a secret, whatever key it sits under short of a secret name', () => {
    const r = new Redactor();
    const hex = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    for (const line of [
      hex,
      `sha256:${hex}`,
      `digest: sha256:${hex}`,
      `"sha256": "${hex}"`,
      `secret_sha256=${hex}`,
      `token_digest: ${hex}`,
      `password_hash=${hex}`,
      `image@sha256:${hex}`,
      `api_token: sha256:${hex}`,
    ]) {
      expect(r.redact(line).text).toBe(line);
    }
  });

  it('does redact hex under a plain secret name (Rails secret_key_base, API tokens)', () => {
    const r = new Redactor();
    const hex = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(r.redact(`SECRET_KEY_BASE=${hex}`).text).toBe('SECRET_KEY_BASE=[REDACTED:secret-assignment]');
  });
});

describe('assertNoSecrets and the process-wide redactor', () => {
  it('throws a ShipproofError (exit 1) naming the rules, never the value', () => {
    const r = new Redactor();
    r.addSecret('very-secret-value-1', 'env:.env:X');
    const text = 'leak: very-secret-value-1 and ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    let caught: unknown;
    try {
      assertNoSecrets(text, 'evidence/001.md', r);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ShipproofError);
    const err = caught as ShipproofError;
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('evidence/001.md');
    expect(err.message).toContain('known:env:.env:X');
    expect(err.message).toContain('github-token');
    expect(err.message).not.toContain('very-secret-value-1');
    expect(err.message).not.toContain('ghp_');
    expect(`${err.hint ?? ''}`).not.toContain('very-secret');
  });

  it('passes redacted text', () => {
    const r = new Redactor();
    r.addSecret('very-secret-value-1', 'env:.env:X');
    expect(() => assertNoSecrets(r.redact('a very-secret-value-1 b').text, 'x.md', r)).not.toThrow();
  });

  it('redactText uses the shared instance', () => {
    processRedactor.addSecret('shared-instance-secret-42', 'test:shared');
    expect(redactText('x shared-instance-secret-42 y')).toBe('x [REDACTED:known:test:shared] y');
    expect(() => assertNoSecrets('shared-instance-secret-42', 'somewhere')).toThrow(ShipproofError);
  });
});
