// Durations as people write them in shipproof.yaml ("500ms", "10s", "2m", "1h", or a bare number
// of seconds) and as Compose writes them (Go-style sequences such as "1m30s" or "1.5s").
// Everything inside shipproof is milliseconds.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
const BARE_SECONDS = /^\d+(?:\.\d+)?$/;

/** The accepted forms, for error messages. */
export const DURATION_FORMS = 'a duration like "500ms", "10s", "2m", "1h" or a number of seconds';

/**
 * Parses a duration into whole milliseconds (rounded). Returns undefined for anything that is not a
 * duration, including negative numbers, NaN and empty strings, so callers decide how to report it.
 */
export function parseDuration(input: unknown): number | undefined {
  if (typeof input === 'number') {
    return Number.isFinite(input) && input >= 0 ? Math.round(input * 1000) : undefined;
  }
  if (typeof input !== 'string') return undefined;
  const text = input.trim();
  if (text === '') return undefined;
  if (BARE_SECONDS.test(text)) return Math.round(Number(text) * 1000);

  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (match === null) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return Math.round(total);
}
