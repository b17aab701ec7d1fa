// Verifying an evidence folder: every ledger line links to the one before, every record file has
// the hash the ledger holds, every record is signed by the folder's key, the Markdown re-renders
// byte for byte from the JSON, the signed head covers the ledger's tail, and this machine's head
// cache shows no rollback. The first problem (lowest seq) is reported with its kind:
//   chain     (exit 3) something was edited, removed, reordered, inserted or cut off;
//   signature (exit 4) something was signed by no key or by another key than signing-key.pub.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_FILE_PATTERN } from './atomic-write.js';
import { parseEnvelope, verifyEnvelope } from './dsse.js';
import { readHeadCache, writeHeadCache, type HeadCacheEntry } from './head-cache.js';
import {
  LEDGER_FILE,
  RECORD_NAME_PATTERN,
  checkChain,
  parseEntryLine,
  readLedgerBytes,
  recordFileNames,
  sha256Hex,
  splitLedger,
  type LedgerEntry,
  type SplitLedger,
} from './ledger.js';
import { HEAD_FILE, readHead } from './ledger-head.js';
import { LOCK_FILE, describeLeftoverLock } from './ledger-lock.js';
import type { EvidenceStatement } from './predicate-schema.js';
import { renderEvidenceMarkdown } from './render-markdown.js';
import type { RecordMemo } from './record-memo.js';
import { PUBLIC_KEY_FILE, readEvidencePublicKey, type PublicSigningKey } from './signing-key.js';
import { STATEMENT_PAYLOAD_TYPE, parseStatement } from './statement.js';

/** Exit code of `evidence verify` when the folder verifies. */
export const VERIFY_EXIT_OK = 0;
/** Exit code when the hash chain is broken: a record or ledger line was edited, removed, reordered, inserted or cut off. */
export const VERIFY_EXIT_CHAIN = 3;
/** Exit code when a signature does not verify with signing-key.pub, or the key was swapped. */
export const VERIFY_EXIT_SIGNATURE = 4;

export type ProblemKind = 'chain' | 'signature';

export interface VerifyReport {
  ok: boolean;
  /** Lines in the ledger. */
  entries: number;
  firstBad?: { seq?: number; record?: string; problem: string };
  kind?: ProblemKind;
  warnings: string[];
}

export function verifyExitCode(report: VerifyReport): number {
  if (report.ok) return VERIFY_EXIT_OK;
  return report.kind === 'signature' ? VERIFY_EXIT_SIGNATURE : VERIFY_EXIT_CHAIN;
}

export interface Problem {
  kind: ProblemKind;
  seq?: number;
  record?: string;
  problem: string;
}

export interface VerifyOptions {
  /** SHIPPROOF_HOME override (head cache). */
  home?: string;
  /**
   * The running shipproof version. A Markdown file that no longer re-renders identically is a
   * chain problem when it was written by this version, and a warning when written by another
   * (the renderer may have changed between versions; its hash still proves it is unedited).
   */
  toolVersion?: string;
  /** Record the verified head in this machine's head cache. Default true. */
  updateHeadCache?: boolean;
  /** A long-running reader's memo of record checks (see record-memo.ts); `evidence verify` passes none. */
  memo?: RecordMemo<RecordVerdict>;
}

/** What checking one record found, without its bytes: the signed statement and whether its .md re-renders from it. */
export type RecordVerdict = { ok: true; statement: EvidenceStatement; rendersSame: boolean } | ({ ok: false } & Problem);

/** checkRecord, then the Markdown re-render, through the memo when one is given. */
export async function recordVerdict(evidenceDir: string, entry: LedgerEntry, key: PublicSigningKey, memo?: RecordMemo<RecordVerdict>): Promise<RecordVerdict> {
  const compute = async (): Promise<RecordVerdict> => {
    const rec = await checkRecord(evidenceDir, entry, key);
    if (!rec.ok) return rec;
    return { ok: true, statement: rec.statement, rendersSame: Buffer.from(renderEvidenceMarkdown(rec.statement), 'utf8').equals(rec.markdown) };
  };
  return memo === undefined ? compute() : memo.remember(evidenceDir, entry, key.keyid, compute);
}

export type RecordCheck =
  | { ok: true; statement: EvidenceStatement; json: Buffer; markdown: Buffer }
  | ({ ok: false } & Problem);

/**
 * Checks one entry's record: the three files exist with the ledger's hashes, the envelope is
 * signed by `key` over exactly the .json bytes, and the entry agrees with the signed statement.
 */
export async function checkRecord(evidenceDir: string, entry: LedgerEntry, key: PublicSigningKey): Promise<RecordCheck> {
  const bad = (kind: ProblemKind, problem: string): RecordCheck => ({ ok: false, kind, seq: entry.seq, record: entry.record, problem });
  const names = recordFileNames(entry.record);
  if (entry.files.some((f, i) => f.name !== names[i])) {
    return bad('chain', `entry ${entry.seq} lists files other than ${names.join(', ')}`);
  }
  const contents: Buffer[] = [];
  for (const f of entry.files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(evidenceDir, f.name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return bad('chain', `record file ${f.name} is missing`);
      throw e;
    }
    if (sha256Hex(bytes) !== f.sha256) return bad('chain', `record file ${f.name} was changed: its sha256 is not the one in the ledger`);
    contents.push(bytes);
  }
  const [json, markdown, dsse] = contents as [Buffer, Buffer, Buffer];

  if (entry.keyid !== key.keyid) {
    return bad('signature', `entry ${entry.seq} was signed by ${entry.keyid}, but ${PUBLIC_KEY_FILE} is ${key.keyid}`);
  }
  const envelope = parseEnvelope(dsse);
  if (envelope === undefined) return bad('signature', `${names[2]} is not a DSSE envelope`);
  const checked = verifyEnvelope(envelope, STATEMENT_PAYLOAD_TYPE, key.publicKey, key.keyid);
  if (!checked.ok) return bad('signature', `${names[2]}: ${checked.problem}`);
  if (!checked.payload.equals(json)) return bad('signature', `${names[2]} signs other bytes than ${names[0]}`);

  let statement: EvidenceStatement;
  try {
    statement = parseStatement(json);
  } catch {
    return bad('chain', `${names[0]} is not a valid evidence statement`);
  }
  const p = statement.predicate;
  const mismatch: string[] = [];
  if (entry.kind !== p.kind) mismatch.push('kind');
  if (entry.target !== p.target.name) mismatch.push('target');
  if (entry.status !== p.status) mismatch.push('status');
  if (entry.release !== p.release) mismatch.push('release');
  if (entry.milestone?.number !== p.milestone?.number || entry.milestone?.id !== p.milestone?.id) mismatch.push('milestone');
  if (entry.operator !== p.operator) mismatch.push('operator');
  if (entry.toolVersion !== p.toolVersion) mismatch.push('toolVersion');
  if (mismatch.length > 0) {
    return bad('chain', `ledger entry ${entry.seq} disagrees with its signed record on ${mismatch.join(', ')}`);
  }
  return { ok: true, statement, json, markdown };
}

/** Compares the signed head with the ledger: the tail must not be cut, and the head's line must be unchanged. */
export function checkHeadCoverage(split: SplitLedger, head: { seq: number; entrySha256: string }, warnings: string[]): Problem | undefined {
  const n = split.lines.length;
  if (head.seq > n) {
    return {
      kind: 'chain',
      seq: n + 1,
      problem: `the ledger ends at seq ${n}, but the signed head is at seq ${head.seq}: entries were cut off the end`,
    };
  }
  const line = split.lines[head.seq - 1] as Buffer;
  if (sha256Hex(line) !== head.entrySha256) {
    return { kind: 'chain', seq: head.seq, problem: `entry ${head.seq} is not the one the signed head vouches for: the ledger was rewritten` };
  }
  if (head.seq === n - 1) {
    warnings.push(`entry ${n} is not yet covered by the signed head (an append was interrupted before the head step); the next append signs it`);
  } else if (head.seq < n - 1) {
    return {
      kind: 'chain',
      seq: head.seq + 1,
      problem: `entries ${head.seq + 1}..${n} come after the signed head at seq ${head.seq}; at most one may, after an interrupted append`,
    };
  }
  return undefined;
}

/** Compares the ledger with what this machine saw last. */
export function checkHeadCache(split: SplitLedger, cache: HeadCacheEntry, key: PublicSigningKey): Problem | undefined {
  const n = split.lines.length;
  if (cache.keyid !== undefined && cache.keyid !== key.keyid) {
    return { kind: 'signature', problem: `${PUBLIC_KEY_FILE} is key ${key.keyid}, but this machine last saw the folder signed by ${cache.keyid}` };
  }
  if (cache.seq > n) {
    return {
      kind: 'chain',
      seq: n + 1,
      problem: `the ledger ends at seq ${n}, but this machine already saw seq ${cache.seq}: the ledger was truncated or rolled back`,
    };
  }
  const line = split.lines[cache.seq - 1] as Buffer;
  if (sha256Hex(line) !== cache.entrySha256) {
    return { kind: 'chain', seq: cache.seq, problem: `entry ${cache.seq} differs from the one this machine saw: the ledger was rewritten` };
  }
  return undefined;
}

export async function verifyEvidence(evidenceDir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const warnings: string[] = [];
  const problems: Problem[] = [];
  const ledgerBytes = await readLedgerBytes(evidenceDir);
  const split = splitLedger(ledgerBytes ?? Buffer.alloc(0));
  const n = split.lines.length;
  let cache: HeadCacheEntry | undefined;
  try {
    cache = await readHeadCache(evidenceDir, opts.home);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    cache = undefined; // the folder itself does not exist
  }

  const keyRead = await readEvidencePublicKey(evidenceDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return { state: 'missing' as const };
    throw e;
  });
  if (keyRead.state !== 'ok') {
    if (n === 0 && cache === undefined) {
      if (keyRead.state === 'invalid') problems.push({ kind: 'signature', problem: `${PUBLIC_KEY_FILE} is not an ed25519 public key` });
      else warnings.push('no evidence has been recorded in this folder yet');
      return finish(problems, n, warnings);
    }
    problems.push({
      kind: 'signature',
      problem: keyRead.state === 'missing' ? `${PUBLIC_KEY_FILE} is missing, so no record can be verified` : `${PUBLIC_KEY_FILE} is not an ed25519 public key`,
    });
    return finish(problems, n, warnings);
  }
  const key = keyRead.key;

  // 1. The chain, entry by entry, stopping at the first bad one.
  const chain = checkChain(split);
  const seen = new Map<string, number>();
  const entries = chain.entries;
  // chain.entries stops before a broken link, so a record problem found here is always earlier.
  let walkProblem: Problem | undefined;
  for (const entry of entries) {
    walkProblem = await checkEntry(evidenceDir, entry, key, entries, seen, opts, warnings);
    if (walkProblem !== undefined) break;
  }
  walkProblem ??= chain.problem ? { kind: 'chain', ...chain.problem } : undefined;
  if (walkProblem !== undefined) problems.push(walkProblem);

  // 2. The signed head.
  const head = await readHead(evidenceDir, key);
  if (head.state === 'bad') problems.push({ kind: head.kind, problem: head.problem });
  else if (head.state === 'missing') {
    if (n === 1) warnings.push(`${HEAD_FILE} is missing; entry 1 is not yet covered by a signed head (an interrupted first append?)`);
    else if (n > 1) problems.push({ kind: 'chain', problem: `${HEAD_FILE} is missing, so the end of the ledger can't be checked` });
  } else {
    const p = checkHeadCoverage(split, head.head, warnings);
    if (p !== undefined) problems.push(p);
  }

  // 3. What this machine saw before.
  if (cache !== undefined) {
    const p = checkHeadCache(split, cache, key);
    if (p !== undefined) problems.push(p);
  } else if (n > 0) {
    warnings.push('this machine has no head cache for this folder yet, so a rollback to an older signed state could not be checked');
  }

  await scanFolder(evidenceDir, split, warnings);
  const report = finish(problems, n, warnings);
  if (report.ok && n > 0 && opts.updateHeadCache !== false) {
    await writeHeadCache(evidenceDir, { seq: n, entrySha256: sha256Hex(split.lines[n - 1] as Buffer), keyid: key.keyid }, opts.home);
  }
  return report;
}

async function checkEntry(
  evidenceDir: string,
  entry: LedgerEntry,
  key: PublicSigningKey,
  entries: LedgerEntry[],
  seen: Map<string, number>,
  opts: VerifyOptions,
  warnings: string[],
): Promise<Problem | undefined> {
  const at = (kind: ProblemKind, problem: string): Problem => ({ kind, seq: entry.seq, record: entry.record, problem });
  const earlier = seen.get(entry.record);
  if (earlier !== undefined) return at('chain', `entry ${entry.seq} repeats record ${entry.record} of entry ${earlier}`);
  seen.set(entry.record, entry.seq);

  const rec = await recordVerdict(evidenceDir, entry, key, opts.memo);
  if (!rec.ok) return { kind: rec.kind, seq: rec.seq, record: rec.record, problem: rec.problem };

  if (!rec.rendersSame) {
    if (opts.toolVersion === undefined || opts.toolVersion === entry.toolVersion) {
      return at('chain', `${entry.record}.md does not match what its .json renders to`);
    }
    warnings.push(`${entry.record}.md was rendered by shipproof ${entry.toolVersion} and differs from this version's rendering; its hash is intact`);
  }

  const approval = rec.statement.predicate.approval;
  if (approval !== undefined) {
    const target = approval.seq < entry.seq ? entries[approval.seq - 1] : undefined;
    if (target === undefined || target.record !== approval.record || target.files[0]?.sha256 !== approval.sha256) {
      return at('chain', `approval ${entry.seq} refers to record #${approval.seq} ${approval.record}, which the ledger does not hold with that hash`);
    }
  }
  return undefined;
}

function finish(problems: Problem[], entries: number, warnings: string[]): VerifyReport {
  if (problems.length === 0) return { ok: true, entries, warnings };
  // The earliest problem wins; folder-wide problems (no seq) come first.
  const first = problems.reduce((a, b) => ((b.seq ?? 0) < (a.seq ?? 0) ? b : a));
  const firstBad: VerifyReport['firstBad'] = { problem: first.problem };
  if (first.seq !== undefined) firstBad.seq = first.seq;
  if (first.record !== undefined) firstBad.record = first.record;
  return { ok: false, entries, firstBad, kind: first.kind, warnings };
}

/** Warnings for leftovers of interrupted writes: temp files, record files no entry names, a lock. */
async function scanFolder(evidenceDir: string, split: SplitLedger, warnings: string[]): Promise<void> {
  let names: string[];
  try {
    names = await readdir(evidenceDir);
  } catch {
    return;
  }
  const referenced = new Set<string>();
  for (const line of split.lines) {
    const e = parseEntryLine(line);
    if (e !== undefined) for (const f of e.files) referenced.add(f.name);
  }
  const fixed = new Set([LEDGER_FILE, HEAD_FILE, PUBLIC_KEY_FILE, LOCK_FILE]);
  for (const name of names.sort()) {
    if (fixed.has(name)) continue;
    if (TEMP_FILE_PATTERN.test(name)) {
      warnings.push(`${name} is a temp file left by an interrupted write; it is not evidence and can be deleted`);
      continue;
    }
    const base = recordBase(name);
    if (base !== undefined && !referenced.has(name)) {
      warnings.push(`${name} is not in the ledger (an append was interrupted before the ledger step); it is not evidence`);
    }
  }
  const lock = await describeLeftoverLock(evidenceDir);
  if (lock !== undefined) warnings.push(lock);
}

function recordBase(name: string): string | undefined {
  for (const ext of ['.dsse.json', '.json', '.md']) {
    if (name.endsWith(ext)) {
      const base = name.slice(0, -ext.length);
      return RECORD_NAME_PATTERN.test(base) ? base : undefined;
    }
  }
  return undefined;
}
