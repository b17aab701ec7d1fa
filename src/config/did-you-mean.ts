// "Did you mean …?" suggestions for misspelt keys, target names and engine names.
import { closest, distance } from 'fastest-levenshtein';

/**
 * The candidate closest to `input`, when it is close enough to be a plausible typo: at most a
 * third of the input's length in edits (at least 2, so "prdo" finds "prod"), compared
 * case-insensitively. Undefined when nothing is that close.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0 || input === '') return undefined;
  const lowered = candidates.map((c) => c.toLowerCase());
  const needle = input.toLowerCase();
  const best = closest(needle, lowered);
  const edits = distance(needle, best);
  if (edits === 0 && input === candidates[lowered.indexOf(best)]) return undefined;
  const allowed = Math.max(2, Math.floor(input.length / 3));
  // An edit count as long as the word itself means nothing of it was kept.
  if (edits > allowed || edits >= Math.min(needle.length, best.length)) return undefined;
  return candidates[lowered.indexOf(best)];
}

/**
 * A hint for an unknown name: `Did you mean "targets"? Allowed here: project, compose, …` — or only
 * the list when nothing is close. `listLabel` names the list ("Allowed here", "Known targets").
 */
export function suggestionHint(input: string, candidates: readonly string[], listLabel = 'Allowed here'): string {
  const list = candidates.length > 0 ? `${listLabel}: ${candidates.join(', ')}.` : '';
  const guess = didYouMean(input, candidates);
  return guess === undefined ? list : `Did you mean "${guess}"? ${list}`.trimEnd();
}
