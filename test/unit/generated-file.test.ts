// Issue 10: shipproof never silently replaces a file a person wrote. Every generated file carries a
// mark with its own sha256; a file without one (or edited since) is refused with exit 2 and a
// --force hint, and left as it was. One function (writeGeneratedFile) owns the rule; the writers
// below (HANDOVER.md, verify reports, shipproof.lock, init, verify init) all go through it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initProject } from '../../src/core/init.js';
import { ExitCode, UsageError } from '../../src/errors.js';
import { isUnchangedGenerated, refuseUnlessOurs, withGeneratedMark, writeGeneratedFile } from '../../src/evidence/generated-file.js';
import { serializeLock, writeImageLock, type ImageLock } from '../../src/pin/lock.js';
import { checkReportWritable } from '../../src/verify/report.js';

const root = mkdtempSync(join(tmpdir(), 'shipproof-generated-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};

async function refusal(p: Promise<unknown>): Promise<UsageError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(UsageError);
  expect((e as UsageError).exitCode).toBe(ExitCode.badInput);
  return e as UsageError;
}

describe('the generated mark', () => {
  const md = '# Handover\n\nsome text\n';
  const json = `${JSON.stringify({ _type: 'x', a: [1, 2], b: 'c' }, null, 2)}\n`;
  it.each([
    ['markdown', md],
    ['yaml', 'a: 1\n# comment\nb: [2]\n'],
    ['json', json],
  ] as const)('%s: marked text is recognised; any edit is not', (syntax, text) => {
    const marked = withGeneratedMark(text, syntax);
    expect(isUnchangedGenerated(marked)).toBe(true);
    expect(isUnchangedGenerated(text)).toBe(false);
    expect(isUnchangedGenerated(marked.replace(/text|1|"c"/, (m) => `${m}x`))).toBe(false);
    expect(isUnchangedGenerated(`${marked}an added line\n`)).toBe(false);
  });
  it('JSON stays JSON with the same content plus one key; Markdown ends in a definition that renders as nothing', () => {
    expect(JSON.parse(withGeneratedMark(json, 'json'))).toMatchObject({ _type: 'x', a: [1, 2], b: 'c', shipproofGenerated: expect.stringMatching(/^sha256=[0-9a-f]{64}$/) });
    expect(withGeneratedMark(md, 'markdown')).toMatch(/^# Handover\n\nsome text\n\n\[\/\/\]: # \(shipproof:generated sha256=[0-9a-f]{64} [^)\n]*\)\n$/);
  });
});

describe('writeGeneratedFile', () => {
  it('writes a new file, and replaces its own unchanged file', async () => {
    const f = join(fresh(), 'HANDOVER.md');
    expect((await writeGeneratedFile(f, 'one\n', { syntax: 'markdown', shown: 'HANDOVER.md' })).changed).toBe(true);
    expect((await writeGeneratedFile(f, 'one\n', { syntax: 'markdown', shown: 'HANDOVER.md' })).changed).toBe(false);
    await writeGeneratedFile(f, 'two\n', { syntax: 'markdown', shown: 'HANDOVER.md' });
    expect(readFileSync(f, 'utf8')).toBe(withGeneratedMark('two\n', 'markdown'));
  });

  it("refuses a person's file and an edited one with exit 2 and a --force hint, leaving it as it was; --force replaces it", async () => {
    const f = join(fresh(), 'HANDOVER.md');
    writeFileSync(f, 'my own notes\n');
    const e = await refusal(writeGeneratedFile(f, 'generated\n', { syntax: 'markdown', shown: 'HANDOVER.md' }));
    expect(e.message).toBe('HANDOVER.md exists and was not written by shipproof (or was edited since): shipproof does not replace it.');
    expect(e.hint).toMatch(/--force/);
    expect(readFileSync(f, 'utf8')).toBe('my own notes\n');
    await writeGeneratedFile(f, 'generated\n', { syntax: 'markdown', shown: 'HANDOVER.md', force: true });
    writeFileSync(f, readFileSync(f, 'utf8').replace('generated', 'generated, then edited by hand'));
    const edited = readFileSync(f, 'utf8');
    await refusal(writeGeneratedFile(f, 'again\n', { syntax: 'markdown', shown: 'HANDOVER.md' }));
    expect(readFileSync(f, 'utf8')).toBe(edited);
  });

  it('a person file (shipproof.yaml from init) is never replaced without consent, even when shipproof wrote it', async () => {
    const f = join(fresh(), 'x.yaml');
    await writeGeneratedFile(f, 'a: 1\n', { syntax: 'person', shown: 'x.yaml' });
    expect(readFileSync(f, 'utf8')).toBe('a: 1\n');
    await refusal(writeGeneratedFile(f, 'a: 2\n', { syntax: 'person', shown: 'x.yaml' }));
    await refusal(refuseUnlessOurs(f, { syntax: 'person', shown: 'x.yaml' }));
  });

  it('a folder in the way is exit 2, not a stack trace', async () => {
    const d = fresh();
    mkdirSync(join(d, 'HANDOVER.md'));
    await refusal(writeGeneratedFile(join(d, 'HANDOVER.md'), 'x\n', { syntax: 'markdown', shown: 'HANDOVER.md' }));
  });
});

describe('the writers', () => {
  const lock: ImageLock = { version: 1, target: 'prod', resolvedAt: '2026-01-01T00:00:00Z', images: [] } as unknown as ImageLock;

  it('shipproof.lock: a hand-written one is refused; one written before the mark existed (its header) is replaced', async () => {
    const d = fresh();
    writeFileSync(join(d, 'shipproof.lock'), 'images: []  # mine\n');
    await refusal(writeImageLock(d, lock));
    expect(readFileSync(join(d, 'shipproof.lock'), 'utf8')).toBe('images: []  # mine\n');
    writeFileSync(join(d, 'shipproof.lock'), serializeLock(lock));
    expect((await writeImageLock(d, lock)).changed).toBe(true);
    expect((await writeImageLock(d, lock, false)).changed).toBe(false);
  });

  it('verify reports: a person file at the .md or the .json path is refused before the run', async () => {
    const d = fresh();
    const md = join(d, 'phase.md');
    await checkReportWritable(md);
    writeFileSync(join(d, 'phase.json'), '{"mine": true}\n');
    await refusal(checkReportWritable(md));
    await checkReportWritable(md, true);
  });

  it('init: an existing shipproof.yaml is refused (exit 2), kept, and replaced only with --force', async () => {
    const d = fresh();
    writeFileSync(join(d, 'compose.yaml'), 'services:\n  web:\n    image: busybox:1.36\n');
    writeFileSync(join(d, 'shipproof.yaml'), 'project: mine\n');
    await refusal(initProject({ cwd: d }));
    expect(readFileSync(join(d, 'shipproof.yaml'), 'utf8')).toBe('project: mine\n');
    await initProject({ cwd: d, force: true });
    expect(readFileSync(join(d, 'shipproof.yaml'), 'utf8')).not.toBe('project: mine\n');
  });
});
