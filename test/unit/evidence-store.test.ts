import { generateKeyPairSync } from 'node:crypto';
import { readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShipproofError, UsageError } from '../../src/errors.js';
import { serializeEnvelope, signEnvelope } from '../../src/evidence/dsse.js';
import { headCachePath } from '../../src/evidence/head-cache.js';
import { HEAD_FILE } from '../../src/evidence/ledger-head.js';
import { parseEntryLine, serializeEntry, sha256Hex } from '../../src/evidence/ledger.js';
import { renderEvidenceMarkdown } from '../../src/evidence/render-markdown.js';
import { keyIdOf, PUBLIC_KEY_FILE } from '../../src/evidence/signing-key.js';
import { serializeStatement, STATEMENT_PAYLOAD_TYPE } from '../../src/evidence/statement.js';
import { VERIFY_EXIT_CHAIN, VERIFY_EXIT_SIGNATURE, verifyEvidence, verifyExitCode } from '../../src/evidence/verify.js';
import type { EvidenceStore } from '../../src/evidence/store.js';
import { sealStatement } from '../../src/evidence/record.js';
import { Redactor } from '../../src/redact/index.js';
import { claimedForms, leaksIn } from '../helpers/redact-corpus.js';
import {
  appendCollects,
  collectStatement,
  flipByte,
  ledgerLines,
  metaOf,
  sampleStatement,
  sandbox,
  writeLedgerLines,
  type Sandbox,
} from '../fixtures/evidence/helpers.js';

let sb: Sandbox;
let store: EvidenceStore;

beforeEach(async () => {
  sb = await sandbox();
  store = sb.open();
});
afterEach(async () => {
  await sb.cleanup();
});

async function entryFile(seq: number, ext: '.json' | '.md' | '.dsse.json'): Promise<string> {
  const entries = await store.list();
  return join(sb.dir, `${entries[seq - 1]!.record}${ext}`);
}

describe('EvidenceStore append and verify', () => {
  it('appends 5 records that verify, with the promised files and ledger', async () => {
    await appendCollects(store, 5);
    const report = await store.verify();
    expect(report).toEqual({ ok: true, entries: 5, warnings: [] });
    expect(verifyExitCode(report)).toBe(0);

    const entries = await store.list();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[0]!.record).toBe('20261123T150405Z-staging-collect');
    expect(entries[0]!.prev).toBe('0'.repeat(64));
    const lines = await ledgerLines(sb.dir);
    for (let i = 1; i < 5; i++) expect(entries[i]!.prev).toBe(sha256Hex(lines[i - 1]!));

    const names = (await readdir(sb.dir)).sort();
    expect(names).toContain('ledger.jsonl');
    expect(names).toContain(HEAD_FILE);
    expect(names).toContain(PUBLIC_KEY_FILE);
    expect(names.filter((n) => n.endsWith('.dsse.json') && n !== HEAD_FILE)).toHaveLength(5);

    // The .json is the exact DSSE payload and the .md is rendered from it.
    const json = await readFile(await entryFile(2, '.json'));
    const env = JSON.parse(await readFile(await entryFile(2, '.dsse.json'), 'utf8')) as { payload: string; payloadType: string };
    expect(env.payloadType).toBe(STATEMENT_PAYLOAD_TYPE);
    expect(Buffer.from(env.payload, 'base64').equals(json)).toBe(true);
    expect(json.toString().endsWith('}\n')).toBe(true);
    expect(await readFile(await entryFile(2, '.md'), 'utf8')).toBe(renderEvidenceMarkdown(json.toString()));
  });

  it('returns the entry with file paths and records release and milestone', async () => {
    const s = await sampleStatement();
    const e = await store.append(s, metaOf(s));
    expect(e).toMatchObject({ seq: 1, kind: 'milestone', target: 'staging', status: 'failed', release: '2026-11-23.1' });
    expect(e.milestone).toEqual({ number: 7, id: 'health-gate' });
    expect(e.files.map((f) => f.path)).toEqual([
      join(sb.dir, `${e.record}.json`),
      join(sb.dir, `${e.record}.md`),
      join(sb.dir, `${e.record}.dsse.json`),
    ]);
    for (const f of e.files) expect(sha256Hex(await readFile(f.path))).toBe(f.sha256);
  });

  it('suffixes -2, -3 when records share a second', async () => {
    const frozen = sb.open({ now: () => new Date('2026-11-23T15:04:05.900Z') });
    await appendCollects(frozen, 3);
    expect((await frozen.list()).map((e) => e.record)).toEqual([
      '20261123T150405Z-staging-collect',
      '20261123T150405Z-staging-collect-2',
      '20261123T150405Z-staging-collect-3',
    ]);
    expect((await frozen.verify()).ok).toBe(true);
  });

  it('refuses a record whose ledger details disagree with it, writing nothing', async () => {
    const s = await collectStatement(1);
    await expect(store.append(s, { ...metaOf(s), status: 'failed' })).rejects.toThrow(/disagree on status/);
    await expect(readdir(sb.dir)).rejects.toThrow(); // folder not even created
  });

  it('shows a record by seq or by name, and refuses a changed one', async () => {
    await appendCollects(store, 3);
    const byNum = await store.show(2);
    const byName = await store.show(`${byNum.entry.record}.md`);
    expect(byName.entry.seq).toBe(2);
    expect(byNum.statement.predicate.title).toBe('Collect #2');
    expect(byNum.markdown).toContain('# Collect #2');
    expect((await store.show('3')).entry.seq).toBe(3);
    await expect(store.show(9)).rejects.toBeInstanceOf(UsageError);
    await expect(store.show('20261123T15040')).rejects.toThrow(/matches 3 evidence records/);
    await flipByte(await entryFile(2, '.json'));
    await expect(store.show(2)).rejects.toThrow(/was changed after it was written/);
  });
});

describe('verify detects tampering', () => {
  beforeEach(async () => {
    await appendCollects(store, 5);
  });

  async function expectBad(kind: 'chain' | 'signature', seq: number | undefined, problem?: RegExp) {
    const r = await store.verify();
    expect(r.ok).toBe(false);
    expect(r.kind).toBe(kind);
    expect(r.firstBad?.seq).toBe(seq);
    if (problem) expect(r.firstBad?.problem).toMatch(problem);
    expect(verifyExitCode(r)).toBe(kind === 'chain' ? VERIFY_EXIT_CHAIN : VERIFY_EXIT_SIGNATURE);
    return r;
  }

  it('one changed byte in a .json', async () => {
    await flipByte(await entryFile(2, '.json'));
    const r = await expectBad('chain', 2, /\.json was changed/);
    expect(r.firstBad?.record).toBe((await store.list())[1]!.record);
  });

  it('one changed byte in a .md', async () => {
    await flipByte(await entryFile(3, '.md'));
    await expectBad('chain', 3, /\.md was changed/);
  });

  it('one changed byte in a .dsse.json', async () => {
    await flipByte(await entryFile(4, '.dsse.json'));
    await expectBad('chain', 4, /\.dsse\.json was changed/);
  });

  it('a deleted record file', async () => {
    await unlink(await entryFile(4, '.md'));
    await expectBad('chain', 4, /is missing/);
  });

  it('a deleted ledger line in the middle', async () => {
    const lines = await ledgerLines(sb.dir);
    lines.splice(2, 1);
    await writeLedgerLines(sb.dir, lines);
    await expectBad('chain', 3, /removed, inserted or reordered/);
  });

  it('two reordered lines', async () => {
    const lines = await ledgerLines(sb.dir);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    await writeLedgerLines(sb.dir, lines);
    await expectBad('chain', 2);
  });

  it('a line that does not parse', async () => {
    const lines = await ledgerLines(sb.dir);
    lines[3] = lines[3]!.slice(0, -5);
    await writeLedgerLines(sb.dir, lines);
    await expectBad('chain', 4, /not a valid ledger entry/);
  });

  it('an edited entry with the chain recomputed after it', async () => {
    const lines = await ledgerLines(sb.dir);
    const rechained = lines.map((l) => parseEntryLine(Buffer.from(l))!);
    rechained[1] = { ...rechained[1]!, status: 'failed' };
    const out: string[] = [];
    for (const e of rechained) {
      const line = serializeEntry({ ...e, prev: out.length === 0 ? '0'.repeat(64) : sha256Hex(out[out.length - 1]!) });
      out.push(line);
    }
    await writeLedgerLines(sb.dir, out);
    await expectBad('chain', 2, /disagrees with its signed record on status/);
  });

  it('a forged entry inserted with correct prev hashes but without the private key', async () => {
    const pubKeyid = (await store.list())[0]!.keyid;
    const attacker = generateKeyPairSync('ed25519');
    const s = await collectStatement(99);
    s.predicate.title = 'Everything passed, trust me';
    const json = serializeStatement(s);
    const md = Buffer.from(renderEvidenceMarkdown(json.toString()));
    // Claims the folder's keyid; signed with the attacker's key.
    const dsse = serializeEnvelope(signEnvelope(json, STATEMENT_PAYLOAD_TYPE, { keyid: pubKeyid, privateKey: attacker.privateKey }));
    const record = '20261123T150406Z-staging-collect-9';
    await writeFile(join(sb.dir, `${record}.json`), json);
    await writeFile(join(sb.dir, `${record}.md`), md);
    await writeFile(join(sb.dir, `${record}.dsse.json`), dsse);

    const entries = (await ledgerLines(sb.dir)).map((l) => parseEntryLine(Buffer.from(l))!);
    const forged = {
      ...entries[0]!,
      record,
      files: [
        { name: `${record}.json`, sha256: sha256Hex(json) },
        { name: `${record}.md`, sha256: sha256Hex(md) },
        { name: `${record}.dsse.json`, sha256: sha256Hex(dsse) },
      ],
    };
    entries.splice(2, 0, forged);
    const out: string[] = [];
    entries.forEach((e, i) => {
      out.push(serializeEntry({ ...e, seq: i + 1, prev: i === 0 ? '0'.repeat(64) : sha256Hex(out[i - 1]!) }));
    });
    await writeLedgerLines(sb.dir, out);
    await expectBad('signature', 3, /signature does not verify/);
  });

  it('a truncated tail (last line dropped) against the signed head', async () => {
    const lines = await ledgerLines(sb.dir);
    await writeLedgerLines(sb.dir, lines.slice(0, 4));
    await expectBad('chain', 5, /cut off the end/);
  });

  it('a truncated tail with an older signed head restored: caught by the head cache', async () => {
    // Start over so we can keep the head as it was after entry 4.
    await sb.cleanup();
    store = sb.open();
    await appendCollects(store, 4);
    const headAfter4 = await readFile(join(sb.dir, HEAD_FILE));
    await appendCollects(store, 1, 5);
    const lines = await ledgerLines(sb.dir);
    await writeLedgerLines(sb.dir, lines.slice(0, 4));
    await writeFile(join(sb.dir, HEAD_FILE), headAfter4);

    await expectBad('chain', 5, /truncated or rolled back/);
    // A machine without the cache can't see it: the folder is self-consistent, so only a warning.
    const elsewhere = await verifyEvidence(sb.dir, { home: join(sb.root, 'other-home') });
    expect(elsewhere.ok).toBe(true);
    expect(elsewhere.warnings.join('\n')).toMatch(/no head cache/);
  });

  it('an older signed head alone (ledger intact)', async () => {
    await sb.cleanup();
    store = sb.open();
    await appendCollects(store, 3);
    const headAfter3 = await readFile(join(sb.dir, HEAD_FILE));
    await appendCollects(store, 2, 4);
    await writeFile(join(sb.dir, HEAD_FILE), headAfter3);
    await expectBad('chain', 4, /come after the signed head/);
  });

  it('a head rewritten to a different entry hash is caught by the head cache', async () => {
    const cachePath = await headCachePath(sb.dir, sb.home);
    const cache = JSON.parse(await readFile(cachePath, 'utf8')) as { seq: number; entrySha256: string };
    expect(cache.seq).toBe(5);
    await writeFile(cachePath, JSON.stringify({ ...cache, seq: 3, entrySha256: 'f'.repeat(64) }));
    await expectBad('chain', 3, /rewritten/);
  });

  it('a forged head signed by another key', async () => {
    const attacker = generateKeyPairSync('ed25519');
    const keyid = (await store.list())[0]!.keyid;
    const payload = Buffer.from(`${JSON.stringify({ seq: 3, entrySha256: 'a'.repeat(64), time: '2026-11-23T15:04:05.000Z', keyid })}\n`);
    const env = signEnvelope(payload, 'application/vnd.shipproof.ledger-head+json', { keyid, privateKey: attacker.privateKey });
    await writeFile(join(sb.dir, HEAD_FILE), serializeEnvelope(env));
    await expectBad('signature', undefined, /ledger\.head\.dsse\.json/);
  });

  it('a swapped signing-key.pub', async () => {
    const other = generateKeyPairSync('ed25519');
    await writeFile(join(sb.dir, PUBLIC_KEY_FILE), other.publicKey.export({ type: 'spki', format: 'pem' }));
    const r = await store.verify();
    expect(r.ok).toBe(false);
    expect(r.kind).toBe('signature');
    expect(verifyExitCode(r)).toBe(VERIFY_EXIT_SIGNATURE);
    expect(r.firstBad?.problem).toContain(keyIdOf(other.publicKey));
    // And the store refuses to sign on top of it.
    await expect(appendCollects(store, 1, 6)).rejects.toThrow(ShipproofError);
  });

  it('a .md that no longer matches its .json even with the ledger hash updated', async () => {
    const mdPath = await entryFile(2, '.md');
    const md = (await readFile(mdPath, 'utf8')).replace('**Status: PASSED**', '**Status: PASSED (all good)**');
    await writeFile(mdPath, md);
    const entries = (await ledgerLines(sb.dir)).map((l) => parseEntryLine(Buffer.from(l))!);
    entries[1]!.files[1]!.sha256 = sha256Hex(md);
    const out: string[] = [];
    entries.forEach((e, i) => out.push(serializeEntry({ ...e, prev: i === 0 ? '0'.repeat(64) : sha256Hex(out[i - 1]!) })));
    await writeLedgerLines(sb.dir, out);
    await expectBad('chain', 2, /does not match what its \.json renders to/);
  });

  it('a missing head with more than one entry, and a missing signing-key.pub', async () => {
    await rm(join(sb.dir, HEAD_FILE));
    await expectBad('chain', undefined, /ledger\.head\.dsse\.json is missing/);
    await rm(join(sb.dir, PUBLIC_KEY_FILE));
    await expectBad('signature', undefined, /signing-key\.pub is missing/);
  });

  it('refuses to append on top of a broken chain (no laundering by a new signed head)', async () => {
    const lines = await ledgerLines(sb.dir);
    lines.splice(2, 1);
    await writeLedgerLines(sb.dir, lines);
    const before = await readFile(join(sb.dir, 'ledger.jsonl'));
    await expect(appendCollects(store, 1, 6)).rejects.toThrow(/does not verify at seq 3/);
    expect((await readFile(join(sb.dir, 'ledger.jsonl'))).equals(before)).toBe(true);
  });
});

describe('approvals', () => {
  beforeEach(async () => {
    await appendCollects(store, 3);
  });

  it('are sealed like every record: a known secret in the note or reviewer never reaches the .json or .md', async () => {
    const secret = 'Qm7vT2xK9pL4wN8zR3cY6bF1hJ5dS0aG';
    const r = new Redactor();
    r.addSecret(secret, 'env:.env:API_TOKEN');
    await store.approve(2, { reviewer: `bo ${secret}`, note: `checked; token=${secret} and api_key: "${secret}"` }, (s) => sealStatement(s, r));
    for (const ext of ['.json', '.md', '.dsse.json'] as const) {
      const text = await readFile(await entryFile(4, ext), 'utf8');
      expect(leaksIn(ext === '.dsse.json' ? Buffer.from((JSON.parse(text) as { payload: string }).payload, 'base64').toString('utf8') : text, claimedForms(secret))).toEqual([]);
    }
    expect((await store.verify()).ok).toBe(true);
  });

  it('are their own chained, signed record naming the approved .json by hash', async () => {
    const approved = (await store.list())[1]!;
    const entry = await store.approve(2, { reviewer: 'Bo Reviewer', note: 'Checked the health output | ok' }, (s) => s);
    expect(entry).toMatchObject({ seq: 4, kind: 'approval', status: 'passed', target: 'staging' });
    expect(entry.prev).toBe(sha256Hex((await ledgerLines(sb.dir))[2]!));
    const shown = await store.show(4);
    expect(shown.statement.predicate.approval).toEqual({
      seq: 2,
      record: approved.record,
      sha256: approved.files[0]!.sha256,
      reviewer: 'Bo Reviewer',
      note: 'Checked the health output | ok',
    });
    expect(shown.statement.subject).toEqual([{ name: `${approved.record}.json`, digest: { sha256: approved.files[0]!.sha256 } }]);
    expect(shown.markdown).toContain('reviewed by Bo Reviewer');
    expect(await store.verify()).toMatchObject({ ok: true, entries: 4 });

    // Changing the approved record breaks the chain at the approved record.
    await flipByte(await entryFile(2, '.json'));
    expect(await store.verify()).toMatchObject({ ok: false, kind: 'chain', firstBad: { seq: 2 } });
  });

  it('refuses unknown records, approvals of approvals and a missing reviewer', async () => {
    await expect(store.approve(9, { reviewer: 'x', note: '' }, (s) => s)).rejects.toBeInstanceOf(UsageError);
    await store.approve(1, { reviewer: 'x', note: '' }, (s) => s);
    await expect(store.approve(4, { reviewer: 'x', note: '' }, (s) => s)).rejects.toThrow(/itself an approval/);
    await expect(store.approve(1, { reviewer: ' ', note: '' }, (s) => s)).rejects.toThrow(/reviewer/);
  });
});

describe('folders without evidence', () => {
  it('verify a missing or empty folder as ok with a warning, and list nothing', async () => {
    const r = await store.verify();
    expect(r).toEqual({ ok: true, entries: 0, warnings: ['no evidence has been recorded in this folder yet'] });
    expect(await store.list()).toEqual([]);
  });

  it('list refuses a damaged ledger instead of hiding lines', async () => {
    await appendCollects(store, 2);
    const lines = await ledgerLines(sb.dir);
    await writeLedgerLines(sb.dir, [lines[0]!, 'garbage', lines[1]!]);
    await expect(store.list()).rejects.toThrow(/damaged at seq 2/);
  });

  it('a ledger emptied after the head cache saw entries is a rollback', async () => {
    await appendCollects(store, 2);
    await writeFile(join(sb.dir, 'ledger.jsonl'), '');
    await rm(join(sb.dir, HEAD_FILE));
    const r = await store.verify();
    expect(r).toMatchObject({ ok: false, kind: 'chain', firstBad: { seq: 1 } });
    expect(r.firstBad?.problem).toMatch(/truncated or rolled back/);
  });
});
