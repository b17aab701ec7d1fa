// Every form in which a known secret value may show up in output. A value read from an env file
// reaches logs as itself, but also base64-encoded (Kubernetes-style secrets, `echo "$X" | base64`,
// Basic auth), percent-encoded in URLs, JSON-escaped in `docker inspect`, shell-quoted in `set -x`
// traces, and line by line when it is multi-line (PEM keys). Each form becomes a literal to redact.

/** Values shorter than this are not redacted as literals: they would hit ordinary text. */
export const MIN_SECRET_LENGTH = 4;
/** Lines of a multi-line value shorter than this are not literals of their own. */
export const MIN_LINE_LENGTH = 6;
/** The stable middle of a base64 form embedded in a longer stream must be at least this long. */
export const MIN_EMBEDDED_BASE64_LENGTH = 8;
/** Line widths base64 tools wrap at: GNU `base64` (76) and `openssl base64` / PEM (64). */
const BASE64_WRAP_WIDTHS = [76, 64];

function toUrlSafe(b64: string): string {
  return b64.replace(/\+/g, '-').replace(/\//g, '_');
}

function stripPadding(b64: string): string {
  return b64.replace(/=+$/, '');
}

/** Standard and URL-safe base64, each with and without padding. */
function base64Forms(bytes: Buffer): string[] {
  const std = bytes.toString('base64');
  const url = toUrlSafe(std);
  return [std, stripPadding(std), url, stripPadding(url)];
}

/**
 * The part of base64(value) that is the same wherever the value sits in a longer base64 stream.
 * The value starts at byte offset ≡ prefixLen (mod 3) of its 3-byte group; output character i
 * covers bits [6i, 6i+6), so it depends on value bytes only when those bits lie inside
 * [8·prefixLen, 8·(prefixLen+n)). Those characters are stable; the 1–2 at each edge mix in
 * neighbouring bytes and are left alone.
 */
export function embeddedBase64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let prefixLen = 0; prefixLen < 3; prefixLen++) {
    const encoded = Buffer.concat([Buffer.alloc(prefixLen), bytes]).toString('base64');
    const first = Math.ceil((8 * prefixLen) / 6);
    const end = Math.floor((8 * (prefixLen + bytes.length)) / 6);
    if (end - first < MIN_EMBEDDED_BASE64_LENGTH) continue;
    const core = encoded.slice(first, end);
    cores.push(core, toUrlSafe(core));
  }
  return cores;
}

/** The lines `base64` prints when it wraps a long encoding (the last, short line included if long enough). */
function wrappedLines(b64: string): string[] {
  const lines: string[] = [];
  for (const width of BASE64_WRAP_WIDTHS) {
    if (b64.length <= width) continue;
    for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  }
  return lines.filter((l) => l.length >= MIN_EMBEDDED_BASE64_LENGTH);
}

/** Percent-encodings: encodeURIComponent (upper- and lower-case hex), HTML-form (`+` for space), URLSearchParams, encodeURI. */
function percentForms(value: string): string[] {
  const forms: string[] = [];
  try {
    const component = encodeURIComponent(value);
    forms.push(
      component,
      component.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
      component.replace(/%20/g, '+'),
      new URLSearchParams({ v: value }).toString().slice(2),
      encodeURI(value),
    );
  } catch {
    // Lone surrogates cannot be percent-encoded; such a value has no percent form to find.
  }
  return forms;
}

/** JSON string escapes without the quotes: JSON.stringify, plus the `\/` and `\uXXXX` styles of other encoders. */
function jsonForms(value: string): string[] {
  const plain = JSON.stringify(value).slice(1, -1);
  return [
    plain,
    plain.replace(/\//g, '\\/'),
    plain.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  ];
}

/** How a shell trace prints the value: single-quoted ('\'' for quotes) and double-quoted escapes, without the outer quotes. */
function shellForms(value: string): string[] {
  return [value.replace(/'/g, `'\\''`), value.replace(/([\\"$`])/g, '\\$1')];
}

/** PEM armour lines are not secret; a literal for them would flag every other key's armour. */
function isArmourLine(line: string): boolean {
  return /^-----(?:BEGIN|END)[ A-Z0-9]*-----$/.test(line);
}

/**
 * All literal forms of a secret value, unique, each long enough to be safe to redact. The value
 * itself comes first. Returns [] for values shorter than MIN_SECRET_LENGTH (after trimming).
 */
export function secretVariants(value: string): string[] {
  if (value.trim().length < MIN_SECRET_LENGTH) return [];
  const bytes = Buffer.from(value, 'utf8');
  const withNewline = Buffer.from(`${value}\n`, 'utf8');
  const forms: string[] = [value];

  forms.push(...jsonForms(value), ...shellForms(value), ...percentForms(value));
  forms.push(...base64Forms(bytes), ...base64Forms(withNewline));
  forms.push(...wrappedLines(bytes.toString('base64')), ...wrappedLines(withNewline.toString('base64')));
  forms.push(...embeddedBase64Cores(bytes));

  if (/[\r\n]/.test(value)) {
    for (const raw of value.split(/\r?\n|\r/)) {
      const line = raw.trim();
      if (line.length >= MIN_LINE_LENGTH && !isArmourLine(line)) forms.push(line, ...jsonForms(line));
    }
  }

  const unique = new Set<string>();
  for (const f of forms) if (f.length >= MIN_SECRET_LENGTH) unique.add(f);
  return [...unique];
}
