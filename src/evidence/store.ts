// The evidence store: one folder of signed, hash-chained records.
// One append, under the folder's writer lock:
//   1. check the ledger it builds on (chain links, signed head, this machine's head cache);
//   2. write <base>.json, <base>.md, <base>.dsse.json (each atomic, never replacing a file);
//   3. write the ledger with the new line (atomic rename);
//   4. write the signed head (atomic), then the head cache.
// A crash between steps leaves orphan record files (step 2) or a head one entry behind (step 3);
// both still verify, with warnings, and the next append carries on.
import { readdir, readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { ShipproofError, UsageError } from '../errors.js';
import { buildApprovalStatement } from './approval.js';
import { writeFileAtomic } from './atomic-write.js';
import { serializeEnvelope, signEnvelope } from './dsse.js';
import { readHeadCache, writeHeadCache } from './head-cache.js';
import {
  RECORD_NAME_PATTERN,
  checkChain,
  readLedgerBytes,
  recordFileNames,
  serializeEntry,
  sha256Hex,
  splitLedger,
  writeLedgerWithLine,
  type LedgerEntry,
  type LedgerFile,
  type SplitLedger,
} from './ledger.js';
import { HEAD_FILE, readHead, writeHead } from './ledger-head.js';
import { withLedgerLock } from './ledger-lock.js';
import type { EvidenceStatement, RecordStatus } from './predicate-schema.js';
import { renderEvidenceMarkdown } from './render-markdown.js';
import { loadOrCreateSigningKey, type SigningKey } from './signing-key.js';
import { STATEMENT_PAYLOAD_TYPE, parseStatement, serializeStatement } from './statement.js';
import { checkHeadCache, checkHeadCoverage, checkRecord, verifyEvidence, type Problem, type VerifyReport } from './verify.js';

/** Test hook: stop an append after a step, as a crash (kill -9, power loss) would. */
export type CrashPoint = 'record-json' | 'record-files' | 'ledger';

export interface EvidenceStoreOptions {
  /** SHIPPROOF_HOME override: where the private key and the head cache live. */
  home?: string;
  /** Who runs shipproof; used for approvals. Default user@host. */
  operator?: string;
  /** The running shipproof version; used for approvals and verify. */
  toolVersion?: string;
  now?: () => Date;
  /** How long an append waits for another writer. Default 30 s. */
  lockTimeoutMs?: number;
  /** Test only: throw after this step of the next appends, leaving the folder as a crash would. */
  simulateCrashAfter?: CrashPoint;
}

export interface AppendMeta {
  kind: string;
  target: string;
  status: RecordStatus;
  release?: string;
  milestone?: { number: number; id: string };
}

/** The new ledger entry; each file also carries its absolute path. */
export type AppendedEntry = Omit<LedgerEntry, 'files'> & { files: Array<LedgerFile & { path: string }> };

export interface ShownRecord {
  entry: LedgerEntry;
  statement: EvidenceStatement;
  markdown: string;
}

export class SimulatedCrash extends Error {
  constructor(readonly after: CrashPoint) {
    super(`simulated crash after ${after}`);
  }
}

export class EvidenceStore {
  private constructor(
    readonly dir: string,
    private readonly opts: EvidenceStoreOptions,
  ) {}

  /** Opens (does not create) an evidence folder; the folder and key are made on the first append. */
  static open(evidenceDir: string, opts: EvidenceStoreOptions = {}): EvidenceStore {
    return new EvidenceStore(resolve(evidenceDir), opts);
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  // Read afresh on every append (never cached): a swapped signing-key.pub must stop the next append.
  private key(): Promise<SigningKey> {
    return loadOrCreateSigningKey(this.dir, this.opts.home === undefined ? {} : { home: this.opts.home });
  }

  async append(statement: EvidenceStatement, meta: AppendMeta): Promise<AppendedEntry> {
    const json = serializeStatement(statement);
    const canonical = parseStatement(json);
    assertMetaMatches(canonical, meta);
    const markdown = Buffer.from(renderEvidenceMarkdown(canonical), 'utf8');
    const key = await this.key();
    const envelope = serializeEnvelope(signEnvelope(json, STATEMENT_PAYLOAD_TYPE, key));
    const p = canonical.predicate;

    return withLedgerLock(
      this.dir,
      async () => {
        const existing = (await readLedgerBytes(this.dir)) ?? Buffer.alloc(0);
        const split = splitLedger(existing);
        await this.assertWritable(split, key);

        const time = this.now();
        const record = await this.freeBaseName(time, p.target.name, recordLabel(p));
        const names = recordFileNames(record);
        const contents = [json, markdown, envelope];
        for (let i = 0; i < 3; i++) {
          await writeFileAtomic(join(this.dir, names[i] as string), contents[i] as Buffer, { mode: 0o644, exclusive: true });
          if (i === 0) this.crashPoint('record-json');
        }
        this.crashPoint('record-files');

        const last = split.lines[split.lines.length - 1];
        const entry: LedgerEntry = {
          seq: split.lines.length + 1,
          time: time.toISOString(),
          kind: p.kind,
          target: p.target.name,
          status: p.status,
          ...(p.release !== undefined ? { release: p.release } : {}),
          ...(p.milestone !== undefined ? { milestone: { number: p.milestone.number, id: p.milestone.id } } : {}),
          operator: p.operator,
          toolVersion: p.toolVersion,
          record,
          files: names.map((name, i) => ({ name, sha256: sha256Hex(contents[i] as Buffer) })),
          keyid: key.keyid,
          prev: last === undefined ? '0'.repeat(64) : sha256Hex(last),
        };
        const entrySha256 = await writeLedgerWithLine(this.dir, existing, serializeEntry(entry));
        this.crashPoint('ledger');

        await writeHead(this.dir, { seq: entry.seq, entrySha256, time: entry.time, keyid: key.keyid }, key);
        await writeHeadCache(this.dir, { seq: entry.seq, entrySha256, keyid: key.keyid }, this.opts.home);
        return { ...entry, files: entry.files.map((f) => ({ ...f, path: join(this.dir, f.name) })) };
      },
      this.opts.lockTimeoutMs === undefined ? {} : { timeoutMs: this.opts.lockTimeoutMs },
    );
  }

  /** The ledger's entries, in order. Reads only the ledger; `verify` checks the records. */
  async list(): Promise<LedgerEntry[]> {
    const split = splitLedger((await readLedgerBytes(this.dir)) ?? Buffer.alloc(0));
    const chain = checkChain(split);
    if (chain.problem !== undefined) {
      throw new ShipproofError(`The evidence ledger in ${this.dir} is damaged at seq ${chain.problem.seq}: ${chain.problem.problem}.`, {
        hint: 'Run `shipproof evidence verify` for the full report.',
      });
    }
    return chain.entries;
  }

  /** One record by seq (number or digits) or by record name (or a unique prefix of it). */
  async show(idOrSeq: string | number): Promise<ShownRecord> {
    const entry = resolveEntry(await this.list(), idOrSeq);
    const [jsonName, mdName] = recordFileNames(entry.record);
    const json = await this.readRecordFile(entry, jsonName, 0);
    const md = await this.readRecordFile(entry, mdName, 1);
    return { entry, statement: parseStatement(json), markdown: md.toString('utf8') };
  }

  /** Records that `reviewer` reviewed record `seq`, as a new chained, signed record. */
  /** `seal` redacts and scans the statement, fail-closed (core/record-evidence sealStatement). */
  async approve(seq: number, review: { reviewer: string; note: string }, seal: (s: EvidenceStatement) => EvidenceStatement): Promise<LedgerEntry> {
    if (review.reviewer.trim() === '') throw new UsageError('An approval needs the reviewer\'s name.');
    const shown = await this.show(seq);
    if (shown.entry.kind === 'approval') {
      throw new UsageError(`Record #${seq} is itself an approval; approve the record it approves instead.`);
    }
    const statement = buildApprovalStatement({
      approved: { seq, record: shown.entry.record, jsonSha256: shown.entry.files[0]?.sha256 ?? '', statement: shown.statement },
      reviewer: review.reviewer,
      note: review.note,
      operator: this.opts.operator ?? defaultOperator(),
      toolVersion: this.opts.toolVersion ?? 'unknown',
      at: this.now(),
    });
    const p = seal(statement).predicate;
    const { files, ...entry } = await this.append({ ...statement, predicate: p }, {
      kind: p.kind,
      target: p.target.name,
      status: p.status,
      ...(p.release !== undefined ? { release: p.release } : {}),
      ...(p.milestone !== undefined ? { milestone: p.milestone } : {}),
    });
    return { ...entry, files: files.map(({ name, sha256 }) => ({ name, sha256 })) };
  }

  async verify(): Promise<VerifyReport> {
    return verifyEvidence(this.dir, {
      ...(this.opts.home !== undefined ? { home: this.opts.home } : {}),
      ...(this.opts.toolVersion !== undefined ? { toolVersion: this.opts.toolVersion } : {}),
    });
  }

  private crashPoint(step: CrashPoint): void {
    if (this.opts.simulateCrashAfter === step) throw new SimulatedCrash(step);
  }

  private async readRecordFile(entry: LedgerEntry, name: string, index: number): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      throw new ShipproofError(`Record #${entry.seq} is missing its file ${name}.`, { hint: 'Run `shipproof evidence verify`.' });
    }
    if (sha256Hex(bytes) !== entry.files[index]?.sha256) {
      throw new ShipproofError(`Record #${entry.seq} (${name}) was changed after it was written.`, { hint: 'Run `shipproof evidence verify`.' });
    }
    return bytes;
  }

  /** `<UTC timestamp>-<target>-<label>`, with -2, -3, … when a record (or an orphan from a crash) has the name. */
  private async freeBaseName(time: Date, target: string, label: string): Promise<string> {
    const taken = new Set(await readdir(this.dir));
    const base = `${compactUtc(time)}-${slug(target)}-${label}`;
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? base : `${base}-${n}`;
      if (!RECORD_NAME_PATTERN.test(candidate)) throw new Error(`bad record name ${candidate}`);
      if (recordFileNames(candidate).every((f) => !taken.has(f))) return candidate;
    }
  }

  /** Refuses to sign a new head over a ledger that does not check out: that would launder tampering. */
  private async assertWritable(split: SplitLedger, key: SigningKey): Promise<void> {
    const problem = await this.tailProblem(split, key);
    if (problem === undefined) return;
    const at = problem.seq !== undefined ? ` at seq ${problem.seq}` : '';
    throw new ShipproofError(`The evidence ledger in ${this.dir} does not verify${at} (${problem.problem}), so nothing was written.`, {
      hint: 'Run `shipproof evidence verify` for the report; shipproof will not sign new records on top of a damaged ledger.',
    });
  }

  private async tailProblem(split: SplitLedger, key: SigningKey): Promise<Problem | undefined> {
    const chain = checkChain(split);
    if (chain.problem !== undefined) return { kind: 'chain', ...chain.problem };
    const n = split.lines.length;
    const cache = await readHeadCache(this.dir, this.opts.home);
    if (cache !== undefined) {
      const p = checkHeadCache(split, cache, key);
      if (p !== undefined) return p;
    }
    if (n === 0) return undefined;
    const head = await readHead(this.dir, key);
    let coveredTo = 0;
    if (head.state === 'bad') return { kind: head.kind, problem: head.problem };
    if (head.state === 'missing') {
      if (n > 1) return { kind: 'chain', problem: `${HEAD_FILE} is missing` };
    } else {
      const p = checkHeadCoverage(split, head.head, []);
      if (p !== undefined) return p;
      coveredTo = head.head.seq;
    }
    // The one entry after the head (an interrupted append) is vouched for by no head yet: check its record.
    if (coveredTo < n) {
      const last = chain.entries[n - 1] as LedgerEntry;
      const rec = await checkRecord(this.dir, last, key);
      if (!rec.ok) return rec;
    }
    return undefined;
  }
}

function assertMetaMatches(statement: EvidenceStatement, meta: AppendMeta): void {
  const p = statement.predicate;
  const diffs: string[] = [];
  if (meta.kind !== p.kind) diffs.push('kind');
  if (meta.target !== p.target.name) diffs.push('target');
  if (meta.status !== p.status) diffs.push('status');
  if (meta.release !== p.release) diffs.push('release');
  if (meta.milestone?.number !== p.milestone?.number || meta.milestone?.id !== p.milestone?.id) diffs.push('milestone');
  if (diffs.length > 0) {
    throw new ShipproofError(`The evidence record and its ledger details disagree on ${diffs.join(', ')}; nothing was written.`);
  }
}

function resolveEntry(entries: LedgerEntry[], idOrSeq: string | number): LedgerEntry {
  const text = String(idOrSeq).trim();
  if (/^[0-9]+$/.test(text)) {
    const e = entries[Number(text) - 1];
    if (e !== undefined) return e;
  } else {
    const id = text.replace(/(\.dsse\.json|\.json|\.md)$/, '');
    const exact = entries.find((e) => e.record === id);
    if (exact !== undefined) return exact;
    const prefixed = entries.filter((e) => e.record.startsWith(id));
    if (prefixed.length === 1 && prefixed[0] !== undefined) return prefixed[0];
    if (prefixed.length > 1) {
      throw new UsageError(`"${text}" matches ${prefixed.length} evidence records.`, { hint: 'Give more of the name, or the seq number.' });
    }
  }
  throw new UsageError(`No evidence record "${text}" in this folder.`, { hint: 'Run `shipproof evidence list` to see the records.' });
}

/**
 * What a record's file name says it is: `m06-stack-starts` for a milestone (so a folder listing
 * reads as the runbook), else its kind (`deploy`, `rollback`, `collect`, …).
 */
export function recordLabel(p: { kind: string; milestone?: { number: number; id: string } | undefined }): string {
  if (p.milestone === undefined) return slug(p.kind);
  const m = `m${String(p.milestone.number).padStart(2, '0')}-${slug(p.milestone.id)}`;
  // An approval of a milestone record says both.
  return p.kind === 'milestone' ? m : `${slug(p.kind)}-${m}`;
}

/** 2026-11-23T15:04:05.123Z -> 20261123T150405Z */
export function compactUtc(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** A file-name-safe form of a target or kind name. */
export function slug(s: string): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 40);
  return out === '' ? 'x' : out;
}

function defaultOperator(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep $USER.
  }
  return `${user}@${hostname()}`;
}
