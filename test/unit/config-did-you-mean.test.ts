import { describe, expect, it } from 'vitest';
import { didYouMean, suggestionHint } from '../../src/config/did-you-mean.js';

const KEYS = ['project', 'compose', 'evidence', 'defaultTarget', 'targets', 'envFiles', 'health'];

describe('didYouMean', () => {
  it('finds transpositions and small typos', () => {
    expect(didYouMean('taregts', KEYS)).toBe('targets');
    expect(didYouMean('envfiles', KEYS)).toBe('envFiles');
    expect(didYouMean('prdo', ['local', 'prod', 'staging'])).toBe('prod');
    expect(didYouMean('helth', KEYS)).toBe('health');
  });

  it('suggests nothing when the input is far from every candidate', () => {
    expect(didYouMean('database', KEYS)).toBeUndefined();
    expect(didYouMean('xy', ['ab', 'cd'])).toBeUndefined();
    expect(didYouMean('anything', [])).toBeUndefined();
  });

  it('builds the hint with the list of allowed names', () => {
    expect(suggestionHint('taregts', ['project', 'targets'])).toBe('Did you mean "targets"? Allowed here: project, targets.');
    expect(suggestionHint('zzz', ['local', 'prod'], 'Known targets')).toBe('Known targets: local, prod.');
  });
});
