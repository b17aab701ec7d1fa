// Redacting serialised JSON without changing its structure. A span the redactor found may start or
// end inside an escape (`\"`, `\\`, `\u0041`) or reach across quotes; replacing it raw could cut a
// backslash and end a string early. Here every span is projected onto the string tokens it
// touches and widened to whole escape sequences, so a marker always replaces whole characters
// inside one string, and the text outside strings is never touched.
import type { Redactor, RedactionSpan } from './redactor.js';
import { marker } from './redactor.js';

/** [start, end) of the inside of each string token (between its quotes). */
function stringTokens(json: string): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  while (i < json.length) {
    if (json.charCodeAt(i) !== 0x22) {
      i++;
      continue;
    }
    const start = i + 1;
    i = start;
    while (i < json.length && json.charCodeAt(i) !== 0x22) i += json.charCodeAt(i) === 0x5c ? 2 : 1;
    out.push([start, Math.min(i, json.length)]);
    i++;
  }
  return out;
}

/** Offsets inside a string token where a character (or escape sequence) begins, plus its end. */
function boundaries(json: string, start: number, end: number): number[] {
  const b: number[] = [];
  let i = start;
  while (i < end) {
    b.push(i);
    if (json.charCodeAt(i) !== 0x5c) i++;
    else i += json[i + 1] === 'u' ? 6 : 2;
  }
  b.push(Math.min(i, end));
  return b;
}

function widen(json: string, token: [number, number], s: number, e: number): [number, number] {
  const b = boundaries(json, token[0], token[1]);
  let lo = token[0];
  let hi = token[1];
  for (const x of b) {
    if (x <= s) lo = x;
    if (x >= e) {
      hi = x;
      break;
    }
  }
  return [lo, hi];
}

/** Redacts serialised JSON so that JSON.parse of the result has the same shape (only string contents change). */
export function redactJsonText(json: string, using: Redactor): string {
  let current = json;
  for (let pass = 0; pass < 4; pass++) {
    const { spans } = using.locate(current);
    if (spans.length === 0) break;
    const tokens = stringTokens(current);
    const pieces: RedactionSpan[] = [];
    let t = 0;
    for (const span of spans) {
      while (t < tokens.length && (tokens[t] as [number, number])[1] <= span.start) t++;
      for (let k = t; k < tokens.length; k++) {
        const token = tokens[k] as [number, number];
        if (token[0] >= span.end) break;
        const s = Math.max(span.start, token[0]);
        const e = Math.min(span.end, token[1]);
        if (e <= s) continue;
        const [lo, hi] = widen(current, token, s, e);
        const last = pieces[pieces.length - 1];
        if (last !== undefined && lo < last.end) last.end = Math.max(last.end, hi);
        else pieces.push({ start: lo, end: hi, rule: span.rule, matchStart: lo });
      }
    }
    if (pieces.length === 0) break;
    const parts: string[] = [];
    let pos = 0;
    for (const p of pieces) {
      parts.push(current.slice(pos, p.start), marker(p.rule));
      using.recordRedactions(p.rule, 1);
      pos = p.end;
    }
    parts.push(current.slice(pos));
    const next = parts.join('');
    if (next === current) break;
    current = next;
  }
  return current;
}
