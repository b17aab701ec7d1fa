import { describe, expect, it } from 'vitest';
import { parseEnvValues, Redactor } from '../../src/redact/index.js';

describe('parseEnvValues', () => {
  it('reads plain, export, quoted, commented and empty assignments', () => {
    const text = [
      '# comment=not-a-value',
      'PLAIN=value-1',
      'export EXPORTED=value-2',
      'SPACED = value-3',
      'DQ="double quoted"',
      "SQ='single $NOT_EXPANDED'",
      'BT=`backtick value`',
      'INLINE=value-4 # trailing comment',
      'HASH=abc#def',
      'EQ=a=b==c',
      'EMPTY=',
      '   # indented comment',
      'not an assignment',
      'YAMLISH: value-5',
    ].join('\n');
    const entries = parseEnvValues(text);
    expect(entries.map((e) => [e.key, e.values[0]])).toEqual([
      ['PLAIN', 'value-1'],
      ['EXPORTED', 'value-2'],
      ['SPACED', 'value-3'],
      ['DQ', 'double quoted'],
      ['SQ', 'single $NOT_EXPANDED'],
      ['BT', 'backtick value'],
      ['INLINE', 'value-4'],
      ['HASH', 'abc#def'],
      ['EQ', 'a=b==c'],
      ['EMPTY', undefined],
      ['YAMLISH', 'value-5'],
    ]);
    expect(entries.find((e) => e.key === 'INLINE')?.values).toContain('value-4 # trailing comment');
    expect(entries.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14]);
  });

  it('reads multi-line quoted values with their line numbers, and both raw and unescaped forms', () => {
    const text = 'A="line1\nline2"\nB="esc\\nx \\"q\\""\nC=after\n';
    const entries = parseEnvValues(text);
    expect(entries[0]).toEqual({ key: 'A', line: 1, values: ['line1\nline2'] });
    expect(entries[1]).toEqual({ key: 'B', line: 3, values: ['esc\nx "q"', 'esc\\nx \\"q\\"'] });
    expect(entries[2]).toEqual({ key: 'C', line: 4, values: ['after'] });
  });

  it('expands references to earlier keys, keeping the unexpanded text too', () => {
    const entries = parseEnvValues('USER=app\nPASS=s3cret\nURL="postgres://${USER}:${PASS}@db/$MISSING"\nLIT=\'$PASS\'\n');
    expect(entries[2]?.values).toEqual(['postgres://${USER}:${PASS}@db/$MISSING', 'postgres://app:s3cret@db/$MISSING']);
    expect(entries[3]?.values).toEqual(['$PASS']);
  });

  it('takes the rest of the file for an unterminated quote', () => {
    const entries = parseEnvValues('KEY="-----BEGIN PRIVATE KEY-----\nabc\n');
    expect(entries[0]?.values[0]).toBe('-----BEGIN PRIVATE KEY-----\nabc\n');
  });

  it('handles CRLF files', () => {
    expect(parseEnvValues('A=one\r\nB="two"\r\n').map((e) => e.values[0])).toEqual(['one', 'two']);
  });
});

describe('Redactor.addSecretsFromEnvFile', () => {
  it('registers values under <label>:<KEY> and returns the keys, never adding names', () => {
    const r = new Redactor();
    const keys = r.addSecretsFromEnvFile('DB_PASSWORD=pw-value-123\nAPI="tok en 456"\n', 'env:.env');
    expect(keys).toEqual(['DB_PASSWORD', 'API']);
    expect(r.redact('DB_PASSWORD pw-value-123 API tok en 456').text).toBe(
      'DB_PASSWORD [REDACTED:known:env:.env:DB_PASSWORD] API [REDACTED:known:env:.env:API]',
    );
  });

  it('redacts the expanded value of a reference', () => {
    const r = new Redactor();
    r.addSecretsFromEnvFile('PGPASS=pg-secret-1\nDATABASE_URL=postgres://app:${PGPASS}@db/app\n', 'env:.env');
    const out = r.redact('connecting to postgres://app:pg-secret-1@db/app').text;
    expect(out).not.toContain('pg-secret-1');
  });

  it('can be limited to some keys', () => {
    const r = new Redactor();
    r.addSecretsFromEnvFile('NODE_ENV=production\nDB_PASSWORD=pw-value-123\n', 'env:.env', { include: (k) => k !== 'NODE_ENV' });
    expect(r.redact('production pw-value-123').text).toBe('production [REDACTED:known:env:.env:DB_PASSWORD]');
  });
});
