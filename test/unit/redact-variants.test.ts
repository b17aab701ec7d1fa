import { describe, expect, it } from 'vitest';
import { embeddedBase64Cores, secretVariants } from '../../src/redact/variants.js';
import { LiteralMatcher } from '../../src/redact/literal-matcher.js';
import { claimedForms, prng, randomString } from '../helpers/redact-corpus.js';

describe('secretVariants', () => {
  it('covers every form the redactor claims, computed independently', () => {
    for (const value of ['s3cr3t-P@ss w/"q" $HOME=x', "it's-mine", 'pässwörd-日本', 'a+b/c=d?e&f#g', 'line-one\nline-two-x\n']) {
      const variants = secretVariants(value);
      for (const form of claimedForms(value)) expect(variants).toContain(form);
    }
  });

  it('includes percent-encoding with lower-case hex and the URLSearchParams form', () => {
    const variants = secretVariants("p w!'(x)");
    expect(variants).toContain('p%20w!\'(x)');
    expect(variants).toContain(new URLSearchParams({ v: "p w!'(x)" }).toString().slice(2));
    expect(secretVariants('a/b:c')).toContain('a%2fb%3ac');
  });

  it('includes the lines base64 prints when it wraps at 76 columns', () => {
    const value = 'x'.repeat(100);
    const wrapped = Buffer.from(`${value}\n`).toString('base64').match(/.{1,76}/g) ?? [];
    for (const line of wrapped) expect(secretVariants(value)).toContain(line);
  });

  it('adds each line of a multi-line value of at least 6 characters, but not PEM armour', () => {
    const variants = secretVariants('-----BEGIN PRIVATE KEY-----\nMIIBVgIBADANBg\nshort\n-----END PRIVATE KEY-----\n');
    expect(variants).toContain('MIIBVgIBADANBg');
    expect(variants).not.toContain('short');
    expect(variants).not.toContain('-----BEGIN PRIVATE KEY-----');
  });

  it('returns nothing for values shorter than 4 characters (after trimming)', () => {
    expect(secretVariants('abc')).toEqual([]);
    expect(secretVariants('  ab  ')).toEqual([]);
    expect(secretVariants('abcd')).toContain('abcd');
  });
});

describe('embeddedBase64Cores', () => {
  it('finds a value of 7+ bytes inside base64 of any surrounding bytes, at all three alignments', () => {
    const rnd = prng(11);
    for (let trial = 0; trial < 300; trial++) {
      const value = Buffer.from(randomString(rnd, 7 + Math.floor(rnd() * 30), 'abcdefXYZ0123+/=!é'));
      const cores = embeddedBase64Cores(value);
      const prefix = Buffer.from(randomString(rnd, Math.floor(rnd() * 7)));
      const suffix = Buffer.from(randomString(rnd, Math.floor(rnd() * 7)));
      for (const alphabet of ['base64', 'base64url'] as const) {
        const stream = Buffer.concat([prefix, value, suffix]).toString(alphabet);
        expect(cores.some((c) => c.length >= 8 && stream.includes(c))).toBe(true);
      }
    }
  });

  it('has no core shorter than 8 characters (a 6-byte value is only found at alignment 0)', () => {
    const cores = embeddedBase64Cores(Buffer.from('abcdef'));
    expect(cores.every((c) => c.length >= 8)).toBe(true);
    expect(cores).toEqual(['YWJjZGVm', 'YWJjZGVm']);
  });

  it('leaves at most two characters of the value readable at each edge', () => {
    const value = Buffer.from('0123456789abcdef');
    for (let prefixLen = 0; prefixLen < 3; prefixLen++) {
      const encoded = Buffer.concat([Buffer.alloc(prefixLen, 0x41), value, Buffer.from('ZZZ')]).toString('base64');
      const core = embeddedBase64Cores(value).find((c) => encoded.includes(c)) ?? '';
      const at = encoded.indexOf(core);
      const valueStartChar = Math.floor((8 * prefixLen) / 6);
      const valueEndChar = Math.ceil((8 * (prefixLen + value.length)) / 6);
      expect(at - valueStartChar).toBeLessThanOrEqual(2);
      expect(valueEndChar - (at + core.length)).toBeLessThanOrEqual(2);
    }
  });
});

describe('LiteralMatcher', () => {
  function naive(literals: string[], text: string): Map<number, number> {
    // end -> longest literal length ending there
    const best = new Map<number, number>();
    for (const l of literals) {
      for (let i = text.indexOf(l); i !== -1; i = text.indexOf(l, i + 1)) {
        const end = i + l.length;
        best.set(end, Math.max(best.get(end) ?? 0, l.length));
      }
    }
    return best;
  }

  it('agrees with a naive search on random small alphabets (overlaps, prefixes, suffixes)', () => {
    const rnd = prng(5);
    for (let trial = 0; trial < 200; trial++) {
      const literals = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => randomString(rnd, 1 + Math.floor(rnd() * 6), 'abcé日'));
      const text = randomString(rnd, 200, 'abcé日x');
      const m = new LiteralMatcher(literals);
      const got = new Map(m.findAll(text).matches.map((x) => [x.end, x.end - x.start]));
      expect(got).toEqual(naive(literals, text));
    }
  });

  it('reports the longest suffix of the text that begins a literal', () => {
    const m = new LiteralMatcher(['secret-value', 'other']);
    expect(m.findAll('xx secret-va').tailDepth).toBe(9);
    expect(m.findAll('xx oth').tailDepth).toBe(3);
    expect(m.findAll('xx secret-value').tailDepth).toBe(12);
    expect(m.findAll('nothing here').tailDepth).toBe(0);
  });
});
