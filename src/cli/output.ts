// Everything the CLI prints goes through here: human text by default, JSON with --json, colour
// only on a terminal and never with NO_COLOR, and every line through the one redactor.
import { redactedJson, redactText } from '../redact/index.js';

export interface OutputOptions {
  json: boolean;
  color: boolean;
  debug: boolean;
}

export function colorWanted(flag: boolean | undefined, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (flag === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1, cyan: 36 } as const;
export type Color = keyof typeof CODES;

export class Output {
  constructor(
    readonly options: OutputOptions,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  paint(color: Color, text: string): string {
    return this.options.color ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
  }

  /** A line of human output (suppressed with --json). */
  line(text = ''): void {
    if (!this.options.json) this.out.write(`${redactText(text)}\n`);
  }

  /** The machine result (printed only with --json). */
  json(value: unknown): void {
    // Values are redacted before serialising and the text once more without touching its structure.
    if (this.options.json) this.out.write(`${redactedJson(value)}\n`);
  }

  /** Human output, or the JSON value with --json. */
  result(human: () => string, value: unknown): void {
    if (this.options.json) this.json(value);
    else this.line(human());
  }

  /** Diagnostics and progress: stderr, so stdout stays clean for pipes and --json. */
  note(text: string): void {
    this.err.write(`${redactText(text)}\n`);
  }

  /** Raw text to stdout (e.g. a schema), still redacted. */
  raw(text: string): void {
    this.out.write(redactText(text));
  }
}

/** Pads cells into aligned columns. */
export function table(rows: readonly (readonly string[])[], visibleLength: (s: string) => number = stripAnsiLength): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(c))));
  return rows
    .map((row) =>
      row
        .map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visibleLength(c))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function stripAnsiLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}
