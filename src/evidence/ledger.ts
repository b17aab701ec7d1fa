// The ledger: ledger.jsonl, one entry per line, each naming its record files by sha256 and the
// previous line by the sha256 of its exact bytes. Lines are hashed as read from disk, never
// re-serialised, so any edit shows. Appends rewrite the whole file through a temp file and a
// rename, so a crash leaves the old ledger or the new one, never half a line.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-write.js';
import { evidenceKindSchema, recordStatusSchema } from './predicate-schema.js';

export const LEDGER_FILE = 'ledger.jsonl';
export const ZERO_HASH = '0'.repeat(64);

/** `<UTC timestamp>-<target>-<kind>` with an optional `-N` collision suffix. */
export const RECORD_NAME_PATTERN = /^[0-9]{8}T[0-9]{6}Z-[a-z0-9._-]+$/;
export const RECORD_EXTENSIONS = ['.json', '.md', '.dsse.json'] as const;

const sha256String = z.string().regex(/^[0-9a-f]{64}$/);

export const ledgerFileSchema = z.strictObject({ name: z.string().min(1), sha256: sha256String });
export type LedgerFile = z.infer<typeof ledgerFileSchema>;

export const ledgerEntrySchema = z.strictObject({
  seq: z.int().min(1),
  time: z.iso.datetime({ offset: false, local: false }),
  kind: evidenceKindSchema,
  target: z.string().min(1),
  status: recordStatusSchema,
  release: z.string().min(1).optional(),
  milestone: z.strictObject({ number: z.int().min(1), id: z.string().min(1) }).optional(),
  operator: z.string().min(1),
  toolVersion: z.string().min(1),
  record: z.string().regex(RECORD_NAME_PATTERN),
  files: z.array(ledgerFileSchema).length(3),
  /** The key that signed the record (and the head after this entry). */
  keyid: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  prev: sha256String,
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** One ledger line, fixed key order, no newline. */
export function serializeEntry(entry: LedgerEntry): string {
  const ordered: Record<string, unknown> = {
    seq: entry.seq,
    time: entry.time,
    kind: entry.kind,
    target: entry.target,
    status: entry.status,
  };
  if (entry.release !== undefined) ordered.release = entry.release;
  if (entry.milestone !== undefined) ordered.milestone = { number: entry.milestone.number, id: entry.milestone.id };
  Object.assign(ordered, {
    operator: entry.operator,
    toolVersion: entry.toolVersion,
    record: entry.record,
    files: entry.files.map((f) => ({ name: f.name, sha256: f.sha256 })),
    keyid: entry.keyid,
    prev: entry.prev,
  });
  return JSON.stringify(ordered);
}

export interface SplitLedger {
  /** Complete lines, without their newline, exactly as on disk. */
  lines: Buffer[];
  /** True when the file does not end with a newline (its last line is cut short). */
  partialTail: boolean;
}

export function splitLedger(bytes: Buffer): SplitLedger {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  const partialTail = start < bytes.length;
  if (partialTail) lines.push(bytes.subarray(start));
  return { lines, partialTail };
}

export function parseEntryLine(line: Buffer): LedgerEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = ledgerEntrySchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export interface ChainProblem {
  seq: number;
  problem: string;
}

export interface ChainCheck {
  /** Entries that passed, in order (up to the first problem). */
  entries: LedgerEntry[];
  problem?: ChainProblem;
}

/** Checks that every line parses, seqs run 1..N and each prev is the sha256 of the line before. */
export function checkChain(split: SplitLedger): ChainCheck {
  const entries: LedgerEntry[] = [];
  let prev = ZERO_HASH;
  for (let i = 0; i < split.lines.length; i++) {
    const line = split.lines[i] as Buffer;
    const seq = i + 1;
    if (split.partialTail && i === split.lines.length - 1) {
      return { entries, problem: { seq, problem: `ledger line ${seq} is cut short (no newline at the end of the file)` } };
    }
    const entry = parseEntryLine(line);
    if (entry === undefined) return { entries, problem: { seq, problem: `ledger line ${seq} is not a valid ledger entry` } };
    if (entry.seq !== seq) {
      return {
        entries,
        problem: { seq, problem: `ledger line ${seq} holds seq ${entry.seq}: an entry was removed, inserted or reordered` },
      };
    }
    if (entry.prev !== prev) {
      return {
        entries,
        problem: {
          seq,
          problem: `entry ${seq} does not link to the line before it (prev hash mismatch): an entry was removed, inserted, reordered or edited`,
        },
      };
    }
    entries.push(entry);
    prev = sha256Hex(line);
  }
  return { entries };
}

export async function readLedgerBytes(evidenceDir: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(evidenceDir, LEDGER_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes `existing` plus one new line as the whole new ledger, atomically. Returns the new line's sha256. */
export async function writeLedgerWithLine(evidenceDir: string, existing: Buffer, line: string): Promise<string> {
  if (line.includes('\n')) throw new Error('ledger line must not contain a newline');
  const lineBytes = Buffer.from(line, 'utf8');
  await writeFileAtomic(join(evidenceDir, LEDGER_FILE), Buffer.concat([existing, lineBytes, Buffer.from('\n')]), { mode: 0o644 });
  return sha256Hex(lineBytes);
}

/** The three file names of a record, in ledger order. */
export function recordFileNames(record: string): [string, string, string] {
  return [`${record}.json`, `${record}.md`, `${record}.dsse.json`];
}
