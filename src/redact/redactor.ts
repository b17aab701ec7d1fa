// The one redaction engine. Known secret values (and every form derived from them) plus pattern
// rules are located, overlapping matches are merged, and each merged range becomes one
// `[REDACTED:<rule>]` marker. Existing markers are opaque: a match lying inside one is ignored,
// and redact() repeats until nothing changes, so redacting twice changes nothing more.
import { parseEnvValues } from './dotenv.js';
import { LiteralMatcher } from './literal-matcher.js';
import { findPatternMatches, PATTERN_RULES } from './patterns.js';
import { MIN_SECRET_LENGTH, secretVariants } from './variants.js';

export interface RedactionHit {
  /** `known:<label>` for a registered value, or a pattern rule id. */
  rule: string;
  count: number;
}

export interface RedactionResult {
  text: string;
  hits: RedactionHit[];
}

export interface RedactionStats {
  /** Markers written so far, per rule, over every redact() call and stream on this instance. */
  byRule: RedactionHit[];
  /** Secret values registered as literals. */
  secrets: number;
  /** Literal forms (the values and their derived forms) being searched for. */
  literalForms: number;
  /** Labels of values that were too short (< 4 characters) to redact, so were ignored. */
  ignoredShort: string[];
}

/** A merged range to replace. */
export interface RedactionSpan {
  start: number;
  end: number;
  rule: string;
  /** Where the context of the earliest match in the range begins (a key name, a URL scheme). */
  matchStart: number;
}

export interface EnvFileOptions {
  /** Register only the values of keys this returns true for. Default: every key. */
  include?: (key: string) => boolean;
}

/** Marker syntax. Labels are reduced to these characters so a marker always parses back. */
export const MARKER_PATTERN = /\[REDACTED:[A-Za-z0-9_.:/@+-]{1,200}\]/g;
const MAX_PASSES = 4;

export function marker(rule: string): string {
  return `[REDACTED:${rule}]`;
}

function sanitizeLabel(label: string): string {
  const cleaned = label.replace(/[^A-Za-z0-9_.:/@+-]/g, '_').slice(0, 160);
  return cleaned.length > 0 ? cleaned : 'unlabelled';
}

interface Candidate {
  start: number;
  end: number;
  rule: string;
  matchStart: number;
  /** Lower wins a tie between equally long matches: registered secrets first, then rule order. */
  priority: number;
}

export class Redactor {
  private readonly literalRules = new Map<string, string>();
  private readonly values = new Set<string>();
  private readonly shortLabels: string[] = [];
  private readonly totals = new Map<string, number>();
  private matcher: LiteralMatcher | undefined;

  /**
   * Registers a known secret. `label` must not be sensitive (an env key name and file, say):
   * it appears in markers as `known:<label>`. The value and its derived forms are redacted.
   * A value registered twice keeps its first label.
   */
  addSecret(value: string, label: string): void {
    if (value.length === 0 || this.values.has(value)) return;
    const variants = secretVariants(value);
    if (variants.length === 0) {
      if (value.trim().length < MIN_SECRET_LENGTH) this.shortLabels.push(sanitizeLabel(label));
      return;
    }
    this.values.add(value);
    // A label that contains the value would put the secret into every marker.
    const safeLabel = label.includes(value) ? 'label-withheld' : sanitizeLabel(label);
    const rule = `known:${safeLabel}`;
    for (const v of variants) if (!this.literalRules.has(v)) this.literalRules.set(v, rule);
    this.matcher = undefined;
  }

  /** Registers every value of dotenv text as a secret labelled `<label>:<KEY>`. Returns the keys. */
  addSecretsFromEnvFile(text: string, label: string, options: EnvFileOptions = {}): string[] {
    const keys: string[] = [];
    for (const entry of parseEnvValues(text)) {
      if (options.include !== undefined && !options.include(entry.key)) continue;
      for (const v of entry.values) this.addSecret(v, `${label}:${entry.key}`);
      keys.push(entry.key);
    }
    return keys;
  }

  /** Replaces every secret with `[REDACTED:<rule>]`. Idempotent. Counts go to stats(). */
  redact(text: string): RedactionResult {
    const counts = new Map<string, number>();
    let current = text;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const { spans } = this.locate(current);
      if (spans.length === 0) break;
      current = applySpans(current, spans, counts);
    }
    for (const [rule, n] of counts) this.totals.set(rule, (this.totals.get(rule) ?? 0) + n);
    return { text: current, hits: toHits(counts) };
  }

  /** What redact() would replace, without replacing or counting it. */
  scan(text: string): RedactionHit[] {
    const counts = new Map<string, number>();
    for (const span of this.locate(text).spans) counts.set(span.rule, (counts.get(span.rule) ?? 0) + 1);
    return toHits(counts);
  }

  /** Counts redactions done outside redact() (the stream's line-by-line PEM continuation) in stats(). */
  recordRedactions(rule: string, count: number): void {
    this.totals.set(rule, (this.totals.get(rule) ?? 0) + count);
  }

  stats(): RedactionStats {
    return {
      byRule: toHits(this.totals),
      secrets: this.values.size,
      literalForms: this.literalRules.size,
      ignoredShort: [...this.shortLabels],
    };
  }

  /** Length of the longest literal form: the most a stream ever needs to hold back for literals. */
  get longestLiteral(): number {
    return this.getMatcher().maxLength;
  }

  /**
   * The merged ranges redact() would replace in one pass, and how many trailing characters could
   * still be the beginning of a literal (for the streaming redactor).
   */
  locate(text: string): { spans: RedactionSpan[]; tailDepth: number } {
    const matcher = this.getMatcher();
    const { matches, tailDepth } = matcher.findAll(text);
    const candidates: Candidate[] = [];
    for (const m of matches) {
      const rule = this.literalRules.get(matcher.literals[m.literal] as string) ?? 'secret';
      candidates.push({ start: m.start, end: m.end, rule, matchStart: m.start, priority: 0 });
    }
    const priorities = new Map(PATTERN_RULES.map((r, i) => [r.id, i + 1]));
    for (const m of findPatternMatches(text)) {
      candidates.push({ ...m, priority: priorities.get(m.rule) ?? PATTERN_RULES.length + 1 });
    }
    return { spans: mergeCandidates(dropInsideMarkers(candidates, text)), tailDepth };
  }

  private getMatcher(): LiteralMatcher {
    if (this.matcher === undefined) {
      // Longest first, so a shorter form never shadows a longer one on the same characters.
      const literals = [...this.literalRules.keys()].sort((a, b) => b.length - a.length);
      this.matcher = new LiteralMatcher(literals);
    }
    return this.matcher;
  }
}

/**
 * Matches wholly inside an existing marker are already redacted. A pattern match that overlaps
 * a marker at all is an artefact of an earlier pass (`"Bearer [REDACTED:x]"` read as a value):
 * whatever it covered outside the marker was seen, unredacted, by that pass too.
 */
function dropInsideMarkers(candidates: Candidate[], text: string): Candidate[] {
  if (!text.includes('[REDACTED:')) return candidates;
  const markers: [number, number][] = [];
  for (const m of text.matchAll(MARKER_PATTERN)) markers.push([m.index, m.index + m[0].length]);
  if (markers.length === 0) return candidates;
  return candidates.filter((c) => {
    // Binary search for the last marker starting at or before c.start.
    let lo = 0;
    let hi = markers.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((markers[mid] as [number, number])[0] <= c.start) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const m = found >= 0 ? markers[found] : undefined;
    if (m !== undefined && c.end <= m[1]) return false;
    if (c.priority === 0) return true;
    const overlapsEarlier = m !== undefined && c.start < m[1];
    const next = markers[found + 1];
    const overlapsLater = next !== undefined && next[0] < c.end;
    return !overlapsEarlier && !overlapsLater;
  });
}

/**
 * Sorts and merges overlapping candidates into disjoint spans. A merged span is named after
 * its longest member (ties: registered secrets, then rule order).
 */
function mergeCandidates(candidates: Candidate[]): RedactionSpan[] {
  candidates.sort((a, b) => a.start - b.start || b.end - a.end || a.priority - b.priority);
  const spans: RedactionSpan[] = [];
  let cur: RedactionSpan | undefined;
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (cur !== undefined && best !== undefined && c.start < cur.end) {
      cur.end = Math.max(cur.end, c.end);
      cur.matchStart = Math.min(cur.matchStart, c.matchStart);
      const len = c.end - c.start;
      const bestLen = best.end - best.start;
      if (len > bestLen || (len === bestLen && c.priority < best.priority)) {
        best = c;
        cur.rule = c.rule;
      }
      continue;
    }
    cur = { start: c.start, end: c.end, rule: c.rule, matchStart: c.matchStart };
    best = c;
    spans.push(cur);
  }
  return spans;
}

function applySpans(text: string, spans: readonly RedactionSpan[], counts: Map<string, number>): string {
  const parts: string[] = [];
  let pos = 0;
  for (const s of spans) {
    parts.push(text.slice(pos, s.start), marker(s.rule));
    counts.set(s.rule, (counts.get(s.rule) ?? 0) + 1);
    pos = s.end;
  }
  parts.push(text.slice(pos));
  return parts.join('');
}

function toHits(counts: ReadonlyMap<string, number>): RedactionHit[] {
  return [...counts]
    .map(([rule, count]) => ({ rule, count }))
    .sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}
