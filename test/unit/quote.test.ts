import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from '../../src/shell/quote.js';

describe('shellQuote', () => {
  it.each([
    ['plain', 'plain'],
    ['', "''"],
    ['with space', "'with space'"],
    ["it's", "'it'\\''s'"],
    ['$(id)', "'$(id)'"],
    ['a;b', "'a;b'"],
    ['/opt/app-1/x.yaml', '/opt/app-1/x.yaml'],
    ['K=V', 'K=V'],
    ['line\nbreak', "'line\nbreak'"],
  ])('%j -> %s', (input, expected) => {
    expect(shellQuote(input)).toBe(expected);
  });

  it('survives a real shell byte-exact', () => {
    const args = ["a'b", '$(echo x)', '`x`', 'a\nb', 'tab\t', '\\', '"', 'ünï 🚀', '*', '!', '#c', '&&', '|'];
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${args.map(shellQuote).join(' ')}`]);
    expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(args);
  });

  it('shellJoin quotes each element and refuses an empty argv', () => {
    expect(shellJoin(['echo', 'a b', "c'd"])).toBe("echo 'a b' 'c'\\''d'");
    expect(() => shellJoin([])).toThrow();
  });
});
