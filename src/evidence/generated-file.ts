// The one rule for replacing a file on this machine: shipproof overwrites only a file it wrote and
// nobody changed since. Every generated file carries a mark with the sha256 of its own content
// (a last line in Markdown and YAML, a first key in JSON); a file without a valid mark was
// written or edited by a person, and replacing it needs consent (--force). Files a person is meant
// to edit from the start (shipproof.yaml from `init`) are never replaced without consent.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

/** How the file carries the mark; `person` files carry none: once written, they are the person's. */
export type GeneratedSyntax = 'markdown' | 'yaml' | 'json' | 'person';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
// Markdown: a link reference definition, which renders as nothing (an HTML comment would show as
// text where raw HTML is off, as in the dashboard); it needs the blank line before it.
const TRAILER = /(?:^|\n)(?:\n\[\/\/\]: # \(|# )shipproof:generated sha256=([0-9a-f]{64})[^\n]*\n?$/;
const JSON_KEY = 'shipproofGenerated';
const JSON_PREFIX = `{\n  "${JSON_KEY}": "sha256=`;

/** `text` with its mark. JSON must be an object serialised with an indent of 2 (what every writer uses). */
export function withGeneratedMark(text: string, syntax: Exclude<GeneratedSyntax, 'person'>): string {
  const hash = sha256(text);
  if (syntax === 'json') {
    if (!/^\{\n {2}"/.test(text)) throw new Error('a generated JSON file must be a non-empty object indented by 2');
    return `${JSON_PREFIX}${hash}",${text.slice(1)}`;
  }
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const note = 're-run shipproof to change this file; it is not replaced once edited, unless with --force';
  return syntax === 'markdown' ? `${body}\n[//]: # (shipproof:generated sha256=${sha256(body)} ${note})\n` : `${body}# shipproof:generated sha256=${sha256(body)} ${note}\n`;
}

/** Whether `existing` is a file shipproof generated, unchanged since (its mark matches its content). */
export function isUnchangedGenerated(existing: string): boolean {
  if (existing.startsWith(JSON_PREFIX)) {
    const hash = existing.slice(JSON_PREFIX.length, JSON_PREFIX.length + 64);
    return existing.slice(JSON_PREFIX.length + 64, JSON_PREFIX.length + 66) === '",' && sha256(`{${existing.slice(JSON_PREFIX.length + 66)}`) === hash;
  }
  const m = TRAILER.exec(existing);
  if (m === null) return false;
  const body = existing.slice(0, m.index + (existing[m.index] === '\n' ? 1 : 0));
  return sha256(body) === m[1];
}

export interface GeneratedWriteOptions {
  syntax: GeneratedSyntax;
  /** Consent to replace a file shipproof did not write (or that was edited since). */
  force?: boolean;
  mode?: number;
  /** The path as the message shows it. */
  shown: string;
  /** Files older shipproof versions wrote before the mark existed (recognised by their own header). */
  legacy?: (existing: string) => boolean;
  /** How to give consent, for the hint. Default `--force`. */
  forceFlag?: string;
  /** A hint of the writer's own, in place of the default. */
  hint?: string;
}

/**
 * Writes `text` (marked as the syntax says) to `file` atomically, unless an existing file there is
 * not shipproof's: then a UsageError (exit 2) says so and how to consent. Returns what was written;
 * `changed` is false when the file already held exactly that.
 */
export async function writeGeneratedFile(file: string, text: string, o: GeneratedWriteOptions): Promise<{ text: string; changed: boolean }> {
  const final = o.syntax === 'person' ? text : withGeneratedMark(text, o.syntax);
  const existing = await refuseUnlessOurs(file, o);
  if (existing === final) return { text: final, changed: false };
  try {
    // No file there: create it exclusively, so one appearing meanwhile is not replaced either.
    await writeFileAtomic(file, final, { mode: o.mode ?? 0o644, exclusive: existing === undefined && o.force !== true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw notOurs(o);
    throw e;
  }
  return { text: final, changed: true };
}

/**
 * The check alone (a command that works a while before it writes asks first): throws unless `file`
 * is absent, shipproof's and unchanged, or `force` is given. Returns the existing text.
 */
export async function refuseUnlessOurs(file: string, o: Omit<GeneratedWriteOptions, 'mode'>): Promise<string | undefined> {
  const existing = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    if (e.code === 'EISDIR') throw new UsageError(`${o.shown} is a folder, so it cannot be written as a file.`, { hint: 'Choose another path.' });
    throw e;
  });
  const ours = existing !== undefined && o.syntax !== 'person' && (isUnchangedGenerated(existing) || o.legacy?.(existing) === true);
  if (existing !== undefined && !ours && o.force !== true) throw notOurs(o);
  return existing;
}

function notOurs(o: Omit<GeneratedWriteOptions, 'mode'>): UsageError {
  const why = o.syntax === 'person' ? 'exists already' : 'exists and was not written by shipproof (or was edited since)';
  return new UsageError(`${o.shown} ${why}: shipproof does not replace it.`, {
    hint: o.hint ?? `Move it aside or choose another path, or run the command again with ${o.forceFlag ?? '--force'} to replace it.`,
  });
}
