// Reads the values out of dotenv text so they can be registered as secrets. Lenient on purpose:
// this parser feeds redaction, not configuration, so anything it cannot make sense of is skipped
// and an unterminated quote takes the rest of the file (better to redact too much).
// Validating env files (names, syntax, line numbers) is a different module's job.

export interface EnvValue {
  key: string;
  /** 1-based line of the key. */
  line: number;
  /** Every form worth redacting: the value as the program sees it, and its raw text when different. */
  values: string[];
}

const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*(?:=|:[ \t])[ \t]*/;

/** Escapes inside double quotes, as dotenv and Compose interpret them. */
function unescapeDoubleQuoted(raw: string): string {
  return raw.replace(/\\(.)/gs, (_m, c: string) => {
    switch (c) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      default:
        return c;
    }
  });
}

/** Substitutes $VAR and ${VAR} (with :-default) from keys defined earlier in the same file. */
function expand(value: string, known: ReadonlyMap<string, string>): string {
  return value.replace(
    /(?<!\\)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (whole, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? '';
      const v = known.get(name);
      if (v !== undefined && v !== '') return v;
      return fallback ?? (known.has(name) ? '' : whole);
    },
  );
}

/** The index just past the closing quote starting the search at `from`, honouring backslash escapes for `"`. */
function findClosingQuote(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quote === '"') {
      i++;
      continue;
    }
    if (c === quote) return i;
  }
  return -1;
}

export function parseEnvValues(input: string): EnvValue[] {
  // A UTF-8 byte order mark (editors on Windows write one) is not part of the first key.
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const out: EnvValue[] = [];
  const known = new Map<string, string>();
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const eol = text.indexOf('\n', pos);
    const lineEnd = eol === -1 ? text.length : eol;
    const lineText = text.slice(pos, lineEnd);
    const m = ASSIGNMENT.exec(lineText);
    if (m === null || /^[ \t]*#/.test(lineText)) {
      pos = lineEnd + 1;
      line++;
      continue;
    }
    const key = m[1] ?? '';
    const valueStart = pos + m[0].length;
    const quote = text[valueStart];
    const keyLine = line;
    let raw: string;
    let value: string;
    let next: number;
    if (quote === '"' || quote === "'" || quote === '`') {
      const close = findClosingQuote(text, valueStart + 1, quote);
      const end = close === -1 ? text.length : close;
      raw = text.slice(valueStart + 1, end);
      value = quote === '"' ? unescapeDoubleQuoted(raw) : raw;
      const after = close === -1 ? text.length : text.indexOf('\n', close);
      next = after === -1 ? text.length : after + 1;
    } else {
      raw = text.slice(valueStart, lineEnd).replace(/\r$/, '');
      // An inline comment starts at a `#` that follows whitespace.
      value = raw.replace(/[ \t]+#.*$/, '').trim();
      next = lineEnd + 1;
    }
    line += countNewlines(text, pos, Math.min(next, text.length));
    pos = next;

    const expanded = quote === "'" ? value : expand(value, known);
    known.set(key, expanded);
    const values = [...new Set([value, raw, expanded])].filter((v) => v.length > 0);
    out.push({ key, line: keyLine, values });
  }
  return out;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
