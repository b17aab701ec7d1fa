import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['250us', 0],
    ['10', 10_000],
    [' 5s ', 5000],
    [10, 10_000],
    [0.25, 250],
    [0, 0],
  ] as const)('reads %j as %i ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', '5 seconds', '10x', 's', '-1s', '1s2', 'ten', '1d'])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, true, null, undefined, {}])('rejects the non-duration %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});
