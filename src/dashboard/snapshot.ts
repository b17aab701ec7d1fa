// What the dashboard knows: one read of the evidence folder through the evidence API — the ledger
// chain, each record checked (hashes, signature, statement) by checkRecord, and the full
// verification — with every string passed through the one redactor. Nothing is written: the head
// cache is read, never updated, so opening the dashboard changes no file.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkChain, readLedgerBytes, recordFileNames, splitLedger, type LedgerEntry } from '../evidence/ledger.js';
import type { EvidenceStatement } from '../evidence/predicate-schema.js';
import { readEvidencePublicKey } from '../evidence/signing-key.js';
import { RecordMemo } from '../evidence/record-memo.js';
import { recordVerdict, verifyEvidence, type RecordVerdict, type VerifyReport } from '../evidence/verify.js';
import { redactValue, type Redactor, redactor } from '../redact/index.js';

export interface RecordView {
  entry: LedgerEntry;
  /** The signed statement, when the record checks out (hashes, signature, schema). */
  statement?: EvidenceStatement;
  /** The record's JSON as found, when it does not check out: shown generically, flagged. */
  raw?: unknown;
  /** Why this record does not check out (edited, missing, signed by another key…). */
  problem?: string;
  problemKind?: 'chain' | 'signature';
}

export interface EvidenceSnapshot {
  dir: string;
  loadedAt: Date;
  records: RecordView[];
  verify: VerifyReport;
  /** The ledger could not be read past this line (a line edited, removed or cut). */
  chainProblem?: { seq: number; problem: string };
  /** Changes whenever any file in the folder changes: what the live view watches. */
  version: string;
}

export interface SnapshotOptions {
  home?: string;
  toolVersion?: string;
  redactWith?: Redactor;
  /** Kept by SnapshotCache across snapshots: each unchanged record is checked and redacted once. */
  reuse?: SnapshotReuse;
}

/** What a snapshot can take from the one before: record checks (by file identity) and each good record's redacted view (by its statement). */
export interface SnapshotReuse {
  memo: RecordMemo<RecordVerdict>;
  views: WeakMap<EvidenceStatement, RecordView>;
}

export function newSnapshotReuse(): SnapshotReuse {
  return { memo: new RecordMemo<RecordVerdict>(), views: new WeakMap() };
}

/** A cheap fingerprint of the folder (names, sizes, mtimes), so a snapshot is re-read only when something changed. */
export async function folderVersion(dir: string): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return 'missing';
  }
  const parts: string[] = [];
  for (const name of names) {
    const s = await stat(join(dir, name)).catch(() => undefined);
    if (s !== undefined) parts.push(`${name}:${s.size}:${s.mtimeMs}`);
  }
  return parts.join('|');
}

export async function loadSnapshot(dir: string, o: SnapshotOptions = {}): Promise<EvidenceSnapshot> {
  const r = o.redactWith ?? redactor;
  const version = await folderVersion(dir);
  const split = splitLedger((await readLedgerBytes(dir).catch(() => undefined)) ?? Buffer.alloc(0));
  const chain = checkChain(split);
  const keyRead = await readEvidencePublicKey(dir).catch(() => ({ state: 'missing' as const }));
  const reuse = o.reuse ?? newSnapshotReuse();
  const records: RecordView[] = [];
  for (const entry of chain.entries) {
    if (keyRead.state !== 'ok') {
      records.push(redactValue({ entry, raw: await rawJson(dir, entry), problem: 'signing-key.pub is missing or invalid, so no signature can be checked', problemKind: 'signature' }, r));
      continue;
    }
    const checked = await recordVerdict(dir, entry, keyRead.key, reuse.memo);
    if (!checked.ok) {
      records.push(redactValue({ entry, raw: await rawJson(dir, entry), problem: checked.problem, problemKind: checked.kind }, r));
      continue;
    }
    let view = reuse.views.get(checked.statement);
    if (view === undefined) {
      view = redactValue({ entry, statement: checked.statement }, r);
      reuse.views.set(checked.statement, view);
    }
    records.push(view);
  }
  const verify = await verifyEvidence(dir, {
    updateHeadCache: false,
    memo: reuse.memo,
    ...(o.home === undefined ? {} : { home: o.home }),
    ...(o.toolVersion === undefined ? {} : { toolVersion: o.toolVersion }),
  });
  // Redacted here, once, so no page, asset or event can show a string that skipped the redactor.
  return {
    dir: redactValue(dir, r),
    loadedAt: new Date(),
    records,
    verify: redactValue(verify, r),
    ...(chain.problem === undefined ? {} : { chainProblem: redactValue(chain.problem, r) }),
    version,
  };
}

async function rawJson(dir: string, entry: LedgerEntry): Promise<unknown> {
  try {
    return JSON.parse(await readFile(join(dir, recordFileNames(entry.record)[0]), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Keeps the last snapshot and re-reads the folder only when its version changed. */
export class SnapshotCache {
  private last: EvidenceSnapshot | undefined;
  private pending: Promise<EvidenceSnapshot> | undefined;
  private readonly reuse = newSnapshotReuse();

  constructor(
    readonly dir: string,
    private readonly opts: SnapshotOptions = {},
  ) {}

  async get(): Promise<EvidenceSnapshot> {
    const version = await folderVersion(this.dir);
    if (this.last !== undefined && this.last.version === version) return this.last;
    this.pending ??= loadSnapshot(this.dir, { ...this.opts, reuse: this.reuse }).finally(() => (this.pending = undefined));
    this.last = await this.pending;
    return this.last;
  }
}
